"""DynamoDB's legacy (pre-expression) parameters: Expected + ConditionalOperator on PutItem,
UpdateItem and DeleteItem; AttributesToGet on GetItem, BatchGetItem, Query and Scan;
KeyConditions and QueryFilter on Query; ScanFilter on Scan; AttributeUpdates on UpdateItem;
and the refusal to mix them with expression parameters.

Each legacy parameter is checked for what it does (its conditions agree with the equivalent
expression) and for AWS's validation errors.

Sources for exact messages:
- architect/dynalite test/putItem.js, updateItem.js, query.js, scan.js "validations" (recorded
  against AWS): Exists/Value/ComparisonOperator/AttributeValueList combinations, operand counts
  and types, "AttributeValues inside AttributeValueList must be of same type", BETWEEN order,
  "Duplicate value in attribute name", AttributeUpdates DELETE/ADD types, "Type mismatch for
  attribute to update", "Attempted conditional constraint is not an indexable operation",
  "Query key condition not supported", "Conditions can be of length 1 or 2 only".
- DynamoDB Local's request converter (InputConverter / LocalDBValidatorUtils /
  LocalDBComparisonOperator): the order of the Expected checks, the operand type rules per
  operator, NOT_CONTAINS being false on a missing attribute.
- ExtendDB's dual-target conformance tests (tests/test_conditional_operator.py, run against
  DynamoDB): the ConditionalOperator messages and the per-operation order of the parameters
  in the mixing message; KeyConditions mixes freely with FilterExpression.
"""

import pytest

from ddbutil import expect_error, unique_name

COND_FAILED = "The conditional request failed"
INVALID = "One or more parameter values were invalid: "
WITHOUT = "ConditionalOperator cannot be used without Filter or Expected"
TWO_OR_MORE = "ConditionalOperator can only be used when Filter or Expected has two or more elements"
MIXING = "Can not use both expression and non-expression parameters in the same request: "
OPS_ENUM = ("[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, "
            "CONTAINS]")

ITEM = {
    "pk": {"S": "k"},
    "s": {"S": "hello"},
    "n": {"N": "10"},
    "b": {"B": b"\x01\x02\x03"},
    "t": {"BOOL": True},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2"]},
    "l": {"L": [{"N": "1"}, {"S": "two"}]},
}


def cond(op, *values):
    c = {"ComparisonOperator": op}
    if values:
        c["AttributeValueList"] = list(values)
    return c


@pytest.fixture
def item_table(ddb, make_table):
    t = make_table()
    ddb.put_item(TableName=t, Item=ITEM)
    return t


def put_expecting(ddb, table, expected, **kw):
    return ddb.put_item(TableName=table, Item=ITEM, Expected=expected, **kw)


# ---- Expected ------------------------------------------------------------------------------

TRUTH = [
    # (attribute, condition, holds)
    ("s", {"Value": {"S": "hello"}}, True),
    ("s", {"Value": {"S": "bye"}}, False),
    ("s", {"Value": {"S": "hello"}, "Exists": True}, True),
    ("zz", {"Exists": False}, True),
    ("s", {"Exists": False}, False),
    ("s", cond("EQ", {"S": "hello"}), True),
    ("n", cond("EQ", {"N": "10.0"}), True),
    ("n", cond("EQ", {"S": "10"}), False),
    ("ss", cond("EQ", {"SS": ["b", "a"]}), True),
    ("s", cond("NE", {"S": "bye"}), True),
    ("s", cond("NE", {"S": "hello"}), False),
    ("zz", cond("NE", {"S": "x"}), True),
    ("n", cond("LE", {"N": "10"}), True),
    ("n", cond("LT", {"N": "10"}), False),
    ("n", cond("GE", {"N": "9.5"}), True),
    ("n", cond("GT", {"N": "10"}), False),
    ("s", cond("GT", {"N": "1"}), False),
    ("b", cond("GT", {"B": b"\x01\x02"}), True),
    ("s", cond("NOT_NULL"), True),
    ("zz", cond("NOT_NULL"), False),
    ("zz", cond("NULL"), True),
    ("s", cond("NULL"), False),
    ("s", cond("CONTAINS", {"S": "ell"}), True),
    ("ss", cond("CONTAINS", {"S": "a"}), True),
    ("ns", cond("CONTAINS", {"N": "3"}), False),
    ("l", cond("CONTAINS", {"S": "two"}), True),
    ("b", cond("CONTAINS", {"B": b"\x02\x03"}), True),
    ("s", cond("NOT_CONTAINS", {"S": "xyz"}), True),
    ("ss", cond("NOT_CONTAINS", {"S": "a"}), False),
    ("zz", cond("NOT_CONTAINS", {"S": "a"}), False),
    ("s", cond("BEGINS_WITH", {"S": "he"}), True),
    ("s", cond("BEGINS_WITH", {"S": "lo"}), False),
    ("b", cond("BEGINS_WITH", {"B": b"\x01"}), True),
    ("n", cond("IN", {"N": "1"}, {"N": "10"}), True),
    ("n", cond("IN", {"N": "1"}, {"N": "2"}), False),
    ("zz", cond("IN", {"N": "1"}), False),
    ("n", cond("BETWEEN", {"N": "10"}, {"N": "20"}), True),
    ("n", cond("BETWEEN", {"N": "11"}, {"N": "20"}), False),
    ("s", cond("BETWEEN", {"S": "a"}, {"S": "i"}), True),
    ("t", cond("EQ", {"BOOL": True}), True),
]


