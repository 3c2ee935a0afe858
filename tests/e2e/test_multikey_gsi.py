"""Query on global secondary indexes whose key has several attributes (up to four partition-key
and four sort-key attributes, DynamoDB's "multi-attribute keys").

As the DynamoDB Developer Guide's multi-attribute keys pattern describes it: a Query gives an
equality on every partition-key attribute and conditions on the sort-key attributes from left
to right: equalities on the leading ones, optionally one range condition (<, <=, >, >=,
BETWEEN, begins_with) on the last one given. Results come in the order of the sort-key
attributes taken one after another, each in its own type's order.

A skipped sort-key attribute, or a range condition before a later one, is "RANGE key
attributes X must have equality conditions specified in the query because a condition is
present on key attribute Y" (paritysuite/dynamodb-conformance multiAttributeGsiKey.test.ts,
verified against AWS in October 2026). A partition-key attribute without a condition, or
with a range condition, gets the single-attribute messages ("Query condition missed key
schema element: …", "Query key condition not supported"); no public source records
DynamoDB's wording for those yet.
"""

import pytest

from ddbutil import expect_error, query_all

MATCHES = [
    # (matchId, tournament, region, round, bracket)
    (1, "WINTER", "NA", "QUARTER", "LOWER"),
    (2, "WINTER", "NA", "QUARTER", "UPPER"),
    (3, "WINTER", "NA", "SEMI", "UPPER"),
    (4, "WINTER", "NA", "SEMI", "LOWER"),
    (5, "WINTER", "NA", "FINAL", "UPPER"),
    (6, "WINTER", "EU", "SEMI", "UPPER"),
    (7, "SUMMER", "NA", "SEMI", "UPPER"),
    (8, "WINTER", "NA", "QUARTER", "UPPER"),
    (9, "WINTER", "NA", "QUARTER", "UPPERMOST"),
]


def key_schema(hashes, ranges):
    return ([{"AttributeName": a, "KeyType": "HASH"} for a in hashes]
            + [{"AttributeName": a, "KeyType": "RANGE"} for a in ranges])


@pytest.fixture
def matches(ddb, make_table):
    t = make_table(
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "tournament", "AttributeType": "S"},
            {"AttributeName": "area", "AttributeType": "S"},
            {"AttributeName": "round", "AttributeType": "S"},
            {"AttributeName": "bracket", "AttributeType": "S"},
            {"AttributeName": "matchId", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[{
            "IndexName": "bracket_index",
            "KeySchema": key_schema(["tournament", "area"], ["round", "bracket", "matchId"]),
            "Projection": {"ProjectionType": "ALL"},
        }])
    for m, tour, region, rnd, bracket in MATCHES:
        ddb.put_item(TableName=t, Item={
            "pk": {"S": f"m{m}"}, "matchId": {"N": str(m)}, "tournament": {"S": tour},
            "area": {"S": region}, "round": {"S": rnd}, "bracket": {"S": bracket}})
    # Missing a key attribute: not in the index.
    ddb.put_item(TableName=t, Item={"pk": {"S": "m10"}, "tournament": {"S": "WINTER"},
                                    "area": {"S": "NA"}, "round": {"S": "SEMI"}})
    return t


def q(ddb, table, expr, **values):
    vals = {}
    for k, v in values.items():
        vals[f":{k}"] = {"N": str(v)} if isinstance(v, int) else {"S": v}
    items, _ = query_all(ddb, TableName=table, IndexName="bracket_index",
                         KeyConditionExpression=expr, ExpressionAttributeValues=vals)
    return [int(i["matchId"]["N"]) for i in items]


def expected(pred):
    """Match ids in the index's order (round, bracket, matchId) for which pred holds."""
    rows = sorted((rnd.encode(), br.encode(), m) for m, t, r, rnd, br in MATCHES
                  if pred(t, r, rnd, br, m))
    return [m for _, _, m in rows]


def test_partition_only(ddb, matches):
    got = q(ddb, matches, "tournament = :t AND area = :r", t="WINTER", r="NA")
    assert got == expected(lambda t, r, *_: (t, r) == ("WINTER", "NA"))
    assert q(ddb, matches, "area = :r AND tournament = :t", t="WINTER", r="EU") == [6]
    assert q(ddb, matches, "area = :r AND tournament = :t", t="AUTUMN", r="NA") == []


