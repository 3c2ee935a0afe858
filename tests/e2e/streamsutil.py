"""Helpers for the DynamoDB Streams and TTL end-to-end tests (test_streams.py, test_ttl.py):
a boto3 `dynamodbstreams` client that follows host restarts, and a consumer that reads every
shard of a stream from TRIM_HORIZON the way a simple application would."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from ddbutil import CREDS, REGION

SERVICE_IDENTITY = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
VIEW_TYPES = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]


class StreamsClient:
    """boto3 `dynamodbstreams` client against the current incarnation of the host."""

    def __init__(self, host):
        self._host = host
        self._gen = None
        self._client = None

    def _get(self):
        if self._client is None or self._gen != self._host.generation:
            cfg = Config(region_name=REGION, retries={"max_attempts": 0, "mode": "standard"},
                         connect_timeout=5, read_timeout=60)
            self._client = boto3.session.Session().client(
                "dynamodbstreams", endpoint_url=self._host.endpoint, region_name=REGION,
                aws_access_key_id=(self._host.creds or CREDS)["access_key"],
                aws_secret_access_key=(self._host.creds or CREDS)["secret_key"], config=cfg)
            self._gen = self._host.generation
        return self._client

    def __getattr__(self, name):
        return getattr(self._get(), name)


@pytest.fixture
def streams(host):
    return StreamsClient(host)


def shards_of(streams, arn, page=None):
    """Every shard of a stream (DescribeStream, paginated by ExclusiveStartShardId)."""
    shards, start = [], None
    while True:
        kw = {"StreamArn": arn}
        if page:
            kw["Limit"] = page
        if start:
            kw["ExclusiveStartShardId"] = start
        d = streams.describe_stream(**kw)["StreamDescription"]
        shards.extend(d["Shards"])
        start = d.get("LastEvaluatedShardId")
        if not start:
            return shards


def read_shard(streams, arn, shard_id, limit=None, iterator_type="TRIM_HORIZON"):
    """Every record of a shard from `iterator_type` up to the end of the log (an open shard)
    or of the shard (a closed one). Returns (records, last NextShardIterator or None)."""
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id,
                                    ShardIteratorType=iterator_type)["ShardIterator"]
    out = []
    for _ in range(10_000):
        kw = {"ShardIterator": it}
        if limit:
            kw["Limit"] = limit
        r = streams.get_records(**kw)
        out.extend(r["Records"])
        nxt = r.get("NextShardIterator")
        if nxt is None:
            return out, None
        if not r["Records"]:
            return out, nxt
        it = nxt
    raise AssertionError("GetRecords never reached the end of the shard")


def read_stream(streams, arn, limit=None):
    """Every record of every shard of a stream, parents before children."""
    records = []
    for sh in shards_of(streams, arn):
        recs, _ = read_shard(streams, arn, sh["ShardId"], limit)
        records.extend(recs)
    return records


def summarize(record):
    """The parts of a record a test predicts: (eventName, Keys, NewImage, OldImage)."""
    d = record["dynamodb"]
    return (record["eventName"], d["Keys"], d.get("NewImage"), d.get("OldImage"))


def expected(view_type, events):
    """events: [(eventName, keys, new, old)] as written; images kept as the view type says."""
    out = []
    for name, keys, new, old in events:
        new = new if view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") else None
        old = old if view_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") else None
        out.append((name, keys, new, old))
    return out
