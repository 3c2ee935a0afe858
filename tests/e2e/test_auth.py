"""SigV4 verification, accounts, IAM policies and the management API, through boto3, the
AWS CLI and raw HTTP, on both hosts: the Worker as the suite runs it (SigV4 enforced), the
native server started here with `serve --auth`.

Error types and wording are AWS's: MissingAuthenticationTokenException "Request is missing
Authentication Token", UnrecognizedClientException "The security token included in the
request is invalid.", InvalidSignatureException "The request signature we calculated does
not match the signature you provided. …" and "Signature expired: … is now earlier than …",
AccessDeniedException "User: arn:aws:iam::…:user/… is not authorized to perform:
dynamodb:PutItem on resource: … because no identity-based policy allows the
dynamodb:PutItem action" (AWS's IAM documentation, "Troubleshoot access denied error
messages").
"""

from __future__ import annotations

import datetime
import json
import os
import random
import subprocess

import boto3
import botocore.auth
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from authutil import E2E_ADMIN, FULL_ACCESS, Mgmt
from conftest import NativeHost, native_binary
from ddbutil import REGION, TARGET_PREFIX, create_table_kwargs, unique_name


@pytest.fixture(scope="module")
def auth_host(host):
    """A host that enforces SigV4: the session's Worker, or a native server with --auth."""
    if host.enforces_auth:
        yield host
        return
    if not isinstance(host, NativeHost):
        pytest.skip("needs a host that enforces SigV4 (the Worker, or a native host we start)")
    h = NativeHost(native_binary(), extra_args=["--auth"],
                   extra_env={"EXTENDDO_ADMIN_USER": E2E_ADMIN[0],
                              "EXTENDDO_ADMIN_PASSWORD": E2E_ADMIN[1]})
    h.start()
    try:
        yield h
    finally:
        h.cleanup()


def client(endpoint, key, secret, token=None, service="dynamodb"):
    return boto3.session.Session().client(
        service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id=key,
        aws_secret_access_key=secret, aws_session_token=token,
        config=Config(retries={"max_attempts": 0}, read_timeout=60))


def new_account(m: Mgmt) -> str:
    acct = "".join(random.choice("0123456789") for _ in range(12))
    r = m.req("POST", "/accounts", {"accountId": acct, "name": f"test-{acct}"})
    assert r.status_code == 201, r.text
    assert r.json()["accountId"] == acct
    return acct


def user_with(m: Mgmt, acct: str, name: str, policy: dict | None, password=None):
    m.user(acct, name, password=password)
    if policy is not None:
        m.policy(acct, name, "p", policy)
    k = m.key(acct, name)
    return k["accessKeyId"], k["secretAccessKey"]


def code_of(e: ClientError) -> str:
    return e.response["Error"]["Code"]


def make_table(c, name, hash_key=("pk", "S")):
    c.create_table(**create_table_kwargs(name, hash_key, None))
    return name


@pytest.fixture(scope="module")
def mgmt(auth_host):
    return Mgmt(auth_host.endpoint)


@pytest.fixture(scope="module")
def admin_key(auth_host, mgmt):
    """An account and a user allowed everything in it."""
    acct = new_account(mgmt)
    key, secret = user_with(mgmt, acct, "root", FULL_ACCESS)
    return acct, key, secret


# ---- the README's curl sequence, then real clients ----------------------------------------


