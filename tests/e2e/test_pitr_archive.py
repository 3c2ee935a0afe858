"""Point-in-time recovery from the archive, when the local log no longer holds it.

This module's host archives every 50 records, snapshots every 200 archived records and
trims the local log behind a snapshot at once (`--log-retention-ms 0`; Worker: vars). A
table with PITR on is then restored to instants before and after its trim point, each
compared with a model of the writes; natively the log tools read the trimmed part from the
archive (`log verify`, `log dump`, `log replay --into`). The same scenario runs natively
against an S3-compatible store (moto_server). A damaged snapshot or segment stops a restore
with its name; nothing of it is loaded.
"""

import json
import subprocess
import time
from datetime import datetime, timezone

import pytest

from conftest import NativeHost, WorkerHost, native_binary
from ddbutil import canon, query_all, unique_name
import storeutil
from test_backups import (assert_equals_model, batch_delete, batch_put, enable_pitr, gsi_table,
                          item, mark, restore_and_check, wait_active, wait_backup)

ARGS = ["--archive-records", "50", "--snapshot-records", "200", "--log-retention-ms", "0"]
VARS = ["ARCHIVE_RECORDS:50", "SNAPSHOT_RECORDS:200", "LOG_RETENTION_MS:0"]


@pytest.fixture(scope="module")
def trimming(host):
    if host.kind == "native":
        h = NativeHost(native_binary(), extra_args=ARGS)
    elif host.kind == "worker":
        h = WorkerHost(extra_vars=VARS)
    else:
        pytest.skip("needs a host started by the suite")
    h.start()
    yield h
    h.cleanup()


def cli(*args):
    return subprocess.run([str(native_binary()), "log", *args], capture_output=True,
                          text=True, timeout=300)


def rfc3339(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def phases(ddb, src):
    """Writes in phases; returns [(instant, model at it)] and the final model."""
    enable_pitr(ddb, src)
    model, instants = {}, []

    batch_put(ddb, src, (item(i) for i in range(400)), model)
    mark(instants, model)
    batch_delete(ddb, src, (f"k{i:05d}" for i in range(0, 400, 3)), model)
    mark(instants, model)
    batch_put(ddb, src, (item(i, 5) for i in range(300, 900)), model)
    for i in range(1, 60, 2):
        ddb.update_item(TableName=src, Key={"pk": {"S": f"k{i:05d}"}},
                        UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "9"}})
        it = dict(model.get(f"k{i:05d}", {"pk": {"S": f"k{i:05d}"}}))
        it["v"] = {"N": "9"}
        model[f"k{i:05d}"] = it
    mark(instants, model)
    return instants, model


