"""Scan: full results, Limit, ExclusiveStartKey/LastEvaluatedKey pagination (all pages together
== all items, no duplicates), Count/ScannedCount, and the errors."""

import pytest

from ddbutil import MSG_BAD_START_KEY, MSG_RNF_DATA, canon, expect_error, query_all, unique_name


def key_of(item, names):
    return tuple(sorted((n, str(item[n])) for n in names))


@pytest.fixture
def populated(ddb, make_table):
    t = make_table(range_key=("sk", "N"))
    items = []
    for p in range(7):
        for s in range(9):
            item = {"pk": {"S": f"part-{p}"}, "sk": {"N": str(s - 4)}, "v": {"S": f"{p}/{s}"}}
            if s % 3 == 0:
                item["extra"] = {"M": {"l": {"L": [{"N": str(p)}]}}}
            ddb.put_item(TableName=t, Item=item)
            items.append(item)
    return t, items


def test_scan_returns_everything(ddb, populated):
    t, items = populated
    resp = ddb.scan(TableName=t)
    assert resp["Count"] == len(items) == resp["ScannedCount"]
    assert "LastEvaluatedKey" not in resp
    got = {key_of(i, ("pk", "sk")): canon(i) for i in resp["Items"]}
    assert got == {key_of(i, ("pk", "sk")): canon(i) for i in items}


def test_scan_groups_partitions_and_orders_sort_keys(ddb, populated):
    """Within one partition, scan returns items in sort-key order, partitions contiguous."""
    t, _ = populated
    resp = ddb.scan(TableName=t)
    seen_parts, last = [], None
    for item in resp["Items"]:
        p = item["pk"]["S"]
        if p != last:
            assert p not in seen_parts, "a partition's items must be contiguous in a scan"
            seen_parts.append(p)
            last = p
    for p in seen_parts:
        sks = [int(i["sk"]["N"]) for i in resp["Items"] if i["pk"]["S"] == p]
        assert sks == sorted(sks)


@pytest.mark.parametrize("limit", [1, 2, 5, 8, 62, 63, 64, 1000])
def test_scan_pagination(ddb, populated, limit):
    t, items = populated
    got, pages = query_all(ddb, _op="scan", TableName=t, Limit=limit)
    keys = [key_of(i, ("pk", "sk")) for i in got]
    assert len(keys) == len(set(keys)), "duplicates across pages"
    assert sorted(keys) == sorted(key_of(i, ("pk", "sk")) for i in items)
    for page in pages:
        assert len(page["Items"]) <= limit
        assert page["Count"] == len(page["Items"])
        assert page["ScannedCount"] >= page["Count"]
        if "LastEvaluatedKey" in page:
            assert set(page["LastEvaluatedKey"]) == {"pk", "sk"}
            last = page["Items"][-1]
            assert page["LastEvaluatedKey"] == {"pk": last["pk"], "sk": last["sk"]}
    assert all(len(p["Items"]) == limit for p in pages[:-1])
    # the same order as an unpaginated scan
    assert [key_of(i, ("pk", "sk")) for i in ddb.scan(TableName=t)["Items"]] == keys


def test_scan_hash_only_table_pagination(ddb, make_table):
    t = make_table(("pk", "N"))
    for i in range(40):
        ddb.put_item(TableName=t, Item={"pk": {"N": str(i * 7 - 100)}})
    got, pages = query_all(ddb, _op="scan", TableName=t, Limit=6)
    nums = [i["pk"]["N"] for i in got]
    assert sorted(nums, key=int) == sorted((str(i * 7 - 100) for i in range(40)), key=int)
    assert len(set(nums)) == 40
    for page in pages:
        if "LastEvaluatedKey" in page:
            assert set(page["LastEvaluatedKey"]) == {"pk"}


def test_scan_pagination_survives_writes_between_pages(ddb, populated):
    """Items not touched during the scan are returned exactly once."""
    t, items = populated
    first = ddb.scan(TableName=t, Limit=10)
    ddb.put_item(TableName=t, Item={"pk": {"S": "part-new"}, "sk": {"N": "0"}})
    rest, _ = query_all(ddb, _op="scan", TableName=t, Limit=10,
                        ExclusiveStartKey=first["LastEvaluatedKey"])
    keys = [key_of(i, ("pk", "sk")) for i in first["Items"] + rest]
    assert len(keys) == len(set(keys))
    original = {key_of(i, ("pk", "sk")) for i in items}
    assert original <= set(keys)


def test_scan_empty_table(ddb, table_s):
    resp = ddb.scan(TableName=table_s)
    assert resp["Items"] == [] and resp["Count"] == 0 and resp["ScannedCount"] == 0
    assert "LastEvaluatedKey" not in resp
    resp = ddb.scan(TableName=table_s, Limit=1)
    assert resp["Items"] == [] and resp["Count"] == 0


def test_scan_after_deletes(ddb, populated):
    t, items = populated
    for item in items[::2]:
        ddb.delete_item(TableName=t, Key={"pk": item["pk"], "sk": item["sk"]})
    got, _ = query_all(ddb, _op="scan", TableName=t, Limit=4)
    assert sorted(key_of(i, ("pk", "sk")) for i in got) == \
        sorted(key_of(i, ("pk", "sk")) for i in items[1::2])


def test_scan_missing_table(ddb):
    expect_error(lambda: ddb.scan(TableName=unique_name("missing")),
                 "ResourceNotFoundException", MSG_RNF_DATA)


def test_scan_limit_zero(ddb_noval, table_s):
    expect_error(lambda: ddb_noval.scan(TableName=table_s, Limit=0), "ValidationException",
                 one_of=[
                     "1 validation error detected: Value '0' at 'limit' failed to satisfy "
                     "constraint: Member must have value greater than or equal to 1",
                     "1 validation error detected: Value at 'Limit' failed to satisfy "
                     "constraint: Member must have value greater than or equal to 1"])


@pytest.mark.parametrize("start", [{"pk": {"N": "1"}}, {"other": {"S": "x"}},
                                   {"pk": {"S": "x"}, "sk": {"N": "1"}}])
def test_scan_bad_exclusive_start_key(ddb, table_s, start):
    expect_error(lambda: ddb.scan(TableName=table_s, ExclusiveStartKey=start),
                 "ValidationException", MSG_BAD_START_KEY)
