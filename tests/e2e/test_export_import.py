"""Exports to and imports from the object store in AWS's formats, through boto3, on either host.

A bucket named by a request is `buckets/<bucket>/` of the host's object store (natively
`DATA_DIR/objects/buckets/<bucket>/`, on the Worker that prefix of the local R2 bucket). What
an export writes is read here by an independent reader that follows AWS's documented layout
(manifest-summary.json, manifest-files.json with md5/etag per data file, gzip'd JSON lines or
Amazon Ion text read with `amazon.ion`), never by ExtendDO's code. Imports read what exports
wrote and files written by the tests (DYNAMODB_JSON, ION and CSV; GZIP, ZSTD and NONE).

This module's host accepts incremental export windows from 1 s (`--incremental-export-min-ms`;
Worker: a var) so that a window can be exported without waiting AWS's 15 minutes.
"""

import base64
import gzip
import hashlib
import io
import json
import os
import signal
import time
from decimal import Decimal
from pathlib import Path

import pytest
import zstandard
from amazon.ion import simpleion
from amazon.ion.core import IonType

from conftest import NativeHost, WorkerHost, native_binary
from ddbutil import expect_error, query_all, unique_name
import storeutil

MIN_WINDOW_MS = 1000
N = 20_000
BUCKET = "e2e-exports"


@pytest.fixture(scope="module")
def xh(host):
    if host.kind == "native":
        h = NativeHost(native_binary(),
                       extra_args=["--incremental-export-min-ms", str(MIN_WINDOW_MS)])
    elif host.kind == "worker":
        h = WorkerHost(extra_vars=[f"INCREMENTAL_EXPORT_MIN_MS:{MIN_WINDOW_MS}"])
    else:
        pytest.skip("needs a host started by the suite")
    h.start()
    yield h
    h.cleanup()


@pytest.fixture
def c(xh):
    return xh.client()


# ---- values: the model's and the independent reader's ---------------------------------


def norm_av(av):
    """An AttributeValue in a form equal for equal values (numbers as Decimals, sets sorted)."""
    (k, v), = av.items()
    if k == "N":
        return ("N", Decimal(v))
    if k == "NS":
        return ("NS", tuple(sorted(Decimal(x) for x in v)))
    if k == "SS":
        return ("SS", tuple(sorted(v)))
    if k == "BS":
        return ("BS", tuple(sorted(bytes(x) if not isinstance(x, str) else base64.b64decode(x)
                                   for x in v)))
    if k == "B":
        return ("B", bytes(v) if not isinstance(v, str) else base64.b64decode(v))
    if k == "M":
        return ("M", norm(v))
    if k == "L":
        return ("L", tuple(norm_av(x) for x in v))
    return (k, v)


def norm(item):
    return tuple(sorted((n, norm_av(v)) for n, v in item.items()))


def item(i, version=0):
    """An item with every attribute type, nesting, odd names and odd text."""
    it = {
        "pk": {"S": f"k{i:06d}"},
        "n": {"N": str(i * 3 - 7)},
        "d": {"N": f"{i}.{i % 97:02d}"},
        "neg": {"N": "-0.000120"} if i % 5 == 0 else {"N": "1E+30"},
        "s": {"S": f"text {i} é ✓ \"q\" \\ /\n\t"},
        "empty": {"S": ""},
        "b": {"B": bytes([i % 256, 0, 255]) * (i % 4)},
        "t": {"BOOL": i % 2 == 0},
        "z": {"NULL": True},
        "ss": {"SS": [f"a{i % 3}", "zz"]},
        "ns": {"NS": ["1", "2.5", str(i)] if i not in (1, 2) else ["7"]},
        "bs": {"BS": [b"\x01", bytes([i % 256 or 1, 9])]},
        "m": {"M": {"l": {"L": [{"N": str(version)}, {"BOOL": False}, {"NULL": True},
                                {"M": {"deep": {"S": "x" * (i % 5)}}}]},
                    "with space": {"S": "v"}, "null": {"N": "0"}, "it's": {"SS": ["q"]}}},
        "v": {"N": str(version)},
    }
    if i % 4 == 0:
        it["g"] = {"S": f"g{i % 10}"}
    return it


def batch_put(c, table, items):
    items = list(items)
    for at in range(0, len(items), 25):
        reqs = [{"PutRequest": {"Item": it}} for it in items[at:at + 25]]
        for _ in range(50):
            out = c.batch_write_item(RequestItems={table: reqs})
            reqs = out.get("UnprocessedItems", {}).get(table, [])
            if not reqs:
                break
        assert not reqs


