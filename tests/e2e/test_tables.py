"""CreateTable / DescribeTable / ListTables / DeleteTable.

Exact messages: AWS wording as recorded by the nubo-db/dynamodb-conformance suite (run against
real DynamoDB: tests/tier3/error-messages/createTable.test.ts, captures/2026-06-09-*.json),
architect/dynalite's tests (recorded against AWS), and AWS SDK feature files.
"""

import datetime as dt
import re

import pytest

from ddbutil import (REGION, create_table_kwargs, expect_error, msg_rnf_table, unique_name)

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _sorted_defs(defs):
    return sorted(defs, key=lambda d: d["AttributeName"])


def check_description(desc, kw, *, allow_creating=False):
    name = kw["TableName"]
    assert desc["TableName"] == name
    ok_status = ("ACTIVE", "CREATING") if allow_creating else ("ACTIVE",)
    assert desc["TableStatus"] in ok_status
    assert desc["KeySchema"] == kw["KeySchema"]
    assert _sorted_defs(desc["AttributeDefinitions"]) == _sorted_defs(kw["AttributeDefinitions"])
    assert desc["ItemCount"] == 0
    assert desc["TableSizeBytes"] == 0
    assert re.fullmatch(rf"arn:aws:dynamodb:{REGION}:\d{{12}}:table/{re.escape(name)}",
                        desc["TableArn"]), desc["TableArn"]
    assert UUID_RE.match(desc["TableId"]), desc["TableId"]
    created = desc["CreationDateTime"]
    assert isinstance(created, dt.datetime)
    now = dt.datetime.now(dt.timezone.utc)
    assert abs((now - created).total_seconds()) < 600, created
    pt = desc["ProvisionedThroughput"]
    assert pt["NumberOfDecreasesToday"] == 0
    if kw.get("BillingMode") == "PAY_PER_REQUEST":
        assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert pt["ReadCapacityUnits"] == 0 and pt["WriteCapacityUnits"] == 0
    else:
        assert pt["ReadCapacityUnits"] == kw["ProvisionedThroughput"]["ReadCapacityUnits"]
        assert pt["WriteCapacityUnits"] == kw["ProvisionedThroughput"]["WriteCapacityUnits"]
        if "BillingModeSummary" in desc:
            assert desc["BillingModeSummary"]["BillingMode"] == "PROVISIONED"


@pytest.fixture
def cleanup(ddb):
    names = []
    yield names
    for n in names:
        try:
            ddb.delete_table(TableName=n)
        except Exception:
            pass


def expect_create_error(client, kw, code, message=None, **more):
    """CreateTable must fail; if the server wrongly creates the table, drop it again."""
    try:
        return expect_error(lambda: client.create_table(**kw), code, message, **more)
    finally:
        if isinstance(kw.get("TableName"), str):
            try:
                client.delete_table(TableName=kw["TableName"])
            except Exception:
                pass


# ---- CreateTable: positive ---------------------------------------------------------------


@pytest.mark.parametrize("hash_type", ["S", "N", "B"])
@pytest.mark.parametrize("range_type", [None, "S", "N", "B"])
@pytest.mark.parametrize("billing", ["PAY_PER_REQUEST", "PROVISIONED"])
def test_create_table_shapes(ddb, cleanup, hash_type, range_type, billing):
    name = unique_name(f"ct-{hash_type}{range_type or ''}")
    kw = create_table_kwargs(name, ("pk", hash_type), ("sk", range_type) if range_type else None,
                             billing, throughput=(3, 7))
    cleanup.append(name)
    resp = ddb.create_table(**kw)
    check_description(resp["TableDescription"], kw, allow_creating=True)
    desc = ddb.describe_table(TableName=name)["Table"]
    check_description(desc, kw)
    assert desc["TableArn"] == resp["TableDescription"]["TableArn"]
    assert desc["TableId"] == resp["TableDescription"]["TableId"]


def test_create_table_provisioned_without_billing_mode(ddb, cleanup):
    """BillingMode omitted means PROVISIONED (ProvisionedThroughput required)."""
    name = unique_name("ct-default-billing")
    kw = create_table_kwargs(name, billing=None, throughput=(1, 2))
    cleanup.append(name)
    ddb.create_table(**kw)
    check_description(ddb.describe_table(TableName=name)["Table"], kw)


def test_create_table_allowed_name_characters(ddb, cleanup):
    u = unique_name("")[-10:]
    names = [f"A.b-c_{u}", f"...{u}", f"___{u}", f"-_-{u}", f"0{u}"[:3], (u * 30)[:255]]
    names[4] = f"9{u[:2]}"  # exactly 3 characters
    for name in names:
        cleanup.append(name)
        ddb.create_table(**create_table_kwargs(name))
        assert ddb.describe_table(TableName=name)["Table"]["TableName"] == name
    listed = list_all_tables(ddb)
    for name in names:
        assert name in listed


