"""DynamoDB Streams with boto3's `dynamodbstreams` client (same endpoint, target prefix
`DynamoDBStreams_20120810.`): StreamSpecification on CreateTable/UpdateTable, DescribeTable's
LatestStreamArn/Label, ListStreams, DescribeStream, GetShardIterator, GetRecords.

The property under test: a consumer reading every shard from TRIM_HORIZON sees exactly the
acknowledged mutations, in order, once each, with the images the view type promises —
also across a restart of the server in the middle of consuming.

Error wording: UpdateTable's stream messages ("Table already has an enabled stream: TableName:
…", "Table has no stream to disable: TableName: …", "If stream is being enabled then
UpdateViewType is required", …) were recorded against AWS (us-west-2/us-east-1, 2026);
"Requested resource not found: Stream: <arn> not found", "Invalid ShardId in ShardIterator"
and the ExpiredIteratorException text are AWS's as quoted in SDK and client issue threads.
"""

import json
import time

import pytest

from ddbutil import expect_error
from streamsutil import (VIEW_TYPES, expected, read_shard, read_stream, shards_of,  # noqa: F401
                         streams, summarize)


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def stream_table(make_table, view="NEW_AND_OLD_IMAGES", **kw):
    return make_table(range_key=("sk", "N"),
                      StreamSpecification={"StreamEnabled": True, "StreamViewType": view}, **kw)


def latest_arn(ddb, table):
    return ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]