@pytest.mark.parametrize("attr,condition,holds", TRUTH)
def test_expected_truth(ddb, item_table, attr, condition, holds):
    """Each condition, through Expected on PutItem and through ScanFilter: they must agree."""
    if holds:
        put_expecting(ddb, item_table, {attr: condition})
    else:
        expect_error(lambda: put_expecting(ddb, item_table, {attr: condition}),
                     "ConditionalCheckFailedException", COND_FAILED)
    if "ComparisonOperator" in condition:
        got = ddb.scan(TableName=item_table, ScanFilter={attr: condition})
        assert got["Count"] == (1 if holds else 0)
        assert got["ScannedCount"] == 1


def test_expected_and_or(ddb, item_table):
    both = {"s": {"Value": {"S": "hello"}}, "n": {"Value": {"N": "11"}}}
    expect_error(lambda: put_expecting(ddb, item_table, both), "ConditionalCheckFailedException",
                 COND_FAILED)
    expect_error(lambda: put_expecting(ddb, item_table, both, ConditionalOperator="AND"),
                 "ConditionalCheckFailedException", COND_FAILED)
    put_expecting(ddb, item_table, both, ConditionalOperator="OR")


def test_expected_on_missing_item(ddb, make_table):
    t = make_table()
    expect_error(lambda: ddb.put_item(TableName=t, Item={"pk": {"S": "new"}},
                                      Expected={"pk": {"Value": {"S": "new"}}}),
                 "ConditionalCheckFailedException", COND_FAILED)
    ddb.put_item(TableName=t, Item={"pk": {"S": "new"}}, Expected={"pk": {"Exists": False}})
    # Now it exists: the same condition fails.
    expect_error(lambda: ddb.put_item(TableName=t, Item={"pk": {"S": "new"}},
                                      Expected={"pk": {"Exists": False}}),
                 "ConditionalCheckFailedException", COND_FAILED)


def test_expected_on_update_and_delete(ddb, item_table):
    key = {"pk": ITEM["pk"]}
    expect_error(lambda: ddb.update_item(TableName=item_table, Key=key,
                                         UpdateExpression="SET x = :v",
                                         ExpressionAttributeValues={":v": {"S": "v"}},
                                         Expected={"n": cond("GT", {"N": "10"})}),
                 "ValidationException",
                 MIXING + "Non-expression parameters: {Expected} Expression parameters: "
                 "{UpdateExpression}")
    expect_error(lambda: ddb.update_item(TableName=item_table, Key=key,
                                         AttributeUpdates={"x": {"Value": {"S": "v"}}},
                                         Expected={"n": cond("GT", {"N": "10"})}),
                 "ConditionalCheckFailedException", COND_FAILED)
    r = ddb.update_item(TableName=item_table, Key=key,
                        AttributeUpdates={"x": {"Value": {"S": "v"}}},
                        Expected={"n": cond("GE", {"N": "10"})}, ReturnValues="UPDATED_NEW")
    assert r["Attributes"] == {"x": {"S": "v"}}
    expect_error(lambda: ddb.delete_item(TableName=item_table, Key=key,
                                         Expected={"x": {"Value": {"S": "w"}}}),
                 "ConditionalCheckFailedException", COND_FAILED)
    r = ddb.delete_item(TableName=item_table, Key=key, Expected={"x": {"Value": {"S": "v"}}},
                        ReturnValues="ALL_OLD")
    assert r["Attributes"]["x"] == {"S": "v"}
    assert "Item" not in ddb.get_item(TableName=item_table, Key=key)


