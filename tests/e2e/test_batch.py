"""BatchGetItem and BatchWriteItem: several tables per request, per-table ProjectionExpression
and ConsistentRead, the 100-key / 25-request limits, duplicate keys, validation that rejects the
whole batch, UnprocessedKeys / UnprocessedItems (always empty here), ConsumedCapacity per table,
and every write logged as its own record (native host, `extenddo log dump --json`).

Sources for exact messages:
- nubo-db/dynamodb-conformance tests/tier3/error-messages/batchWriteItem.test.ts and
  batchGetItem.test.ts (real AWS, several regions): "Provided list of item keys contains
  duplicates", "Requested resource not found", a mistyped or non-scalar table key in a
  PutRequest is "The provided key element does not match the schema", empty key values, index
  key messages, the BatchWriteItem >25 constraint message (with AWS's dump of the requests),
  the per-table >100 keys message, ProjectionExpression overlap messages, and the region split
  for an empty RequestItems.
- architect/dynalite test/batchGetItem.js and test/batchWriteItem.js (recorded against AWS):
  "Too many items requested for the BatchGetItem call" (over 100 keys across tables), the older
  wording of the empty-RequestItems and >100-keys errors, missing key attributes in a
  PutRequest, item size, key sizes.
- Nesting depth in a BatchWriteItem item (no validation envelope): conformance
  tests/tier3/limits/nestingDepth (real AWS, us-east-1 and eu-west-2).
"""

import re

import pytest

from ddbutil import (MSG_HASH_KEY_TOO_BIG, MSG_RANGE_KEY_TOO_BIG, canon, expect_error,
                     msg_empty_key, unique_name)

DUPLICATES = "Provided list of item keys contains duplicates"
KEY_SCHEMA = "The provided key element does not match the schema"


def put(item):
    return {"PutRequest": {"Item": item}}


def delete(key):
    return {"DeleteRequest": {"Key": key}}


def get(ddb, table, key):
    return ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


# ---- BatchWriteItem --------------------------------------------------------------------------


def test_batch_write_several_tables(ddb, table_s, table_sn):
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "gone"}})
    resp = ddb.batch_write_item(RequestItems={
        table_s: [put({"pk": {"S": "a"}, "v": {"N": "1"}}), put({"pk": {"S": "b"}}),
                  delete({"pk": {"S": "gone"}})],
        table_sn: [put({"pk": {"S": "a"}, "sk": {"N": str(i)}, "ss": {"SS": ["x", "y"]}})
                   for i in range(3)],
    })
    assert resp["UnprocessedItems"] == {}
    assert "ConsumedCapacity" not in resp
    assert get(ddb, table_s, {"pk": {"S": "a"}}) == {"pk": {"S": "a"}, "v": {"N": "1"}}
    assert get(ddb, table_s, {"pk": {"S": "gone"}}) is None
    assert ddb.query(TableName=table_sn, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "a"}})["Count"] == 3


def test_batch_write_puts_replace_whole_items(ddb, table_s):
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "r"}, "old": {"S": "x"}})
    ddb.batch_write_item(RequestItems={table_s: [put({"pk": {"S": "r"}, "new": {"S": "y"}})]})
    assert get(ddb, table_s, {"pk": {"S": "r"}}) == {"pk": {"S": "r"}, "new": {"S": "y"}}


def test_batch_write_exactly_25(ddb, make_table):
    t1, t2 = make_table(), make_table()
    reqs = {t1: [put({"pk": {"S": f"k{i}"}}) for i in range(13)],
            t2: [put({"pk": {"S": f"k{i}"}}) for i in range(12)]}
    assert ddb.batch_write_item(RequestItems=reqs)["UnprocessedItems"] == {}
    assert ddb.scan(TableName=t1)["Count"] == 13 and ddb.scan(TableName=t2)["Count"] == 12
    assert ddb.batch_write_item(RequestItems={t1: [delete({"pk": {"S": f"k{i}"}})
                                                   for i in range(13)] +
                                              [put({"pk": {"S": f"n{i}"}}) for i in range(12)]}
                                )["UnprocessedItems"] == {}
    assert ddb.scan(TableName=t1)["Count"] == 12