def test_management_sequence_then_signed_clients_work(auth_host, mgmt, tmp_path):
    acct = new_account(mgmt)
    u = mgmt.user(acct, "alice", password="alice-password")
    assert u["arn"] == f"arn:aws:iam::{acct}:user/alice"
    assert u["hasPassword"] is True and "password" not in json.dumps(u)
    mgmt.policy(acct, "alice", "tables", FULL_ACCESS)
    got = mgmt.ok("GET", f"/accounts/{acct}/users/alice/policies/tables")
    assert got["policyDocument"] == FULL_ACCESS
    k = mgmt.key(acct, "alice")
    assert k["accessKeyId"].startswith("AKIA") and len(k["accessKeyId"]) == 20
    assert len(k["secretAccessKey"]) == 40
    listed = mgmt.ok("GET", f"/accounts/{acct}/users/alice/access-keys")["accessKeys"]
    assert [x["accessKeyId"] for x in listed] == [k["accessKeyId"]]
    assert "secretAccessKey" not in json.dumps(listed)

    c = client(auth_host.endpoint, k["accessKeyId"], k["secretAccessKey"])
    name = make_table(c, unique_name("auth"))
    d = c.describe_table(TableName=name)["Table"]
    assert d["TableArn"] == f"arn:aws:dynamodb:{REGION}:{acct}:table/{name}"
    c.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    assert c.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"]["v"] == {"N": "1"}

    # The AWS CLI signs the same way.
    env = {k2: v for k2, v in os.environ.items() if not k2.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": k["accessKeyId"], "AWS_SECRET_ACCESS_KEY": k["secretAccessKey"],
                "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": str(tmp_path / "c"),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "s"), "AWS_MAX_ATTEMPTS": "1"})
    from test_awscli import aws_exe
    out = subprocess.run(aws_exe() + ["dynamodb", "list-tables", "--endpoint-url", auth_host.endpoint,
                                      "--output", "json"], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert name in json.loads(out.stdout)["TableNames"]
    env["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"
    bad = subprocess.run(aws_exe() + ["dynamodb", "list-tables", "--endpoint-url", auth_host.endpoint],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode != 0 and "InvalidSignatureException" in bad.stderr

    # Deleting the key revokes it (the change is made through this host: at once).
    mgmt.ok("DELETE", f"/accounts/{acct}/users/alice/access-keys/{k['accessKeyId']}")
    with pytest.raises(ClientError) as e:
        client(auth_host.endpoint, k["accessKeyId"], k["secretAccessKey"]).list_tables()
    assert code_of(e.value) == "UnrecognizedClientException"


# ---- rejected signatures --------------------------------------------------------------------


def signed_raw(endpoint, key, secret, body=b"{}", target="ListTables", token=None):
    creds = Credentials(key, secret, token)
    req = AWSRequest(method="POST", url=endpoint + "/", data=body,
                     headers={"Content-Type": "application/x-amz-json-1.0",
                              "X-Amz-Target": TARGET_PREFIX + target})
    SigV4Auth(creds, "dynamodb", REGION).add_auth(req)
    return req.prepare()


def post(prepared, body=None):
    r = requests.post(prepared.url, data=prepared.body if body is None else body,
                      headers=dict(prepared.headers), timeout=60)
    return r.status_code, r.json()


def expect(status_json, code, message=None, startswith=None):
    status, j = status_json
    assert status == 400, (status, j)
    assert j["__type"] == f"com.amazon.coral.service#{code}", j
    if message is not None:
        assert j["message"] == message, j
    if startswith is not None:
        assert j["message"].startswith(startswith), j


MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.")


def test_wrong_key_wrong_secret_unsigned_and_altered_bodies_are_rejected(auth_host, admin_key):
    _, key, secret = admin_key
    ep = auth_host.endpoint
    assert post(signed_raw(ep, key, secret))[0] == 200
    expect(post(signed_raw(ep, "AKIAWRONGKEYID000000", secret)), "UnrecognizedClientException",
           "The security token included in the request is invalid.")
    expect(post(signed_raw(ep, key, secret + "x")), "InvalidSignatureException", MISMATCH)
    # The body changed after signing.
    p = signed_raw(ep, key, secret, body=b'{"Limit": 5}')
    expect(post(p, body=b'{"Limit": 6}'), "InvalidSignatureException", MISMATCH)
    # A signed header changed after signing (another operation).
    p = signed_raw(ep, key, secret)
    p.headers["X-Amz-Target"] = TARGET_PREFIX + "DescribeLimits"
    expect(post(p), "InvalidSignatureException", MISMATCH)
    # Unsigned.
    r = requests.post(ep + "/", data=b"{}", timeout=60, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET_PREFIX + "ListTables"})
    expect((r.status_code, r.json()), "MissingAuthenticationTokenException",
           "Request is missing Authentication Token")
    # No X-Amz-Date.
    p = signed_raw(ep, key, secret)
    auth = p.headers["Authorization"]
    del p.headers["X-Amz-Date"]
    expect(post(p), "IncompleteSignatureException",
           "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
           f"header. Authorization={auth}")
    # Not SigV4 at all.
    r = requests.post(ep + "/", data=b"{}", timeout=60, headers={
        "Authorization": "Basic Zm9vOmJhcg==", "X-Amz-Target": TARGET_PREFIX + "ListTables"})
    expect((r.status_code, r.json()), "IncompleteSignatureException",
           startswith="Authorization header requires 'Credential' parameter.")


@pytest.mark.parametrize("minutes", [-16, 16])
def test_signatures_16_minutes_off_are_rejected(auth_host, admin_key, monkeypatch, minutes):
    _, key, secret = admin_key
    real = botocore.auth.get_current_datetime
    monkeypatch.setattr(botocore.auth, "get_current_datetime",
                        lambda: real() + datetime.timedelta(minutes=minutes))
    p = signed_raw(auth_host.endpoint, key, secret)
    monkeypatch.undo()
    stamp = p.headers["X-Amz-Date"]
    if minutes < 0:
        expect(post(p), "InvalidSignatureException",
               startswith=f"Signature expired: {stamp} is now earlier than ")
    else:
        expect(post(p), "InvalidSignatureException",
               startswith=f"Signature not yet current: {stamp} is still later than ")
    # 14 minutes off is within AWS's 15.
    monkeypatch.setattr(botocore.auth, "get_current_datetime",
                        lambda: real() + datetime.timedelta(minutes=14 if minutes > 0 else -14))
    p = signed_raw(auth_host.endpoint, key, secret)
    monkeypatch.undo()
    assert post(p)[0] == 200


def test_a_key_with_a_session_token_needs_it(auth_host, mgmt):
    acct = new_account(mgmt)
    mgmt.user(acct, "temp")
    mgmt.policy(acct, "temp", "p", FULL_ACCESS)
    k = mgmt.key(acct, "temp", session_token=True)
    assert k["sessionToken"]
    ok = client(auth_host.endpoint, k["accessKeyId"], k["secretAccessKey"], k["sessionToken"])
    assert "TableNames" in ok.list_tables()
    for token in (None, k["sessionToken"] + "x"):
        with pytest.raises(ClientError) as e:
            client(auth_host.endpoint, k["accessKeyId"], k["secretAccessKey"], token).list_tables()
        assert code_of(e.value) == "UnrecognizedClientException"


# ---- policies ---------------------------------------------------------------------------------


def test_a_policy_allowing_only_getitem_on_one_table(auth_host, mgmt, admin_key):
    acct, akey, asecret = admin_key
    admin = client(auth_host.endpoint, akey, asecret)
    a = make_table(admin, unique_name("onlyget-a"))
    b = make_table(admin, unique_name("onlyget-b"))
    for t in (a, b):
        admin.put_item(TableName=t, Item={"pk": {"S": "k"}})
    key, secret = user_with(mgmt, acct, "reader", {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem",
                       "Resource": f"arn:aws:dynamodb:{REGION}:{acct}:table/{a}"}]})
    c = client(auth_host.endpoint, key, secret)
    assert c.get_item(TableName=a, Key={"pk": {"S": "k"}})["Item"] == {"pk": {"S": "k"}}
    with pytest.raises(ClientError) as e:
        c.put_item(TableName=a, Item={"pk": {"S": "x"}})
    assert code_of(e.value) == "AccessDeniedException"
    assert e.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{acct}:user/reader is not authorized to perform: dynamodb:PutItem "
        f"on resource: arn:aws:dynamodb:{REGION}:{acct}:table/{a} because no identity-based "
        "policy allows the dynamodb:PutItem action")
    with pytest.raises(ClientError) as e:
        c.get_item(TableName=b, Key={"pk": {"S": "k"}})
    assert code_of(e.value) == "AccessDeniedException"
    assert f"table/{b}" in e.value.response["Error"]["Message"]
    # Batch and transaction requests are authorized per (action, table).
    with pytest.raises(ClientError) as e:
        c.transact_get_items(TransactItems=[{"Get": {"TableName": a, "Key": {"pk": {"S": "k"}}}},
                                            {"Get": {"TableName": b, "Key": {"pk": {"S": "k"}}}}])
    assert code_of(e.value) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        c.batch_get_item(RequestItems={a: {"Keys": [{"pk": {"S": "k"}}]}})
    assert code_of(e.value) == "AccessDeniedException"
    assert "dynamodb:BatchGetItem" in e.value.response["Error"]["Message"]
    # Nothing was written.
    assert "Item" not in admin.get_item(TableName=a, Key={"pk": {"S": "x"}})


