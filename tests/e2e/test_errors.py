"""Protocol-level behaviour: malformed bodies, unknown operations, error `__type` namespaces,
response headers, and "never a 500" on garbage input. Uses raw signed HTTP because boto3
cannot send these requests.

The full `__type` values are what AWS sends (e.g. architect/dynalite index.js and db/index.js,
recorded against AWS; issue threads quoting raw AWS bodies such as
"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException").
"""

import json

import pytest

from ddbutil import (JSON_CT, MSG_RNF_DATA, TARGET_PREFIX, expect_raw_error,
                     msg_rnf_table, unique_name)


@pytest.mark.parametrize("body", [b"{not json", b"{\"TableName\": ", b"\xff\xfe",
                                  b"{\"a\":1,}", b"nul", b"{'a': 1}"])
def test_malformed_json_is_serialization_exception(raw, body):
    r = raw.send(TARGET_PREFIX + "ListTables", body)
    expect_raw_error(r, "SerializationException", full_type=True)


def test_malformed_json_on_data_plane(raw, table_s):
    r = raw.send(TARGET_PREFIX + "PutItem",
                 b'{"TableName": "%s", "Item": {"pk": {"S": "x"}' % table_s.encode())
    expect_raw_error(r, "SerializationException", full_type=True)


@pytest.mark.parametrize("target", [
    TARGET_PREFIX + "FooBar",
    TARGET_PREFIX + "listtables",          # operation names are case-sensitive
    TARGET_PREFIX,
    "DynamoDB_20990101.ListTables",        # unknown API version
    "ListTables",
    "Foo.ListTables",
])
def test_unknown_operation(raw, target):
    r = raw.send(target, b"{}")
    expect_raw_error(r, "UnknownOperationException", full_type=True)


def test_missing_target_header(raw):
    r = raw.send(None, b"{}")
    assert 400 <= r.status < 500, r
    assert r.code == "UnknownOperationException", r


def test_wrong_member_type_is_serialization_exception(raw):
    r = raw.call("DescribeTable", {"TableName": 123})
    expect_raw_error(r, "SerializationException", full_type=True)


def test_wrong_attribute_value_member_type(raw, table_s):
    # AWS: "SerializationException: NUMBER_VALUE cannot be converted to String" for a JSON
    # number where a string member is expected (localstack/localstack#9412, quoting AWS).
    r = raw.call("PutItem", {"TableName": table_s, "Item": {"pk": {"S": "a"}, "n": {"N": 5}}})
    expect_raw_error(r, "SerializationException", "NUMBER_VALUE cannot be converted to String",
                     full_type=True)
    r = raw.call("PutItem", {"TableName": table_s, "Item": {"pk": {"S": 5}}})
    expect_raw_error(r, "SerializationException", "NUMBER_VALUE cannot be converted to String",
                     full_type=True)


def test_validation_exception_namespace(raw, table_s):
    r = raw.call("PutItem", {"TableName": table_s, "Item": {"other": {"S": "x"}}})
    expect_raw_error(r, "ValidationException",
                     "One or more parameter values were invalid: Missing the key pk in the item",
                     full_type=True)


def test_resource_not_found_namespace(raw):
    name = unique_name("missing")
    r = raw.call("DescribeTable", {"TableName": name})
    expect_raw_error(r, "ResourceNotFoundException", msg_rnf_table(name), full_type=True)
    r = raw.call("GetItem", {"TableName": name, "Key": {"pk": {"S": "a"}}})
    expect_raw_error(r, "ResourceNotFoundException", MSG_RNF_DATA, full_type=True)


def test_resource_in_use_namespace(raw, table_s):
    r = raw.call("CreateTable", {
        "TableName": table_s, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})
    expect_raw_error(r, "ResourceInUseException", f"Table already exists: {table_s}",
                     full_type=True)


def test_success_response_headers(raw, table_s):
    r = raw.call("DescribeTable", {"TableName": table_s})
    assert r.status == 200, r
    assert r.headers.get("Content-Type", "").startswith(JSON_CT), r.headers
    assert r.headers.get("x-amzn-RequestId"), r.headers


def test_error_response_headers(raw):
    r = raw.call("DescribeTable", {"TableName": unique_name("missing")})
    assert r.status == 400
    assert r.headers.get("Content-Type", "").startswith(JSON_CT), r.headers
    assert r.headers.get("x-amzn-RequestId"), r.headers


def test_application_json_content_type_accepted(raw):
    r = raw.send(TARGET_PREFIX + "ListTables", b"{}", content_type="application/json")
    assert r.status == 200, r
    assert "TableNames" in r.json


def test_unknown_members_are_ignored(raw, table_s):
    """AWS ignores members it does not know (forward compatibility of SDKs)."""
    r = raw.call("GetItem", {"TableName": table_s, "Key": {"pk": {"S": "x"}},
                             "SomeFutureParameter": {"x": 1}})
    assert r.status == 200, r