def test_batch_write_26_requests(ddb, table_s):
    """AWS dumps the request list into the message (Java toString); pinned by its envelope."""
    reqs = [put({"pk": {"S": f"k{i}"}}) for i in range(26)]
    resp = expect_error(lambda: ddb.batch_write_item(RequestItems={table_s: reqs}),
                        "ValidationException")
    msg = resp["Error"]["Message"]
    assert re.fullmatch(
        r"1 validation error detected: Value '\{" + re.escape(table_s) + r"=\[.+\]\}' at "
        r"'requestItems' failed to satisfy constraint: Map value must satisfy constraint: "
        r"\[Member must have length less than or equal to 25, Member must have length greater "
        r"than or equal to 1\]", msg, re.S), msg
    assert ddb.scan(TableName=table_s)["Count"] == 0


@pytest.mark.parametrize("reqs", [
    [put({"pk": {"S": "d"}}), delete({"pk": {"S": "d"}})],
    [delete({"pk": {"S": "d"}}), put({"pk": {"S": "d"}, "v": {"N": "1"}})],
    [put({"pk": {"S": "d"}}), put({"pk": {"S": "d"}, "v": {"N": "1"}})],
    [delete({"pk": {"S": "d"}}), delete({"pk": {"S": "d"}})],
    [put({"pk": {"S": "x"}}), put({"pk": {"S": "d"}}), put({"pk": {"S": "d"}})],
])
def test_batch_write_duplicate_keys(ddb, table_s, reqs):
    expect_error(lambda: ddb.batch_write_item(RequestItems={table_s: reqs}),
                 "ValidationException", DUPLICATES)
    assert ddb.scan(TableName=table_s)["Count"] == 0


def test_batch_write_duplicates_by_number_value(ddb, make_table):
    t = make_table(("pk", "N"))
    expect_error(lambda: ddb.batch_write_item(RequestItems={t: [put({"pk": {"N": "1.0"}}),
                                                                put({"pk": {"N": "1"}})]}),
                 "ValidationException", DUPLICATES)


def test_batch_write_same_key_in_two_tables_is_fine(ddb, make_table):
    t1, t2 = make_table(), make_table()
    ddb.batch_write_item(RequestItems={t1: [put({"pk": {"S": "same"}})],
                                       t2: [put({"pk": {"S": "same"}})]})
    assert get(ddb, t1, {"pk": {"S": "same"}}) and get(ddb, t2, {"pk": {"S": "same"}})


@pytest.mark.parametrize("item", [
    {},                                  # no key at all
    {"other": {"S": "a"}},               # wrong attribute
    {"pk": {"N": "5"}},                  # wrong type
    {"pk": {"B": b"abcd"}},
    {"pk": {"SS": ["a"]}},
    {"pk": {"L": [{"S": "x"}]}},         # non-scalar
])
def test_batch_write_put_key_schema_mismatch(ddb, table_s, item):
    expect_error(lambda: ddb.batch_write_item(RequestItems={table_s: [put(item)]}),
                 "ValidationException", KEY_SCHEMA)


def test_batch_write_put_missing_range_key(ddb, table_sn):
    expect_error(lambda: ddb.batch_write_item(RequestItems={table_sn: [put({"pk": {"S": "a"}})]}),
                 "ValidationException", KEY_SCHEMA)


@pytest.mark.parametrize("key", [{"pk": {"N": "1"}}, {"pk": {"S": "a"}, "x": {"S": "b"}}, {}])
def test_batch_write_delete_key_schema_mismatch(ddb, table_s, key):
    expect_error(lambda: ddb.batch_write_item(RequestItems={table_s: [delete(key)]}),
                 "ValidationException", KEY_SCHEMA)