@pytest.mark.parametrize("cond,values,pred", [
    ("#rnd = :a", {"a": "SEMI"}, lambda rnd, br, m: rnd == "SEMI"),
    ("#rnd = :a AND bracket = :b", {"a": "QUARTER", "b": "UPPER"},
     lambda rnd, br, m: (rnd, br) == ("QUARTER", "UPPER")),
    ("#rnd = :a AND bracket = :b AND matchId = :m", {"a": "QUARTER", "b": "UPPER", "m": 8},
     lambda rnd, br, m: (rnd, br, m) == ("QUARTER", "UPPER", 8)),
    ("#rnd < :a", {"a": "QUARTER"}, lambda rnd, br, m: rnd < "QUARTER"),
    ("#rnd <= :a", {"a": "QUARTER"}, lambda rnd, br, m: rnd <= "QUARTER"),
    ("#rnd > :a", {"a": "QUARTER"}, lambda rnd, br, m: rnd > "QUARTER"),
    ("#rnd >= :a", {"a": "QUARTER"}, lambda rnd, br, m: rnd >= "QUARTER"),
    ("#rnd BETWEEN :a AND :b", {"a": "FINAL", "b": "QUARTER"},
     lambda rnd, br, m: "FINAL" <= rnd <= "QUARTER"),
    ("begins_with(#rnd, :a)", {"a": "S"}, lambda rnd, br, m: rnd.startswith("S")),
    ("#rnd = :a AND begins_with(bracket, :b)", {"a": "QUARTER", "b": "UPPER"},
     lambda rnd, br, m: rnd == "QUARTER" and br.startswith("UPPER")),
    ("#rnd = :a AND bracket > :b", {"a": "QUARTER", "b": "UPPER"},
     lambda rnd, br, m: rnd == "QUARTER" and br > "UPPER"),
    ("#rnd = :a AND bracket <= :b", {"a": "QUARTER", "b": "UPPER"},
     lambda rnd, br, m: rnd == "QUARTER" and br <= "UPPER"),
    ("#rnd = :a AND bracket = :b AND matchId > :m", {"a": "QUARTER", "b": "UPPER", "m": 2},
     lambda rnd, br, m: (rnd, br) == ("QUARTER", "UPPER") and m > 2),
    ("#rnd = :a AND bracket = :b AND matchId BETWEEN :m AND :n",
     {"a": "QUARTER", "b": "UPPER", "m": 2, "n": 8},
     lambda rnd, br, m: (rnd, br) == ("QUARTER", "UPPER") and 2 <= m <= 8),
])
def test_sort_key_prefix_conditions(ddb, matches, cond, values, pred):
    vals = {":t": {"S": "WINTER"}, ":r": {"S": "NA"}}
    for k, v in values.items():
        vals[f":{k}"] = {"N": str(v)} if isinstance(v, int) else {"S": v}
    kw = dict(TableName=matches, IndexName="bracket_index",
              KeyConditionExpression=f"tournament = :t AND area = :r AND {cond}",
              **({"ExpressionAttributeNames": {"#rnd": "round"}} if "#rnd" in cond else {}),
              ExpressionAttributeValues=vals)
    want = expected(lambda t, r, rnd, br, m: (t, r) == ("WINTER", "NA") and pred(rnd, br, m))
    items, _ = query_all(ddb, **kw)
    assert [int(i["matchId"]["N"]) for i in items] == want
    items, _ = query_all(ddb, ScanIndexForward=False, **kw)
    assert [int(i["matchId"]["N"]) for i in items] == list(reversed(want))
    # Page by page, the same items.
    items, pages = query_all(ddb, Limit=1, **kw)
    assert [int(i["matchId"]["N"]) for i in items] == want
    assert len(pages) >= len(want)
    assert all("LastEvaluatedKey" not in p or set(p["LastEvaluatedKey"]) ==
               {"pk", "tournament", "area", "round", "bracket", "matchId"} for p in pages)


def test_legacy_key_conditions(ddb, matches):
    eq = lambda v: {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": v}]}  # noqa: E731
    r = ddb.query(TableName=matches, IndexName="bracket_index", KeyConditions={
        "tournament": eq("WINTER"), "area": eq("NA"), "round": eq("QUARTER"),
        "bracket": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "UP"}]}})
    assert [int(i["matchId"]["N"]) for i in r["Items"]] == [2, 8, 9]


def test_count(ddb, matches):
    r = ddb.query(TableName=matches, IndexName="bracket_index",
                  KeyConditionExpression="tournament = :t AND area = :r", Select="COUNT",
                  ExpressionAttributeValues={":t": {"S": "WINTER"}, ":r": {"S": "NA"}})
    assert r["Count"] == 7 and r["ScannedCount"] == 7 and "Items" not in r


