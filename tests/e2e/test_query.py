"""Query with KeyConditionExpression on S, N and B sort keys: DynamoDB's ordering (numbers
numerically, strings and binary by unsigned bytes / UTF-8), every key operator, names/values,
ScanIndexForward, Limit and ExclusiveStartKey pagination, Count/ScannedCount; and the errors.

Sources for exact messages: nubo-db/dynamodb-conformance tests/tier3/error-messages/query.test.ts
and tests/tier1/query/*.test.ts (real DynamoDB), architect/dynalite validations/query.js, real AWS
outputs quoted in issues (begins_with on N: electrodb's test suite; BETWEEN bounds: a botocore
trace in a public repo; "Query key condition not supported" for begins_with on the partition key).
"""

from decimal import Context, Decimal

import pytest

from ddbutil import (MSG_BAD_START_KEY, MSG_HASH_KEY_TOO_BIG, MSG_RNF_DATA, expect_error,
                     query_all, unique_name)

N_VALUES = ["-1E+10", "-100", "-10", "-1.5", "-1", "-0.5", "-0.001", "0", "0.001", "0.5", "1",
            "1.5", "2", "3.14159", "9", "10", "10.5", "99", "100", "1000", "1E+10",
            "12345678901234567890123456789012345678"]
S_VALUES = ["A", "B", "Z", "_", "a", "aa", "ab", "abc", "b", "z", "~", "\u00e9", "\u00ff",
            "\u0100", "\u4e2d", "\uffff", "\U0001d11e", "0", "9", " ", "a b"]
B_VALUES = [b"\x00", b"\x00\x00", b"\x00\x01", b"\x01", b"\x7f", b"\x80", b"\x80\x00", b"\xfe",
            b"\xff", b"\xff\x00", b"\xff\xff", b"a", b"ab"]


def n_sorted(values):
    return sorted(values, key=Decimal)


def s_sorted(values):
    return sorted(values, key=lambda s: s.encode("utf-8"))


def b_sorted(values):
    return sorted(values)


def norm_n(v):
    """What DynamoDB returns for a number: plain notation, no trailing zeros."""
    d = Decimal(v).normalize(Context(prec=100))
    s = format(d, "f")
    return "0" if s in ("-0", "0") else s


@pytest.fixture
def n_table(ddb, make_table):
    t = make_table(range_key=("sk", "N"))
    for v in N_VALUES:
        ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"N": v}, "orig": {"S": v}})
    # other partitions must never leak into results
    for v in ("0", "5"):
        ddb.put_item(TableName=t, Item={"pk": {"S": "other"}, "sk": {"N": v}})
        ddb.put_item(TableName=t, Item={"pk": {"S": "p "}, "sk": {"N": v}})
    return t


@pytest.fixture
def s_table(ddb, make_table):
    t = make_table(range_key=("sk", "S"))
    for v in S_VALUES:
        ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"S": v}})
    ddb.put_item(TableName=t, Item={"pk": {"S": "q"}, "sk": {"S": "a"}})
    return t


@pytest.fixture
def b_table(ddb, make_table):
    t = make_table(("pk", "B"), ("sk", "B"))
    for v in B_VALUES:
        ddb.put_item(TableName=t, Item={"pk": {"B": b"\x01p"}, "sk": {"B": v}})
    ddb.put_item(TableName=t, Item={"pk": {"B": b"\x01q"}, "sk": {"B": b"\x00"}})
    return t


def q(ddb, table, expr, values, names=None, **kw):
    args = {"TableName": table, "KeyConditionExpression": expr,
            "ExpressionAttributeValues": values}
    if names:
        args["ExpressionAttributeNames"] = names
    args.update(kw)
    return ddb.query(**args)


def sks(resp, t):
    return [i["sk"][t] for i in resp["Items"]]


# ---- ordering --------------------------------------------------------------------------------


