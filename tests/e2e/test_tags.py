"""Tags: TagResource, UntagResource, ListTagsOfResource and CreateTable's `Tags`, on table
and stream ARNs, with AWS's rules and messages.

Sources for exact messages and behaviour (live probes of real DynamoDB):
- aws-controllers-k8s/dynamodb-controller docs/api-quirks (DDB-TABLE-011/071/101/105/107/
  108/109/110/136/372/373/442/446, DDB-BACKUP-013): ARN errors ("ARNs must start with
  'arn:'", "Provided Arn is not a DynamoDB resource arn", "only table or stream is
  accepted", "Requested resource not found: ResourceArn: … not found", "Access is denied"),
  key/value/prefix/duplicate/count/size messages, "Atleast one Tag needs to be provided as
  Input.", CreateTable with `Tags=[]` accepted, tags never in DescribeTable.
- scylladb alternator test/alternator/test_tag.py (runs against AWS): overwrite, untagging
  absent keys, `{"Tags": []}` when untagged, 50-tag limit.
- mhart/dynalite test/tagResource.js (recorded against AWS): null members.
"""

import pytest

from ddbutil import expect_error, unique_name


def arn_of(ddb, table):
    return ddb.describe_table(TableName=table)["Table"]["TableArn"]


def tags_of(ddb, arn):
    r = ddb.list_tags_of_resource(ResourceArn=arn)
    assert "NextToken" not in r
    return {t["Key"]: t["Value"] for t in r["Tags"]}


def test_tag_list_and_untag_a_table(ddb, table_s):
    arn = arn_of(ddb, table_s)
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == []
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "storage"},
                                            {"Key": "empty", "Value": ""}])
    assert tags_of(ddb, arn) == {"team": "storage", "empty": ""}
    # An existing key takes the new value; others stay.
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "infra"}])
    assert tags_of(ddb, arn) == {"team": "infra", "empty": ""}
    # Untagging an absent key is no error; present keys in the same request still go.
    ddb.untag_resource(ResourceArn=arn, TagKeys=["empty", "never-set"])
    assert tags_of(ddb, arn) == {"team": "infra"}
    # DescribeTable never shows tags.
    assert "Tags" not in ddb.describe_table(TableName=table_s)["Table"]


def test_keys_are_case_sensitive_and_not_trimmed(ddb, table_s):
    arn = arn_of(ddb, table_s)
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": k, "Value": k} for k in
                                            ["Env", "env", "k", "k ", " k"]])
    assert set(tags_of(ddb, arn)) == {"Env", "env", "k", "k ", " k"}


def test_unicode_letters_and_the_allowed_punctuation(ddb, table_s):
    arn = arn_of(ddb, table_s)
    tags = {"名前": "値 ñ", "a_b.c:d/e=f+g-h@i": "x y", "é" * 128: "v" * 256}
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    assert tags_of(ddb, arn) == tags


def test_create_table_with_tags(ddb, make_table):
    t = make_table(Tags=[{"Key": "owner", "Value": "me"}, {"Key": "cost", "Value": "42"}])
    assert tags_of(ddb, arn_of(ddb, t)) == {"owner": "me", "cost": "42"}
    assert "Tags" not in ddb.describe_table(TableName=t)["Table"]


def test_create_table_with_an_empty_tag_list(ddb, make_table):
    t = make_table(Tags=[])
    assert tags_of(ddb, arn_of(ddb, t)) == {}


def test_create_table_with_invalid_tags_creates_nothing(ddb, make_table):
    name = unique_name("badtags")
    expect_error(lambda: make_table(name=name, Tags=[{"Key": "aws:x", "Value": "v"}]),
                 "ValidationException", "Tag Key cannot be prefixed with aws:, Key: aws:x")
    expect_error(lambda: make_table(name=name, Tags=[{"Key": f"k{i}", "Value": ""}
                                                     for i in range(51)]),
                 "ValidationException",
                 "Number of Tags exceed the current limit for the provided ResourceArn")
    expect_error(lambda: ddb.describe_table(TableName=name), "ResourceNotFoundException")


def test_fifty_tags_and_not_one_more(ddb, table_s):
    arn = arn_of(ddb, table_s)
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": ""} for i in range(50)])
    assert len(tags_of(ddb, arn)) == 50
    # Setting an existing key again is fine at the limit; a new key is not.
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k0", "Value": "again"}])
    expect_error(lambda: ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "new", "Value": ""}]),
                 "ValidationException",
                 "Number of Tags exceed the current limit for the provided ResourceArn")
    # All or nothing: the valid tag of a refused request is not applied.
    expect_error(lambda: ddb.tag_resource(ResourceArn=arn, Tags=[
        {"Key": "k1", "Value": "changed"}, {"Key": "new", "Value": ""}]), "ValidationException")
    assert tags_of(ddb, arn)["k1"] == ""
    assert tags_of(ddb, arn)["k0"] == "again"


