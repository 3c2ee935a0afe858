"""Validation and limits as AWS documents and enforces them: the 400 KB item size computed as AWS
computes it (names + values, UTF-8 bytes, raw binary bytes, numbers by significant digits) just
under and just over, key sizes on every operation, empty strings and binaries outside keys,
number precision and range, duplicate and empty sets, 32 levels of nesting, the 4 KB expression
limit on every expression kind, and the 16 MB request body.

Sources for exact messages:
- nubo-db/dynamodb-conformance tests/tier3/limits/itemSize*.test.ts and numberByteSize.test.ts
  (real AWS, byte-exact captures: 409,600 accepted, 409,601 refused; a number's cost is
  1 + ceil(integer digits / 2) + ceil(fraction digits / 2) + 1 if negative, captured for 23
  literals), and tests/tier3/limits/nestingDepth.test.ts (31 levels accepted, 32 refused; the
  message with its "1 validation error detected: " envelope on PutItem / UpdateItem).
- architect/dynalite test/putItem.js (item size with long attribute names and several
  attributes; "Item size has exceeded the maximum allowed size") and test/getItem.js /
  test/updateItem.js (key sizes on Key members).
- Key size messages: see test_items.py (facebook/ThreatExchange#1324, formkiq/formkiq-core#271).
- "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;":
  aws/aws-sdk-java-v2#4597 (real AWS stack trace); the ProjectionExpression form likewise has no
  size suffix (DynamoDB Local's catalogue, and emulators verified against AWS).
- The request body limit (16 MB) is the DynamoDB API reference's; AWS documents no message, so
  only the refusal is asserted.
"""

import json

import pytest

from ddbutil import (MSG_HASH_KEY_TOO_BIG, MSG_RANGE_KEY_TOO_BIG, Raw, expect_error, expect_raw_error,
                     msg_empty_key)

TOO_BIG = "Item size has exceeded the maximum allowed size"
MAX = 409_600
NEST = ("1 validation error detected: Nesting Levels have exceeded supported limits: Attributes "
        "in the item have nested levels beyond supported limit")


def sized(key_value, total, pad_name="p", extra=None):
    """An item {pk: key_value, **extra, pad_name: 'x'*n} of exactly `total` bytes (ASCII)."""
    extra = extra or {}
    used = len("pk") + len(key_value.encode()) + len(pad_name.encode())
    for name, v in extra.items():
        (ty, val), = v.items()
        used += len(name.encode()) + (len(val.encode()) if ty == "S" else len(val))
    return {"pk": {"S": key_value}, **extra, pad_name: {"S": "x" * (total - used)}}


# ---- item size -------------------------------------------------------------------------------


@pytest.mark.parametrize("pad_name", ["p", "b" * 27, "ünïcödé-name"])
def test_item_size_boundary_counts_names(ddb, table_s, pad_name):
    ddb.put_item(TableName=table_s, Item=sized("at", MAX, pad_name))
    got = ddb.get_item(TableName=table_s, Key={"pk": {"S": "at"}})["Item"]
    assert len(got[pad_name]["S"]) == MAX - 2 - 2 - len(pad_name.encode())
    expect_error(lambda: ddb.put_item(TableName=table_s, Item=sized("over", MAX + 1, pad_name)),
                 "ValidationException", TOO_BIG)
    assert "Item" not in ddb.get_item(TableName=table_s, Key={"pk": {"S": "over"}})


def test_item_size_several_attributes(ddb, table_s):
    extra = {"bb": {"S": "cc"}, "ccc": {"S": "c" * 1000}, "d": {"B": b"\xff" * 5000}}
    ddb.put_item(TableName=table_s, Item=sized("multi", MAX, extra=extra))
    expect_error(lambda: ddb.put_item(TableName=table_s, Item=sized("multi2", MAX + 1,
                                                                    extra=extra)),
                 "ValidationException", TOO_BIG)


def test_item_size_utf8_bytes_not_characters(ddb, table_s):
    # "é" is 2 bytes in UTF-8: 204,797 of them plus the key come to 409,601 bytes
    chars = (MAX - len("pk") - len("utf") - len("v")) // 2
    item = {"pk": {"S": "utf"}, "v": {"S": "é" * chars}}
    ddb.put_item(TableName=table_s, Item=item)
    item = {"pk": {"S": "utf"}, "v": {"S": "é" * chars + "x"}}
    expect_error(lambda: ddb.put_item(TableName=table_s, Item=item), "ValidationException",
                 TOO_BIG)


