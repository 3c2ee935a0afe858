"""PutItem / GetItem / DeleteItem: every attribute type, numbers, binary, ReturnValues and the
validation errors.

Sources for exact messages: nubo-db/dynamodb-conformance tests/tier3/error-messages/*.test.ts
(run against real DynamoDB), architect/dynalite test/*.js and db/index.js (recorded from AWS),
issue threads quoting real AWS responses (key size limits: facebook/ThreatExchange#1324,
formkiq/formkiq-core#271; number normalisation: ExtendDB/extenddb#7 "verified against real
DynamoDB").
"""

from decimal import Decimal

import pytest

from ddbutil import (ALL_TYPES_ITEM, MSG_HASH_KEY_TOO_BIG, MSG_KEY_SCHEMA, MSG_RANGE_KEY_TOO_BIG,
                     MSG_RNF_DATA, canon, expect_error, expect_raw_error, msg_empty_key,
                     msg_missing_key, msg_type_mismatch, unique_name)


def get(ddb, table, key, **kw):
    return ddb.get_item(TableName=table, Key=key, **kw)


# ---- round trips -----------------------------------------------------------------------------


def test_put_get_all_types(ddb, table_s):
    ddb.put_item(TableName=table_s, Item=ALL_TYPES_ITEM)
    got = get(ddb, table_s, {"pk": {"S": "all-types"}})["Item"]
    assert canon(got) == canon(ALL_TYPES_ITEM)


def test_get_consistent_read(ddb, table_s):
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "c"}, "v": {"N": "1"}})
    for consistent in (True, False):
        got = get(ddb, table_s, {"pk": {"S": "c"}}, ConsistentRead=consistent)
        assert got["Item"] == {"pk": {"S": "c"}, "v": {"N": "1"}}


def test_get_missing_item_has_no_item_key(ddb, table_s):
    resp = get(ddb, table_s, {"pk": {"S": "nope"}})
    assert "Item" not in resp
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_put_replaces_whole_item(ddb, table_s):
    key = {"pk": {"S": "r"}}
    ddb.put_item(TableName=table_s, Item={**key, "a": {"S": "1"}, "b": {"S": "2"}})
    ddb.put_item(TableName=table_s, Item={**key, "c": {"S": "3"}})
    assert get(ddb, table_s, key)["Item"] == {**key, "c": {"S": "3"}}


def test_put_response_is_empty(ddb, table_s):
    resp = ddb.put_item(TableName=table_s, Item={"pk": {"S": "e"}})
    assert "Attributes" not in resp


def test_items_are_isolated_by_key_and_table(ddb, make_table):
    t1, t2 = make_table(), make_table()
    ddb.put_item(TableName=t1, Item={"pk": {"S": "k"}, "t": {"S": "one"}})
    ddb.put_item(TableName=t2, Item={"pk": {"S": "k"}, "t": {"S": "two"}})
    ddb.put_item(TableName=t1, Item={"pk": {"S": "K"}, "t": {"S": "upper"}})
    assert get(ddb, t1, {"pk": {"S": "k"}})["Item"]["t"] == {"S": "one"}
    assert get(ddb, t2, {"pk": {"S": "k"}})["Item"]["t"] == {"S": "two"}
    assert get(ddb, t1, {"pk": {"S": "K"}})["Item"]["t"] == {"S": "upper"}
    assert "Item" not in get(ddb, t2, {"pk": {"S": "K"}})


@pytest.mark.parametrize("hash_type,range_type", [
    ("S", None), ("N", None), ("B", None),
    ("S", "S"), ("S", "N"), ("S", "B"), ("N", "S"), ("N", "N"), ("B", "B"), ("B", "N"),
])
def test_key_types_round_trip(ddb, make_table, hash_type, range_type):
    samples = {"S": ["a", "é", "𝄞x", "with space"],
               "N": ["0", "-1", "1.5", "99999999999999999999999999999999999999"],
               "B": [b"\x00", b"\xff", b"\x00\x01\x02", bytes(range(200))]}
    t = make_table(("pk", hash_type), ("sk", range_type) if range_type else None)
    keys = []
    for i, h in enumerate(samples[hash_type]):
        key = {"pk": {hash_type: h}}
        if range_type:
            key["sk"] = {range_type: samples[range_type][-1 - i]}
        keys.append(key)
        ddb.put_item(TableName=t, Item={**key, "i": {"N": str(i)}})
    for i, key in enumerate(keys):
        item = get(ddb, t, key)["Item"]
        assert canon(item) == canon({**key, "i": {"N": str(i)}})


