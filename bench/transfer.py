#!/usr/bin/env python3
"""bench/transfer.py — how fast ImportTable and ExportTableToPointInTime move items.

Writes a gzip'd DYNAMODB_JSON file of about `--mb` MB (compressed; items of ~230 bytes with a
random payload, so the file does not compress away), starts `extenddo serve` (release
build, fresh temporary data dir, 127.0.0.1), puts the file into the object store's bucket
directory and times, through boto3:
  - ImportTable (GZIP, DYNAMODB_JSON) until COMPLETED: items/s and MB/s (compressed input);
  - with point-in-time recovery turned on for the imported table, a FULL_EXPORT in
    DYNAMODB_JSON and one in ION until COMPLETED: items/s.
Counts are checked (ImportedItemCount, the export's ItemCount == items written). Prints one
JSON line and a markdown table; stops only the server it started (by PID).

Usage: bench/transfer.py [--mb 100] [--extenddo PATH]
Dynoxide, dynalite and moto have no import from or export to a local object store, so the
numbers are absolute (noisy on shared machines) and compared run to run.
"""

import argparse
import base64
import gzip
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import boto3

from benchutil import free_port

ROOT = Path(__file__).resolve().parents[1]


def write_file(path: Path, mb: int) -> int:
    """A gzip'd DYNAMODB_JSON file of about `mb` MB; returns its item count."""
    target = mb * 1_000_000
    n = 0
    rnd = os.urandom(1 << 20)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) as gz:
        while raw.tell() < target:
            lines = []
            for _ in range(5000):
                off = (n * 97) % ((1 << 20) - 120)
                pad = base64.b64encode(rnd[off:off + 90]).decode()
                lines.append(json.dumps({"Item": {
                    "pk": {"S": f"user#{n:09d}"}, "n": {"N": str(n)},
                    "tags": {"SS": ["a", "b"]}, "pad": {"S": pad}}}))
                n += 1
            gz.write(("\n".join(lines) + "\n").encode())
    return n


def wait(c, op, key, arn, timeout=3600):
    start = time.monotonic()
    while True:
        d = getattr(c, op)(**{key: arn})
        d = d.get("ImportTableDescription") or d.get("ExportDescription")
        status = d.get("ImportStatus") or d.get("ExportStatus")
        if status != "IN_PROGRESS":
            return d, time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise SystemExit(f"timed out waiting for {arn}")
        time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--extenddo", default=str(ROOT / "target/release/extenddo"))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="extenddo-transfer-bench-"))
    src = work / "items.json.gz"
    n = write_file(src, args.mb)
    size = src.stat().st_size
    bucket = work / "data/objects/buckets/bench/in"
    bucket.mkdir(parents=True)
    shutil.move(str(src), bucket / "items.json.gz")
    port = free_port()
    log = open(work / "server.log", "wb")
    server = subprocess.Popen([args.extenddo, "serve", "--listen", f"127.0.0.1:{port}",
                               "--data-dir", str(work / "data")],
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        c = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}",
                         region_name="us-east-1", aws_access_key_id="x",
                         aws_secret_access_key="x")
        for _ in range(100):
            try:
                c.list_tables()
                break
            except Exception:
                time.sleep(0.1)
        r = c.import_table(
            S3BucketSource={"S3Bucket": "bench", "S3KeyPrefix": "in/"},
            InputFormat="DYNAMODB_JSON", InputCompressionType="GZIP",
            TableCreationParameters={
                "TableName": "imported", "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
        d, import_s = wait(c, "describe_import", "ImportArn",
                           r["ImportTableDescription"]["ImportArn"])
        assert d["ImportStatus"] == "COMPLETED" and d["ImportedItemCount"] == n, d
        c.update_continuous_backups(TableName="imported", PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
        arn = c.describe_table(TableName="imported")["Table"]["TableArn"]
        exports = {}
        for fmt in ("DYNAMODB_JSON", "ION"):
            e = c.export_table_to_point_in_time(TableArn=arn, S3Bucket="bench", ExportFormat=fmt)
            d, secs = wait(c, "describe_export", "ExportArn", e["ExportDescription"]["ExportArn"])
            assert d["ExportStatus"] == "COMPLETED" and d["ItemCount"] == n, d
            exports[fmt] = secs
        out = {"items": n, "gzip_mb": round(size / 1e6, 1), "import_s": round(import_s, 2),
               "import_items_per_s": round(n / import_s),
               "import_mb_per_s": round(size / 1e6 / import_s, 1),
               **{f"export_{k.lower()}_s": round(v, 2) for k, v in exports.items()},
               **{f"export_{k.lower()}_items_per_s": round(n / v) for k, v in exports.items()}}
        print(json.dumps(out))
        print()
        print("| input | items | ImportTable | items/s | MB/s (gzip) | export DYNAMODB_JSON | "
              "items/s | export ION | items/s |")
        print("|---|---|---|---|---|---|---|---|---|")
        print(f"| {out['gzip_mb']} MB gzip | {n:,} | {out['import_s']} s | "
              f"{out['import_items_per_s']:,} | {out['import_mb_per_s']} | "
              f"{out['export_dynamodb_json_s']} s | {out['export_dynamodb_json_items_per_s']:,} | "
              f"{out['export_ion_s']} s | {out['export_ion_items_per_s']:,} |")
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(server.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
