"""The expression language in conditions and filters: ConditionExpression on PutItem,
UpdateItem and DeleteItem, FilterExpression on Scan and Query, ProjectionExpression on reads.

Every comparator (= <> < <= > >=), BETWEEN, IN, AND/OR/NOT with precedence and parentheses,
every function (attribute_exists, attribute_not_exists, attribute_type, begins_with, contains,
size), nested document paths (`a.b[2].c`), `#names` and `:values`; conditional writes failing
with ConditionalCheckFailedException (and ReturnValuesOnConditionCheckFailure), and AWS's
validation of expressions: empty, syntax, redundant parentheses, reserved words, undefined and
unused placeholders, operand counts and types, non-distinct operands, size limits.

Every truth-table case is checked twice, through a ConditionExpression (an identical PutItem
succeeds or fails) and through a Scan FilterExpression (Count 1 or 0), which must agree.

Sources for exact messages:
- architect/dynalite test/scan.js "validations" (FilterExpression syntax, redundant
  parentheses, invalid function names, misused functions, reserved keywords, undefined names and
  values, operand counts and types, attribute_type type names, document-path requirements,
  non-distinct operands, placeholder-map keys) and test/updateItem.js (unused placeholders,
  empty expressions); these tests were recorded against AWS.
- "The conditional request failed" and ReturnValuesOnConditionCheckFailure returning `Item`:
  nubo-db/dynamodb-conformance tests/tier3/error-messages/conditionalCheck.test.ts (real AWS).
- ProjectionExpression overlap messages: nubo-db/dynamodb-conformance
  tests/tier3/error-messages/batchGetItem.test.ts; ProjectionExpression syntax text:
  tests/tier3/error-messages/getItem.test.ts.
- Undefined name in a FilterExpression of a Query: conformance tests/tier3/error-messages/
  query.test.ts.
- Expression size: real AWS errors quoted in public code ("Invalid FilterExpression: Expression
  size has exceeded the maximum allowed size; expression size: 5872"; scylladb alternator
  test_limits.py quoting AWS for a ConditionExpression; aws/aws-sdk-java-v2#4597 for
  "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;").
- IN with more than 100 operands, more than 300 operators: the DynamoDB Developer Guide's
  expression limits (the message text is the one DynamoDB Local's catalogue uses).
"""

import re

import pytest

from ddbutil import expect_error, unique_name

COND_FAILED = "The conditional request failed"

ITEM = {
    "pk": {"S": "cond"},
    "s": {"S": "hello"},
    "n": {"N": "10"},
    "f": {"N": "2.5"},
    "neg": {"N": "-3"},
    "b": {"B": b"\x01\x02\x03"},
    "t": {"BOOL": True},
    "nul": {"NULL": True},
    "blank": {"S": ""},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2", "3"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "l": {"L": [{"N": "1"}, {"S": "two"}, {"M": {"c": {"S": "deep"}}}, {"L": [{"S": "x"},
                                                                             {"S": "y"}]}]},
    "m": {"M": {"a": {"M": {"b": {"L": [{"N": "0"}, {"N": "1"}, {"M": {"c": {"S": "found"}}}]}}},
                "k": {"S": "v"}}},
    "status": {"S": "active"},          # a reserved word: only reachable through #names
    "dotted.name": {"S": "dot"},        # a name with a dot: only reachable through #names
}

V = {
    ":zero": {"N": "0"}, ":one": {"N": "1"}, ":two": {"N": "2"}, ":three": {"N": "3"},
    ":four": {"N": "4"}, ":five": {"N": "5"}, ":ten": {"N": "10"}, ":ten0": {"N": "10.00"},
    ":eleven": {"N": "11"}, ":twenty": {"N": "20"}, ":s10": {"S": "10"},
    ":hello": {"S": "hello"}, ":world": {"S": "world"}, ":he": {"S": "he"}, ":ell": {"S": "ell"},
    ":a": {"S": "a"}, ":z": {"S": "z"}, ":two_s": {"S": "two"}, ":found": {"S": "found"},
    ":deep": {"S": "deep"}, ":y": {"S": "y"}, ":v": {"S": "v"}, ":empty": {"S": ""},
    ":true": {"BOOL": True}, ":false": {"BOOL": False}, ":null": {"NULL": True},
    ":b01": {"B": b"\x01"}, ":b123": {"B": b"\x01\x02\x03"}, ":b2": {"B": b"\x02"},
    ":b1": {"B": b"\x01"},
    ":S": {"S": "S"}, ":N": {"S": "N"}, ":B": {"S": "B"}, ":SS": {"S": "SS"}, ":NS": {"S": "NS"},
    ":BS": {"S": "BS"}, ":BOOL": {"S": "BOOL"}, ":NULL": {"S": "NULL"}, ":L": {"S": "L"},
    ":M": {"S": "M"}, ":active": {"S": "active"}, ":dot": {"S": "dot"}, ":m25": {"N": "-2.5"},
    ":ssab": {"SS": ["b", "a"]}, ":ssa": {"SS": ["a"]}, ":lst": {"L": [{"S": "x"}, {"S": "y"}]},
    ":map": {"M": {"c": {"S": "deep"}}},
}

NAMES = {"#st": "status", "#m": "m", "#a": "a", "#dot": "dotted.name", "#s": "s",
         "#size": "size"}

