"""Table identity, on both hosts: a table is an incarnation with its own TableId and its own
log. Deleting a table and creating it again under the same name gives a fresh, empty log (its
first record, LSN 1, is the TableCreated, so the first item's stream sequence number is 2),
while the deleted table's stream stays readable by its ARN (AWS keeps it 24 hours).

And the response headers every DynamoDB answer carries, the same on both hosts:
`x-amzn-RequestId` (52 characters of [A-Z0-9]), `x-amz-crc32` (of the body as sent) and the
JSON content type.
"""

import re
import zlib

import pytest

from ddbutil import create_table_kwargs, expect_error, unique_name
from streamsutil import read_stream, streams  # noqa: F401


def keys(records):
    return [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records]


def stream_kwargs(name):
    kw = create_table_kwargs(name)
    kw["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    return kw


def test_recreated_table_is_a_fresh_incarnation(ddb, streams):  # noqa: F811
    name = unique_name("reborn")
    first = ddb.create_table(**stream_kwargs(name))["TableDescription"]
    for pk in ("a", "b"):
        ddb.put_item(TableName=name, Item={"pk": {"S": pk}})
    ddb.delete_item(TableName=name, Key={"pk": {"S": "a"}})
    old_arn = first["LatestStreamArn"]
    deleted = ddb.delete_table(TableName=name)["TableDescription"]
    assert deleted["TableId"] == first["TableId"]
    expect_error(lambda: ddb.describe_table(TableName=name), "ResourceNotFoundException")

    second = ddb.create_table(**stream_kwargs(name))["TableDescription"]
    try:
        assert second["TableId"] != first["TableId"], "a new incarnation has a new TableId"
        new_arn = second["LatestStreamArn"]
        assert new_arn != old_arn
        # Nothing of the old table is visible in the new one.
        assert ddb.scan(TableName=name)["Count"] == 0
        ddb.put_item(TableName=name, Item={"pk": {"S": "c"}})
        assert [i["pk"]["S"] for i in ddb.scan(TableName=name)["Items"]] == ["c"]

        # The new table's log starts afresh: LSN 1 is its TableCreated, so its first item
        # record is sequence number 2 (an appended log would continue the old numbering).
        new = read_stream(streams, new_arn)
        assert keys(new) == [("INSERT", "c")]
        assert int(new[0]["dynamodb"]["SequenceNumber"]) == 2

        # The deleted table's stream is still readable by its ARN, with its records.
        d = streams.describe_stream(StreamArn=old_arn)["StreamDescription"]
        assert d["StreamStatus"] == "DISABLED"
        assert d["TableName"] == name
        assert all("EndingSequenceNumber" in s["SequenceNumberRange"] for s in d["Shards"])
        old = read_stream(streams, old_arn)
        assert keys(old) == [("INSERT", "a"), ("INSERT", "b"), ("REMOVE", "a")]
        assert [int(r["dynamodb"]["SequenceNumber"]) for r in old] == [2, 3, 4]

        # ListStreams shows both streams of the name, oldest first.
        listed = [s["StreamArn"] for s in streams.list_streams(TableName=name)["Streams"]]
        assert listed == [old_arn, new_arn]
        everything = []
        kw = {}
        while True:
            page = streams.list_streams(Limit=100, **kw)
            everything += [s["StreamArn"] for s in page["Streams"]]
            if "LastEvaluatedStreamArn" not in page:
                break
            kw = {"ExclusiveStartStreamArn": page["LastEvaluatedStreamArn"]}
        assert old_arn in everything and new_arn in everything
    finally:
        ddb.delete_table(TableName=name)


def test_a_name_deleted_twice_is_not_found(ddb):
    name = unique_name("twice")
    ddb.create_table(**create_table_kwargs(name))
    ddb.delete_table(TableName=name)
    expect_error(lambda: ddb.delete_table(TableName=name), "ResourceNotFoundException",
                 f"Requested resource not found: Table: {name} not found")
    expect_error(lambda: ddb.put_item(TableName=name, Item={"pk": {"S": "x"}}),
                 "ResourceNotFoundException")


@pytest.mark.parametrize("target,body,status", [
    ("ListTables", b"{}", 200),
    ("DescribeTable", b'{"TableName": "no-such-table"}', 400),
    ("PutItem", b"{not json", 400),
])
def test_response_headers(raw, target, body, status):
    r = raw.send("DynamoDB_20120810." + target, body)
    assert r.status == status, r.text
    rid = r.headers.get("x-amzn-RequestId")
    assert rid and re.fullmatch(r"[A-Z0-9]{52}", rid), rid
    assert r.headers.get("x-amz-crc32") == str(zlib.crc32(r.body)), r.headers
    assert r.headers.get("Content-Type") == "application/x-amz-json-1.0"


def test_request_ids_differ(raw):
    ids = {raw.send("DynamoDB_20120810.ListTables", b"{}").headers["x-amzn-RequestId"]
           for _ in range(5)}
    assert len(ids) == 5
