"""Query and Scan read options: the 1 MB page, Limit counted before the FilterExpression,
Select (ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES, SPECIFIC_ATTRIBUTES, COUNT), Count and
ScannedCount, parallel Scan (Segment / TotalSegments: disjoint segments that cover the table),
FilterExpression and ProjectionExpression with pagination, ConsistentRead, and the errors.

Sources for exact messages:
- nubo-db/dynamodb-conformance tests/tier3/error-messages/scan.test.ts and query.test.ts,
  tests/tier1/{query,scan}/select.test.ts (real AWS): Segment/TotalSegments messages, Limit,
  invalid Select, "Consistent reads are not supported on global secondary indexes",
  "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName" (the word
  "Querying" is AWS's, on Scan too), "Cannot specify the ProjectionExpression when choosing to
  get ALL_ATTRIBUTES" / "... only the Count" (conformance asserts these by containment; Scan's
  are asserted exactly here, Query's by containment as there).
- architect/dynalite test/scan.js (recorded against AWS): "Invalid ExclusiveStartKey. Please use
  ExclusiveStartKey with correct Segment.", "Key attributes must be scalars; list random access
  '[]' and map lookup '.' are not allowed: Key: a", "Select type ALL_ATTRIBUTES is not supported
  for global secondary index … because its projection type is not ALL".
- "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk":
  real AWS errors quoted in several public repositories (and DynamoDB Local's catalogue).
- Page size: the DynamoDB Developer Guide (Query/Scan read at most 1 MB per call, before any
  FilterExpression; Limit is the number of items evaluated, not returned).
"""

import pytest

from ddbutil import expect_error, query_all, unique_name

MB = 1024 * 1024


def kw_values(**vals):
    return {f":{k}": v for k, v in vals.items()}


# ---- the 1 MB page ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_table(host):
    """A hash+range table holding 8 items of ~300 KB in partition "big" (2.4 MB) plus 8 in
    partition "big2", and a few small items."""
    ddb = host.client()
    name = unique_name("bigpages")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}])
    for p in ("big", "big2"):
        for i in range(8):
            ddb.put_item(TableName=name, Item={"pk": {"S": p}, "sk": {"N": str(i)},
                                               "blob": {"S": chr(97 + i) * 300_000},
                                               "odd": {"BOOL": i % 2 == 1}})
    yield name
    try:
        ddb.delete_table(TableName=name)
    except Exception:
        pass


def check_pages(pages, total, item_size=300_000):
    """Every page but the last stopped on the 1 MB limit; none read far beyond it."""
    per_page_max = MB // item_size + 1
    for page in pages[:-1]:
        assert "LastEvaluatedKey" in page
        assert page["ScannedCount"] <= per_page_max, page["ScannedCount"]
        assert page["ScannedCount"] >= MB // item_size
    assert sum(p["ScannedCount"] for p in pages) == total
    assert len(pages) >= -(-total * item_size // MB)


def test_query_stops_at_1mb(ddb, big_table):
    items, pages = query_all(ddb, TableName=big_table, KeyConditionExpression="pk = :p",
                             ExpressionAttributeValues={":p": {"S": "big"}})
    assert [int(i["sk"]["N"]) for i in items] == list(range(8))
    assert len(pages) > 1
    check_pages(pages, 8)


def test_query_1mb_counts_items_read_not_returned(ddb, big_table):
    """The limit counts what is read, before the filter and the projection."""
    items, pages = query_all(ddb, TableName=big_table, KeyConditionExpression="pk = :p",
                             FilterExpression="odd = :t", ProjectionExpression="sk",
                             ExpressionAttributeValues={":p": {"S": "big"},
                                                        ":t": {"BOOL": True}})
    assert [i["sk"]["N"] for i in items] == ["1", "3", "5", "7"]
    assert items[0] == {"sk": {"N": "1"}}
    check_pages(pages, 8)
    assert sum(p["Count"] for p in pages) == 4
    # a filter that matches nothing still pages
    items, pages = query_all(ddb, TableName=big_table, KeyConditionExpression="pk = :p",
                             FilterExpression="attribute_exists(nothing)",
                             ExpressionAttributeValues={":p": {"S": "big"}})
    assert items == [] and len(pages) > 1
    assert all(p["Count"] == 0 for p in pages)
    check_pages(pages, 8)


def test_query_1mb_backwards_and_select_count(ddb, big_table):
    items, pages = query_all(ddb, TableName=big_table, KeyConditionExpression="pk = :p",
                             ExpressionAttributeValues={":p": {"S": "big"}},
                             ScanIndexForward=False, Select="COUNT")
    assert items == []
    assert sum(p["Count"] for p in pages) == 8 and len(pages) > 1
    assert all("Items" not in p for p in pages)
    check_pages(pages, 8)


def test_scan_stops_at_1mb(ddb, big_table):
    items, pages = query_all(ddb, _op="scan", TableName=big_table)
    assert len(items) == 16
    assert len({(i["pk"]["S"], i["sk"]["N"]) for i in items}) == 16
    check_pages(pages, 16)


def test_limit_smaller_than_1mb_wins(ddb, big_table):
    resp = ddb.query(TableName=big_table, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "big"}}, Limit=2)
    assert resp["Count"] == 2 and resp["ScannedCount"] == 2
    assert resp["LastEvaluatedKey"] == {"pk": {"S": "big"}, "sk": {"N": "1"}}