def write_workload(ddb, table):
    """A mix of every kind of write; returns the mutations that must appear, in order, as
    (eventName, Keys, NewImage, OldImage)."""
    k1 = {"pk": S("a"), "sk": N(1)}
    k2 = {"pk": S("a"), "sk": N(2)}
    k3 = {"pk": S("b"), "sk": N(1)}
    i1 = {**k1, "v": N(1), "s": S("x"), "b": {"B": b"\x00\xff"}}
    i1b = {**k1, "v": N(2), "s": S("x"), "b": {"B": b"\x00\xff"}}
    i1c = {**i1b, "l": {"L": [S("y"), {"BOOL": True}]}}
    i2 = {**k2, "v": N(7)}
    i3 = {**k3, "m": {"M": {"n": {"NULL": True}}}}
    ev = []
    ddb.put_item(TableName=table, Item=i1)
    ev.append(("INSERT", k1, i1, None))
    ddb.put_item(TableName=table, Item=i1)  # changes nothing: no record
    ddb.put_item(TableName=table, Item=i1b)
    ev.append(("MODIFY", k1, i1b, i1))
    ddb.update_item(TableName=table, Key=k1, UpdateExpression="SET l = :l",
                    ExpressionAttributeValues={":l": {"L": [S("y"), {"BOOL": True}]}})
    ev.append(("MODIFY", k1, i1c, i1b))
    with pytest.raises(Exception):  # a failed condition writes nothing
        ddb.put_item(TableName=table, Item=i2, ConditionExpression="attribute_exists(pk)")
    ddb.delete_item(TableName=table, Key=k2)  # nothing to delete: no record
    ddb.batch_write_item(RequestItems={table: [
        {"PutRequest": {"Item": i2}},
        {"PutRequest": {"Item": i3}},
    ]})
    ev.append(("INSERT", k2, i2, None))
    ev.append(("INSERT", k3, i3, None))
    ddb.update_item(TableName=table, Key={"pk": S("c"), "sk": N(0)},
                    UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": N(5)})
    ev.append(("INSERT", {"pk": S("c"), "sk": N(0)}, {"pk": S("c"), "sk": N(0), "v": N(5)}, None))
    ddb.delete_item(TableName=table, Key=k1)
    ev.append(("REMOVE", k1, None, i1c))
    ddb.batch_write_item(RequestItems={table: [{"DeleteRequest": {"Key": k3}}]})
    ev.append(("REMOVE", k3, None, i3))
    return ev


def test_describe_table_reports_the_stream(ddb, make_table, streams):
    table = stream_table(make_table, "NEW_IMAGE")
    t = ddb.describe_table(TableName=table)["Table"]
    assert t["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    label = t["LatestStreamLabel"]
    assert len(label) == len("2026-11-27T14:00:00.123") and label[10] == "T"
    assert t["LatestStreamArn"] == f"{t['TableArn']}/stream/{label}"
    d = streams.describe_stream(StreamArn=t["LatestStreamArn"])["StreamDescription"]
    assert d["StreamStatus"] == "ENABLED"
    assert d["StreamViewType"] == "NEW_IMAGE"
    assert d["TableName"] == table
    assert d["StreamLabel"] == label
    assert d["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "sk", "KeyType": "RANGE"}]
    [shard] = d["Shards"]
    assert shard["ShardId"].startswith("shardId-")
    assert "EndingSequenceNumber" not in shard["SequenceNumberRange"]
    listed = streams.list_streams(TableName=table)["Streams"]
    assert listed == [{"StreamArn": t["LatestStreamArn"], "TableName": table,
                       "StreamLabel": label}]
    # A table without a stream has none of it.
    plain = make_table()
    t = ddb.describe_table(TableName=plain)["Table"]
    assert "StreamSpecification" not in t and "LatestStreamArn" not in t
    assert streams.list_streams(TableName=plain)["Streams"] == []


@pytest.mark.parametrize("view", VIEW_TYPES)
def test_consumer_sees_every_acknowledged_mutation_once(ddb, make_table, streams, view):
    table = stream_table(make_table, view)
    events = write_workload(ddb, table)
    arn = latest_arn(ddb, table)
    for limit in (None, 1, 3):
        records = read_stream(streams, arn, limit)
        assert [summarize(r) for r in records] == expected(view, events)
    seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
    assert all(len(s) >= 21 and s.isdigit() for s in seqs)
    assert [int(s) for s in seqs] == sorted({int(s) for s in seqs})
    assert len({r["eventID"] for r in records}) == len(records)
    for r in records:
        assert r["eventSource"] == "aws:dynamodb"
        assert r["eventVersion"] == "1.1"
        assert r["awsRegion"] == "us-east-1"
        assert r["dynamodb"]["StreamViewType"] == view
        assert r["dynamodb"]["SizeBytes"] > 0
        assert abs(r["dynamodb"]["ApproximateCreationDateTime"].timestamp() - time.time()) < 600
        assert "userIdentity" not in r


def test_iterator_types(ddb, make_table, streams):
    table = stream_table(make_table, "KEYS_ONLY")
    for i in range(4):
        ddb.put_item(TableName=table, Item={"pk": S("k"), "sk": N(i)})
    arn = latest_arn(ddb, table)
    [shard] = shards_of(streams, arn)
    sid = shard["ShardId"]
    recs, nxt = read_shard(streams, arn, sid)
    assert len(recs) == 4 and nxt is not None
    seq = [r["dynamodb"]["SequenceNumber"] for r in recs]
    assert shard["SequenceNumberRange"]["StartingSequenceNumber"] <= seq[0]

    def from_seq(kind, s):
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=sid, ShardIteratorType=kind,
                                        SequenceNumber=s)["ShardIterator"]
        return [r["dynamodb"]["SequenceNumber"] for r in streams.get_records(ShardIterator=it)["Records"]]

    assert from_seq("AT_SEQUENCE_NUMBER", seq[1]) == seq[1:]
    assert from_seq("AFTER_SEQUENCE_NUMBER", seq[1]) == seq[2:]
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=sid,
                                        ShardIteratorType="LATEST")["ShardIterator"]
    r = streams.get_records(ShardIterator=latest)
    assert r["Records"] == [] and r["NextShardIterator"]
    ddb.put_item(TableName=table, Item={"pk": S("k"), "sk": N(99)})
    r = streams.get_records(ShardIterator=r["NextShardIterator"])
    assert [x["dynamodb"]["Keys"] for x in r["Records"]] == [{"pk": S("k"), "sk": N(99)}]
    assert "NewImage" not in r["Records"][0]["dynamodb"]
    # The iterator from before the write still reads everything after its position.
    assert len(streams.get_records(ShardIterator=nxt)["Records"]) == 1


def test_disable_closes_the_shard_and_reenable_opens_a_new_stream(ddb, make_table, streams):
    table = stream_table(make_table, "NEW_IMAGE")
    arn1 = latest_arn(ddb, table)
    ddb.put_item(TableName=table, Item={"pk": S("one"), "sk": N(1)})
    ddb.update_table(TableName=table, StreamSpecification={"StreamEnabled": False})
    t = ddb.describe_table(TableName=table)["Table"]
    assert "StreamSpecification" not in t
    assert t["LatestStreamArn"] == arn1
    ddb.put_item(TableName=table, Item={"pk": S("unseen"), "sk": N(1)})
    d = streams.describe_stream(StreamArn=arn1)["StreamDescription"]
    assert d["StreamStatus"] == "DISABLED"
    [closed] = d["Shards"]
    assert "EndingSequenceNumber" in closed["SequenceNumberRange"]
    recs, nxt = read_shard(streams, arn1, closed["ShardId"])
    assert [r["dynamodb"]["Keys"]["pk"] for r in recs] == [S("one")]
    assert nxt is None  # a closed shard read to its end has no NextShardIterator
    expect_error(lambda: ddb.update_table(TableName=table,
                                          StreamSpecification={"StreamEnabled": False}),
                 "ValidationException", f"Table has no stream to disable: TableName: {table}")

    ddb.update_table(TableName=table, StreamSpecification={"StreamEnabled": True,
                                                           "StreamViewType": "OLD_IMAGE"})
    arn2 = latest_arn(ddb, table)
    assert arn2 != arn1
    expect_error(lambda: ddb.update_table(TableName=table, StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "OLD_IMAGE"}),
        "ValidationException", f"Table already has an enabled stream: TableName: {table}")
    ddb.delete_item(TableName=table, Key={"pk": S("unseen"), "sk": N(1)})
    [child] = shards_of(streams, arn2)
    assert child["ParentShardId"] == closed["ShardId"]
    recs = read_stream(streams, arn2)
    assert [summarize(r) for r in recs] == [
        ("REMOVE", {"pk": S("unseen"), "sk": N(1)}, None, {"pk": S("unseen"), "sk": N(1)})]
    listed = streams.list_streams(TableName=table)["Streams"]
    assert [s["StreamArn"] for s in listed] == [arn1, arn2]
    page = streams.list_streams(TableName=table, Limit=1)
    assert [s["StreamArn"] for s in page["Streams"]] == [arn1]
    assert page["LastEvaluatedStreamArn"] == arn1
    page = streams.list_streams(TableName=table, Limit=1, ExclusiveStartStreamArn=arn1)
    assert [s["StreamArn"] for s in page["Streams"]] == [arn2]
    assert "LastEvaluatedStreamArn" not in page
    everything = []
    kw = {"Limit": 1}
    for _ in range(1000):
        page = streams.list_streams(**kw)
        everything.extend(s["StreamArn"] for s in page["Streams"])
        if "LastEvaluatedStreamArn" not in page:
            break
        kw["ExclusiveStartStreamArn"] = page["LastEvaluatedStreamArn"]
    assert everything.index(arn2) == everything.index(arn1) + 1