def test_batch_write_key_values(ddb, make_table, table_sn):
    t = make_table()
    expect_error(lambda: ddb.batch_write_item(RequestItems={t: [put({"pk": {"S": ""}})]}),
                 "ValidationException", msg_empty_key("pk"))
    tb = make_table(("pk", "B"))
    expect_error(lambda: ddb.batch_write_item(RequestItems={tb: [put({"pk": {"B": b""}})]}),
                 "ValidationException", msg_empty_key("pk", "binary"))
    expect_error(lambda: ddb.batch_write_item(RequestItems={tb: [delete({"pk": {"B": b""}})]}),
                 "ValidationException", msg_empty_key("pk", "binary"))
    expect_error(lambda: ddb.batch_write_item(RequestItems={t: [put({"pk": {"S": "k" * 2049}})]}),
                 "ValidationException", MSG_HASH_KEY_TOO_BIG)
    expect_error(lambda: ddb.batch_write_item(RequestItems={table_sn: [
        put({"pk": {"S": "a"}, "sk": {"N": "1"}}), put({"pk": {"S": "a"}, "sk": {"N": "2"}}),
    ], t: [put({"pk": {"S": "ok"}}), put({"pk": {"S": "k" * 2049}})]}),
        "ValidationException", MSG_HASH_KEY_TOO_BIG)
    assert ddb.scan(TableName=t)["Count"] == 0
    assert ddb.scan(TableName=table_sn)["Count"] == 0


def test_batch_write_range_key_size(ddb, make_table):
    t = make_table(range_key=("sk", "S"))
    expect_error(lambda: ddb.batch_write_item(RequestItems={t: [
        put({"pk": {"S": "a"}, "sk": {"S": "s" * 1025}})]}),
        "ValidationException", MSG_RANGE_KEY_TOO_BIG)
    ddb.batch_write_item(RequestItems={t: [put({"pk": {"S": "a"}, "sk": {"S": "s" * 1024}})]})


def test_batch_write_item_too_big(ddb, table_s):
    big = {"pk": {"S": "big"}, "v": {"S": "x" * (409_600 - 2 - 3 - 1 + 1)}}   # 409,601 bytes
    expect_error(lambda: ddb.batch_write_item(RequestItems={table_s: [put({"pk": {"S": "ok"}}),
                                                                      put(big)]}),
                 "ValidationException", "Item size has exceeded the maximum allowed size")
    assert ddb.scan(TableName=table_s)["Count"] == 0
    big["v"]["S"] = big["v"]["S"][:-1]                                         # 409,600 bytes
    ddb.batch_write_item(RequestItems={table_s: [put(big)]})
    assert len(get(ddb, table_s, {"pk": {"S": "big"}})["v"]["S"]) == 409_600 - 6


def test_batch_write_nesting_depth(ddb, table_s):
    def deep(n):
        v = {"S": "leaf"}
        for _ in range(n):
            v = {"M": {"n": v}}
        return v
    ddb.batch_write_item(RequestItems={table_s: [put({"pk": {"S": "d31"}, "d": deep(31)})]})
    assert get(ddb, table_s, {"pk": {"S": "d31"}})["d"] == deep(31)
    expect_error(lambda: ddb.batch_write_item(RequestItems={table_s: [
        put({"pk": {"S": "d32"}, "d": deep(32)})]}),
        "ValidationException", "Nesting Levels have exceeded supported limits: Attributes in "
        "the item have nested levels beyond supported limit")


def test_batch_write_invalid_anywhere_writes_nothing(ddb, make_table):
    """A batch over several tables is validated on every table before anything is written."""
    t1, t2 = make_table(), make_table()
    expect_error(lambda: ddb.batch_write_item(RequestItems={
        t1: [put({"pk": {"S": "a"}}), put({"pk": {"S": "b"}})],
        t2: [put({"pk": {"S": "c"}}), put({"pk": {"N": "1"}})]}),
        "ValidationException", KEY_SCHEMA)
    expect_error(lambda: ddb.batch_write_item(RequestItems={
        t2: [put({"pk": {"S": "c"}, "bad": {"NS": ["1", "x"]}})],
        t1: [put({"pk": {"S": "a"}})]}),
        "ValidationException", "The parameter cannot be converted to a numeric value: x")
    assert ddb.scan(TableName=t1)["Count"] == 0 and ddb.scan(TableName=t2)["Count"] == 0


def test_batch_write_missing_table(ddb, table_s):
    missing = unique_name("nosuch")
    expect_error(lambda: ddb.batch_write_item(RequestItems={missing: [put({"pk": {"S": "a"}})]}),
                 "ResourceNotFoundException", "Requested resource not found")
    expect_error(lambda: ddb.batch_write_item(RequestItems={
        table_s: [put({"pk": {"S": "a"}})], missing: [put({"pk": {"S": "a"}})]}),
        "ResourceNotFoundException", "Requested resource not found")
    assert ddb.scan(TableName=table_s)["Count"] == 0