def test_item_size_binary_raw_bytes_not_base64(ddb, table_s):
    n = MAX - len("pk") - len("bin") - len("v")
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "bin"}, "v": {"B": b"\x00" * n}})
    expect_error(lambda: ddb.put_item(TableName=table_s, Item={"pk": {"S": "bin"},
                                                               "v": {"B": b"\x00" * (n + 1)}}),
                 "ValidationException", TOO_BIG)


def test_item_size_key_counts(ddb, table_s):
    """The key attribute's name and value are part of the item's size."""
    key = "k" * 2048
    ddb.put_item(TableName=table_s, Item=sized(key, MAX))
    expect_error(lambda: ddb.put_item(TableName=table_s, Item=sized("j" * 2048, MAX + 1)),
                 "ValidationException", TOO_BIG)


def test_item_size_put_overwrite_and_update(ddb, table_s):
    """PutItem replaces (old size irrelevant); UpdateItem measures the finished item."""
    ddb.put_item(TableName=table_s, Item=sized("grow" + "g" * 30, MAX - 10))
    ddb.put_item(TableName=table_s, Item=sized("grow" + "g" * 30, MAX))
    expect_error(lambda: ddb.update_item(TableName=table_s, Key={"pk": {"S": "grow" + "g" * 30}},
                                         UpdateExpression="SET z = :z",
                                         ExpressionAttributeValues={":z": {"S": ""}}),
                 "ValidationException",
                 "Item size to update has exceeded the maximum allowed size")
    # shrinking works
    ddb.update_item(TableName=table_s, Key={"pk": {"S": "grow" + "g" * 30}},
                    UpdateExpression="REMOVE p")


# Captured by the conformance suite against real DynamoDB (literal, bytes).
NUMBER_BYTES_AGREED = [
    ("0", 1), ("1", 2), ("12", 2), ("123", 3), ("1234", 3),
    ("12345678901234567890123456789012345678", 20), ("0042", 2), ("100", 2), ("1010", 3),
    ("0.0000001", 2), ("1E125", 2), ("1E-100", 2), ("15", 2), ("123456", 4), ("0.15", 2),
    ("-0", 1),
]
NUMBER_BYTES_STRADDLE = [
    ("1.5", 3), ("1.2", 3), ("1.200", 3), ("1.234", 4), ("3.14159", 5), ("100.5", 4),
    ("-42", 3),
]


@pytest.mark.parametrize("literal,cost", NUMBER_BYTES_AGREED + [
    (lit, cost) for lit, cost in NUMBER_BYTES_STRADDLE])
def test_number_byte_cost(ddb, table_s, literal, cost):
    def item(key, total):
        pad = total - len("pk") - len(key) - len("n") - cost - len("p")
        return {"pk": {"S": key}, "n": {"N": literal}, "p": {"S": "x" * pad}}
    ddb.put_item(TableName=table_s, Item=item(f"at-{literal}", MAX))
    expect_error(lambda: ddb.put_item(TableName=table_s, Item=item(f"over-{literal}", MAX + 1)),
                 "ValidationException", TOO_BIG)


# ---- key sizes on every operation ------------------------------------------------------------


def test_key_sizes_on_key_members(ddb, make_table):
    t = make_table(range_key=("sk", "S"))
    ok = {"pk": {"S": "h" * 2048}, "sk": {"S": "r" * 1024}}
    ddb.put_item(TableName=t, Item=ok)
    assert "Item" in ddb.get_item(TableName=t, Key=ok)
    ddb.update_item(TableName=t, Key=ok, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"N": "1"}})
    ddb.delete_item(TableName=t, Key=ok)
    big_hash = {"pk": {"S": "h" * 2049}, "sk": {"S": "r"}}
    big_range = {"pk": {"S": "h"}, "sk": {"S": "r" * 1025}}
    for key, msg in ((big_hash, MSG_HASH_KEY_TOO_BIG), (big_range, MSG_RANGE_KEY_TOO_BIG)):
        expect_error(lambda: ddb.get_item(TableName=t, Key=key), "ValidationException", msg)
        expect_error(lambda: ddb.delete_item(TableName=t, Key=key), "ValidationException", msg)
        expect_error(lambda: ddb.update_item(TableName=t, Key=key, UpdateExpression="SET v = :v",
                                             ExpressionAttributeValues={":v": {"N": "1"}}),
                     "ValidationException", msg)
    expect_error(lambda: ddb.query(TableName=t, KeyConditionExpression="pk = :p AND sk = :s",
                                   ExpressionAttributeValues={":p": {"S": "h"},
                                                              ":s": {"S": "r" * 1025}}),
                 "ValidationException", MSG_RANGE_KEY_TOO_BIG)


