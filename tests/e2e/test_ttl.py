"""Time to live: UpdateTimeToLive / DescribeTimeToLive, and the sweeper (native: the table
actor's timer; Worker: the table Durable Object's alarm) deleting expired items within the
configured delay, each as a logged delete whose stream record carries DynamoDB's service
identity.

The suite starts the native host with the default `--ttl-sweep-delay-ms 0`, so an expired
item goes at the next tick; the test allows SWEEP_WAIT seconds (DynamoDB itself may take
days, ExtendDO's documented bound is the configured delay plus a tick).

Error wording ("TimeToLive is already enabled", "TimeToLive is already disabled",
"TimeToLive is active on a different AttributeName: current AttributeName is …") was recorded
against AWS in 2026.
"""

import time

import pytest

from ddbutil import expect_error
from streamsutil import SERVICE_IDENTITY, read_stream, streams  # noqa: F401

SWEEP_WAIT = 30.0


def spec(enabled, attr="exp"):
    return {"Enabled": enabled, "AttributeName": attr}


def test_update_and_describe(ddb, ddb_noval, make_table):
    table = make_table()
    assert ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"}
    expect_error(lambda: ddb.update_time_to_live(TableName=table,
                                                 TimeToLiveSpecification=spec(False)),
                 "ValidationException", "TimeToLive is already disabled")
    r = ddb.update_time_to_live(TableName=table, TimeToLiveSpecification=spec(True))
    assert r["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "exp"}
    assert ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    expect_error(lambda: ddb.update_time_to_live(TableName=table,
                                                 TimeToLiveSpecification=spec(True)),
                 "ValidationException", "TimeToLive is already enabled")
    expect_error(lambda: ddb.update_time_to_live(TableName=table,
                                                 TimeToLiveSpecification=spec(True, "other")),
                 "ValidationException", "TimeToLive is already enabled")
    expect_error(lambda: ddb.update_time_to_live(TableName=table,
                                                 TimeToLiveSpecification=spec(False, "other")),
                 "ValidationException",
                 "TimeToLive is active on a different AttributeName: current AttributeName "
                 "is exp")
    r = ddb.update_time_to_live(TableName=table, TimeToLiveSpecification=spec(False))
    assert r["TimeToLiveSpecification"] == {"Enabled": False, "AttributeName": "exp"}
    assert ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"}

    # Shape errors come before the table is looked up.
    expect_error(lambda: ddb_noval.update_time_to_live(TableName=table),
                 "ValidationException",
                 "1 validation error detected: Value null at 'timeToLiveSpecification' failed "
                 "to satisfy constraint: Member must not be null")
    expect_error(lambda: ddb_noval.update_time_to_live(
        TableName="no-such-table-ttl", TimeToLiveSpecification={"Enabled": True}),
        "ValidationException", contains=["timeToLiveSpecification.attributeName",
                                         "Member must not be null"])
    expect_error(lambda: ddb_noval.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "a" * 256}),
        "ValidationException", contains=["Member must have length less than or equal to 255"])
    expect_error(lambda: ddb.update_time_to_live(TableName="no-such-table-ttl",
                                                 TimeToLiveSpecification=spec(True)),
                 "ResourceNotFoundException")
    expect_error(lambda: ddb.describe_time_to_live(TableName="no-such-table-ttl"),
                 "ResourceNotFoundException")


def wait_gone(ddb, table, key, timeout=SWEEP_WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "Item" not in ddb.get_item(TableName=table, Key=key, ConsistentRead=True):
            return time.monotonic()
        time.sleep(0.2)
    pytest.fail(f"item {key} still there after {timeout} s")


def test_expired_items_are_deleted_with_the_service_identity(ddb, make_table, streams):
    table = make_table(StreamSpecification={"StreamEnabled": True,
                                            "StreamViewType": "NEW_AND_OLD_IMAGES"})
    ddb.update_time_to_live(TableName=table, TimeToLiveSpecification=spec(True))
    now = int(time.time())
    past = {"pk": {"S": "past"}, "exp": {"N": str(now - 10)}, "v": {"S": "x"}}
    soon = {"pk": {"S": "soon"}, "exp": {"N": str(now + 3)}}
    later = {"pk": {"S": "later"}, "exp": {"N": str(now + 3600)}}
    text = {"pk": {"S": "text"}, "exp": {"S": str(now - 10)}}
    ancient = {"pk": {"S": "ancient"}, "exp": {"N": str(now - 6 * 365 * 86400)}}
    for item in (past, soon, later, text, ancient):
        ddb.put_item(TableName=table, Item=item)
    wait_gone(ddb, table, {"pk": {"S": "past"}})
    t_soon = wait_gone(ddb, table, {"pk": {"S": "soon"}})
    assert time.time() >= now + 3
    # Not a number, in the future, or more than five years ago: kept.
    for k in ("later", "text", "ancient"):
        assert "Item" in ddb.get_item(TableName=table, Key={"pk": {"S": k}})
    assert t_soon
    records = read_stream(streams, ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"])
    removes = [r for r in records if r["eventName"] == "REMOVE"]
    assert [r["dynamodb"]["Keys"] for r in removes] == [{"pk": {"S": "past"}},
                                                        {"pk": {"S": "soon"}}]
    for r in removes:
        assert r["userIdentity"] == SERVICE_IDENTITY
        assert "NewImage" not in r["dynamodb"]
    assert removes[0]["dynamodb"]["OldImage"] == past
    # Client writes carry no identity.
    assert all("userIdentity" not in r for r in records if r["eventName"] != "REMOVE")


def test_items_written_after_enabling_and_updated_expiry(ddb, make_table):
    table = make_table()
    ddb.put_item(TableName=table, Item={"pk": {"S": "before"}, "exp": {"N": str(int(time.time()) - 5)}})
    time.sleep(1.0)
    # TTL is off: nothing is swept.
    assert "Item" in ddb.get_item(TableName=table, Key={"pk": {"S": "before"}})
    ddb.update_time_to_live(TableName=table, TimeToLiveSpecification=spec(True))
    # Items already in the table are scheduled when TTL is enabled.
    wait_gone(ddb, table, {"pk": {"S": "before"}})
    # Moving an expiry into the past with UpdateItem expires the item.
    ddb.put_item(TableName=table, Item={"pk": {"S": "moved"}, "exp": {"N": str(int(time.time()) + 3600)}})
    ddb.update_item(TableName=table, Key={"pk": {"S": "moved"}}, UpdateExpression="SET exp = :e",
                    ExpressionAttributeValues={":e": {"N": str(int(time.time()) - 1)}})
    wait_gone(ddb, table, {"pk": {"S": "moved"}})
    # Removing the attribute keeps the item.
    ddb.put_item(TableName=table, Item={"pk": {"S": "kept"}, "exp": {"N": str(int(time.time()) + 2)}})
    ddb.update_item(TableName=table, Key={"pk": {"S": "kept"}}, UpdateExpression="REMOVE exp")
    time.sleep(3.5)
    assert "Item" in ddb.get_item(TableName=table, Key={"pk": {"S": "kept"}})


@pytest.mark.restart
def test_sweeps_resume_after_a_restart(ddb, make_table, restart):
    table = make_table()
    ddb.update_time_to_live(TableName=table, TimeToLiveSpecification=spec(True))
    ddb.put_item(TableName=table, Item={"pk": {"S": "x"}, "exp": {"N": str(int(time.time()) + 4)}})
    restart()
    wait_gone(ddb, table, {"pk": {"S": "x"}})
