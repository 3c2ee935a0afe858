"""ReturnConsumedCapacity (TOTAL, INDEXES, NONE) and ReturnItemCollectionMetrics in AWS's shapes
and amounts on every data-plane operation; DescribeLimits and DescribeEndpoints.

Billing as AWS documents it (Developer Guide, "Read/write capacity mode"): a write costs one unit
per KB of the larger of the old and new item (at least one; a delete of a missing item still
costs one); a read costs one unit per 4 KB, halved when eventually consistent (at least half a
unit, also for a missing item); Query and Scan add up the sizes of every item read (before the
filter and the projection) and round the total up.

Sources:
- architect/dynalite test/putItem.js, updateItem.js, getItem.js, batchGetItem.js (recorded
  against AWS): the TOTAL shape {CapacityUnits, TableName}, the INDEXES shape with
  Table: {CapacityUnits}, 1 KB write and 4 KB read boundaries, 0.5 per key read eventually
  consistent in BatchGetItem including missing keys.
- nubo-db/dynamodb-conformance tests/tier1/query/consumedCapacity.test.ts (a filter or a
  projection changes nothing) and tests/tier1/putItem/indexConsumedCapacity.test.ts (writes
  to tables with indexes: GlobalSecondaryIndexes / LocalSecondaryIndexes arms, folded into the
  total) and itemCollectionMetrics.test.ts (ItemCollectionKey, SizeEstimateRangeGB of two
  numbers).
- DescribeLimits and DescribeEndpoints: the DynamoDB API reference (the documented defaults
  80000/80000/40000/40000; Endpoints [{Address, CachePeriodInMinutes: 1440}]).
- Invalid enum values: dynalite test/updateItem.js ("Member must satisfy enum value set:
  [INDEXES, TOTAL, NONE]", "[SIZE, NONE]").
"""

import pytest

from ddbutil import expect_error


def item_of(key, size):
    """{pk: key, v: 'x'*n} of exactly `size` bytes."""
    return {"pk": {"S": key}, "v": {"S": "x" * (size - 2 - len(key) - 1)}}


def total(table, units):
    return {"TableName": table, "CapacityUnits": units}


def indexes(table, units):
    return {"TableName": table, "CapacityUnits": units, "Table": {"CapacityUnits": units}}


# ---- writes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("size,units", [(10, 1.0), (1024, 1.0), (1025, 2.0), (2048, 2.0),
                                        (2049, 3.0), (409_600, 400.0)])