def test_number_sort_key_order(ddb, n_table):
    resp = q(ddb, n_table, "pk = :p", {":p": {"S": "p"}})
    assert sks(resp, "N") == [norm_n(v) for v in n_sorted(N_VALUES)]
    assert resp["Count"] == len(N_VALUES) == resp["ScannedCount"]
    back = q(ddb, n_table, "pk = :p", {":p": {"S": "p"}}, ScanIndexForward=False)
    assert sks(back, "N") == sks(resp, "N")[::-1]


def test_string_sort_key_order_is_utf8_bytes(ddb, s_table):
    resp = q(ddb, s_table, "pk = :p", {":p": {"S": "p"}})
    assert sks(resp, "S") == s_sorted(S_VALUES)
    # U+FFFF sorts before U+1D11E in UTF-8 byte order (not in UTF-16 order)
    got = sks(resp, "S")
    assert got.index("\uffff") < got.index("\U0001d11e")
    back = q(ddb, s_table, "pk = :p", {":p": {"S": "p"}}, ScanIndexForward=False)
    assert sks(back, "S") == s_sorted(S_VALUES)[::-1]


def test_binary_sort_key_order_is_unsigned_bytes(ddb, b_table):
    resp = q(ddb, b_table, "pk = :p", {":p": {"B": b"\x01p"}})
    assert sks(resp, "B") == b_sorted(B_VALUES)
    back = q(ddb, b_table, "pk = :p", {":p": {"B": b"\x01p"}}, ScanIndexForward=False)
    assert sks(back, "B") == b_sorted(B_VALUES)[::-1]


# ---- operators -------------------------------------------------------------------------------

N_OPS = [
    ("sk = :v", {":v": "1.5"}, lambda x: x == Decimal("1.5")),
    ("sk = :v", {":v": "1.50"}, lambda x: x == Decimal("1.5")),
    ("sk < :v", {":v": "0"}, lambda x: x < 0),
    ("sk <= :v", {":v": "-1"}, lambda x: x <= -1),
    ("sk > :v", {":v": "9"}, lambda x: x > 9),
    ("sk >= :v", {":v": "10"}, lambda x: x >= 10),
    ("sk BETWEEN :a AND :b", {":a": "-1", ":b": "2"}, lambda x: -1 <= x <= 2),
    ("sk between :a and :b", {":a": "-0.5", ":b": "-0.5"}, lambda x: x == Decimal("-0.5")),
    ("sk BETWEEN :a AND :b", {":a": "1E+11", ":b": "1E+12"}, lambda x: False),
    (":v > sk", {":v": "0"}, lambda x: x < 0),       # value on the left is accepted
    (":v <= sk", {":v": "99"}, lambda x: x >= 99),
]


@pytest.mark.parametrize("cond,vals,pred", N_OPS)
@pytest.mark.parametrize("forward", [True, False])
def test_number_key_conditions(ddb, n_table, cond, vals, pred, forward):
    values = {":p": {"S": "p"}, **{k: {"N": v} for k, v in vals.items()}}
    resp = q(ddb, n_table, f"pk = :p AND {cond}", values, ScanIndexForward=forward)
    expected = [norm_n(v) for v in n_sorted(N_VALUES) if pred(Decimal(v))]
    if not forward:
        expected.reverse()
    assert sks(resp, "N") == expected
    assert resp["Count"] == len(expected)


S_OPS = [
    ("sk = :v", {":v": "ab"}, lambda x: x == "ab"),
    ("sk < :v", {":v": "a"}, lambda x: x.encode() < b"a"),
    ("sk <= :v", {":v": "a"}, lambda x: x.encode() <= b"a"),
    ("sk > :v", {":v": "z"}, lambda x: x.encode() > b"z"),
    ("sk >= :v", {":v": "\u00ff"}, lambda x: x.encode() >= "\u00ff".encode()),
    ("sk BETWEEN :a AND :b", {":a": "a", ":b": "b"}, lambda x: b"a" <= x.encode() <= b"b"),
    ("begins_with(sk, :v)", {":v": "a"}, lambda x: x.startswith("a")),
    ("begins_with(sk, :v)", {":v": "ab"}, lambda x: x.startswith("ab")),
    ("begins_with ( sk , :v )", {":v": "\u00e9"}, lambda x: x.startswith("\u00e9")),
    ("begins_with(sk, :v)", {":v": "\uffff"}, lambda x: x.startswith("\uffff")),
    ("begins_with(sk, :v)", {":v": "nothing"}, lambda x: False),
]


