"""UpdateItem: upsert semantics, every ReturnValues, UpdateExpression SET (with `+`, `-`,
if_not_exists, list_append), REMOVE (attributes and list elements), ADD (numbers and sets),
DELETE (sets), nested document paths, exact decimal arithmetic, and AWS's errors (syntax,
sections, overlapping and conflicting paths, key attributes, operand types, absent attributes,
invalid paths, number overflow, item size).

Sources for exact messages:
- architect/dynalite test/updateItem.js (recorded against AWS): empty expressions, reserved
  words, "section can only be used once", undefined names/values, overlapping and conflicting
  paths, operand types of `+`, `-`, list_append, operand counts, document-path requirements,
  "Cannot update attribute a. This attribute is part of the key", "An operand in the update
  expression has an incorrect data type", "The provided expression refers to an attribute that
  does not exist in the item", "The document path provided in the update expression is invalid
  for update", unused placeholders, ReturnValues semantics (UPDATED_OLD / UPDATED_NEW only the
  updated paths), ADD/DELETE on sets, "ExpressionAttributeValues can only be specified when
  using expressions: UpdateExpression and ConditionExpression are null".
- ADD/DELETE operand types with `typeSet: ALLOWED_FOR_…_OPERAND`: real AWS errors quoted in
  public code (an AWS SDK for Java v2 stack trace for DELETE, dynamoid's live spec for ADD).
- "Item size to update has exceeded the maximum allowed size" and UpdateItem's size gate:
  nubo-db/dynamodb-conformance tests/tier3/limits/itemSizeBySurface.test.ts (real AWS) and
  DynamoDB Local's message catalogue (ITEM_UPD_TOO_LARGE).
- Arithmetic overflow: ExtendDB/extenddb#94 (real DynamoDB response to
  9.9999999999999999999999999999999999999E+125 + 1E+125).
- "The function is not allowed in an update expression": DynamoDB Local's expression errors
  as quoted by several emulators verified against AWS.
"""

import re
from decimal import Decimal

import pytest

from ddbutil import canon, expect_error

COND_FAILED = "The conditional request failed"
UPDATE_TOO_BIG = "Item size to update has exceeded the maximum allowed size"


def upd(ddb, table, key, expr=None, values=None, names=None, **kw):
    args = {"TableName": table, "Key": key, **kw}
    if expr is not None:
        args["UpdateExpression"] = expr
    if values:
        args["ExpressionAttributeValues"] = values
    if names:
        args["ExpressionAttributeNames"] = names
    return ddb.update_item(**args)


def get(ddb, table, key):
    return ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


# ---- upsert ----------------------------------------------------------------------------------


def test_update_creates_missing_item(ddb, table_sn):
    key = {"pk": {"S": "new"}, "sk": {"N": "1"}}
    resp = upd(ddb, table_sn, key, "SET a = :a", {":a": {"S": "x"}})
    assert "Attributes" not in resp
    assert get(ddb, table_sn, key) == {**key, "a": {"S": "x"}}


def test_update_without_expression_creates_key_only_item(ddb, table_s):
    key = {"pk": {"S": "bare"}}
    resp = upd(ddb, table_s, key)
    assert "Attributes" not in resp
    assert get(ddb, table_s, key) == key
    ddb.put_item(TableName=table_s, Item={**key, "v": {"N": "1"}})
    upd(ddb, table_s, key)                       # no change to an existing item
    assert get(ddb, table_s, key) == {**key, "v": {"N": "1"}}


def test_update_keeps_other_attributes(ddb, table_s):
    key = {"pk": {"S": "keep"}}
    ddb.put_item(TableName=table_s, Item={**key, "a": {"N": "1"}, "b": {"S": "b"}})
    upd(ddb, table_s, key, "SET a = :two", {":two": {"N": "2"}})
    assert get(ddb, table_s, key) == {**key, "a": {"N": "2"}, "b": {"S": "b"}}


def test_update_number_key_normalised(ddb, make_table):
    t = make_table(("pk", "N"))
    upd(ddb, t, {"pk": {"N": "1.50"}}, "SET v = :v", {":v": {"S": "x"}})
    assert get(ddb, t, {"pk": {"N": "1.5"}}) == {"pk": {"N": "1.5"}, "v": {"S": "x"}}


# ---- ReturnValues ----------------------------------------------------------------------------


@pytest.fixture
def rv_item(ddb, table_s):
    key = {"pk": {"S": "rv"}}
    ddb.put_item(TableName=table_s, Item={**key, "a": {"N": "1"}, "b": {"S": "keep"},
                                          "m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}},
                                          "l": {"L": [{"N": "1"}, {"N": "3"}]}})
    return key


def test_return_values_none(ddb, table_s, rv_item):
    resp = upd(ddb, table_s, rv_item, "SET a = :v", {":v": {"N": "5"}}, ReturnValues="NONE")
    assert "Attributes" not in resp