def make_table(c, name, pitr=True, gsi=False):
    kw = {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
          "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
          "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}
    if gsi:
        kw["AttributeDefinitions"].append({"AttributeName": "g", "AttributeType": "S"})
        kw["GlobalSecondaryIndexes"] = [{"IndexName": "by_g", "Projection": {"ProjectionType": "ALL"},
                                         "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}]
    c.create_table(**kw)
    if pitr:
        c.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
    return c.describe_table(TableName=name)["Table"]["TableArn"]


def creation(name, gsi=False):
    p = {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
         "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
         "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}
    if gsi:
        p["AttributeDefinitions"].append({"AttributeName": "g", "AttributeType": "S"})
        p["GlobalSecondaryIndexes"] = [{"IndexName": "by_g", "Projection": {"ProjectionType": "ALL"},
                                        "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}]
    return p


def wait_export(c, arn, timeout=300):
    deadline = time.monotonic() + timeout
    while True:
        d = c.describe_export(ExportArn=arn)["ExportDescription"]
        if d["ExportStatus"] != "IN_PROGRESS":
            return d
        assert time.monotonic() < deadline, d
        time.sleep(0.2)


def wait_import(c, arn, timeout=300):
    deadline = time.monotonic() + timeout
    while True:
        d = c.describe_import(ImportArn=arn)["ImportTableDescription"]
        if d["ImportStatus"] != "IN_PROGRESS":
            return d
        assert time.monotonic() < deadline, d
        time.sleep(0.2)


def scan_all(c, table):
    items, _ = query_all(c, _op="scan", TableName=table)
    return items


# ---- the independent reader -------------------------------------------------------------


def bucket_file(h, bucket, key):
    full = f"buckets/{bucket}/{key}"
    if h.kind == "native":
        p = h.data_dir / "objects" / full
        assert p.is_file(), f"{bucket}/{key} is not in the object store"
        return p.read_bytes()
    found = [p for k, p in storeutil.objects(h, full) if k == full]
    assert found, f"{bucket}/{key} is not in the object store"
    return Path(found[0]).read_bytes()


def ion_to_av(v):
    anns = [a.text for a in getattr(v, "ion_annotations", ())]
    t = getattr(v, "ion_type", None)
    if "$dynamodb_SS" in anns:
        return {"SS": [str(x) for x in v]}
    if "$dynamodb_NS" in anns:
        return {"NS": [str(x) for x in v]}
    if "$dynamodb_BS" in anns:
        return {"BS": [bytes(x) for x in v]}
    if v is None or t == IonType.NULL or type(v).__name__ == "IonPyNull":
        return {"NULL": True}
    if t == IonType.BOOL or isinstance(v, bool):
        return {"BOOL": bool(v)}
    if t in (IonType.INT, IonType.DECIMAL, IonType.FLOAT) or isinstance(v, (int, Decimal)):
        return {"N": str(v)}
    if t in (IonType.STRING, IonType.SYMBOL) or isinstance(v, str):
        return {"S": str(v)}
    if t == IonType.BLOB or isinstance(v, (bytes, bytearray)):
        return {"B": bytes(v)}
    if t == IonType.STRUCT or isinstance(v, dict):
        return {"M": {k: ion_to_av(x) for k, x in v.items()}}
    if t == IonType.LIST or isinstance(v, list):
        return {"L": [ion_to_av(x) for x in v]}
    raise AssertionError(f"an Ion value of no DynamoDB type: {v!r}")


def read_export(h, desc):
    """Reads an export as AWS documents it; returns (summary, [record]) where a record is
    the DynamoDB JSON of the data line (`{"Item": …}` or an incremental record)."""
    bucket = desc["S3Bucket"]
    summary_bytes = bucket_file(h, bucket, desc["ExportManifest"])
    md5 = bucket_file(h, bucket, desc["ExportManifest"][:-len(".json")] + ".md5").decode()
    assert md5 == base64.b64encode(hashlib.md5(summary_bytes).digest()).decode()
    summary = json.loads(summary_bytes)
    assert summary["exportArn"] == desc["ExportArn"]
    assert summary["outputFormat"] == desc["ExportFormat"]
    files = bucket_file(h, bucket, summary["manifestFilesS3Key"]).decode().splitlines()
    records = []
    for line in files:
        f = json.loads(line)
        data = bucket_file(h, bucket, f["dataFileS3Key"])
        assert f["etag"] == hashlib.md5(data).hexdigest()
        assert f["md5Checksum"] == base64.b64encode(hashlib.md5(data).digest()).decode()
        text = gzip.decompress(data).decode()
        lines = [ln for ln in text.splitlines() if ln.strip()]
        assert len(lines) == f["itemCount"]
        ext = ".json.gz" if summary["outputFormat"] == "DYNAMODB_JSON" else ".ion.gz"
        assert f["dataFileS3Key"].endswith(ext)
        for ln in lines:
            if summary["outputFormat"] == "DYNAMODB_JSON":
                records.append(json.loads(ln))
            else:
                v = simpleion.loads(ln)
                records.append({k: (ion_to_av(x)["M"] if k != "Metadata" else
                                    {"WriteTimestampMicros": {"N": str(x["WriteTimestampMicros"])}})
                                for k, x in v.items()})
    assert len(records) == summary["itemCount"] == desc["ItemCount"]
    return summary, records


# ---- tests ----------------------------------------------------------------------------


@pytest.mark.timeout(900)
def test_full_export_in_both_formats_round_trips_through_import(xh, c):
    src = unique_name("exp-src")
    arn = make_table(c, src, gsi=True)
    model = {f"k{i:06d}": item(i) for i in range(N)}
    batch_put(c, src, model.values())
    at = time.time()
    time.sleep(0.05)
    # Writes after ExportTime are not in the export.
    c.put_item(TableName=src, Item=item(N + 1))
    c.delete_item(TableName=src, Key={"pk": {"S": "k000003"}})
    for fmt in ("DYNAMODB_JSON", "ION"):
        d = c.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, S3Prefix=f"full/{fmt}",
                                            ExportFormat=fmt, ExportTime=at)["ExportDescription"]
        assert d["ExportStatus"] == "IN_PROGRESS" or d["ExportStatus"] == "COMPLETED"
        assert d["ExportArn"].startswith(arn + "/export/")
        d = wait_export(c, d["ExportArn"])
        assert d["ExportStatus"] == "COMPLETED", d
        assert d["ExportManifest"].startswith(f"full/{fmt}/AWSDynamoDB/")
        assert d["ExportType"] == "FULL_EXPORT" and d["ExportFormat"] == fmt
        assert abs(d["ExportTime"].timestamp() - at) < 0.002
        summary, records = read_export(xh, d)
        assert summary["version"] == "2020-06-30"
        assert summary["itemCount"] == N and summary["tableArn"] == arn
        got = {r["Item"]["pk"]["S"]: norm(r["Item"]) for r in records}
        assert len(got) == N
        bad = [k for k, v in model.items() if got.get(k) != norm(v)][:3]
        assert not bad, [(k, got.get(k), norm(model[k])) for k in bad]

        # The export's data files import into a new table, item for item, index included.
        dst = unique_name(f"imp-{fmt[:3].lower()}")
        data_prefix = d["ExportManifest"].rsplit("/", 1)[0] + "/data/"
        r = c.import_table(S3BucketSource={"S3Bucket": BUCKET, "S3KeyPrefix": data_prefix},
                           InputFormat=fmt, InputCompressionType="GZIP",
                           TableCreationParameters=creation(dst, gsi=True))["ImportTableDescription"]
        assert r["ImportStatus"] == "IN_PROGRESS"
        assert r["TableArn"].endswith(f":table/{dst}")
        r = wait_import(c, r["ImportArn"])
        assert r["ImportStatus"] == "COMPLETED", r
        assert (r["ImportedItemCount"], r["ProcessedItemCount"], r["ErrorCount"]) == (N, N, 0)
        assert r["ProcessedSizeBytes"] > 0
        assert c.describe_table(TableName=dst)["Table"]["TableStatus"] == "ACTIVE"
        imported = {i["pk"]["S"]: norm(i) for i in scan_all(c, dst)}
        assert imported == {k: norm(v) for k, v in model.items()}
        q, _ = query_all(c, TableName=dst, IndexName="by_g", KeyConditionExpression="g = :g",
                         ExpressionAttributeValues={":g": {"S": "g4"}})
        assert sorted(i["pk"]["S"] for i in q) == sorted(
            k for k, v in model.items() if v.get("g") == {"S": "g4"})


def test_incremental_export_matches_the_writes_of_its_window(xh, c):
    src = unique_name("inc-src")
    arn = make_table(c, src)
    batch_put(c, src, (item(i) for i in range(300)))
    time.sleep(0.05)
    start = time.time()
    time.sleep(0.05)
    # In the window: new items, updates, deletes, an item created and deleted again.
    before = {f"k{i:06d}": item(i) for i in range(300)}
    batch_put(c, src, (item(i) for i in range(300, 350)))
    for i in range(0, 40, 4):
        c.update_item(TableName=src, Key={"pk": {"S": f"k{i:06d}"}},
                      UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "9"}})
    for i in range(1, 40, 4):
        c.delete_item(TableName=src, Key={"pk": {"S": f"k{i:06d}"}})
    c.put_item(TableName=src, Item=item(999))
    c.delete_item(TableName=src, Key={"pk": {"S": "k000999"}})
    time.sleep(max(0.05, MIN_WINDOW_MS / 1000 - (time.time() - start) + 0.05))
    end = time.time()
    time.sleep(0.05)
    c.put_item(TableName=src, Item=item(5000))  # after the window
    for view in ("NEW_AND_OLD_IMAGES", "NEW_IMAGE"):
        for fmt in ("DYNAMODB_JSON", "ION"):
            d = c.export_table_to_point_in_time(
                TableArn=arn, S3Bucket=BUCKET, S3Prefix="inc", ExportFormat=fmt,
                ExportType="INCREMENTAL_EXPORT",
                IncrementalExportSpecification={"ExportFromTime": start, "ExportToTime": end,
                                                "ExportViewType": view})["ExportDescription"]
            assert d["ExportType"] == "INCREMENTAL_EXPORT"
            assert d["IncrementalExportSpecification"]["ExportViewType"] == view
            d = wait_export(c, d["ExportArn"])
            assert d["ExportStatus"] == "COMPLETED", d
            summary, records = read_export(xh, d)
            assert summary["exportType"] == "INCREMENTAL_EXPORT" and summary["outputView"] == view
            by_key = {r["Keys"]["pk"]["S"]: r for r in records}
            assert len(by_key) == len(records)
            new = {f"k{i:06d}" for i in range(300, 350)}
            updated = {f"k{i:06d}" for i in range(0, 40, 4)}
            deleted = {f"k{i:06d}" for i in range(1, 40, 4)}
            assert set(by_key) == new | updated | deleted, sorted(set(by_key) ^ (new | updated | deleted))
            for k, r in by_key.items():
                ts = int(r["Metadata"]["WriteTimestampMicros"]["N"])
                assert start * 1e6 - 2000 <= ts <= end * 1e6 + 2000
                if k in deleted:
                    assert "NewImage" not in r
                else:
                    want = dict(before.get(k) or item(int(k[1:])))
                    if k in updated:
                        want["v"] = {"N": "9"}
                    assert norm(r["NewImage"]) == norm(want)
                if view == "NEW_AND_OLD_IMAGES" and k not in new:
                    assert norm(r["OldImage"]) == norm(before[k])
                else:
                    assert "OldImage" not in r


def test_export_errors(xh, c):
    name = unique_name("exp-err")
    arn = make_table(c, name, pitr=False)
    expect_error(lambda: c.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET),
                 "PointInTimeRecoveryUnavailableException",
                 f"Point in time recovery is not enabled for table '{name}'")
    missing = arn.replace(name, name + "-nope")
    expect_error(lambda: c.export_table_to_point_in_time(TableArn=missing, S3Bucket=BUCKET),
                 "TableNotFoundException", f"Table not found: {missing}")
    expect_error(lambda: c.export_table_to_point_in_time(TableArn=name, S3Bucket=BUCKET),
                 "ValidationException",
                 "One or more parameter values were invalid: tableArn is not a valid ARN")
    c.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    expect_error(lambda: c.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET,
                                                         ExportTime=time.time() + 3600),
                 "InvalidExportTimeException", "Export Time is invalid")
    expect_error(lambda: c.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET,
                                                         ExportTime=time.time() - 86400),
                 "InvalidExportTimeException", "Export Time is invalid")
    expect_error(lambda: c.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=BUCKET, ExportType="INCREMENTAL_EXPORT"),
        "ValidationException",
        "Invalid Request: Incremental Export Specification expected when export type is set as Incremental Export")
    expect_error(lambda: c.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=BUCKET, ExportType="FULL_EXPORT",
        IncrementalExportSpecification={"ExportFromTime": time.time() - 10}),
        "ValidationException",
        "Invalid Request: When Export Type is Full Export , Incremental Export Specification should not be provided")
    expect_error(lambda: c.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=BUCKET, ExportType="INCREMENTAL_EXPORT",
        IncrementalExportSpecification={"ExportToTime": time.time()}),
        "ValidationException",
        "Invalid Request: ExportFromTime must be provided in IncrementalExportSpecification")
    now = time.time()
    expect_error(lambda: c.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=BUCKET, ExportType="INCREMENTAL_EXPORT",
        IncrementalExportSpecification={"ExportFromTime": now - 86400, "ExportToTime": now}),
        "InvalidExportTimeException",
        contains="Incremental export period from time cannot be less than the table creation time : ")
    expect_error(lambda: c.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=BUCKET, ExportType="INCREMENTAL_EXPORT",
        IncrementalExportSpecification={"ExportFromTime": now + 1, "ExportToTime": now + 3600}),
        "InvalidExportTimeException",
        contains="Incremental export period to time cannot be greater than the current time : ")
    created = c.describe_table(TableName=name)["Table"]["CreationDateTime"].timestamp()
    # A window from before point-in-time recovery was turned on.
    expect_error(lambda: c.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=BUCKET, ExportType="INCREMENTAL_EXPORT",
        IncrementalExportSpecification={"ExportFromTime": created, "ExportToTime": now}),
        "InvalidExportTimeException",
        "Point in Time Recovery is not available for specified export time")
    time.sleep(0.3)
    expect_error(lambda: c.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=BUCKET, ExportType="INCREMENTAL_EXPORT",
        IncrementalExportSpecification={"ExportFromTime": now + 0.01,
                                        "ExportToTime": now + 0.2}),
        "InvalidExportTimeException", contains="Difference between export period from time")
    expect_error(lambda: c.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET,
                                                         ExportFormat="CSV"),
                 "ValidationException", contains="Value 'CSV' at 'exportFormat' failed to satisfy constraint")
    expect_error(lambda: c.describe_export(ExportArn=arn + "/export/01796392603697-f5854801"),
                 "ExportNotFoundException", contains="Export not found")
    expect_error(lambda: c.describe_export(ExportArn=arn + "/import/01796392603697-f5854801"),
                 "ValidationException", "Invalid Export ARN")
    # A ClientToken names one export: the same request again answers it, another conflicts.
    d1 = c.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, ClientToken="tok-1")
    d2 = c.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, ClientToken="tok-1")
    assert d1["ExportDescription"]["ExportArn"] == d2["ExportDescription"]["ExportArn"]
    expect_error(lambda: c.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET,
                                                         S3Prefix="other", ClientToken="tok-1"),
                 "ExportConflictException",
                 "Export conflict: Duplicate request detected with conflicting parameters")
    wait_export(c, d1["ExportDescription"]["ExportArn"])