def test_leading_keys_restrict_a_user_to_its_own_partition(auth_host, mgmt, admin_key):
    acct, akey, asecret = admin_key
    admin = client(auth_host.endpoint, akey, asecret)
    t = unique_name("leading")
    admin.create_table(**create_table_kwargs(t, ("owner", "S"), ("sk", "S")))
    arn = f"arn:aws:dynamodb:{REGION}:{acct}:table/{t}"
    key, secret = user_with(mgmt, acct, "carol", {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query",
                       "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"],
            "Resource": arn,
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}},
        }]})
    c = client(auth_host.endpoint, key, secret)
    c.put_item(TableName=t, Item={"owner": {"S": "carol"}, "sk": {"S": "1"}})
    assert c.get_item(TableName=t, Key={"owner": {"S": "carol"}, "sk": {"S": "1"}})["Item"]
    q = c.query(TableName=t, KeyConditionExpression="#o = :me",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":me": {"S": "carol"}})
    assert q["Count"] == 1
    denied = [
        lambda: c.put_item(TableName=t, Item={"owner": {"S": "dave"}, "sk": {"S": "1"}}),
        lambda: c.get_item(TableName=t, Key={"owner": {"S": "dave"}, "sk": {"S": "1"}}),
        lambda: c.query(TableName=t, KeyConditionExpression="#o = :x",
                        ExpressionAttributeNames={"#o": "owner"},
                        ExpressionAttributeValues={":x": {"S": "dave"}}),
        lambda: c.batch_get_item(RequestItems={t: {"Keys": [
            {"owner": {"S": "carol"}, "sk": {"S": "1"}}, {"owner": {"S": "dave"}, "sk": {"S": "1"}}]}}),
        lambda: c.batch_write_item(RequestItems={t: [
            {"PutRequest": {"Item": {"owner": {"S": "dave"}, "sk": {"S": "2"}}}}]}),
    ]
    for f in denied:
        with pytest.raises(ClientError) as e:
            f()
        assert code_of(e.value) == "AccessDeniedException"
    c.batch_write_item(RequestItems={t: [
        {"PutRequest": {"Item": {"owner": {"S": "carol"}, "sk": {"S": "2"}}}}]})
    items = admin.scan(TableName=t)["Items"]
    assert sorted(i["owner"]["S"] for i in items) == ["carol", "carol"]


