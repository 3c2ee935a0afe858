"""Crash at every step of a transaction (native host, test failpoints): after a restart and
recovery every transaction is all or nothing — committed exactly when the coordinator had
logged the decision, or when the single table had logged it — no lock is left behind, each
committed write is in the stream once (and an aborted one never), and `extenddo log verify`
finds every projection equal to a replay of its table's log.

The host under test is a second native server of this module's own, started with
`EXTENDDO_FAILPOINTS=1` and a short recovery delay; a request carrying the header
`x-extenddo-failpoint: before|after:STEP:N` makes it `abort()` at that step, as `kill -9`
would.
"""

import json
import subprocess
import time
from collections import Counter

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import NativeHost, native_binary
from ddbutil import TARGET_PREFIX, Raw, create_table_kwargs, unique_name
from streamsutil import StreamsClient, read_stream

RECOVERY_MS = 300


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


@pytest.fixture(scope="module")
def crashy(host):
    if host.kind != "native":
        pytest.skip("crashes the server process: native host only")
    h = NativeHost(native_binary(), tx_recovery_ms=RECOVERY_MS)
    h.start()
    yield h
    h.cleanup()


@pytest.fixture(scope="module")
def tables(crashy):
    ddb = crashy.client()
    a, b = unique_name("fp-a"), unique_name("fp-b")
    ddb.create_table(**create_table_kwargs(a), StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    ddb.create_table(**create_table_kwargs(b, range_key=("sk", "N")))
    return a, b


def crash_at(host, actions, failpoint):
    raw = Raw(host.endpoint, timeout=30)
    body = json.dumps({"TransactItems": actions}).encode()
    try:
        r = raw.send(TARGET_PREFIX + "TransactWriteItems", body,
                     extra_headers={"x-extenddo-failpoint": failpoint})
        pytest.fail(f"the host answered instead of crashing at {failpoint}: {r.status} {r.text}")
    except requests.RequestException:
        pass
    assert host.proc.wait(timeout=30) != 0
    host.proc = None
    host.start()


def settle(ddb, checks, timeout=30):
    """Retries a ConditionCheck of every item until no transaction holds any of them."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            ddb.transact_write_items(TransactItems=checks)
            return
        except ClientError as e:
            reasons = {r["Code"] for r in e.response.get("CancellationReasons", [])}
            assert reasons <= {"None", "TransactionConflict"}, e.response
            assert time.monotonic() < deadline, "a transaction's locks were never released"
            time.sleep(0.1)


# (failpoint, whether the transaction over two tables commits)
CROSS_TABLE = [
    ("before:Begin:1", False),
    ("after:Begin:1", False),
    ("before:TxPrepare:1", False),
    ("after:TxPrepare:1", False),
    ("after:TxPrepare:2", False),
    ("before:Decide:1", False),
    ("after:Decide:1", True),
    ("after:TxResolve:1", True),
    ("after:TxResolve:2", True),
    ("before:Complete:1", True),
    ("after:Complete:1", True),
]
# (failpoint, whether the transaction on one table commits)
ONE_TABLE = [
    ("before:Transact:1", False),
    ("after:Transact:1", True),
]


def test_crash_at_every_step_is_all_or_nothing(crashy, tables):
    a, b = tables
    expected_stream = Counter()
    committed_cross = 0
    for i, (fp, commits) in enumerate(CROSS_TABLE):
        ddb = crashy.client()
        ka, kb = {"pk": S(f"x{i}")}, {"pk": S(f"y{i}"), "sk": N(1)}
        ddb.put_item(TableName=a, Item={**ka, "v": S("before")})
        ddb.put_item(TableName=b, Item={**kb, "v": S("before")})
        expected_stream[("INSERT", f"x{i}")] += 1
        crash_at(crashy, [
            {"Update": {"TableName": a, "Key": ka, "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": S("tx")}}},
            {"Put": {"TableName": b, "Item": {**kb, "v": S("tx")}}},
            {"Put": {"TableName": a, "Item": {"pk": S(f"new{i}")}}},
        ], fp)
        ddb = crashy.client()
        settle(ddb, [
            {"ConditionCheck": {"TableName": a, "Key": ka,
                                "ConditionExpression": "attribute_exists(pk)"}},
            {"ConditionCheck": {"TableName": b, "Key": kb,
                                "ConditionExpression": "attribute_exists(pk)"}},
            {"ConditionCheck": {"TableName": a, "Key": {"pk": S(f"new{i}")},
                                "ConditionExpression": "attribute_exists(pk) OR "
                                                       "attribute_not_exists(pk)"}},
        ])
        got = (ddb.get_item(TableName=a, Key=ka, ConsistentRead=True)["Item"]["v"],
               ddb.get_item(TableName=b, Key=kb, ConsistentRead=True)["Item"]["v"],
               "Item" in ddb.get_item(TableName=a, Key={"pk": S(f"new{i}")},
                                      ConsistentRead=True))
        want = (S("tx"), S("tx"), True) if commits else (S("before"), S("before"), False)
        assert got == want, f"crash at {fp}: {got}"
        if commits:
            committed_cross += 1
            expected_stream[("MODIFY", f"x{i}")] += 1
            expected_stream[("INSERT", f"new{i}")] += 1

    for j, (fp, commits) in enumerate(ONE_TABLE):
        ddb = crashy.client()
        crash_at(crashy, [
            {"Put": {"TableName": a, "Item": {"pk": S(f"one{j}-a")}}},
            {"Put": {"TableName": a, "Item": {"pk": S(f"one{j}-b")}}},
        ], fp)
        ddb = crashy.client()
        present = ["Item" in ddb.get_item(TableName=a, Key={"pk": S(f"one{j}-{s}")},
                                          ConsistentRead=True) for s in "ab"]
        assert present == [commits, commits], f"crash at {fp}: {present}"
        if commits:
            expected_stream[("INSERT", f"one{j}-a")] += 1
            expected_stream[("INSERT", f"one{j}-b")] += 1

    assert committed_cross == sum(1 for _, c in CROSS_TABLE if c)
    # Each committed write reached the stream once; aborted ones never.
    arn = crashy.client().describe_table(TableName=a)["Table"]["LatestStreamArn"]
    records = read_stream(StreamsClient(crashy), arn)
    got_stream = Counter((r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records)
    assert got_stream == expected_stream

    # Every projection (items, locks, indexes, TTL, stream) equals a replay of the log.
    for t in (a, b):
        r = subprocess.run([str(crashy.binary), "log", "verify", "--data-dir",
                            str(crashy.data_dir), "--table", t],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stdout + r.stderr