def test_batch_write_empty_request_items(ddb_noval):
    # AWS words this two ways (dynalite's capture; the conformance suite's us-east-1 capture).
    expect_error(lambda: ddb_noval.batch_write_item(RequestItems={}), "ValidationException",
                 "The requestItems parameter is required for BatchWriteItem")


def test_batch_write_capacity(ddb, make_table):
    t1, t2 = make_table(), make_table()
    resp = ddb.batch_write_item(RequestItems={
        t1: [put({"pk": {"S": "a"}, "v": {"S": "x" * 1500}}), put({"pk": {"S": "b"}})],
        t2: [delete({"pk": {"S": "none"}})]}, ReturnConsumedCapacity="TOTAL")
    caps = {c["TableName"]: c for c in resp["ConsumedCapacity"]}
    assert caps == {t1: {"TableName": t1, "CapacityUnits": 3.0},
                    t2: {"TableName": t2, "CapacityUnits": 1.0}}
    resp = ddb.batch_write_item(RequestItems={t1: [put({"pk": {"S": "c"}})]},
                                ReturnConsumedCapacity="INDEXES")
    assert resp["ConsumedCapacity"] == [{"TableName": t1, "CapacityUnits": 1.0,
                                         "Table": {"CapacityUnits": 1.0}}]
    resp = ddb.batch_write_item(RequestItems={t1: [put({"pk": {"S": "c"}})]},
                                ReturnConsumedCapacity="NONE")
    assert "ConsumedCapacity" not in resp


def test_batch_write_logs_each_mutation(native_host, ddb, make_table):
    from test_log import check_log, dump_records
    t1, t2 = make_table(), make_table()
    ddb.put_item(TableName=t1, Item={"pk": {"S": "same"}, "v": {"N": "1"}})
    ddb.batch_write_item(RequestItems={
        t1: [put({"pk": {"S": "a"}}), put({"pk": {"S": "b"}}), delete({"pk": {"S": "nope"}}),
             put({"pk": {"S": "same"}, "v": {"N": "1"}})],          # no-op put: no record
        t2: [put({"pk": {"S": "a"}})]})
    ddb.batch_write_item(RequestItems={t1: [delete({"pk": {"S": "a"}}),
                                            put({"pk": {"S": "b"}, "v": {"N": "2"}})]})
    expect_error(lambda: ddb.batch_write_item(RequestItems={t1: [put({"pk": {"S": "c"}}),
                                                                 put({"pk": {"N": "1"}})]}),
                 "ValidationException", KEY_SCHEMA)
    expect_error(lambda: ddb.batch_write_item(RequestItems={t1: [put({"pk": {"S": "c"}}),
                                                                 delete({"pk": {"S": "c"}})]}),
                 "ValidationException", DUPLICATES)
    check_log(dump_records(native_host, t1),
              ["TableCreated", "ItemPut", "ItemPut", "ItemPut", "ItemDeleted", "ItemPut"])
    check_log(dump_records(native_host, t2), ["TableCreated", "ItemPut"])


# ---- BatchGetItem ----------------------------------------------------------------------------


@pytest.fixture
def two_tables(ddb, make_table):
    t1, t2 = make_table(), make_table(range_key=("sk", "N"))
    ddb.batch_write_item(RequestItems={
        t1: [put({"pk": {"S": f"k{i}"}, "n": {"N": str(i)}, "m": {"M": {"x": {"N": str(i)},
                                                                       "y": {"S": "y"}}},
                  "status": {"S": "s"}}) for i in range(20)],
        t2: [put({"pk": {"S": "p"}, "sk": {"N": str(i)}, "a": {"S": "a"}, "b": {"S": "b"}})
             for i in range(5)]})
    return t1, t2


def test_batch_get_several_tables(ddb, two_tables):
    t1, t2 = two_tables
    resp = ddb.batch_get_item(RequestItems={
        t1: {"Keys": [{"pk": {"S": f"k{i}"}} for i in (0, 5, 19)] + [{"pk": {"S": "absent"}}]},
        t2: {"Keys": [{"pk": {"S": "p"}, "sk": {"N": "3"}}], "ConsistentRead": True},
    })
    assert resp["UnprocessedKeys"] == {}
    assert sorted(int(i["n"]["N"]) for i in resp["Responses"][t1]) == [0, 5, 19]
    assert resp["Responses"][t2] == [{"pk": {"S": "p"}, "sk": {"N": "3"}, "a": {"S": "a"},
                                      "b": {"S": "b"}}]
    assert "ConsumedCapacity" not in resp