def test_binary_round_trip_exact(ddb, make_table):
    t = make_table(("pk", "B"))
    blobs = [bytes(range(256)), b"\x00" * 100, b"\xff" * 3, "unicode ✓".encode(), b"=+/"]
    for i, blob in enumerate(blobs):
        ddb.put_item(TableName=t, Item={"pk": {"B": blob}, "v": {"B": blob[::-1]},
                                        "bs": {"BS": [blob, blob + b"\x01"]}})
    for blob in blobs:
        item = get(ddb, t, {"pk": {"B": blob}})["Item"]
        assert item["pk"]["B"] == blob
        assert item["v"]["B"] == blob[::-1]
        assert sorted(item["bs"]["BS"]) == sorted([blob, blob + b"\x01"])


# ---- numbers ---------------------------------------------------------------------------------

# DynamoDB stores numbers as decimals and returns them normalised: no leading/trailing
# zeros, no exponent, "-0" is "0" (ExtendDB/extenddb#7 table "verified against real DynamoDB":
# 00042 -> 42, -0 -> 0, 1.5E2 -> 150, 1.0 -> 1; boto/boto3#4693 shows AWS returning
# '1234567891234560000000000000000000000000' in plain notation).
NORMALISED = [
    ("1.50", "1.5"),
    ("-1.50", "-1.5"),
    ("00042", "42"),
    ("-0", "0"),
    ("0.000", "0"),
    ("1.0", "1"),
    ("1.5E2", "150"),
    ("1e2", "100"),
    ("12E-1", "1.2"),
    ("1e-3", "0.001"),
    ("123.4560", "123.456"),
    ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
    ("1234567891234560000000000000000000000000", "1234567891234560000000000000000000000000"),
    ("-0.00000000000000000000000000000000000001", "-0.00000000000000000000000000000000000001"),
]


@pytest.mark.parametrize("given,expected", NORMALISED)
def test_number_normalisation_non_key(ddb, table_s, given, expected):
    key = {"pk": {"S": f"num-{given}"}}
    ddb.put_item(TableName=table_s, Item={**key, "n": {"N": given},
                                          "m": {"M": {"n": {"N": given}}},
                                          "l": {"L": [{"N": given}]},
                                          "ns": {"NS": [given]}})
    item = get(ddb, table_s, key)["Item"]
    assert item["n"] == {"N": expected}
    assert item["m"]["M"]["n"] == {"N": expected}
    assert item["l"]["L"][0] == {"N": expected}
    assert item["ns"] == {"NS": [expected]}


def test_number_key_normalisation_is_identity(ddb, make_table):
    """Equal numbers are the same key however they are written."""
    t = make_table(("pk", "N"), ("sk", "N"))
    ddb.put_item(TableName=t, Item={"pk": {"N": "1.50"}, "sk": {"N": "100"}, "v": {"S": "first"}})
    item = get(ddb, t, {"pk": {"N": "1.5"}, "sk": {"N": "1E2"}})["Item"]
    assert item == {"pk": {"N": "1.5"}, "sk": {"N": "100"}, "v": {"S": "first"}}
    ddb.put_item(TableName=t, Item={"pk": {"N": "01.500"}, "sk": {"N": "100.0"},
                                    "v": {"S": "second"}})
    assert ddb.scan(TableName=t)["Count"] == 1
    assert get(ddb, t, {"pk": {"N": "1.5"}, "sk": {"N": "100"}})["Item"]["v"] == {"S": "second"}
    ddb.put_item(TableName=t, Item={"pk": {"N": "-0"}, "sk": {"N": "0"}})
    assert "Item" in get(ddb, t, {"pk": {"N": "0"}, "sk": {"N": "-0.0"}})


def test_number_extremes_accepted(ddb, table_s):
    """The documented range ends are accepted and come back with the same value (AWS returns
    plain notation; compared numerically here)."""
    values = ["9.9999999999999999999999999999999999999E+125",
              "-9.9999999999999999999999999999999999999E+125", "1E-130", "-1E-130"]
    key = {"pk": {"S": "extremes"}}
    ddb.put_item(TableName=table_s,
                 Item={**key, **{f"n{i}": {"N": v} for i, v in enumerate(values)}})
    item = get(ddb, table_s, key)["Item"]
    for i, v in enumerate(values):
        assert Decimal(item[f"n{i}"]["N"]) == Decimal(v)
        assert "e" not in item[f"n{i}"]["N"].lower(), item[f"n{i}"]["N"]


