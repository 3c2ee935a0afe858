"""Log archiving to the object store: a table seals its log into segments once
`--archive-records` (Worker: var `ARCHIVE_RECORDS`) records wait; every segment opens with
`extenddo log segment` and holds exactly the log's records, densely from LSN 1; a damaged or
truncated segment is named and refused; `extenddo log verify` (which compares the logged
archive position too) passes; archiving resumes after a restart.

The host under test is this module's own server with a threshold of 50; its store is read
with `storeutil` (a directory natively, local R2 on the Worker) and its segments with the
native CLI: one format for both hosts.

"""

import json
import subprocess
import time

import pytest

from conftest import NativeHost, WorkerHost, native_binary
from ddbutil import create_table_kwargs, unique_name
import storeutil

THRESHOLD = 50


@pytest.fixture(scope="module")
def archiving(host):
    if not native_binary().exists():
        pytest.fail(f"{native_binary()} is needed to read segments: build extenddo-cli")
    if host.kind == "native":
        h = NativeHost(native_binary(), extra_args=["--archive-records", str(THRESHOLD)])
    elif host.kind == "worker":
        h = WorkerHost(extra_vars=[f"ARCHIVE_RECORDS:{THRESHOLD}"])
    else:
        pytest.skip("reads the store of a host started by the suite")
    h.start()
    yield h
    h.cleanup()


def cli(h, *args):
    return subprocess.run([str(native_binary()), "log", *args], capture_output=True,
                          text=True, timeout=120)


def segments(h, table_id):
    """The table's segments in key (= LSN) order: (key's last part, file)."""
    return [(key.rsplit("/", 1)[-1], p)
            for key, p in storeutil.objects(h, f"tables/{table_id}/log/")
            if key.endswith(".seg")]


def live_records(h, table):
    if h.kind != "native":
        return None
    r = cli(h, "dump", "--data-dir", str(h.data_dir), "--table", table, "--json")
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def segment_records(h, path):
    r = cli(h, "segment", str(path), "--json")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    return lines[0], lines[1:]


def write(ddb, table, lo, hi):
    for i in range(lo, hi):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"k{i}"}, "n": {"N": str(i)}})
        if i % 5 == 4:
            ddb.delete_item(TableName=table, Key={"pk": {"S": f"k{i - 2}"}})


