"""More tables than open-table slots (native host).

`extenddo serve` keeps a bounded set of table objects open (each is a thread and three file
descriptors); idle ones are checkpointed and closed, and reopened on demand. These tests run
a server with 3 slots, tables closing as soon as they are idle, and an open-file limit of
128, and check that nothing a client sees changes: every table reads back, writes across
tables commit, a closed table's TTL sweeper still runs (woken by the host's timer, not by a
request), deleted tables stay deleted, and a `kill -9` loses nothing acknowledged.
"""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import NativeHost, native_binary
from ddbutil import unique_name

SLOTS = 3
NOFILE = 128


class LimitedHost(NativeHost):
    """A native host under `ulimit -n NOFILE` with SLOTS open-table slots."""

    def command(self):
        # A table closes when idle even if its own timer is due in 200 ms (default 30 s).
        inner = super().command() + ["--max-open-tables", str(SLOTS), "--idle-close-ms", "0",
                                     "--close-horizon-ms", "200", "--ttl-sweep-delay-ms", "0"]
        return ["sh", "-c", f'ulimit -n {NOFILE} && exec "$@"', "sh", *inner]


@pytest.fixture(scope="module")
def limited(host, request):
    if host.kind != "native":
        pytest.skip("the native host's open-table bound")
    h = LimitedHost(native_binary())
    h.start()
    yield h
    h.cleanup(keep=request.config.getoption("--keep-data"))


def server_pid(h):
    # `sh -c … exec` keeps the pid.
    return h.proc.pid


def open_table_files(h):
    """The table files the server holds open now."""
    pid = server_pid(h)
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if "/tables/" in target and target.endswith(".sqlite"):
            out.add(Path(target).name)
    return out


def threads(h):
    status = Path(f"/proc/{server_pid(h)}/status").read_text()
    return int(next(l.split()[1] for l in status.splitlines() if l.startswith("Threads:")))


def create(ddb, name, **extra):
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], **extra)
    for _ in range(200):
        if ddb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE":
            return
        time.sleep(0.05)
    raise AssertionError(f"{name} not ACTIVE")


def test_more_tables_than_slots_all_work(limited):
    ddb = limited.client()
    names = [unique_name(f"many{i}") for i in range(40)]
    base_threads = threads(limited)
    peak = 0
    for i, n in enumerate(names):
        create(ddb, n)
        ddb.put_item(TableName=n, Item={"pk": {"S": "a"}, "n": {"N": str(i)}})
        peak = max(peak, len(open_table_files(limited)))
    # Writes over many tables in one transaction (two-phase, through a coordinator).
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": n, "Key": {"pk": {"S": "a"}},
                    "UpdateExpression": "SET t = :t", "ExpressionAttributeValues": {":t": {"S": "x"}}}}
        for n in names[:10]])
    for i, n in enumerate(names):
        item = ddb.get_item(TableName=n, Key={"pk": {"S": "a"}}, ConsistentRead=True)["Item"]
        assert item["n"] == {"N": str(i)}
        assert ("t" in item) == (i < 10)
        peak = max(peak, len(open_table_files(limited)))
    assert peak <= SLOTS, f"{peak} table files open at once with {SLOTS} slots"
    assert threads(limited) <= base_threads + SLOTS + 2
    # Every table listed, open or not.
    listed = set()
    for page in ddb.get_paginator("list_tables").paginate():
        listed |= set(page["TableNames"])
    assert set(names) <= listed


def test_ttl_sweeps_a_closed_table(limited):
    """The TTL sweeper of a table that was closed runs when its time comes, without any
    request to that table: the host wakes it."""
    ddb = limited.client()
    name = unique_name("ttl-closed")
    create(ddb, name)
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "exp"})
    table_id = ddb.describe_table(TableName=name)["Table"]["TableId"]
    expires = int(time.time()) + 6
    ddb.put_item(TableName=name, Item={"pk": {"S": "gone"}, "exp": {"N": str(expires)}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "stays"}})
    # Idle, with its sweep due in seconds, the table closes; the host keeps its wake-up time.
    deadline = time.time() + 3
    while f"{table_id}.sqlite" in open_table_files(limited):
        assert time.time() < deadline, "the TTL table never closed"
        time.sleep(0.05)
    assert time.time() < expires, "too slow to test a closed table's expiry"
    # No request touches the table from here: its log must show the expiry on its own.
    deadline = time.time() + 30
    while True:
        r = subprocess.run([str(native_binary()), "log", "dump", "--data-dir",
                            str(limited.data_dir), "--table-id", table_id, "--json"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        kinds = [json.loads(l)["kind"] for l in r.stdout.splitlines()]
        if "ItemExpired" in kinds:
            break
        assert time.time() < deadline, f"no expiry logged; records: {kinds}"
        time.sleep(0.5)
    keys = {i["pk"]["S"] for i in ddb.scan(TableName=name, ConsistentRead=True)["Items"]}
    assert keys == {"stays"}


def test_deleted_closed_tables_stay_deleted_and_kill9_loses_nothing(limited):
    ddb = limited.client()
    keep = [unique_name("keep") for _ in range(12)]
    drop = [unique_name("drop") for _ in range(6)]
    for n in keep + drop:
        create(ddb, n)
        ddb.batch_write_item(RequestItems={n: [
            {"PutRequest": {"Item": {"pk": {"S": f"k{j}"}, "v": {"S": n}}}} for j in range(20)]})
    for n in drop:  # most of these are closed by now
        ddb.delete_table(TableName=n)
    for n in drop:
        deadline = time.time() + 30
        while True:
            try:
                ddb.describe_table(TableName=n)
            except ClientError as e:
                assert e.response["Error"]["Code"] == "ResourceNotFoundException"
                break
            assert time.time() < deadline, f"{n} not deleted"
            time.sleep(0.1)
    os.killpg(limited.proc.pid, signal.SIGKILL)
    limited.proc.wait(timeout=10)
    limited.proc = None
    limited.start()
    ddb = limited.client()
    for n in keep:
        items = ddb.scan(TableName=n, ConsistentRead=True)["Items"]
        assert sorted(i["pk"]["S"] for i in items) == sorted(f"k{j}" for j in range(20))
        assert all(i["v"]["S"] == n for i in items)
    for n in drop:
        with pytest.raises(ClientError) as e:
            ddb.describe_table(TableName=n)
        assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert len(open_table_files(limited)) <= SLOTS