@pytest.mark.parametrize("value,message", [
    ("abc", "The parameter cannot be converted to a numeric value: abc"),
    ("1.2.3", "The parameter cannot be converted to a numeric value: 1.2.3"),
    ("NaN", "The parameter cannot be converted to a numeric value: NaN"),
    ("Infinity", "The parameter cannot be converted to a numeric value: Infinity"),
    ("0x10", "The parameter cannot be converted to a numeric value: 0x10"),
    ("", "The parameter cannot be converted to a numeric value"),
    ("123456789012345678901234567890123456789",
     "Attempting to store more than 38 significant digits in a Number"),
    ("-1.23456789012345678901234567890123456789",
     "Attempting to store more than 38 significant digits in a Number"),
    ("1e126", "Number overflow. Attempting to store a number with magnitude larger than "
              "supported range"),
    ("-1e126", "Number overflow. Attempting to store a number with magnitude larger than "
               "supported range"),
    ("1e-131", "Number underflow. Attempting to store a number with magnitude smaller than "
               "supported range"),
    ("-1e-131", "Number underflow. Attempting to store a number with magnitude smaller than "
                "supported range"),
])
@pytest.mark.parametrize("where", ["attr", "nested", "set", "key"])
def test_invalid_numbers(ddb, shared_table, value, message, where):
    if where == "key":
        t = shared_table("badnum-key", ("pk", "N"))
        item = {"pk": {"N": value}}
    else:
        t = shared_table("badnum")
        wrapped = {"attr": {"N": value},
                   "nested": {"M": {"x": {"L": [{"N": value}]}}},
                   "set": {"NS": ["1", value]}}[where]
        item = {"pk": {"S": "badnum"}, "v": wrapped}
    expect_error(lambda: ddb.put_item(TableName=t, Item=item), "ValidationException", message)
    assert ddb.scan(TableName=t)["Count"] == 0


# ---- sets ------------------------------------------------------------------------------------

# Empty sets (us-east-1 wording; note AWS's double space and "An string"):
# nubo-db/dynamodb-conformance tests/tier3/error-messages/putItem.test.ts, dynalite test/query.js.
@pytest.mark.parametrize("attr,message", [
    ({"SS": []}, "One or more parameter values were invalid: An string set  may not be empty"),
    ({"NS": []}, "One or more parameter values were invalid: An number set  may not be empty"),
    ({"BS": []}, "One or more parameter values were invalid: Binary sets should not be empty"),
])
def test_empty_sets_rejected(ddb_noval, table_s, attr, message):
    expect_error(lambda: ddb_noval.put_item(TableName=table_s,
                                            Item={"pk": {"S": "es"}, "bad": attr}),
                 "ValidationException", message)


def test_empty_set_nested_rejected(ddb_noval, table_s):
    expect_error(lambda: ddb_noval.put_item(
        TableName=table_s, Item={"pk": {"S": "es"}, "m": {"M": {"bad": {"SS": []}}}}),
        "ValidationException",
        "One or more parameter values were invalid: An string set  may not be empty")


def test_duplicate_string_set_rejected(ddb, table_s):
    # AWS renders the collection as [a, a] (us-east-1) or ["a", "a"] (newer regions).
    expect_error(lambda: ddb.put_item(TableName=table_s,
                                      Item={"pk": {"S": "d"}, "bad": {"SS": ["a", "b", "a"]}}),
                 "ValidationException", one_of=[
                     "One or more parameter values were invalid: Input collection [a, b, a] "
                     "contains duplicates.",
                     'One or more parameter values were invalid: Input collection ["a", "b", '
                     '"a"] contains duplicates.'])


def test_duplicate_number_set_rejected(ddb, table_s):
    expect_error(lambda: ddb.put_item(TableName=table_s,
                                      Item={"pk": {"S": "d"}, "bad": {"NS": ["1", "2", "1"]}}),
                 "ValidationException", contains=["contains duplicates"])