def test_batch_get_nothing_found(ddb, two_tables):
    t1, t2 = two_tables
    resp = ddb.batch_get_item(RequestItems={t1: {"Keys": [{"pk": {"S": "x"}}]},
                                            t2: {"Keys": [{"pk": {"S": "x"}, "sk": {"N": "1"}}]}})
    assert resp["Responses"] == {t1: [], t2: []}
    assert resp["UnprocessedKeys"] == {}


def test_batch_get_per_table_projection(ddb, two_tables):
    t1, t2 = two_tables
    resp = ddb.batch_get_item(RequestItems={
        t1: {"Keys": [{"pk": {"S": "k1"}}], "ProjectionExpression": "m.x, #s",
             "ExpressionAttributeNames": {"#s": "status"}, "ConsistentRead": False},
        t2: {"Keys": [{"pk": {"S": "p"}, "sk": {"N": "1"}}], "ProjectionExpression": "b"},
    })
    assert resp["Responses"][t1] == [{"m": {"M": {"x": {"N": "1"}}}, "status": {"S": "s"}}]
    assert resp["Responses"][t2] == [{"b": {"S": "b"}}]


def test_batch_get_100_keys(ddb, make_table):
    t1, t2 = make_table(), make_table()
    for t in (t1, t2):
        for start in range(0, 50, 25):
            ddb.batch_write_item(RequestItems={t: [put({"pk": {"S": f"k{i}"}})
                                                   for i in range(start, start + 25)]})
    resp = ddb.batch_get_item(RequestItems={t: {"Keys": [{"pk": {"S": f"k{i}"}}
                                                         for i in range(50)]} for t in (t1, t2)})
    assert len(resp["Responses"][t1]) == 50 and len(resp["Responses"][t2]) == 50
    assert resp["UnprocessedKeys"] == {}
    resp = ddb.batch_get_item(RequestItems={t1: {"Keys": [{"pk": {"S": f"x{i}"}}
                                                          for i in range(100)]}})
    assert resp["Responses"][t1] == []


def test_batch_get_over_100_keys_across_tables(ddb, make_table):
    t1, t2 = make_table(), make_table()
    expect_error(lambda: ddb.batch_get_item(RequestItems={
        t1: {"Keys": [{"pk": {"S": f"k{i}"}} for i in range(100)]},
        t2: {"Keys": [{"pk": {"S": "k100"}}]}}),
        "ValidationException", "Too many items requested for the BatchGetItem call")


def test_batch_get_over_100_keys_in_one_table(ddb_noval, table_s):
    """Newer regions: no dump of the keys, capitalised member path (conformance); older: the
    keys dumped, lower-case path (dynalite)."""
    resp = expect_error(lambda: ddb_noval.batch_get_item(RequestItems={
        table_s: {"Keys": [{"pk": {"S": f"k{i}"}} for i in range(101)]}}),
        "ValidationException")
    msg = resp["Error"]["Message"]
    newer = (f"1 validation error detected: Value at 'RequestItems.{table_s}.member.Keys' failed "
             "to satisfy constraint: Member must have length less than or equal to 100")
    older = re.compile(r"1 validation error detected: Value '\[.+\]' at 'requestItems\."
                       + re.escape(table_s) + r"\.member\.keys' failed to satisfy constraint: "
                       r"Member must have length less than or equal to 100", re.S)
    assert msg == newer or older.fullmatch(msg), msg


def test_batch_get_duplicate_keys(ddb, table_s, make_table):
    key, key2 = {"pk": {"S": "d"}}, {"pk": {"S": "e"}}
    expect_error(lambda: ddb.batch_get_item(RequestItems={table_s: {"Keys": [key, key2, key]}}),
                 "ValidationException", DUPLICATES)
    t = make_table(("pk", "N"))
    expect_error(lambda: ddb.batch_get_item(RequestItems={t: {"Keys": [{"pk": {"N": "10"}},
                                                                       {"pk": {"N": "1E1"}}]}}),
                 "ValidationException", DUPLICATES)