# ---- Limit before the filter -----------------------------------------------------------------


@pytest.fixture
def ten(ddb, table_sn):
    for i in range(10):
        ddb.put_item(TableName=table_sn, Item={"pk": {"S": "p"}, "sk": {"N": str(i)},
                                               "even": {"BOOL": i % 2 == 0},
                                               "a": {"S": "a"}, "b": {"S": "b"}})
    return table_sn


def test_limit_applies_before_filter(ddb, ten):
    resp = ddb.query(TableName=ten, KeyConditionExpression="pk = :p", FilterExpression="even = :t",
                     ExpressionAttributeValues={":p": {"S": "p"}, ":t": {"BOOL": True}}, Limit=3)
    assert resp["ScannedCount"] == 3
    assert resp["Count"] == 2
    assert [i["sk"]["N"] for i in resp["Items"]] == ["0", "2"]
    assert resp["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "2"}}
    # a page may hold no items at all and still have a LastEvaluatedKey
    resp = ddb.query(TableName=ten, KeyConditionExpression="pk = :p", FilterExpression="even = :f",
                     ExpressionAttributeValues={":p": {"S": "p"}, ":f": {"BOOL": False}}, Limit=1)
    assert resp["Count"] == 0 and resp["ScannedCount"] == 1 and resp["Items"] == []
    assert resp["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "0"}}


def test_limit_pagination_with_filter_collects_everything(ddb, ten):
    for op, kw in (("query", {"KeyConditionExpression": "pk = :p"}), ("scan", {})):
        vals = {":t": {"BOOL": True}}
        if op == "query":
            vals[":p"] = {"S": "p"}
        items, pages = query_all(ddb, _op=op, TableName=ten, FilterExpression="even = :t",
                                 ExpressionAttributeValues=vals, Limit=3, **kw)
        assert sorted(int(i["sk"]["N"]) for i in items) == [0, 2, 4, 6, 8]
        assert sum(p["ScannedCount"] for p in pages) == 10
        assert all(p["ScannedCount"] <= 3 for p in pages)


def test_limit_reached_exactly_returns_last_evaluated_key(ddb, ten):
    resp = ddb.query(TableName=ten, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "p"}}, Limit=10)
    assert resp["Count"] == 10
    assert resp["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "9"}}
    nxt = ddb.query(TableName=ten, KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": {"S": "p"}}, Limit=10,
                    ExclusiveStartKey=resp["LastEvaluatedKey"])
    assert nxt["Count"] == 0 and "LastEvaluatedKey" not in nxt
    resp = ddb.query(TableName=ten, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "p"}}, Limit=11)
    assert resp["Count"] == 10 and "LastEvaluatedKey" not in resp