def test_multibyte_key_sizes(ddb, make_table):
    t = make_table(range_key=("sk", "B"))
    ddb.put_item(TableName=t, Item={"pk": {"S": "€" * 682 + "xx"}, "sk": {"B": b"\xff" * 1024}})
    expect_error(lambda: ddb.put_item(TableName=t, Item={"pk": {"S": "€" * 683},
                                                         "sk": {"B": b"\x01"}}),
                 "ValidationException", MSG_HASH_KEY_TOO_BIG)


# ---- empty values ----------------------------------------------------------------------------


def test_empty_strings_and_binaries_outside_keys(ddb, table_s):
    item = {"pk": {"S": "empties"}, "s": {"S": ""}, "b": {"B": b""},
            "m": {"M": {"s": {"S": ""}, "b": {"B": b""}, "": {"S": "empty name in a map"}}},
            "l": {"L": [{"S": ""}, {"B": b""}]}}
    ddb.put_item(TableName=table_s, Item=item)
    assert ddb.get_item(TableName=table_s, Key={"pk": {"S": "empties"}})["Item"] == item
    ddb.update_item(TableName=table_s, Key={"pk": {"S": "empties"}},
                    UpdateExpression="SET s2 = :e", ConditionExpression="s = :e",
                    ExpressionAttributeValues={":e": {"S": ""}})
    resp = ddb.scan(TableName=table_s, FilterExpression="b = :e AND size(s) = :z",
                    ExpressionAttributeValues={":e": {"B": b""}, ":z": {"N": "0"}})
    assert resp["Count"] == 1


def test_empty_key_values_still_refused(ddb, table_s, make_table):
    expect_error(lambda: ddb.update_item(TableName=table_s, Key={"pk": {"S": ""}},
                                         UpdateExpression="SET a = :a",
                                         ExpressionAttributeValues={":a": {"S": "x"}}),
                 "ValidationException", msg_empty_key("pk"))
    expect_error(lambda: ddb.delete_item(TableName=table_s, Key={"pk": {"S": ""}}),
                 "ValidationException", msg_empty_key("pk"))
    t = make_table(range_key=("sk", "B"))
    expect_error(lambda: ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "sk": {"B": b""}}),
                 "ValidationException", msg_empty_key("sk", "binary"))


# ---- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("given,stored", [
    ("0.00000000000000000000000000000000000000000012345678901234567890123456789012345678",
     "0.00000000000000000000000000000000000000000012345678901234567890123456789012345678"),
    ("12345678901234567890123456789012345678000000", "12345678901234567890123456789012345678000000"),
    ("-9.9999999999999999999999999999999999999E+125", "-" + "9" * 38 + "0" * 88),
    ("1E-130", "0." + "0" * 129 + "1"),
    ("1.00000000000000000000000000000000000000000", "1"),
])
def test_number_precision_and_range_accepted(ddb, table_s, given, stored):
    key = {"pk": {"S": f"num{given[:20]}{len(given)}"}}
    ddb.put_item(TableName=table_s, Item={**key, "n": {"N": given}})
    assert ddb.get_item(TableName=table_s, Key=key)["Item"]["n"] == {"N": stored}