@pytest.mark.parametrize("cond,vals,pred", S_OPS)
def test_string_key_conditions(ddb, s_table, cond, vals, pred):
    values = {":p": {"S": "p"}, **{k: {"S": v} for k, v in vals.items()}}
    resp = q(ddb, s_table, f"pk = :p AND {cond}", values)
    assert sks(resp, "S") == [v for v in s_sorted(S_VALUES) if pred(v)]


B_OPS = [
    ("sk = :v", {":v": b"\x80"}, lambda x: x == b"\x80"),
    ("sk < :v", {":v": b"\x01"}, lambda x: x < b"\x01"),
    ("sk <= :v", {":v": b"\x7f"}, lambda x: x <= b"\x7f"),
    ("sk > :v", {":v": b"\x80"}, lambda x: x > b"\x80"),
    ("sk >= :v", {":v": b"\xff"}, lambda x: x >= b"\xff"),
    ("sk BETWEEN :a AND :b", {":a": b"\x00\x01", ":b": b"\x80"},
     lambda x: b"\x00\x01" <= x <= b"\x80"),
    ("begins_with(sk, :v)", {":v": b"\xff"}, lambda x: x.startswith(b"\xff")),
    ("begins_with(sk, :v)", {":v": b"\x00"}, lambda x: x.startswith(b"\x00")),
    ("begins_with(sk, :v)", {":v": b"\x80"}, lambda x: x.startswith(b"\x80")),
]


@pytest.mark.parametrize("cond,vals,pred", B_OPS)
def test_binary_key_conditions(ddb, b_table, cond, vals, pred):
    values = {":p": {"B": b"\x01p"}, **{k: {"B": v} for k, v in vals.items()}}
    resp = q(ddb, b_table, f"pk = :p AND {cond}", values)
    assert sks(resp, "B") == [v for v in b_sorted(B_VALUES) if pred(v)]


def test_expression_attribute_names(ddb, n_table):
    resp = q(ddb, n_table, "#p = :p AND #s BETWEEN :lo AND :hi",
             {":p": {"S": "p"}, ":lo": {"N": "0"}, ":hi": {"N": "1"}},
             names={"#p": "pk", "#s": "sk"})
    assert sks(resp, "N") == ["0", "0.001", "0.5", "1"]


def test_parenthesised_and_reordered_conditions(ddb, n_table):
    values = {":p": {"S": "p"}, ":v": {"N": "99"}}
    for expr in ("(pk = :p) AND (sk >= :v)", "sk >= :v AND pk = :p", "(pk = :p AND sk >= :v)"):
        resp = q(ddb, n_table, expr, values)
        assert sks(resp, "N") == ["99", "100", "1000", "10000000000",
                                  "12345678901234567890123456789012345678"], expr


def test_reserved_word_attribute_needs_names(ddb, make_table):
    t = make_table(("data", "S"), ("size", "N"))  # both are DynamoDB reserved words
    ddb.put_item(TableName=t, Item={"data": {"S": "d"}, "size": {"N": "3"}})
    resp = q(ddb, t, "#d = :d AND #s > :z", {":d": {"S": "d"}, ":z": {"N": "0"}},
             names={"#d": "data", "#s": "size"})
    assert resp["Count"] == 1


def test_query_hash_only_table(ddb, make_table):
    t = make_table(("pk", "N"))
    for i in range(5):
        ddb.put_item(TableName=t, Item={"pk": {"N": str(i)}, "v": {"N": str(i * i)}})
    resp = q(ddb, t, "pk = :p", {":p": {"N": "3.0"}})
    assert resp["Items"] == [{"pk": {"N": "3"}, "v": {"N": "9"}}]
    assert resp["Count"] == 1 and resp["ScannedCount"] == 1
    assert "LastEvaluatedKey" not in resp