GARBAGE = [
    b"", b"null", b"[]", b"\"str\"", b"42", b"true", b"{\"TableName\": null}",
    b"{\"TableName\": []}", b"{\"TableName\": {}}", b"{\"Item\": 1}",
    b"{\"TableName\": \"T\", \"Item\": []}", b"{\"TableName\": \"T\", \"Item\": {\"pk\": []}}",
    b"{\"TableName\": \"T\", \"Item\": {\"pk\": null}}",
    b"{\"TableName\": \"T\", \"Item\": {\"pk\": {\"X\": \"1\"}}}",
    b"{\"TableName\": \"T\", \"Key\": {\"pk\": {\"N\": 1}}}",
    b"{\"TableName\": \"T\", \"Key\": {\"pk\": {\"B\": \"not base64!!\"}}}",
    b"{\"TableName\": \"T\", \"Key\": {\"pk\": {\"SS\": \"a\"}}}",
    b"{\"TableName\": \"T\", \"Key\": {\"pk\": {\"M\": []}}}",
    b"{\"TableName\": \"T\", \"Key\": {\"pk\": {\"L\": {}}}}",
    b"{\"TableName\": \"T\", \"Key\": {\"pk\": {\"BOOL\": \"yes\"}}}",
    b"{\"TableName\": \"T\", \"Key\": {\"pk\": {\"NULL\": false}}}",
    b"{\"TableName\": \"T\", \"Limit\": -1}", b"{\"TableName\": \"T\", \"Limit\": 1e99}",
    b"{\"TableName\": \"T\", \"Limit\": \"5\"}",
    b"{\"TableName\": \"T\", \"KeyConditionExpression\": 5}",
    b"{\"TableName\": \"T\", \"KeyConditionExpression\": \"pk = = :v\"}",
    b"{\"TableName\": \"T\", \"KeyConditionExpression\": \"((((((\"}",
    b"{\"TableName\": \"T\", \"ExclusiveStartKey\": \"x\"}",
    b"{\"TableName\": \"T\", \"ExpressionAttributeValues\": {\":v\": {}}}",
    b"{\"TableName\": \"T\", \"AttributeDefinitions\": [{}], \"KeySchema\": [{}]}",
    b"{\"TableName\": \"T\", \"KeySchema\": [{\"AttributeName\": \"pk\", \"KeyType\": 5}]}",
    b"{\"TableName\": \"T\", \"ProvisionedThroughput\": {\"ReadCapacityUnits\": -5}}",
    b"{\"TableName\": \"T\", \"Item\": {\"pk\": {\"N\": \"1" + b"0" * 5000 + b"\"}}}",
    b"{\"TableName\": \"T\", \"Item\": " + b"{\"a\": {\"M\": " * 200 + b"{}" + b"}}" * 200 + b"}",
    b"{\"TableName\": \"" + b"x" * 100_000 + b"\"}",
    json.dumps({"TableName": "T", "Item": {"pk": {"S": "\ud800"}}}).encode(),
    b"{\"TableName\": \"T\", \"Item\": {\"pk\": {\"S\": \"\\ud800\"}}}",
]
OPS = ["CreateTable", "DescribeTable", "DeleteTable", "ListTables", "PutItem", "GetItem",
       "DeleteItem", "Query", "Scan"]


@pytest.mark.parametrize("op", OPS)
def test_never_500_on_garbage(raw, table_sn, op):
    """Whatever arrives, the answer is a DynamoDB-shaped 4xx (or a 200), never a 5xx."""
    failures = []
    # never aim a table-level mutation at the live table (DeleteTable ignores unknown members)
    target = unique_name("garbage") if op in ("DeleteTable", "CreateTable") else table_sn
    for body in GARBAGE:
        body = body.replace(b"\"T\"", b"\"" + target.encode() + b"\"")
        r = raw.send(TARGET_PREFIX + op, body)
        ok = r.status == 200 or (400 <= r.status < 500 and r.code is not None)
        if not ok:
            failures.append((body[:120], r.status, r.text[:200]))
    assert not failures, f"{op}: non-DynamoDB-shaped responses: {failures}"
    # the server is still healthy and the table intact
    r = raw.call("DescribeTable", {"TableName": table_sn})
    assert r.status == 200, r


def test_unsigned_request_on_loopback(host):
    """The local servers accept any SigV4-shaped credentials on loopback; an unsigned request
    is either accepted or refused the AWS way (MissingAuthenticationTokenException), never a
    5xx."""
    from ddbutil import Raw
    r = Raw(host.endpoint).send(TARGET_PREFIX + "ListTables", b"{}", sign=False)
    if r.status != 200:
        expect_raw_error(r, "MissingAuthenticationTokenException",
                         "Request is missing Authentication Token")


def test_other_credentials_accepted(host):
    """On loopback without --auth, any key works (as DynamoDB Local); test_auth.py covers a
    host that verifies signatures."""
    if host.enforces_auth:
        pytest.skip("this host verifies signatures against stored keys")
    import boto3
    from botocore.config import Config
    c = boto3.client("dynamodb", endpoint_url=host.endpoint, region_name="us-east-1",
                     aws_access_key_id="SOMEOTHERKEY", aws_secret_access_key="whatever",
                     config=Config(retries={"max_attempts": 0}, read_timeout=30))
    assert "TableNames" in c.list_tables()