def test_return_values_all_old(ddb, table_s, rv_item):
    resp = upd(ddb, table_s, rv_item, "SET a = :v REMOVE b", {":v": {"N": "5"}},
               ReturnValues="ALL_OLD")
    assert canon(resp["Attributes"]) == canon(
        {**rv_item, "a": {"N": "1"}, "b": {"S": "keep"},
         "m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}}, "l": {"L": [{"N": "1"}, {"N": "3"}]}})


def test_return_values_all_new(ddb, table_s, rv_item):
    resp = upd(ddb, table_s, rv_item, "SET a = :v REMOVE b", {":v": {"N": "5"}},
               ReturnValues="ALL_NEW")
    assert resp["Attributes"] == {**rv_item, "a": {"N": "5"},
                                  "m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}},
                                  "l": {"L": [{"N": "1"}, {"N": "3"}]}}


def test_return_values_updated_old_and_new(ddb, table_s, rv_item):
    resp = upd(ddb, table_s, rv_item, "SET a = :v, c = :c", {":v": {"N": "5"}, ":c": {"S": "c"}},
               ReturnValues="UPDATED_OLD")
    assert resp["Attributes"] == {"a": {"N": "1"}}           # c did not exist before
    resp = upd(ddb, table_s, rv_item, "SET a = :v, d = :d", {":v": {"N": "6"}, ":d": {"S": "d"}},
               ReturnValues="UPDATED_NEW")
    assert resp["Attributes"] == {"a": {"N": "6"}, "d": {"S": "d"}}


def test_return_values_updated_nested_paths_only(ddb, table_s, rv_item):
    """UPDATED_* return the updated paths, not whole top-level attributes."""
    resp = upd(ddb, table_s, rv_item, "SET m.y = :y, l[1] = :l", {":y": {"N": "20"},
                                                                   ":l": {"N": "30"}},
               ReturnValues="UPDATED_OLD")
    assert resp["Attributes"] == {"m": {"M": {"y": {"N": "2"}}}, "l": {"L": [{"N": "3"}]}}
    resp = upd(ddb, table_s, rv_item, "SET m.y = :y, l[1] = :l", {":y": {"N": "21"},
                                                                   ":l": {"N": "31"}},
               ReturnValues="UPDATED_NEW")
    assert resp["Attributes"] == {"m": {"M": {"y": {"N": "21"}}}, "l": {"L": [{"N": "31"}]}}
    assert get(ddb, table_s, rv_item)["m"] == {"M": {"x": {"N": "1"}, "y": {"N": "21"}}}


def test_return_values_updated_new_after_remove(ddb, table_s, rv_item):
    resp = upd(ddb, table_s, rv_item, "REMOVE a, b", ReturnValues="UPDATED_NEW")
    assert "Attributes" not in resp
    resp = upd(ddb, table_s, rv_item, "REMOVE m", ReturnValues="UPDATED_OLD")
    assert resp["Attributes"] == {"m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}}}


def test_return_values_on_new_item(ddb, table_s):
    key = {"pk": {"S": "rv-new"}}
    resp = upd(ddb, table_s, key, "SET a = :a", {":a": {"N": "1"}}, ReturnValues="ALL_OLD")
    assert "Attributes" not in resp
    resp = upd(ddb, table_s, {"pk": {"S": "rv-new2"}}, "SET a = :a", {":a": {"N": "1"}},
               ReturnValues="UPDATED_OLD")
    assert "Attributes" not in resp
    resp = upd(ddb, table_s, {"pk": {"S": "rv-new3"}}, "SET a = :a", {":a": {"N": "1"}},
               ReturnValues="ALL_NEW")
    assert resp["Attributes"] == {"pk": {"S": "rv-new3"}, "a": {"N": "1"}}


def test_return_values_invalid(ddb_noval, table_s):
    expect_error(lambda: upd(ddb_noval, table_s, {"pk": {"S": "x"}}, "SET a = :a",
                             {":a": {"N": "1"}}, ReturnValues="ALL"),
                 "ValidationException",
                 "1 validation error detected: Value 'ALL' at 'returnValues' failed to satisfy "
                 "constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, "
                 "NONE, UPDATED_NEW]")


# ---- SET -------------------------------------------------------------------------------------


def test_set_arithmetic(ddb, table_s):
    key = {"pk": {"S": "arith"}}
    ddb.put_item(TableName=table_s, Item={**key, "a": {"N": "10"}, "b": {"N": "3"}})
    resp = upd(ddb, table_s, key, "SET c = a + b, d = a - b, e = :v - a, f = b + :v, a = a - :v",
               {":v": {"N": "1"}}, ReturnValues="UPDATED_NEW")
    assert resp["Attributes"] == {"a": {"N": "9"}, "c": {"N": "13"}, "d": {"N": "7"},
                                  "e": {"N": "-9"}, "f": {"N": "4"}}


def test_set_if_not_exists(ddb, table_s):
    key = {"pk": {"S": "ine"}}
    upd(ddb, table_s, key, "SET cnt = if_not_exists(cnt, :zero) + :one, first_seen = "
        "if_not_exists(first_seen, :now)", {":zero": {"N": "0"}, ":one": {"N": "1"},
                                       ":now": {"S": "t1"}})
    upd(ddb, table_s, key, "SET cnt = if_not_exists(cnt, :zero) + :one, first_seen = "
        "if_not_exists(first_seen, :now)", {":zero": {"N": "0"}, ":one": {"N": "1"},
                                       ":now": {"S": "t2"}})
    assert get(ddb, table_s, key) == {**key, "cnt": {"N": "2"}, "first_seen": {"S": "t1"}}
    # the default may be another attribute
    resp = upd(ddb, table_s, key, "SET copied = if_not_exists(absent, first_seen)",
               ReturnValues="UPDATED_NEW")
    assert resp["Attributes"] == {"copied": {"S": "t1"}}


def test_set_list_append(ddb, table_s):
    key = {"pk": {"S": "la"}}
    upd(ddb, table_s, key, "SET l = list_append(if_not_exists(l, :empty), :x)",
        {":empty": {"L": []}, ":x": {"L": [{"S": "a"}]}})
    upd(ddb, table_s, key, "SET l = list_append(l, :x)", {":x": {"L": [{"S": "b"}, {"N": "1"}]}})
    upd(ddb, table_s, key, "SET l = list_append(:x, l)", {":x": {"L": [{"S": "first"}]}})
    assert get(ddb, table_s, key)["l"] == {"L": [{"S": "first"}, {"S": "a"}, {"S": "b"},
                                                 {"N": "1"}]}
    upd(ddb, table_s, key, "SET m = list_append(l, l)")
    assert len(get(ddb, table_s, key)["m"]["L"]) == 8


def test_set_nested_paths(ddb, table_s):
    key = {"pk": {"S": "nested"}}
    ddb.put_item(TableName=table_s, Item={**key, "m": {"M": {"a": {"M": {"b": {"L": [
        {"N": "0"}, {"N": "1"}, {"M": {"c": {"S": "old"}}}]}}}}}, "l": {"L": [{"N": "1"},
                                                                           {"N": "2"}]}})
    upd(ddb, table_s, key, "SET m.a.b[2].c = :new, m.a.n = :n, #l[0] = :z, m.#k = :k",
        {":new": {"S": "new"}, ":n": {"N": "5"}, ":z": {"N": "0"}, ":k": {"BOOL": True}},
        {"#l": "l", "#k": "key with space"})
    item = get(ddb, table_s, key)
    assert item["m"]["M"]["a"]["M"]["b"]["L"][2] == {"M": {"c": {"S": "new"}}}
    assert item["m"]["M"]["a"]["M"]["n"] == {"N": "5"}
    assert item["m"]["M"]["key with space"] == {"BOOL": True}
    assert item["l"] == {"L": [{"N": "0"}, {"N": "2"}]}


def test_set_list_index_past_end_appends(ddb, table_s):
    key = {"pk": {"S": "append"}}
    ddb.put_item(TableName=table_s, Item={**key, "l": {"L": [{"N": "1"}, {"N": "2"}]}})
    upd(ddb, table_s, key, "SET l[10] = :x, l[5] = :y", {":x": {"S": "x"}, ":y": {"S": "y"}})
    assert get(ddb, table_s, key)["l"] == {"L": [{"N": "1"}, {"N": "2"}, {"S": "y"},
                                                 {"S": "x"}]}


def test_set_value_from_other_attribute_and_copy(ddb, table_s):
    key = {"pk": {"S": "copy"}}
    ddb.put_item(TableName=table_s, Item={**key, "src": {"M": {"x": {"SS": ["a"]}}}})
    resp = upd(ddb, table_s, key, "SET dst = src, k = pk", ReturnValues="UPDATED_NEW")
    assert canon(resp["Attributes"]) == canon({"dst": {"M": {"x": {"SS": ["a"]}}},
                                               "k": {"S": "copy"}})


def test_set_empty_string_and_binary(ddb, table_s):
    key = {"pk": {"S": "empties"}}
    upd(ddb, table_s, key, "SET s = :s, b = :b", {":s": {"S": ""}, ":b": {"B": b""}})
    assert get(ddb, table_s, key) == {**key, "s": {"S": ""}, "b": {"B": b""}}


# ---- REMOVE ----------------------------------------------------------------------------------


def test_remove_attributes_and_nested(ddb, table_s):
    key = {"pk": {"S": "rm"}}
    ddb.put_item(TableName=table_s, Item={**key, "a": {"N": "1"}, "b": {"N": "2"},
                                          "m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}}})
    upd(ddb, table_s, key, "REMOVE a, m.x, absent, m.nothing")
    assert get(ddb, table_s, key) == {**key, "b": {"N": "2"}, "m": {"M": {"y": {"N": "2"}}}}


def test_remove_list_elements_shifts(ddb, table_s):
    key = {"pk": {"S": "rml"}}
    ddb.put_item(TableName=table_s, Item={**key, "l": {"L": [{"S": c} for c in "abcdef"]}})
    # indices refer to the list before the update; later elements shift down
    upd(ddb, table_s, key, "REMOVE l[1], l[3], l[10]")
    assert get(ddb, table_s, key)["l"] == {"L": [{"S": "a"}, {"S": "c"}, {"S": "e"},
                                                 {"S": "f"}]}
    upd(ddb, table_s, key, "REMOVE l[0]")
    upd(ddb, table_s, key, "REMOVE l[0]")
    assert get(ddb, table_s, key)["l"] == {"L": [{"S": "e"}, {"S": "f"}]}


# ---- ADD and DELETE --------------------------------------------------------------------------


def test_add_numbers(ddb, table_s):
    key = {"pk": {"S": "addn"}}
    resp = upd(ddb, table_s, key, "ADD n :five", {":five": {"N": "5"}},
               ReturnValues="UPDATED_NEW")
    assert resp["Attributes"] == {"n": {"N": "5"}}              # absent counts as 0
    resp = upd(ddb, table_s, key, "ADD n :m", {":m": {"N": "-7.5"}}, ReturnValues="UPDATED_NEW")
    assert resp["Attributes"] == {"n": {"N": "-2.5"}}


def test_add_and_delete_sets(ddb, table_s):
    key = {"pk": {"S": "sets"}}
    upd(ddb, table_s, key, "ADD ss :s, ns :n, bs :b",
        {":s": {"SS": ["a", "b"]}, ":n": {"NS": ["1", "2"]}, ":b": {"BS": [b"\x01"]}})
    resp = upd(ddb, table_s, key, "ADD ss :s, ns :n, bs :b",
               {":s": {"SS": ["b", "c"]}, ":n": {"NS": ["2.0", "3"]}, ":b": {"BS": [b"\x02",
                                                                                  b"\x01"]}},
               ReturnValues="UPDATED_NEW")
    assert canon(resp["Attributes"]) == canon({"ss": {"SS": ["a", "b", "c"]},
                                               "ns": {"NS": ["1", "2", "3"]},
                                               "bs": {"BS": [b"\x01", b"\x02"]}})
    upd(ddb, table_s, key, "DELETE ss :s, ns :n, bs :b",
        {":s": {"SS": ["a", "zz"]}, ":n": {"NS": ["1", "2", "3"]}, ":b": {"BS": [b"\x02"]}})
    item = get(ddb, table_s, key)
    # deleting every member removes the attribute: sets are never empty
    assert canon(item) == canon({**key, "ss": {"SS": ["b", "c"]}, "bs": {"BS": [b"\x01"]}})
    upd(ddb, table_s, key, "DELETE absent :s", {":s": {"SS": ["a"]}})     # no-op
    assert "absent" not in get(ddb, table_s, key)


def test_add_delete_nested_set(ddb, table_s):
    key = {"pk": {"S": "nset"}}
    ddb.put_item(TableName=table_s, Item={**key, "m": {"M": {"s": {"SS": ["a"]}}}})
    upd(ddb, table_s, key, "ADD m.s :b, m.n :one", {":b": {"SS": ["b"]}, ":one": {"N": "1"}})
    item = get(ddb, table_s, key)
    assert sorted(item["m"]["M"]["s"]["SS"]) == ["a", "b"] and item["m"]["M"]["n"] == {"N": "1"}


def test_all_clauses_together(ddb, table_s):
    """dynalite's "should just add valid ADD actions if nothing exists"."""
    key = {"pk": {"S": "all"}}
    resp = upd(ddb, table_s, key, "REMOVE b DELETE c :c ADD d :d, e :e SET f = :f",
               {":c": {"SS": ["a", "b"]}, ":d": {"N": "5"}, ":e": {"SS": ["a", "b"]},
                ":f": {"L": [{"S": "a"}, {"N": "1"}]}}, ReturnValues="UPDATED_NEW")
    assert canon(resp["Attributes"]) == canon({"d": {"N": "5"}, "e": {"SS": ["a", "b"]},
                                               "f": {"L": [{"S": "a"}, {"N": "1"}]}})
    assert canon(get(ddb, table_s, key)) == canon(
        {**key, "d": {"N": "5"}, "e": {"SS": ["a", "b"]}, "f": {"L": [{"S": "a"}, {"N": "1"}]}})


def test_keywords_case_insensitive(ddb, table_s):
    key = {"pk": {"S": "case"}}
    upd(ddb, table_s, key, "set a = :a add n :n", {":a": {"S": "x"}, ":n": {"N": "1"}})
    upd(ddb, table_s, key, "Remove a Add n :n", {":n": {"N": "1"}})
    assert get(ddb, table_s, key) == {**key, "n": {"N": "2"}}


def test_conditional_update(ddb, table_s):
    key = {"pk": {"S": "cu"}}
    expect_error(lambda: upd(ddb, table_s, key, "SET a = :a", {":a": {"N": "1"}},
                             ConditionExpression="attribute_exists(pk)"),
                 "ConditionalCheckFailedException", COND_FAILED)
    assert get(ddb, table_s, key) is None
    upd(ddb, table_s, key, "SET a = :a", {":a": {"N": "1"}},
        ConditionExpression="attribute_not_exists(pk)")
    upd(ddb, table_s, key, "SET a = a + :a", {":a": {"N": "1"}}, ConditionExpression="a = :a")
    assert get(ddb, table_s, key)["a"] == {"N": "2"}


# ---- exact decimal arithmetic ----------------------------------------------------------------


@pytest.mark.parametrize("a,op,b,result", [
    ("0.1", "+", "0.2", "0.3"),
    ("1", "-", "0.9", "0.1"),
    ("-5", "+", "3", "-2"),
    ("5", "-", "5", "0"),
    ("-0.5", "+", "0.5", "0"),
    ("12345678901234567890123456789012345677", "+", "1",
     "12345678901234567890123456789012345678"),
    ("0.1234567890123456789012345678901234567", "+", "0.0000000000000000000000000000000000001",
     "0.1234567890123456789012345678901234568"),
    ("99999999999999999999999999999999999999", "-", "99999999999999999999999999999999999998",
     "1"),
    ("9.9999999999999999999999999999999999999E+125", "-",
     "9.9999999999999999999999999999999999998E+125", "1" + "0" * 88),
    ("1E-130", "+", "1E-130", "0." + "0" * 129 + "2"),
    ("1E+125", "+", "1E+125", "2" + "0" * 125),
    ("3.14159", "-", "-2.85841", "6"),
    ("100", "+", "0.001", "100.001"),
])
def test_exact_decimal_arithmetic(ddb, table_s, a, op, b, result):
    key = {"pk": {"S": f"dec-{a}{op}{b}"}}
    ddb.put_item(TableName=table_s, Item={**key, "a": {"N": a}})
    resp = upd(ddb, table_s, key, f"SET r = a {op} :b", {":b": {"N": b}},
               ReturnValues="UPDATED_NEW")
    assert resp["Attributes"] == {"r": {"N": result}}
    # ADD is the same arithmetic
    neg = b[1:] if b.startswith("-") else "-" + b
    resp = upd(ddb, table_s, key, "ADD a :b", {":b": {"N": b if op == "+" else neg}},
               ReturnValues="UPDATED_NEW")
    assert resp["Attributes"] == {"a": {"N": result}}


OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
UNDERFLOW = ("Number underflow. Attempting to store a number with magnitude smaller than "
             "supported range")




@pytest.mark.parametrize("a,op,b,message", [
    ("9.9999999999999999999999999999999999999E+125", "+", "1E+125", OVERFLOW),
    ("-9.9999999999999999999999999999999999999E+125", "-", "1E+125", OVERFLOW),
    ("5E+125", "+", "5E+125", OVERFLOW),
    ("1.5E-130", "-", "1E-130", UNDERFLOW),
])
def test_arithmetic_out_of_range(ddb, table_s, a, op, b, message):
    key = {"pk": {"S": f"ovf-{a}{op}{b}"}}
    ddb.put_item(TableName=table_s, Item={**key, "a": {"N": a}})
    expect_error(lambda: upd(ddb, table_s, key, f"SET a = a {op} :b", {":b": {"N": b}}),
                 "ValidationException", message)
    neg = b[1:] if b.startswith("-") else "-" + b
    expect_error(lambda: upd(ddb, table_s, key, "ADD a :b", {":b": {"N": b if op == "+" else neg}}),
                 "ValidationException", message)
    assert Decimal(get(ddb, table_s, key)["a"]["N"]) == Decimal(a)


# ---- errors ----------------------------------------------------------------------------------


def test_empty_update_expression(ddb_noval, table_s):
    expect_error(lambda: upd(ddb_noval, table_s, {"pk": {"S": "x"}}, ""),
                 "ValidationException",
                 "Invalid UpdateExpression: The expression can not be empty;")


@pytest.mark.parametrize("expr", [
    "whatever", "set a", "add a", "delete a", "set a=set", "remove a = b", "add a = b",
    "delete a = b", "delete a b", "add abort b", "remove a b", "set a b", "set :a = b",
    "add :a b", "delete :a b", "remove :a", "set a = b / c", "set a = b * c",
    'set a[1] = "eight"', "set a[1] = 1", "SET if_not_exist(a, b) = a", "set (a = (b + c))",
    "set a = (b.c).d + e", "set a = b + c + d", "SET a = :v,", "SET , a = :v",
])
def test_update_syntax_errors(ddb, table_s, expr):
    resp = expect_error(lambda: upd(ddb, table_s, {"pk": {"S": "x"}}, expr),
                        "ValidationException")
    msg = resp["Error"]["Message"]
    assert msg.startswith("Invalid UpdateExpression: Syntax error; token: "), msg


@pytest.mark.parametrize("expr,word", [
    ("SET abOrt = :a", "abOrt"),
    (" remove Absolute ", "Absolute"),
    ("ADD size :a", "size"),
])
def test_update_reserved_keywords(ddb, table_s, expr, word):
    expect_error(lambda: upd(ddb, table_s, {"pk": {"S": "x"}}, expr, {":a": {"N": "1"}}),
                 "ValidationException",
                 f"Invalid UpdateExpression: Attribute name is a reserved keyword; "
                 f"reserved keyword: {word}")


@pytest.mark.parametrize("expr,section", [
    ("set a = #c set c = :d", "SET"),
    ("remove #d set a = b remove e", "REMOVE"),
    ("add #d :e set a = b add e :f", "ADD"),
    ("delete #d :e set a = b delete #e :f", "DELETE"),
])
def test_update_section_once(ddb, table_s, expr, section):
    expect_error(lambda: upd(ddb, table_s, {"pk": {"S": "x"}}, expr),
                 "ValidationException",
                 f'Invalid UpdateExpression: The "{section}" section can only be used once in an '
                 "update expression;")


def test_update_invalid_and_misplaced_functions(ddb, table_s):
    expect_error(lambda: upd(ddb, table_s, {"pk": {"S": "x"}}, "SET a = whatever(b, :v)",
                             {":v": {"N": "1"}}),
                 "ValidationException",
                 "Invalid UpdateExpression: Invalid function name; function: whatever")
    for fn, args in [("size", "b"), ("attribute_exists", "b"), ("contains", "b, :v")]:
        values = {":v": {"N": "1"}} if ":v" in args else None
        expect_error(lambda: upd(ddb, table_s, {"pk": {"S": "x"}}, f"SET a = {fn}({args})",
                                 values),
                     "ValidationException",
                     "Invalid UpdateExpression: The function is not allowed in an update "
                     f"expression; function: {fn}")


def test_update_undefined_placeholders(ddb, table_s):
    expect_error(lambda: upd(ddb, table_s, {"pk": {"S": "x"}}, "SET #c = if_not_exists(#c, :a)",
                             {":a": {"S": "a"}}, {"#a": "a"}),
                 "ValidationException",
                 "Invalid UpdateExpression: An expression attribute name used in the document "
                 "path is not defined; attribute name: #c")
    expect_error(lambda: upd(ddb, table_s, {"pk": {"S": "x"}}, "SET #a = if_not_exists(#a, :c)",
                             {":a": {"S": "a"}}, {"#a": "a"}),
                 "ValidationException",
                 "Invalid UpdateExpression: An expression attribute value used in expression is "
                 "not defined; attribute value: :c")


def test_update_unused_placeholders(ddb, table_s):
    expect_error(lambda: upd(ddb, table_s, {"pk": {"S": "x"}},
                             "remove a set b = list_append(b, if_not_exists(a, :a))",
                             {":a": {"S": "a"}, ":b": {"S": "a"}}, {"#a": "a", "#b": "b"},
                             ConditionExpression="a = :b"),
                 "ValidationException",
                 "Value provided in ExpressionAttributeNames unused in expressions: keys: "
                 "{#a, #b}")
    expect_error(lambda: upd(ddb, table_s, {"pk": {"S": "x"}}, "remove a",
                             {":a": {"S": "a"}, ":b": {"S": "a"}, ":c": {"S": "a"}},
                             ConditionExpression="a = :b"),
                 "ValidationException",
                 "Value provided in ExpressionAttributeValues unused in expressions: keys: "
                 "{:a, :c}")


def test_update_values_without_expressions(ddb, table_s):
    expect_error(lambda: upd(ddb, table_s, {"pk": {"S": "x"}}, None, {":a": {"S": "a"}}),
                 "ValidationException",
                 "ExpressionAttributeValues can only be specified when using expressions: "
                 "UpdateExpression and ConditionExpression are null")


@pytest.mark.parametrize("expr,one,two", [
    ("set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)", "[c, [1], a]", "[c]"),
    ("set c.b.#c = a, c = a, #d = a", "[c, b, c]", "[c]"),
    ("set a = b remove a, #c, #d", "[a]", "[a]"),
    ("set #c[3].#d = a, #c[3] = a", "[c, [3], [3]]", "[c, [3]]"),
    ("remove c, #c.a, #d", "[c]", "[c, a]"),
    ("remove a, #c, a, #d", "[a]", "[a]"),
])
def test_update_overlapping_paths(ddb, table_s, expr, one, two):
    expect_error(lambda: upd(ddb, table_s, {"pk": {"S": "x"}}, expr,
                             names={"#c": "c", "#d": "[3]"}),
                 "ValidationException",
                 "Invalid UpdateExpression: Two document paths overlap with each other; must "
                 f"remove or rewrite one of these paths; path one: {one}, path two: {two}")


@pytest.mark.parametrize("expr,one,two", [
    ("set #c[3].#d = a, #c.#d[3] = if_not_exists(a)", "[c, [3], [3]]", "[c, [3], [3]]"),
    ("remove a.#c set a[1] = #d", "[a, c]", "[a, [1]]"),
])
def test_update_conflicting_paths(ddb, table_s, expr, one, two):
    expect_error(lambda: upd(ddb, table_s, {"pk": {"S": "x"}}, expr,
                             names={"#c": "c", "#d": "[3]"}),
                 "ValidationException",
                 "Invalid UpdateExpression: Two document paths conflict with each other; must "
                 f"remove or rewrite one of these paths; path one: {one}, path two: {two}")


@pytest.mark.parametrize("expr,value,action,ty", [
    ("add a.b :a", {"S": "a"}, "ADD", "STRING"),
    ("delete a.b :a", {"S": "a"}, "DELETE", "STRING"),
    ("add a.b :a", {"NULL": True}, "ADD", "NULL"),
    ("delete a.b :a", {"BOOL": False}, "DELETE", "BOOLEAN"),
    ("add a.b :a", {"B": b"a"}, "ADD", "BINARY"),
    ("add a.b :a", {"M": {"a": {"L": [{"N": "1"}]}}}, "ADD", "MAP"),
    ("delete a.b :a", {"L": [{"N": "1"}]}, "DELETE", "LIST"),
    ("add a :a", {"L": [{"N": "1"}]}, "ADD", "LIST"),
    ("delete a :a", {"N": "1"}, "DELETE", "NUMBER"),
])
def test_add_delete_operand_types(ddb, table_s, expr, value, action, ty):
    expect_error(lambda: upd(ddb, table_s, {"pk": {"S": "x"}}, expr, {":a": value}),
                 "ValidationException",
                 "Invalid UpdateExpression: Incorrect operand type for operator or function; "
                 f"operator: {action}, operand type: {ty}, typeSet: ALLOWED_FOR_{action}_OPERAND")


@pytest.mark.parametrize("expr,fn,ty", [
    ("set a = list_append(:a, a)", "list_append", "S"),
    ("set a = list_append(a, :b)", "list_append", "N"),
    ("set a = list_append(:i, a)", "list_append", "M"),
    ("set a = a + :a", "+", "S"),
    ("set a = :a + :c", "+", "S"),
    ("set a = :c + a", "+", "B"),
    ("set a = a + :g", "+", "NS"),
    ("set a = a + :j", "+", "L"),
    ("set a = a - :d", "-", "BOOL"),
    ("set a = a - :e", "-", "NULL"),
    ("set a = a - :i", "-", "M"),
])
def test_function_operand_types(ddb, table_s, expr, fn, ty):
    values = {":a": {"S": "a"}, ":b": {"N": "1"}, ":c": {"B": b"a"}, ":d": {"BOOL": False},
              ":e": {"NULL": True}, ":g": {"NS": ["1"]}, ":i": {"M": {}}, ":j": {"L": []}}
    values = {k: v for k, v in values.items() if re.search(re.escape(k) + r"\b", expr)}
    expect_error(lambda: upd(ddb, table_s, {"pk": {"S": "x"}}, expr, values),
                 "ValidationException",
                 "Invalid UpdateExpression: Incorrect operand type for operator or function; "
                 f"operator or function: {fn}, operand type: {ty}")


@pytest.mark.parametrize("expr,fn,count", [
    ("set a = if_not_exists(c)", "if_not_exists", 1),
    ("set a = list_append(c)", "list_append", 1),
    ("set a = list_append(a, b, c)", "list_append", 3),
])
def test_update_function_operand_counts(ddb, table_s, expr, fn, count):
    expect_error(lambda: upd(ddb, table_s, {"pk": {"S": "x"}}, expr),
                 "ValidationException",
                 "Invalid UpdateExpression: Incorrect number of operands for operator or "
                 f"function; operator or function: {fn}, number of operands: {count}")


@pytest.mark.parametrize("expr", [
    "set a = if_not_exists(:a, c)",
    "set a = if_not_exists(if_not_exists(a, b), c)",
])
def test_if_not_exists_needs_path(ddb, table_s, expr):
    values = {":a": {"S": "a"}} if ":a" in expr else None
    expect_error(lambda: upd(ddb, table_s, {"pk": {"S": "x"}}, expr, values),
                 "ValidationException",
                 "Invalid UpdateExpression: Operator or function requires a document path; "
                 "operator or function: if_not_exists")


@pytest.mark.parametrize("kw", [
    {"UpdateExpression": "add pk :a", "ExpressionAttributeValues": {":a": {"N": "1"}}},
    {"UpdateExpression": "delete pk :a", "ExpressionAttributeValues": {":a": {"NS": ["1"]}}},
    {"UpdateExpression": "remove d set b = :a, pk = :a",
     "ExpressionAttributeValues": {":a": {"N": "1"}}},
    {"UpdateExpression": "remove pk"},
    {"UpdateExpression": "set pk = pk"},
    {"UpdateExpression": "set #k = :a", "ExpressionAttributeNames": {"#k": "pk"},
     "ExpressionAttributeValues": {":a": {"S": "x"}}},
])
def test_update_hash_key_rejected(ddb, table_s, kw):
    key = {"pk": {"S": "keyed"}}
    ddb.put_item(TableName=table_s, Item=key)
    expect_error(lambda: ddb.update_item(TableName=table_s, Key=key, **kw),
                 "ValidationException",
                 "One or more parameter values were invalid: Cannot update attribute pk. This "
                 "attribute is part of the key")
    assert get(ddb, table_s, key) == key


def test_update_range_key_rejected(ddb, table_sn):
    key = {"pk": {"S": "a"}, "sk": {"N": "1"}}
    expect_error(lambda: upd(ddb, table_sn, key, "set d[1] = :a add sk :a", {":a": {"N": "1"}}),
                 "ValidationException",
                 "One or more parameter values were invalid: Cannot update attribute sk. This "
                 "attribute is part of the key")
    assert get(ddb, table_sn, key) is None


@pytest.mark.parametrize("expr,values", [
    ("delete d :a", {":a": {"SS": ["1"]}}),
    ("delete b :a", {":a": {"NS": ["1"]}}),
    ("delete b.a :a", {":a": {"NS": ["1"]}}),
    ("delete c :a", {":a": {"NS": ["1"]}}),
    ("add b :a", {":a": {"NS": ["1"]}}),
    ("add d :a", {":a": {"N": "1"}}),
    ("add c :a", {":a": {"SS": ["x"]}}),
    ("set e = a + :a", {":a": {"N": "1"}}),
    ("set e = b - :a", {":a": {"N": "1"}}),
    ("set e = list_append(d, if_not_exists(f, :a))", {":a": {"L": []}}),
])
def test_update_incorrect_data_type_at_runtime(ddb, table_s, expr, values):
    key = {"pk": {"S": "types"}}
    ddb.put_item(TableName=table_s, Item={**key, "a": {"S": "s"}, "b": {"M": {"a": {"SS": ["1"]}}},
                                          "c": {"N": "1"}, "d": {"NS": ["1"]}})
    expect_error(lambda: upd(ddb, table_s, key, expr, values), "ValidationException",
                 "An operand in the update expression has an incorrect data type")


@pytest.mark.parametrize("expr", ["set c = b", "set e = list_append(b, c)", "set c = b + :one",
                                  "set c = :one - b"])
def test_update_refers_to_missing_attribute(ddb, table_s, expr):
    values = {":one": {"N": "1"}} if ":one" in expr else None
    expect_error(lambda: upd(ddb, table_s, {"pk": {"S": "nothing-here"}}, expr, values),
                 "ValidationException",
                 "The provided expression refers to an attribute that does not exist in the item")
    assert get(ddb, table_s, {"pk": {"S": "nothing-here"}}) is None


@pytest.mark.parametrize("expr", ["set b.a = :a", "set b[1] = :a"])
def test_update_invalid_path_on_missing_item(ddb, table_s, expr):
    expect_error(lambda: upd(ddb, table_s, {"pk": {"S": "np"}}, expr, {":a": {"SS": ["a"]}}),
                 "ValidationException",
                 "The document path provided in the update expression is invalid for update")


@pytest.mark.parametrize("expr", [
    "set b.a = :a, #1 = :a", "set b[1] = :a, #1 = :a", "set y.a = :a, #1 = :a",
    "set c[1] = :a, #1 = :a", "set d.#1 = :a", "remove b.a set #1 = :a",
    "remove y[1] set #1 = :a", "remove c[1] set #1 = :a", "delete b.a :a set #1 = :a",
    "add y.a :a set #1 = :a", "add d.#1 :a",
])
def test_update_invalid_path_on_existing_item(ddb, table_s, expr):
    """b is a string, c a map, d a list, y absent: none of these paths can be updated."""
    key = {"pk": {"S": "paths"}}
    ddb.put_item(TableName=table_s, Item={**key, "b": {"S": "s"}, "c": {"M": {"1": {"S": "a"}}},
                                          "d": {"L": [{"S": "a"}, {"S": "b"}]}})
    names = {"#1": "1"} if "#1" in expr else None
    expect_error(lambda: upd(ddb, table_s, key, expr, {":a": {"SS": ["a"]}}, names),
                 "ValidationException",
                 "The document path provided in the update expression is invalid for update")
    assert "1" not in get(ddb, table_s, key)


def test_update_item_size_limit(ddb, table_s):
    """The finished item may be 409,600 bytes (names + values), not one byte more. With a key
    attribute of at least 22 bytes UpdateItem's gate is the finished item's size (conformance
    itemSizeBySurface: min(409600, 409600 + bytes the update leaves alone - 22) for one SET)."""
    key_value = "k" * 40
    key = {"pk": {"S": key_value}}              # 2 + 40 = 42 bytes
    pad = 409_600 - 42 - len("b")
    upd(ddb, table_s, key, "SET b = :b", {":b": {"S": "x" * pad}})
    assert len(get(ddb, table_s, key)["b"]["S"]) == pad
    over = {"pk": {"S": "j" * 40}}
    expect_error(lambda: upd(ddb, table_s, over, "SET b = :b", {":b": {"S": "x" * (pad + 1)}}),
                 "ValidationException", UPDATE_TOO_BIG)
    assert get(ddb, table_s, over) is None
    # growing an existing item past the limit
    expect_error(lambda: upd(ddb, table_s, key, "SET c = :c", {":c": {"S": "y"}}),
                 "ValidationException", UPDATE_TOO_BIG)
    assert "c" not in get(ddb, table_s, key)


def test_failed_update_changes_nothing(ddb, table_s):
    key = {"pk": {"S": "atomic"}}
    ddb.put_item(TableName=table_s, Item={**key, "a": {"N": "1"}, "s": {"S": "x"}})
    expect_error(lambda: upd(ddb, table_s, key, "SET a = :two, b = s + :two",
                             {":two": {"N": "2"}}),
                 "ValidationException",
                 "An operand in the update expression has an incorrect data type")
    assert get(ddb, table_s, key) == {**key, "a": {"N": "1"}, "s": {"S": "x"}}


def test_updates_are_logged(native_host, ddb, table_s):
    """Each update that changes the item is one ItemPut record; one that changes nothing and a
    rejected one log nothing."""
    from test_log import check_log, dump_records
    key = {"pk": {"S": "logged"}}
    upd(ddb, table_s, key, "SET a = :one", {":one": {"N": "1"}})
    upd(ddb, table_s, key, "ADD a :one", {":one": {"N": "1"}})
    upd(ddb, table_s, key, "SET a = :two", {":two": {"N": "2"}})        # same value: no change
    upd(ddb, table_s, key)                                               # no expression: no change
    expect_error(lambda: upd(ddb, table_s, key, "SET a = a + :s", {":s": {"S": "x"}}),
                 "ValidationException")
    upd(ddb, table_s, key, "REMOVE a")
    check_log(dump_records(native_host, table_s),
              ["TableCreated", "ItemPut", "ItemPut", "ItemPut"])


# --- Removing from a missing item creates nothing (AWS: the item is not created) ---

@pytest.mark.parametrize("kw", [
    {"UpdateExpression": "REMOVE a"},
    {"UpdateExpression": "REMOVE a, b.c"},
    {"UpdateExpression": "DELETE s :v", "ExpressionAttributeValues": {":v": {"SS": ["x"]}}},
    {"UpdateExpression": "REMOVE a DELETE s :v",
     "ExpressionAttributeValues": {":v": {"SS": ["x"]}}},
    {"AttributeUpdates": {"a": {"Action": "DELETE"}}},
    {"AttributeUpdates": {"s": {"Action": "DELETE", "Value": {"SS": ["x"]}}}},
], ids=["remove", "remove-two", "delete-set", "remove-and-delete", "legacy-delete",
        "legacy-delete-set"])
@pytest.mark.parametrize("rv", ["NONE", "ALL_NEW", "UPDATED_NEW", "ALL_OLD", "UPDATED_OLD"])
def test_update_that_only_removes_creates_no_item(ddb, make_table, kw, rv):
    t = make_table(StreamSpecification={"StreamEnabled": True,
                                        "StreamViewType": "NEW_AND_OLD_IMAGES"})
    r = ddb.update_item(TableName=t, Key={"pk": {"S": "missing"}}, ReturnValues=rv, **kw)
    assert "Attributes" not in r, r
    assert "Item" not in ddb.get_item(TableName=t, Key={"pk": {"S": "missing"}},
                                      ConsistentRead=True)
    assert ddb.scan(TableName=t)["Count"] == 0


def test_update_that_only_removes_emits_no_stream_record(ddb, make_table, host):
    from streamsutil import StreamsClient, read_stream
    t = make_table(StreamSpecification={"StreamEnabled": True,
                                        "StreamViewType": "NEW_AND_OLD_IMAGES"})
    ddb.update_item(TableName=t, Key={"pk": {"S": "gone"}}, UpdateExpression="REMOVE a")
    # A write that does create something, so the stream is known to be readable.
    ddb.update_item(TableName=t, Key={"pk": {"S": "made"}}, UpdateExpression="SET a = :v",
                    ExpressionAttributeValues={":v": {"N": "1"}})
    arn = ddb.describe_table(TableName=t)["Table"]["LatestStreamArn"]
    recs = read_stream(StreamsClient(host), arn)
    keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in recs]
    assert keys == ["made"], recs


def test_update_with_set_and_remove_still_creates_the_item(ddb, table_s):
    r = ddb.update_item(TableName=table_s, Key={"pk": {"S": "k"}},
                        UpdateExpression="SET b = :v REMOVE a",
                        ExpressionAttributeValues={":v": {"S": "x"}}, ReturnValues="ALL_NEW")
    assert r["Attributes"] == {"pk": {"S": "k"}, "b": {"S": "x"}}


def test_update_with_no_actions_creates_the_key_only_item(ddb, table_s):
    ddb.update_item(TableName=table_s, Key={"pk": {"S": "bare"}})
    assert ddb.get_item(TableName=table_s, Key={"pk": {"S": "bare"}},
                        ConsistentRead=True)["Item"] == {"pk": {"S": "bare"}}
    ddb.update_item(TableName=table_s, Key={"pk": {"S": "bare2"}}, AttributeUpdates={})
    assert ddb.get_item(TableName=table_s, Key={"pk": {"S": "bare2"}},
                        ConsistentRead=True)["Item"] == {"pk": {"S": "bare2"}}


def test_remove_on_an_existing_item_keeps_the_item(ddb, table_s):
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "k"}, "a": {"N": "1"}})
    r = ddb.update_item(TableName=table_s, Key={"pk": {"S": "k"}}, UpdateExpression="REMOVE a",
                        ReturnValues="ALL_NEW")
    assert r["Attributes"] == {"pk": {"S": "k"}}


def test_transactional_update_that_only_removes_creates_no_item(ddb, table_s):
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": table_s, "Key": {"pk": {"S": "tx"}},
                    "UpdateExpression": "REMOVE a"}},
        {"Put": {"TableName": table_s, "Item": {"pk": {"S": "other"}}}},
    ])
    assert "Item" not in ddb.get_item(TableName=table_s, Key={"pk": {"S": "tx"}},
                                      ConsistentRead=True)
    assert ddb.scan(TableName=table_s)["Count"] == 1


@pytest.mark.parametrize("expr", ["SET a = a + :one", "SET a = a - :one", "ADD a :one"])
def test_arithmetic_that_loses_digits_is_an_overflow(ddb, table_s, expr):
    # AWS answers 1e50 + 1 (51 digits) with its overflow message (scylladb alternator
    # test_update_expression_plus_imprecise, run against AWS).
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "big"}, "a": {"N": "1e50"}})
    expect_error(lambda: ddb.update_item(TableName=table_s, Key={"pk": {"S": "big"}},
                                         UpdateExpression=expr,
                                         ExpressionAttributeValues={":one": {"N": "1"}}),
                 "ValidationException",
                 "Number overflow. Attempting to store a number with magnitude larger than "
                 "supported range")
