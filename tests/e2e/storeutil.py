"""The object store of a host started by the suite, read and written from outside: natively
the directory `DATA_DIR/objects`; on the Worker the local R2 bucket of `wrangler dev`, read
through miniflare's on-disk layout (`v3/r2/miniflare-R2BucketObject/*.sqlite` maps keys to
blob files under `v3/r2/<bucket>/blobs/`) and written with `wrangler r2 object put --local`.
"""

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests

from conftest import NativeHost, free_port, native_binary

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "extenddo-backups"  # wrangler.jsonc's r2_buckets


def objects(h, prefix):
    """[(key, file)] of the objects whose key starts with `prefix`, in key order."""
    if h.kind == "native":
        base = h.data_dir / "objects"
        return sorted((str(p.relative_to(base)), p) for p in base.glob(prefix + "**/*")
                      if p.is_file() and not p.name.startswith("."))
    r2 = h.persist_dir / "v3" / "r2"
    found = []
    for db in (r2 / "miniflare-R2BucketObject").glob("*.sqlite"):
        if db.name.startswith("metadata"):
            continue
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT key, blob_id FROM _mf_objects WHERE key LIKE ?",
                               (prefix + "%",)).fetchall()
        except sqlite3.OperationalError:
            rows = []
        finally:
            con.close()
        for key, blob in rows:
            found += [(key, p) for p in r2.glob(f"*/blobs/{blob}")]
    return sorted(found)


def put(h, key, data: bytes, scratch: Path):
    """Stores `data` under `key` in the host's object store."""
    if h.kind == "native":
        p = h.data_dir / "objects" / key
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        return
    f = scratch / key.replace("/", "_")
    f.write_bytes(data)
    env = dict(os.environ, WRANGLER_SEND_METRICS="false", CI="true")
    r = subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "wrangler"), "r2", "object", "put",
         f"{BUCKET}/{key}", "--file", str(f), "--local", "--persist-to", str(h.persist_dir),
         "--config", str(ROOT / "wrangler.prebuilt.jsonc")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


class MotoS3:
    """moto_server (from tests/e2e/requirements.txt) as a local S3-compatible server."""

    def __init__(self, tmp):
        exe = Path(sys.executable).parent / "moto_server"
        if not exe.exists():
            pytest.fail(f"{exe} missing: pip install -r tests/e2e/requirements.txt")
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = open(tmp / "moto.log", "wb")
        self.proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.endpoint + "/", timeout=1).status_code < 500:
                    break
            except requests.RequestException:
                pass
            assert self.proc.poll() is None, "moto_server exited"
            assert time.monotonic() < deadline, "moto_server did not start"
            time.sleep(0.2)
        self.s3 = boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                               aws_access_key_id="testing", aws_secret_access_key="testing")

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


@contextlib.contextmanager
def s3_native_host(tmp, bucket, args):
    """A moto S3 server with `bucket`, and a native host of its own whose object store is
    `s3://bucket/e2e` there: yields (host, moto)."""
    moto = MotoS3(tmp)
    moto.s3.create_bucket(Bucket=bucket)
    h = NativeHost(native_binary(), extra_args=[*args, "--object-store", f"s3://{bucket}/e2e"],
                   extra_env={"AWS_ENDPOINT_URL": moto.endpoint, "AWS_REGION": "us-east-1",
                              "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    try:
        h.start()
        yield h, moto
    finally:
        h.cleanup()
        moto.stop()