# (expression, expected truth)
TRUTH = [
    # comparators on numbers, strings, binary
    ("n = :ten", True), ("n = :ten0", True), ("n <> :ten", False), ("n <> :eleven", True),
    ("n < :eleven", True), ("n < :ten", False), ("n <= :ten", True), ("n > :ten", False),
    ("n >= :ten", True), ("f > :two", True), ("neg < :zero", True), ("neg > :m25", False),
    ("s = :hello", True), ("s < :world", True), ("s > :world", False), ("s >= :he", True),
    ("b = :b123", True), ("b < :b2", True), ("b > :b01", True),
    ("t = :true", True), ("t = :false", False), ("nul = :null", True), ("blank = :empty", True),
    # values of another type are never equal, always unequal, never ordered
    ("n = :s10", False), ("n <> :s10", True), ("n < :s10", False), ("n >= :s10", False),
    # absent attributes compare false, except <>
    ("absent = :one", False), ("absent <> :one", True), ("absent < :one", False),
    # sets and documents compare as whole values, order of set members irrelevant
    ("ss = :ssab", True), ("ss = :ssa", False), ("l[3] = :lst", True), ("l[2] = :map", True),
    # BETWEEN and IN
    ("n BETWEEN :five AND :ten", True), ("n BETWEEN :ten AND :ten", True),
    ("n BETWEEN :eleven AND :twenty", False), ("s BETWEEN :a AND :z", True),
    ("n BETWEEN :s10 AND :s10", False),
    ("n IN (:one, :ten)", True), ("n IN (:one)", False), ("s IN (:a, :z, :hello)", True),
    ("absent IN (:one)", False),
    # AND / OR / NOT, precedence (NOT > AND > OR) and parentheses
    ("n = :ten AND s = :hello", True), ("n = :ten AND s = :z", False),
    ("n = :one OR s = :hello", True), ("n = :one OR s = :z", False),
    ("n = :ten OR n = :one AND s = :z", True), ("(n = :ten OR n = :one) AND s = :z", False),
    ("NOT n = :one", True), ("NOT (n = :ten)", False), ("NOT n = :ten AND s = :z", False),
    ("NOT (n = :ten AND s = :z)", True), ("not n = :one and s = :hello", True),
    ("(n = :ten) AND (s = :hello)", True),
    # functions
    ("attribute_exists(s)", True), ("attribute_exists(absent)", False),
    ("attribute_not_exists(absent)", True), ("attribute_not_exists(s)", False),
    ("attribute_exists(m.a.b[2].c)", True), ("attribute_exists(m.a.b[5])", False),
    ("attribute_exists(l[3][1])", True), ("attribute_exists(s.x)", False),
    ("attribute_exists(nul)", True), ("attribute_exists(blank)", True),
    ("attribute_type(s, :S)", True), ("attribute_type(s, :N)", False),
    ("attribute_type(n, :N)", True), ("attribute_type(b, :B)", True),
    ("attribute_type(ss, :SS)", True), ("attribute_type(ns, :NS)", True),
    ("attribute_type(bs, :BS)", True), ("attribute_type(t, :BOOL)", True),
    ("attribute_type(nul, :NULL)", True), ("attribute_type(l, :L)", True),
    ("attribute_type(m, :M)", True), ("attribute_type(absent, :S)", False),
    ("begins_with(s, :he)", True), ("begins_with(s, :ell)", False),
    ("begins_with(s, :hello)", True), ("begins_with(b, :b01)", True),
    ("begins_with(b, :b2)", False), ("begins_with(absent, :he)", False),
    ("begins_with(m.a.b[2].c, :found)", True),
    ("contains(s, :ell)", True), ("contains(s, :z)", False), ("contains(ss, :a)", True),
    ("contains(ss, :z)", False), ("contains(ns, :two)", True), ("contains(ns, :five)", False),
    ("contains(bs, :b2)", True), ("contains(l, :two_s)", True), ("contains(l, :one)", True),
    ("contains(l, :z)", False), ("contains(absent, :a)", False),
    ("size(s) = :five", True), ("size(ss) = :two", True), ("size(ns) = :three", True),
    ("size(l) = :four", True), ("size(m) = :two", True), ("size(b) = :three", True),
    ("size(blank) = :zero", True), ("size(m.a.b) > :two", True), ("size(s) < :five", False),
    ("size(absent) >= :zero", False), ("size(s) BETWEEN :four AND :five", True),
    ("size(l[3]) IN (:one, :two)", True),
    # nested paths, names and reserved words through names
    ("m.a.b[2].c = :found", True), ("m.a.b[0] = :zero", True), ("l[2].c = :deep", True),
    ("l[3][1] = :y", True), ("m.k = :v", True), ("#m.#a.b[1] = :one", True),
    ("#st = :active", True), ("#dot = :dot", True), ("#s = :hello", True),
    ("attribute_not_exists(#size)", True), ("m.a.b[9] = :one", False),
    # operands on both sides are any mix of paths and values
    (":ten = n", True), (":one < n", True), (":one < :ten", True),
    ("n > f", True), ("size(s) > n", False),
]