def test_list_exports_pages_newest_first(xh, c):
    name = unique_name("exp-list")
    arn = make_table(c, name)
    c.put_item(TableName=name, Item=item(1))
    arns = []
    for n in range(3):
        arns.append(c.export_table_to_point_in_time(
            TableArn=arn, S3Bucket=BUCKET, S3Prefix=f"list/{n}")["ExportDescription"]["ExportArn"])
        time.sleep(0.01)
    for a in arns:
        wait_export(c, a)
    seen, token = [], None
    while True:
        kw = {"TableArn": arn, "MaxResults": 2}
        if token:
            kw["NextToken"] = token
        page = c.list_exports(**kw)
        assert len(page["ExportSummaries"]) <= 2
        seen += page["ExportSummaries"]
        token = page.get("NextToken")
        if not token:
            break
    assert [s["ExportArn"] for s in seen] == arns[::-1]
    assert all(s["ExportStatus"] == "COMPLETED" and s["ExportType"] == "FULL_EXPORT" for s in seen)
    expect_error(lambda: c.list_exports(MaxResults=26), "ValidationException",
                 contains="Member must have value less than or equal to 25")


def put_object(h, bucket, key, data, tmp_path):
    storeutil.put(h, f"buckets/{bucket}/{key}", data, tmp_path)