def test_query_empty_partition(ddb, n_table):
    resp = q(ddb, n_table, "pk = :p", {":p": {"S": "nobody"}})
    assert resp["Items"] == [] and resp["Count"] == 0 and resp["ScannedCount"] == 0
    assert "LastEvaluatedKey" not in resp


def test_query_returns_whole_items(ddb, n_table):
    resp = q(ddb, n_table, "pk = :p AND sk = :v", {":p": {"S": "p"}, ":v": {"N": "3.14159"}})
    assert resp["Items"] == [{"pk": {"S": "p"}, "sk": {"N": "3.14159"},
                              "orig": {"S": "3.14159"}}]


# ---- pagination ------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 7, 22, 23, 100])
@pytest.mark.parametrize("forward", [True, False])
def test_query_pagination(ddb, n_table, limit, forward):
    base = {"TableName": n_table, "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "p"}}, "ScanIndexForward": forward}
    full = ddb.query(**base)
    items, pages = query_all(ddb, Limit=limit, **base)
    assert items == full["Items"]
    keys = [(i["pk"]["S"], i["sk"]["N"]) for i in items]
    assert len(set(keys)) == len(keys)
    for page in pages:
        assert len(page["Items"]) <= limit
        assert page["Count"] == len(page["Items"])
        assert "ScannedCount" in page
        if "LastEvaluatedKey" in page:
            assert set(page["LastEvaluatedKey"]) == {"pk", "sk"}
            assert page["LastEvaluatedKey"] == {k: page["Items"][-1][k] for k in ("pk", "sk")}
    # every page but the last is full
    assert all(len(p["Items"]) == limit for p in pages[:-1])
    if limit < len(N_VALUES):
        assert "LastEvaluatedKey" in pages[0]


def test_query_pagination_with_condition(ddb, n_table):
    base = {"TableName": n_table, "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
            "ExpressionAttributeValues": {":p": {"S": "p"}, ":a": {"N": "-10"},
                                          ":b": {"N": "10"}}}
    items, pages = query_all(ddb, Limit=4, **base)
    assert [i["sk"]["N"] for i in items] == [norm_n(v) for v in n_sorted(N_VALUES)
                                             if -10 <= Decimal(v) <= 10]
    assert len(pages) >= 4


def test_query_exclusive_start_key_manual(ddb, s_table):
    base = {"TableName": s_table, "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "p"}}}
    start = {"pk": {"S": "p"}, "sk": {"S": "ab"}}
    resp = ddb.query(ExclusiveStartKey=start, **base)
    assert sks(resp, "S") == [v for v in s_sorted(S_VALUES) if v.encode() > b"ab"]
    resp = ddb.query(ExclusiveStartKey=start, ScanIndexForward=False, **base)
    assert sks(resp, "S") == [v for v in s_sorted(S_VALUES) if v.encode() < b"ab"][::-1]
    # a start key that is not an existing item is just a position
    start = {"pk": {"S": "p"}, "sk": {"S": "aaa"}}
    resp = ddb.query(ExclusiveStartKey=start, **base)
    assert sks(resp, "S") == [v for v in s_sorted(S_VALUES) if v.encode() > b"aaa"]


# ---- errors ----------------------------------------------------------------------------------


def test_query_missing_partition_key_condition(ddb, n_table):
    expect_error(lambda: q(ddb, n_table, "sk = :v", {":v": {"N": "1"}}),
                 "ValidationException", "Query condition missed key schema element: pk")


def test_query_non_key_attribute_only(ddb, n_table):
    expect_error(lambda: q(ddb, n_table, "orig = :v", {":v": {"S": "1"}}),
                 "ValidationException", "Query condition missed key schema element: pk")


def test_query_begins_with_on_partition_key(ddb, s_table):
    expect_error(lambda: q(ddb, s_table, "begins_with(pk, :v)", {":v": {"S": "p"}}),
                 "ValidationException", "Query key condition not supported")


def test_query_without_key_condition(ddb, n_table):
    expect_error(lambda: ddb.query(TableName=n_table), "ValidationException",
                 "Either the KeyConditions or KeyConditionExpression parameter must be "
                 "specified in the request.")


def test_query_empty_key_condition(ddb_noval, n_table):
    expect_error(lambda: q(ddb_noval, n_table, "", {":v": {"S": "x"}}), "ValidationException",
                 "Invalid KeyConditionExpression: The expression can not be empty;")


def test_query_begins_with_on_number_sort_key(ddb, n_table):
    expect_error(lambda: q(ddb, n_table, "pk = :p AND begins_with(sk, :v)",
                           {":p": {"S": "p"}, ":v": {"N": "1"}}),
                 "ValidationException",
                 "Invalid KeyConditionExpression: Incorrect operand type for operator or "
                 "function; operator or function: begins_with, operand type: N")


def test_query_partition_key_type_mismatch(ddb, n_table):
    expect_error(lambda: q(ddb, n_table, "pk = :p", {":p": {"N": "1"}}),
                 "ValidationException",
                 "One or more parameter values were invalid: Condition parameter type does not "
                 "match schema type")


def test_query_sort_key_type_mismatch(ddb, n_table):
    expect_error(lambda: q(ddb, n_table, "pk = :p AND sk > :v",
                           {":p": {"S": "p"}, ":v": {"S": "1"}}),
                 "ValidationException",
                 "One or more parameter values were invalid: Condition parameter type does not "
                 "match schema type")


def test_query_undefined_value(ddb, n_table):
    expect_error(lambda: q(ddb, n_table, "pk = :missing", {":p": {"S": "p"}}),
                 "ValidationException",
                 "Invalid KeyConditionExpression: An expression attribute value used in "
                 "expression is not defined; attribute value: :missing")


def test_query_undefined_name(ddb, n_table):
    expect_error(lambda: q(ddb, n_table, "#nope = :p", {":p": {"S": "p"}}),
                 "ValidationException",
                 "Invalid KeyConditionExpression: An expression attribute name used in the "
                 "document path is not defined; attribute name: #nope")


def test_query_unused_value(ddb, n_table):
    expect_error(lambda: q(ddb, n_table, "pk = :p", {":p": {"S": "p"}, ":unused": {"S": "x"}}),
                 "ValidationException",
                 "Value provided in ExpressionAttributeValues unused in expressions: "
                 "keys: {:unused}")


def test_query_unused_name(ddb, n_table):
    expect_error(lambda: q(ddb, n_table, "pk = :p", {":p": {"S": "p"}},
                           names={"#unused": "x"}),
                 "ValidationException",
                 "Value provided in ExpressionAttributeNames unused in expressions: "
                 "keys: {#unused}")


def test_query_between_reversed_bounds(ddb, n_table):
    expect_error(lambda: q(ddb, n_table, "pk = :p AND sk BETWEEN :a AND :b",
                           {":p": {"S": "p"}, ":a": {"N": "5"}, ":b": {"N": "1"}}),
                 "ValidationException",
                 "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to "
                 "be greater than or equal to lower bound; lower bound operand: AttributeValue: "
                 "{N:5}, upper bound operand: AttributeValue: {N:1}")


def test_query_missing_table(ddb):
    expect_error(lambda: q(ddb, unique_name("missing"), "pk = :p", {":p": {"S": "p"}}),
                 "ResourceNotFoundException", MSG_RNF_DATA)


def test_query_limit_zero(ddb_noval, n_table):
    # AWS words this two ways depending on region (2026-06 rewording); both accepted.
    expect_error(lambda: q(ddb_noval, n_table, "pk = :p", {":p": {"S": "p"}}, Limit=0),
                 "ValidationException", one_of=[
                     "1 validation error detected: Value '0' at 'limit' failed to satisfy "
                     "constraint: Member must have value greater than or equal to 1",
                     "1 validation error detected: Value at 'Limit' failed to satisfy "
                     "constraint: Member must have value greater than or equal to 1"])


@pytest.mark.parametrize("start", [
    {"pk": {"S": "p"}},                                   # missing sort key
    {"pk": {"S": "p"}, "sk": {"S": "1"}},                 # wrong type
    {"pk": {"S": "p"}, "sk": {"N": "1"}, "x": {"S": "y"}},  # extra attribute
])
def test_query_bad_exclusive_start_key(ddb, n_table, start):
    expect_error(lambda: q(ddb, n_table, "pk = :p", {":p": {"S": "p"}}, ExclusiveStartKey=start),
                 "ValidationException", MSG_BAD_START_KEY)


def test_query_oversized_partition_key_value(ddb, s_table):
    expect_error(lambda: q(ddb, s_table, "pk = :p", {":p": {"S": "x" * 2049}}),
                 "ValidationException", MSG_HASH_KEY_TOO_BIG)


# --- A starting key must lie inside what the key condition selects (dynalite test/query.js,
# recorded against AWS) ---

def test_start_key_of_another_partition(ddb, n_table):
    expect_error(lambda: q(ddb, n_table, "pk = :p", {":p": {"S": "p"}},
                           ExclusiveStartKey={"pk": {"S": "other"}, "sk": {"N": "0"}}),
                 "ValidationException",
                 "The provided starting key is outside query boundaries based on provided "
                 "conditions")


def test_start_key_outside_the_sort_key_condition(ddb, n_table):
    expect_error(lambda: q(ddb, n_table, "pk = :p AND sk > :lo", {":p": {"S": "p"},
                                                                  ":lo": {"N": "10"}},
                           ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"N": "5"}}),
                 "ValidationException",
                 "The provided starting key does not match the range key predicate")
    # A key inside the condition resumes after it.
    r = q(ddb, n_table, "pk = :p AND sk > :lo", {":p": {"S": "p"}, ":lo": {"N": "-1"}},
          Limit=1)
    nxt = q(ddb, n_table, "pk = :p AND sk > :lo", {":p": {"S": "p"}, ":lo": {"N": "-1"}},
            ExclusiveStartKey=r["LastEvaluatedKey"])
    assert r["Items"][0] not in nxt["Items"]