def test_deny_overrides_allow(auth_host, mgmt, admin_key):
    acct, akey, asecret = admin_key
    admin = client(auth_host.endpoint, akey, asecret)
    t = make_table(admin, unique_name("deny"))
    mgmt.user(acct, "erin")
    mgmt.policy(acct, "erin", "allow-all", FULL_ACCESS)
    mgmt.policy(acct, "erin", "no-deletes", {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": ["dynamodb:DeleteItem", "dynamodb:DeleteTable"],
                       "Resource": f"arn:aws:dynamodb:{REGION}:{acct}:table/*"}]})
    k = mgmt.key(acct, "erin")
    c = client(auth_host.endpoint, k["accessKeyId"], k["secretAccessKey"])
    c.put_item(TableName=t, Item={"pk": {"S": "a"}})
    for f in (lambda: c.delete_item(TableName=t, Key={"pk": {"S": "a"}}),
              lambda: c.delete_table(TableName=t)):
        with pytest.raises(ClientError) as e:
            f()
        assert code_of(e.value) == "AccessDeniedException"
        assert e.value.response["Error"]["Message"].endswith(
            "with an explicit deny in an identity-based policy")
    assert c.get_item(TableName=t, Key={"pk": {"S": "a"}})["Item"]
    # Removing the deny (through this host) takes effect at once.
    mgmt.ok("DELETE", f"/accounts/{acct}/users/erin/policies/no-deletes")
    c.delete_item(TableName=t, Key={"pk": {"S": "a"}})