def test_import_formats_compressions_and_bad_lines(xh, c, tmp_path):
    bucket = "e2e-imports"
    lines = [json.dumps({"Item": item(i)["m"]["M"] | {"pk": {"S": f"j{i}"}}}) for i in range(50)]
    # Several values on one line are several items; a blank line is no item; a line without
    # "Item", a line that is not JSON and an item without its key are errors.
    lines.insert(10, json.dumps({"Item": {"pk": {"S": "two-a"}}}) + " " +
                 json.dumps({"Item": {"pk": {"S": "two-b"}}}))
    lines += ["", json.dumps({"pk": {"S": "no-item"}}), "{not json", json.dumps({"Item": {"x": {"S": "1"}}})]
    text = ("\n".join(lines) + "\n").encode()
    put_object(xh, bucket, "json/part-1.json.zst", zstandard.ZstdCompressor().compress(text),
               tmp_path)
    dst = unique_name("imp-zstd")
    r = c.import_table(S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "json/"},
                       InputFormat="DYNAMODB_JSON", InputCompressionType="ZSTD",
                       TableCreationParameters=creation(dst))["ImportTableDescription"]
    r = wait_import(c, r["ImportArn"])
    assert r["ImportStatus"] == "FAILED" and r["FailureCode"] == "ItemValidationError", r
    assert (r["ImportedItemCount"], r["ErrorCount"], r["ProcessedItemCount"]) == (52, 3, 55)
    got = {i["pk"]["S"] for i in scan_all(c, dst)}
    assert got == {f"j{i}" for i in range(50)} | {"two-a", "two-b"}
    assert c.describe_table(TableName=dst)["Table"]["TableStatus"] == "ACTIVE"

    # ION, uncompressed, one object named by its full key.
    ion_text = "$ion_1_0\n" + "\n".join(
        "{Item:{pk:\"i%d\", n:%d., s:'''long''' '''er''', l:[1, 2.5d1, {{AQI=}}], ns:$dynamodb_NS::[1.,2.]}}" % (i, i)
        for i in range(20)) + "\n"
    put_object(xh, bucket, "ion/one.ion", ion_text.encode(), tmp_path)
    dst = unique_name("imp-ion")
    r = c.import_table(S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "ion/one.ion"},
                       InputFormat="ION", TableCreationParameters=creation(dst))["ImportTableDescription"]
    r = wait_import(c, r["ImportArn"])
    assert r["ImportStatus"] == "COMPLETED" and r["ImportedItemCount"] == 20, r
    it = c.get_item(TableName=dst, Key={"pk": {"S": "i7"}})["Item"]
    assert norm(it) == norm({"pk": {"S": "i7"}, "n": {"N": "7"}, "s": {"S": "longer"},
                             "l": {"L": [{"N": "1"}, {"N": "25"}, {"B": b"\x01\x02"}]},
                             "ns": {"NS": ["1", "2"]}})

    # CSV with a header list and another delimiter, gzip'd; key attributes take their types.
    csv = "7|seven|\"x|y\"\n8|eight|\n9|nine|\"say \"\"hi\"\"\"\n".encode()
    put_object(xh, bucket, "csv/a.csv.gz", gzip.compress(csv), tmp_path)
    dst = unique_name("imp-csv")
    params = {"TableName": dst, "BillingMode": "PAY_PER_REQUEST",
              "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
              "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "N"}]}
    r = c.import_table(S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "csv/"}, InputFormat="CSV",
                       InputCompressionType="GZIP",
                       InputFormatOptions={"Csv": {"Delimiter": "|", "HeaderList": ["id", "name", "note"]}},
                       TableCreationParameters=params)["ImportTableDescription"]
    assert r["InputFormatOptions"] == {"Csv": {"Delimiter": "|", "HeaderList": ["id", "name", "note"]}}
    r = wait_import(c, r["ImportArn"])
    assert r["ImportStatus"] == "COMPLETED" and r["ImportedItemCount"] == 3, r
    items = {i["id"]["N"]: i for i in scan_all(c, dst)}
    assert items["7"] == {"id": {"N": "7"}, "name": {"S": "seven"}, "note": {"S": "x|y"}}
    assert items["8"] == {"id": {"N": "8"}, "name": {"S": "eight"}}
    assert items["9"]["note"] == {"S": 'say "hi"'}

    summaries = c.list_imports(PageSize=25)["ImportSummaryList"]
    assert {s["ImportArn"] for s in summaries} >= {r["ImportArn"]}