def test_start_key_of_another_partition_on_an_index(ddb, make_table):
    t = make_table(range_key=("sk", "N"),
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                         {"AttributeName": "sk", "AttributeType": "N"},
                                         {"AttributeName": "g", "AttributeType": "S"}],
                   GlobalSecondaryIndexes=[{
                       "IndexName": "byg", "Projection": {"ProjectionType": "ALL"},
                       "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}])
    expect_error(lambda: ddb.query(
        TableName=t, IndexName="byg", KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "a"}},
        ExclusiveStartKey={"pk": {"S": "x"}, "sk": {"N": "1"}, "g": {"S": "b"}}),
        "ValidationException",
        "The provided starting key is outside query boundaries based on provided conditions")


@pytest.mark.parametrize("key", ["pk", "sk"])
def test_query_filter_on_a_key_attribute(ddb, n_table, key):
    expect_error(lambda: ddb.query(
        TableName=n_table,
        KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]}},
        QueryFilter={key: {"ComparisonOperator": "NOT_NULL"}}),
        "ValidationException",
        f"QueryFilter can only contain non-primary key attributes: Primary key attribute: {key}")


def test_filter_on_both_keys_names_the_partition_key(ddb, n_table):
    expect_error(lambda: q(ddb, n_table, "pk = :p", {":p": {"S": "p"}},
                           FilterExpression="sk > :z AND pk = :p",
                           ExpressionAttributeValues={":p": {"S": "p"}, ":z": {"N": "0"}}),
                 "ValidationException",
                 "Filter Expression can only contain non-primary key attributes: Primary key "
                 "attribute: pk")