@pytest.mark.parametrize("value,message", [
    ("123456789012345678901234567890123456789",
     "Attempting to store more than 38 significant digits in a Number"),
    ("1e126", "Number overflow. Attempting to store a number with magnitude larger than "
              "supported range"),
    ("1e-131", "Number underflow. Attempting to store a number with magnitude smaller than "
               "supported range"),
])
def test_invalid_numbers_in_other_members(ddb, table_s, value, message):
    """Checked wherever a number appears: Key, ExpressionAttributeValues, set members."""
    expect_error(lambda: ddb.get_item(TableName=table_s, Key={"pk": {"S": "x"}, "n": {"N": value}}),
                 "ValidationException", message)
    expect_error(lambda: ddb.batch_write_item(RequestItems={table_s: [
        {"PutRequest": {"Item": {"pk": {"S": "x"}, "ns": {"NS": ["1", value]}}}}]}),
        "ValidationException", message)


@pytest.mark.parametrize("value,message", [
    ("123456789012345678901234567890123456789",
     "Attempting to store more than 38 significant digits in a Number"),
    ("1e126", "Number overflow. Attempting to store a number with magnitude larger than "
              "supported range"),
])
def test_invalid_numbers_in_expression_values(ddb, table_s, value, message):
    """ExpressionAttributeValues name the offending key (dynalite test/updateItem.js;
    ExtendDB/extenddb#210, verified against AWS)."""
    expect_error(lambda: ddb.update_item(TableName=table_s, Key={"pk": {"S": "x"}},
                                         UpdateExpression="SET a = :v",
                                         ExpressionAttributeValues={":v": {"N": value}}),
                 "ValidationException",
                 f"ExpressionAttributeValues contains invalid value: {message} for key :v")


# ---- sets ------------------------------------------------------------------------------------


def test_empty_and_duplicate_sets_everywhere(ddb, ddb_noval, table_s):
    expect_error(lambda: ddb_noval.put_item(TableName=table_s, Item={
        "pk": {"S": "x"}, "l": {"L": [{"M": {"s": {"NS": []}}}]}}),
        "ValidationException",
        "One or more parameter values were invalid: An number set  may not be empty")
    expect_error(lambda: ddb_noval.batch_write_item(RequestItems={table_s: [
        {"PutRequest": {"Item": {"pk": {"S": "x"}, "b": {"BS": []}}}}]}),
        "ValidationException",
        "One or more parameter values were invalid: Binary sets should not be empty")
    expect_error(lambda: ddb.put_item(TableName=table_s, Item={
        "pk": {"S": "x"}, "m": {"M": {"s": {"SS": ["a", "a"]}}}}),
        "ValidationException", one_of=[
            "One or more parameter values were invalid: Input collection [a, a] contains "
            "duplicates.",
            'One or more parameter values were invalid: Input collection ["a", "a"] contains '
            "duplicates."])
    assert ddb.scan(TableName=table_s)["Count"] == 0


def test_sets_with_distinct_spellings_of_one_number(ddb, table_s):
    expect_error(lambda: ddb.put_item(TableName=table_s, Item={"pk": {"S": "x"},
                                                               "ns": {"NS": ["1", "1.0"]}}),
                 "ValidationException", contains=["contains duplicates"])


# ---- nesting ---------------------------------------------------------------------------------


def deep_map(n):
    v = {"S": "leaf"}
    for _ in range(n):
        v = {"M": {"n": v}}
    return v


def deep_list(n):
    v = {"S": "leaf"}
    for _ in range(n):
        v = {"L": [v]}
    return v


@pytest.mark.parametrize("build", [deep_map, deep_list])
def test_nesting_depth_on_put(ddb, table_s, build):
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "d31"}, "d": build(31)})
    assert ddb.get_item(TableName=table_s, Key={"pk": {"S": "d31"}})["Item"]["d"] == build(31)
    expect_error(lambda: ddb.put_item(TableName=table_s, Item={"pk": {"S": "d32"},
                                                               "d": build(32)}),
                 "ValidationException", NEST)


def test_nesting_depth_of_expression_values(ddb, table_s):
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "nest"}, "marker": {"S": "x"}})
    expect_error(lambda: ddb.update_item(TableName=table_s, Key={"pk": {"S": "nest"}},
                                         UpdateExpression="SET touched = :t",
                                         ConditionExpression="#d = :deep",
                                         ExpressionAttributeNames={"#d": "data"},
                                         ExpressionAttributeValues={":t": {"S": "y"},
                                                                    ":deep": deep_map(31)}),
                 "ConditionalCheckFailedException", "The conditional request failed")
    expect_error(lambda: ddb.update_item(TableName=table_s, Key={"pk": {"S": "nest"}},
                                         UpdateExpression="SET touched = :t",
                                         ConditionExpression="#d = :deep",
                                         ExpressionAttributeNames={"#d": "data"},
                                         ExpressionAttributeValues={":t": {"S": "y"},
                                                                    ":deep": deep_map(32)}),
                 "ValidationException", NEST)


