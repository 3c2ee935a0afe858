"""The change log (native host): `extenddo log dump --data-dir DIR --table NAME [--json]`.

After N acknowledged mutations on a fresh table the log holds exactly N+1 records (TableCreated
first) with dense LSNs 1..N+1; reads, invalid requests and failed writes add nothing.

The dump is tried while the server runs; if the CLI refuses (e.g. the data dir is locked), the
host is stopped for the dump and started again (the test output says which happened).
"""

import json
import sqlite3
import subprocess

import pytest
from botocore.exceptions import ClientError

from ddbutil import create_table_kwargs, expect_error, unique_name

pytestmark = pytest.mark.native_only


def run_dump(host, table, as_json=True):
    cmd = [str(host.binary), "log", "dump", "--data-dir", str(host.data_dir), "--table", table]
    if as_json:
        cmd.append("--json")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if r.returncode == 0:
        print(f"[log dump ran with the server running] {' '.join(cmd)}")
        return r.stdout
    first_err = r.stderr.strip()
    host.stop()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    finally:
        host.start()
    if r.returncode != 0:
        pytest.fail(f"`{' '.join(cmd)}` failed (exit {r.returncode}) with the server running "
                    f"and stopped.\nrunning: {first_err[-2000:]}\nstopped: {r.stderr[-2000:]}")
    print(f"[log dump needed the server stopped; while running it said: {first_err[-300:]}]")
    return r.stdout


def dump_records(host, table):
    out = run_dump(host, table, as_json=True)
    records = []
    for line in out.splitlines():
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            pytest.fail(f"log dump --json printed a line that is not JSON: {line[:300]!r}")
        assert isinstance(rec, dict), line
        for field in ("lsn", "ts", "kind"):
            assert field in rec, f"record without {field!r}: {line[:300]}"
        records.append(rec)
    return records


def check_log(records, expected_kinds):
    kinds = [r["kind"] for r in records]
    lsns = [r["lsn"] for r in records]
    assert lsns == list(range(1, len(expected_kinds) + 1)), f"LSNs not dense 1..N+1: {lsns}"
    assert kinds == expected_kinds
    ts = [r["ts"] for r in records]
    if all(isinstance(t, (int, float)) for t in ts):
        assert ts == sorted(ts), f"timestamps go backwards: {ts}"


@pytest.fixture
def fresh_table(native_host, ddb):
    name = unique_name("log")
    ddb.create_table(**create_table_kwargs(name, range_key=("sk", "N")))
    yield name
    try:
        ddb.delete_table(TableName=name)
    except Exception:
        pass


def test_fresh_table_has_only_table_created(native_host, fresh_table):
    check_log(dump_records(native_host, fresh_table), ["TableCreated"])


