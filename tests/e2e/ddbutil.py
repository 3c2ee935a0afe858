"""Shared helpers for the ExtendDO end-to-end suite (no pytest fixtures here; see conftest.py).

Every expected error message in this suite is AWS DynamoDB's own wording. Where a message
comes from, it is noted next to the test that uses it (see also README.md in this folder).
"""

from __future__ import annotations

import base64
import json
import re
import uuid

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

REGION = "us-east-1"
# The credentials every client of the suite signs with. A host that enforces SigV4 (the
# Worker by default) gets a key provisioned through its management API at start, and these
# become that key (see conftest.py); on the native loopback server any key works.
CREDS = {"access_key": "AKIDEXAMPLE", "secret_key": "x"}


def access_key() -> str:
    return CREDS["access_key"]


def secret_key() -> str:
    return CREDS["secret_key"]
TARGET_PREFIX = "DynamoDB_20120810."
JSON_CT = "application/x-amz-json-1.0"

# The namespaces AWS puts in front of the error code in `__type`. SDKs only use the part
# after '#', so most tests assert the code; test_errors.py asserts the namespaces.
AWS_TYPE_NAMESPACE = {
    "ValidationException": "com.amazon.coral.validate#",
    "SerializationException": "com.amazon.coral.service#",
    "UnknownOperationException": "com.amazon.coral.service#",
    "MissingAuthenticationTokenException": "com.amazon.coral.service#",
    "ResourceNotFoundException": "com.amazonaws.dynamodb.v20120810#",
    "ResourceInUseException": "com.amazonaws.dynamodb.v20120810#",
    "ConditionalCheckFailedException": "com.amazonaws.dynamodb.v20120810#",
}

# ---- exact AWS messages used in more than one file ---------------------------------------

MSG_RNF_DATA = "Requested resource not found"


def msg_rnf_table(name: str) -> str:
    return f"Requested resource not found: Table: {name} not found"


MSG_KEY_SCHEMA = "The provided key element does not match the schema"
MSG_BAD_START_KEY = (
    "The provided starting key is invalid: The provided key element does not match the schema"
)


def msg_missing_key(attr: str) -> str:
    return f"One or more parameter values were invalid: Missing the key {attr} in the item"


def msg_type_mismatch(attr: str, expected: str, actual: str) -> str:
    return (
        "One or more parameter values were invalid: Type mismatch for key "
        f"{attr} expected: {expected} actual: {actual}"
    )


def msg_empty_key(attr: str, kind: str = "string") -> str:
    return (
        "One or more parameter values are not valid. The AttributeValue for a key attribute "
        f"cannot contain an empty {kind} value. Key: {attr}"
    )


# AWS's own text has no space in "of2048".
MSG_HASH_KEY_TOO_BIG = (
    "One or more parameter values were invalid: Size of hashkey has exceeded the maximum "
    "size limit of2048 bytes"
)
MSG_RANGE_KEY_TOO_BIG = (
    "One or more parameter values were invalid: Aggregated size of all range keys has "
    "exceeded the size limit of 1024 bytes"
)


def unique_name(tag: str = "t") -> str:
    tag = re.sub(r"[^a-zA-Z0-9_.-]", "-", tag)[:40]
    return f"e2e-{tag}-{uuid.uuid4().hex[:10]}"


# An item with every attribute type (used by several files).
ALL_TYPES_ITEM = {
    "pk": {"S": "all-types"},
    "s": {"S": "hello, wörld ✓ 𝄞"},
    "s_empty": {"S": ""},
    "n_int": {"N": "42"},
    "n_neg": {"N": "-17"},
    "n_dec": {"N": "3.14159"},
    "n_zero": {"N": "0"},
    "b": {"B": bytes(range(256))},
    "b_empty": {"B": b""},
    "ss": {"SS": ["a", "b", "ä", "𝄞"]},
    "ns": {"NS": ["1", "-2", "3.5", "1000000"]},
    "bs": {"BS": [b"\x00", b"\xff\xfe", b"abc"]},
    "bool_t": {"BOOL": True},
    "bool_f": {"BOOL": False},
    "null": {"NULL": True},
    "l_empty": {"L": []},
    "m_empty": {"M": {}},
    "l": {"L": [{"S": "x"}, {"N": "1"}, {"BOOL": False}, {"NULL": True}, {"B": b"\x01"},
                {"SS": ["q"]}, {"L": [{"L": [{"N": "7"}]}]}, {"M": {"k": {"S": "v"}}}]},
    "m": {"M": {
        "name": {"S": "n"},
        "nested": {"M": {"deeper": {"M": {"deepest": {"L": [{"S": "bottom"}]}}}}},
        "ns": {"NS": ["5"]},
        "bs": {"BS": [b"z"]},
        "empty": {"S": ""},
        "attr with spaces and.dots": {"N": "1"},
    }},
    "attr name with spaces": {"S": "ok"},
    "ünïcödé": {"S": "ok"},
}


# ---- errors ---------------------------------------------------------------------------------


