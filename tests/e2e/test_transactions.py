"""TransactWriteItems and TransactGetItems through boto3, on one table and across tables:
all-or-nothing writes, cancellation reasons, request validation, ClientRequestToken
idempotency, ConsumedCapacity, Streams, concurrency, and a transaction whose request died
half-way (test failpoints) being recovered by the host.

Sources for exact behaviour and messages (real AWS captures):
- TransactionCanceledException body (message built from the reason codes joined by ", ",
  one reason per action in request order, `None` reasons carry only `Code`, `Item` only with
  ReturnValuesOnConditionCheckFailure=ALL_OLD): aws/aws-sdk-net#1292, pynamodb#1144,
  boto/boto3#2657.
- "Transaction request cannot include multiple operations on one item" as a request-level
  ValidationException, also for ConditionCheck + Put and regardless of key member order:
  getmoto/moto tests/test_dynamodb/exceptions/test_dynamodb_transactions.py (aws_verified),
  scylladb test/alternator/test_transact.py.
- TransactItems length messages, ClientRequestToken length, missing table, key type errors
  as cancellation `ValidationError` reasons, item size errors: nubo-db/dynamodb-conformance
  tests/tier3/error-messages/transactWriteItems.test.ts, tests/tier3/limits.
- Capacity (2 units per KB written, 2 per 4 KB read, one entry per table, Read/Write split):
  the conformance suites' capacity tests.
"""

import threading
import time
import uuid

import pytest
import requests
from botocore.exceptions import ClientError

from ddbutil import (MSG_RNF_DATA, TARGET_PREFIX, Raw, canon, expect_error, msg_empty_key,
                     msg_type_mismatch, unique_name)
from streamsutil import read_stream, streams  # noqa: F401 (fixture)

CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]"
DUPLICATE = "Transaction request cannot include multiple operations on one item"
KEY_SCHEMA = "The provided key element does not match the schema"


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def put(table, item, **kw):
    return {"Put": {"TableName": table, "Item": item, **kw}}


def update(table, key, expr, values=None, **kw):
    body = {"TableName": table, "Key": key, "UpdateExpression": expr, **kw}
    if values:
        body["ExpressionAttributeValues"] = values
    return {"Update": body}


def delete(table, key, **kw):
    return {"Delete": {"TableName": table, "Key": key, **kw}}


def check(table, key, cond, **kw):
    return {"ConditionCheck": {"TableName": table, "Key": key, "ConditionExpression": cond, **kw}}


def get(ddb, table, key):
    return ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


def cancelled(fn):
    """Runs fn, expects TransactionCanceledException; returns (message, reasons)."""
    with pytest.raises(ClientError) as ei:
        fn()
    r = ei.value.response
    assert r["Error"]["Code"] == "TransactionCanceledException", r["Error"]
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    reasons = r.get("CancellationReasons")
    assert reasons is not None, r
    return r["Error"]["Message"], reasons


@pytest.fixture
def two_tables(make_table):
    """(a, b): a has pk: S; b has pk: S, sk: N."""
    return make_table(), make_table(range_key=("sk", "N"))


# ---- writes that commit ---------------------------------------------------------------------


def test_every_action_kind_across_two_tables(ddb, two_tables):
    a, b = two_tables
    ddb.put_item(TableName=a, Item={"pk": S("counter"), "n": N(5)})
    ddb.put_item(TableName=b, Item={"pk": S("p"), "sk": N(1), "v": S("gone soon")})
    ddb.put_item(TableName=b, Item={"pk": S("p"), "sk": N(2), "state": S("open")})
    r = ddb.transact_write_items(TransactItems=[
        put(a, {"pk": S("new"), "v": S("hello")}, ConditionExpression="attribute_not_exists(pk)"),
        update(a, {"pk": S("counter")}, "ADD n :one", {":one": N(1)}),
        delete(b, {"pk": S("p"), "sk": N(1)}),
        check(b, {"pk": S("p"), "sk": N(2)}, "#s = :open",
              ExpressionAttributeNames={"#s": "state"},
              ExpressionAttributeValues={":open": S("open")}),
    ])
    assert "ConsumedCapacity" not in r
    assert get(ddb, a, {"pk": S("new")}) == {"pk": S("new"), "v": S("hello")}
    assert get(ddb, a, {"pk": S("counter")})["n"] == N(6)
    assert get(ddb, b, {"pk": S("p"), "sk": N(1)}) is None
    assert get(ddb, b, {"pk": S("p"), "sk": N(2)}) == {"pk": S("p"), "sk": N(2), "state": S("open")}


