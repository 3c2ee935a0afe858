#!/usr/bin/env python3
"""Writes the hand-made seed inputs of the fuzz targets into fuzz/corpus/<target>/seed-*.

    python3 fuzz/seeds.py [--log-db path/to/table.sqlite ...]

request_decode inputs are NUL-separated requests, each a target selector byte (1 + an index
into extenddo_engine::fuzzing::TARGETS) followed by the JSON body; they run against the fixture
table "fuzz" (pk S, sk N; LSI "lsi" on g; GSI "multi" with partition key (g S, h N) and sort key
(b B, sk N); GSI "byg" (g, h) INCLUDE x). log_frames seeds are frames copied from the `log`
table of real table databases given with --log-db (e.g. a kept e2e data dir).
"""

import hashlib
import json
import sqlite3
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"

TARGETS = [
    "PutItem", "GetItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
    "BatchWriteItem", "CreateTable", "UpdateTable", "DescribeTable", "DeleteTable", "ListTables",
    "UpdateTimeToLive", "DescribeTimeToLive", "DescribeLimits", "DescribeEndpoints",
    "ListStreams", "DescribeStream", "GetShardIterator", "GetRecords",
]
T = "fuzz"
KEY = {"pk": {"S": "p"}, "sk": {"N": "1"}}
ITEM = {"pk": {"S": "q"}, "sk": {"N": "7"}, "g": {"S": "a"}, "h": {"N": "1"}, "b": {"B": "AAE="},
        "x": {"SS": ["x"]}, "n": {"N": "3"}, "m": {"M": {"k": {"L": [{"S": "v"}]}}}}


def req(op, body):
    return bytes([TARGETS.index(op) + 1]) + json.dumps(body).encode()


def chain(*reqs):
    return b"\x00".join(reqs)


def eq(v):
    return {"ComparisonOperator": "EQ", "AttributeValueList": [v]}