def test_create_table_key_attribute_names_any_utf8(ddb, cleanup):
    name = unique_name("ct-attrnames")
    kw = create_table_kwargs(name, ("partition key é", "S"), ("sörtkey.with.dots", "N"))
    cleanup.append(name)
    ddb.create_table(**kw)
    check_description(ddb.describe_table(TableName=name)["Table"], kw)


def test_table_ids_are_unique(ddb, make_table):
    a = ddb.describe_table(TableName=make_table())["Table"]["TableId"]
    b = ddb.describe_table(TableName=make_table())["Table"]["TableId"]
    assert a != b


def test_describe_table_is_stable(ddb, table_s):
    d1 = ddb.describe_table(TableName=table_s)["Table"]
    d2 = ddb.describe_table(TableName=table_s)["Table"]
    for k in ("TableId", "TableArn", "CreationDateTime", "KeySchema", "AttributeDefinitions"):
        assert d1[k] == d2[k]


# ---- CreateTable: negative -----------------------------------------------------------------


def test_create_existing_table(ddb, table_s):
    kw = create_table_kwargs(table_s)
    expect_error(lambda: ddb.create_table(**kw), "ResourceInUseException",
                 f"Table already exists: {table_s}")


def test_create_existing_table_different_schema(ddb, table_s):
    kw = create_table_kwargs(table_s, ("other", "N"), ("x", "B"))
    expect_error(lambda: ddb.create_table(**kw), "ResourceInUseException",
                 f"Table already exists: {table_s}")
    # the original schema is untouched
    desc = ddb.describe_table(TableName=table_s)["Table"]
    assert desc["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]


def test_create_table_missing_key_schema(ddb_noval):
    kw = create_table_kwargs(unique_name("ct-nokeys"))
    del kw["KeySchema"]
    expect_create_error(ddb_noval, kw, "ValidationException",
                 "1 validation error detected: Value null at 'keySchema' failed to satisfy "
                 "constraint: Member must not be null")


def test_create_table_missing_attribute_definitions(ddb_noval):
    kw = create_table_kwargs(unique_name("ct-nodefs"))
    del kw["AttributeDefinitions"]
    expect_create_error(ddb_noval, kw, "ValidationException",
                 "1 validation error detected: Value null at 'attributeDefinitions' failed to "
                 "satisfy constraint: Member must not be null")


def test_create_table_empty_key_schema(ddb_noval):
    kw = create_table_kwargs(unique_name("ct-emptykeys"))
    kw["KeySchema"] = []
    expect_create_error(ddb_noval, kw, "ValidationException",
                 "1 validation error detected: Value '[]' at 'keySchema' failed to satisfy "
                 "constraint: Member must have length greater than or equal to 1")


def test_create_table_missing_table_name(ddb_noval):
    kw = create_table_kwargs("placeholder")
    del kw["TableName"]
    expect_create_error(ddb_noval, kw, "ValidationException",
                 "The parameter 'TableName' is required but was not present in the request")


def test_create_table_key_not_in_attribute_definitions(ddb):
    kw = create_table_kwargs(unique_name("ct-undef"))
    kw["AttributeDefinitions"] = [{"AttributeName": "other", "AttributeType": "S"}]
    expect_create_error(ddb, kw, "ValidationException",
                 "One or more parameter values were invalid: Some index key attributes are not "
                 "defined in AttributeDefinitions. Keys: [pk], AttributeDefinitions: [other]")


def test_create_table_extra_attribute_definition(ddb):
    kw = create_table_kwargs(unique_name("ct-extra"))
    kw["AttributeDefinitions"].append({"AttributeName": "extra", "AttributeType": "S"})
    expect_create_error(ddb, kw, "ValidationException",
                 "One or more parameter values were invalid: Number of attributes in KeySchema "
                 "does not exactly match number of attributes defined in AttributeDefinitions")


def test_create_table_range_key_not_defined(ddb):
    kw = create_table_kwargs(unique_name("ct-norange"), range_key=("sk", "S"))
    kw["AttributeDefinitions"] = kw["AttributeDefinitions"][:1]
    expect_create_error(ddb, kw, "ValidationException",
                 "Invalid KeySchema: Some index key attribute have no definition")


def test_create_table_same_hash_and_range_name(ddb):
    kw = create_table_kwargs(unique_name("ct-dupkey"))
    kw["KeySchema"].append({"AttributeName": "pk", "KeyType": "RANGE"})
    expect_create_error(ddb, kw, "ValidationException",
                 "Invalid KeySchema: Some index key attribute have no definition")


def test_create_table_first_key_not_hash(ddb):
    kw = create_table_kwargs(unique_name("ct-rangefirst"), range_key=("sk", "S"))
    kw["KeySchema"] = [{"AttributeName": "sk", "KeyType": "RANGE"},
                       {"AttributeName": "pk", "KeyType": "HASH"}]
    expect_create_error(ddb, kw, "ValidationException",
                 "Invalid KeySchema: The first KeySchemaElement is not a HASH key type")


def test_create_table_two_hash_keys(ddb):
    kw = create_table_kwargs(unique_name("ct-twohash"), range_key=("sk", "S"))
    kw["KeySchema"][1]["KeyType"] = "HASH"
    expect_create_error(ddb, kw, "ValidationException",
                 "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")


def test_create_table_three_keys(ddb_noval):
    kw = create_table_kwargs(unique_name("ct-3keys"), range_key=("sk", "S"))
    kw["AttributeDefinitions"].append({"AttributeName": "extra", "AttributeType": "S"})
    kw["KeySchema"].append({"AttributeName": "extra", "KeyType": "RANGE"})
    expect_create_error(ddb_noval, kw, "ValidationException",
                 "1 validation error detected: Value '[KeySchemaElement(attributeName=pk, "
                 "keyType=HASH), KeySchemaElement(attributeName=sk, keyType=RANGE), "
                 "KeySchemaElement(attributeName=extra, keyType=RANGE)]' at 'keySchema' failed "
                 "to satisfy constraint: Member must have length less than or equal to 2")


def test_create_table_bad_attribute_type(ddb_noval):
    kw = create_table_kwargs(unique_name("ct-badtype"))
    kw["AttributeDefinitions"][0]["AttributeType"] = "SS"
    expect_create_error(ddb_noval, kw, "ValidationException",
                 "1 validation error detected: Value 'SS' at "
                 "'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: "
                 "Member must satisfy enum value set: [B, N, S]")


def test_create_table_bad_key_type(ddb_noval):
    kw = create_table_kwargs(unique_name("ct-badkeytype"))
    kw["KeySchema"][0]["KeyType"] = "INVALID"
    expect_create_error(ddb_noval, kw, "ValidationException",
                 "1 validation error detected: Value 'INVALID' at 'keySchema.1.member.keyType' "
                 "failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]")


def test_create_table_bad_billing_mode(ddb_noval):
    kw = create_table_kwargs(unique_name("ct-badbilling"))
    kw["BillingMode"] = "FREE"
    expect_create_error(ddb_noval, kw, "ValidationException",
                 "1 validation error detected: Value 'FREE' at 'billingMode' failed to satisfy "
                 "constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]")


def test_create_table_provisioned_without_throughput(ddb):
    kw = create_table_kwargs(unique_name("ct-nothroughput"))
    kw["BillingMode"] = "PROVISIONED"
    expect_create_error(ddb, kw, "ValidationException",
                 "One or more parameter values were invalid: ReadCapacityUnits and "
                 "WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")


def test_create_table_pay_per_request_with_throughput(ddb):
    kw = create_table_kwargs(unique_name("ct-ppr-throughput"))
    kw["ProvisionedThroughput"] = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    expect_create_error(ddb, kw, "ValidationException",
                 "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
                 "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")


def test_create_table_name_too_short(ddb_noval):
    kw = create_table_kwargs("ab")
    expect_create_error(ddb_noval, kw, "ValidationException",
                 "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy "
                 "constraint: Member must have length greater than or equal to 3")


def test_create_table_name_too_long(ddb_noval):
    name = "a" * 256
    kw = create_table_kwargs(name)
    expect_create_error(ddb_noval, kw, "ValidationException",
                 f"1 validation error detected: Value '{name}' at 'tableName' failed to satisfy "
                 "constraint: Member must have length less than or equal to 255")


@pytest.mark.parametrize("name", ["bad table!@#", "abc;", "tab/le", "tåble", "a:b"])
def test_create_table_name_bad_characters(ddb_noval, name):
    kw = create_table_kwargs(name)
    expect_create_error(ddb_noval, kw, "ValidationException",
                 f"1 validation error detected: Value '{name}' at 'tableName' failed to satisfy "
                 "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")


def test_failed_create_leaves_no_table(ddb, ddb_noval):
    name = unique_name("ct-failed")
    kw = create_table_kwargs(name)
    kw["AttributeDefinitions"].append({"AttributeName": "extra", "AttributeType": "S"})
    expect_create_error(ddb, kw, "ValidationException")
    expect_error(lambda: ddb.describe_table(TableName=name), "ResourceNotFoundException",
                 msg_rnf_table(name))
    assert name not in list_all_tables(ddb)


# ---- DescribeTable / DeleteTable -------------------------------------------------------------


def test_describe_missing_table(ddb):
    name = unique_name("missing")
    expect_error(lambda: ddb.describe_table(TableName=name), "ResourceNotFoundException",
                 msg_rnf_table(name))


def test_delete_missing_table(ddb):
    name = unique_name("missing")
    expect_error(lambda: ddb.delete_table(TableName=name), "ResourceNotFoundException",
                 msg_rnf_table(name))


def test_describe_table_name_too_short(ddb_noval):
    # AWS runs both constraints and reports both (order as AWS lists them).
    expect_error(lambda: ddb_noval.describe_table(TableName=""), "ValidationException",
                 contains=["Member must have length greater than or equal to 3"])


def test_delete_table(ddb):
    name = unique_name("dt")
    kw = create_table_kwargs(name, range_key=("sk", "N"))
    ddb.create_table(**kw)
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    desc = ddb.delete_table(TableName=name)["TableDescription"]
    assert desc["TableName"] == name
    assert desc["TableStatus"] == "DELETING"
    # A deleting table is described without its key schema, definitions, creation time and
    # indexes (alternator test_delete_table_description*, run against AWS; AWS API docs).
    for member in ["KeySchema", "AttributeDefinitions", "CreationDateTime",
                   "GlobalSecondaryIndexes", "LocalSecondaryIndexes"]:
        assert member not in desc, member
    assert desc["TableArn"].endswith(f":table/{name}") and desc["TableId"]
    assert desc["ItemCount"] == 1 and desc["TableSizeBytes"] > 0
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    expect_error(lambda: ddb.describe_table(TableName=name), "ResourceNotFoundException",
                 msg_rnf_table(name))
    assert name not in list_all_tables(ddb)
    expect_error(lambda: ddb.delete_table(TableName=name), "ResourceNotFoundException",
                 msg_rnf_table(name))


def test_data_plane_on_deleted_table(ddb):
    name = unique_name("dt-data")
    ddb.create_table(**create_table_kwargs(name))
    ddb.delete_table(TableName=name)
    expect_error(lambda: ddb.get_item(TableName=name, Key={"pk": {"S": "a"}}),
                 "ResourceNotFoundException", "Requested resource not found")
    expect_error(lambda: ddb.put_item(TableName=name, Item={"pk": {"S": "a"}}),
                 "ResourceNotFoundException", "Requested resource not found")


def test_recreate_after_delete(ddb):
    name = unique_name("recreate")
    ddb.create_table(**create_table_kwargs(name))
    try:
        first_id = ddb.describe_table(TableName=name)["Table"]["TableId"]
        ddb.put_item(TableName=name, Item={"pk": {"S": "old"}, "v": {"N": "1"}})
        ddb.delete_table(TableName=name)
        # re-create with a different key type
        kw = create_table_kwargs(name, ("pk", "N"), ("sk", "S"))
        ddb.create_table(**kw)
        desc = ddb.describe_table(TableName=name)["Table"]
        check_description(desc, kw)
        assert desc["TableId"] != first_id
        assert ddb.scan(TableName=name)["Items"] == []
        ddb.put_item(TableName=name, Item={"pk": {"N": "1"}, "sk": {"S": "x"}})
        assert ddb.scan(TableName=name)["Count"] == 1
    finally:
        try:
            ddb.delete_table(TableName=name)
        except Exception:
            pass


# ---- ListTables ------------------------------------------------------------------------------


def list_all_tables(ddb, limit=None):
    names, start = [], None
    for _ in range(100_000):
        kw = {}
        if limit:
            kw["Limit"] = limit
        if start:
            kw["ExclusiveStartTableName"] = start
        page = ddb.list_tables(**kw)
        names.extend(page["TableNames"])
        start = page.get("LastEvaluatedTableName")
        if not start:
            return names
    raise AssertionError("ListTables pagination did not terminate")


def test_list_tables_contains_created(ddb, make_table):
    mine = [make_table() for _ in range(3)]
    names = ddb.list_tables()["TableNames"]
    for n in mine:
        assert n in names


def test_list_tables_sorted(ddb, make_table):
    prefix = unique_name("lt")
    for suffix in ("B", "a", "C", "b", "A", "_", "-", ".", "0", "9"):
        make_table(name=f"{prefix}{suffix}")
    names = list_all_tables(ddb)
    assert names == sorted(names), "ListTables must return names in ascending (byte) order"
    mine = [n for n in names if n.startswith(prefix)]
    assert mine == sorted(f"{prefix}{s}" for s in ("B", "a", "C", "b", "A", "_", "-", ".", "0", "9"))


def test_list_tables_limit(ddb, make_table):
    for _ in range(3):
        make_table()
    page = ddb.list_tables(Limit=2)
    assert len(page["TableNames"]) == 2
    assert page["LastEvaluatedTableName"] == page["TableNames"][-1]


@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_list_tables_pagination(ddb, make_table, limit):
    prefix = unique_name(f"ltp{limit}")
    mine = sorted(make_table(name=f"{prefix}-{i:02d}") for i in range(6))
    everything = list_all_tables(ddb)
    paged = list_all_tables(ddb, limit=limit)
    assert paged == everything
    assert len(set(paged)) == len(paged)
    assert [n for n in paged if n.startswith(prefix)] == mine


def test_list_tables_exclusive_start(ddb, make_table):
    prefix = unique_name("lts")
    names = sorted(make_table(name=f"{prefix}-{i}") for i in range(4))
    page = ddb.list_tables(ExclusiveStartTableName=names[1], Limit=100)
    got = [n for n in page["TableNames"] if n.startswith(prefix)]
    assert got == names[2:]
    assert all(n > names[1] for n in page["TableNames"])
    # an ExclusiveStartTableName that is not a table still works (it is just a position)
    page = ddb.list_tables(ExclusiveStartTableName=names[1] + "0", Limit=100)
    assert [n for n in page["TableNames"] if n.startswith(prefix)] == names[2:]


def test_list_tables_deleted_table_gone(ddb):
    name = unique_name("ltd")
    ddb.create_table(**create_table_kwargs(name))
    assert name in list_all_tables(ddb)
    ddb.delete_table(TableName=name)
    assert name not in list_all_tables(ddb)


def test_list_tables_limit_zero(ddb_noval):
    expect_error(lambda: ddb_noval.list_tables(Limit=0), "ValidationException",
                 "1 validation error detected: Value '0' at 'limit' failed to satisfy "
                 "constraint: Member must have value greater than or equal to 1")


def test_list_tables_limit_too_big(ddb_noval):
    expect_error(lambda: ddb_noval.list_tables(Limit=101), "ValidationException",
                 "1 validation error detected: Value '101' at 'limit' failed to satisfy "
                 "constraint: Member must have value less than or equal to 100")


def test_key_attribute_names_up_to_255_bytes(ddb_noval, make_table):
    # The model's AttributeDefinition / KeySchemaElement AttributeName: 1-255 (alternator
    # test_table.py checks 255 is accepted and 256 refused, against AWS).
    ok = "k" * 255
    t = make_table(hash_key=(ok, "S"))
    assert ddb_noval.describe_table(TableName=t)["Table"]["KeySchema"][0]["AttributeName"] == ok
    long = "k" * 256
    kw = create_table_kwargs(unique_name("longkey"), hash_key=(long, "S"))
    r = expect_error(lambda: ddb_noval.create_table(**kw), "ValidationException")
    msg = r["Error"]["Message"]
    assert msg.startswith("2 validation errors detected: "), msg
    for at in ["attributeDefinitions.1.member.attributeName", "keySchema.1.member.attributeName"]:
        assert (f"Value '{long}' at '{at}' failed to satisfy constraint: Member must have "
                "length less than or equal to 255") in msg, msg
    kw = create_table_kwargs(unique_name("longgsi"))
    kw["AttributeDefinitions"].append({"AttributeName": long, "AttributeType": "S"})
    kw["GlobalSecondaryIndexes"] = [{"IndexName": "g", "Projection": {"ProjectionType": "ALL"},
                                     "KeySchema": [{"AttributeName": long, "KeyType": "HASH"}]}]
    expect_error(lambda: ddb_noval.create_table(**kw), "ValidationException",
                 contains=["length less than or equal to 255"])


def test_empty_attribute_definition_reports_type_before_name(raw):
    r = raw.call("CreateTable", {"TableName": "abc", "BillingMode": "PAY_PER_REQUEST",
                                 "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                 "AttributeDefinitions": [{}]})
    assert r.message == (
        "2 validation errors detected: Value null at 'attributeDefinitions.1.member."
        "attributeType' failed to satisfy constraint: Member must not be null; Value null at "
        "'attributeDefinitions.1.member.attributeName' failed to satisfy constraint: Member "
        "must not be null"), r