def test_last_evaluated_key_ignores_projection(ddb, ten):
    resp = ddb.query(TableName=ten, KeyConditionExpression="pk = :p", ProjectionExpression="a",
                     ExpressionAttributeValues={":p": {"S": "p"}}, Limit=2)
    assert resp["Items"] == [{"a": {"S": "a"}}, {"a": {"S": "a"}}]
    assert resp["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "1"}}


# ---- Select, Count, ScannedCount -------------------------------------------------------------


def test_select_all_attributes_is_the_default(ddb, ten):
    default = ddb.query(TableName=ten, KeyConditionExpression="pk = :p",
                        ExpressionAttributeValues={":p": {"S": "p"}})
    explicit = ddb.query(TableName=ten, KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": {"S": "p"}}, Select="ALL_ATTRIBUTES")
    assert default["Items"] == explicit["Items"]
    assert explicit["Items"][0] == {"pk": {"S": "p"}, "sk": {"N": "0"}, "even": {"BOOL": True},
                                    "a": {"S": "a"}, "b": {"S": "b"}}
    assert explicit["Count"] == explicit["ScannedCount"] == 10


def test_select_count(ddb, ten):
    resp = ddb.query(TableName=ten, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "p"}}, Select="COUNT")
    assert "Items" not in resp and resp["Count"] == 10 and resp["ScannedCount"] == 10
    resp = ddb.scan(TableName=ten, Select="COUNT", FilterExpression="even = :t",
                    ExpressionAttributeValues={":t": {"BOOL": True}})
    assert "Items" not in resp and resp["Count"] == 5 and resp["ScannedCount"] == 10


def test_select_specific_attributes(ddb, ten):
    resp = ddb.query(TableName=ten, KeyConditionExpression="pk = :p", Select="SPECIFIC_ATTRIBUTES",
                     ProjectionExpression="sk, b", ExpressionAttributeValues={":p": {"S": "p"}})
    assert resp["Items"][3] == {"sk": {"N": "3"}, "b": {"S": "b"}}
    resp = ddb.scan(TableName=ten, Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="a")
    assert resp["Items"] == [{"a": {"S": "a"}}] * 10


@pytest.mark.parametrize("select,message", [
    ("ALL_ATTRIBUTES", "Cannot specify the ProjectionExpression when choosing to get "
                       "ALL_ATTRIBUTES"),
    ("COUNT", "Cannot specify the ProjectionExpression when choosing to get only the Count"),
    ("ALL_PROJECTED_ATTRIBUTES", "Cannot specify the ProjectionExpression when choosing to get "
                                 "ALL_PROJECTED_ATTRIBUTES"),
])
def test_select_with_projection_expression(ddb, table_sn, select, message):
    expect_error(lambda: ddb.scan(TableName=table_sn, Select=select, ProjectionExpression="pk"),
                 "ValidationException", message)
    expect_error(lambda: ddb.query(TableName=table_sn, KeyConditionExpression="pk = :p",
                                   ExpressionAttributeValues={":p": {"S": "x"}}, Select=select,
                                   ProjectionExpression="sk"),
                 "ValidationException", contains=[message])


def test_select_specific_without_projection(ddb, table_sn):
    for fn in (lambda: ddb.scan(TableName=table_sn, Select="SPECIFIC_ATTRIBUTES"),
               lambda: ddb.query(TableName=table_sn, KeyConditionExpression="pk = :p",
                                 ExpressionAttributeValues={":p": {"S": "x"}},
                                 Select="SPECIFIC_ATTRIBUTES")):
        expect_error(fn, "ValidationException", "Must specify the AttributesToGet or "
                     "ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")


