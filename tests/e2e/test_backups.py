"""On-demand backups and point-in-time recovery, through boto3, on either host.

A backup is a snapshot of the table at one LSN in the object store (natively
`DATA_DIR/objects`, on the Worker the local R2 bucket); a restore is a new table that loads
it in the background (CREATING with a RestoreSummary, then ACTIVE). A point-in-time restore
rebuilds the source at any millisecond of its window from the archived log. Each restored
table is compared, item for item and through its index, with a model of the writes the test
made.
"""

import time

import pytest

from ddbutil import canon, create_table_kwargs, expect_error, query_all, unique_name

N = 10_000


def gsi_table(ddb, name, billing="PAY_PER_REQUEST"):
    kw = create_table_kwargs(name, billing=billing)
    kw["AttributeDefinitions"].append({"AttributeName": "g", "AttributeType": "S"})
    gsi = {"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
           "Projection": {"ProjectionType": "ALL"}}
    if billing != "PAY_PER_REQUEST":
        gsi["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    kw["GlobalSecondaryIndexes"] = [gsi]
    ddb.create_table(**kw)
    return name


def item(i, version=0):
    it = {"pk": {"S": f"k{i:05d}"}, "n": {"N": str(i)}, "v": {"N": str(version)},
          "blob": {"B": bytes([i % 256]) * (i % 7)}, "ss": {"SS": [f"a{i % 3}", "z"]},
          "m": {"M": {"l": {"L": [{"N": str(version)}, {"BOOL": i % 2 == 0}]}}}}
    if i % 4 == 0:
        it["g"] = {"S": f"g{i % 10}"}
    return it


def batch_put(ddb, table, items, model):
    items = list(items)
    for at in range(0, len(items), 25):
        reqs = [{"PutRequest": {"Item": it}} for it in items[at:at + 25]]
        for _ in range(50):
            out = ddb.batch_write_item(RequestItems={table: reqs})
            reqs = out.get("UnprocessedItems", {}).get(table, [])
            if not reqs:
                break
        assert not reqs
    for it in items:
        model[it["pk"]["S"]] = it


def batch_delete(ddb, table, keys, model):
    keys = list(keys)
    for at in range(0, len(keys), 25):
        reqs = [{"DeleteRequest": {"Key": {"pk": {"S": k}}}} for k in keys[at:at + 25]]
        out = ddb.batch_write_item(RequestItems={table: reqs})
        assert not out.get("UnprocessedItems")
    for k in keys:
        model.pop(k, None)


def wait_active(ddb, name, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        t = ddb.describe_table(TableName=name)["Table"]
        if t["TableStatus"] == "ACTIVE":
            return t
        assert t["TableStatus"] == "CREATING", t["TableStatus"]
        assert t["RestoreSummary"]["RestoreInProgress"] is True
        time.sleep(0.2)
    raise AssertionError(f"{name} is not ACTIVE after {timeout} s")


def wait_backup(ddb, arn, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        d = ddb.describe_backup(BackupArn=arn)["BackupDescription"]
        if d["BackupDetails"]["BackupStatus"] == "AVAILABLE":
            return d
        assert d["BackupDetails"]["BackupStatus"] == "CREATING"
        time.sleep(0.1)
    raise AssertionError(f"backup {arn} is not AVAILABLE after {timeout} s")


def enable_pitr(ddb, table):
    ddb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})


def mark(instants, model):
    """Records an instant strictly between two phases of writes, with the model at it."""
    time.sleep(0.05)
    instants.append((time.time(), dict(model)))
    time.sleep(0.05)


def restore_and_check(ddb, src, instants, model):
    """Restores `src` to each (instant, model at it) and to its latest restorable time
    (`model`); each restored table must equal its model. Returns the latest one's name."""
    for n, (at, want) in enumerate(instants):
        dst = unique_name(f"at-{n}")
        t = ddb.restore_table_to_point_in_time(
            SourceTableName=src, TargetTableName=dst, RestoreDateTime=at)["TableDescription"]
        assert t["RestoreSummary"]["SourceTableArn"].endswith(f":table/{src}")
        assert abs(t["RestoreSummary"]["RestoreDateTime"].timestamp() - at) < 0.002
        assert "SourceBackupArn" not in t["RestoreSummary"]
        wait_active(ddb, dst)
        assert_equals_model(ddb, dst, want)
    latest = unique_name("latest")
    ddb.restore_table_to_point_in_time(SourceTableName=src, TargetTableName=latest,
                                       UseLatestRestorableTime=True)
    wait_active(ddb, latest)
    assert_equals_model(ddb, latest, model)
    return latest


def assert_equals_model(ddb, name, model):
    items, _ = query_all(ddb, _op="scan", TableName=name)
    got = {i["pk"]["S"]: canon(i) for i in items}
    want = {k: canon(v) for k, v in model.items()}
    assert len(got) == len(want)
    missing = [k for k in want if k not in got][:5]
    wrong = [k for k in want if k in got and got[k] != want[k]][:5]
    extra = [k for k in got if k not in want][:5]
    assert not (missing or wrong or extra), (missing, wrong, extra)
    # The index holds exactly the items with the index key.
    indexed, _ = query_all(ddb, _op="scan", TableName=name, IndexName="by_g")
    assert sorted(i["pk"]["S"] for i in indexed) == sorted(
        k for k, v in model.items() if "g" in v)
    for g in ("g0", "g4"):
        q, _ = query_all(ddb, TableName=name, IndexName="by_g",
                         KeyConditionExpression="g = :g",
                         ExpressionAttributeValues={":g": {"S": g}})
        assert sorted(i["pk"]["S"] for i in q) == sorted(
            k for k, v in model.items() if v.get("g") == {"S": g})


def test_backup_restores_the_state_at_backup_time(ddb):
    src = gsi_table(ddb, unique_name("bk-src"))
    model = {}
    batch_put(ddb, src, (item(i) for i in range(N)), model)
    batch_delete(ddb, src, (f"k{i:05d}" for i in range(0, N, 9)), model)
    for i in range(1, 400, 3):  # updates, some adding or removing the index key
        expr = "SET v = :v REMOVE g" if i % 2 else "SET v = :v, g = :g"
        vals = {":v": {"N": "7"}} if i % 2 else {":v": {"N": "7"}, ":g": {"S": "g4"}}
        ddb.update_item(TableName=src, Key={"pk": {"S": f"k{i:05d}"}},
                        UpdateExpression=expr, ExpressionAttributeValues=vals)
        if f"k{i:05d}" in model:
            it = dict(model[f"k{i:05d}"])
            it["v"] = {"N": "7"}
            if i % 2:
                it.pop("g", None)
            else:
                it["g"] = {"S": "g4"}
            model[f"k{i:05d}"] = it
        else:
            model[f"k{i:05d}"] = {"pk": {"S": f"k{i:05d}"}, "v": {"N": "7"},
                                  **({} if i % 2 else {"g": {"S": "g4"}})}
    at_backup = dict(model)

    out = ddb.create_backup(TableName=src, BackupName="nightly")["BackupDetails"]
    arn = out["BackupArn"]
    assert out["BackupName"] == "nightly"
    assert out["BackupType"] == "USER"
    assert out["BackupStatus"] in ("CREATING", "AVAILABLE")
    assert arn.startswith(f"arn:aws:dynamodb:") and f":table/{src}/backup/" in arn
    # Writes after the backup are not in it.
    batch_put(ddb, src, (item(i, 2) for i in range(N, N + 300)), model)
    batch_delete(ddb, src, (f"k{i:05d}" for i in range(1, 200, 2)), model)

    d = wait_backup(ddb, arn)
    assert d["SourceTableDetails"]["TableName"] == src
    assert d["SourceTableDetails"]["ItemCount"] == len(at_backup)
    assert d["SourceTableFeatureDetails"]["GlobalSecondaryIndexes"][0]["IndexName"] == "by_g"
    assert d["BackupDetails"]["BackupSizeBytes"] > 0

    dst = unique_name("bk-dst")
    t = ddb.restore_table_from_backup(TargetTableName=dst, BackupArn=arn)["TableDescription"]
    assert t["TableName"] == dst
    assert t["TableStatus"] in ("CREATING", "ACTIVE")
    assert t["RestoreSummary"]["SourceBackupArn"] == arn
    assert t["RestoreSummary"]["SourceTableArn"].endswith(f":table/{src}")
    t = wait_active(ddb, dst)
    assert t["RestoreSummary"]["RestoreInProgress"] is False
    assert t["ItemCount"] == len(at_backup)
    assert t["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    assert_equals_model(ddb, dst, at_backup)
    # The restored table is an ordinary table.
    ddb.put_item(TableName=dst, Item=item(99_999))
    assert "Item" in ddb.get_item(TableName=dst, Key={"pk": {"S": "k99999"}})
    # The source went on.
    assert_equals_model(ddb, src, model)

    # The name is taken now.
    expect_error(lambda: ddb.restore_table_from_backup(TargetTableName=dst, BackupArn=arn),
                 "TableAlreadyExistsException", f"Table already exists: {dst}")
    # A backup outlives its table.
    ddb.delete_table(TableName=src)
    again = unique_name("bk-again")
    ddb.restore_table_from_backup(TargetTableName=again, BackupArn=arn)
    wait_active(ddb, again)
    assert_equals_model(ddb, again, at_backup)

    deleted = ddb.delete_backup(BackupArn=arn)["BackupDescription"]
    assert deleted["BackupDetails"]["BackupStatus"] == "DELETED"
    expect_error(lambda: ddb.describe_backup(BackupArn=arn), "BackupNotFoundException",
                 f"Backup not found: {arn}")
    expect_error(lambda: ddb.restore_table_from_backup(TargetTableName=unique_name("x"),
                                                       BackupArn=arn),
                 "BackupNotFoundException", f"Backup not found: {arn}")


def test_restore_overrides(ddb):
    src = gsi_table(ddb, unique_name("ov-src"))
    model = {}
    batch_put(ddb, src, (item(i) for i in range(60)), model)
    arn = ddb.create_backup(TableName=src, BackupName="bk1")["BackupDetails"]["BackupArn"]
    wait_backup(ddb, arn)
    dst = unique_name("ov-dst")
    ddb.restore_table_from_backup(
        TargetTableName=dst, BackupArn=arn, BillingModeOverride="PROVISIONED",
        ProvisionedThroughputOverride={"ReadCapacityUnits": 7, "WriteCapacityUnits": 3},
        GlobalSecondaryIndexOverride=[])
    t = wait_active(ddb, dst)
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
    assert "GlobalSecondaryIndexes" not in t
    assert "BillingModeSummary" not in t
    items, _ = query_all(ddb, _op="scan", TableName=dst)
    assert {i["pk"]["S"]: canon(i) for i in items} == {k: canon(v) for k, v in model.items()}


def test_list_backups_filters_and_pages(ddb):
    a, b = unique_name("lb-a"), unique_name("lb-b")
    for t in (a, b):
        ddb.create_table(**create_table_kwargs(t))
    t0 = time.time()
    arns = [ddb.create_backup(TableName=a, BackupName=f"bka{i}")["BackupDetails"]["BackupArn"]
            for i in range(3)]
    other = ddb.create_backup(TableName=b, BackupName="bkb0")["BackupDetails"]["BackupArn"]
    t1 = time.time()
    for arn in arns + [other]:
        wait_backup(ddb, arn)
    mine = ddb.list_backups(TableName=a)["BackupSummaries"]
    assert [s["BackupArn"] for s in mine] == arns
    assert {s["TableName"] for s in mine} == {a}
    assert all(s["BackupType"] == "USER" and s["BackupStatus"] == "AVAILABLE" for s in mine)
    page = ddb.list_backups(TableName=a, Limit=2)
    assert [s["BackupArn"] for s in page["BackupSummaries"]] == arns[:2]
    assert page["LastEvaluatedBackupArn"] == arns[1]
    rest = ddb.list_backups(TableName=a, Limit=2, ExclusiveStartBackupArn=arns[1])
    assert [s["BackupArn"] for s in rest["BackupSummaries"]] == arns[2:]
    assert "LastEvaluatedBackupArn" not in rest
    window = ddb.list_backups(TimeRangeLowerBound=t0 - 1, TimeRangeUpperBound=t1 + 1)
    assert set(arns + [other]) <= {s["BackupArn"] for s in window["BackupSummaries"]}
    assert ddb.list_backups(TableName=a, TimeRangeUpperBound=t0 - 60)["BackupSummaries"] == []
    assert ddb.list_backups(TableName=a, BackupType="SYSTEM")["BackupSummaries"] == []
    assert len(ddb.list_backups(TableName=a, BackupType="ALL")["BackupSummaries"]) == 3


def test_backup_errors(ddb, ddb_noval):
    missing = unique_name("missing")
    expect_error(lambda: ddb.create_backup(TableName=missing, BackupName="x1y"),
                 "TableNotFoundException", f"Table not found: {missing}")
    fake = f"arn:aws:dynamodb:us-east-1:000000000000:table/{missing}/backup/01700000000000-deadbeef"
    expect_error(lambda: ddb.describe_backup(BackupArn=fake), "BackupNotFoundException",
                 f"Backup not found: {fake}")
    expect_error(lambda: ddb.delete_backup(BackupArn=fake), "BackupNotFoundException",
                 f"Backup not found: {fake}")
    expect_error(lambda: ddb_noval.list_backups(Limit=0), "ValidationException",
                 contains=["Member must have value greater than or equal to 1"])
    expect_error(lambda: ddb_noval.list_backups(BackupType="NOPE"), "ValidationException",
                 contains=["Member must satisfy enum value set: [USER, SYSTEM, AWS_BACKUP, ALL]"])
    expect_error(lambda: ddb_noval.create_backup(TableName="ok-table", BackupName="a b"),
                 "ValidationException", contains=["backupName"])


def test_continuous_backups_off_and_on(ddb, ddb_noval):
    name = unique_name("pitr-sw")
    ddb.create_table(**create_table_kwargs(name))
    d = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert d == {"ContinuousBackupsStatus": "ENABLED",
                 "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}
    expect_error(lambda: ddb.restore_table_to_point_in_time(
        SourceTableName=name, TargetTableName=unique_name("x"), UseLatestRestorableTime=True),
        "PointInTimeRecoveryUnavailableException",
        f"Point in time recovery is not enabled for table '{name}'")
    before = time.time()
    d = ddb.update_continuous_backups(
        TableName=name,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True,
                                          "RecoveryPeriodInDays": 7},
    )["ContinuousBackupsDescription"]
    p = d["PointInTimeRecoveryDescription"]
    assert p["PointInTimeRecoveryStatus"] == "ENABLED"
    assert p["RecoveryPeriodInDays"] == 7
    earliest = p["EarliestRestorableDateTime"].timestamp()
    assert before - 2 <= earliest <= time.time() + 2
    assert p["LatestRestorableDateTime"].timestamp() >= earliest
    d = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert d["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 7
    expect_error(lambda: ddb.restore_table_to_point_in_time(
        SourceTableName=name, TargetTableName=unique_name("x"),
        RestoreDateTime=before - 3600), "InvalidRestoreTimeException",
        contains=["must be within EarliestRestorableDateTime"])
    expect_error(lambda: ddb_noval.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 36}),
        "ValidationException", contains=["Member must have value less than or equal to 35"])
    expect_error(lambda: ddb_noval.restore_table_to_point_in_time(
        SourceTableName=name, TargetTableName=unique_name("x")), "ValidationException",
        "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be "
        "specified, but not both")
    expect_error(lambda: ddb.restore_table_to_point_in_time(
        SourceTableName=name, TargetTableName=name, UseLatestRestorableTime=True),
        "TableAlreadyExistsException", f"Table already exists: {name}")
    missing = unique_name("missing")
    expect_error(lambda: ddb.describe_continuous_backups(TableName=missing),
                 "TableNotFoundException", f"Table not found: {missing}")
    expect_error(lambda: ddb.restore_table_to_point_in_time(
        SourceTableName=missing, TargetTableName=unique_name("x"),
        UseLatestRestorableTime=True), "TableNotFoundException", f"Table not found: {missing}")
    ddb.update_continuous_backups(
        TableName=name,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    d = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert d["PointInTimeRecoveryDescription"] == {"PointInTimeRecoveryStatus": "DISABLED"}


def test_point_in_time_restore_to_three_instants(ddb):
    src = gsi_table(ddb, unique_name("pitr"))
    enable_pitr(ddb, src)
    model, instants = {}, []

    batch_put(ddb, src, (item(i) for i in range(3000)), model)
    mark(instants, model)
    batch_delete(ddb, src, (f"k{i:05d}" for i in range(0, 3000, 5)), model)
    for i in range(1, 300, 7):
        ddb.put_item(TableName=src, Item=item(i, 3))
        model[f"k{i:05d}"] = item(i, 3)
    mark(instants, model)
    batch_put(ddb, src, (item(i, 4) for i in range(2500, 4000)), model)
    ddb.transact_write_items(TransactItems=[
        {"Delete": {"TableName": src, "Key": {"pk": {"S": "k00001"}}}},
        {"Put": {"TableName": src, "Item": item(77_777)}},
    ])
    model.pop("k00001", None)
    model["k77777"] = item(77_777)
    mark(instants, model)
    ddb.delete_item(TableName=src, Key={"pk": {"S": "k00008"}})
    model.pop("k00008", None)
    latest = restore_and_check(ddb, src, instants, model)
    # A restored table does not inherit point-in-time recovery.
    d = ddb.describe_continuous_backups(TableName=latest)["ContinuousBackupsDescription"]
    assert d["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"


def test_point_in_time_restore_of_a_deleted_table(ddb):
    src = gsi_table(ddb, unique_name("pitr-del"))
    arn = ddb.describe_table(TableName=src)["Table"]["TableArn"]
    ddb.update_continuous_backups(
        TableName=src, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    model = {}
    batch_put(ddb, src, (item(i) for i in range(200)), model)
    time.sleep(0.05)
    at = time.time()
    time.sleep(0.05)
    ddb.delete_table(TableName=src)
    dst = unique_name("pitr-del-dst")
    ddb.restore_table_to_point_in_time(SourceTableArn=arn, TargetTableName=dst,
                                       RestoreDateTime=at)
    wait_active(ddb, dst)
    assert_equals_model(ddb, dst, model)