def test_expected_failure_returns_old_item(ddb, item_table):
    r = expect_error(lambda: put_expecting(ddb, item_table, {"s": {"Exists": False}},
                                           ReturnValuesOnConditionCheckFailure="ALL_OLD"),
                     "ConditionalCheckFailedException", COND_FAILED)
    assert r["Item"]["s"] == {"S": "hello"}


@pytest.mark.parametrize("expected,message", [
    ({"a": {}}, INVALID + "Value must be provided when Exists is null for Attribute: a"),
    ({"a": {"Exists": True}}, INVALID + "Value must be provided when Exists is true for Attribute: a"),
    ({"a": {"Exists": False, "Value": {"S": "a"}}},
     INVALID + "Value cannot be used when Exists is false for Attribute: a"),
    ({"a": {"ComparisonOperator": "LT"}},
     INVALID + "Value or AttributeValueList must be used with ComparisonOperator: LT for Attribute: a"),
    ({"a": {"Exists": True, "ComparisonOperator": "LT"}},
     INVALID + "Exists and ComparisonOperator cannot be used together for Attribute: a"),
    ({"a": {"AttributeValueList": [{"S": "a"}], "Value": {"S": "a"}, "ComparisonOperator": "LT"}},
     INVALID + "Value and AttributeValueList cannot be used together for Attribute: a"),
    ({"a": {"AttributeValueList": [{"S": "a"}]}},
     INVALID + "AttributeValueList can only be used with a ComparisonOperator for Attribute: a"),
    ({"a": cond("EQ")},
     INVALID + "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a"),
    ({"a": {"ComparisonOperator": "EQ", "AttributeValueList": []}},
     INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator"),
    ({"a": cond("NULL", {"S": "a"})},
     INVALID + "Invalid number of argument(s) for the NULL ComparisonOperator"),
    ({"a": {"ComparisonOperator": "BETWEEN", "Value": {"S": "a"}}},
     INVALID + "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
    ({"a": cond("BETWEEN", {"N": "1"}, {"N": "10"}, {"N": "12"})},
     INVALID + "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
    ({"a": cond("LT", {"BOOL": True})},
     INVALID + "ComparisonOperator LT is not valid for BOOL AttributeValue type"),
    ({"a": cond("CONTAINS", {"SS": ["a"]})},
     INVALID + "ComparisonOperator CONTAINS is not valid for SS AttributeValue type"),
    ({"a": cond("BEGINS_WITH", {"N": "1"})},
     INVALID + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"),
    ({"a": cond("IN", {"S": "b"}, {"N": "1"})},
     INVALID + "AttributeValues inside AttributeValueList must be of same type"),
    ({"a": cond("BETWEEN", {"S": "b"}, {"S": "a"})},
     "The BETWEEN condition was provided a range where the lower bound is greater than the "
     "upper bound"),
    ({"a": cond("SOMETIMES", {"S": "b"})},
     "1 validation error detected: Value 'SOMETIMES' at 'expected.a.member.comparisonOperator' "
     "failed to satisfy constraint: Member must satisfy enum value set: " + OPS_ENUM),
])
def test_expected_errors(ddb_noval, item_table, expected, message):
    expect_error(lambda: put_expecting(ddb_noval, item_table, expected), "ValidationException",
                 message)


def test_conditional_operator_errors(ddb_noval, item_table):
    one = {"s": {"Value": {"S": "hello"}}}
    expect_error(lambda: put_expecting(ddb_noval, item_table, one, ConditionalOperator="OR"),
                 "ValidationException", TWO_OR_MORE)
    expect_error(lambda: ddb_noval.put_item(TableName=item_table, Item=ITEM,
                                            ConditionalOperator="AND"),
                 "ValidationException", WITHOUT)
    expect_error(lambda: ddb_noval.delete_item(TableName=item_table, Key={"pk": ITEM["pk"]},
                                               ConditionalOperator="AND"),
                 "ValidationException", WITHOUT)
    expect_error(lambda: ddb_noval.update_item(TableName=item_table, Key={"pk": ITEM["pk"]},
                                               ConditionalOperator="AND"),
                 "ValidationException", WITHOUT)
    two = {"s": {"Value": {"S": "hello"}}, "n": {"Value": {"N": "10"}}}
    expect_error(lambda: put_expecting(ddb_noval, item_table, two, ConditionalOperator="XOR"),
                 "ValidationException",
                 "1 validation error detected: Value 'XOR' at 'conditionalOperator' failed to "
                 "satisfy constraint: Member must satisfy enum value set: [OR, AND]")
    expect_error(lambda: ddb_noval.scan(TableName=item_table, ConditionalOperator="AND"),
                 "ValidationException", WITHOUT)
    expect_error(lambda: ddb_noval.scan(TableName=item_table, ConditionalOperator="AND",
                                        ScanFilter={}),
                 "ValidationException", WITHOUT)
    expect_error(lambda: ddb_noval.scan(TableName=item_table, ConditionalOperator="AND",
                                        ScanFilter={"s": cond("NOT_NULL")}),
                 "ValidationException", TWO_OR_MORE)


# ---- mixing --------------------------------------------------------------------------------


def test_mixing_legacy_and_expression_parameters(ddb, item_table):
    key = {"pk": ITEM["pk"]}
    expect_error(lambda: ddb.put_item(TableName=item_table, Item=ITEM,
                                      Expected={"s": {"Exists": False}},
                                      ConditionExpression="attribute_exists(s)"),
                 "ValidationException",
                 MIXING + "Non-expression parameters: {Expected} Expression parameters: "
                 "{ConditionExpression}")
    expect_error(lambda: ddb.put_item(TableName=item_table, Item=ITEM,
                                      Expected={"s": {"Exists": False}}, ConditionalOperator="AND",
                                      ConditionExpression="attribute_exists(s)"),
                 "ValidationException",
                 MIXING + "Non-expression parameters: {Expected, ConditionalOperator} "
                 "Expression parameters: {ConditionExpression}")
    expect_error(lambda: ddb.update_item(TableName=item_table, Key=key,
                                         AttributeUpdates={"a": {"Value": {"S": "v"}}},
                                         Expected={"s": cond("NOT_NULL")},
                                         ConditionalOperator="AND",
                                         UpdateExpression="SET a = :v",
                                         ConditionExpression="attribute_exists(pk)",
                                         ExpressionAttributeValues={":v": {"S": "x"}}),
                 "ValidationException",
                 MIXING + "Non-expression parameters: {AttributeUpdates, Expected, "
                 "ConditionalOperator} Expression parameters: {UpdateExpression, "
                 "ConditionExpression}")
    expect_error(lambda: ddb.get_item(TableName=item_table, Key=key, AttributesToGet=["s"],
                                      ProjectionExpression="n"),
                 "ValidationException",
                 MIXING + "Non-expression parameters: {AttributesToGet} Expression parameters: "
                 "{ProjectionExpression}")
    expect_error(lambda: ddb.scan(TableName=item_table, AttributesToGet=["s"],
                                  ScanFilter={"s": cond("NOT_NULL")}, ConditionalOperator="AND",
                                  FilterExpression="s = :v", ProjectionExpression="n",
                                  ExpressionAttributeValues={":v": {"S": "x"}}),
                 "ValidationException",
                 MIXING + "Non-expression parameters: {AttributesToGet, ScanFilter, "
                 "ConditionalOperator} Expression parameters: {ProjectionExpression, "
                 "FilterExpression}")
    expect_error(lambda: ddb.query(TableName=item_table, KeyConditions={"pk": cond("EQ", ITEM["pk"])},
                                   QueryFilter={"s": cond("NOT_NULL")}, ConditionalOperator="AND",
                                   KeyConditionExpression="pk = :p", FilterExpression="s = :v",
                                   ProjectionExpression="n",
                                   ExpressionAttributeValues={":p": ITEM["pk"], ":v": {"S": "x"}}),
                 "ValidationException",
                 MIXING + "Non-expression parameters: {QueryFilter, ConditionalOperator, "
                 "KeyConditions} Expression parameters: {ProjectionExpression, FilterExpression, "
                 "KeyConditionExpression}")


def test_key_conditions_with_filter_and_projection_expressions(ddb, item_table):
    r = ddb.query(TableName=item_table, KeyConditions={"pk": cond("EQ", ITEM["pk"])},
                  FilterExpression="s = :v", ExpressionAttributeValues={":v": {"S": "hello"}})
    assert r["Count"] == 1
    r = ddb.query(TableName=item_table, KeyConditions={"pk": cond("EQ", ITEM["pk"])},
                  ProjectionExpression="s")
    assert r["Items"] == [{"s": {"S": "hello"}}]


# ---- AttributesToGet -----------------------------------------------------------------------


def test_attributes_to_get(ddb, item_table):
    key = {"pk": ITEM["pk"]}
    r = ddb.get_item(TableName=item_table, Key=key, AttributesToGet=["s", "n", "missing"])
    assert r["Item"] == {"s": ITEM["s"], "n": ITEM["n"]}
    r = ddb.batch_get_item(RequestItems={item_table: {"Keys": [key], "AttributesToGet": ["ss"]}})
    assert r["Responses"][item_table] == [{"ss": ITEM["ss"]}]
    r = ddb.scan(TableName=item_table, AttributesToGet=["t"])
    assert r["Items"] == [{"t": ITEM["t"]}]
    r = ddb.scan(TableName=item_table, AttributesToGet=["t"], Select="SPECIFIC_ATTRIBUTES")
    assert r["Items"] == [{"t": ITEM["t"]}]
    r = ddb.query(TableName=item_table, KeyConditions={"pk": cond("EQ", ITEM["pk"])},
                  AttributesToGet=["l", "pk"])
    assert r["Items"] == [{"l": ITEM["l"], "pk": ITEM["pk"]}]


def test_attributes_to_get_names_are_not_paths(ddb, make_table):
    t = make_table()
    ddb.put_item(TableName=t, Item={"pk": {"S": "k"}, "a.b": {"S": "dotted"},
                                    "a": {"M": {"b": {"S": "nested"}}}})
    r = ddb.get_item(TableName=t, Key={"pk": {"S": "k"}}, AttributesToGet=["a.b"])
    assert r["Item"] == {"a.b": {"S": "dotted"}}


def test_attributes_to_get_errors(ddb_noval, item_table):
    key = {"pk": ITEM["pk"]}
    expect_error(lambda: ddb_noval.get_item(TableName=item_table, Key=key,
                                            AttributesToGet=["a", "a"]),
                 "ValidationException", INVALID + "Duplicate value in attribute name: a")
    expect_error(lambda: ddb_noval.scan(TableName=item_table, AttributesToGet=["s", "s"]),
                 "ValidationException", INVALID + "Duplicate value in attribute name: s")
    expect_error(lambda: ddb_noval.get_item(TableName=item_table, Key=key, AttributesToGet=[]),
                 "ValidationException",
                 "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy "
                 "constraint: Member must have length greater than or equal to 1")
    expect_error(lambda: ddb_noval.scan(TableName=item_table, AttributesToGet=["s"],
                                        Select="COUNT"),
                 "ValidationException",
                 "Cannot specify the AttributesToGet when choosing to get only the Count")


# ---- KeyConditions -------------------------------------------------------------------------


@pytest.fixture
def range_table(ddb, make_table):
    t = make_table(range_key=("sk", "S"))
    for sk in ["a", "ab", "abc", "b", "c"]:
        ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"S": sk}, "v": {"N": "1"}})
    ddb.put_item(TableName=t, Item={"pk": {"S": "other"}, "sk": {"S": "a"}})
    return t


def sks(r):
    return [i["sk"]["S"] for i in r["Items"]]


@pytest.mark.parametrize("range_cond,want", [
    (None, ["a", "ab", "abc", "b", "c"]),
    (cond("EQ", {"S": "ab"}), ["ab"]),
    (cond("LT", {"S": "ab"}), ["a"]),
    (cond("LE", {"S": "ab"}), ["a", "ab"]),
    (cond("GT", {"S": "ab"}), ["abc", "b", "c"]),
    (cond("GE", {"S": "b"}), ["b", "c"]),
    (cond("BEGINS_WITH", {"S": "ab"}), ["ab", "abc"]),
    (cond("BETWEEN", {"S": "ab"}, {"S": "b"}), ["ab", "abc", "b"]),
])
def test_key_conditions(ddb, range_table, range_cond, want):
    kc = {"pk": cond("EQ", {"S": "p"})}
    if range_cond:
        kc["sk"] = range_cond
    r = ddb.query(TableName=range_table, KeyConditions=kc)
    assert sks(r) == want
    r = ddb.query(TableName=range_table, KeyConditions=kc, ScanIndexForward=False)
    assert sks(r) == list(reversed(want))


def test_key_conditions_paginate(ddb, range_table):
    kc = {"pk": cond("EQ", {"S": "p"}), "sk": cond("GT", {"S": "a"})}
    got, start = [], None
    for _ in range(10):
        kw = {"ExclusiveStartKey": start} if start else {}
        r = ddb.query(TableName=range_table, KeyConditions=kc, Limit=2, **kw)
        got += sks(r)
        start = r.get("LastEvaluatedKey")
        if not start:
            break
    assert got == ["ab", "abc", "b", "c"]


def test_query_filter(ddb, range_table):
    ddb.put_item(TableName=range_table, Item={"pk": {"S": "p"}, "sk": {"S": "d"},
                                              "v": {"N": "5"}, "w": {"S": "x"}})
    kc = {"pk": cond("EQ", {"S": "p"})}
    r = ddb.query(TableName=range_table, KeyConditions=kc, QueryFilter={"v": cond("GT", {"N": "1"})})
    assert sks(r) == ["d"] and r["ScannedCount"] == 6
    r = ddb.query(TableName=range_table, KeyConditions=kc,
                  QueryFilter={"v": cond("GT", {"N": "1"}), "w": cond("NULL")})
    assert sks(r) == []
    r = ddb.query(TableName=range_table, KeyConditions=kc, ConditionalOperator="OR",
                  QueryFilter={"v": cond("GT", {"N": "1"}), "w": cond("NULL")})
    assert sks(r) == ["a", "ab", "abc", "b", "c", "d"]
    r = ddb.query(TableName=range_table, KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "p"}}, Select="COUNT")
    assert r["Count"] == 6