def test_nesting_mixed_maps_and_lists(ddb, table_s):
    v = {"S": "leaf"}
    for i in range(31):
        v = {"M": {"m": v}} if i % 2 else {"L": [v]}
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "mixed"}, "d": v})
    expect_error(lambda: ddb.put_item(TableName=table_s, Item={"pk": {"S": "mixed2"},
                                                               "d": {"L": [v]}}),
                 "ValidationException", NEST)


# ---- expression size -------------------------------------------------------------------------


def test_update_expression_size(ddb, table_s):
    names = {f"#a{i}": f"a{i}" for i in range(300)}
    parts = [f"#a{i} = :v" for i in range(300)]
    expr = "SET " + ", ".join(parts)
    while len(expr) > 4096:
        parts.pop()
        expr = "SET " + ", ".join(parts)
    expr = expr + " " * (4096 - len(expr))
    used = {k: v for k, v in names.items() if k in parts_names(parts)}
    ddb.update_item(TableName=table_s, Key={"pk": {"S": "u"}}, UpdateExpression=expr,
                    ExpressionAttributeNames=used, ExpressionAttributeValues={":v": {"N": "1"}})
    expect_error(lambda: ddb.update_item(TableName=table_s, Key={"pk": {"S": "u"}},
                                         UpdateExpression=expr + " ",
                                         ExpressionAttributeNames=used,
                                         ExpressionAttributeValues={":v": {"N": "1"}}),
                 "ValidationException",
                 "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;")


def parts_names(parts):
    return {p.split(" ")[0] for p in parts}


def test_projection_expression_size(ddb, table_s):
    expr = ", ".join(f"a{i}" for i in range(1000))
    expr = expr[:expr.rindex(",", 0, 4097)]
    assert len(expr) <= 4096
    ddb.get_item(TableName=table_s, Key={"pk": {"S": "x"}}, ProjectionExpression=expr)
    too_big = expr + ", " + "z" * (4097 - len(expr) - 2)
    assert len(too_big) == 4097
    expect_error(lambda: ddb.get_item(TableName=table_s, Key={"pk": {"S": "x"}},
                                      ProjectionExpression=too_big),
                 "ValidationException",
                 "Invalid ProjectionExpression: Expression size has exceeded the maximum allowed "
                 "size;")


def test_key_condition_expression_size(ddb, table_s):
    expr = "pk = :p" + " " * (4096 - 7)
    ddb.query(TableName=table_s, KeyConditionExpression=expr,
              ExpressionAttributeValues={":p": {"S": "x"}})
    resp = expect_error(lambda: ddb.query(TableName=table_s, KeyConditionExpression=expr + " ",
                                          ExpressionAttributeValues={":p": {"S": "x"}}),
                        "ValidationException")
    assert resp["Error"]["Message"].startswith(
        "Invalid KeyConditionExpression: Expression size has exceeded the maximum allowed size")


# ---- request body size -----------------------------------------------------------------------


def test_request_body_limit(host, table_s, request):
    """16 MB of request body is the most DynamoDB reads (15 MB is served, 17 MB refused);
    whitespace keeps the request otherwise valid."""
    raw = Raw(host.endpoint, timeout=120)
    body = json.dumps({"TableName": table_s, "Item": {"pk": {"S": "body"}}}).encode()
    ok = body[:-1] + b" " * (15 * 1024 * 1024) + b"}"
    r = raw.call("PutItem", ok)
    assert r.status == 200, r
    huge = {"TableName": table_s, "Item": {"pk": {"S": "body2"}}}
    over = json.dumps(huge).encode()
    over = over[:-1] + b" " * (17 * 1024 * 1024) + b"}"
    r = raw.call("PutItem", over)
    assert r.status in (400, 413), r
    assert r.status != 200
    client = host.client()
    assert "Item" not in client.get_item(TableName=table_s, Key={"pk": {"S": "body2"}})