def test_put_capacity(ddb, table_s, size, units):
    resp = ddb.put_item(TableName=table_s, Item=item_of("p", size), ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"] == total(table_s, units)
    resp = ddb.put_item(TableName=table_s, Item=item_of("q", size),
                        ReturnConsumedCapacity="INDEXES")
    assert resp["ConsumedCapacity"] == indexes(table_s, units)
    resp = ddb.put_item(TableName=table_s, Item=item_of("r", size), ReturnConsumedCapacity="NONE")
    assert "ConsumedCapacity" not in resp
    assert "ConsumedCapacity" not in ddb.put_item(TableName=table_s, Item=item_of("s", size))


def test_overwrite_bills_the_larger_item(ddb, table_s):
    ddb.put_item(TableName=table_s, Item=item_of("o", 3000))
    resp = ddb.put_item(TableName=table_s, Item=item_of("o", 10), ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"] == total(table_s, 3.0)
    resp = ddb.put_item(TableName=table_s, Item=item_of("o", 5000),
                        ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"] == total(table_s, 5.0)


def test_update_capacity(ddb, table_s):
    key = {"pk": {"S": "u"}}
    resp = ddb.update_item(TableName=table_s, Key=key, UpdateExpression="SET v = :v",
                           ExpressionAttributeValues={":v": {"S": "x" * 1010}},
                           ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"] == total(table_s, 1.0)            # 1 + 2 + 1 + 1010 bytes
    resp = ddb.update_item(TableName=table_s, Key=key, UpdateExpression="SET w = :w",
                           ExpressionAttributeValues={":w": {"S": "y" * 20}},
                           ReturnConsumedCapacity="INDEXES")
    assert resp["ConsumedCapacity"] == indexes(table_s, 2.0)          # now 1035 bytes
    resp = ddb.update_item(TableName=table_s, Key=key, UpdateExpression="REMOVE v, w",
                           ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"] == total(table_s, 2.0)            # the old item was larger


def test_delete_capacity(ddb, table_s):
    ddb.put_item(TableName=table_s, Item=item_of("d", 1500))
    resp = ddb.delete_item(TableName=table_s, Key={"pk": {"S": "d"}},
                           ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"] == total(table_s, 2.0)
    resp = ddb.delete_item(TableName=table_s, Key={"pk": {"S": "d"}},
                           ReturnConsumedCapacity="INDEXES")
    assert resp["ConsumedCapacity"] == indexes(table_s, 1.0)


def test_capacity_with_return_values(ddb, table_s):
    ddb.put_item(TableName=table_s, Item=item_of("rv", 100))
    resp = ddb.put_item(TableName=table_s, Item=item_of("rv", 200), ReturnValues="ALL_OLD",
                        ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"] == total(table_s, 1.0)
    assert resp["Attributes"] == item_of("rv", 100)


# ---- reads -----------------------------------------------------------------------------------


@pytest.mark.parametrize("size,eventual,strong", [(10, 0.5, 1.0), (4096, 0.5, 1.0),
                                                  (4097, 1.0, 2.0), (12_288, 1.5, 3.0),
                                                  (409_600, 50.0, 100.0)])
def test_get_capacity(ddb, table_s, size, eventual, strong):
    ddb.put_item(TableName=table_s, Item=item_of("g", size))
    key = {"pk": {"S": "g"}}
    resp = ddb.get_item(TableName=table_s, Key=key, ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"] == total(table_s, eventual)
    resp = ddb.get_item(TableName=table_s, Key=key, ConsistentRead=True,
                        ReturnConsumedCapacity="INDEXES")
    assert resp["ConsumedCapacity"] == indexes(table_s, strong)
    # a projection does not change what was read
    resp = ddb.get_item(TableName=table_s, Key=key, ProjectionExpression="pk",
                        ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"] == total(table_s, strong)


def test_get_missing_item_capacity(ddb, table_s):
    resp = ddb.get_item(TableName=table_s, Key={"pk": {"S": "none"}},
                        ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"] == total(table_s, 0.5) and "Item" not in resp
    resp = ddb.get_item(TableName=table_s, Key={"pk": {"S": "none"}}, ConsistentRead=True,
                        ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"] == total(table_s, 1.0)


@pytest.fixture
def six(ddb, table_sn):
    """Six items of 1,500 bytes: 9,000 bytes read by a whole-partition Query or a Scan."""
    for i in range(6):
        ddb.put_item(TableName=table_sn, Item={
            "pk": {"S": "q"}, "sk": {"N": str(i)}, "keep": {"BOOL": i == 0},
            "v": {"S": "x" * (1500 - 2 - 1 - 2 - 1 - 4 - 1 - 1)}})
    return table_sn


def test_query_capacity_sums_items_read(ddb, six):
    base = {"TableName": six, "KeyConditionExpression": "pk = :p",
            "ReturnConsumedCapacity": "TOTAL"}
    resp = ddb.query(**base, ExpressionAttributeValues={":p": {"S": "q"}})
    assert resp["ConsumedCapacity"] == total(six, 1.5)                 # 9,000 B -> 3 -> /2
    resp = ddb.query(**base, ExpressionAttributeValues={":p": {"S": "q"}}, ConsistentRead=True)
    assert resp["ConsumedCapacity"] == total(six, 3.0)
    for extra in ({"FilterExpression": "keep = :t", "ExpressionAttributeValues":
                   {":p": {"S": "q"}, ":t": {"BOOL": True}}},
                  {"FilterExpression": "keep = :t", "ExpressionAttributeValues":
                   {":p": {"S": "q"}, ":t": {"S": "never"}}},
                  {"ProjectionExpression": "sk", "ExpressionAttributeValues": {":p": {"S": "q"}}},
                  {"Select": "COUNT", "ExpressionAttributeValues": {":p": {"S": "q"}}}):
        resp = ddb.query(**base, ConsistentRead=True, **extra)
        assert resp["ConsumedCapacity"] == total(six, 3.0), extra
    resp = ddb.query(**{**base, "ReturnConsumedCapacity": "INDEXES"},
                     ExpressionAttributeValues={":p": {"S": "q"}}, Limit=2, ConsistentRead=True)
    assert resp["ConsumedCapacity"] == indexes(six, 1.0)               # 3,000 B


def test_scan_capacity(ddb, six):
    resp = ddb.scan(TableName=six, ReturnConsumedCapacity="TOTAL", ConsistentRead=True,
                    FilterExpression="keep = :t", ExpressionAttributeValues={":t": {"BOOL": True}})
    assert resp["Count"] == 1
    assert resp["ConsumedCapacity"] == total(six, 3.0)
    resp = ddb.scan(TableName=six, ReturnConsumedCapacity="INDEXES")
    assert resp["ConsumedCapacity"] == indexes(six, 1.5)
    assert "ConsumedCapacity" not in ddb.scan(TableName=six, ReturnConsumedCapacity="NONE")


# ---- indexes ---------------------------------------------------------------------------------


@pytest.fixture
def idx_table(ddb, make_table):
    return make_table(
        range_key=("sk", "S"),
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                              for n in ("pk", "sk", "gsiPk", "lsiSk")],
        GlobalSecondaryIndexes=[{"IndexName": "gsi-inc",
                                 "KeySchema": [{"AttributeName": "gsiPk", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "INCLUDE",
                                                "NonKeyAttributes": ["proj"]}}],
        LocalSecondaryIndexes=[{"IndexName": "lsi1",
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "lsiSk", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "ALL"}}])


def test_sparse_write_costs_no_index_units(ddb, idx_table):
    resp = ddb.put_item(TableName=idx_table, Item={"pk": {"S": "a"}, "sk": {"S": "1"},
                                                   "other": {"S": "o"}},
                        ReturnConsumedCapacity="INDEXES")
    assert resp["ConsumedCapacity"] == indexes(idx_table, 1.0)


def test_index_writes_are_billed(ddb, idx_table):
    resp = ddb.put_item(TableName=idx_table, Item={"pk": {"S": "b"}, "sk": {"S": "1"},
                                                   "gsiPk": {"S": "g"}, "lsiSk": {"S": "l"},
                                                   "proj": {"S": "p"}},
                        ReturnConsumedCapacity="INDEXES")
    assert resp["ConsumedCapacity"] == {
        "TableName": idx_table, "CapacityUnits": 3.0, "Table": {"CapacityUnits": 1.0},
        "GlobalSecondaryIndexes": {"gsi-inc": {"CapacityUnits": 1.0}},
        "LocalSecondaryIndexes": {"lsi1": {"CapacityUnits": 1.0}}}
    resp = ddb.put_item(TableName=idx_table, Item={"pk": {"S": "c"}, "sk": {"S": "1"},
                                                   "gsiPk": {"S": "g"}},
                        ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"] == total(idx_table, 2.0)


def test_index_query_capacity_shape(ddb, idx_table):
    ddb.put_item(TableName=idx_table, Item={"pk": {"S": "a"}, "sk": {"S": "1"},
                                            "gsiPk": {"S": "g"}, "lsiSk": {"S": "l"}})
    resp = ddb.query(TableName=idx_table, IndexName="gsi-inc", KeyConditionExpression="gsiPk = :g",
                     ExpressionAttributeValues={":g": {"S": "g"}}, ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"] == total(idx_table, 0.5)
    resp = ddb.query(TableName=idx_table, IndexName="gsi-inc", KeyConditionExpression="gsiPk = :g",
                     ExpressionAttributeValues={":g": {"S": "g"}},
                     ReturnConsumedCapacity="INDEXES")
    cap = resp["ConsumedCapacity"]
    assert cap["TableName"] == idx_table and cap["CapacityUnits"] == 0.5
    assert cap["GlobalSecondaryIndexes"] == {"gsi-inc": {"CapacityUnits": 0.5}}
    # The table itself shows 0 on an index read (dynalite test/query.js, recorded on AWS).
    assert cap["Table"] == {"CapacityUnits": 0.0}
    resp = ddb.query(TableName=idx_table, IndexName="lsi1", KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "a"}}, ConsistentRead=True,
                     ReturnConsumedCapacity="INDEXES")
    assert resp["ConsumedCapacity"]["LocalSecondaryIndexes"] == {"lsi1": {"CapacityUnits": 1.0}}
    assert resp["ConsumedCapacity"]["Table"] == {"CapacityUnits": 0.0}


# ---- ReturnItemCollectionMetrics -------------------------------------------------------------


def test_item_collection_metrics_shape(ddb, idx_table):
    key = {"pk": {"S": "icm"}, "sk": {"S": "a"}}
    resp = ddb.put_item(TableName=idx_table, Item={**key, "lsiSk": {"S": "l"}},
                        ReturnItemCollectionMetrics="SIZE")
    m = resp["ItemCollectionMetrics"]
    assert m["ItemCollectionKey"] == {"pk": {"S": "icm"}}
    assert len(m["SizeEstimateRangeGB"]) == 2
    lo, hi = m["SizeEstimateRangeGB"]
    assert 0 <= lo < hi
    resp = ddb.update_item(TableName=idx_table, Key=key, UpdateExpression="SET d = :d",
                           ExpressionAttributeValues={":d": {"S": "x"}},
                           ReturnItemCollectionMetrics="SIZE")
    assert resp["ItemCollectionMetrics"]["ItemCollectionKey"] == {"pk": {"S": "icm"}}
    resp = ddb.delete_item(TableName=idx_table, Key=key, ReturnItemCollectionMetrics="SIZE")
    assert resp["ItemCollectionMetrics"]["ItemCollectionKey"] == {"pk": {"S": "icm"}}
    resp = ddb.put_item(TableName=idx_table, Item=key, ReturnItemCollectionMetrics="NONE")
    assert "ItemCollectionMetrics" not in resp


def test_no_item_collection_metrics_without_local_indexes(ddb, table_sn):
    resp = ddb.put_item(TableName=table_sn, Item={"pk": {"S": "a"}, "sk": {"N": "1"}},
                        ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in resp
    resp = ddb.batch_write_item(RequestItems={table_sn: [
        {"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": "1"}}}}]},
        ReturnItemCollectionMetrics="SIZE")
    assert not resp.get("ItemCollectionMetrics")


def test_batch_write_item_collection_metrics(ddb, idx_table):
    resp = ddb.batch_write_item(RequestItems={idx_table: [
        {"PutRequest": {"Item": {"pk": {"S": "b1"}, "sk": {"S": "1"}, "lsiSk": {"S": "l"}}}},
        {"PutRequest": {"Item": {"pk": {"S": "b2"}, "sk": {"S": "1"}, "lsiSk": {"S": "l"}}}}]},
        ReturnItemCollectionMetrics="SIZE")
    metrics = resp["ItemCollectionMetrics"][idx_table]
    assert sorted(m["ItemCollectionKey"]["pk"]["S"] for m in metrics) == ["b1", "b2"]
    assert all(len(m["SizeEstimateRangeGB"]) == 2 for m in metrics)


# ---- invalid values --------------------------------------------------------------------------


def test_invalid_return_consumed_capacity(ddb_noval, table_s):
    for fn in (lambda: ddb_noval.get_item(TableName=table_s, Key={"pk": {"S": "x"}},
                                          ReturnConsumedCapacity="ALL"),
               lambda: ddb_noval.put_item(TableName=table_s, Item={"pk": {"S": "x"}},
                                          ReturnConsumedCapacity="ALL"),
               lambda: ddb_noval.scan(TableName=table_s, ReturnConsumedCapacity="ALL")):
        expect_error(fn, "ValidationException",
                     "1 validation error detected: Value 'ALL' at 'returnConsumedCapacity' failed "
                     "to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, "
                     "NONE]")
    assert "Item" not in ddb_noval.get_item(TableName=table_s, Key={"pk": {"S": "x"}})


def test_invalid_return_item_collection_metrics(ddb_noval, table_s):
    expect_error(lambda: ddb_noval.put_item(TableName=table_s, Item={"pk": {"S": "x"}},
                                            ReturnItemCollectionMetrics="ALL"),
                 "ValidationException",
                 "1 validation error detected: Value 'ALL' at 'returnItemCollectionMetrics' "
                 "failed to satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]")


# ---- DescribeLimits / DescribeEndpoints ------------------------------------------------------


def test_describe_limits(ddb):
    resp = ddb.describe_limits()
    resp.pop("ResponseMetadata")
    assert resp == {"AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
                    "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000}


def test_describe_endpoints(host, ddb):
    resp = ddb.describe_endpoints()
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    (endpoint,) = resp["Endpoints"]
    assert endpoint["CachePeriodInMinutes"] == 1440
    assert endpoint["Address"] == host.endpoint.split("://", 1)[1]


def test_describe_limits_and_endpoints_raw(raw):
    for op in ("DescribeLimits", "DescribeEndpoints"):
        r = raw.call(op, {})
        assert r.status == 200, r
        assert r.headers["Content-Type"].startswith("application/x-amz-json-1.0")