@pytest.fixture(scope="module")
def cond_table(host):
    """One table holding ITEM, shared by the truth-table tests (which never change it)."""
    ddb = host.client()
    name = unique_name("cond")
    ddb.create_table(TableName=name, AttributeDefinitions=[{"AttributeName": "pk",
                                                            "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName=name, Item=ITEM)
    yield name
    try:
        ddb.delete_table(TableName=name)
    except Exception:
        pass


def used(expr, mapping, sigil):
    """The placeholders of `mapping` that `expr` uses (AWS rejects unused ones)."""
    return {k: v for k, v in mapping.items()
            if re.search(re.escape(k) + r"(?![A-Za-z0-9_])", expr)} or None


def placeholders(expr):
    kw = {}
    names, values = used(expr, NAMES, "#"), used(expr, V, ":")
    if names:
        kw["ExpressionAttributeNames"] = names
    if values:
        kw["ExpressionAttributeValues"] = values
    return kw


@pytest.mark.parametrize("expr,expected", TRUTH, ids=[t[0] for t in TRUTH])
def test_condition_and_filter_truth(ddb, cond_table, expr, expected):
    kw = placeholders(expr)
    # ConditionExpression: an identical PutItem succeeds iff the condition holds.
    put = lambda: ddb.put_item(TableName=cond_table, Item=ITEM,  # noqa: E731
                               ConditionExpression=expr, **kw)
    if expected:
        put()
    else:
        expect_error(put, "ConditionalCheckFailedException", COND_FAILED)
    # FilterExpression: the one item is returned iff the condition holds.
    resp = ddb.scan(TableName=cond_table, FilterExpression=expr, **kw)
    assert resp["ScannedCount"] == 1
    assert resp["Count"] == (1 if expected else 0), resp
    assert len(resp["Items"]) == resp["Count"]


def test_condition_on_missing_item(ddb, table_s):
    """A condition on an item that does not exist sees an item with no attributes."""
    key = {"pk": {"S": "ghost"}}
    ddb.put_item(TableName=table_s, Item={**key, "v": {"N": "1"}},
                 ConditionExpression="attribute_not_exists(pk) AND attribute_not_exists(v)")
    for expr, vals in [("attribute_exists(pk)", None), ("v = :one", {":one": {"N": "1"}}),
                       ("NOT v <> :one", {":one": {"N": "1"}})]:
        kw = {"ExpressionAttributeValues": vals} if vals else {}
        expect_error(lambda: ddb.put_item(TableName=table_s, Item={"pk": {"S": "ghost2"}},
                                          ConditionExpression=expr, **kw),
                     "ConditionalCheckFailedException", COND_FAILED)
        expect_error(lambda: ddb.update_item(TableName=table_s, Key={"pk": {"S": "ghost2"}},
                                             UpdateExpression="SET w = :w",
                                             ConditionExpression=expr,
                                             ExpressionAttributeValues={":w": {"N": "2"},
                                                                        **(vals or {})}),
                     "ConditionalCheckFailedException", COND_FAILED)
        expect_error(lambda: ddb.delete_item(TableName=table_s, Key={"pk": {"S": "ghost2"}},
                                             ConditionExpression=expr, **kw),
                     "ConditionalCheckFailedException", COND_FAILED)
    assert "Item" not in ddb.get_item(TableName=table_s, Key={"pk": {"S": "ghost2"}})
    # `<>` on a absent attribute holds, so these succeed on a absent item
    ddb.delete_item(TableName=table_s, Key={"pk": {"S": "ghost2"}},
                    ConditionExpression="v <> :one", ExpressionAttributeValues={":one":
                                                                                {"N": "1"}})


# ---- conditional writes ----------------------------------------------------------------------


def test_conditional_put_update_delete(ddb, table_s):
    key = {"pk": {"S": "cw"}}
    ddb.put_item(TableName=table_s, Item={**key, "ver": {"N": "1"}},
                 ConditionExpression="attribute_not_exists(pk)")
    # optimistic locking on a version attribute
    ddb.update_item(TableName=table_s, Key=key, UpdateExpression="SET ver = ver + :one",
                    ConditionExpression="ver = :cur",
                    ExpressionAttributeValues={":one": {"N": "1"}, ":cur": {"N": "1"}})
    expect_error(lambda: ddb.update_item(TableName=table_s, Key=key,
                                         UpdateExpression="SET ver = ver + :one",
                                         ConditionExpression="ver = :cur",
                                         ExpressionAttributeValues={":one": {"N": "1"},
                                                                    ":cur": {"N": "1"}}),
                 "ConditionalCheckFailedException", COND_FAILED)
    expect_error(lambda: ddb.put_item(TableName=table_s, Item={**key, "ver": {"N": "9"}},
                                      ConditionExpression="ver = :cur",
                                      ExpressionAttributeValues={":cur": {"N": "1"}}),
                 "ConditionalCheckFailedException", COND_FAILED)
    expect_error(lambda: ddb.delete_item(TableName=table_s, Key=key,
                                         ConditionExpression="ver < :cur",
                                         ExpressionAttributeValues={":cur": {"N": "2"}}),
                 "ConditionalCheckFailedException", COND_FAILED)
    assert ddb.get_item(TableName=table_s, Key=key)["Item"] == {**key, "ver": {"N": "2"}}
    ddb.delete_item(TableName=table_s, Key=key, ConditionExpression="ver = :cur",
                    ExpressionAttributeValues={":cur": {"N": "2"}})
    assert "Item" not in ddb.get_item(TableName=table_s, Key=key)


def test_condition_check_failure_full_shape(host, raw, table_s):
    """The failure is HTTP 400 with the DynamoDB namespace and no `Item` unless asked for."""
    ddb = host.client()
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "shape"}, "v": {"S": "old"}})
    r = raw.call("PutItem", {"TableName": table_s, "Item": {"pk": {"S": "shape"}},
                             "ConditionExpression": "attribute_not_exists(pk)"})
    assert r.status == 400, r
    assert r.type == ("com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"), r
    assert r.message == COND_FAILED
    assert "Item" not in r.json