def test_one_record_per_acknowledged_mutation(native_host, ddb, ddb_noval, fresh_table):
    t = fresh_table
    k = lambda p, s: {"pk": {"S": p}, "sk": {"N": s}}  # noqa: E731
    expected = ["TableCreated"]

    def ok(fn, kind):
        fn()
        expected.append(kind)

    ok(lambda: ddb.put_item(TableName=t, Item={**k("a", "1"), "v": {"S": "x"}}), "ItemPut")
    ok(lambda: ddb.put_item(TableName=t, Item={**k("a", "2")}), "ItemPut")
    # reads add nothing (whether or not they succeed: Query is tested elsewhere)
    for read in (lambda: ddb.get_item(TableName=t, Key=k("a", "1")),
                 lambda: ddb.query(TableName=t, KeyConditionExpression="pk = :p",
                                   ExpressionAttributeValues={":p": {"S": "a"}}),
                 lambda: ddb.scan(TableName=t, Limit=1),
                 lambda: ddb.describe_table(TableName=t)):
        try:
            read()
        except ClientError:
            pass
    # invalid requests add nothing
    expect_error(lambda: ddb.put_item(TableName=t, Item={"pk": {"S": "a"}}),
                 "ValidationException")
    expect_error(lambda: ddb.put_item(TableName=t, Item={"pk": {"N": "1"}, "sk": {"N": "1"}}),
                 "ValidationException")
    expect_error(lambda: ddb.put_item(TableName=t, Item={**k("a", "3"), "bad": {"NS": ["x"]}}),
                 "ValidationException")
    expect_error(lambda: ddb_noval.put_item(TableName=t, Item={**k("a", "3"), "e": {"SS": []}}),
                 "ValidationException")
    expect_error(lambda: ddb.put_item(TableName=t, Item=k("a", "3"), ReturnValues="ALL_NEW"),
                 "ValidationException")
    expect_error(lambda: ddb.delete_item(TableName=t, Key={"pk": {"S": "a"}}),
                 "ValidationException")
    expect_error(lambda: ddb.create_table(**create_table_kwargs(t)), "ResourceInUseException")
    # overwrite, ReturnValues, delete
    ok(lambda: ddb.put_item(TableName=t, Item={**k("a", "1"), "v": {"S": "y"}},
                            ReturnValues="ALL_OLD"), "ItemPut")
    ok(lambda: ddb.put_item(TableName=t, Item={**k("b", "-1.5"), "big": {"S": "z" * 5000}}),
       "ItemPut")
    ok(lambda: ddb.delete_item(TableName=t, Key=k("a", "2")), "ItemDeleted")
    ok(lambda: ddb.delete_item(TableName=t, Key=k("b", "-1.5"), ReturnValues="ALL_OLD"),
       "ItemDeleted")
    ok(lambda: ddb.put_item(TableName=t, Item=k("c", "0")), "ItemPut")

    check_log(dump_records(native_host, t), expected)


def test_text_dump_one_line_per_record(native_host, ddb, fresh_table):
    for i in range(4):
        ddb.put_item(TableName=fresh_table, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}})
    lines = [ln for ln in run_dump(native_host, fresh_table, as_json=False).splitlines()
             if ln.strip()]
    assert len(lines) == 5, lines


def test_tables_have_independent_lsns(native_host, ddb, make_table):
    t1, t2 = make_table(), make_table()
    for i in range(3):
        ddb.put_item(TableName=t1, Item={"pk": {"S": str(i)}})
    ddb.put_item(TableName=t2, Item={"pk": {"S": "only"}})
    check_log(dump_records(native_host, t1), ["TableCreated"] + ["ItemPut"] * 3)
    check_log(dump_records(native_host, t2), ["TableCreated", "ItemPut"])


def test_many_mutations_dense(native_host, ddb, fresh_table):
    expected = ["TableCreated"]
    for i in range(60):
        ddb.put_item(TableName=fresh_table, Item={"pk": {"S": f"p{i % 5}"}, "sk": {"N": str(i)}})
        expected.append("ItemPut")
        if i % 4 == 3:
            ddb.delete_item(TableName=fresh_table, Key={"pk": {"S": f"p{i % 5}"},
                                                       "sk": {"N": str(i)}})
            expected.append("ItemDeleted")
    check_log(dump_records(native_host, fresh_table), expected)


@pytest.mark.restart
def test_lsns_continue_after_restart(native_host, ddb, fresh_table, restart):
    for i in range(3):
        ddb.put_item(TableName=fresh_table, Item={"pk": {"S": "r"}, "sk": {"N": str(i)}})
    restart()
    ddb.put_item(TableName=fresh_table, Item={"pk": {"S": "r"}, "sk": {"N": "9"}})
    ddb.delete_item(TableName=fresh_table, Key={"pk": {"S": "r"}, "sk": {"N": "0"}})
    check_log(dump_records(native_host, fresh_table),
              ["TableCreated", "ItemPut", "ItemPut", "ItemPut", "ItemPut", "ItemDeleted"])


