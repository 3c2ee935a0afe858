"""`kill -9` under sustained writes loses nothing acknowledged (native host).

A table under load keeps a WAL that a background thread copies into the table's file while
writes go on; the table's own thread finishes the copy so the WAL starts over, and syncs
what it has to before it does (`cli/src/checkpoint.rs`). Here several clients write large
items as fast as they can until the WAL has started over at least once, the server is
killed with SIGKILL mid-stream — wherever the copying happens to be — and after a restart
every acknowledged write must read back with its value. Three rounds on the same table, so
a restart also recovers a WAL the previous round left behind.
"""

import os
import random
import signal
import struct
import threading
import time

import pytest

from conftest import NativeHost, _client, native_binary
from ddbutil import unique_name

WRITERS = 8
# About 30 KB each: a put writes several overflow pages (the item and its log record), so
# the WAL's cycle (16,384 frames) comes round in about a thousand puts.
VALUE_LEN = 30_000
ROUNDS = 3


def value_of(key):
    return (key * (VALUE_LEN // len(key) + 1))[:VALUE_LEN]


def wal_generation(data_dir):
    """The checkpoint sequence in the header of the table's WAL (SQLite increments it each
    time the WAL starts over), or None while there is no WAL."""
    wals = list((data_dir / "tables").glob("*.sqlite-wal"))
    if len(wals) != 1:
        return None
    try:
        with open(wals[0], "rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        return None
    if len(head) < 16:
        return None
    return struct.unpack(">I", head[12:16])[0]


@pytest.fixture
def crash_host(host, request):
    if host.kind != "native":
        pytest.skip("kills the server process")
    h = NativeHost(native_binary())
    h.start()
    yield h
    h.cleanup(keep=request.config.getoption("--keep-data"))


def test_kill9_under_sustained_writes_loses_nothing_acknowledged(crash_host):
    h = crash_host
    name = unique_name("crash")
    ddb = h.client()
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    acked = set()
    lock = threading.Lock()
    rng = random.Random(13)
    for rnd in range(ROUNDS):
        stop = threading.Event()

        def writer(t, endpoint=h.endpoint, rnd=rnd, stop=stop):
            client = _client(endpoint)
            i = 0
            while not stop.is_set():
                key = f"r{rnd}-w{t}-{i}"
                i += 1
                try:
                    client.put_item(TableName=name,
                                    Item={"pk": {"S": key}, "v": {"S": value_of(key)}})
                except Exception:  # the server is gone: this write was never acknowledged
                    return
                with lock:
                    acked.add(key)

        start_gen = wal_generation(h.data_dir)
        threads = [threading.Thread(target=writer, args=(t,)) for t in range(WRITERS)]
        for th in threads:
            th.start()
        deadline = time.monotonic() + 90
        while True:
            gen = wal_generation(h.data_dir)
            if gen is not None and start_gen is not None and gen != start_gen:
                break
            if start_gen is None:
                start_gen = gen
            assert time.monotonic() < deadline, "the WAL never started over"
            time.sleep(0.05)
        # Somewhere in the next cycle: the checkpointer copying or writing back, or the
        # table's thread finishing the copy.
        time.sleep(rng.uniform(0.0, 1.5))
        before = len(acked)
        os.killpg(h.proc.pid, signal.SIGKILL)
        h.proc.wait(timeout=10)
        h.proc = None
        stop.set()
        for th in threads:
            th.join(timeout=30)
        assert before > 0
        print(f"round {rnd}: {before} acknowledged, WAL generation {start_gen} -> {wal_generation(h.data_dir)}")
        h.start()
        ddb = h.client()
        seen = {}
        kwargs = {"TableName": name, "ConsistentRead": True}
        while True:
            page = ddb.scan(**kwargs)
            for item in page["Items"]:
                seen[item["pk"]["S"]] = item["v"]["S"]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        missing = sorted(acked - seen.keys())
        assert not missing, f"round {rnd}: {len(missing)} acknowledged writes lost, e.g. {missing[:5]}"
        wrong = [k for k, v in seen.items() if v != value_of(k)]
        assert not wrong, f"round {rnd}: wrong values for {wrong[:5]}"