@pytest.mark.parametrize("kc,message", [
    ({}, "Conditions can be of length 1 or 2 only"),
    ({"pk": cond("EQ", {"S": "p"}), "sk": cond("EQ", {"S": "a"}), "v": cond("EQ", {"N": "1"})},
     "Conditions can be of length 1 or 2 only"),
    ({"sk": cond("EQ", {"S": "a"})}, "Query condition missed key schema element: pk"),
    ({"pk": cond("EQ", {"S": "p"}), "v": cond("NULL")},
     "Query condition missed key schema element: sk"),
    ({"pk": cond("NULL")}, "Attempted conditional constraint is not an indexable operation"),
    ({"pk": cond("NE", {"S": "p"})}, "Attempted conditional constraint is not an indexable operation"),
    ({"pk": cond("EQ", {"S": "p"}), "sk": cond("CONTAINS", {"S": "a"})},
     "Attempted conditional constraint is not an indexable operation"),
    ({"pk": cond("EQ", {"S": "p"}), "sk": cond("IN", {"S": "a"})},
     "Attempted conditional constraint is not an indexable operation"),
    ({"pk": cond("BEGINS_WITH", {"S": "p"})}, "Query key condition not supported"),
    ({"pk": cond("GT", {"S": "p"})}, "Query key condition not supported"),
    ({"pk": cond("EQ", {"N": "1"})},
     INVALID + "Condition parameter type does not match schema type"),
    ({"pk": cond("EQ", {"S": "p"}), "sk": cond("LT", {"N": "1"})},
     INVALID + "Condition parameter type does not match schema type"),
    ({"pk": cond("EQ", {"S": "p"}), "sk": cond("BETWEEN", {"S": "b"}, {"S": "a"})},
     "The BETWEEN condition was provided a range where the lower bound is greater than the "
     "upper bound"),
    ({"pk": cond("EQ", {"S": "p"}), "sk": cond("LT", {"SS": ["a"]})},
     INVALID + "ComparisonOperator LT is not valid for SS AttributeValue type"),
    ({"pk": cond("EQ")}, INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator"),
    ({"pk": {}}, "1 validation error detected: Value null at "
     "'keyConditions.pk.member.comparisonOperator' failed to satisfy constraint: Member must not "
     "be null"),
])
def test_key_condition_errors(ddb_noval, range_table, kc, message):
    expect_error(lambda: ddb_noval.query(TableName=range_table, KeyConditions=kc),
                 "ValidationException", message)


def test_key_conditions_hash_only_table(ddb_noval, item_table):
    expect_error(lambda: ddb_noval.query(TableName=item_table,
                                         KeyConditions={"pk": cond("EQ", {"S": "k"}),
                                                        "s": cond("EQ", {"S": "a"})}),
                 "ValidationException", "Query key condition not supported")
    r = ddb_noval.query(TableName=item_table, KeyConditions={"pk": cond("EQ", {"S": "k"})})
    assert r["Count"] == 1


def test_key_conditions_on_missing_table(ddb_noval):
    name = unique_name("nope")
    expect_error(lambda: ddb_noval.query(TableName=name, KeyConditions={}),
                 "ValidationException", "Conditions can be of length 1 or 2 only")
    expect_error(lambda: ddb_noval.query(TableName=name,
                                         KeyConditions={"pk": cond("EQ", {"S": "k"})}),
                 "ResourceNotFoundException")


def test_key_conditions_on_an_index(ddb, make_table):
    t = make_table(range_key=("sk", "N"), AttributeDefinitions=[
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "N"},
        {"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_g", "KeySchema": [
            {"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}}])
    for i in range(4):
        ddb.put_item(TableName=t, Item={"pk": {"S": f"p{i}"}, "sk": {"N": str(i)},
                                        "g": {"S": "x" if i % 2 else "y"}})
    r = ddb.query(TableName=t, IndexName="by_g",
                  KeyConditions={"g": cond("EQ", {"S": "x"}), "sk": cond("GE", {"N": "2"})})
    assert [i["pk"]["S"] for i in r["Items"]] == ["p3"]
    expect_error(lambda: ddb.query(TableName=t, IndexName="by_g",
                                   KeyConditions={"pk": cond("EQ", {"S": "p1"})}),
                 "ValidationException", "Query condition missed key schema element: g")


# ---- ScanFilter ----------------------------------------------------------------------------


def test_scan_filter(ddb, make_table):
    t = make_table()
    for i in range(6):
        item = {"pk": {"S": f"k{i}"}, "n": {"N": str(i)}}
        if i % 2:
            item["odd"] = {"BOOL": True}
        ddb.put_item(TableName=t, Item=item)
    keys = lambda r: sorted(i["pk"]["S"] for i in r["Items"])  # noqa: E731
    assert keys(ddb.scan(TableName=t, ScanFilter={"n": cond("GE", {"N": "4"})})) == ["k4", "k5"]
    assert keys(ddb.scan(TableName=t, ScanFilter={"n": cond("GE", {"N": "4"}),
                                                  "odd": cond("NOT_NULL")})) == ["k5"]
    assert keys(ddb.scan(TableName=t, ConditionalOperator="OR",
                         ScanFilter={"n": cond("LT", {"N": "1"}), "odd": cond("NOT_NULL")})) == \
        ["k0", "k1", "k3", "k5"]
    assert keys(ddb.scan(TableName=t, ScanFilter={"n": cond("IN", {"N": "2"}, {"N": "3"})},
                         AttributesToGet=["pk"])) == ["k2", "k3"]
    r = ddb.scan(TableName=t, ScanFilter={"n": cond("BETWEEN", {"N": "1"}, {"N": "3"})},
                 Select="COUNT")
    assert r["Count"] == 3 and "Items" not in r


@pytest.mark.parametrize("scan_filter,message", [
    ({"a": cond("EQ")}, INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator"),
    ({"a": cond("NOT_NULL", {"S": "a"})},
     INVALID + "Invalid number of argument(s) for the NOT_NULL ComparisonOperator"),
    ({"a": cond("BETWEEN", {"S": "a"}, {"S": "a"}, {"S": "a"})},
     INVALID + "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
    ({"a": cond("IN", {"M": {}})}, INVALID + "ComparisonOperator IN is not valid for M AttributeValue type"),
    ({"a": cond("BETWEEN", {"NULL": True}, {"NULL": True})},
     INVALID + "ComparisonOperator BETWEEN is not valid for NULL AttributeValue type"),
    ({"a": cond("NOT_CONTAINS", {"L": []})},
     INVALID + "ComparisonOperator NOT_CONTAINS is not valid for L AttributeValue type"),
    ({"a": {}}, "1 validation error detected: Value null at 'scanFilter.a.member.comparisonOperator' "
     "failed to satisfy constraint: Member must not be null"),
    ({"a": {"ComparisonOperator": "ABOUT"}}, "1 validation error detected: Value 'ABOUT' at "
     "'scanFilter.a.member.comparisonOperator' failed to satisfy constraint: Member must satisfy "
     "enum value set: " + OPS_ENUM),
])
def test_scan_filter_errors(ddb_noval, item_table, scan_filter, message):
    expect_error(lambda: ddb_noval.scan(TableName=item_table, ScanFilter=scan_filter),
                 "ValidationException", message)


# ---- AttributeUpdates ----------------------------------------------------------------------


def test_attribute_updates(ddb, item_table):
    key = {"pk": ITEM["pk"]}
    r = ddb.update_item(TableName=item_table, Key=key, ReturnValues="UPDATED_NEW",
                        AttributeUpdates={
                            "s": {"Action": "PUT", "Value": {"S": "bye"}},
                            "new": {"Value": {"N": "1"}},
                            "n": {"Action": "ADD", "Value": {"N": "-2.5"}},
                            "ss": {"Action": "ADD", "Value": {"SS": ["b", "c"]}},
                            "ns": {"Action": "DELETE", "Value": {"NS": ["1", "7"]}},
                            "l": {"Action": "ADD", "Value": {"L": [{"S": "three"}]}},
                            "t": {"Action": "DELETE"},
                            "absent": {"Action": "DELETE", "Value": {"SS": ["x"]}},
                            "counter": {"Action": "ADD", "Value": {"N": "5"}},
                        })
    a = r["Attributes"]
    assert a["s"] == {"S": "bye"} and a["new"] == {"N": "1"} and a["n"] == {"N": "7.5"}
    assert sorted(a["ss"]["SS"]) == ["a", "b", "c"] and a["ns"] == {"NS": ["2"]}
    assert a["l"] == {"L": [{"N": "1"}, {"S": "two"}, {"S": "three"}]}
    assert a["counter"] == {"N": "5"} and "t" not in a and "absent" not in a
    item = ddb.get_item(TableName=item_table, Key=key)["Item"]
    assert "t" not in item and item["b"] == ITEM["b"]
    # Deleting the last elements of a set removes the attribute.
    r = ddb.update_item(TableName=item_table, Key=key, ReturnValues="ALL_NEW",
                        AttributeUpdates={"ns": {"Action": "DELETE", "Value": {"NS": ["2"]}}})
    assert "ns" not in r["Attributes"]


def test_attribute_updates_create_item(ddb, make_table):
    t = make_table()
    key = {"pk": {"S": "fresh"}}
    r = ddb.update_item(TableName=t, Key=key, ReturnValues="ALL_NEW",
                        AttributeUpdates={"n": {"Action": "ADD", "Value": {"N": "3"}},
                                          "gone": {"Action": "DELETE"}})
    assert r["Attributes"] == {"pk": key["pk"], "n": {"N": "3"}}
    r = ddb.update_item(TableName=t, Key=key, ReturnValues="UPDATED_OLD",
                        AttributeUpdates={"n": {"Action": "ADD", "Value": {"N": "3"}}})
    assert r["Attributes"] == {"n": {"N": "3"}}
    assert ddb.get_item(TableName=t, Key=key)["Item"]["n"] == {"N": "6"}


@pytest.mark.parametrize("update,message", [
    ({"a": {}}, INVALID + "Only DELETE action is allowed when no attribute value is specified"),
    ({"a": {"Action": "ADD"}}, INVALID + "Only DELETE action is allowed when no attribute value is specified"),
    ({"a": {"Action": "DELETE", "Value": {"S": "1"}}},
     INVALID + "DELETE action with value is not supported for the type S"),
    ({"a": {"Action": "DELETE", "Value": {"L": []}}},
     INVALID + "DELETE action with value is not supported for the type L"),
    ({"a": {"Action": "ADD", "Value": {"S": "1"}}}, INVALID + "ADD action is not supported for the type S"),
    ({"a": {"Action": "ADD", "Value": {"B": b"b"}}}, INVALID + "ADD action is not supported for the type B"),
    ({"a": {"Action": "ADD", "Value": {"BOOL": True}}},
     INVALID + "ADD action is not supported for the type BOOL"),
    ({"a": {"Action": "ADD", "Value": {"M": {}}}}, INVALID + "ADD action is not supported for the type M"),
    ({"pk": {"Value": {"S": "x"}}}, INVALID + "Cannot update attribute pk. This attribute is part of the key"),
    ({"a": {"Action": "MERGE", "Value": {"S": "1"}}},
     "1 validation error detected: Value 'MERGE' at 'attributeUpdates.a.member.action' failed to "
     "satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"),
])
def test_attribute_updates_errors(ddb_noval, item_table, update, message):
    expect_error(lambda: ddb_noval.update_item(TableName=item_table, Key={"pk": ITEM["pk"]},
                                               AttributeUpdates=update),
                 "ValidationException", message)


@pytest.mark.parametrize("attr,update", [
    ("ss", {"Action": "DELETE", "Value": {"NS": ["1"]}}),
    ("n", {"Action": "DELETE", "Value": {"NS": ["1"]}}),
    ("ss", {"Action": "ADD", "Value": {"NS": ["2"]}}),
    ("ns", {"Action": "ADD", "Value": {"N": "2"}}),
    ("s", {"Action": "ADD", "Value": {"L": [{"S": "x"}]}}),
])
def test_attribute_updates_type_mismatch(ddb, item_table, attr, update):
    expect_error(lambda: ddb.update_item(TableName=item_table, Key={"pk": ITEM["pk"]},
                                         AttributeUpdates={attr: update}),
                 "ValidationException", "Type mismatch for attribute to update")
    assert ddb.get_item(TableName=item_table, Key={"pk": ITEM["pk"]})["Item"] == ITEM
