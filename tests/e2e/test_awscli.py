"""Smoke test with the real AWS CLI (awscli from PyPI, installed in the same venv) against the
host, with dummy credentials from the environment."""

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ddbutil import unique_name, access_key, secret_key


def aws_exe():
    cand = Path(sys.executable).parent / "aws"
    if cand.exists():
        return [str(cand)]
    found = shutil.which("aws")
    if found:
        return [found]
    pytest.fail("the aws CLI is not installed (pip install awscli; see tests/e2e/requirements.txt)")


@pytest.fixture
def aws(host, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": access_key(),
        "AWS_SECRET_ACCESS_KEY": secret_key(),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
        "AWS_PAGER": "",
    })
    exe = aws_exe()

    def run(*args, expect_ok=True):
        cmd = exe + ["dynamodb", *args, "--endpoint-url", host.endpoint, "--output", "json",
                     "--cli-read-timeout", "60", "--cli-connect-timeout", "10"]
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180,
                           stdin=subprocess.DEVNULL)
        if expect_ok:
            assert r.returncode == 0, f"{' '.join(args[:1])} failed: {r.stderr[-2000:]}"
            return json.loads(r.stdout) if r.stdout.strip() else {}
        return r

    return run


def test_awscli_round_trip(aws):
    t = unique_name("cli")
    out = aws("create-table", "--table-name", t,
              "--attribute-definitions", "AttributeName=pk,AttributeType=S",
              "AttributeName=sk,AttributeType=N",
              "--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE",
              "--billing-mode", "PAY_PER_REQUEST")
    assert out["TableDescription"]["TableName"] == t
    try:
        out = aws("describe-table", "--table-name", t)
        assert out["Table"]["TableStatus"] == "ACTIVE"
        assert t in aws("list-tables")["TableNames"]

        for i in range(5):
            aws("put-item", "--table-name", t, "--item",
                json.dumps({"pk": {"S": "cli"}, "sk": {"N": str(i)}, "v": {"S": f"value {i}"},
                            "b": {"B": "AAEC"}}))
        out = aws("get-item", "--table-name", t, "--key",
                  json.dumps({"pk": {"S": "cli"}, "sk": {"N": "3"}}))
        # awscli v1 sends a blob argument's text as the raw bytes and prints blobs base64
        assert out["Item"] == {"pk": {"S": "cli"}, "sk": {"N": "3"}, "v": {"S": "value 3"},
                               "b": {"B": base64.b64encode(b"AAEC").decode()}}

        out = aws("query", "--table-name", t,
                  "--key-condition-expression", "pk = :p AND sk >= :s",
                  "--expression-attribute-values",
                  json.dumps({":p": {"S": "cli"}, ":s": {"N": "2"}}))
        assert [i["sk"]["N"] for i in out["Items"]] == ["2", "3", "4"]
        assert out["Count"] == 3

        # the CLI paginates by itself (page size 2 -> several requests)
        out = aws("scan", "--table-name", t, "--page-size", "2")
        assert sorted(int(i["sk"]["N"]) for i in out["Items"]) == [0, 1, 2, 3, 4]

        out = aws("delete-item", "--table-name", t, "--key",
                  json.dumps({"pk": {"S": "cli"}, "sk": {"N": "3"}}), "--return-values", "ALL_OLD")
        assert out["Attributes"]["v"] == {"S": "value 3"}
        out = aws("get-item", "--table-name", t, "--key",
                  json.dumps({"pk": {"S": "cli"}, "sk": {"N": "3"}}))
        assert "Item" not in out

        r = aws("get-item", "--table-name", t, "--key", json.dumps({"pk": {"S": "cli"}}),
                expect_ok=False)
        assert r.returncode != 0
        assert "ValidationException" in r.stderr
        assert "The provided key element does not match the schema" in r.stderr
    finally:
        aws("delete-table", "--table-name", t)
    r = aws("describe-table", "--table-name", t, expect_ok=False)
    assert r.returncode != 0 and "ResourceNotFoundException" in r.stderr


def test_awscli_transactions(aws):
    a, b = unique_name("cli-tx-a"), unique_name("cli-tx-b")
    for t in (a, b):
        aws("create-table", "--table-name", t,
            "--attribute-definitions", "AttributeName=pk,AttributeType=S",
            "--key-schema", "AttributeName=pk,KeyType=HASH",
            "--billing-mode", "PAY_PER_REQUEST")
    try:
        items = [{"Put": {"TableName": a, "Item": {"pk": {"S": "x"}, "v": {"N": "1"}}}},
                 {"Put": {"TableName": b, "Item": {"pk": {"S": "y"}, "v": {"N": "2"}}}}]
        out = aws("transact-write-items", "--transact-items", json.dumps(items),
                  "--return-consumed-capacity", "TOTAL")
        assert sorted(c["TableName"] for c in out["ConsumedCapacity"]) == sorted([a, b])
        got = aws("transact-get-items", "--transact-items", json.dumps([
            {"Get": {"TableName": a, "Key": {"pk": {"S": "x"}}}},
            {"Get": {"TableName": b, "Key": {"pk": {"S": "y"}}}},
            {"Get": {"TableName": b, "Key": {"pk": {"S": "none"}}}}]))
        assert got["Responses"] == [{"Item": {"pk": {"S": "x"}, "v": {"N": "1"}}},
                                    {"Item": {"pk": {"S": "y"}, "v": {"N": "2"}}}, {}]
        # A failed condition: the CLI exits non-zero and names the cancellation.
        r = aws("transact-write-items", "--transact-items", json.dumps([
            {"Delete": {"TableName": a, "Key": {"pk": {"S": "x"}}}},
            {"ConditionCheck": {"TableName": b, "Key": {"pk": {"S": "y"}},
                                "ConditionExpression": "attribute_not_exists(pk)"}}]),
            expect_ok=False)
        assert r.returncode != 0
        assert "TransactionCanceledException" in r.stderr, r.stderr
        assert "[None, ConditionalCheckFailed]" in r.stderr, r.stderr
        assert "Item" in aws("get-item", "--table-name", a, "--key", '{"pk":{"S":"x"}}')
    finally:
        for t in (a, b):
            aws("delete-table", "--table-name", t)


def test_awscli_tags(aws):
    t = unique_name("clitags")
    out = aws("create-table", "--table-name", t,
              "--attribute-definitions", "AttributeName=pk,AttributeType=S",
              "--key-schema", "AttributeName=pk,KeyType=HASH",
              "--billing-mode", "PAY_PER_REQUEST", "--tags", "Key=made,Value=cli")
    arn = out["TableDescription"]["TableArn"]
    try:
        aws("tag-resource", "--resource-arn", arn, "--tags", "Key=team,Value=storage")
        tags = aws("list-tags-of-resource", "--resource-arn", arn)["Tags"]
        assert sorted((t["Key"], t["Value"]) for t in tags) == [("made", "cli"),
                                                                 ("team", "storage")]
        aws("untag-resource", "--resource-arn", arn, "--tag-keys", "made")
        assert aws("list-tags-of-resource", "--resource-arn", arn)["Tags"] == [
            {"Key": "team", "Value": "storage"}]
    finally:
        aws("delete-table", "--table-name", t)