@pytest.mark.parametrize("op", ["put", "update", "delete"])
def test_return_values_on_condition_check_failure(ddb, table_s, op):
    key = {"pk": {"S": f"rvf-{op}"}}
    old = {**key, "v": {"S": "original"}, "ss": {"SS": ["x"]}}
    ddb.put_item(TableName=table_s, Item=old)
    common = {"ConditionExpression": "attribute_not_exists(pk)"}
    calls = {
        "put": lambda **kw: ddb.put_item(TableName=table_s, Item={**key, "v": {"S": "new"}},
                                         **common, **kw),
        "update": lambda **kw: ddb.update_item(TableName=table_s, Key=key,
                                               UpdateExpression="SET v = :n",
                                               ExpressionAttributeValues={":n": {"S": "new"}},
                                               **common, **kw),
        "delete": lambda **kw: ddb.delete_item(TableName=table_s, Key=key, **common, **kw),
    }
    resp = expect_error(lambda: calls[op](ReturnValuesOnConditionCheckFailure="ALL_OLD"),
                        "ConditionalCheckFailedException", COND_FAILED)
    item = resp.get("Item")
    assert item is not None, resp
    assert item["v"] == {"S": "original"} and item["pk"] == key["pk"]
    assert sorted(item["ss"]["SS"]) == ["x"]
    resp = expect_error(lambda: calls[op](ReturnValuesOnConditionCheckFailure="NONE"),
                        "ConditionalCheckFailedException", COND_FAILED)
    assert "Item" not in resp
    resp = expect_error(lambda: calls[op](), "ConditionalCheckFailedException", COND_FAILED)
    assert "Item" not in resp
    assert ddb.get_item(TableName=table_s, Key=key)["Item"]["v"] == {"S": "original"}


def test_return_values_on_condition_check_failure_missing_item(ddb, table_s):
    """With no item there is nothing to return."""
    resp = expect_error(lambda: ddb.put_item(
        TableName=table_s, Item={"pk": {"S": "none"}}, ConditionExpression="attribute_exists(pk)",
        ReturnValuesOnConditionCheckFailure="ALL_OLD"),
        "ConditionalCheckFailedException", COND_FAILED)
    assert "Item" not in resp


def test_return_values_on_condition_check_failure_invalid(ddb_noval, table_s):
    expect_error(lambda: ddb_noval.put_item(
        TableName=table_s, Item={"pk": {"S": "x"}}, ConditionExpression="attribute_exists(pk)",
        ReturnValuesOnConditionCheckFailure="ALL_NEW"),
        "ValidationException",
        "1 validation error detected: Value 'ALL_NEW' at 'returnValuesOnConditionCheckFailure' "
        "failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]")


def test_failed_conditions_log_nothing(native_host, ddb, table_s):
    """A failed conditional write is not a mutation: no log record (native host, log dump)."""
    from test_log import check_log, dump_records
    key = {"pk": {"S": "log"}}
    ddb.put_item(TableName=table_s, Item={**key, "n": {"N": "1"}},
                 ConditionExpression="attribute_not_exists(pk)")
    for _ in range(2):
        expect_error(lambda: ddb.put_item(TableName=table_s, Item=key,
                                          ConditionExpression="attribute_not_exists(pk)"),
                     "ConditionalCheckFailedException", COND_FAILED)
        expect_error(lambda: ddb.update_item(TableName=table_s, Key=key,
                                             UpdateExpression="SET n = n + :one",
                                             ConditionExpression="n > :one",
                                             ExpressionAttributeValues={":one": {"N": "1"}}),
                     "ConditionalCheckFailedException", COND_FAILED)
        expect_error(lambda: ddb.delete_item(TableName=table_s, Key=key,
                                             ConditionExpression="attribute_not_exists(n)"),
                     "ConditionalCheckFailedException", COND_FAILED)
    ddb.update_item(TableName=table_s, Key=key, UpdateExpression="SET n = n + :one",
                    ConditionExpression="n = :one", ExpressionAttributeValues={":one":
                                                                              {"N": "1"}})
    ddb.delete_item(TableName=table_s, Key=key, ConditionExpression="n = :two",
                    ExpressionAttributeValues={":two": {"N": "2"}})
    check_log(dump_records(native_host, table_s),
              ["TableCreated", "ItemPut", "ItemPut", "ItemDeleted"])


# ---- FilterExpression on Query ---------------------------------------------------------------


def test_query_filter_expression(ddb, table_sn):
    for i in range(10):
        ddb.put_item(TableName=table_sn, Item={"pk": {"S": "q"}, "sk": {"N": str(i)},
                                               "even": {"BOOL": i % 2 == 0},
                                               "tags": {"SS": [f"t{i % 3}", "all"]}})
    resp = ddb.query(TableName=table_sn, KeyConditionExpression="pk = :p AND sk >= :lo",
                     FilterExpression="even = :t AND contains(tags, :t0)",
                     ExpressionAttributeValues={":p": {"S": "q"}, ":lo": {"N": "2"},
                                                ":t": {"BOOL": True}, ":t0": {"S": "t0"}})
    assert [int(i["sk"]["N"]) for i in resp["Items"]] == [6]
    assert resp["Count"] == 1 and resp["ScannedCount"] == 8


