#!/usr/bin/env python3
"""bench/restore.py — how long backups and restores take, for tables of N items.

For each N: starts `extenddo serve` (release build, fresh temporary data dir, 127.0.0.1),
creates the bench table with point-in-time recovery on, preloads N items (~100 bytes each)
with `extenddo-bench --setup-only` (BatchWriteItem, 16 connections), then times, through
boto3:
  - CreateBackup until the backup is AVAILABLE (snapshot + manifest in the object store);
  - RestoreTableFromBackup until the new table is ACTIVE;
  - RestoreTableToPointInTime (UseLatestRestorableTime) until ACTIVE: the source archives
    what is not archived yet; the restore loads the newest snapshot and folds the segments
    after it.
Each restored table's ItemCount is checked against N. Prints one JSON line per N and a
markdown table; stops only the server it started (by PID).

Usage: bench/restore.py [--items 100000 1000000] [--extenddo PATH] [--bench PATH]
Other engines have no backups or point-in-time restore, so there is nothing to compare with:
the numbers are absolute (noisy on shared machines) and compared run to run.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

from benchutil import free_port

ROOT = Path(__file__).resolve().parents[1]
TABLE = "extenddo_bench_kv"


def wait(pred, what, timeout=3600):
    start = time.monotonic()
    while not pred():
        if time.monotonic() - start > timeout:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - start


def run(n, extenddo, bench):
    work = Path(tempfile.mkdtemp(prefix="extenddo-restore-bench-"))
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = open(work / "server.log", "wb")
    server = subprocess.Popen([extenddo, "serve", "--listen", f"127.0.0.1:{port}",
                               "--data-dir", str(work / "data")],
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="x")
        wait(lambda: _up(ddb), "the server")
        common = [bench, "--endpoint", endpoint, "--workload", "get", "--setup", "--setup-only",
                  "--json"]
        subprocess.run(common + ["--items", "1"], check=True, capture_output=True)
        ddb.update_continuous_backups(
            TableName=TABLE,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        t = time.monotonic()
        subprocess.run(common + ["--items", str(n)], check=True, capture_output=True)
        preload = time.monotonic() - t
        count = ddb.describe_table(TableName=TABLE)["Table"]["ItemCount"]

        t = time.monotonic()
        arn = ddb.create_backup(TableName=TABLE, BackupName="bench")["BackupDetails"]["BackupArn"]
        backup = t and wait(lambda: ddb.describe_backup(BackupArn=arn)["BackupDescription"]
                            ["BackupDetails"]["BackupStatus"] == "AVAILABLE", "the backup")
        backup = time.monotonic() - t

        def restored(name):
            d = ddb.describe_table(TableName=name)["Table"]
            return d["TableStatus"] == "ACTIVE" and d

        t = time.monotonic()
        ddb.restore_table_from_backup(TargetTableName="from_backup", BackupArn=arn)
        wait(lambda: restored("from_backup"), "the restore from the backup")
        from_backup = time.monotonic() - t
        assert restored("from_backup")["ItemCount"] == count

        t = time.monotonic()
        ddb.restore_table_to_point_in_time(SourceTableName=TABLE, TargetTableName="to_time",
                                           UseLatestRestorableTime=True)
        wait(lambda: restored("to_time"), "the point-in-time restore")
        to_time = time.monotonic() - t
        assert restored("to_time")["ItemCount"] == count
        size = sum(p.stat().st_size for p in (work / "data" / "objects").rglob("*")
                   if p.is_file())
        return {"items": count, "preload_s": round(preload, 2), "backup_s": round(backup, 2),
                "restore_backup_s": round(from_backup, 2),
                "restore_pitr_s": round(to_time, 2),
                "restore_items_per_s": round(count / from_backup),
                "object_store_bytes": size}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def _up(ddb):
    try:
        ddb.list_tables()
        return True
    except Exception:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--extenddo", default=str(ROOT / "target" / "release" / "extenddo"))
    ap.add_argument("--bench", default=str(ROOT / "target" / "release" / "extenddo-bench"))
    a = ap.parse_args()
    rows = []
    for n in a.items:
        r = run(n, a.extenddo, a.bench)
        print(json.dumps(r), flush=True)
        rows.append(r)
    print("\n| items | CreateBackup → AVAILABLE | RestoreTableFromBackup → ACTIVE | "
          "RestoreTableToPointInTime → ACTIVE | restore rate | object store |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['items']:,} | {r['backup_s']} s | {r['restore_backup_s']} s | "
              f"{r['restore_pitr_s']} s | {r['restore_items_per_s']:,} items/s | "
              f"{r['object_store_bytes'] / 1e6:.1f} MB |")


if __name__ == "__main__":
    sys.exit(main())