@pytest.mark.parametrize("key", [{}, {"b": {"S": "a"}}, {"pk": {"S": "a"}, "b": {"S": "a"}},
                                 {"pk": {"N": "1"}}, {"pk": {"SS": ["a"]}}])
def test_batch_get_key_schema_mismatch(ddb, table_s, key):
    expect_error(lambda: ddb.batch_get_item(RequestItems={table_s: {"Keys": [key]}}),
                 "ValidationException", KEY_SCHEMA)


def test_batch_get_key_values(ddb, make_table, table_sn):
    expect_error(lambda: ddb.batch_get_item(RequestItems={table_sn: {"Keys": [
        {"pk": {"S": "a"}}]}}), "ValidationException", KEY_SCHEMA)
    tb = make_table(("pk", "B"))
    expect_error(lambda: ddb.batch_get_item(RequestItems={tb: {"Keys": [{"pk": {"B": b""}}]}}),
                 "ValidationException", msg_empty_key("pk", "binary"))
    t = make_table()
    expect_error(lambda: ddb.batch_get_item(RequestItems={t: {"Keys": [{"pk": {"S": "k" * 2049}}]
                                                              }}),
                 "ValidationException", MSG_HASH_KEY_TOO_BIG)


def test_batch_get_missing_table(ddb, table_s):
    expect_error(lambda: ddb.batch_get_item(RequestItems={
        table_s: {"Keys": [{"pk": {"S": "a"}}]},
        unique_name("nosuch"): {"Keys": [{"pk": {"S": "a"}}]}}),
        "ResourceNotFoundException", "Requested resource not found")


def test_batch_get_empty_request_items(ddb_noval):
    # AWS words this three ways by region and over time (dynalite's capture, the bespoke
    # sentence me-central-1 still sends, and the generic constraint message elsewhere).
    expect_error(lambda: ddb_noval.batch_get_item(RequestItems={}), "ValidationException",
                 one_of=["1 validation error detected: Value '{}' at 'requestItems' failed to "
                         "satisfy constraint: Member must have length greater than or equal to 1",
                         "The requestItems parameter is required for BatchGetItem",
                         "1 validation error detected: Value at 'RequestItems' failed to "
                         "satisfy constraint: Member must have length greater than or equal "
                         "to 1"])


@pytest.mark.parametrize("expr,names,message", [
    ("a, a", None, "Invalid ProjectionExpression: Two document paths overlap with each other; "
                   "must remove or rewrite one of these paths; path one: [a], path two: [a]"),
    ("#a, #b", {"#a": "a", "#b": "a"},
     "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or "
     "rewrite one of these paths; path one: [a], path two: [a]"),
    ("a, a.b", None, "Invalid ProjectionExpression: Two document paths overlap with each other; "
                     "must remove or rewrite one of these paths; path one: [a], path two: [a, b]"),
])
def test_batch_get_projection_errors(ddb, two_tables, expr, names, message):
    t1, t2 = two_tables
    entry = {"Keys": [{"pk": {"S": "em"}}], "ProjectionExpression": expr}
    if names:
        entry["ExpressionAttributeNames"] = names
    expect_error(lambda: ddb.batch_get_item(RequestItems={t1: entry}),
                 "ValidationException", message)
    # one bad entry rejects the whole batch
    expect_error(lambda: ddb.batch_get_item(RequestItems={
        t1: entry, t2: {"Keys": [{"pk": {"S": "p"}, "sk": {"N": "1"}}],
                        "ProjectionExpression": "a"}}),
        "ValidationException", message)