def test_query_filter_undefined_name(ddb, table_sn):
    expect_error(lambda: ddb.query(TableName=table_sn, KeyConditionExpression="pk = :pk",
                                   FilterExpression="#absent = :fv",
                                   ExpressionAttributeValues={":pk": {"S": "v"},
                                                              ":fv": {"S": "x"}}),
                 "ValidationException",
                 "Invalid FilterExpression: An expression attribute name used in the document "
                 "path is not defined; attribute name: #absent")


# ---- ProjectionExpression --------------------------------------------------------------------


def test_projection_nested_paths(ddb, cond_table):
    got = ddb.get_item(TableName=cond_table, Key={"pk": ITEM["pk"]},
                       ProjectionExpression="m.a.b[2].c, l[3][0], #st, #dot, ss, absent",
                       ExpressionAttributeNames={"#st": "status", "#dot": "dotted.name"})["Item"]
    assert got == {"m": {"M": {"a": {"M": {"b": {"L": [{"M": {"c": {"S": "found"}}}]}}}}},
                   "l": {"L": [{"L": [{"S": "x"}]}]}, "status": {"S": "active"},
                   "dotted.name": {"S": "dot"}, "ss": got["ss"]}
    assert sorted(got["ss"]["SS"]) == ["a", "b"]
    # several elements of one list keep list order; map members merge
    got = ddb.get_item(TableName=cond_table, Key={"pk": ITEM["pk"]},
                       ProjectionExpression="l[3], l[0], m.k, m.a.b[0]")["Item"]
    assert got == {"l": {"L": [{"N": "1"}, {"L": [{"S": "x"}, {"S": "y"}]}]},
                   "m": {"M": {"k": {"S": "v"}, "a": {"M": {"b": {"L": [{"N": "0"}]}}}}}}


def test_projection_of_nothing_that_exists(ddb, cond_table):
    got = ddb.get_item(TableName=cond_table, Key={"pk": ITEM["pk"]},
                       ProjectionExpression="nope, m.zz, l[42]")
    assert got.get("Item") == {}