def test_update_table_stream_validation(ddb_noval, make_table):
    table = make_table()
    expect_error(lambda: ddb_noval.update_table(TableName=table, StreamSpecification={
        "StreamEnabled": True}), "ValidationException",
        "One or more parameter values were invalid: If stream is being enabled then "
        "UpdateViewType is required")
    expect_error(lambda: ddb_noval.update_table(TableName=table, StreamSpecification={
        "StreamEnabled": False, "StreamViewType": "KEYS_ONLY"}), "ValidationException",
        "One or more parameter values were invalid: If stream is being disabled, then "
        "UpdateViewType must not be specified")
    expect_error(lambda: ddb_noval.update_table(TableName=table, StreamSpecification={
        "StreamEnabled": False}), "ValidationException",
        f"Table has no stream to disable: TableName: {table}")
    expect_error(lambda: ddb_noval.update_table(TableName=table, StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "EVERYTHING"}), "ValidationException",
        contains=["streamSpecification.streamViewType", "Member must satisfy enum value set"])
    expect_error(lambda: make_table(StreamSpecification={"StreamEnabled": True}),
                 "ValidationException",
                 "One or more parameter values were invalid: Table is being created with a "
                 "stream enabled, UpdateViewType is required")


def test_errors(ddb, make_table, streams):
    table = stream_table(make_table)
    arn = latest_arn(ddb, table)
    [shard] = shards_of(streams, arn)
    missing = arn.replace(f"table/{table}/", f"table/{table}-missing/")
    expect_error(lambda: streams.describe_stream(StreamArn=missing),
                 "ResourceNotFoundException",
                 f"Requested resource not found: Stream: {missing} not found")
    expect_error(lambda: streams.get_shard_iterator(
        StreamArn=missing, ShardId=shard["ShardId"], ShardIteratorType="LATEST"),
        "ResourceNotFoundException")
    expect_error(lambda: streams.get_shard_iterator(
        StreamArn=arn, ShardId="shardId-00000000000000000000-00000000",
        ShardIteratorType="LATEST"), "ResourceNotFoundException")
    expect_error(lambda: streams.get_records(ShardIterator="not-an-iterator"),
                 "ValidationException", "Invalid ShardIterator")
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert it.startswith(arn + "|")
    expect_error(lambda: streams.get_records(ShardIterator=it[:-6] + "AAAAAA"),
                 "ValidationException", "Invalid ShardIterator")
    expect_error(lambda: streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber="9" * 21), "ValidationException")
    expect_error(lambda: streams.list_streams(TableName=f"{table}-missing"),
                 "ResourceNotFoundException")