def test_one_table_transaction_writes_every_item(ddb, table_s):
    items = [{"pk": S(f"k{i}"), "i": N(i)} for i in range(25)]
    ddb.transact_write_items(TransactItems=[put(table_s, it) for it in items])
    got = ddb.scan(TableName=table_s, ConsistentRead=True)["Items"]
    key = lambda x: x["pk"]["S"]  # noqa: E731
    assert sorted(got, key=key) == sorted(items, key=key)


def test_update_of_missing_item_creates_it(ddb, table_s):
    ddb.transact_write_items(TransactItems=[
        update(table_s, {"pk": S("fresh")}, "SET v = :v", {":v": S("x")})])
    assert get(ddb, table_s, {"pk": S("fresh")}) == {"pk": S("fresh"), "v": S("x")}


def test_one_hundred_actions_over_two_tables(ddb, two_tables):
    a, b = two_tables
    actions = [put(a, {"pk": S(f"a{i}")}) for i in range(50)]
    actions += [put(b, {"pk": S("p"), "sk": N(i)}) for i in range(50)]
    ddb.transact_write_items(TransactItems=actions)
    assert ddb.scan(TableName=a, Select="COUNT", ConsistentRead=True)["Count"] == 50
    assert ddb.scan(TableName=b, Select="COUNT", ConsistentRead=True)["Count"] == 50


# ---- cancellation ---------------------------------------------------------------------------