def expect_error(fn, code, message=None, *, one_of=None, contains=None, status=400):
    """Call fn, expect a botocore ClientError with this code, HTTP status and message.

    message: the exact message; one_of: a list of acceptable exact messages (only where AWS
    itself words it differently between regions); contains: substrings that must appear.
    Returns the error response dict.
    """
    with pytest.raises(ClientError) as ei:
        fn()
    resp = ei.value.response
    err = resp.get("Error", {})
    got_code = err.get("Code")
    got_status = resp.get("ResponseMetadata", {}).get("HTTPStatusCode")
    got_msg = err.get("Message")
    where = f"(code={got_code!r}, status={got_status}, message={got_msg!r})"
    assert got_code == code, f"expected error code {code!r} {where}"
    assert got_status == status, f"expected HTTP {status} {where}"
    if message is not None:
        assert got_msg == message, f"message mismatch\n  expected: {message!r}\n  got:      {got_msg!r}"
    if one_of is not None:
        assert got_msg in one_of, f"message {got_msg!r} not one of {one_of!r}"
    for part in contains or ():
        assert got_msg is not None and part in got_msg, f"{part!r} not in message {got_msg!r}"
    return resp


# ---- raw HTTP (for requests boto3 cannot or will not send) ---------------------------------


class Raw:
    """Signed raw HTTP to the DynamoDB JSON endpoint."""

    def __init__(self, endpoint: str, timeout: float = 30.0, creds=None):
        self.endpoint = endpoint.rstrip("/") + "/"
        self.timeout = timeout
        c = creds or CREDS
        self.creds = Credentials(c["access_key"], c["secret_key"])

    def send(self, target: str | None, body: bytes, content_type: str = JSON_CT, sign=True,
             extra_headers=None):
        headers = {"Content-Type": content_type}
        if target is not None:
            headers["X-Amz-Target"] = target
        if extra_headers:
            headers.update(extra_headers)
        req = AWSRequest(method="POST", url=self.endpoint, data=body, headers=headers)
        if sign:
            SigV4Auth(self.creds, "dynamodb", REGION).add_auth(req)
        prepared = req.prepare()
        r = requests.post(self.endpoint, data=body, headers=dict(prepared.headers),
                          timeout=self.timeout)
        return RawResponse(r)

    def call(self, op: str, payload) -> "RawResponse":
        body = payload if isinstance(payload, (bytes, bytearray)) else json.dumps(payload).encode()
        return self.send(TARGET_PREFIX + op, bytes(body))


class RawResponse:
    def __init__(self, r: requests.Response):
        self.status = r.status_code
        self.headers = r.headers
        self.body = r.content
        self.text = r.text
        try:
            self.json = r.json()
        except ValueError:
            self.json = None

    @property
    def type(self):
        return (self.json or {}).get("__type") if isinstance(self.json, dict) else None

    @property
    def code(self):
        t = self.type
        return t.rsplit("#", 1)[-1] if t else None

    @property
    def message(self):
        if not isinstance(self.json, dict):
            return None
        return self.json.get("message", self.json.get("Message"))

    def __repr__(self):
        return f"RawResponse(status={self.status}, body={self.text[:500]!r})"


def expect_raw_error(resp: RawResponse, code, message=None, *, one_of=None, contains=None,
                     status=400, full_type=False):
    assert resp.status == status, f"expected HTTP {status}: {resp!r}"
    assert resp.code == code, f"expected {code}: {resp!r}"
    if full_type:
        assert resp.type == AWS_TYPE_NAMESPACE[code] + code, f"__type: {resp!r}"
    if message is not None:
        assert resp.message == message, (
            f"message mismatch\n  expected: {message!r}\n  got:      {resp.message!r}")
    if one_of is not None:
        assert resp.message in one_of, f"message {resp.message!r} not one of {one_of!r}"
    for part in contains or ():
        assert resp.message and part in resp.message, f"{part!r} not in {resp!r}"


# ---- values ---------------------------------------------------------------------------------


def canon_av(av):
    """Canonical form of one AttributeValue for comparison: sets become sorted lists
    (DynamoDB does not preserve set order), binary becomes bytes."""
    (k, v), = av.items()
    if k in ("SS", "NS"):
        return {k: sorted(v)}
    if k == "BS":
        return {k: sorted(bytes(x) for x in v)}
    if k == "B":
        return {k: bytes(v)}
    if k == "M":
        return {k: canon(v)}
    if k == "L":
        return {k: [canon_av(x) for x in v]}
    return {k: v}


def canon(item):
    """Canonical form of an item (attribute name -> AttributeValue)."""
    return {n: canon_av(v) for n, v in item.items()}


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def create_table_kwargs(name, hash_key=("pk", "S"), range_key=None, billing="PAY_PER_REQUEST",
                        throughput=(5, 5)):
    attrs = [{"AttributeName": hash_key[0], "AttributeType": hash_key[1]}]
    schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    if range_key:
        attrs.append({"AttributeName": range_key[0], "AttributeType": range_key[1]})
        schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
    kw = {"TableName": name, "AttributeDefinitions": attrs, "KeySchema": schema}
    if billing == "PAY_PER_REQUEST":
        kw["BillingMode"] = "PAY_PER_REQUEST"
    else:
        if billing == "PROVISIONED":
            kw["BillingMode"] = "PROVISIONED"
        kw["ProvisionedThroughput"] = {"ReadCapacityUnits": throughput[0],
                                       "WriteCapacityUnits": throughput[1]}
    return kw


def query_all(ddb, **kw):
    """Run a Query/Scan-style paginated call to completion; returns (items, pages)."""
    op = kw.pop("_op", "query")
    fn = getattr(ddb, op)
    items, pages = [], []
    start = None
    for _ in range(10_000):
        args = dict(kw)
        if start is not None:
            args["ExclusiveStartKey"] = start
        page = fn(**args)
        pages.append(page)
        items.extend(page.get("Items", []))
        start = page.get("LastEvaluatedKey")
        if not start:
            return items, pages
    raise AssertionError("pagination did not terminate after 10000 pages")