def test_select_all_projected_needs_index(ddb, table_sn):
    for fn in (lambda: ddb.scan(TableName=table_sn, Select="ALL_PROJECTED_ATTRIBUTES"),
               lambda: ddb.query(TableName=table_sn, KeyConditionExpression="pk = :p",
                                 ExpressionAttributeValues={":p": {"S": "x"}},
                                 Select="ALL_PROJECTED_ATTRIBUTES")):
        expect_error(fn, "ValidationException",
                     "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")


def test_select_invalid(ddb_noval, table_sn):
    expect_error(lambda: ddb_noval.query(TableName=table_sn, KeyConditionExpression="pk = :v",
                                         ExpressionAttributeValues={":v": {"S": "val"}},
                                         Select="INVALID_VALUE"),
                 "ValidationException",
                 "1 validation error detected: Value 'INVALID_VALUE' at 'select' failed to satisfy "
                 "constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, "
                 "ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]")


@pytest.fixture
def indexed(ddb, make_table):
    """pk/sk table with a KEYS_ONLY GSI on g/sk, an INCLUDE(x) LSI on l and an ALL LSI on l2."""
    t = make_table(
        range_key=("sk", "N"),
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": ty} for n, ty in
                              [("pk", "S"), ("sk", "N"), ("g", "S"), ("l", "S"), ("l2", "S")]],
        GlobalSecondaryIndexes=[{"IndexName": "gkeys", "KeySchema": [
            {"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        LocalSecondaryIndexes=[
            {"IndexName": "linc", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                {"AttributeName": "l", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}},
            {"IndexName": "lall", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                {"AttributeName": "l2", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}}])
    for i in range(4):
        ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "g": {"S": "g"},
                                        "l": {"S": f"l{i}"}, "l2": {"S": f"m{i}"},
                                        "x": {"N": str(i)}, "y": {"S": "not projected"}})
    return t


def test_select_all_projected_on_indexes(ddb, indexed):
    resp = ddb.query(TableName=indexed, IndexName="gkeys", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "g"}}, Select="ALL_PROJECTED_ATTRIBUTES")
    assert resp["Items"][0] == {"pk": {"S": "p"}, "sk": {"N": "0"}, "g": {"S": "g"}}
    resp = ddb.query(TableName=indexed, IndexName="linc", KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "p"}})           # default on an index
    assert resp["Items"][1] == {"pk": {"S": "p"}, "sk": {"N": "1"}, "l": {"S": "l1"},
                                "x": {"N": "1"}}
    resp = ddb.scan(TableName=indexed, IndexName="lall", Select="ALL_PROJECTED_ATTRIBUTES")
    assert resp["Count"] == 4 and all("y" in i for i in resp["Items"])


def test_select_all_attributes_on_indexes(ddb, indexed):
    # a local index fetches what it does not project from the table
    resp = ddb.query(TableName=indexed, IndexName="linc", KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "p"}}, Select="ALL_ATTRIBUTES")
    assert resp["Items"][2]["y"] == {"S": "not projected"} and len(resp["Items"][2]) == 7
    # a global one cannot
    for fn in (lambda: ddb.query(TableName=indexed, IndexName="gkeys",
                                 KeyConditionExpression="g = :g", Select="ALL_ATTRIBUTES",
                                 ExpressionAttributeValues={":g": {"S": "g"}}),
               lambda: ddb.scan(TableName=indexed, IndexName="gkeys", Select="ALL_ATTRIBUTES")):
        expect_error(fn, "ValidationException", "One or more parameter values were invalid: "
                     "Select type ALL_ATTRIBUTES is not supported for global secondary index "
                     "gkeys because its projection type is not ALL")


