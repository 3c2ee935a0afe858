#!/usr/bin/env python3
"""Many tables: what a test suite that creates a table per test does to `extenddo serve`.

Starts `extenddo serve` (fresh data dir) under an open-file limit (`--nofile`, default 1024,
as `ulimit -n 1024` on a laptop), then, with `--clients` threads each on its own keep-alive
connection: CreateTable + PutItem of one item for `--tables` tables; GetItem of every
table's item; `kill -9` and a restart on the same data dir; GetItem of every item again.
Every second it samples the server's threads, open descriptors and memory
(`/proc/<pid>/status`: VmRSS, VmHWM). Prints a JSON summary, and exits non-zero if a request
failed or a bound was exceeded (`--max-rss-mb`, descriptors under the limit).

    cargo build --release -p extenddo-cli
    .venv/bin/python bench/many_tables.py --tables 10000
"""

import argparse
import http.client
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchutil import call, free_port

REPO = Path(__file__).resolve().parent.parent


class Server:
    def __init__(self, binary, data_dir, port, nofile, extra):
        self.binary, self.data_dir, self.port, self.nofile = binary, data_dir, port, nofile
        self.extra = extra
        self.proc = None
        self.log = open(Path(data_dir).parent / "server.log", "ab")

    def start(self):
        def limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))
            os.setpgrp()
        t0 = time.time()
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir",
             str(self.data_dir), *self.extra],
            stdout=self.log, stderr=self.log, preexec_fn=limit)
        while True:
            try:
                status, _ = call(http.client.HTTPConnection("127.0.0.1", self.port, timeout=5),
                                 "ListTables", {"Limit": 1})
                if status == 200:
                    return time.time() - t0
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited with {self.proc.returncode}")
            time.sleep(0.02)

    def kill9(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


class Sampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.pid = None
        self.samples = []
        self.stop = False

    def run(self):
        while not self.stop:
            pid = self.pid
            if pid:
                try:
                    st = Path(f"/proc/{pid}/status").read_text()
                    f = dict(l.split(":", 1) for l in st.splitlines() if ":" in l)
                    f = {k: v.split()[0] for k, v in f.items() if v.split()}
                    fds = len(os.listdir(f"/proc/{pid}/fd"))
                    self.samples.append({"t": time.time(), "threads": int(f["Threads"]),
                                         "rss_kb": int(f["VmRSS"]), "hwm_kb": int(f["VmHWM"]),
                                         "fds": fds})
                except (OSError, KeyError, ValueError):
                    pass
            time.sleep(1)

    def peak(self, key, since=0):
        vals = [s[key] for s in self.samples if s["t"] >= since]
        return max(vals) if vals else None


def run_phase(port, clients, n, work):
    """Runs work(conn, i) for i in range(n) on `clients` threads; returns (seconds, errors)."""
    local = threading.local()
    errors = []

    def one(i):
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            err = work(local.conn, i)
        except (OSError, http.client.HTTPException, ValueError) as e:
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            err = f"{type(e).__name__}: {e}"
        if err:
            errors.append((i, err))

    t0 = time.time()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(n)))
    return time.time() - t0, errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--nofile", type=int, default=1024)
    ap.add_argument("--max-rss-mb", type=int, default=128)
    ap.add_argument("--bin", default=str(REPO / "target" / "release" / "extenddo"))
    ap.add_argument("--server-arg", action="append", default=[],
                    help="extra argument for `extenddo serve` (repeatable)")
    a = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="extenddo-many-tables-"))
    server = Server(a.bin, tmp / "data", free_port(), a.nofile, a.server_arg)
    sampler = Sampler()
    sampler.start()
    out = {"tables": a.tables, "clients": a.clients, "nofile": a.nofile, "cores": os.cpu_count()}
    failures = []
    try:
        out["start_empty_s"] = round(server.start(), 3)
        sampler.pid = server.proc.pid
        name = lambda i: f"t{i:06d}"

        def create_and_put(conn, i):
            status, body = call(conn, "CreateTable", {
                "TableName": name(i), "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})
            if status != 200:
                return f"CreateTable {status} {body}"
            for _ in range(200):
                status, body = call(conn, "PutItem", {
                    "TableName": name(i), "Item": {"pk": {"S": "k"}, "v": {"N": str(i)}}})
                if status == 200:
                    return None
                if "ResourceNotFound" not in body.get("__type", ""):
                    break
                time.sleep(0.01)
            return f"PutItem {status} {body}"

        def get(conn, i):
            status, body = call(conn, "GetItem", {"TableName": name(i), "Key": {"pk": {"S": "k"}},
                                                  "ConsistentRead": True})
            if status != 200 or body.get("Item", {}).get("v") != {"N": str(i)}:
                return f"GetItem {status} {body}"
            return None

        t_create = time.time()
        secs, errs = run_phase(server.port, a.clients, a.tables, create_and_put)
        out["create_put_s"] = round(secs, 2)
        out["creates_per_s"] = round(a.tables / secs, 1)
        failures += [f"create {e}" for e in errs[:5]]
        secs, errs = run_phase(server.port, a.clients, a.tables, get)
        out["get_all_s"] = round(secs, 2)
        failures += [f"get {e}" for e in errs[:5]]
        out["peak_threads"] = sampler.peak("threads", t_create)
        out["peak_fds"] = sampler.peak("fds", t_create)
        out["peak_rss_mb"] = round((sampler.peak("rss_kb", t_create) or 0) / 1024, 1)
        out["hwm_rss_mb"] = round((sampler.peak("hwm_kb", t_create) or 0) / 1024, 1)

        server.kill9()
        sampler.pid = None
        out["restart_s"] = round(server.start(), 3)
        sampler.pid = server.proc.pid
        t_restart = time.time()
        secs, errs = run_phase(server.port, a.clients, a.tables, get)
        out["get_all_after_restart_s"] = round(secs, 2)
        failures += [f"get after restart {e}" for e in errs[:5]]
        time.sleep(2)
        out["after_restart_peak_threads"] = sampler.peak("threads", t_restart)
        out["after_restart_peak_fds"] = sampler.peak("fds", t_restart)
        out["after_restart_hwm_rss_mb"] = round((sampler.peak("hwm_kb", t_restart) or 0) / 1024, 1)
        out["disk_mb"] = round(sum(f.stat().st_size for f in (tmp / "data").rglob("*")
                                   if f.is_file()) / 2**20, 1)
    finally:
        sampler.stop = True
        if server.proc and server.proc.poll() is None:
            server.kill9()
    for key in ("hwm_rss_mb", "after_restart_hwm_rss_mb"):
        if out.get(key, 0) > a.max_rss_mb:
            failures.append(f"{key} {out[key]} MB > {a.max_rss_mb} MB")
    for key in ("peak_fds", "after_restart_peak_fds"):
        if (out.get(key) or 0) >= a.nofile:
            failures.append(f"{key} {out[key]} reached the limit {a.nofile}")
    out["failures"] = failures
    print(json.dumps(out, indent=2))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
