"""pytest harness for the ExtendDO end-to-end suite.

Options:
  --host native|worker   which host to start (default native; env E2E_HOST)
  --endpoint URL         use an already running server instead (restart/log tests are skipped)
  --keep-data            keep the temporary data dir and host log after the run

Native host: $EXTENDDO_BIN (default target/release/extenddo) `serve --listen 127.0.0.1:PORT
--data-dir DIR`. Worker host: `scripts/worker-dev.sh --port PORT --persist-to DIR` (an
already-built Worker under wrangler dev). Either is started in its own process group on a free
loopback port with a fresh temporary directory and stopped by process group at the end.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config

from authutil import E2E_ADMIN, provision_full_access
from ddbutil import CREDS, REGION, Raw, create_table_kwargs, unique_name

REPO = Path(__file__).resolve().parents[2]

_ALL_HOSTS: list = []


def pytest_addoption(parser):
    g = parser.getgroup("extenddo", "ExtendDO end-to-end options")
    g.addoption("--host", choices=["native", "worker"],
                default=os.environ.get("E2E_HOST", "native"),
                help="which ExtendDO host to start (default: native)")
    g.addoption("--endpoint", default=os.environ.get("E2E_ENDPOINT") or None,
                help="use an already running server at this URL (restart tests are skipped)")
    g.addoption("--keep-data", action="store_true", default=False,
                help="keep the temporary data directory and the host log")


def pytest_configure(config):
    config.addinivalue_line("markers", "restart: stops and restarts the host (persistence)")
    config.addinivalue_line("markers", "native_only: needs the native host's data dir / CLI")


# ---------------------------------------------------------------------------------------------
# Hosts
# ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _client(endpoint: str, validate: bool = True, creds=None):
    cfg = Config(
        region_name=REGION,
        retries={"max_attempts": 0, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
        parameter_validation=validate,
    )
    return boto3.session.Session().client(
        "dynamodb", endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id=(creds or CREDS)["access_key"],
        aws_secret_access_key=(creds or CREDS)["secret_key"],
        config=cfg)


class Host:
    kind = "?"
    can_restart = False
    # Whether the host verifies SigV4 against stored keys (the Worker by default).
    enforces_auth = False
    # The key this host's clients sign with (None: the suite's default, CREDS).
    creds = None
    data_dir: Path | None = None

    def __init__(self):
        self.endpoint = None
        self.generation = 0
        self._clients = {}

    def client(self, validate=True):
        key = (self.generation, validate)
        if key not in self._clients:
            self._clients = {k: v for k, v in self._clients.items() if k[0] == self.generation}
            self._clients[key] = _client(self.endpoint, validate, self.creds)
        return self._clients[key]

    def start(self):
        pass

    def stop(self):
        pass

    def restart(self):
        self.stop()
        self.start()

    def log_tail(self, n=60) -> str:
        return ""

    def cleanup(self, keep=False):
        pass


class ExternalHost(Host):
    kind = "external"

    def __init__(self, endpoint):
        super().__init__()
        self.endpoint = endpoint.rstrip("/")


class ManagedHost(Host):
    """A host process started in its own process group (setsid) and stopped by group."""

    ready_timeout = 30.0
    can_restart = True

    def __init__(self):
        super().__init__()
        self.workdir = Path(tempfile.mkdtemp(prefix=f"extenddo-e2e-{self.kind}-"))
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log_path = self.workdir / f"{self.kind}.log"
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        _ALL_HOSTS.append(self)

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self):
        return dict(os.environ)

    def start(self):
        assert self.proc is None, "host already running"
        self.starts += 1
        logf = open(self.log_path, "ab")
        logf.write(f"\n===== start #{self.starts}: {' '.join(self.command())}\n".encode())
        logf.flush()
        self.proc = subprocess.Popen(
            self.command(), stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=str(REPO), env=self.env(), start_new_session=True)
        logf.close()
        self.generation += 1
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self):
        deadline = time.monotonic() + self.ready_timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.kind} host exited with code {self.proc.returncode} before it was "
                    f"ready.\n--- log tail ({self.log_path}) ---\n{self.log_tail()}")
            try:
                r = requests.get(self.endpoint + "/healthz", timeout=5)
                if r.status_code == 200:
                    self.after_ready()
                    return
                last = f"HTTP {r.status_code}: {r.text[:200]}"
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.25)
        raise RuntimeError(
            f"{self.kind} host not ready after {self.ready_timeout:.0f}s (last: {last}).\n"
            f"--- log tail ({self.log_path}) ---\n{self.log_tail()}")

    def after_ready(self):
        pass

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is None:
            return
        pgid = proc.pid
        for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                proc.poll()  # reap the leader so the group can empty
                try:
                    os.killpg(pgid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                continue
            break
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def log_tail(self, n=60) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    def cleanup(self, keep=False):
        self.stop()
        self.final_log_tail = self.log_tail(80)
        if keep:
            print(f"\n[e2e] kept {self.kind} host dir: {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


# Hosts started by the suite honour test failpoints (`x-extenddo-failpoint`) and recover an
# interrupted transaction after this many ms (the product default is 5000).
TX_RECOVERY_MS = 2000


class NativeHost(ManagedHost):
    kind = "native"
    ready_timeout = 30.0

    def __init__(self, binary: Path, tx_recovery_ms: int = TX_RECOVERY_MS, extra_args=(),
                 extra_env=None):
        super().__init__()
        self.binary = binary
        self.tx_recovery_ms = tx_recovery_ms
        self.extra_args = list(extra_args)
        self.extra_env = dict(extra_env or {})
        self.data_dir = self.workdir / "data"
        self.data_dir.mkdir()

    def command(self):
        return [str(self.binary), "serve", "--listen", f"127.0.0.1:{self.port}",
                "--data-dir", str(self.data_dir), "--tx-recovery-ms", str(self.tx_recovery_ms),
                *self.extra_args]

    def env(self):
        env = dict(os.environ)
        env.setdefault("RUST_LOG", "info")
        env.setdefault("RUST_BACKTRACE", "1")
        env.setdefault("EXTENDDO_FAILPOINTS", "1")
        env.update(self.extra_env)
        return env


class WorkerHost(ManagedHost):
    """The Worker under `wrangler dev`, as deployed: SigV4 enforced. Its bootstrap admin
    and key-encryption key are vars here (secrets in a deployment); once ready, the suite
    provisions an account, a user allowed everything and an access key through the
    management API, and every client signs with that key."""

    kind = "worker"
    ready_timeout = 120.0
    enforces_auth = True

    def __init__(self, extra_vars=()):
        super().__init__()
        self.persist_dir = self.workdir / "persist"
        self.persist_dir.mkdir()
        self.extra_vars = [a for kv in extra_vars for a in ("--var", kv)]
        self.key_encryption_key = os.urandom(32).hex()

    def command(self):
        return ["bash", str(worker_dev_script()), "--port", str(self.port),
                "--persist-to", str(self.persist_dir), "--",
                "--var", "EXTENDDO_FAILPOINTS:1", "--var", f"TX_RECOVERY_MS:{TX_RECOVERY_MS}",
                "--var", f"EXTENDDO_ADMIN_USER:{E2E_ADMIN[0]}",
                "--var", f"EXTENDDO_ADMIN_PASSWORD:{E2E_ADMIN[1]}",
                "--var", f"EXTENDDO_KEY_ENCRYPTION_KEY:{self.key_encryption_key}",
                *self.extra_vars]

    def after_ready(self):
        if self.creds is None:
            key, secret = provision_full_access(self.endpoint)
            self.creds = {"access_key": key, "secret_key": secret}

    def env(self):
        env = dict(os.environ)
        env.setdefault("WRANGLER_SEND_METRICS", "false")
        env.setdefault("CI", "true")  # no interactive prompts
        return env


@atexit.register
def _stop_all_hosts():  # safety net if the session is torn down abnormally
    for h in _ALL_HOSTS:
        try:
            h.stop()
        except Exception:
            pass


def worker_dev_script() -> Path:
    p = Path(os.environ.get("E2E_WORKER_DEV", REPO / "scripts" / "worker-dev.sh"))
    return p if p.is_absolute() else (REPO / p)


def native_binary() -> Path:
    p = Path(os.environ.get("EXTENDDO_BIN", REPO / "target" / "release" / "extenddo"))
    return p if p.is_absolute() else (REPO / p)


@pytest.fixture(scope="session")
def host(request):
    cfg = request.config
    endpoint = cfg.getoption("--endpoint")
    if endpoint:
        h = ExternalHost(endpoint)
    elif cfg.getoption("--host") == "worker":
        if not worker_dev_script().exists():
            pytest.fail(f"{worker_dev_script()} not found (needed for --host worker)")
        h = WorkerHost()
    else:
        binary = native_binary()
        if not binary.exists():
            pytest.fail(f"native binary {binary} not found: run `cargo build --release -p "
                        "extenddo-cli` or set EXTENDDO_BIN")
        h = NativeHost(binary)
    cfg._e2e_host = h
    try:
        h.start()
        if h.creds:
            CREDS.update(h.creds)
    except Exception as e:
        h.cleanup(keep=cfg.getoption("--keep-data"))
        pytest.fail(f"could not start the {h.kind} host: {e}", pytrace=False)
    yield h
    h.cleanup(keep=cfg.getoption("--keep-data"))


class _ClientProxy:
    """Always talks to the current incarnation of the host (fresh connections after restart)."""

    def __init__(self, host, validate=True):
        self._host, self._validate = host, validate

    def __getattr__(self, name):
        return getattr(self._host.client(self._validate), name)


@pytest.fixture
def ddb(host):
    """boto3 DynamoDB client (client-side parameter validation on, retries off)."""
    return _ClientProxy(host)


@pytest.fixture
def ddb_noval(host):
    """boto3 client with client-side parameter validation off, so the server validates."""
    return _ClientProxy(host, validate=False)


@pytest.fixture
def raw(host):
    return Raw(host.endpoint)


@pytest.fixture
def restart(host):
    """restart(): stop the host and start it again on the same data dir and port."""
    if not host.can_restart:
        pytest.skip("restart needs a host started by the suite (not --endpoint)")

    def _restart():
        host.restart()

    return _restart


@pytest.fixture
def native_host(host):
    if not isinstance(host, NativeHost):
        pytest.skip("needs the native host started by the suite (data dir + extenddo CLI)")
    return host


@pytest.fixture
def make_table(ddb, request):
    """make_table(hash=("pk","S"), range=None, billing=..., name=None) -> table name.
    Tables are deleted at teardown."""
    created = []

    def _make(hash_key=("pk", "S"), range_key=None, billing="PAY_PER_REQUEST", name=None,
              **extra):
        name = name or unique_name(request.node.name[:24])
        kw = create_table_kwargs(name, hash_key, range_key, billing)
        kw.update(extra)
        ddb.create_table(**kw)
        created.append(name)
        return name

    yield _make
    for name in created:
        try:
            ddb.delete_table(TableName=name)
        except Exception:
            pass


@pytest.fixture(scope="session")
def shared_table(host):
    """shared_table(purpose, hash_key=("pk","S"), range_key=None) -> name: one table per
    purpose for the whole session (for tests that only ever fail to write to it)."""
    cache = {}

    def _get(purpose, hash_key=("pk", "S"), range_key=None):
        k = (purpose, hash_key, range_key)
        if k not in cache:
            name = unique_name(f"shared-{purpose}")
            host.client().create_table(**create_table_kwargs(name, hash_key, range_key))
            cache[k] = name
        return cache[k]

    return _get


@pytest.fixture
def table_s(make_table):
    """A fresh hash-only table with pk: S."""
    return make_table()


@pytest.fixture
def table_sn(make_table):
    """A fresh table with pk: S, sk: N."""
    return make_table(range_key=("sk", "N"))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    h = getattr(config, "_e2e_host", None)
    if h is None:
        return
    terminalreporter.write_line(f"[e2e] host={h.kind} endpoint={h.endpoint}")
    if exitstatus not in (0, 5) and isinstance(h, ManagedHost):
        terminalreporter.section(f"{h.kind} host log tail ({h.log_path})")
        terminalreporter.write_line(getattr(h, "final_log_tail", None) or h.log_tail(80))