def test_a_user_without_policies_may_do_nothing(auth_host, mgmt, admin_key):
    acct = admin_key[0]
    key, secret = user_with(mgmt, acct, "nobody", None)
    with pytest.raises(ClientError) as e:
        client(auth_host.endpoint, key, secret).list_tables()
    assert code_of(e.value) == "AccessDeniedException"
    assert "dynamodb:ListTables on resource: *" in e.value.response["Error"]["Message"]


def test_accounts_never_see_each_others_tables(auth_host, mgmt):
    one, two = new_account(mgmt), new_account(mgmt)
    c1 = client(auth_host.endpoint, *user_with(mgmt, one, "u", FULL_ACCESS))
    c2 = client(auth_host.endpoint, *user_with(mgmt, two, "u", FULL_ACCESS))
    name = unique_name("shared-name")
    make_table(c1, name)
    c1.put_item(TableName=name, Item={"pk": {"S": "one"}})
    assert name not in c2.list_tables()["TableNames"]
    with pytest.raises(ClientError) as e:
        c2.get_item(TableName=name, Key={"pk": {"S": "one"}})
    assert code_of(e.value) == "ResourceNotFoundException"
    # The same name in the other account is another table.
    make_table(c2, name)
    assert c2.scan(TableName=name)["Items"] == []
    assert c2.describe_table(TableName=name)["Table"]["TableArn"].split(":")[4] == two
    assert c1.describe_table(TableName=name)["Table"]["TableArn"].split(":")[4] == one