def test_batch_get_capacity(ddb, two_tables):
    t1, t2 = two_tables
    resp = ddb.batch_get_item(RequestItems={
        t1: {"Keys": [{"pk": {"S": "k1"}}, {"pk": {"S": "k2"}}, {"pk": {"S": "nope"}}]},
        t2: {"Keys": [{"pk": {"S": "p"}, "sk": {"N": "1"}}], "ConsistentRead": True}},
        ReturnConsumedCapacity="TOTAL")
    caps = {c["TableName"]: c for c in resp["ConsumedCapacity"]}
    # eventually consistent: 0.5 per item (missing ones too); strongly consistent: 1
    assert caps == {t1: {"TableName": t1, "CapacityUnits": 1.5},
                    t2: {"TableName": t2, "CapacityUnits": 1.0}}
    resp = ddb.batch_get_item(RequestItems={t2: {"Keys": [{"pk": {"S": "p"}, "sk": {"N": "1"}}]}},
                              ReturnConsumedCapacity="INDEXES")
    assert resp["ConsumedCapacity"] == [{"TableName": t2, "CapacityUnits": 0.5,
                                         "Table": {"CapacityUnits": 0.5}}]


def test_batch_get_reads_nothing_into_log(native_host, ddb, two_tables):
    from test_log import dump_records
    t1, _ = two_tables
    before = len(dump_records(native_host, t1))
    ddb.batch_get_item(RequestItems={t1: {"Keys": [{"pk": {"S": "k1"}}]}})
    assert len(dump_records(native_host, t1)) == before


def test_batch_get_round_trips_all_types(ddb, table_s):
    from ddbutil import ALL_TYPES_ITEM
    ddb.batch_write_item(RequestItems={table_s: [put(ALL_TYPES_ITEM)]})
    resp = ddb.batch_get_item(RequestItems={table_s: {"Keys": [{"pk": ALL_TYPES_ITEM["pk"]}]}})
    assert canon(resp["Responses"][table_s][0]) == canon(ALL_TYPES_ITEM)


def test_batch_get_16mb_response_limit_leaves_unprocessed_keys(ddb, table_s):
    """Over 16 MB of items: AWS returns part of them and the rest as UnprocessedKeys (with the
    table's read options), which a retry then returns."""
    pad = "x" * 390_000
    keys = [{"pk": {"S": f"big{i:02d}"}} for i in range(45)]          # ~17.5 MB in all
    for start in range(0, 45, 5):
        ddb.batch_write_item(RequestItems={table_s: [put({**k, "v": {"S": pad}})
                                                     for k in keys[start:start + 5]]})
    resp = ddb.batch_get_item(RequestItems={table_s: {"Keys": keys, "ConsistentRead": True}})
    got = resp["Responses"][table_s]
    unprocessed = resp["UnprocessedKeys"].get(table_s, {})
    assert got and unprocessed.get("Keys"), "expected a partial result"
    assert sum(len(i["v"]["S"]) for i in got) <= 16 * 1024 * 1024
    assert unprocessed.get("ConsistentRead") is True
    rest = ddb.batch_get_item(RequestItems={table_s: unprocessed})["Responses"][table_s]
    assert sorted(i["pk"]["S"] for i in got + rest) == sorted(k["pk"]["S"] for k in keys)


def test_batch_write_over_25_across_tables(ddb, make_table):
    # Each table's list is within 25, the request is not (DynamoDB Local's message list).
    t1, t2 = make_table(), make_table()
    expect_error(lambda: ddb.batch_write_item(RequestItems={
        t1: [put({"pk": {"S": f"a{i}"}}) for i in range(13)],
        t2: [put({"pk": {"S": f"b{i}"}}) for i in range(13)]}),
        "ValidationException", "Too many items requested for the BatchWriteItem call")
    assert ddb.scan(TableName=t1)["Count"] == 0 and ddb.scan(TableName=t2)["Count"] == 0


def test_batch_write_26_requests_dump(ddb, table_s):
    reqs = [put({"pk": {"S": "bw-0"}})] + [put({"pk": {"S": f"k{i}"}}) for i in range(25)]
    resp = expect_error(lambda: ddb.batch_write_item(RequestItems={table_s: reqs}),
                        "ValidationException")
    first = ("WriteRequest(putRequest=PutRequest(item={pk=AttributeValue(s=bw-0, n=null, "
             "b=null, iNT=null, dECIMAL=null, dOUBLE=null, sS=null, nS=null, bS=null, "
             "iNTSET=null, dECIMALSET=null, dOUBLESET=null, m=null, l=null, nULL=null, "
             "bOOL=null)}, workloadProfileName=null), deleteRequest=null)")
    assert resp["Error"]["Message"].startswith(
        f"1 validation error detected: Value '{{{table_s}=[{first}, "), resp