REQUESTS = [
    req("PutItem", {"TableName": T, "Item": ITEM}),
    req("PutItem", {"TableName": T, "Item": ITEM, "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValues": "ALL_OLD"}),
    req("PutItem", {"TableName": T, "Item": ITEM, "Expected": {"n": {"Value": {"N": "3"}},
                    "zz": {"Exists": False}}, "ConditionalOperator": "OR"}),
    req("PutItem", {"TableName": T, "Item": ITEM, "Expected": {"n": {
        "ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "5"}]}}}),
    req("GetItem", {"TableName": T, "Key": KEY, "AttributesToGet": ["g", "l"]}),
    req("GetItem", {"TableName": T, "Key": KEY, "ProjectionExpression": "l[1].k, #g",
                    "ExpressionAttributeNames": {"#g": "g"}, "ConsistentRead": True}),
    req("UpdateItem", {"TableName": T, "Key": KEY, "UpdateExpression":
                       "SET n = if_not_exists(n, :z) + :one, l = list_append(l, :l) REMOVE x",
                       "ExpressionAttributeValues": {":z": {"N": "0"}, ":one": {"N": "1"},
                                                     ":l": {"L": [{"NULL": True}]}},
                       "ReturnValues": "UPDATED_NEW"}),
    req("UpdateItem", {"TableName": T, "Key": KEY, "AttributeUpdates": {
        "n": {"Action": "ADD", "Value": {"N": "2"}}, "x": {"Action": "DELETE",
        "Value": {"SS": ["x"]}}, "l": {"Action": "ADD", "Value": {"L": [{"S": "z"}]}},
        "g": {"Action": "DELETE"}}, "ReturnValues": "ALL_NEW"}),
    req("DeleteItem", {"TableName": T, "Key": KEY, "Expected": {"g": {
        "ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "a"}]}}}),
    req("Query", {"TableName": T, "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
                  "ExpressionAttributeValues": {":p": {"S": "p"}, ":a": {"N": "0"},
                                                ":b": {"N": "9"}}, "Limit": 1}),
    req("Query", {"TableName": T, "KeyConditions": {"pk": eq({"S": "p"}), "sk": {
        "ComparisonOperator": "GT", "AttributeValueList": [{"N": "0"}]}},
        "QueryFilter": {"g": {"ComparisonOperator": "NOT_NULL"}, "h": eq({"N": "1"})},
        "ConditionalOperator": "AND", "ScanIndexForward": False}),
    req("Query", {"TableName": T, "IndexName": "multi",
                  "KeyConditionExpression": "g = :g AND h = :h AND b = :b AND sk > :s",
                  "ExpressionAttributeValues": {":g": {"S": "a"}, ":h": {"N": "1"},
                                                ":b": {"B": "AP8="}, ":s": {"N": "0"}}}),
    req("Query", {"TableName": T, "IndexName": "multi",
                  "KeyConditionExpression": "g = :g AND h = :h AND begins_with(b, :b)",
                  "ExpressionAttributeValues": {":g": {"S": "a\u0000"}, ":h": {"N": "1"},
                                                ":b": {"B": "AA=="}}}),
    req("Query", {"TableName": T, "IndexName": "multi", "KeyConditions": {
        "g": eq({"S": "b"}), "h": eq({"N": "1"}), "b": {"ComparisonOperator": "LE",
                                                        "AttributeValueList": [{"B": "/w=="}]}}}),
    req("Query", {"TableName": T, "IndexName": "lsi", "KeyConditionExpression": "pk = :p",
                  "ExpressionAttributeValues": {":p": {"S": "p"}}, "Select": "ALL_ATTRIBUTES"}),
    req("Query", {"TableName": T, "IndexName": "byg", "KeyConditionExpression": "g = :g",
                  "ExpressionAttributeValues": {":g": {"S": "a"}}, "AttributesToGet": ["x"]}),
    req("Scan", {"TableName": T, "ScanFilter": {"l": {"ComparisonOperator": "CONTAINS",
                 "AttributeValueList": [{"N": "1"}]}, "n": {"ComparisonOperator": "IN",
                 "AttributeValueList": [{"N": "3"}, {"N": "4"}]}}, "ConditionalOperator": "OR"}),
    req("Scan", {"TableName": T, "FilterExpression": "size(l) > :n OR contains(x, :x)",
                 "ExpressionAttributeValues": {":n": {"N": "1"}, ":x": {"S": "x"}},
                 "Segment": 0, "TotalSegments": 2, "ReturnConsumedCapacity": "INDEXES"}),
    req("Scan", {"TableName": T, "IndexName": "multi", "Limit": 2}),
    req("BatchGetItem", {"RequestItems": {T: {"Keys": [KEY, {"pk": {"S": "q"}, "sk": {"N": "7"}}],
                                              "AttributesToGet": ["pk"]}}}),
    req("BatchWriteItem", {"RequestItems": {T: [{"PutRequest": {"Item": ITEM}},
                                                {"DeleteRequest": {"Key": KEY}}]}}),
    req("CreateTable", {"TableName": "t22", "AttributeDefinitions": [
        {"AttributeName": "a", "AttributeType": "B"}], "KeySchema": [
        {"AttributeName": "a", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}),
    req("UpdateTable", {"TableName": T, "AttributeDefinitions": [
        {"AttributeName": "n", "AttributeType": "N"}, {"AttributeName": "g", "AttributeType": "S"}],
        "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "byn", "KeySchema": [
            {"AttributeName": "n", "KeyType": "HASH"}, {"AttributeName": "g", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}}]}),
    req("DescribeTable", {"TableName": T}),
    req("DeleteTable", {"TableName": T}),
    req("ListTables", {"Limit": 1}),
    req("UpdateTimeToLive", {"TableName": T, "TimeToLiveSpecification": {
        "Enabled": True, "AttributeName": "n"}}),
    req("DescribeTimeToLive", {"TableName": T}),
    req("DescribeLimits", {}),
    req("DescribeEndpoints", {}),
    req("ListStreams", {"TableName": T}),
    req("DescribeStream", {"StreamArn": "arn:aws:dynamodb:us-east-1:000000000000:table/fuzz/stream/x"}),
    req("GetShardIterator", {"StreamArn": "arn:aws:dynamodb:us-east-1:000000000000:table/fuzz/stream/x",
                             "ShardId": "shardId-1", "ShardIteratorType": "TRIM_HORIZON"}),
    req("GetRecords", {"ShardIterator": "x", "Limit": 1}),
    # Sequences: write then read back, streams end to end.
    chain(req("PutItem", {"TableName": T, "Item": ITEM}),
          req("UpdateItem", {"TableName": T, "Key": {"pk": ITEM["pk"], "sk": ITEM["sk"]},
                             "UpdateExpression": "ADD n :n", "ExpressionAttributeValues":
                             {":n": {"N": "1"}}}),
          req("ListStreams", {}), req("Scan", {"TableName": T})),
    chain(req("UpdateTimeToLive", {"TableName": T, "TimeToLiveSpecification":
                                   {"Enabled": True, "AttributeName": "n"}}),
          req("PutItem", {"TableName": T, "Item": ITEM}), req("Scan", {"TableName": T})),
    # A target taken from the input, no target at all.
    b"\xfeDynamoDB_20120810.Unknown\n{}",
    b"\xff{}",
]

EXPRESSIONS = [
    "a = :n", "#a.b[1] <> :s AND NOT attribute_exists(c)", "size(l) BETWEEN :n AND :big",
    "a IN (:n, :s, :b) OR begins_with(s, :s)", "contains(c, :s) AND attribute_type(a, :S)",
    "SET a.k = :n + a.k, b[5] = list_append(:l, b) REMOVE c ADD n :n DELETE c :ss",
    "SET #a = if_not_exists(#a, :m), x = :z", "REMOVE b[0], b[1]", "ADD c :ss, n :n",
    "a, b[0].k, #dot, #status", "n = :n AND s = :s", "b < :b", "(a = :n) OR (b = :s)",
    "NOT (n > :n)", "n BETWEEN :big AND :n", "SET a = :t", "a.b.c.d.e.f[0][1][2] = :n",
    "SET b[2147483647] = :n", "attribute_not_exists(#x) AND #c = :ss",
]

VALUES = [
    {"a": {"S": "x"}, "n": {"N": "-1.5e-20"}, "b": {"B": "AP8="}},
    {"ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "1e125"]}, "bs": {"BS": ["AA==", "AAA="]}},
    {"m": {"M": {"l": {"L": [{"NULL": True}, {"BOOL": False}, {"M": {}}]}}}},
    {"n": {"N": "99999999999999999999999999999999999999"}, "z": {"N": "-0.000"}},
    {"deep": {"L": [{"L": [{"L": [{"L": [{"S": ""}]}]}]}]}},
    {"bad": {"S": "a", "N": "1"}},
    {"ns": {"NS": ["1", "1.0"]}},
]


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"seed-{name}").write_bytes(data)


def main(args):
    for r in REQUESTS:
        write("request_decode", hashlib.sha1(r).hexdigest()[:12], r)
    for e in EXPRESSIONS:
        write("expressions", hashlib.sha1(e.encode()).hexdigest()[:12], e.encode())
    for v in VALUES:
        data = json.dumps(v).encode()
        write("wire_values", hashlib.sha1(data).hexdigest()[:12], data)
    dbs = [a for a in args if not a.startswith("--")]
    for db in dbs:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            for (frame,) in con.execute("SELECT frame FROM log ORDER BY lsn LIMIT 20"):
                write("log_frames", hashlib.sha1(frame).hexdigest()[:12], frame)
        except sqlite3.Error:
            pass
        finally:
            con.close()


if __name__ == "__main__":
    main(sys.argv[1:])