def test_tag_set_size_limit(ddb, table_s):
    arn = arn_of(ddb, table_s)
    tags = [{"Key": f"{i:0>128}", "Value": "v" * 200} for i in range(40)]
    expect_error(lambda: ddb.tag_resource(ResourceArn=arn, Tags=tags), "ValidationException",
                 "Tag set size 13120 bytes is above max size limit of 10240 bytes")
    assert tags_of(ddb, arn) == {}


@pytest.mark.parametrize("tag,message", [
    ({"Key": "", "Value": "v"}, "The Tag Key provided is invalid, Key: "),
    ({"Key": "k" * 129, "Value": "v"}, "The Tag Key provided is invalid, Key: " + "k" * 129),
    ({"Key": "a#b", "Value": "v"}, "The Tag Key provided is invalid, Key: a#b"),
    ({"Key": "k", "Value": "v" * 257}, "The Tag Value provided is invalid, Value: " + "v" * 257),
    ({"Key": "k", "Value": "a,b"}, "The Tag Value provided is invalid, Value: a,b"),
    ({"Key": "aws:owner", "Value": "v"}, "Tag Key cannot be prefixed with aws:, Key: aws:owner"),
    ({"Key": "AWS:owner", "Value": "v"}, "Tag Key cannot be prefixed with aws:, Key: AWS:owner"),
    ({"Value": "v"}, "The Tag Key provided is invalid, Key: null"),
    ({"Key": "k"}, "The Tag Value provided is invalid, Value: null"),
], ids=["empty-key", "long-key", "bad-char-key", "long-value", "bad-char-value", "aws-prefix",
        "aws-prefix-upper", "no-key", "no-value"])
def test_invalid_tags(ddb_noval, table_s, tag, message):
    arn = arn_of(ddb_noval, table_s)
    expect_error(lambda: ddb_noval.tag_resource(ResourceArn=arn, Tags=[tag]),
                 "ValidationException", message)


def test_duplicate_keys_and_empty_lists(ddb_noval, table_s):
    arn = arn_of(ddb_noval, table_s)
    expect_error(lambda: ddb_noval.tag_resource(ResourceArn=arn, Tags=[
        {"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"}]), "ValidationException",
        "Duplicate Tag Keys provided as input: Duplicate Tag Key found dup")
    expect_error(lambda: ddb_noval.tag_resource(ResourceArn=arn, Tags=[]),
                 "ValidationException", "Atleast one Tag needs to be provided as Input.")
    expect_error(lambda: ddb_noval.untag_resource(ResourceArn=arn, TagKeys=[]),
                 "ValidationException", "Atleast one Tag Key needs to be provided as Input.")
    expect_error(lambda: ddb_noval.untag_resource(ResourceArn=arn, TagKeys=["aws:x"]),
                 "ValidationException", "Tag Key cannot be prefixed with aws:, Key: aws:x")
    expect_error(lambda: ddb_noval.untag_resource(ResourceArn=arn,
                                                  TagKeys=[f"k{i}" for i in range(51)]),
                 "ValidationException",
                 "Number of Tags exceed the current limit for the provided ResourceArn")


def test_null_members(raw):
    r = raw.call("TagResource", {})
    assert r.status == 400 and r.code == "ValidationException", r
    assert r.message == (
        "2 validation errors detected: Value null at 'resourceArn' failed to satisfy "
        "constraint: Member must not be null; Value null at 'tags' failed to satisfy "
        "constraint: Member must not be null"), r
    r = raw.call("UntagResource", {"ResourceArn": "arn:aws:dynamodb:us-east-1:1:table/abc"})
    assert r.message == ("1 validation error detected: Value null at 'tagKeys' failed to "
                         "satisfy constraint: Member must not be null"), r
    r = raw.call("ListTagsOfResource", {})
    assert r.message == ("1 validation error detected: Value null at 'resourceArn' failed to "
                         "satisfy constraint: Member must not be null"), r