def test_streams_are_signed_for_dynamodb_and_carry_the_account(auth_host, admin_key):
    acct, key, secret = admin_key
    c = client(auth_host.endpoint, key, secret)
    t = unique_name("authstream")
    kw = create_table_kwargs(t, ("pk", "S"), None)
    kw["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    c.create_table(**kw)
    arn = c.describe_table(TableName=t)["Table"]["LatestStreamArn"]
    assert arn.startswith(f"arn:aws:dynamodb:{REGION}:{acct}:table/{t}/stream/")
    c.put_item(TableName=t, Item={"pk": {"S": "s"}})
    s = client(auth_host.endpoint, key, secret, service="dynamodbstreams")
    d = s.describe_stream(StreamArn=arn)["StreamDescription"]
    it = s.get_shard_iterator(StreamArn=arn, ShardId=d["Shards"][0]["ShardId"],
                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    recs = s.get_records(ShardIterator=it)["Records"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in recs] == ["s"]


# ---- the management API itself ---------------------------------------------------------------


def test_management_api_answers_and_refuses(auth_host, mgmt):
    ep = auth_host.endpoint
    assert requests.get(ep + "/healthz", timeout=30).json() == {"status": "ok"}
    assert requests.get(ep + "/management/accounts", timeout=30).status_code == 401
    assert mgmt.req("GET", "/nope").status_code == 404
    assert mgmt.req("GET", "/accounts/1/users/x/what").status_code == 404
    assert mgmt.req("GET", "/accounts/000000000009").status_code == 404
    acct = new_account(mgmt)
    assert mgmt.req("POST", "/accounts", {"accountId": acct}).status_code == 409
    assert mgmt.req("POST", "/accounts", {"accountId": "12ab"}).status_code == 400
    mgmt.user(acct, "frank", password="frank-password")
    bad = mgmt.req("PUT", f"/accounts/{acct}/users/frank/policies/p", {"Statement": "nope"})
    assert bad.status_code == 400 and bad.json()["error"] == "MalformedPolicyDocument"
    big = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem",
                                                    "Resource": "arn:" + "x" * 2100}]}
    assert mgmt.req("PUT", f"/accounts/{acct}/users/frank/policies/p", big).status_code == 409
    # A user manages its own keys with account/user:password, and nothing else.
    me = (f"{acct}/frank", "frank-password")
    k = mgmt.key(acct, "frank", auth=me)
    assert mgmt.req("GET", f"/accounts/{acct}/users/frank/access-keys", auth=me).status_code == 200
    assert mgmt.req("GET", f"/accounts/{acct}/users", auth=me).status_code == 403
    mgmt.user(acct, "grace")
    assert mgmt.req("POST", f"/accounts/{acct}/users/grace/access-keys", auth=me).status_code == 403
    # At most two keys per user, as on AWS.
    mgmt.key(acct, "frank", auth=me)
    assert mgmt.req("POST", f"/accounts/{acct}/users/frank/access-keys", auth=me).status_code == 409
    assert mgmt.req("DELETE", f"/accounts/{acct}/users/frank/access-keys/{k['accessKeyId']}",
                    auth=me).status_code == 204
    # Failed logins are limited: five, then refused for a while even with the right password.
    for _ in range(5):
        assert mgmt.req("GET", f"/accounts/{acct}/users/frank/access-keys",
                        auth=(f"{acct}/frank", "wrong-password")).status_code == 401
    r = mgmt.req("GET", f"/accounts/{acct}/users/frank/access-keys", auth=me)
    assert r.status_code in (200, 429)  # a cached login may still pass; an uncached one is refused
    r = mgmt.req("GET", f"/accounts/{acct}/users/frank/access-keys",
                 auth=(f"{acct}/frank", "another-wrong"))
    assert r.status_code == 429


def test_a_stored_admin_replaces_the_bootstrap_admin(auth_host, request):
    """Only on a native host of its own: storing an admin retires the bootstrap admin."""
    if not isinstance(auth_host, NativeHost):
        pytest.skip("would retire the bootstrap admin the rest of the Worker run relies on")
    h = NativeHost(native_binary(), extra_args=["--auth"],
                   extra_env={"EXTENDDO_ADMIN_USER": "boot", "EXTENDDO_ADMIN_PASSWORD": "boot-password"})
    h.start()
    try:
        boot = Mgmt(h.endpoint, auth=("boot", "boot-password"))
        assert boot.req("GET", "/accounts").status_code == 200
        boot.ok("POST", "/admins", {"username": "ops", "password": "ops-password-1"})
        ops = Mgmt(h.endpoint, auth=("ops", "ops-password-1"))
        assert ops.ok("GET", "/admins") == {"admins": ["ops"]}
        # The last admin stays (deleting it would bring the bootstrap admin back).
        assert ops.req("DELETE", "/admins/ops").status_code == 409
        # A fresh login as the bootstrap admin is refused now (cached logins expire).
        fresh = Mgmt(h.endpoint, auth=("boot", "boot-password"))
        h.restart()
        assert fresh.req("GET", "/accounts").status_code == 401
        assert ops.req("GET", "/accounts").status_code == 200
        # The store survives the restart; the sealed secrets open again with the key file.
        acct = new_account(ops)
        key, secret = user_with(ops, acct, "u", FULL_ACCESS)
        h.restart()
        assert "TableNames" in client(h.endpoint, key, secret).list_tables()
        assert not any(secret.encode() in p.read_bytes()
                       for p in h.data_dir.glob("identity.sqlite*"))
    finally:
        h.cleanup()


