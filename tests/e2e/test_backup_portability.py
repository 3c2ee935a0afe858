"""A backup is portable: its manifest and snapshot (docs/log-format.md) taken by one host
restore on the other, once the objects are in that host's store. Runs in the Worker pass of
the suite: the session's Worker host and a native host of its own.

The backup's ARN names its id; a host whose catalog does not know the backup finds its
manifest under `backups/<id>/manifest.json` and records it.
"""

import time

import pytest

from conftest import NativeHost, native_binary
from ddbutil import ALL_TYPES_ITEM, canon, create_table_kwargs, query_all, unique_name
import storeutil
from test_backups import wait_active, wait_backup


@pytest.fixture(scope="module")
def native(host):
    if host.kind != "worker":
        pytest.skip("runs in the Worker pass (one Worker and one native host)")
    if not native_binary().exists():
        pytest.fail(f"{native_binary()} is needed: build extenddo-cli")
    h = NativeHost(native_binary())
    h.start()
    yield h
    h.cleanup()


def fill(ddb, table):
    ddb.create_table(**create_table_kwargs(table))
    items = [dict(ALL_TYPES_ITEM)] + [
        {"pk": {"S": f"k{i}"}, "n": {"N": str(i)}, "b": {"B": bytes([i % 256]) * 3}}
        for i in range(300)]
    for it in items:
        ddb.put_item(TableName=table, Item=it)
    return {i["pk"]["S"]: canon(i) for i in items}


def carry(src, dst, arn, tmp_path):
    backup_id = arn.rsplit("/backup/", 1)[1]
    objs = storeutil.objects(src, f"backups/{backup_id}/")
    assert sorted(k.rsplit("/", 1)[1] for k, _ in objs) == ["manifest.json", "snapshot.snp"]
    for key, path in objs:
        storeutil.put(dst, key, path.read_bytes(), tmp_path)


def restored(ddb, arn):
    name = unique_name("ported")
    t = ddb.restore_table_from_backup(TargetTableName=name, BackupArn=arn)["TableDescription"]
    assert t["RestoreSummary"]["SourceBackupArn"] == arn
    wait_active(ddb, name)
    items, _ = query_all(ddb, _op="scan", TableName=name)
    return {i["pk"]["S"]: canon(i) for i in items}


@pytest.mark.parametrize("direction", ["worker-to-native", "native-to-worker"])
def test_a_backup_restores_on_the_other_host(host, native, direction, tmp_path):
    src, dst = (host, native) if direction == "worker-to-native" else (native, host)
    a, b = src.client(), dst.client()
    table = unique_name("port")
    want = fill(a, table)
    arn = a.create_backup(TableName=table, BackupName="portable")["BackupDetails"]["BackupArn"]
    wait_backup(a, arn)
    # Unknown to the other host's catalog until its objects are there.
    with pytest.raises(b.exceptions.BackupNotFoundException):
        b.restore_table_from_backup(TargetTableName=unique_name("x"), BackupArn=arn)
    carry(src, dst, arn, tmp_path)
    assert restored(b, arn) == want
    # Now the other host's catalog knows it.
    d = b.describe_backup(BackupArn=arn)["BackupDescription"]
    assert d["BackupDetails"]["BackupStatus"] == "AVAILABLE"
    assert d["SourceTableDetails"]["TableName"] == table