@pytest.fixture
def binary_index(ddb, make_table):
    t = make_table(
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
            {"AttributeName": "b", "AttributeType": "B"},
            {"AttributeName": "n", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[{
            "IndexName": "bin", "KeySchema": key_schema(["g"], ["b", "n"]),
            "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    rows = []
    for i, b in enumerate([b"\x00", b"\x00\x00", b"\x00\x01", b"\x00\xff", b"\x01", b"\xff",
                           b"\xff\x00", b"\xff\xff"]):
        for n in ("-1", "0", "2.5"):
            pk = f"k{i}_{n}"
            ddb.put_item(TableName=t, Item={"pk": {"S": pk}, "g": {"S": "g"}, "b": {"B": b},
                                            "n": {"N": n}})
            rows.append((b, float(n), pk))
    rows.sort()
    return t, rows


@pytest.mark.parametrize("cond,values,pred", [
    ("b = :b", {":b": {"B": b"\x00"}}, lambda b, n: b == b"\x00"),
    ("b > :b", {":b": {"B": b"\x00"}}, lambda b, n: b > b"\x00"),
    ("b >= :b", {":b": {"B": b"\x00\x00"}}, lambda b, n: b >= b"\x00\x00"),
    ("b < :b", {":b": {"B": b"\x00\x01"}}, lambda b, n: b < b"\x00\x01"),
    ("b <= :b", {":b": {"B": b"\xff"}}, lambda b, n: b <= b"\xff"),
    ("begins_with(b, :b)", {":b": {"B": b"\x00"}}, lambda b, n: b.startswith(b"\x00")),
    ("begins_with(b, :b)", {":b": {"B": b"\xff"}}, lambda b, n: b.startswith(b"\xff")),
    ("b BETWEEN :b AND :c", {":b": {"B": b"\x00\x00"}, ":c": {"B": b"\x01"}},
     lambda b, n: b"\x00\x00" <= b <= b"\x01"),
    ("b = :b AND n > :n", {":b": {"B": b"\x00"}, ":n": {"N": "-1"}},
     lambda b, n: b == b"\x00" and n > -1),
    ("b = :b AND n <= :n", {":b": {"B": b"\xff"}, ":n": {"N": "0"}},
     lambda b, n: b == b"\xff" and n <= 0),
])
def test_binary_components_with_zero_and_ff_bytes(ddb, binary_index, cond, values, pred):
    t, rows = binary_index
    items, _ = query_all(ddb, TableName=t, IndexName="bin",
                         KeyConditionExpression=f"g = :g AND {cond}",
                         ExpressionAttributeValues={":g": {"S": "g"}, **values})
    assert [i["pk"]["S"] for i in items] == [pk for b, n, pk in rows if pred(b, n)]


@pytest.mark.parametrize("expr,message", [
    ("tournament = :t", "Query condition missed key schema element: area"),
    ("area = :r", "Query condition missed key schema element: tournament"),
    ("tournament = :t AND area > :r", "Query key condition not supported"),
    ("tournament = :t AND area = :r AND bracket = :b",
     "RANGE key attributes round must have equality conditions specified in the query because a condition is present on key attribute bracket"),
    ("tournament = :t AND area = :r AND #rnd = :a AND matchId = :m",
     "RANGE key attributes bracket must have equality conditions specified in the query because a condition is present on key attribute matchId"),
    ("tournament = :t AND area = :r AND #rnd > :a AND bracket = :b",
     "RANGE key attributes round must have equality conditions specified in the query because a condition is present on key attribute bracket"),
    ("tournament = :t AND area = :r AND #rnd = :m",
     "One or more parameter values were invalid: Condition parameter type does not match schema "
     "type"),
    ("tournament = :t AND area = :r AND #rnd = :a AND bracket = :b AND begins_with(matchId, :a)",
     "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator "
     "or function: begins_with, operand type: S"),
])
def test_errors(ddb, matches, expr, message):
    vals = {":t": {"S": "WINTER"}, ":r": {"S": "NA"}, ":a": {"S": "SEMI"}, ":b": {"S": "UPPER"},
            ":m": {"N": "1"}}
    used = {k: v for k, v in vals.items() if k in expr}
    kw = {"ExpressionAttributeNames": {"#rnd": "round"}} if "#rnd" in expr else {}
    expect_error(lambda: ddb.query(TableName=matches, IndexName="bracket_index",
                                   KeyConditionExpression=expr, ExpressionAttributeValues=used,
                                   **kw),
                 "ValidationException", message)