def test_native_refuses_a_public_address_without_auth(host):
    if not isinstance(host, NativeHost):
        pytest.skip("native CLI behaviour")
    r = subprocess.run([str(native_binary()), "serve", "--listen", "0.0.0.0:0", "--in-memory"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "without --auth" in r.stderr


def test_another_accounts_arns_are_denied(auth_host, mgmt):
    """ARNs naming another account's table, stream or export are refused even with a policy
    allowing everything: only a resource-based policy could allow them (there are none)."""
    one, two = new_account(mgmt), new_account(mgmt)
    c1 = client(auth_host.endpoint, *user_with(mgmt, one, "u", FULL_ACCESS))
    k2 = user_with(mgmt, two, "u", FULL_ACCESS)
    t = unique_name("xacct")
    kw = create_table_kwargs(t, ("pk", "S"), None)
    kw["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    c1.create_table(**kw)
    c1.put_item(TableName=t, Item={"pk": {"S": "secret"}})
    d = c1.describe_table(TableName=t)["Table"]
    s1 = client(auth_host.endpoint, *user_with(mgmt, one, "s", FULL_ACCESS), service="dynamodbstreams")
    shard = s1.describe_stream(StreamArn=d["LatestStreamArn"])["StreamDescription"]["Shards"][0]
    it = s1.get_shard_iterator(StreamArn=d["LatestStreamArn"], ShardId=shard["ShardId"],
                               ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    s2 = client(auth_host.endpoint, *k2, service="dynamodbstreams")
    c2 = client(auth_host.endpoint, *k2)
    for f in (lambda: s2.describe_stream(StreamArn=d["LatestStreamArn"]),
              lambda: s2.get_records(ShardIterator=it),
              lambda: c2.export_table_to_point_in_time(TableArn=d["TableArn"], S3Bucket="bkt")):
        with pytest.raises(ClientError) as e:
            f()
        assert code_of(e.value) == "AccessDeniedException", e.value.response
        assert "because no resource-based policy allows" in e.value.response["Error"]["Message"]


def test_leading_keys_on_an_index_and_fail_closed(auth_host, mgmt, admin_key):
    """A Query on a GSI is held to the index's partition key; a request whose partition key
    cannot be read (a tab before AND, a key of another attribute) is not let through."""
    acct, akey, asecret = admin_key
    admin = client(auth_host.endpoint, akey, asecret)
    t = unique_name("leadgsi")
    kw = create_table_kwargs(t, ("id", "S"), None)
    kw["AttributeDefinitions"].append({"AttributeName": "owner", "AttributeType": "S"})
    kw["GlobalSecondaryIndexes"] = [{"IndexName": "by_owner", "Projection": {"ProjectionType": "ALL"},
                                     "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}]}]
    admin.create_table(**kw)
    admin.put_item(TableName=t, Item={"id": {"S": "1"}, "owner": {"S": "hank"}})
    admin.put_item(TableName=t, Item={"id": {"S": "2"}, "owner": {"S": "ivy"}})
    arn = f"arn:aws:dynamodb:{REGION}:{acct}:table/{t}"
    key, secret = user_with(mgmt, acct, "hank", {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:Query",
                       "Resource": [arn, f"{arn}/index/*"],
                       "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]}}}]})
    c = client(auth_host.endpoint, key, secret)

    def q(value, expr="#o = :v"):
        return c.query(TableName=t, IndexName="by_owner", KeyConditionExpression=expr,
                       ExpressionAttributeNames={"#o": "owner"},
                       ExpressionAttributeValues={":v": {"S": value}})

    assert [i["id"]["S"] for i in q("hank")["Items"]] == ["1"]
    assert [i["id"]["S"] for i in q("hank", "#o\t=\t:v")["Items"]] == ["1"]
    with pytest.raises(ClientError) as e:
        q("ivy")
    assert code_of(e.value) == "AccessDeniedException"
    # On the table, the partition key is `id`: "hank" is not one of its values.
    with pytest.raises(ClientError) as e:
        c.query(TableName=t, KeyConditionExpression="id = :v",
                ExpressionAttributeValues={":v": {"S": "1"}})
    assert code_of(e.value) == "AccessDeniedException"


def test_buckets_belong_to_their_account(auth_host, mgmt):
    """An export written by one account is not in the bucket of the same name of another."""
    one, two = new_account(mgmt), new_account(mgmt)
    c1 = client(auth_host.endpoint, *user_with(mgmt, one, "u", FULL_ACCESS))
    c2 = client(auth_host.endpoint, *user_with(mgmt, two, "u", FULL_ACCESS))
    t = unique_name("bucketacct")
    c1.create_table(**create_table_kwargs(t, ("pk", "S"), None))
    c1.update_continuous_backups(TableName=t, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    c1.put_item(TableName=t, Item={"pk": {"S": "private"}})
    arn = c1.describe_table(TableName=t)["Table"]["TableArn"]
    bucket = "shared-name-" + t.lower()[-12:]
    exp = c1.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, S3Prefix="x")
    from test_export_import import wait_export, wait_import
    done = wait_export(c1, exp["ExportDescription"]["ExportArn"])
    assert done["ExportStatus"] == "COMPLETED", done
    data = done["ExportManifest"].rsplit("/", 1)[0] + "/data/"
    params = {"TableName": unique_name("stolen"), "BillingMode": "PAY_PER_REQUEST",
              "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
              "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}
    src = {"S3Bucket": bucket, "S3KeyPrefix": data}
    d = c2.import_table(S3BucketSource=src, InputFormat="DYNAMODB_JSON",
                        InputCompressionType="GZIP", TableCreationParameters=params)
    d = d["ImportTableDescription"]
    if d["ImportStatus"] == "IN_PROGRESS":
        d = wait_import(c2, d["ImportArn"])
    assert d["ImportStatus"] == "FAILED" and d.get("FailureCode") == "S3NoSuchBucket", d
    assert params["TableName"] not in c2.list_tables()["TableNames"]
    # The owner imports its own export.
    params["TableName"] = unique_name("mine")
    d = c1.import_table(S3BucketSource=src, InputFormat="DYNAMODB_JSON",
                        InputCompressionType="GZIP", TableCreationParameters=params)
    d = wait_import(c1, d["ImportTableDescription"]["ImportArn"])
    assert d["ImportStatus"] == "COMPLETED", d
    assert c1.scan(TableName=params["TableName"])["Items"] == [{"pk": {"S": "private"}}]


def test_policy_size_is_per_user(auth_host, mgmt):
    acct = new_account(mgmt)
    mgmt.user(acct, "jay")

    def doc(n):
        return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem",
                                                        "Resource": "arn:aws:dynamodb:*:*:table/" + "t" * n}]}
    assert mgmt.req("PUT", f"/accounts/{acct}/users/jay/policies/a", doc(1100)).status_code == 200
    r = mgmt.req("PUT", f"/accounts/{acct}/users/jay/policies/b", doc(1100))
    assert r.status_code == 409 and r.json()["error"] == "LimitExceeded", r.text
    # Replacing the first one counts only the new document.
    assert mgmt.req("PUT", f"/accounts/{acct}/users/jay/policies/a", doc(1900)).status_code == 200