def test_projection_in_scan_and_query(ddb, cond_table):
    resp = ddb.scan(TableName=cond_table, ProjectionExpression="s, m.k")
    assert resp["Items"] == [{"s": {"S": "hello"}, "m": {"M": {"k": {"S": "v"}}}}]
    resp = ddb.query(TableName=cond_table, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": ITEM["pk"]}, ProjectionExpression="n")
    assert resp["Items"] == [{"n": {"N": "10"}}]


@pytest.mark.parametrize("expr,names,message", [
    ("a, a", None, "Invalid ProjectionExpression: Two document paths overlap with each other; "
                   "must remove or rewrite one of these paths; path one: [a], path two: [a]"),
    ("#a, #b", {"#a": "a", "#b": "a"},
     "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or "
     "rewrite one of these paths; path one: [a], path two: [a]"),
    ("a, a.b", None, "Invalid ProjectionExpression: Two document paths overlap with each other; "
                     "must remove or rewrite one of these paths; path one: [a], path two: [a, b]"),
    ("!!! INVALID !!!", None, 'Invalid ProjectionExpression: Syntax error; token: "!", near: "!!"'),
    ("a, size", None, "Invalid ProjectionExpression: Attribute name is a reserved keyword; "
                      "reserved keyword: size"),
    ("#nope", None, "Invalid ProjectionExpression: An expression attribute name used in the "
                    "document path is not defined; attribute name: #nope"),
])
def test_projection_errors(ddb, table_s, expr, names, message):
    kw = {"ExpressionAttributeNames": names} if names else {}
    expect_error(lambda: ddb.get_item(TableName=table_s, Key={"pk": {"S": "x"}},
                                      ProjectionExpression=expr, **kw),
                 "ValidationException", message)
    expect_error(lambda: ddb.scan(TableName=table_s, ProjectionExpression=expr, **kw),
                 "ValidationException", message)


def test_projection_empty(ddb_noval, table_s):
    expect_error(lambda: ddb_noval.get_item(TableName=table_s, Key={"pk": {"S": "x"}},
                                            ProjectionExpression=""),
                 "ValidationException",
                 "Invalid ProjectionExpression: The expression can not be empty;")


# ---- validation of condition / filter expressions --------------------------------------------


def scan_filter(ddb, table, expr, names=None, values=None):
    kw = {"TableName": table, "FilterExpression": expr}
    if names:
        kw["ExpressionAttributeNames"] = names
    if values:
        kw["ExpressionAttributeValues"] = values
    return ddb.scan(**kw)


def put_condition(ddb, table, expr, names=None, values=None):
    kw = {"TableName": table, "Item": {"pk": {"S": "never"}}, "ConditionExpression": expr}
    if names:
        kw["ExpressionAttributeNames"] = names
    if values:
        kw["ExpressionAttributeValues"] = values
    return ddb.put_item(**kw)


def both(ddb, table, expr, names=None, values=None):
    """The same expression as a FilterExpression and a ConditionExpression: (fn, prefix) pairs."""
    return [(lambda: scan_filter(ddb, table, expr, names, values), "Invalid FilterExpression: "),
            (lambda: put_condition(ddb, table, expr, names, values),
             "Invalid ConditionExpression: ")]


def test_empty_expressions(ddb_noval, table_s):
    for fn, prefix in both(ddb_noval, table_s, ""):
        expect_error(fn, "ValidationException", prefix + "The expression can not be empty;")


SYNTAX_ERRORS = [
    "things are not gonna be ok", "a > 4", "attribute_exists(Pictures-RearView)",
    'attribute_exists("Pictures.RearView")', "attribute_exists(Pictures..RearView)",
    "attribute_exists(asdf[a])", "a in b, c", "a > between", "a in b", "a in (b,c,)",
    "(a)between(b.(c.d))and(c)", "#$.b > a", "a > :things.stuff", "b[:a] > a", "ü > a",
    "size(a).b > a", "size(a)[0] > a", "a = ", "= a", "a == b", "a = b AND", "(a = b",
    "a = b)", "NOT", "a BETWEEN b", "a[-1] = b", "a.b. = c",
]


@pytest.mark.parametrize("expr", SYNTAX_ERRORS)
def test_syntax_errors(ddb, table_s, expr):
    for fn, prefix in both(ddb, table_s, expr):
        resp = expect_error(fn, "ValidationException")
        msg = resp["Error"]["Message"]
        assert re.fullmatch(re.escape(prefix) + r'Syntax error; token: ".*", near: ".*"', msg,
                            re.S), msg


@pytest.mark.parametrize("expr", [
    "a=a and a > ((views))", "(a)between(((b.c)).d)and(c)",
    "a=a AND ((a=a AND a=a)) AND a=a", "a=a OR ((a=a OR a=a)) OR a=a",
    "a=a AND ((a=a AND (a=a AND a=a)))", "((a = b))",
])
def test_redundant_parentheses(ddb, table_s, expr):
    for fn, prefix in both(ddb, table_s, expr):
        expect_error(fn, "ValidationException",
                     prefix + "The expression has redundant parentheses;")


@pytest.mark.parametrize("expr,fn_name", [
    ("a=a and whatever((:things)) > a", "whatever"),
    ("attRIbute_exIsts((views), #a)", "attRIbute_exIsts"),
    ("exists(a)", "exists"),
])
def test_invalid_function_names(ddb, table_s, expr, fn_name):
    for fn, prefix in both(ddb, table_s, expr):
        expect_error(fn, "ValidationException",
                     prefix + f"Invalid function name; function: {fn_name}")


@pytest.mark.parametrize("expr,fn_name", [
    ("a=a and attribute_exists((views), (#a)) > b", "attribute_exists"),
    ("attribute_not_exists(things) > b", "attribute_not_exists"),
    ("attribute_type(things, :a) > b", "attribute_type"),
    ("begins_with(things, a) > b", "begins_with"),
    ("contains(:things, c) > b", "contains"),
    ("size(contains(a, b)) > a", "contains"),
    ("size(things)", "size"),
    ("a between b and attribute_exists(things)", "attribute_exists"),
    ("a in (b, attribute_exists(things))", "attribute_exists"),
])
def test_functions_used_incorrectly(ddb, table_s, expr, fn_name):
    for fn, prefix in both(ddb, table_s, expr):
        expect_error(fn, "ValidationException", prefix + "The function is not allowed to be used "
                     f"this way in an expression; function: {fn_name}")


def test_update_functions_not_allowed_in_conditions(ddb, table_s):
    for expr, name in [("if_not_exists(a, :v) = b", "if_not_exists"),
                       ("list_append(a, :v) = b", "list_append")]:
        for fn, prefix in both(ddb, table_s, expr, values={":v": {"L": []}}):
            expect_error(fn, "ValidationException", prefix + "The function is not allowed in a "
                         f"condition expression; function: {name}")


@pytest.mark.parametrize("expr,word", [
    ("attribute_exists(views, #a)", "views"),
    (":a < abOrT", "abOrT"),
    ("status = :a", "status"),
    ("a.name = :a", "name"),
    ("data[1] = :a", "data"),
])
def test_reserved_keywords(ddb, table_s, expr, word):
    for fn, prefix in both(ddb, table_s, expr):
        expect_error(fn, "ValidationException",
                     prefix + f"Attribute name is a reserved keyword; reserved keyword: {word}")


@pytest.mark.parametrize("expr,name", [
    ("attribute_exists(#Pictures.RearView, :a) and a=a", "#Pictures"),
    ("begins_with(Pictures.#RearView)", "#RearView"),
    ("(#P between :lo and :hi) and (#PC in (:cat1, :cat2))", "#P"),
    ("#4g > a", "#4g"),
    ("#_ > a", "#_"),
    ("(a)between(b.c[45].#d)and(:a)", "#d"),
])
def test_undefined_names(ddb, table_s, expr, name):
    for fn, prefix in both(ddb, table_s, expr):
        expect_error(fn, "ValidationException", prefix + "An expression attribute name used in "
                     f"the document path is not defined; attribute name: {name}")


@pytest.mark.parametrize("expr,value", [
    ("begins_with(:hello, #a, #b)", ":hello"),
    (":a < :b", ":a"),
    (":_ > a", ":_"),
])
def test_undefined_values(ddb, table_s, expr, value):
    for fn, prefix in both(ddb, table_s, expr):
        expect_error(fn, "ValidationException", prefix + "An expression attribute value used in "
                     f"expression is not defined; attribute value: {value}")


def test_unused_placeholders(ddb, table_s):
    for fn, _ in both(ddb, table_s, "a = :a", names={"#a": "a", "#b": "b"},
                      values={":a": {"S": "x"}}):
        expect_error(fn, "ValidationException", "Value provided in ExpressionAttributeNames "
                     "unused in expressions: keys: {#a, #b}")
    for fn, _ in both(ddb, table_s, "a = :a", values={":a": {"S": "x"}, ":c": {"S": "y"},
                                                      ":b": {"S": "z"}}):
        expect_error(fn, "ValidationException", "Value provided in ExpressionAttributeValues "
                     "unused in expressions: keys: {:b, :c}")


def test_placeholders_without_expression(ddb, table_s):
    expect_error(lambda: ddb.put_item(TableName=table_s, Item={"pk": {"S": "x"}},
                                      ExpressionAttributeNames={"#a": "a"}),
                 "ValidationException",
                 "ExpressionAttributeNames can only be specified when using expressions")


@pytest.mark.parametrize("names,values,message", [
    ({"a": "a"}, None, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'),
    ({"#a.b": "a"}, None,
     'ExpressionAttributeNames contains invalid key: Syntax error; key: "#a.b"'),
    (None, {"b": {"S": "a"}},
     'ExpressionAttributeValues contains invalid key: Syntax error; key: "b"'),
    (None, {":": {"S": "a"}},
     'ExpressionAttributeValues contains invalid key: Syntax error; key: ":"'),
])
def test_invalid_placeholder_keys(ddb, table_s, names, values, message):
    expect_error(lambda: scan_filter(ddb, table_s, "a = b", names, values),
                 "ValidationException", message)


def test_empty_placeholder_maps(ddb_noval, table_s):
    expect_error(lambda: ddb_noval.scan(TableName=table_s, FilterExpression="a = b",
                                        ExpressionAttributeNames={}),
                 "ValidationException", "ExpressionAttributeNames must not be empty")
    expect_error(lambda: ddb_noval.scan(TableName=table_s, FilterExpression="a = b",
                                        ExpressionAttributeValues={}),
                 "ValidationException", "ExpressionAttributeValues must not be empty")


@pytest.mark.parametrize("expr,fn_name,count", [
    ("attribute_exists(things, a) and a=a", "attribute_exists", 2),
    ("attribute_not_exists(things, b)", "attribute_not_exists", 2),
    ("attribute_type(things)", "attribute_type", 1),
    ("begins_with(things)", "begins_with", 1),
    ("begins_with(things, size(a), b)", "begins_with", 3),
    ("contains(things)", "contains", 1),
    ("size(things, a) > b", "size", 2),
])
def test_operand_counts(ddb, table_s, expr, fn_name, count):
    for fn, prefix in both(ddb, table_s, expr):
        expect_error(fn, "ValidationException", prefix + "Incorrect number of operands for "
                     f"operator or function; operator or function: {fn_name}, number of "
                     f"operands: {count}")


@pytest.mark.parametrize("expr,fn_name,value", [
    ("attribute_type(a, :a)", "attribute_type", {"N": "1"}),
    ("attribute_type(a, :a)", "attribute_type", {"BOOL": True}),
    ("attribute_type(a, :a)", "attribute_type", {"L": []}),
    ("attribute_type(a, :a)", "attribute_type", {"SS": ["1"]}),
    ("begins_with(a, :a)", "begins_with", {"N": "1"}),
    ("begins_with(a, :a)", "begins_with", {"NULL": True}),
    ("begins_with(a, :a)", "begins_with", {"M": {}}),
    ("begins_with(:a, a)", "begins_with", {"BS": [b"a"]}),
    ("size(:a) > a", "size", {"BOOL": True}),
    ("size(:a) > a", "size", {"NULL": True}),
    ("attribute_not_exists(size(:a))", "size", {"N": "1"}),
])
def test_operand_types(ddb, table_s, expr, fn_name, value):
    ty = next(iter(value))
    for fn, prefix in both(ddb, table_s, expr, values={":a": value}):
        expect_error(fn, "ValidationException", prefix + "Incorrect operand type for operator "
                     f"or function; operator or function: {fn_name}, operand type: {ty}")


def test_attribute_type_invalid_type_name(ddb, table_s):
    for fn, prefix in both(ddb, table_s, "attribute_type(a, :a)", values={":a": {"S": "1"}}):
        resp = expect_error(fn, "ValidationException")
        msg = resp["Error"]["Message"]
        m = re.fullmatch(re.escape(prefix) + r"Invalid attribute type name found; type: 1, "
                         r"valid types: \{([A-Z,]+)\}", msg)
        assert m, msg
        assert sorted(m.group(1).split(",")) == sorted(
            ["B", "NULL", "SS", "BOOL", "L", "BS", "N", "NS", "S", "M"])


@pytest.mark.parametrize("expr,fn_name", [
    ("attribute_exists(:a) and a=a", "attribute_exists"),
    ("attribute_not_exists(:a)", "attribute_not_exists"),
])
def test_functions_need_paths(ddb, table_s, expr, fn_name):
    for fn, prefix in both(ddb, table_s, expr, values={":a": {"S": "1"}}):
        expect_error(fn, "ValidationException", prefix + "Operator or function requires a "
                     f"document path; operator or function: {fn_name}")


@pytest.mark.parametrize("expr,op,path", [
    ("#a <> a", "<>", "[a]"),
    ("a > #a", ">", "[a]"),
    ("((a=a) OR (b=c))", "=", "[a]"),
    ("contains(ab.bc[1].a, ab.bc[1].#a)", "contains", "[ab, bc, [1], a]"),
    ("begins_with(ab.bc[1].a, ab.bc[1].#a)", "begins_with", "[ab, bc, [1], a]"),
])
def test_non_distinct_operands(ddb, table_s, expr, op, path):
    for fn, prefix in both(ddb, table_s, expr, names={"#a": "a"}):
        expect_error(fn, "ValidationException", prefix + "The first operand must be distinct "
                     "from the remaining operands for this operator or function; operator: "
                     f"{op}, first operand: {path}")


def test_between_bounds(ddb, table_s):
    for fn, prefix in both(ddb, table_s, "a BETWEEN :lo AND :hi",
                           values={":lo": {"N": "5"}, ":hi": {"N": "1"}}):
        expect_error(fn, "ValidationException", prefix + "The BETWEEN operator requires upper "
                     "bound to be greater than or equal to lower bound; lower bound operand: "
                     "AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}")
    for fn, prefix in both(ddb, table_s, "a BETWEEN :lo AND :hi",
                           values={":lo": {"N": "5"}, ":hi": {"S": "1"}}):
        expect_error(fn, "ValidationException", prefix + "The BETWEEN operator requires same "
                     "data type for lower and upper bounds; lower bound operand: AttributeValue: "
                     "{N:5}, upper bound operand: AttributeValue: {S:1}")


# ---- limits ----------------------------------------------------------------------------------


def test_in_operand_limit(ddb, cond_table):
    values = {f":v{i}": {"N": str(i)} for i in range(100)}
    expr = "n IN (" + ", ".join(values) + ")"
    assert scan_filter(ddb, cond_table, expr, values=values)["Count"] == 1   # 100: fine
    values[":v100"] = {"N": "100"}
    expr = "n IN (" + ", ".join(values) + ")"
    for fn, prefix in both(ddb, cond_table, expr, values=values):
        expect_error(fn, "ValidationException", prefix + "The IN operator is provided with too "
                     "many operands; number of operands: 101")


def test_operator_limit(ddb, cond_table):
    ok = " AND ".join(["n = :ten"] * 150)            # 299 operators: fine
    assert scan_filter(ddb, cond_table, ok, values={":ten": {"N": "10"}})["Count"] == 1
    too_many = " OR ".join(["n = :ten"] * 151)       # 301 operators
    for fn, prefix in both(ddb, cond_table, too_many, values={":ten": {"N": "10"}}):
        expect_error(fn, "ValidationException", prefix + "The expression contains too many "
                     "operators; operator count: 301")


def test_expression_size_limit(ddb, cond_table):
    """4 KB (4096 bytes) per expression: exactly 4096 is accepted, 4097 is not."""
    def expr_of(size):
        head = "attribute_not_exists("
        return head + "x" * (size - len(head) - 1) + ")"
    ok = expr_of(4096)
    assert len(ok.encode()) == 4096
    assert scan_filter(ddb, cond_table, ok)["Count"] == 1
    too_big = expr_of(4097)
    expect_error(lambda: scan_filter(ddb, cond_table, too_big), "ValidationException",
                 "Invalid FilterExpression: Expression size has exceeded the maximum allowed "
                 "size; expression size: 4097")
    expect_error(lambda: ddb.update_item(TableName=cond_table, Key={"pk": {"S": "big"}},
                                         UpdateExpression="SET v = :v",
                                         ConditionExpression=too_big,
                                         ExpressionAttributeValues={":v": {"S": "x"}}),
                 "ValidationException", "Invalid ConditionExpression: Expression size has "
                 "exceeded the maximum allowed size; expression size: 4097")
    # multi-byte characters count in bytes
    utf8 = "attribute_not_exists(#n) AND a = :" + "é" * 2040
    assert len(utf8) < 4096 < len(utf8.encode())
    resp = expect_error(lambda: scan_filter(ddb, cond_table, utf8, names={"#n": "n"},
                                            values={":" + "é" * 2040: {"S": "x"}}),
                        "ValidationException")
    assert "Expression size has exceeded the maximum allowed size" in resp["Error"]["Message"]
    assert ddb.get_item(TableName=cond_table, Key={"pk": {"S": "big"}}).get("Item") is None


def test_document_path_depth_limit(ddb, cond_table):
    """A document path has at most 32 levels."""
    ok = "attribute_exists(" + ".".join(["a"] * 32) + ")"
    assert scan_filter(ddb, cond_table, ok)["Count"] == 0
    deep = "attribute_exists(" + ".".join(["a"] * 33) + ")"
    for fn, prefix in both(ddb, cond_table, deep):
        expect_error(fn, "ValidationException", prefix + "The document path has too many "
                     "nesting levels; nesting levels: 33")
    deep_list = "attribute_exists(a" + "[0]" * 32 + ")"
    for fn, prefix in both(ddb, cond_table, deep_list):
        expect_error(fn, "ValidationException", prefix + "The document path has too many "
                     "nesting levels; nesting levels: 33")