def test_dump_missing_table_fails_cleanly(native_host):
    cmd = [str(native_host.binary), "log", "dump", "--data-dir", str(native_host.data_dir),
           "--table", unique_name("nosuch"), "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0, f"dumping a table that does not exist should fail: {r.stdout[:500]}"
    assert "panicked" not in r.stderr, r.stderr[-2000:]


def run_verify(host, *args):
    cmd = [str(host.binary), "log", "verify", "--data-dir", str(host.data_dir), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def verify_table(ddb, name):
    """A table with every projection: two GSIs (one with a sort key), an LSI, TTL, a stream."""
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": t} for a, t in
                              [("pk", "S"), ("sk", "N"), ("g", "S"), ("n", "N"), ("l", "S")]],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
            {"IndexName": "by_n", "KeySchema": [{"AttributeName": "n", "KeyType": "HASH"},
                                                {"AttributeName": "sk", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}},
        ],
        LocalSecondaryIndexes=[
            {"IndexName": "by_l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                {"AttributeName": "l", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}},
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": "exp"})
    for i in range(30):
        item = {"pk": {"S": f"p{i % 4}"}, "sk": {"N": str(i)}, "g": {"S": f"g{i % 3}"},
                "n": {"N": str(i % 5)}, "l": {"S": f"l{i}"}, "x": {"S": "x" * i},
                "exp": {"N": str(4_000_000_000 + i)}}
        ddb.put_item(TableName=name, Item=item)
    for i in range(0, 30, 3):
        ddb.update_item(TableName=name, Key={"pk": {"S": f"p{i % 4}"}, "sk": {"N": str(i)}},
                        UpdateExpression="SET g = :g REMOVE l",
                        ExpressionAttributeValues={":g": {"S": "moved"}})
    for i in range(1, 30, 7):
        ddb.delete_item(TableName=name, Key={"pk": {"S": f"p{i % 4}"}, "sk": {"N": str(i)}})


def test_verify_replays_every_projection_and_names_a_damaged_index_row(native_host, ddb):
    name = unique_name("verify")
    verify_table(ddb, name)
    table_id = ddb.describe_table(TableName=name)["Table"]["TableId"]
    r = run_verify(native_host, "--table", name)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().endswith("ok"), r.stdout
    assert "3 indexes" in r.stdout, r.stdout

    # Damage one row of one index (its stored item), with the server stopped.
    native_host.stop()
    try:
        path = native_host.data_dir / "tables" / f"{table_id}.sqlite"
        db = sqlite3.connect(path)
        row = db.execute("SELECT ix, h, ipk, isk, tpk, tsk FROM idx WHERE ix = 'by_n' "
                         "ORDER BY h, ipk, isk, tpk, tsk LIMIT 1").fetchone()
        assert row is not None
        db.execute("UPDATE idx SET item = x'00' WHERE ix = ? AND h = ? AND ipk = ? AND isk = ? "
                   "AND tpk = ? AND tsk = ?", row)
        db.commit()
        db.close()
        pk, sk = row[4].decode(), row[5]
        r = run_verify(native_host, "--table-id", table_id)
    finally:
        native_host.start()
    assert r.returncode == 1, r.stdout + r.stderr
    problems = [ln for ln in r.stdout.splitlines() if ln.startswith("problem:")]
    assert len(problems) == 1, r.stdout
    assert "index by_n" in problems[0], problems
    assert f'"pk":{{"S":"{pk}"}}' in problems[0], problems
    assert '"sk":{"N":' in problems[0] and "changed" in problems[0], problems
    assert len(sk) > 0


def log_cli(host, *args):
    cmd = [str(host.binary), "log", *args, "--data-dir", str(host.data_dir)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_dump_ranges_and_diff_between_points(native_host, ddb, fresh_table):
    import datetime
    import time as _time

    def key(pk, sk):
        return {"pk": {"S": pk}, "sk": {"N": str(sk)}}

    ddb.put_item(TableName=fresh_table, Item={**key("a", 1), "v": {"S": "one"}})   # lsn 2
    ddb.put_item(TableName=fresh_table, Item={**key("b", 2), "v": {"S": "two"}})   # lsn 3
    _time.sleep(0.05)
    between = datetime.datetime.now(datetime.timezone.utc)
    _time.sleep(0.05)
    ddb.put_item(TableName=fresh_table, Item={**key("a", 1), "v": {"S": "uno"}})   # lsn 4
    ddb.delete_item(TableName=fresh_table, Key=key("b", 2))                        # lsn 5
    ddb.put_item(TableName=fresh_table, Item={**key("c", 3), "v": {"S": "three"}})  # lsn 6

    r = log_cli(native_host, "dump", "--table", fresh_table, "--json", "--from", "2", "--to", "3")
    assert r.returncode == 0, r.stderr
    recs = [json.loads(x) for x in r.stdout.splitlines()]
    assert [(x["lsn"], x["kind"]) for x in recs] == [(2, "ItemPut"), (3, "ItemPut")]

    stamp = between.strftime("%Y-%m-%dT%H:%M:%S.") + f"{between.microsecond // 1000:03d}Z"
    r = log_cli(native_host, "dump", "--table", fresh_table, "--json", "--from", stamp)
    assert r.returncode == 0, r.stderr
    assert [json.loads(x)["lsn"] for x in r.stdout.splitlines()] == [4, 5, 6]

    for frm in ("3", stamp):
        r = log_cli(native_host, "diff", "--table", fresh_table, "--from", frm, "--to", "6",
                    "--json")
        assert r.returncode == 0, r.stderr
        changes = [json.loads(x) for x in r.stdout.splitlines()]
        got = {(c["change"], c["key"]["pk"]["S"]): (c.get("old"), c.get("new")) for c in changes}
        assert got == {
            ("changed", "a"): ({**key("a", 1), "v": {"S": "one"}}, {**key("a", 1), "v": {"S": "uno"}}),
            ("removed", "b"): ({**key("b", 2), "v": {"S": "two"}}, None),
            ("added", "c"): (None, {**key("c", 3), "v": {"S": "three"}}),
        }, changes
    r = log_cli(native_host, "diff", "--table", fresh_table, "--from", "3", "--to", "6")
    assert r.stdout.strip().splitlines()[-1] == "1 added, 1 changed, 1 removed"
    r = log_cli(native_host, "diff", "--table", fresh_table, "--from", "yesterday", "--to", "6")
    assert r.returncode != 0 and "RFC 3339" in r.stderr


def test_snapshot_at_a_point_holds_the_items_then(native_host, ddb, fresh_table, tmp_path):
    def key(pk, sk):
        return {"pk": {"S": pk}, "sk": {"N": str(sk)}}

    ddb.put_item(TableName=fresh_table, Item={**key("a", 1), "v": {"S": "one"}})   # lsn 2
    ddb.put_item(TableName=fresh_table, Item={**key("b", 2), "v": {"S": "two"}})   # lsn 3
    ddb.put_item(TableName=fresh_table, Item={**key("a", 1), "v": {"S": "uno"}})   # lsn 4
    ddb.delete_item(TableName=fresh_table, Key=key("b", 2))                        # lsn 5
    table_id = ddb.describe_table(TableName=fresh_table)["Table"]["TableId"]

    def snap(at):
        out = tmp_path / f"at-{at}.snap"
        args = ["snapshot", "--table", fresh_table, "--out", str(out)]
        if at is not None:
            args += ["--at", str(at)]
        r = log_cli(native_host, *args)
        assert r.returncode == 0, r.stderr
        info = subprocess.run([str(native_host.binary), "log", "snapshot-info", str(out),
                               "--items"], capture_output=True, text=True, timeout=60)
        assert info.returncode == 0, info.stderr
        lines = [json.loads(x) for x in info.stdout.splitlines()]
        return out, lines[0], sorted(lines[1:], key=lambda i: i["pk"]["S"])

    _, header, items = snap(3)
    assert (header["table_id"], header["lsn"], header["items"]) == (table_id, 3, 2)
    assert items == [{**key("a", 1), "v": {"S": "one"}}, {**key("b", 2), "v": {"S": "two"}}]
    path, header, items = snap(None)
    assert header["lsn"] == 5
    assert items == [{**key("a", 1), "v": {"S": "uno"}}]

    data = path.read_bytes()
    bad = tmp_path / "bad.snap"
    bad.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    r = subprocess.run([str(native_host.binary), "log", "snapshot-info", str(bad)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "bad.snap: damaged snapshot" in r.stderr, r.stderr