def test_malformed_arns(ddb_noval, table_s):
    arn = arn_of(ddb_noval, table_s)
    prefix = arn.rsplit(":", 1)[0]
    bad = "One or more parameter values were invalid: "
    cases = [
        (table_s, f"{bad}ARNs must start with 'arn:': {table_s}"),
        ("arn:aws:s3:::bucket", f"{bad}Provided Arn is not a DynamoDB resource arn: "
                                "arn:aws:s3:::bucket"),
        (f"{prefix}:tabl/{table_s}", f"{bad}Provided Arn is not a DynamoDB resource arn: "
                                     f"{prefix}:tabl/{table_s}"),
        (f"{arn}/index/ix", f"{bad}Invalid resource arn provided, only table or stream is "
                            f"accepted. Provided resource arn: {arn}/index/ix"),
        (f"{arn}/backup/01795788000123-0a1b2c3d",
         f"{bad}Provided Arn is not a DynamoDB resource arn: {arn}/backup/01795788000123-0a1b2c3d"),
    ]
    for resource, message in cases:
        for call in (lambda: ddb_noval.list_tags_of_resource(ResourceArn=resource),
                     lambda: ddb_noval.tag_resource(ResourceArn=resource,
                                                    Tags=[{"Key": "k", "Value": "v"}]),
                     lambda: ddb_noval.untag_resource(ResourceArn=resource, TagKeys=["k"])):
            expect_error(call, "ValidationException", message)


def test_arn_of_another_region_or_account(ddb_noval, table_s, host):
    arn = arn_of(ddb_noval, table_s)
    parts = arn.split(":")
    other_region = ":".join(parts[:3] + ["eu-west-3"] + parts[4:])
    other_account = ":".join(parts[:4] + ["999999999999"] + parts[5:])
    if host.enforces_auth:
        # The caller's policies are checked first, and they name only its own region's
        # and account's tables.
        for resource in (other_region, other_account):
            expect_error(lambda: ddb_noval.list_tags_of_resource(ResourceArn=resource),
                         "AccessDeniedException",
                         contains=[f"dynamodb:ListTagsOfResource on resource: {resource}"])
        return
    expect_error(lambda: ddb_noval.list_tags_of_resource(ResourceArn=other_region),
                 "ValidationException",
                 f"Invalid TableArn: Invalid ResourceArn provided as input {other_region}")
    expect_error(lambda: ddb_noval.tag_resource(ResourceArn=other_account,
                                                Tags=[{"Key": "k", "Value": "v"}]),
                 "AccessDeniedException", "Access is denied")


def test_missing_and_deleted_tables(ddb, make_table):
    t = make_table()
    arn = arn_of(ddb, t)
    missing = arn + "-missing"
    for call in (lambda a: ddb.list_tags_of_resource(ResourceArn=a),
                 lambda a: ddb.tag_resource(ResourceArn=a, Tags=[{"Key": "k", "Value": "v"}]),
                 lambda a: ddb.untag_resource(ResourceArn=a, TagKeys=["k"])):
        expect_error(lambda: call(missing), "ResourceNotFoundException",
                     f"Requested resource not found: ResourceArn: {missing} not found")
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    ddb.delete_table(TableName=t)
    expect_error(lambda: ddb.list_tags_of_resource(ResourceArn=arn), "ResourceNotFoundException",
                 f"Requested resource not found: ResourceArn: {arn} not found")
    # A new table of the same name starts without the old one's tags.
    ddb.create_table(TableName=t, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    assert tags_of(ddb, arn) == {}


def test_stream_arns_have_their_own_tags(ddb, make_table):
    t = make_table(StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    d = ddb.describe_table(TableName=t)["Table"]
    stream = d["LatestStreamArn"]
    assert tags_of(ddb, stream) == {}
    ddb.tag_resource(ResourceArn=stream, Tags=[{"Key": "s", "Value": "1"}])
    assert tags_of(ddb, stream) == {"s": "1"}
    assert tags_of(ddb, d["TableArn"]) == {}
    # Tagging changes neither the stream ARN nor the table's streams.
    ddb.tag_resource(ResourceArn=d["TableArn"], Tags=[{"Key": "t", "Value": "2"}])
    assert ddb.describe_table(TableName=t)["Table"]["LatestStreamArn"] == stream
    ddb.untag_resource(ResourceArn=stream, TagKeys=["s"])
    assert tags_of(ddb, stream) == {}
    unknown = d["TableArn"] + "/stream/2001-01-01T00:00:00.000"
    expect_error(lambda: ddb.list_tags_of_resource(ResourceArn=unknown),
                 "ResourceNotFoundException",
                 f"Requested resource not found: ResourceArn: {unknown} not found")


def test_tags_survive_a_restart(ddb, make_table, restart):
    t = make_table(Tags=[{"Key": "a", "Value": "1"}])
    arn = arn_of(ddb, t)
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"}])
    ddb.untag_resource(ResourceArn=arn, TagKeys=["a"])
    restart()
    assert tags_of(ddb, arn) == {"b": "2"}