def test_consistent_read_on_indexes(ddb, indexed):
    ddb.query(TableName=indexed, IndexName="linc", KeyConditionExpression="pk = :p",
              ExpressionAttributeValues={":p": {"S": "p"}}, ConsistentRead=True)
    for fn in (lambda: ddb.query(TableName=indexed, IndexName="gkeys",
                                 KeyConditionExpression="g = :g", ConsistentRead=True,
                                 ExpressionAttributeValues={":g": {"S": "g"}}),
               lambda: ddb.scan(TableName=indexed, IndexName="gkeys", ConsistentRead=True)):
        expect_error(fn, "ValidationException",
                     "Consistent reads are not supported on global secondary indexes")


def test_consistent_read_accepted(ddb, ten):
    for consistent in (True, False):
        assert ddb.query(TableName=ten, KeyConditionExpression="pk = :p", ConsistentRead=consistent,
                         ExpressionAttributeValues={":p": {"S": "p"}})["Count"] == 10
        assert ddb.scan(TableName=ten, ConsistentRead=consistent)["Count"] == 10


# ---- filters on key attributes ---------------------------------------------------------------


@pytest.mark.parametrize("expr,key", [("sk > :v", "sk"), ("pk = :v", "pk"),
                                      ("a = :v AND sk <> :v", "sk")])
def test_query_filter_on_key_attribute(ddb, ten, expr, key):
    expect_error(lambda: ddb.query(TableName=ten, KeyConditionExpression="pk = :p",
                                   FilterExpression=expr,
                                   ExpressionAttributeValues={":p": {"S": "p"}, ":v": {"N": "1"}}),
                 "ValidationException", "Filter Expression can only contain non-primary key "
                 f"attributes: Primary key attribute: {key}")


def test_query_filter_on_index_key_attribute(ddb, indexed):
    expect_error(lambda: ddb.query(TableName=indexed, IndexName="linc",
                                   KeyConditionExpression="pk = :p", FilterExpression="l > :v",
                                   ExpressionAttributeValues={":p": {"S": "p"}, ":v": {"S": "l"}}),
                 "ValidationException", "Filter Expression can only contain non-primary key "
                 "attributes: Primary key attribute: l")


def test_scan_filter_may_use_key_attributes(ddb, ten):
    resp = ddb.scan(TableName=ten, FilterExpression="pk = :p AND sk >= :v",
                    ExpressionAttributeValues={":p": {"S": "p"}, ":v": {"N": "7"}})
    assert resp["Count"] == 3


@pytest.mark.parametrize("expr", ["attribute_exists(pk.b.c) and #a = b", "attribute_exists(#a.b)",
                                  "attribute_exists(#a[0])"])
def test_scan_filter_nested_key_path(ddb, table_s, expr):
    names = {"#a": "pk"} if "#a" in expr else None
    kw = {"ExpressionAttributeNames": names} if names else {}
    if "#a = b" in expr:
        kw["ExpressionAttributeNames"] = {"#a": "a"}
    expect_error(lambda: ddb.scan(TableName=table_s, FilterExpression=expr, **kw),
                 "ValidationException", "Key attributes must be scalars; list random access '[]' "
                 "and map lookup '.' are not allowed: Key: pk")


