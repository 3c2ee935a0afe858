"""Acknowledged writes survive a restart of the host (same data dir / persist dir)."""

import pytest

from ddbutil import (ALL_TYPES_ITEM, canon, create_table_kwargs, expect_error,
                     msg_rnf_table, query_all, unique_name)

pytestmark = pytest.mark.restart


def test_restart_keeps_tables_and_items(ddb, restart):
    hash_t = unique_name("persist-h")
    comp_t = unique_name("persist-c")
    gone_t = unique_name("persist-gone")
    ddb.create_table(**create_table_kwargs(hash_t))
    comp_kw = create_table_kwargs(comp_t, ("pk", "B"), ("sk", "N"), billing="PROVISIONED",
                                  throughput=(4, 6))
    ddb.create_table(**comp_kw)
    ddb.create_table(**create_table_kwargs(gone_t))
    try:
        desc_before = {t: ddb.describe_table(TableName=t)["Table"] for t in (hash_t, comp_t)}
        ddb.put_item(TableName=hash_t, Item=ALL_TYPES_ITEM)
        ddb.put_item(TableName=hash_t, Item={"pk": {"S": "overwritten"}, "v": {"N": "1"}})
        ddb.put_item(TableName=hash_t, Item={"pk": {"S": "overwritten"}, "v": {"N": "2"}})
        ddb.put_item(TableName=hash_t, Item={"pk": {"S": "deleted"}})
        ddb.delete_item(TableName=hash_t, Key={"pk": {"S": "deleted"}})
        comp_items = []
        for i in range(30):
            item = {"pk": {"B": bytes([i % 3, 255])}, "sk": {"N": str(i - 15) + ".5"},
                    "i": {"N": str(i)}}
            ddb.put_item(TableName=comp_t, Item=item)
            comp_items.append(item)
        ddb.put_item(TableName=gone_t, Item={"pk": {"S": "x"}})
        ddb.delete_table(TableName=gone_t)
        scan_before, _ = query_all(ddb, _op="scan", TableName=comp_t, Limit=7)

        restart()

        tables = ddb.list_tables()["TableNames"]
        assert hash_t in tables and comp_t in tables and gone_t not in tables
        for t in (hash_t, comp_t):
            after = ddb.describe_table(TableName=t)["Table"]
            for k in ("TableName", "TableId", "TableArn", "KeySchema", "AttributeDefinitions",
                      "CreationDateTime", "TableStatus"):
                assert after[k] == desc_before[t][k], k
        pt = ddb.describe_table(TableName=comp_t)["Table"]["ProvisionedThroughput"]
        assert (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]) == (4, 6)
        expect_error(lambda: ddb.describe_table(TableName=gone_t), "ResourceNotFoundException",
                     msg_rnf_table(gone_t))

        got = ddb.get_item(TableName=hash_t, Key={"pk": {"S": "all-types"}})["Item"]
        assert canon(got) == canon(ALL_TYPES_ITEM)
        got = ddb.get_item(TableName=hash_t, Key={"pk": {"S": "overwritten"}})["Item"]
        assert got == {"pk": {"S": "overwritten"}, "v": {"N": "2"}}
        assert "Item" not in ddb.get_item(TableName=hash_t, Key={"pk": {"S": "deleted"}})
        assert ddb.scan(TableName=hash_t)["Count"] == 2

        scan_after, _ = query_all(ddb, _op="scan", TableName=comp_t, Limit=7)
        assert scan_after == scan_before
        assert len(scan_after) == 30

        # and the host keeps working normally after the restart
        ddb.put_item(TableName=hash_t, Item={"pk": {"S": "after-restart"}})
        ddb.delete_item(TableName=hash_t, Key={"pk": {"S": "overwritten"}})
        ddb.create_table(**create_table_kwargs(gone_t))
        assert ddb.scan(TableName=gone_t)["Count"] == 0
    finally:
        for t in (hash_t, comp_t, gone_t):
            try:
                ddb.delete_table(TableName=t)
            except Exception:
                pass


def test_two_restarts_in_a_row(ddb, restart):
    t = unique_name("persist-twice")
    ddb.create_table(**create_table_kwargs(t, ("pk", "N")))
    try:
        for round_ in range(2):
            ddb.put_item(TableName=t, Item={"pk": {"N": str(round_)}, "r": {"N": str(round_)}})
            restart()
        items = sorted(ddb.scan(TableName=t)["Items"], key=lambda i: int(i["pk"]["N"]))
        assert items == [{"pk": {"N": "0"}, "r": {"N": "0"}}, {"pk": {"N": "1"}, "r": {"N": "1"}}]
    finally:
        ddb.delete_table(TableName=t)


def test_restart_keeps_query_order(ddb, restart):
    t = unique_name("persist-q")
    ddb.create_table(**create_table_kwargs(t, ("pk", "S"), ("sk", "N")))
    try:
        for v in ("10", "-2.5", "0", "3", "-100", "7.25"):
            ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"N": v}})
        args = dict(TableName=t, KeyConditionExpression="pk = :p AND sk > :lo",
                    ExpressionAttributeValues={":p": {"S": "p"}, ":lo": {"N": "-3"}})
        before = ddb.query(**args)["Items"]
        assert [i["sk"]["N"] for i in before] == ["-2.5", "0", "3", "7.25", "10"]
        restart()
        assert ddb.query(**args)["Items"] == before
        paged, _ = query_all(ddb, Limit=2, **args)
        assert paged == before
    finally:
        ddb.delete_table(TableName=t)
