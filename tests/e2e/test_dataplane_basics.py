"""Data-plane basics across operations: projections, conditional writes, filters, Select,
UpdateItem and batches (the per-feature files go deeper).
Messages: "The conditional request failed" (AWS ConditionalCheckFailedException; dynalite
db/index.js, nubo-db/dynamodb-conformance), ProjectionExpression syntax error text from
nubo-db/dynamodb-conformance tests/tier3/error-messages/getItem.test.ts.
"""


from ddbutil import ALL_TYPES_ITEM, expect_error, query_all

COND_FAILED = "The conditional request failed"


def test_get_item_projection(ddb, table_s):
    ddb.put_item(TableName=table_s, Item=ALL_TYPES_ITEM)
    got = ddb.get_item(TableName=table_s, Key={"pk": {"S": "all-types"}},
                       ProjectionExpression="s, #n, m.nested.deeper, l[1]",
                       ExpressionAttributeNames={"#n": "n_int"})["Item"]
    assert got == {"s": ALL_TYPES_ITEM["s"], "n_int": {"N": "42"},
                   "m": {"M": {"nested": {"M": {"deeper": ALL_TYPES_ITEM["m"]["M"]["nested"]["M"]
                                                ["deeper"]}}}},
                   "l": {"L": [{"N": "1"}]}}


def test_get_item_projection_syntax_error(ddb, table_s):
    expect_error(lambda: ddb.get_item(TableName=table_s, Key={"pk": {"S": "x"}},
                                      ProjectionExpression="!!! INVALID !!!"),
                 "ValidationException",
                 'Invalid ProjectionExpression: Syntax error; token: "!", near: "!!"')


def test_query_projection(ddb, table_sn):
    for i in range(3):
        ddb.put_item(TableName=table_sn, Item={"pk": {"S": "p"}, "sk": {"N": str(i)},
                                               "a": {"S": "x"}, "b": {"S": "y"}})
    resp = ddb.query(TableName=table_sn, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "p"}}, ProjectionExpression="b")
    assert resp["Items"] == [{"b": {"S": "y"}}] * 3


def test_query_select_count(ddb, table_sn):
    for i in range(4):
        ddb.put_item(TableName=table_sn, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}})
    resp = ddb.query(TableName=table_sn, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "p"}}, Select="COUNT")
    assert resp["Count"] == 4 and "Items" not in resp


def test_put_condition_attribute_not_exists(ddb, table_s):
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "c"}, "v": {"N": "1"}},
                 ConditionExpression="attribute_not_exists(pk)")
    expect_error(lambda: ddb.put_item(TableName=table_s, Item={"pk": {"S": "c"}, "v": {"N": "2"}},
                                      ConditionExpression="attribute_not_exists(pk)"),
                 "ConditionalCheckFailedException", COND_FAILED)
    got = ddb.get_item(TableName=table_s, Key={"pk": {"S": "c"}})["Item"]
    assert got["v"] == {"N": "1"}


def test_delete_condition(ddb, table_s):
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "c"}, "v": {"N": "1"}})
    expect_error(lambda: ddb.delete_item(TableName=table_s, Key={"pk": {"S": "c"}},
                                         ConditionExpression="v = :two",
                                         ExpressionAttributeValues={":two": {"N": "2"}}),
                 "ConditionalCheckFailedException", COND_FAILED)
    ddb.delete_item(TableName=table_s, Key={"pk": {"S": "c"}}, ConditionExpression="v = :one",
                    ExpressionAttributeValues={":one": {"N": "1"}})
    assert "Item" not in ddb.get_item(TableName=table_s, Key={"pk": {"S": "c"}})


def test_failed_conditional_write_adds_no_log_record(native_host, ddb, table_s):
    from test_log import check_log, dump_records
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "c"}},
                 ConditionExpression="attribute_not_exists(pk)")
    for _ in range(3):
        expect_error(lambda: ddb.put_item(TableName=table_s, Item={"pk": {"S": "c"}},
                                          ConditionExpression="attribute_not_exists(pk)"),
                     "ConditionalCheckFailedException", COND_FAILED)
    expect_error(lambda: ddb.delete_item(TableName=table_s, Key={"pk": {"S": "c"}},
                                         ConditionExpression="attribute_not_exists(pk)"),
                 "ConditionalCheckFailedException", COND_FAILED)
    ddb.delete_item(TableName=table_s, Key={"pk": {"S": "c"}})
    check_log(dump_records(native_host, table_s), ["TableCreated", "ItemPut", "ItemDeleted"])


def test_scan_filter_counts(ddb, table_s):
    for i in range(10):
        ddb.put_item(TableName=table_s, Item={"pk": {"S": str(i)}, "n": {"N": str(i)}})
    items, pages = query_all(ddb, _op="scan", TableName=table_s, Limit=3,
                             FilterExpression="n >= :five",
                             ExpressionAttributeValues={":five": {"N": "5"}})
    assert sorted(int(i["n"]["N"]) for i in items) == [5, 6, 7, 8, 9]
    assert sum(p["ScannedCount"] for p in pages) == 10
    assert sum(p["Count"] for p in pages) == 5


def test_update_item_set(ddb, table_s):
    ddb.update_item(TableName=table_s, Key={"pk": {"S": "u"}},
                    UpdateExpression="SET a = :a, n = :n",
                    ExpressionAttributeValues={":a": {"S": "x"}, ":n": {"N": "1.50"}})
    got = ddb.get_item(TableName=table_s, Key={"pk": {"S": "u"}})["Item"]
    assert got == {"pk": {"S": "u"}, "a": {"S": "x"}, "n": {"N": "1.5"}}


def test_batch_write_and_get(ddb, table_s):
    ddb.batch_write_item(RequestItems={table_s: [
        {"PutRequest": {"Item": {"pk": {"S": str(i)}}}} for i in range(5)]})
    resp = ddb.batch_get_item(RequestItems={table_s: {"Keys": [{"pk": {"S": str(i)}}
                                                               for i in range(5)]}})
    assert sorted(i["pk"]["S"] for i in resp["Responses"][table_s]) == [str(i) for i in range(5)]