def test_import_errors(xh, c):
    name = unique_name("imp-err")
    make_table(c, name, pitr=False)
    expect_error(lambda: c.import_table(S3BucketSource={"S3Bucket": BUCKET}, InputFormat="DYNAMODB_JSON",
                                        TableCreationParameters=creation(name)),
                 "ResourceInUseException", f"Table already exists: {name}")
    expect_error(lambda: c.import_table(S3BucketSource={"S3Bucket": BUCKET}, InputFormat="DYNAMODB_JSON",
                                        InputFormatOptions={"Csv": {"Delimiter": ","}},
                                        TableCreationParameters=creation(unique_name("x"))),
                 "ValidationException",
                 "Invalid Request: Unsupported InputFormatOptions for the given input format: DYNAMODB_JSON.")
    expect_error(lambda: c.import_table(S3BucketSource={"S3Bucket": BUCKET}, InputFormat="XML",
                                        TableCreationParameters=creation(unique_name("x"))),
                 "ValidationException", contains="Value 'XML' at 'inputFormat' failed to satisfy constraint")
    expect_error(lambda: c.import_table(S3BucketSource={"S3Bucket": BUCKET}, InputFormat="CSV",
                                        InputFormatOptions={"Csv": {"Delimiter": "x"}},
                                        TableCreationParameters=creation(unique_name("x"))),
                 "ValidationException", contains="inputFormatOptions.csv.delimiter")
    arn = c.describe_table(TableName=name)["Table"]["TableArn"]
    expect_error(lambda: c.describe_import(ImportArn=arn + "/import/01796392603697-f5854801"),
                 "ImportNotFoundException")
    expect_error(lambda: c.describe_import(ImportArn=arn + "/export/01796392603697-f5854801"),
                 "ValidationException", "Invalid Import ARN")
    # No such bucket: the import fails and no table is made.
    dst = unique_name("imp-nob")
    r = c.import_table(S3BucketSource={"S3Bucket": "no-such-bucket-here"}, InputFormat="CSV",
                       TableCreationParameters=creation(dst))["ImportTableDescription"]
    r = wait_import(c, r["ImportArn"])
    assert r["ImportStatus"] == "FAILED" and r["FailureCode"] == "S3NoSuchBucket"
    expect_error(lambda: c.describe_table(TableName=dst), "ResourceNotFoundException")
    # A ClientToken names one import: the same table again answers it, another conflicts.
    dst = unique_name("imp-tok")
    a = c.import_table(S3BucketSource={"S3Bucket": BUCKET, "S3KeyPrefix": "nothing/"},
                       InputFormat="ION", ClientToken="imp-tok-1",
                       TableCreationParameters=creation(dst))["ImportTableDescription"]
    b = c.import_table(S3BucketSource={"S3Bucket": BUCKET, "S3KeyPrefix": "nothing/"},
                       InputFormat="ION", ClientToken="imp-tok-1",
                       TableCreationParameters=creation(dst))["ImportTableDescription"]
    assert a["ImportArn"] == b["ImportArn"]
    expect_error(lambda: c.import_table(S3BucketSource={"S3Bucket": BUCKET}, InputFormat="ION",
                                        ClientToken="imp-tok-1",
                                        TableCreationParameters=creation(dst + "-2")),
                 "ImportConflictException",
                 "Import conflict: Duplicate request detected with conflicting parameters")
    # A prefix with no objects in an existing bucket: an empty table.
    assert wait_import(c, a["ImportArn"])["ImportStatus"] == "COMPLETED"
    assert c.scan(TableName=dst)["Count"] == 0