# ---- parallel scan ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def many(host):
    ddb = host.client()
    name = unique_name("parallel")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}])
    keys = set()
    for start in range(0, 300, 25):
        reqs = []
        for i in range(start, start + 25):
            reqs.append({"PutRequest": {"Item": {"pk": {"S": f"p{i % 100}"},
                                                 "sk": {"N": str(i // 100)}}}})
            keys.add((f"p{i % 100}", str(i // 100)))
        ddb.batch_write_item(RequestItems={name: reqs})
    yield name, keys
    try:
        ddb.delete_table(TableName=name)
    except Exception:
        pass


def key_of(item):
    return item["pk"]["S"], item["sk"]["N"]


@pytest.mark.parametrize("total", [1, 2, 3, 4, 7, 16, 1000])
def test_parallel_scan_segments_disjoint_and_covering(ddb, many, total):
    name, keys = many
    seen = []
    per_segment = []
    for seg in range(total):
        items, _ = query_all(ddb, _op="scan", TableName=name, Segment=seg, TotalSegments=total,
                             Limit=37)
        per_segment.append({key_of(i) for i in items})
        seen.extend(key_of(i) for i in items)
    assert len(seen) == len(set(seen)), "an item was returned by two segments"
    assert set(seen) == keys
    # all items of one partition land in one segment
    for segment in per_segment:
        for pk in {k[0] for k in segment}:
            assert {k for k in keys if k[0] == pk} <= segment
    if total in (2, 3, 4):
        assert all(per_segment), "a segment of a 300-item table was empty"


def test_parallel_scan_with_filter_and_count(ddb, many):
    name, _ = many
    count = scanned = 0
    for seg in range(3):
        items, pages = query_all(ddb, _op="scan", TableName=name, Segment=seg, TotalSegments=3,
                                 FilterExpression="sk = :z", Select="COUNT",
                                 ExpressionAttributeValues={":z": {"N": "0"}})
        count += sum(p["Count"] for p in pages)
        scanned += sum(p["ScannedCount"] for p in pages)
    assert count == 100 and scanned == 300


def test_parallel_scan_start_key_from_other_segment(ddb, many):
    name, _ = many
    first = ddb.scan(TableName=name, Segment=1, TotalSegments=2, Limit=1)
    assert first["Count"] == 1
    expect_error(lambda: ddb.scan(TableName=name, Segment=0, TotalSegments=2,
                                  ExclusiveStartKey=first["LastEvaluatedKey"]),
                 "ValidationException", "The provided starting key is invalid: Invalid "
                 "ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. "
                 "TotalSegments: 2 Segment: 0")
    # the right segment resumes
    nxt = ddb.scan(TableName=name, Segment=1, TotalSegments=2, Limit=1,
                   ExclusiveStartKey=first["LastEvaluatedKey"])
    assert key_of(nxt["Items"][0]) != key_of(first["Items"][0])


@pytest.mark.parametrize("kw,message", [
    ({"Segment": 0}, "The TotalSegments parameter is required but was not present in the request "
                     "when Segment parameter is present"),
    ({"TotalSegments": 4}, "The Segment parameter is required but was not present in the request "
                           "when parameter TotalSegments is present"),
    ({"Segment": 5, "TotalSegments": 5}, "The Segment parameter is zero-based and must be less "
                                         "than parameter TotalSegments: Segment: 5 is not less "
                                         "than TotalSegments: 5"),
    ({"Segment": 1, "TotalSegments": 1}, "The Segment parameter is zero-based and must be less "
                                         "than parameter TotalSegments: Segment: 1 is not less "
                                         "than TotalSegments: 1"),
    ({"Segment": -1, "TotalSegments": 1}, "1 validation error detected: Value '-1' at 'segment' "
                                          "failed to satisfy constraint: Member must have value "
                                          "greater than or equal to 0"),
    ({"Segment": 0, "TotalSegments": 0}, "1 validation error detected: Value '0' at "
                                         "'totalSegments' failed to satisfy constraint: Member "
                                         "must have value greater than or equal to 1"),
    ({"Segment": 0, "TotalSegments": 1000001}, "1 validation error detected: Value '1000001' at "
                                               "'totalSegments' failed to satisfy constraint: "
                                               "Member must have value less than or equal to "
                                               "1000000"),
])
def test_parallel_scan_errors(ddb_noval, table_s, kw, message):
    expect_error(lambda: ddb_noval.scan(TableName=table_s, **kw), "ValidationException", message)


def test_parallel_scan_segment_limits_accepted(ddb, table_s):
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "x"}})
    total = sum(ddb.scan(TableName=table_s, Segment=s, TotalSegments=1_000_000)["Count"]
                for s in (0, 999_999))
    assert total <= 1


def test_scan_limit_errors(ddb_noval, table_s):
    expect_error(lambda: ddb_noval.scan(TableName=table_s, Limit=0), "ValidationException",
                 "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
                 "Member must have value greater than or equal to 1")
