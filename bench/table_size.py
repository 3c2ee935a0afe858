#!/usr/bin/env python3
"""How ExtendDO's cost grows with the table: GetItem, PutItem (overwrites of random keys of
the table) and PutItem of new keys at several table sizes, the server's memory at each, and
the start-up time with the largest table.

For each size N: a fresh `extenddo serve` data dir; N ~200-byte items preloaded with
`extenddo-bench --setup-only` (BatchWriteItem of 25, 16 connections; timed, not measured
further); then `get`, `put` and `put-new` with `extenddo-bench` (16 connections, closed loop)
over the same key space; VmRSS / VmHWM of the server after each workload. After the largest
size the server is stopped (SIGTERM) and started again on its data dir: the time until it
answers ListTables and until a GetItem of the big table answers.

Before each workload the share of the data dir held in the OS page cache is read (`mincore`)
and reported as `cached`: a GetItem of a 10M-item table costs a page-cache read per lookup
when the file is cached and a disk read when it is not, and this machine's page cache was
seen dropped between a preload and the runs. `--warm` reads the data dir once after the
preload (as a table in use would be), so that every size is measured with its file cached,
as the 10k-item table always is.

    cargo build --release -p extenddo-cli -p extenddo-bench
    .venv/bin/python bench/table_size.py --sizes 10000 1000000 10000000
"""

import argparse
import ctypes
import json
import os
import shutil
import signal
import http.client
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchutil import call, free_port

REPO = Path(__file__).resolve().parent.parent
TABLE = "extenddo_bench_kv"


def post(port, op, body):
    status, out = call(http.client.HTTPConnection("127.0.0.1", port, timeout=60), op, body)
    if status != 200:
        raise OSError(f"{op}: HTTP {status} {out}")
    return out


def status(pid):
    f = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        f[k] = v.split()[0] if v.split() else ""
    return {"rss_mb": round(int(f["VmRSS"]) / 1024, 1), "hwm_mb": round(int(f["VmHWM"]) / 1024, 1)}


_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                       ctypes.c_int, ctypes.c_long]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]


def cached_share(data):
    """The share of the files under `data` that is in the OS page cache (mincore)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total = resident = 0
    for f in data.rglob("*"):
        size = f.stat().st_size if f.is_file() else 0
        if size == 0:
            continue
        pages = (size + page - 1) // page
        fd = os.open(f, os.O_RDONLY)
        try:
            addr = _libc.mmap(None, size, 1, 1, fd, 0)  # PROT_READ, MAP_SHARED
            if addr in (None, ctypes.c_void_p(-1).value):
                continue
            vec = ctypes.create_string_buffer(pages)
            if _libc.mincore(addr, size, vec) == 0:
                resident += sum(b & 1 for b in vec.raw)
                total += pages
            _libc.munmap(addr, size)
        finally:
            os.close(fd)
    return round(100 * resident / total, 1) if total else 100.0


def warm(data):
    for f in data.rglob("*"):
        if f.is_file():
            with open(f, "rb") as fh:
                while fh.read(1 << 20):
                    pass


class Server:
    def __init__(self, binary, data):
        self.binary, self.data = binary, data
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self):
        t0 = time.monotonic()
        log = open(self.data.parent / "server.log", "ab")
        self.proc = subprocess.Popen([self.binary, "serve", "--listen", f"127.0.0.1:{self.port}",
                                      "--data-dir", str(self.data)], stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        while True:
            try:
                post(self.port, "ListTables", {})
                return time.monotonic() - t0
            except OSError:
                if self.proc.poll() is not None:
                    raise SystemExit("server exited")
                time.sleep(0.01)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


def bench(binary, endpoint, workload, items, duration, extra=()):
    r = subprocess.run([binary, "--endpoint", endpoint, "--workload", workload, "--json",
                        "--connections", "16", "--duration", str(duration), "--warmup", "2",
                        "--items", str(items), *extra], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"extenddo-bench {workload} failed: {r.stderr[-2000:]}")
    return None if "--setup-only" in extra else json.loads(r.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000, 10_000_000])
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--extenddo", default=str(REPO / "target" / "release" / "extenddo"))
    ap.add_argument("--bench", default=str(REPO / "target" / "release" / "extenddo-bench"))
    ap.add_argument("--warm", action="store_true",
                    help="read the data dir once after the preload (see the module doc)")
    a = ap.parse_args()
    rows = []
    for n in a.sizes:
        work = Path(tempfile.mkdtemp(prefix="extenddo-table-size-"))
        server = Server(a.extenddo, work / "data")
        try:
            server.start()
            t = time.monotonic()
            bench(a.bench, server.endpoint, "get", n, 1, ["--setup", "--setup-only"])
            row = {"items": n, "preload_s": round(time.monotonic() - t, 1)}
            row["cached_after_preload_pct"] = cached_share(work / "data")
            if a.warm:
                warm(work / "data")
            for w in ("get", "put", "put-new"):
                row[f"{w}_cached_pct"] = cached_share(work / "data")
                r = bench(a.bench, server.endpoint, w, n, a.duration)
                if r.get("errors"):
                    raise SystemExit(f"{w} at {n} items: errors {r.get('error_kinds')}")
                row[w] = {"ops_per_sec": round(r["ops_per_sec"]),
                          "p50_ms": r["latency_ms"]["p50"], "p99_ms": r["latency_ms"]["p99"]}
                row[f"{w}_mem"] = status(server.proc.pid)
            row["disk_mb"] = round(sum(f.stat().st_size for f in (work / "data").rglob("*")
                                       if f.is_file()) / 2**20)
            if n == max(a.sizes):
                server.stop()
                row["restart_listtables_s"] = round(server.start(), 3)
                t = time.monotonic()
                got = post(server.port, "GetItem", {"TableName": TABLE,
                                                        "Key": {"pk": {"S": f"k{n - 1:010d}"}}})
                assert "Item" in got, got
                row["restart_first_get_s"] = round(row["restart_listtables_s"]
                                                   + time.monotonic() - t, 3)
                row["restart_mem"] = status(server.proc.pid)
            rows.append(row)
            print(json.dumps(row), flush=True)
        finally:
            server.stop()
            shutil.rmtree(work, ignore_errors=True)
    print()
    print("| items | preload | GetItem ops/s (p99 ms) | PutItem overwrite ops/s (p99) | "
          "PutItem new ops/s (p99) | RSS after (MB) | disk | cached before get |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        cell = lambda w: f"{r[w]['ops_per_sec']:,} ({r[w]['p99_ms']})"
        print(f"| {r['items']:,} | {r['preload_s']} s | {cell('get')} | {cell('put')} | "
              f"{cell('put-new')} | {r['put-new_mem']['rss_mb']} (peak {r['put-new_mem']['hwm_mb']}) "
              f"| {r['disk_mb']:,} MB | {r['get_cached_pct']} % |")
    big = rows[-1]
    if "restart_listtables_s" in big:
        print(f"\nRestart with {big['items']:,} items: ListTables after "
              f"{big['restart_listtables_s']} s, first GetItem after {big['restart_first_get_s']} s, "
              f"RSS {big['restart_mem']['rss_mb']} MB")


if __name__ == "__main__":
    sys.exit(main())