# ---- kill -9 in the middle of an import and an export (native) --------------------------


def kill9_and_start(h):
    proc, h.proc = h.proc, None
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    h.start()


@pytest.mark.timeout(900)
def test_import_and_export_resume_after_kill_9(xh, tmp_path):
    if xh.kind != "native":
        pytest.skip("kills the native server")
    c = xh.client()
    big = 300_000
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=1) as gz:
        for i in range(big):
            gz.write(b'{"Item":{"pk":{"S":"p%07d"},"n":{"N":"%d"},"pad":{"S":"%s"}}}\n'
                     % (i, i, b"x" * (i % 50)))
    put_object(xh, "e2e-kill", "big/items.json.gz", buf.getvalue(), tmp_path)
    dst = unique_name("imp-k9")
    r = c.import_table(S3BucketSource={"S3Bucket": "e2e-kill", "S3KeyPrefix": "big/"},
                       InputFormat="DYNAMODB_JSON", InputCompressionType="GZIP",
                       TableCreationParameters=creation(dst))["ImportTableDescription"]
    time.sleep(0.5)
    assert c.describe_table(TableName=dst)["Table"]["TableStatus"] == "CREATING", \
        "the import ended before the kill: make it bigger"
    kill9_and_start(xh)
    c = xh.client()
    r = wait_import(c, r["ImportArn"])
    assert r["ImportStatus"] == "COMPLETED", r
    assert (r["ImportedItemCount"], r["ErrorCount"]) == (big, 0)
    keys = {i["pk"]["S"] for i in scan_all(c, dst)}
    assert len(keys) == big and keys == {"p%07d" % i for i in range(big)}

    # An export of that table, cut short: written again from the start after the restart.
    c.update_continuous_backups(TableName=dst, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    arn = c.describe_table(TableName=dst)["Table"]["TableArn"]
    d = c.export_table_to_point_in_time(TableArn=arn, S3Bucket="e2e-kill", S3Prefix="k9")
    time.sleep(0.3)
    assert c.describe_export(ExportArn=d["ExportDescription"]["ExportArn"])[
        "ExportDescription"]["ExportStatus"] == "IN_PROGRESS", "the export ended before the kill"
    kill9_and_start(xh)
    c = xh.client()
    d = wait_export(c, d["ExportDescription"]["ExportArn"])
    assert d["ExportStatus"] == "COMPLETED", d
    _, records = read_export(xh, d)
    assert sorted(r["Item"]["pk"]["S"] for r in records) == sorted(keys)
    # No data file of the cut-short attempt is left beside the manifest's.
    listed = {json.loads(ln)["dataFileS3Key"] for ln in bucket_file(
        xh, "e2e-kill", d["ExportManifest"].replace("manifest-summary", "manifest-files")).decode().splitlines()}
    present = {k.split("e2e-kill/", 1)[1] for k, _ in storeutil.objects(
        xh, "buckets/e2e-kill/" + d["ExportManifest"].rsplit("/", 1)[0] + "/data/")}
    assert present == listed


# ---- an S3-compatible object store (native, moto_server) --------------------------------


def test_export_and_import_with_an_s3_object_store(xh, tmp_path):
    """With `--object-store s3://…`, S3Bucket names a bucket at the same endpoint: the export
    is read back with an S3 client, and imported from there."""
    if xh.kind != "native":
        pytest.skip("the native host's S3 object store")
    with storeutil.s3_native_host(tmp_path, "store", []) as (h, moto):
        moto.s3.create_bucket(Bucket="exports")
        c = h.client()
        src = unique_name("s3-exp")
        arn = make_table(c, src)
        model = {f"k{i:06d}": item(i) for i in range(500)}
        batch_put(c, src, model.values())
        d = c.export_table_to_point_in_time(TableArn=arn, S3Bucket="exports", S3Prefix="p/q",
                                            ExportFormat="ION")["ExportDescription"]
        d = wait_export(c, d["ExportArn"])
        assert d["ExportStatus"] == "COMPLETED", d
        get = lambda key: moto.s3.get_object(Bucket="exports", Key=key)["Body"].read()
        summary = json.loads(get(d["ExportManifest"]))
        assert summary["itemCount"] == 500 and summary["s3Bucket"] == "exports"
        got = {}
        for line in get(summary["manifestFilesS3Key"]).decode().splitlines():
            f = json.loads(line)
            data = get(f["dataFileS3Key"])
            assert f["etag"] == hashlib.md5(data).hexdigest()
            for ln in gzip.decompress(data).decode().splitlines():
                it = ion_to_av(simpleion.loads(ln)["Item"])["M"]
                got[it["pk"]["S"]] = norm(it)
        assert got == {k: norm(v) for k, v in model.items()}
        # Nothing of the export went into the store's own bucket.
        own = moto.s3.list_objects_v2(Bucket="store").get("Contents", [])
        assert not [o for o in own if "AWSDynamoDB" in o["Key"]]
        dst = unique_name("s3-imp")
        r = c.import_table(S3BucketSource={"S3Bucket": "exports",
                                           "S3KeyPrefix": d["ExportManifest"].rsplit("/", 1)[0] + "/data/"},
                           InputFormat="ION", InputCompressionType="GZIP",
                           TableCreationParameters=creation(dst))["ImportTableDescription"]
        r = wait_import(c, r["ImportArn"])
        assert r["ImportStatus"] == "COMPLETED" and r["ImportedItemCount"] == 500, r
        assert {i["pk"]["S"]: norm(i) for i in scan_all(c, dst)} == {k: norm(v) for k, v in model.items()}


def test_import_of_a_corrupt_gzip_object_ends(xh, c, tmp_path):
    """A compressed stream that breaks off: what was read is imported, the rest of that object
    counts as one bad record, the next object is read, and the import ends FAILED."""
    bucket = "e2e-corrupt"
    good = gzip.compress(b"".join(b'{"Item":{"pk":{"S":"g%d"}}}\n' % i for i in range(100)))
    whole = gzip.compress(b"".join(b'{"Item":{"pk":{"S":"c%d"}}}\n' % i for i in range(20000)))
    put_object(xh, bucket, "in/a.json.gz", whole[:len(whole) // 2], tmp_path)
    put_object(xh, bucket, "in/b.json.gz", good, tmp_path)
    # A line that is not UTF-8 is one bad record; the lines after it are read.
    latin = gzip.compress(b'{"Item":{"pk":{"S":"l0"}}}\n{"Item":{"pk":{"S":"caf\xe9"}}}\n'
                          b'{"Item":{"pk":{"S":"l2"}}}\n')
    put_object(xh, bucket, "in/c.json.gz", latin, tmp_path)
    dst = unique_name("imp-bad-gz")
    r = c.import_table(S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "in/"},
                       InputFormat="DYNAMODB_JSON", InputCompressionType="GZIP",
                       TableCreationParameters=creation(dst))["ImportTableDescription"]
    r = wait_import(c, r["ImportArn"], timeout=120)
    assert r["ImportStatus"] == "FAILED" and r["FailureCode"] == "ItemValidationError", r
    assert r["ErrorCount"] >= 2
    keys = {i["pk"]["S"] for i in scan_all(c, dst)}
    assert {f"g{i}" for i in range(100)} | {"l0", "l2"} <= keys
    assert len(keys) == r["ImportedItemCount"] < 20103