@pytest.mark.restart
def test_consumer_continues_across_a_restart(ddb, make_table, streams, restart):
    table = stream_table(make_table)
    events = write_workload(ddb, table)
    arn = latest_arn(ddb, table)
    [shard] = shards_of(streams, arn)
    sid = shard["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=sid,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    first = streams.get_records(ShardIterator=it, Limit=3)
    got = list(first["Records"])
    assert len(got) == 3

    restart()

    # The iterator issued before the restart continues where it stopped.
    more = [("INSERT", {"pk": S("after"), "sk": N(1)}, {"pk": S("after"), "sk": N(1)}, None)]
    ddb.put_item(TableName=table, Item={"pk": S("after"), "sk": N(1)})
    it = first["NextShardIterator"]
    for _ in range(100):
        r = streams.get_records(ShardIterator=it, Limit=2)
        got.extend(r["Records"])
        if not r["Records"]:
            break
        it = r["NextShardIterator"]
    want = expected("NEW_AND_OLD_IMAGES", events + more)
    assert [summarize(r) for r in got] == want
    # Sequence numbers and shards are stable: a fresh read gives the same records.
    assert shards_of(streams, arn) == [shard]
    again = read_stream(streams, arn)
    assert [r["dynamodb"]["SequenceNumber"] for r in again] == \
        [r["dynamodb"]["SequenceNumber"] for r in got]
    assert [r["eventID"] for r in again] == [r["eventID"] for r in got]


def test_malformed_stream_arns_are_invalid(ddb_noval, make_table, host):
    from ddbutil import Raw
    raw = Raw(host.endpoint, creds=host.creds)
    table = stream_table(make_table)
    table_arn = ddb_noval.describe_table(TableName=table)["Table"]["TableArn"]
    for bad in ["fake-stream", table_arn, table_arn + "/index/x",
                "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/"]:
        for op, body in [("DescribeStream", {"StreamArn": bad}),
                         ("GetShardIterator", {"StreamArn": bad, "ShardIteratorType": "LATEST",
                                               "ShardId": "shardId-" + "0" * 20})]:
            r = raw.send("DynamoDBStreams_20120810." + op, json.dumps(body).encode())
            assert (r.status, r.code, r.message) == (400, "ValidationException",
                                                     "Invalid StreamArn"), (op, bad, r)


def test_shard_filter_child_shards(ddb, make_table, streams):
    table = stream_table(make_table)
    arn = latest_arn(ddb, table)
    [shard] = shards_of(streams, arn)
    d = streams.describe_stream(StreamArn=arn, ShardFilter={
        "Type": "CHILD_SHARDS", "ShardId": shard["ShardId"]})["StreamDescription"]
    assert d["Shards"] == []
    d = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert [s["ShardId"] for s in d["Shards"]] == [shard["ShardId"]]


def test_shard_filter_validation(ddb, make_table, host):
    from ddbutil import Raw
    table = stream_table(make_table)
    arn = latest_arn(ddb, table)
    raw = Raw(host.endpoint, creds=host.creds)

    def describe(body):
        return raw.send("DynamoDBStreams_20120810.DescribeStream", json.dumps(body).encode())

    r = describe({"StreamArn": arn, "ShardFilter": {"Type": "PARENT_SHARDS",
                                                    "ShardId": "shardId-" + "0" * 20}})
    assert r.status == 400 and r.code == "ValidationException", r
    assert r.message == (
        "1 validation error detected: Value 'PARENT_SHARDS' at 'shardFilter.type' failed to "
        "satisfy constraint: Member must satisfy enum value set: [CHILD_SHARDS]"), r
    r = describe({"StreamArn": arn, "ShardFilter": {}})
    assert r.message == (
        "2 validation errors detected: Value null at 'shardFilter.type' failed to satisfy "
        "constraint: Member must not be null; Value null at 'shardFilter.shardId' failed to "
        "satisfy constraint: Member must not be null"), r


def test_iterator_at_the_start_of_an_empty_open_shard(ddb, make_table, streams):
    table = stream_table(make_table)
    arn = latest_arn(ddb, table)
    [shard] = shards_of(streams, arn)
    start = shard["SequenceNumberRange"]["StartingSequenceNumber"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                    ShardIteratorType="AT_SEQUENCE_NUMBER",
                                    SequenceNumber=start)["ShardIterator"]
    ddb.put_item(TableName=table, Item={"pk": {"S": "first"}, "sk": {"N": "1"}})
    recs = streams.get_records(ShardIterator=it)["Records"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in recs] == ["first"]


def test_stream_arn_is_unchanged_by_an_unrelated_update_table(ddb, make_table):
    table = stream_table(make_table)
    arn = latest_arn(ddb, table)
    ddb.update_table(TableName=table, BillingMode="PROVISIONED",
                     ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "exp"})
    assert latest_arn(ddb, table) == arn