def test_duplicate_binary_set_rejected(ddb, table_s):
    expect_error(lambda: ddb.put_item(TableName=table_s,
                                      Item={"pk": {"S": "d"}, "bad": {"BS": [b"\x01", b"\x01"]}}),
                 "ValidationException", contains=["contains duplicates"])


def test_sets_round_trip_as_sets(ddb, table_s):
    key = {"pk": {"S": "sets"}}
    item = {**key, "ss": {"SS": ["z", "a", "m"]}, "ns": {"NS": ["10", "-1", "2.5"]},
            "bs": {"BS": [b"\x02", b"\x01"]}}
    ddb.put_item(TableName=table_s, Item=item)
    got = get(ddb, table_s, key)["Item"]
    assert canon(got) == canon(item)


# ---- attribute value shape errors (raw HTTP: boto3 refuses to send these) --------------------


def test_attribute_value_with_two_types(raw, table_s):
    r = raw.call("PutItem", {"TableName": table_s,
                             "Item": {"pk": {"S": "x"}, "v": {"S": "a", "N": "1"}}})
    expect_raw_error(r, "ValidationException",
                     "Supplied AttributeValue has more than one datatypes set, must contain "
                     "exactly one of the supported datatypes")


def test_attribute_value_empty(raw, table_s):
    r = raw.call("PutItem", {"TableName": table_s, "Item": {"pk": {"S": "x"}, "v": {}}})
    expect_raw_error(r, "ValidationException",
                     "Supplied AttributeValue is empty, must contain exactly one of the "
                     "supported datatypes")


# ---- key validation --------------------------------------------------------------------------


def test_put_missing_hash_key(ddb, table_s):
    expect_error(lambda: ddb.put_item(TableName=table_s, Item={"other": {"S": "x"}}),
                 "ValidationException", msg_missing_key("pk"))


def test_put_missing_range_key(ddb, table_sn):
    expect_error(lambda: ddb.put_item(TableName=table_sn, Item={"pk": {"S": "x"}}),
                 "ValidationException", msg_missing_key("sk"))


@pytest.mark.parametrize("given", [{"N": "1"}, {"B": b"x"}, {"SS": ["a"]}, {"BOOL": True},
                                   {"NULL": True}, {"M": {}}, {"L": []}])
def test_put_hash_key_type_mismatch(ddb, table_s, given):
    actual = next(iter(given))
    expect_error(lambda: ddb.put_item(TableName=table_s, Item={"pk": given}),
                 "ValidationException", msg_type_mismatch("pk", "S", actual))


def test_put_range_key_type_mismatch(ddb, table_sn):
    expect_error(lambda: ddb.put_item(TableName=table_sn,
                                      Item={"pk": {"S": "a"}, "sk": {"S": "1"}}),
                 "ValidationException", msg_type_mismatch("sk", "N", "S"))


def test_put_empty_string_hash_key(ddb, table_s):
    expect_error(lambda: ddb.put_item(TableName=table_s, Item={"pk": {"S": ""}}),
                 "ValidationException", msg_empty_key("pk"))


def test_put_empty_string_range_key(ddb, make_table):
    t = make_table(range_key=("sk", "S"))
    expect_error(lambda: ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "sk": {"S": ""}}),
                 "ValidationException", msg_empty_key("sk"))


def test_put_empty_binary_key(ddb, make_table):
    t = make_table(("pk", "B"))
    expect_error(lambda: ddb.put_item(TableName=t, Item={"pk": {"B": b""}}),
                 "ValidationException", msg_empty_key("pk", "binary"))


def test_get_empty_string_key(ddb, table_s):
    expect_error(lambda: get(ddb, table_s, {"pk": {"S": ""}}),
                 "ValidationException", msg_empty_key("pk"))


def test_get_empty_binary_key(ddb, make_table):
    t = make_table(("pk", "B"))
    expect_error(lambda: get(ddb, t, {"pk": {"B": b""}}), "ValidationException",
                 msg_empty_key("pk", "binary"))


def test_hash_key_size_limit(ddb, make_table):
    t = make_table()
    ddb.put_item(TableName=t, Item={"pk": {"S": "k" * 2048}})           # 2048 bytes: ok
    ddb.put_item(TableName=t, Item={"pk": {"S": "é" * 1024}})           # 2048 UTF-8 bytes: ok
    assert "Item" in get(ddb, t, {"pk": {"S": "é" * 1024}})
    for too_big in ("k" * 2049, "é" * 1024 + "x", "é" * 1025):
        expect_error(lambda: ddb.put_item(TableName=t, Item={"pk": {"S": too_big}}),
                     "ValidationException", MSG_HASH_KEY_TOO_BIG)