# --- Deeply nested expressions are refused quickly, before they can exhaust a stack ---

@pytest.mark.parametrize("member", ["ConditionExpression", "UpdateExpression",
                                    "ProjectionExpression"])
def test_200000_deep_expression_is_rejected_quickly(raw, table_s, member):
    import time
    deep = {
        "ConditionExpression": "(" * 200_000 + "a = :v" + ")" * 200_000,
        "UpdateExpression": "SET a = " + "(" * 200_000 + ":v" + ")" * 200_000,
        "ProjectionExpression": "a" + "[0]" * 200_000,
    }[member]
    body = {"TableName": table_s, "Key": {"pk": {"S": "k"}}, member: deep}
    if member != "ProjectionExpression":
        body["ExpressionAttributeValues"] = {":v": {"N": "1"}}
    op = "GetItem" if member == "ProjectionExpression" else "UpdateItem"
    if member == "ConditionExpression":
        body["UpdateExpression"] = "SET b = :v"
    t0 = time.monotonic()
    r = raw.call(op, body)
    elapsed = time.monotonic() - t0
    assert r.status == 400 and r.code == "ValidationException", r
    assert "Expression size has exceeded the maximum allowed size" in r.message, r
    assert elapsed < 1.0, elapsed


def test_deep_nesting_within_4_kb_is_a_validation_error(raw, table_s):
    expr = "(" * 2000 + "a = :v" + ")" * 2000
    assert len(expr) <= 4096
    r = raw.call("UpdateItem", {"TableName": table_s, "Key": {"pk": {"S": "k"}},
                                "UpdateExpression": "SET b = :v", "ConditionExpression": expr,
                                "ExpressionAttributeValues": {":v": {"N": "1"}}})
    assert r.status == 400 and r.code == "ValidationException", r


# --- Placeholder maps are checked before any expression (ExtendDB PR #181, captured from
# AWS with the CLI; ExtendDB #365 measured the 64 KB attribute name limit) ---

def test_placeholder_keys_up_to_255_bytes(raw, table_s):
    base = {"TableName": table_s, "Key": {"pk": {"S": "k"}}}
    name = "#" + "n" * 255
    r = raw.call("GetItem", {**base, "ProjectionExpression": name,
                             "ExpressionAttributeNames": {name: "a"}})
    expect_raw_error(r, "ValidationException",
                     "ExpressionAttributeNames contains invalid key: The expression attribute "
                     "map contains a key that is too long; size of key: 256")
    ok = "#" + "n" * 254
    r = raw.call("GetItem", {**base, "ProjectionExpression": ok,
                             "ExpressionAttributeNames": {ok: "a"}})
    assert r.status == 200, r
    value = ":" + "v" * 255
    r = raw.call("UpdateItem", {**base, "UpdateExpression": f"SET a = {value}",
                                "ExpressionAttributeValues": {value: {"S": "x"}}})
    expect_raw_error(r, "ValidationException",
                     "ExpressionAttributeValues contains invalid key: The expression attribute "
                     "map contains a key that is too long;")


def test_placeholder_names_empty_or_too_long(raw, table_s):
    base = {"TableName": table_s, "Key": {"pk": {"S": "k"}}}
    r = raw.call("GetItem", {**base, "ProjectionExpression": "#a",
                             "ExpressionAttributeNames": {"#a": ""}})
    expect_raw_error(r, "ValidationException",
                     "ExpressionAttributeNames contains invalid value: Empty attribute name for "
                     "key #a")
    r = raw.call("UpdateItem", {**base, "UpdateExpression": "SET #a = :v",
                                "ExpressionAttributeNames": {"#a": "n" * 65536},
                                "ExpressionAttributeValues": {":v": {"S": "x"}}})
    expect_raw_error(r, "ValidationException",
                     "1 validation error detected: Attribute name is too large, must be less "
                     "than 65536 bytes")
    r = raw.call("UpdateItem", {**base, "UpdateExpression": "SET #a = :v",
                                "ExpressionAttributeNames": {"#a": "n" * 65535},
                                "ExpressionAttributeValues": {":v": {"S": "x"}}})
    assert r.status == 200, r