# --- Several invalid parameters are reported together, in AWS's order per operation ---
# Sources: nubo-db/dynamodb-conformance 2026-06 captures (us-east-1) for PutItem, DeleteItem
# and UpdateItem orders and the data plane's null / empty TableName; architect/dynalite
# test/putItem.js, query.js and scan.js (recorded against AWS) for the rest.

def test_put_item_reports_every_invalid_enum(raw, table_s):
    r = raw.call("PutItem", {"TableName": table_s, "Item": {"pk": {"S": "a"}},
                             "ReturnValues": "x", "ReturnConsumedCapacity": "y",
                             "ReturnItemCollectionMetrics": "z"})
    expect_raw_error(r, "ValidationException",
                     "3 validation errors detected: "
                     "Value 'x' at 'returnValues' failed to satisfy constraint: Member must "
                     "satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]; "
                     "Value 'y' at 'returnConsumedCapacity' failed to satisfy constraint: Member "
                     "must satisfy enum value set: [INDEXES, TOTAL, NONE]; "
                     "Value 'z' at 'returnItemCollectionMetrics' failed to satisfy constraint: "
                     "Member must satisfy enum value set: [SIZE, NONE]")


def test_update_item_orders_capacity_before_return_values(raw, table_s):
    r = raw.call("UpdateItem", {"TableName": table_s, "Key": {"pk": {"S": "a"}},
                                "ReturnValues": "x", "ReturnConsumedCapacity": "y"})
    expect_raw_error(r, "ValidationException",
                     "2 validation errors detected: "
                     "Value 'y' at 'returnConsumedCapacity' failed to satisfy constraint: Member "
                     "must satisfy enum value set: [INDEXES, TOTAL, NONE]; "
                     "Value 'x' at 'returnValues' failed to satisfy constraint: Member must "
                     "satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]")


def test_data_plane_null_and_empty_table_names(raw):
    r = raw.call("PutItem", {})
    expect_raw_error(r, "ValidationException",
                     "2 validation errors detected: Value null at 'tableName' failed to "
                     "satisfy constraint: Member must not be null; Value null at 'item' failed "
                     "to satisfy constraint: Member must not be null")
    r = raw.call("GetItem", {"TableName": "", "Key": {"pk": {"S": "a"}}})
    expect_raw_error(r, "ValidationException",
                     "1 validation error detected: Value '' at 'tableName' failed to satisfy "
                     "constraint: Member must have length greater than or equal to 1")
    r = raw.call("DeleteItem", {"TableName": "abc", "ReturnValues": "x"})
    expect_raw_error(r, "ValidationException",
                     "2 validation errors detected: Value 'x' at 'returnValues' failed to "
                     "satisfy constraint: Member must satisfy enum value set: [ALL_NEW, "
                     "UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]; Value null at 'key' failed to "
                     "satisfy constraint: Member must not be null")


def test_scan_reports_at_most_ten(raw):
    r = raw.call("Scan", {"TableName": "abc;", "ReturnConsumedCapacity": "hi",
                          "AttributesToGet": [], "IndexName": "abc;", "Segment": -1,
                          "TotalSegments": -1, "Select": "hi", "Limit": -1,
                          "ConditionalOperator": "AN"})
    assert r.status == 400 and r.code == "ValidationException", r
    assert r.message.startswith("9 validation errors detected: Value '-1' at 'limit'"), r
    for part in ["'totalSegments'", "'returnConsumedCapacity'", "'attributesToGet'",
                 "'select'", "Value 'abc;' at 'tableName'", "'segment'",
                 "Value 'abc;' at 'indexName'", "Value 'AN' at 'conditionalOperator'"]:
        assert part in r.message, (part, r)
    r = raw.call("Scan", {"TableName": "", "ReturnConsumedCapacity": "hi",
                          "AttributesToGet": [], "IndexName": "a;", "Segment": -1,
                          "TotalSegments": -1, "Select": "hi", "Limit": -1,
                          "ConditionalOperator": "AN"})
    assert r.message.startswith("10 validation errors detected: "), r
    assert r.message.count("failed to satisfy constraint") == 10, r


def test_query_reports_limit_select_and_names_together(raw):
    r = raw.call("Query", {"TableName": "abc;", "IndexName": "abc;", "Select": "hi",
                           "Limit": 0, "KeyConditionExpression": "pk = :p",
                           "ExpressionAttributeValues": {":p": {"S": "x"}}})
    expect_raw_error(r, "ValidationException",
                     "4 validation errors detected: "
                     "Value '0' at 'limit' failed to satisfy constraint: Member must have value "
                     "greater than or equal to 1; "
                     "Value 'hi' at 'select' failed to satisfy constraint: Member must satisfy "
                     "enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, "
                     "ALL_PROJECTED_ATTRIBUTES]; "
                     "Value 'abc;' at 'tableName' failed to satisfy constraint: Member must "
                     "satisfy regular expression pattern: [a-zA-Z0-9_.-]+; "
                     "Value 'abc;' at 'indexName' failed to satisfy constraint: Member must "
                     "satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
