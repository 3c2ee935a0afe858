"""What the bench scripts share: a free loopback port, and one DynamoDB JSON request over a
keep-alive `http.client` connection (SigV4-shaped headers; a local server accepts them)."""

import http.client
import json
import socket

HEADERS = {
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261204/us-east-1/dynamodb/"
                     "aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
    "X-Amz-Date": "20261204T000000Z",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(conn: http.client.HTTPConnection, op: str, body) -> tuple[int, dict]:
    """Sends DynamoDB operation `op` with `body`; returns (HTTP status, parsed body)."""
    conn.request("POST", "/", json.dumps(body),
                 {**HEADERS, "X-Amz-Target": f"DynamoDB_20120810.{op}"})
    r = conn.getresponse()
    data = r.read()
    return r.status, json.loads(data) if data else {}