@pytest.mark.parametrize("cross_table", [False, True])
def test_failed_condition_cancels_everything(ddb, two_tables, cross_table):
    a, b = two_tables
    other = b if cross_table else a
    other_key = {"pk": S("o"), "sk": N(1)} if cross_table else {"pk": S("o")}
    ddb.put_item(TableName=a, Item={"pk": S("guard"), "v": N(1), "note": S("old")})
    msg, reasons = cancelled(lambda: ddb.transact_write_items(TransactItems=[
        put(other, {**other_key, "v": S("never")}),
        update(a, {"pk": S("guard")}, "SET v = :two", {":two": N(2), ":one": N(0)},
               ConditionExpression="v = :one"),
    ]))
    assert msg == CANCELLED.format("None, ConditionalCheckFailed")
    assert reasons == [
        {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
    ]
    assert get(ddb, other, other_key) is None
    assert get(ddb, a, {"pk": S("guard")})["v"] == N(1)


def test_all_old_returns_the_item_for_each_failed_condition(ddb, two_tables):
    a, b = two_tables
    ddb.put_item(TableName=a, Item={"pk": S("x"), "v": N(1)})
    ddb.put_item(TableName=b, Item={"pk": S("y"), "sk": N(1), "v": N(7)})
    msg, reasons = cancelled(lambda: ddb.transact_write_items(TransactItems=[
        check(a, {"pk": S("x")}, "v = :z", ExpressionAttributeValues={":z": N(0)},
              ReturnValuesOnConditionCheckFailure="ALL_OLD"),
        put(a, {"pk": S("fine")}),
        delete(b, {"pk": S("y"), "sk": N(1)}, ConditionExpression="v = :z",
               ExpressionAttributeValues={":z": N(0)}),
        put(b, {"pk": S("absent"), "sk": N(1)}, ConditionExpression="attribute_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD"),
    ]))
    assert msg == CANCELLED.format(
        "ConditionalCheckFailed, None, ConditionalCheckFailed, ConditionalCheckFailed")
    assert reasons[0] == {"Code": "ConditionalCheckFailed", "Item": {"pk": S("x"), "v": N(1)},
                          "Message": "The conditional request failed"}
    assert reasons[1] == {"Code": "None"}
    # Without ALL_OLD no item; with ALL_OLD on a missing item, none either.
    assert reasons[2] == {"Code": "ConditionalCheckFailed",
                          "Message": "The conditional request failed"}
    assert reasons[3] == {"Code": "ConditionalCheckFailed",
                          "Message": "The conditional request failed"}
    assert get(ddb, a, {"pk": S("fine")}) is None
    assert get(ddb, b, {"pk": S("y"), "sk": N(1)}) is not None


def test_update_that_cannot_apply_is_a_validation_reason(ddb, table_s):
    ddb.put_item(TableName=table_s, Item={"pk": S("k"), "s": S("text")})
    msg, reasons = cancelled(lambda: ddb.transact_write_items(TransactItems=[
        put(table_s, {"pk": S("other")}),
        update(table_s, {"pk": S("k")}, "SET v = s + :one", {":one": N(1)}),
    ]))
    assert msg == CANCELLED.format("None, ValidationError")
    assert reasons[0] == {"Code": "None"}
    assert reasons[1]["Code"] == "ValidationError"
    assert reasons[1]["Message"] == ("An operand in the update expression has an incorrect "
                                     "data type")
    assert get(ddb, table_s, {"pk": S("other")}) is None


def test_update_over_the_item_size_limit_is_a_validation_reason(ddb, table_s):
    ddb.put_item(TableName=table_s, Item={"pk": S("big"), "a": S("x" * 300_000)})
    msg, reasons = cancelled(lambda: ddb.transact_write_items(TransactItems=[
        update(table_s, {"pk": S("big")}, "SET b = :b", {":b": S("y" * 200_000)})]))
    assert msg == CANCELLED.format("ValidationError")
    assert reasons == [{"Code": "ValidationError",
                        "Message": "Item size to update has exceeded the maximum allowed size"}]


def test_key_of_the_wrong_type_is_a_validation_reason(ddb, two_tables):
    a, b = two_tables
    msg, reasons = cancelled(lambda: ddb.transact_write_items(TransactItems=[
        put(b, {"pk": S("fine"), "sk": N(1)}),
        put(a, {"pk": N(1)}),
    ]))
    assert msg == CANCELLED.format("None, ValidationError")
    assert reasons[1] == {"Code": "ValidationError", "Message": msg_type_mismatch("pk", "S", "N")}
    for action in (delete(a, {"pk": N(1)}), check(a, {"pk": S("x"), "extra": S("y")},
                                                  "attribute_exists(pk)"),
                   update(a, {"pk": N(2)}, "SET v = :v", {":v": N(1)})):
        msg, reasons = cancelled(lambda: ddb.transact_write_items(TransactItems=[action]))
        assert reasons == [{"Code": "ValidationError", "Message": KEY_SCHEMA}], action
    assert get(ddb, b, {"pk": S("fine"), "sk": N(1)}) is None


def test_empty_key_value_fails_the_request(ddb, table_s):
    expect_error(lambda: ddb.transact_write_items(TransactItems=[put(table_s, {"pk": S("")})]),
                 "ValidationException", msg_empty_key("pk"))


def test_put_over_the_item_size_limit_fails_the_request(ddb, table_s):
    expect_error(lambda: ddb.transact_write_items(TransactItems=[
        put(table_s, {"pk": S("k"), "a": S("x" * 409_600)})]),
        "ValidationException", "Item size has exceeded the maximum allowed size")


def test_missing_table_fails_the_request(ddb, table_s):
    expect_error(lambda: ddb.transact_write_items(TransactItems=[
        put(table_s, {"pk": S("k")}), put(unique_name("nosuch"), {"pk": S("k")})]),
        "ResourceNotFoundException", MSG_RNF_DATA)
    assert get(ddb, table_s, {"pk": S("k")}) is None


def test_payload_over_4mb_fails_the_request(ddb, two_tables):
    a, b = two_tables
    big = "x" * 390_000
    actions = [put(a, {"pk": S(f"k{i}"), "v": S(big)}) for i in range(6)]
    actions += [put(b, {"pk": S(f"k{i}"), "sk": N(1), "v": S(big)}) for i in range(6)]
    expect_error(lambda: ddb.transact_write_items(TransactItems=actions), "ValidationException",
                 contains=["Transaction payload size cannot exceed 4MB"])
    present = lambda: [get(ddb, a, {"pk": S(f"k{i}")}) is not None  # noqa: E731
                       for i in range(6)]
    assert present() == [False] * 6
    # Just under the limit is fine.
    ddb.transact_write_items(TransactItems=actions[:10])
    assert present() == [True] * 6


def test_item_collection_metrics(ddb, make_table):
    t = make_table(range_key=("sk", "N"), AttributeDefinitions=[
        {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
        {"AttributeName": "l", "AttributeType": "S"}],
        LocalSecondaryIndexes=[{"IndexName": "by_l", "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}}])
    plain = make_table()
    r = ddb.transact_write_items(TransactItems=[
        put(t, {"pk": S("p"), "sk": N(1), "l": S("a")}),
        put(t, {"pk": S("p"), "sk": N(2), "l": S("b")}),
        put(plain, {"pk": S("q")}),
    ], ReturnItemCollectionMetrics="SIZE")
    metrics = r["ItemCollectionMetrics"]
    assert list(metrics) == [t]
    assert len(metrics[t]) == 1
    m = metrics[t][0]
    assert m["ItemCollectionKey"] == {"pk": S("p")}
    assert len(m["SizeEstimateRangeGB"]) == 2


# ---- request validation ---------------------------------------------------------------------


def test_two_operations_on_one_item(ddb, two_tables):
    a, b = two_tables
    expect_error(lambda: ddb.transact_write_items(TransactItems=[
        check(a, {"pk": S("k")}, "attribute_not_exists(pk)"), put(a, {"pk": S("k")})]),
        "ValidationException", DUPLICATE)
    # The same key written with its members in the other order is still the same item.
    expect_error(lambda: ddb.transact_write_items(TransactItems=[
        put(a, {"pk": S("other")}),
        delete(b, {"pk": S("p"), "sk": N(1)}),
        update(b, {"sk": N(1), "pk": S("p")}, "SET v = :v", {":v": N(1)})]),
        "ValidationException", DUPLICATE)
    assert get(ddb, a, {"pk": S("k")}) is None
    assert get(ddb, a, {"pk": S("other")}) is None
    # The same key in two tables is two items.
    ddb.transact_write_items(TransactItems=[
        put(a, {"pk": S("p")}), put(b, {"pk": S("p"), "sk": N(1)})])


def test_transact_items_length(ddb_noval, table_s):
    expect_error(lambda: ddb_noval.transact_write_items(TransactItems=[]), "ValidationException",
                 "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy "
                 "constraint: Member must have length greater than or equal to 1")
    expect_error(lambda: ddb_noval.transact_get_items(TransactItems=[]), "ValidationException",
                 "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy "
                 "constraint: Member must have length greater than or equal to 1")
    many = [put(table_s, {"pk": S(f"k{i}")}) for i in range(101)]
    r = expect_error(lambda: ddb_noval.transact_write_items(TransactItems=many),
                     "ValidationException",
                     contains=["1 validation error detected: Value '[",
                               "at 'transactItems' failed to satisfy constraint: Member must "
                               "have length less than or equal to 100"])
    assert r["Error"]["Message"].endswith("less than or equal to 100")
    gets = [{"Get": {"TableName": table_s, "Key": {"pk": S(f"k{i}")}}} for i in range(101)]
    expect_error(lambda: ddb_noval.transact_get_items(TransactItems=gets), "ValidationException",
                 contains=["at 'transactItems' failed to satisfy constraint: Member must have "
                           "length less than or equal to 100"])
    assert ddb_noval.scan(TableName=table_s, Select="COUNT")["Count"] == 0


def test_one_action_per_transact_item(ddb_noval, table_s):
    both = {**put(table_s, {"pk": S("a")}), **delete(table_s, {"pk": S("b")})}
    expect_error(lambda: ddb_noval.transact_write_items(TransactItems=[both]),
                 "ValidationException")
    expect_error(lambda: ddb_noval.transact_write_items(TransactItems=[{}]),
                 "ValidationException")
    assert get(ddb_noval, table_s, {"pk": S("a")}) is None


def test_expression_errors_fail_the_request(ddb_noval, table_s):
    expect_error(lambda: ddb_noval.transact_write_items(TransactItems=[
        put(table_s, {"pk": S("a")}, ConditionExpression="attribute_exists(#nope)")]),
        "ValidationException", contains=["#nope"])
    expect_error(lambda: ddb_noval.transact_write_items(TransactItems=[
        update(table_s, {"pk": S("a")}, "SET v = :v", {":v": N(1), ":unused": N(2)})]),
        "ValidationException",
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}")
    assert get(ddb_noval, table_s, {"pk": S("a")}) is None


# ---- ClientRequestToken ---------------------------------------------------------------------


@pytest.mark.parametrize("cross_table", [False, True])
def test_client_request_token_makes_a_retry_idempotent(ddb, two_tables, cross_table):
    a, b = two_tables
    token = f"t-{uuid.uuid4().hex}"
    actions = [update(a, {"pk": S("c")}, "ADD n :one", {":one": N(1)})]
    if cross_table:
        actions.append(update(b, {"pk": S("c"), "sk": N(1)}, "ADD n :one", {":one": N(1)}))
    for _ in range(3):
        ddb.transact_write_items(TransactItems=actions, ClientRequestToken=token)
    assert get(ddb, a, {"pk": S("c")})["n"] == N(1)
    if cross_table:
        assert get(ddb, b, {"pk": S("c"), "sk": N(1)})["n"] == N(1)
    # The same token with another request.
    other = [update(a, {"pk": S("c")}, "ADD n :two", {":two": N(2)})] + actions[1:]
    expect_error(lambda: ddb.transact_write_items(TransactItems=other, ClientRequestToken=token),
                 "IdempotentParameterMismatchException")
    assert get(ddb, a, {"pk": S("c")})["n"] == N(1)
    # Another token: done again.
    ddb.transact_write_items(TransactItems=actions, ClientRequestToken=f"t-{uuid.uuid4().hex}")
    assert get(ddb, a, {"pk": S("c")})["n"] == N(2)


@pytest.mark.parametrize("cross_table", [False, True])
def test_a_replayed_token_is_billed_as_a_read(ddb, two_tables, cross_table):
    """AWS bills the replay of a completed request as a transactional read of its items."""
    a, b = two_tables
    token = f"t-{uuid.uuid4().hex}"
    actions = [put(a, {"pk": S("big"), "x": S("x" * 1500)})]
    if cross_table:
        actions.append(update(b, {"pk": S("c"), "sk": N(1)}, "ADD n :one", {":one": N(1)}))
    first = ddb.transact_write_items(TransactItems=actions, ClientRequestToken=token,
                                     ReturnConsumedCapacity="TOTAL")
    caps = {c["TableName"]: c for c in first["ConsumedCapacity"]}
    assert caps[a] == {"TableName": a, "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0}
    again = ddb.transact_write_items(TransactItems=actions, ClientRequestToken=token,
                                     ReturnConsumedCapacity="TOTAL")
    caps = {c["TableName"]: c for c in again["ConsumedCapacity"]}
    assert caps[a] == {"TableName": a, "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}
    if cross_table:
        assert caps[b] == {"TableName": b, "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}
        assert get(ddb, b, {"pk": S("c"), "sk": N(1)})["n"] == N(1)
    assert len(caps) == len(actions)
    quiet = ddb.transact_write_items(TransactItems=actions, ClientRequestToken=token)
    assert "ConsumedCapacity" not in quiet


def test_client_request_token_length(ddb_noval, table_s):
    token = "x" * 37
    expect_error(lambda: ddb_noval.transact_write_items(
        TransactItems=[put(table_s, {"pk": S("k")})], ClientRequestToken=token),
        "ValidationException",
        one_of=[f"1 validation error detected: Value '{token}' at 'clientRequestToken' failed "
                "to satisfy constraint: Member must have length less than or equal to 36",
                "1 validation error detected: Value at 'ClientRequestToken' failed to satisfy "
                "constraint: Member must have length less than or equal to 36"])
    ddb_noval.transact_write_items(TransactItems=[put(table_s, {"pk": S("k")})],
                                   ClientRequestToken="x" * 36)
    assert get(ddb_noval, table_s, {"pk": S("k")}) is not None


# ---- TransactGetItems -----------------------------------------------------------------------


def test_transact_get_items_across_tables(ddb, two_tables):
    a, b = two_tables
    ddb.put_item(TableName=a, Item={"pk": S("x"), "v": N(1), "secret": S("s"),
                                    "m": {"M": {"in": S("side")}}})
    ddb.put_item(TableName=b, Item={"pk": S("y"), "sk": N(2), "w": S("w")})
    r = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": a, "Key": {"pk": S("x")},
                 "ProjectionExpression": "#v, m.#i", "ExpressionAttributeNames": {
                     "#v": "v", "#i": "in"}}},
        {"Get": {"TableName": a, "Key": {"pk": S("missing")}}},
        {"Get": {"TableName": b, "Key": {"pk": S("y"), "sk": N(2)}}},
    ], ReturnConsumedCapacity="TOTAL")
    assert r["Responses"] == [
        {"Item": {"v": N(1), "m": {"M": {"in": S("side")}}}},
        {},
        {"Item": {"pk": S("y"), "sk": N(2), "w": S("w")}},
    ]
    caps = sorted(r["ConsumedCapacity"], key=lambda c: c["TableName"] != a)
    # Two items read from a (one missing): 2 units each; one from b.
    assert caps == [
        {"TableName": a, "CapacityUnits": 4.0, "ReadCapacityUnits": 4.0},
        {"TableName": b, "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0},
    ]


def test_transact_get_items_key_of_the_wrong_shape_is_a_validation_reason(ddb_noval, two_tables):
    a, b = two_tables
    for bad in ({}, {"pk": N(1)}, {"pk": S("a"), "x": S("b")}):
        msg, reasons = cancelled(lambda: ddb_noval.transact_get_items(TransactItems=[
            {"Get": {"TableName": b, "Key": {"pk": S("ok"), "sk": N(1)}}},
            {"Get": {"TableName": a, "Key": bad}}]))
        assert msg == CANCELLED.format("None, ValidationError"), bad
        assert reasons == [{"Code": "None"}, {"Code": "ValidationError", "Message": KEY_SCHEMA}]
    expect_error(lambda: ddb_noval.transact_get_items(TransactItems=[
        {"Get": {"TableName": a, "Key": {"pk": S("")}}}]), "ValidationException",
        msg_empty_key("pk"))


def test_transact_get_items_errors(ddb, table_s):
    expect_error(lambda: ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": unique_name("nosuch"), "Key": {"pk": S("k")}}}]),
        "ResourceNotFoundException", MSG_RNF_DATA)
    expect_error(lambda: ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": table_s, "Key": {"pk": S("k")},
                 "ProjectionExpression": "#a"}}]),
        "ValidationException", contains=["#a"])


# ---- capacity -------------------------------------------------------------------------------


def test_consumed_capacity_per_table(ddb, make_table):
    a = make_table()
    b = make_table(range_key=("sk", "N"), AttributeDefinitions=[
        {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
        {"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_g",
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}])
    r = ddb.transact_write_items(TransactItems=[
        put(a, {"pk": S("small")}),
        put(a, {"pk": S("big"), "x": S("x" * 1500)}),
        put(b, {"pk": S("p"), "sk": N(1), "g": S("g")}),
    ], ReturnConsumedCapacity="TOTAL")
    caps = sorted(r["ConsumedCapacity"], key=lambda c: c["TableName"] != a)
    # a: 1 KB + 2 KB, doubled; b: the item and its index entry, doubled.
    assert caps == [
        {"TableName": a, "CapacityUnits": 6.0, "WriteCapacityUnits": 6.0},
        {"TableName": b, "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0},
    ]
    r = ddb.transact_write_items(TransactItems=[put(b, {"pk": S("p"), "sk": N(2), "g": S("g")})],
                                 ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == [{
        "TableName": b, "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0,
        "Table": {"CapacityUnits": 2.0, "WriteCapacityUnits": 2.0},
        "GlobalSecondaryIndexes": {"by_g": {"CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}}}]


# ---- Streams --------------------------------------------------------------------------------


def test_stream_sees_each_committed_write_once(ddb, streams, make_table):
    a = make_table(StreamSpecification={"StreamEnabled": True,
                                        "StreamViewType": "NEW_AND_OLD_IMAGES"})
    b = make_table()
    ddb.put_item(TableName=a, Item={"pk": S("u"), "v": N(1)})
    ddb.transact_write_items(TransactItems=[
        put(a, {"pk": S("i")}),
        update(a, {"pk": S("u")}, "SET v = :v", {":v": N(2)}),
        put(b, {"pk": S("elsewhere")}),
    ])
    # A cancelled transaction leaves nothing in the stream.
    cancelled(lambda: ddb.transact_write_items(TransactItems=[
        put(a, {"pk": S("never")}),
        check(b, {"pk": S("elsewhere")}, "attribute_not_exists(pk)"),
    ]))
    arn = ddb.describe_table(TableName=a)["Table"]["LatestStreamArn"]
    recs = [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in read_stream(streams, arn)]
    assert recs == [("INSERT", "u"), ("INSERT", "i"), ("MODIFY", "u")]


# ---- concurrency ----------------------------------------------------------------------------


def test_concurrent_transactions_and_plain_writes(host, ddb, two_tables):
    """Threads move a counter on two tables together while others write the same item plainly:
    every acknowledged transaction is applied on both tables, and none partly."""
    a, b = two_tables
    ka, kb = {"pk": S("shared")}, {"pk": S("shared"), "sk": N(0)}
    ddb.put_item(TableName=a, Item={**ka, "n": N(0), "plain": N(0)})
    ddb.put_item(TableName=b, Item={**kb, "n": N(0)})
    committed, plain, errors = [], [], []
    stop_at = time.monotonic() + 8

    def tx_worker(w):
        client = host.client()
        i = 0
        while time.monotonic() < stop_at and i < 60:
            i += 1
            try:
                client.transact_write_items(TransactItems=[
                    update(a, ka, "ADD n :one", {":one": N(1)}),
                    update(b, kb, "ADD n :one", {":one": N(1)}),
                    put(a, {"pk": S(f"w{w}-{i}")}),
                ])
                committed.append(1)
            except ClientError as e:
                code = e.response["Error"]["Code"]
                if code == "TransactionCanceledException":
                    codes = {r["Code"] for r in e.response["CancellationReasons"]}
                    if not codes <= {"None", "TransactionConflict"}:
                        errors.append(e.response)
                elif code != "TransactionConflictException":
                    errors.append(e.response)

    def plain_worker():
        client = host.client()
        i = 0
        while time.monotonic() < stop_at and i < 150:
            i += 1
            try:
                client.update_item(TableName=a, Key=ka, UpdateExpression="ADD plain :one",
                                   ExpressionAttributeValues={":one": N(1)})
                plain.append(1)
            except ClientError as e:
                if e.response["Error"]["Code"] != "TransactionConflictException":
                    errors.append(e.response)

    threads = [threading.Thread(target=tx_worker, args=(w,)) for w in range(4)]
    threads.append(threading.Thread(target=plain_worker))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert len(committed) > 0 and len(plain) > 0
    item_a, item_b = get(ddb, a, ka), get(ddb, b, kb)
    assert item_a["n"] == N(len(committed))
    assert item_b["n"] == N(len(committed))
    assert item_a["plain"] == N(len(plain))
    assert ddb.scan(TableName=a, Select="COUNT", ConsistentRead=True)["Count"] == \
        1 + len(committed)


def test_transact_get_items_never_sees_half_a_transaction(host, ddb, two_tables):
    """Writers set the same value on an item of each table in one transaction; readers of
    both items in one TransactGetItems always see equal values."""
    a, b = two_tables
    ka, kb = {"pk": S("pair")}, {"pk": S("pair"), "sk": N(1)}
    ddb.transact_write_items(TransactItems=[put(a, {**ka, "v": N(0)}),
                                            put(b, {**kb, "v": N(0)})])
    stop_at = time.monotonic() + 6
    torn, reads, writes, errors = [], [], [], []

    def writer(w):
        client = host.client()
        i = 0
        while time.monotonic() < stop_at and i < 80:
            i += 1
            v = N(w * 1000 + i)
            try:
                client.transact_write_items(TransactItems=[put(a, {**ka, "v": v}),
                                                           put(b, {**kb, "v": v})])
                writes.append(1)
            except ClientError as e:
                if e.response["Error"]["Code"] not in ("TransactionCanceledException",
                                                       "TransactionConflictException"):
                    errors.append(e.response)

    def reader():
        client = host.client()
        i = 0
        while time.monotonic() < stop_at and i < 200:
            i += 1
            try:
                r = client.transact_get_items(TransactItems=[
                    {"Get": {"TableName": a, "Key": ka}}, {"Get": {"TableName": b, "Key": kb}}])
            except ClientError as e:
                if e.response["Error"]["Code"] != "TransactionCanceledException":
                    errors.append(e.response)
                continue
            va, vb = (x["Item"]["v"] for x in r["Responses"])
            reads.append(1)
            if va != vb:
                torn.append((va, vb))

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(2)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert torn == []
    assert len(reads) > 0 and len(writes) > 0


# ---- a request that dies half-way (test failpoints) -----------------------------------------


def send_with_failpoint(host, actions, failpoint):
    """TransactWriteItems that the host stops at `failpoint`: the native host dies (the
    connection drops), the Worker drops the request (HTTP 500)."""
    import json
    raw = Raw(host.endpoint, timeout=30)
    body = json.dumps({"TransactItems": actions}).encode()
    try:
        r = raw.send(TARGET_PREFIX + "TransactWriteItems", body,
                     extra_headers={"x-extenddo-failpoint": failpoint})
    except requests.RequestException:
        return None
    return r


def wait_unlocked(ddb, table, item, timeout=30):
    """Writes `item` plainly until no transaction holds it; returns the conflicts seen."""
    deadline = time.monotonic() + timeout
    conflicts = 0
    while True:
        try:
            ddb.put_item(TableName=table, Item=item)
            return conflicts
        except ClientError as e:
            assert e.response["Error"]["Code"] == "TransactionConflictException", e.response
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            conflicts += 1
            assert time.monotonic() < deadline, "the transaction's lock was never released"
            time.sleep(0.2)


def recover_after(host, restart):
    if host.kind == "native":
        host.proc.wait(timeout=30)  # the failpoint crashed it
        host.proc = None
        restart()


@pytest.mark.parametrize("failpoint,commits", [
    ("after:TxPrepare:2", False),   # every table prepared, nothing decided: recovery aborts
    ("after:Decide:1", True),       # decided, no table told: recovery commits
])
def test_interrupted_transaction_is_recovered(host, ddb, two_tables, restart, failpoint, commits):
    if host.kind not in ("native", "worker"):
        pytest.skip("needs a host started by the suite with failpoints enabled")
    a, b = two_tables
    ka, kb = {"pk": S("x")}, {"pk": S("y"), "sk": N(1)}
    ddb.put_item(TableName=a, Item={**ka, "v": S("before")})
    ddb.put_item(TableName=b, Item={**kb, "v": S("before")})
    started = time.monotonic()
    r = send_with_failpoint(host, [
        put(a, {**ka, "v": S("tx")}),
        put(b, {**kb, "v": S("tx")}),
    ], failpoint)
    if host.kind == "worker":
        assert r is not None and r.status == 500, r and r.text
    else:
        assert r is None, "the native host should have crashed at the failpoint"
    recover_after(host, restart)
    ddb_now = host.client()
    if not commits and time.monotonic() - started < 1.0:
        # Still in doubt: reads see the state before; another transaction is refused.
        assert get(ddb_now, a, ka)["v"] == S("before")
    # Plain writes of other items are never blocked.
    ddb_now.put_item(TableName=a, Item={"pk": S("unrelated")})
    # Wait for recovery to release the locks, then the outcome is all or nothing.
    deadline = time.monotonic() + 30
    while True:
        va, vb = get(ddb_now, a, ka)["v"], get(ddb_now, b, kb)["v"]
        if va == vb == S("tx" if commits else "before"):
            break
        assert time.monotonic() < deadline, f"not recovered: {va} {vb}"
        time.sleep(0.2)
    wait_unlocked(ddb_now, a, {**ka, "v": S("after")})
    wait_unlocked(ddb_now, b, {**kb, "v": S("after")})
    ddb_now.transact_write_items(TransactItems=[
        update(a, ka, "SET w = :w", {":w": N(1)}), update(b, kb, "SET w = :w", {":w": N(1)})])


def test_prepared_transaction_blocks_writers_until_recovered(host, ddb, two_tables, restart):
    if host.kind not in ("native", "worker"):
        pytest.skip("needs a host started by the suite with failpoints enabled")
    a, b = two_tables
    ka, kb = {"pk": S("x")}, {"pk": S("y"), "sk": N(1)}
    ddb.put_item(TableName=a, Item={**ka, "v": S("before")})
    r = send_with_failpoint(host, [put(a, {**ka, "v": S("tx")}), put(b, {**kb, "v": S("tx")})],
                            "after:TxPrepare:2")
    t0 = time.monotonic()
    recover_after(host, restart)
    ddb_now = host.client()
    # While the transaction is in doubt (the suite's hosts recover after 2 s), a plain write
    # of a locked item is refused, and so is another transaction on it.
    outcomes = []
    try:
        ddb_now.put_item(TableName=b, Item={**kb, "v": S("plain")})
        outcomes.append("plain written")
    except ClientError as e:
        outcomes.append(e.response["Error"]["Code"])
    try:
        ddb_now.transact_write_items(TransactItems=[update(a, ka, "SET z = :z", {":z": N(1)})])
        outcomes.append("tx written")
    except ClientError as e:
        outcomes.append((e.response["Error"]["Code"],
                         tuple(x["Code"] for x in e.response.get("CancellationReasons", []))))
    elapsed = time.monotonic() - t0
    if elapsed < 1.5:
        assert outcomes == ["TransactionConflictException",
                            ("TransactionCanceledException", ("TransactionConflict",))], outcomes
        assert r is None or r.status == 500
    wait_unlocked(ddb_now, b, {**kb, "v": S("after")})
    assert get(ddb_now, a, ka)["v"] == S("before")
    assert get(ddb_now, b, kb)["v"] == S("after")