def test_hash_key_size_limit_binary(ddb, make_table):
    t = make_table(("pk", "B"))
    ddb.put_item(TableName=t, Item={"pk": {"B": b"\xff" * 2048}})
    expect_error(lambda: ddb.put_item(TableName=t, Item={"pk": {"B": b"\xff" * 2049}}),
                 "ValidationException", MSG_HASH_KEY_TOO_BIG)


def test_range_key_size_limit(ddb, make_table):
    t = make_table(range_key=("sk", "S"))
    ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "sk": {"S": "s" * 1024}})
    ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "sk": {"S": "ß" * 512}})
    for too_big in ("s" * 1025, "ß" * 512 + "x"):
        expect_error(lambda: ddb.put_item(TableName=t,
                                          Item={"pk": {"S": "a"}, "sk": {"S": too_big}}),
                     "ValidationException", MSG_RANGE_KEY_TOO_BIG)


def test_range_key_size_limit_binary(ddb, make_table):
    t = make_table(range_key=("sk", "B"))
    ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "sk": {"B": b"\x00" * 1024}})
    expect_error(lambda: ddb.put_item(TableName=t,
                                      Item={"pk": {"S": "a"}, "sk": {"B": b"\x00" * 1025}}),
                 "ValidationException", MSG_RANGE_KEY_TOO_BIG)


def test_item_size_limit(ddb, table_s):
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "big"}, "v": {"S": "x" * 390_000}})
    expect_error(lambda: ddb.put_item(TableName=table_s,
                                      Item={"pk": {"S": "big2"}, "v": {"S": "x" * 410_000}}),
                 "ValidationException", "Item size has exceeded the maximum allowed size")
    assert "Item" not in get(ddb, table_s, {"pk": {"S": "big2"}})


@pytest.mark.parametrize("key", [
    {"pk": {"N": "1"}},                      # wrong type
    {"other": {"S": "x"}},                   # wrong attribute
    {"pk": {"S": "x"}, "extra": {"S": "y"}},  # extra attribute
])
def test_get_key_schema_mismatch_hash(ddb, table_s, key):
    expect_error(lambda: get(ddb, table_s, key), "ValidationException", MSG_KEY_SCHEMA)


@pytest.mark.parametrize("key", [
    {"pk": {"S": "x"}},                       # missing range key
    {"pk": {"S": "x"}, "sk": {"S": "1"}},     # wrong range type
    {"sk": {"N": "1"}},                       # missing hash key
])
def test_get_key_schema_mismatch_composite(ddb, table_sn, key):
    expect_error(lambda: get(ddb, table_sn, key), "ValidationException", MSG_KEY_SCHEMA)


@pytest.mark.parametrize("key", [{"pk": {"N": "1"}}, {"pk": {"S": "x"}, "sk": {"N": "1"}}])
def test_delete_key_schema_mismatch(ddb, table_s, key):
    expect_error(lambda: ddb.delete_item(TableName=table_s, Key=key), "ValidationException",
                 MSG_KEY_SCHEMA)


def test_missing_table_data_plane(ddb):
    name = unique_name("missing")
    expect_error(lambda: ddb.put_item(TableName=name, Item={"pk": {"S": "a"}}),
                 "ResourceNotFoundException", MSG_RNF_DATA)
    expect_error(lambda: get(ddb, name, {"pk": {"S": "a"}}),
                 "ResourceNotFoundException", MSG_RNF_DATA)
    expect_error(lambda: ddb.delete_item(TableName=name, Key={"pk": {"S": "a"}}),
                 "ResourceNotFoundException", MSG_RNF_DATA)


def test_put_bad_table_name(ddb_noval):
    expect_error(lambda: ddb_noval.put_item(TableName="bad table!@#", Item={"pk": {"S": "a"}}),
                 "ValidationException",
                 "1 validation error detected: Value 'bad table!@#' at 'tableName' failed to "
                 "satisfy constraint: Member must satisfy regular expression pattern: "
                 "[a-zA-Z0-9_.-]+")