def wait_trimmed(h, table_id, timeout=60):
    """Natively: until `log verify` says the log was trimmed (and passes); on the Worker:
    until a snapshot is in R2 (trimming follows it in the same step)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if h.kind == "native":
            r = cli("verify", "--data-dir", str(h.data_dir), "--table-id", table_id)
            if "trimmed locally up to lsn" in r.stdout:
                assert r.returncode == 0 and r.stdout.rstrip().endswith("ok"), r.stdout
                return r.stdout
        elif storeutil.objects(h, f"tables/{table_id}/snapshots/"):
            return None
        time.sleep(0.3)
    raise AssertionError("the log was not trimmed")


def test_a_trimmed_table_restores_to_any_point(trimming):
    ddb = trimming.client()
    src = gsi_table(ddb, unique_name("trim"))
    table_id = ddb.describe_table(TableName=src)["Table"]["TableId"]
    instants, model = phases(ddb, src)
    verified = wait_trimmed(trimming, table_id)
    if verified is not None:
        assert "snapshots equal the replay" in verified
    restore_and_check(ddb, src, instants, model)
    # A backup of a trimmed table is whole.
    arn = ddb.create_backup(TableName=src, BackupName="after-trim")["BackupDetails"]["BackupArn"]
    wait_backup(ddb, arn)
    dst = unique_name("trim-bk")
    ddb.restore_table_from_backup(TargetTableName=dst, BackupArn=arn)
    wait_active(ddb, dst)
    assert_equals_model(ddb, dst, model)


def test_log_tools_read_the_trimmed_part_from_the_archive(trimming):
    if trimming.kind != "native":
        pytest.skip("the log tools open a native data directory")
    ddb = trimming.client()
    src = gsi_table(ddb, unique_name("trim-tools"))
    table_id = ddb.describe_table(TableName=src)["Table"]["TableId"]
    instants, model = phases(ddb, src)
    wait_trimmed(trimming, table_id)
    which = ["--data-dir", str(trimming.data_dir), "--table-id", table_id]
    r = cli("dump", *which, "--json", "--to", "3")
    assert r.returncode == 0, r.stderr
    assert [json.loads(line)["lsn"] for line in r.stdout.splitlines()] == [1, 2, 3]
    at, want = instants[0]
    r = cli("diff", *which, "--from", "1", "--to", rfc3339(at), "--json")
    assert r.returncode == 0, r.stderr
    added = [json.loads(line) for line in r.stdout.splitlines()]
    assert sorted(a["key"]["pk"]["S"] for a in added if a["change"] == "added") == sorted(want)
    trimming.stop()
    try:
        into = unique_name("replayed")
        r = cli("replay", *which, "--to", rfc3339(instants[1][0]), "--into", into, "--json")
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert out["items"] == len(instants[1][1]) and out["into"] == into
    finally:
        trimming.start()
    assert_equals_model(ddb, into, instants[1][1])


def test_a_damaged_snapshot_or_segment_stops_a_restore_with_its_name(trimming, tmp_path):
    if trimming.kind != "native":
        pytest.skip("damages files of the native object store")
    ddb = trimming.client()
    src = gsi_table(ddb, unique_name("dmg"))
    batch_put(ddb, src, (item(i) for i in range(120)), {})
    arn = ddb.create_backup(TableName=src, BackupName="to-damage")["BackupDetails"]["BackupArn"]
    wait_backup(ddb, arn)
    bid = arn.rsplit("/backup/", 1)[1]
    snap = trimming.data_dir / "objects" / "backups" / bid / "snapshot.snp"
    data = snap.read_bytes()
    snap.write_bytes(data[:-9])  # truncated
    dst = unique_name("dmg-dst")
    ddb.restore_table_from_backup(TargetTableName=dst, BackupArn=arn)
    time.sleep(2)
    t = ddb.describe_table(TableName=dst)["Table"]
    assert t["TableStatus"] == "CREATING" and t["ItemCount"] == 0
    assert f"backups/{bid}/snapshot.snp" in trimming.log_tail(200)
    # Nothing of it was loaded, and the failed restore can be deleted.
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.scan(TableName=dst)
    ddb.delete_table(TableName=dst)

    # A segment with a flipped bit (the table has fewer records than make a snapshot, so a
    # restore reads every segment).
    ddb.update_continuous_backups(
        TableName=src, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    batch_put(ddb, src, (item(i, 1) for i in range(120, 160)), {})
    table_id = ddb.describe_table(TableName=src)["Table"]["TableId"]
    segs = storeutil.objects(trimming, f"tables/{table_id}/log/")
    assert segs
    key, path = segs[0]
    b = bytearray(path.read_bytes())
    b[len(b) // 2] ^= 0x10
    path.write_bytes(bytes(b))
    dst = unique_name("dmg-seg")
    ddb.restore_table_to_point_in_time(SourceTableName=src, TargetTableName=dst,
                                       UseLatestRestorableTime=True)
    time.sleep(2)
    assert ddb.describe_table(TableName=dst)["Table"]["TableStatus"] == "CREATING"
    assert key in trimming.log_tail(200)
    r = cli("verify", "--data-dir", str(trimming.data_dir), "--table-id", table_id)
    assert r.returncode == 1 and key.rsplit("/", 1)[1] in r.stdout, r.stdout


# ---- an S3-compatible object store (native) -------------------------------------------------


@pytest.fixture(scope="module")
def s3_host(host, tmp_path_factory):
    if host.kind != "native":
        pytest.skip("the S3 adapter is the native host's (the Worker uses its R2 binding)")
    with storeutil.s3_native_host(tmp_path_factory.mktemp("moto"), "extenddo-pitr", ARGS) as hm:
        yield hm


def test_backups_and_pitr_on_an_s3_compatible_store(s3_host):
    h, moto = s3_host
    ddb = h.client()
    src = gsi_table(ddb, unique_name("s3"))
    table_id = ddb.describe_table(TableName=src)["Table"]["TableId"]
    instants, model = phases(ddb, src)
    arn = ddb.create_backup(TableName=src, BackupName="on-s3")["BackupDetails"]["BackupArn"]
    wait_backup(ddb, arn)
    keys = {o["Key"] for o in moto.s3.list_objects_v2(
        Bucket="extenddo-pitr", Prefix="e2e/").get("Contents", [])}
    bid = arn.rsplit("/backup/", 1)[1]
    assert {f"e2e/backups/{bid}/manifest.json", f"e2e/backups/{bid}/snapshot.snp"} <= keys
    assert any(k.startswith(f"e2e/tables/{table_id}/log/") for k in keys)
    deadline = time.time() + 60
    while not any(k.startswith(f"e2e/tables/{table_id}/snapshots/") for k in keys):
        assert time.time() < deadline, "no snapshot in S3"
        time.sleep(0.3)
        keys = {o["Key"] for o in moto.s3.list_objects_v2(
            Bucket="extenddo-pitr", Prefix="e2e/").get("Contents", [])}
    restore_and_check(ddb, src, instants, model)
    dst = unique_name("s3-bk")
    ddb.restore_table_from_backup(TargetTableName=dst, BackupArn=arn)
    wait_active(ddb, dst)
    assert_equals_model(ddb, dst, model)


# ---- kill -9 in the middle of restores (native) ---------------------------------------------


def kill9_and_start(h):
    """SIGKILL to the server's process group (no shutdown of any kind), then start it again
    on the same data dir and port."""
    import os
    import signal
    proc, h.proc = h.proc, None
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    h.start()


def test_restores_resume_after_kill_9(trimming):
    if trimming.kind != "native":
        pytest.skip("kills the native server")
    ddb = trimming.client()
    src = gsi_table(ddb, unique_name("k9"))
    ddb.update_continuous_backups(
        TableName=src, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    model = {}
    batch_put(ddb, src, (item(i) for i in range(30_000)), model)
    batch_delete(ddb, src, (f"k{i:05d}" for i in range(0, 30_000, 7)), model)
    arn = ddb.create_backup(TableName=src, BackupName="kill9")["BackupDetails"]["BackupArn"]
    wait_backup(ddb, arn)
    time.sleep(0.05)
    at = time.time()
    time.sleep(0.05)
    batch_put(ddb, src, (item(i, 1) for i in range(100)), dict(model))
    from_backup, to_time = unique_name("k9-bk"), unique_name("k9-pitr")
    ddb.restore_table_from_backup(TargetTableName=from_backup, BackupArn=arn)
    ddb.restore_table_to_point_in_time(SourceTableName=src, TargetTableName=to_time,
                                       RestoreDateTime=at)
    killed_ms = time.time() * 1000
    kill9_and_start(trimming)
    ddb = trimming.client()
    for name in (from_backup, to_time):
        wait_active(ddb, name, timeout=120)
        assert_equals_model(ddb, name, model)
        r = cli("verify", "--data-dir", str(trimming.data_dir), "--table", name)
        assert r.returncode == 0, r.stdout + r.stderr
    # The point-in-time restore (25,000 items to fold after asking the source for its
    # archive) was cut short by the kill and finished after the restart, from its logged
    # progress: it began before the kill and its last step is later.
    r = cli("dump", "--data-dir", str(trimming.data_dir), "--table", to_time, "--json")
    records = [json.loads(line) for line in r.stdout.splitlines()]
    assert records[0]["kind"] == "TableCreated" and records[0]["ts"] < killed_ms
    # (Archiving may trim the finished table's log afterwards: its own records come later.)
    last = [r for r in records if r["kind"] not in ("LogTrimmed", "SegmentArchived", "SnapshotArchived")][-1]
    assert last["kind"] == "TableUpdated" and last["ts"] > killed_ms


def test_a_trimmed_table_exports_any_point(trimming):
    """A full export at an instant whose records are no longer in the local log: the export
    reads them from the archived segments, and equals the model at that instant."""
    from test_export_import import norm, read_export, wait_export
    ddb = trimming.client()
    src = gsi_table(ddb, unique_name("trim-exp"))
    t = ddb.describe_table(TableName=src)["Table"]
    instants, model = phases(ddb, src)
    wait_trimmed(trimming, t["TableId"])
    for n, (at, want) in enumerate(instants[:2]):
        d = ddb.export_table_to_point_in_time(TableArn=t["TableArn"], S3Bucket="trim-exports",
                                              S3Prefix=f"at{n}", ExportTime=at)
        d = wait_export(ddb, d["ExportDescription"]["ExportArn"])
        assert d["ExportStatus"] == "COMPLETED", d
        _, records = read_export(trimming, d)
        got = {r["Item"]["pk"]["S"]: norm(r["Item"]) for r in records}
        assert got == {k: norm(v) for k, v in want.items()}