def wait_archived(h, table_id, at_least, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        segs = segments(h, table_id)
        if segs:
            last = segment_records(h, segs[-1][1])[0]["last_lsn"]
            if last >= at_least:
                return segs
        assert time.monotonic() < deadline, f"archived {segs} not up to {at_least}"
        time.sleep(0.2)


def check_archive(h, table, table_id):
    segs = segments(h, table_id)
    live = live_records(h, table)
    archived, nxt = [], 1
    for name, p in segs:
        header, recs = segment_records(h, p)
        assert header["table_id"] == table_id
        assert header["first_lsn"] == nxt, (name, header)
        assert header["records"] == len(recs)
        nxt = header["last_lsn"] + 1
        archived += recs
    # The archived position is logged, in the log itself (so later segments name earlier).
    logged = [r["key"].rsplit("/", 1)[-1] for r in archived if r["kind"] == "SegmentArchived"]
    assert logged == [name for name, _ in segs][:len(logged)]
    live = live_records(h, table)
    if live is None:  # the Worker: its log is only visible through its segments
        return nxt - 1, nxt - 1
    assert archived == live[:len(archived)], "segments hold exactly the log's records"
    logged = [r["key"].rsplit("/", 1)[-1] for r in live if r["kind"] == "SegmentArchived"]
    assert logged == [name for name, _ in segs]
    return nxt - 1, len(live)


def test_archive_holds_the_log_and_resumes_after_a_restart(archiving):
    ddb = archiving.client()
    table = unique_name("arch")
    ddb.create_table(**create_table_kwargs(table))
    table_id = ddb.describe_table(TableName=table)["Table"]["TableId"]
    write(ddb, table, 0, 240)
    wait_archived(archiving, table_id, 200)
    upto, total = check_archive(archiving, table, table_id)
    assert total - upto <= THRESHOLD + 2, (upto, total)
    assert upto >= 200

    if archiving.kind == "native":
        r = cli(archiving, "verify", "--data-dir", str(archiving.data_dir), "--table", table)
        assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stdout + r.stderr
        assert f"{len(segments(archiving, table_id))} segments in" in r.stdout, r.stdout
        # A damaged segment in the store is named by `log verify`, then all is well again.
        name, victim = segments(archiving, table_id)[1]
        good = victim.read_bytes()
        victim.write_bytes(good[:-10] + bytes([good[-10] ^ 4]) + good[-9:])
        try:
            r = cli(archiving, "verify", "--data-dir", str(archiving.data_dir), "--table", table)
        finally:
            victim.write_bytes(good)
        assert r.returncode == 1, r.stdout
        problems = [ln for ln in r.stdout.splitlines() if ln.startswith("problem:")]
        assert len(problems) == 1 and name in problems[0] and "checksum" in problems[0], problems
        r = cli(archiving, "verify", "--data-dir", str(archiving.data_dir), "--table", table)
        assert r.returncode == 0, r.stdout

    archiving.restart()
    ddb = archiving.client()
    write(ddb, table, 240, 400)
    wait_archived(archiving, table_id, total + 100)
    upto2, _ = check_archive(archiving, table, table_id)
    assert upto2 > upto


def test_a_damaged_segment_is_named_and_refused(archiving, tmp_path):
    ddb = archiving.client()
    table = unique_name("arch-bad")
    ddb.create_table(**create_table_kwargs(table))
    table_id = ddb.describe_table(TableName=table)["Table"]["TableId"]
    write(ddb, table, 0, 80)
    seg = wait_archived(archiving, table_id, THRESHOLD)[0][1]
    data = seg.read_bytes()
    for name, damaged in [("flipped.seg", data[:60] + bytes([data[60] ^ 1]) + data[61:]),
                          ("header.seg", data[:20] + bytes([data[20] ^ 1]) + data[21:]),
                          ("truncated.seg", data[:-7]),
                          ("empty.seg", b"")]:
        p = tmp_path / name
        p.write_bytes(damaged)
        r = cli(archiving, "segment", str(p))
        assert r.returncode == 1, (name, r.stdout)
        assert name in r.stderr and "damaged segment" in r.stderr, r.stderr
        assert r.stdout == "", "nothing of a damaged segment is printed"
    r = cli(archiving, "segment", str(seg))
    assert r.returncode == 0, r.stderr


# ---- an S3-compatible object store (native) -------------------------------------------------


@pytest.fixture(scope="module")
def s3_archiving(host, tmp_path_factory):
    if host.kind != "native":
        pytest.skip("the S3 adapter is the native host's (the Worker uses its R2 binding)")
    with storeutil.s3_native_host(tmp_path_factory.mktemp("moto"), "extenddo-archive",
                                  ["--archive-records", str(THRESHOLD)]) as hm:
        yield hm


def test_archive_to_an_s3_compatible_store(s3_archiving, tmp_path):
    h, moto = s3_archiving
    ddb = h.client()
    table = unique_name("arch-s3")
    ddb.create_table(**create_table_kwargs(table))
    table_id = ddb.describe_table(TableName=table)["Table"]["TableId"]
    write(ddb, table, 0, 240)
    prefix = f"e2e/tables/{table_id}/log/"
    deadline = time.monotonic() + 30
    while True:
        keys = sorted(o["Key"] for o in moto.s3.list_objects_v2(
            Bucket="extenddo-archive", Prefix=prefix).get("Contents", []))
        if len(keys) >= 4:
            break
        assert time.monotonic() < deadline, f"segments in S3: {keys}"
        time.sleep(0.2)
    archived, nxt = [], 1
    for k in keys:
        body = moto.s3.get_object(Bucket="extenddo-archive", Key=k)["Body"].read()
        p = tmp_path / k.rsplit("/", 1)[-1]
        p.write_bytes(body)
        header, recs = segment_records(h, p)
        assert header["first_lsn"] == nxt, (k, header)
        nxt = header["last_lsn"] + 1
        archived += recs
    live = live_records(h, table)
    assert archived == live[:len(archived)]
    assert nxt - 1 >= 200