def test_failed_put_changes_nothing(ddb, table_s):
    key = {"pk": {"S": "keep"}}
    ddb.put_item(TableName=table_s, Item={**key, "v": {"S": "original"}})
    expect_error(lambda: ddb.put_item(TableName=table_s,
                                      Item={**key, "v": {"S": "new"}, "bad": {"NS": ["x"]}}),
                 "ValidationException")
    assert get(ddb, table_s, key)["Item"]["v"] == {"S": "original"}


# ---- ReturnValues ----------------------------------------------------------------------------


def test_put_return_values_all_old(ddb, table_s):
    key = {"pk": {"S": "rv"}}
    first = {**key, "v": {"N": "1"}, "m": {"M": {"x": {"SS": ["a"]}}}}
    resp = ddb.put_item(TableName=table_s, Item=first, ReturnValues="ALL_OLD")
    assert "Attributes" not in resp  # nothing was there
    resp = ddb.put_item(TableName=table_s, Item={**key, "v": {"N": "2"}}, ReturnValues="ALL_OLD")
    assert canon(resp["Attributes"]) == canon(first)
    resp = ddb.put_item(TableName=table_s, Item={**key, "v": {"N": "3"}}, ReturnValues="NONE")
    assert "Attributes" not in resp
    assert get(ddb, table_s, key)["Item"] == {**key, "v": {"N": "3"}}


def test_delete_return_values_all_old(ddb, table_sn):
    key = {"pk": {"S": "d"}, "sk": {"N": "5"}}
    item = {**key, "b": {"B": b"\x00\x01"}, "l": {"L": [{"NULL": True}]}}
    ddb.put_item(TableName=table_sn, Item=item)
    resp = ddb.delete_item(TableName=table_sn, Key=key, ReturnValues="ALL_OLD")
    assert canon(resp["Attributes"]) == canon(item)
    assert "Item" not in get(ddb, table_sn, key)
    resp = ddb.delete_item(TableName=table_sn, Key=key, ReturnValues="ALL_OLD")
    assert "Attributes" not in resp


def test_delete_item(ddb, table_s):
    key = {"pk": {"S": "del"}}
    ddb.put_item(TableName=table_s, Item={**key, "v": {"S": "x"}})
    resp = ddb.delete_item(TableName=table_s, Key=key)
    assert "Attributes" not in resp
    assert "Item" not in get(ddb, table_s, key)


def test_delete_missing_item_succeeds(ddb, table_s):
    resp = ddb.delete_item(TableName=table_s, Key={"pk": {"S": "never-existed"}})
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "Attributes" not in resp


def test_delete_then_put_again(ddb, table_s):
    key = {"pk": {"S": "again"}}
    ddb.put_item(TableName=table_s, Item={**key, "v": {"N": "1"}})
    ddb.delete_item(TableName=table_s, Key=key)
    ddb.put_item(TableName=table_s, Item={**key, "w": {"N": "2"}})
    assert get(ddb, table_s, key)["Item"] == {**key, "w": {"N": "2"}}


@pytest.mark.parametrize("rv", ["ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"])
def test_put_return_values_not_allowed(ddb, table_s, rv):
    expect_error(lambda: ddb.put_item(TableName=table_s, Item={"pk": {"S": "x"}},
                                      ReturnValues=rv),
                 "ValidationException", "ReturnValues can only be ALL_OLD or NONE")
    assert "Item" not in get(ddb, table_s, {"pk": {"S": "x"}})


@pytest.mark.parametrize("rv", ["ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"])
def test_delete_return_values_not_allowed(ddb, table_s, rv):
    ddb.put_item(TableName=table_s, Item={"pk": {"S": "x"}})
    expect_error(lambda: ddb.delete_item(TableName=table_s, Key={"pk": {"S": "x"}},
                                         ReturnValues=rv),
                 "ValidationException", "ReturnValues can only be ALL_OLD or NONE")
    assert "Item" in get(ddb, table_s, {"pk": {"S": "x"}})


def test_return_values_garbage(ddb_noval, table_s):
    expect_error(lambda: ddb_noval.put_item(TableName=table_s, Item={"pk": {"S": "x"}},
                                            ReturnValues="GARBAGE"),
                 "ValidationException",
                 "1 validation error detected: Value 'GARBAGE' at 'returnValues' failed to "
                 "satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, "
                 "ALL_OLD, NONE, UPDATED_NEW]")
