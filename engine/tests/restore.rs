//! Backups and point-in-time restores, by deterministic simulation on the in-memory host:
//! random writes with the clock moving, archiving, snapshots and trimming at small
//! thresholds, crashes in the middle of restores; every restore to a random millisecond
//! equals a model of the writes at that instant, every restored table's log replays to its
//! projections, and a backup equals the state when it was taken.

use std::collections::BTreeMap;

use extenddo_engine::log::sqlite::Sqlite;
use extenddo_engine::log::Sql;
use extenddo_engine::projections;
use extenddo_engine::sim::Host;
use extenddo_engine::Config;
use proptest::prelude::*;
use serde_json::{json, Value};

type Model = BTreeMap<String, i64>;

fn open() -> Box<dyn Sql> {
    Box::new(Sqlite::in_memory().unwrap())
}

#[derive(Debug, Clone)]
enum Op {
    Put(u8, i64),
    Delete(u8),
    Add(u8, i64),
    /// Move the clock this many ms.
    Wait(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..24, -50i64..50).prop_map(|(k, v)| Op::Put(k, v)),
        2 => (0u8..24).prop_map(Op::Delete),
        2 => (0u8..24, 1i64..5).prop_map(|(k, v)| Op::Add(k, v)),
        2 => (1u8..20).prop_map(Op::Wait),
    ]
}

fn ok(h: &mut Host, target: &str, body: Value) -> Value {
    let (status, v) = h.request(target, &body);
    assert_eq!(status, 200, "{target}: {v}");
    v
}

fn create(h: &mut Host, name: &str) {
    ok(
        h,
        "CreateTable",
        json!({"TableName": name, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "g", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": [{"IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}}]}),
    );
}

fn apply(h: &mut Host, model: &mut Model, op: &Op) {
    let key = |k: u8| json!({"pk": {"S": format!("k{k}")}});
    match op {
        Op::Put(k, v) => {
            let mut item = json!({"pk": {"S": format!("k{k}")}, "v": {"N": v.to_string()}});
            if v % 2 == 0 {
                item["g"] = json!({"S": format!("g{}", v.rem_euclid(3))});
            }
            ok(h, "PutItem", json!({"TableName": "src", "Item": item}));
            model.insert(format!("k{k}"), *v);
        }
        Op::Delete(k) => {
            ok(h, "DeleteItem", json!({"TableName": "src", "Key": key(*k)}));
            model.remove(&format!("k{k}"));
        }
        Op::Add(k, d) => {
            ok(
                h,
                "UpdateItem",
                json!({"TableName": "src", "Key": key(*k), "UpdateExpression": "ADD v :d",
                       "ExpressionAttributeValues": {":d": {"N": d.to_string()}}}),
            );
            // ADD on a missing item creates it with the value; the index key stays as it was.
            *model.entry(format!("k{k}")).or_insert(0) += d;
        }
        Op::Wait(ms) => {
            let now = h.now() + i64::from(*ms);
            h.set_now(now);
            h.tick();
        }
    }
}

/// The table's items as (pk → v), through a Scan.
fn scan(h: &mut Host, table: &str) -> Model {
    let v = ok(h, "Scan", json!({"TableName": table}));
    v["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["pk"]["S"].as_str().unwrap().to_owned(),
                i["v"]["N"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

/// Runs the host's background work until `table` is ACTIVE, crashing it once on the way
/// when asked.
fn until_active(h: &mut Host, table: &str, crash_after: Option<usize>) {
    for round in 0..10_000 {
        let d = ok(h, "DescribeTable", json!({"TableName": table}));
        if d["Table"]["TableStatus"] == "ACTIVE" {
            assert_eq!(d["Table"]["RestoreSummary"]["RestoreInProgress"], false);
            return;
        }
        assert_eq!(d["Table"]["TableStatus"], "CREATING");
        if crash_after == Some(round) {
            h.restart();
        }
        if !h.tick_once() {
            // Waiting on a retry: move the clock to it.
            let next = h.next_timeout().expect("a restore that waits for nothing");
            h.set_now(next.max(h.now()));
        }
    }
    panic!("{table} never became ACTIVE: {:?}", h.diagnostics.last());
}

/// The restored table's log replays to exactly its projections.
fn replays(h: &mut Host, table: &str) {
    let sql = h.table_sql(table).unwrap();
    let replayed = Sqlite::in_memory().unwrap();
    projections::init(&replayed).unwrap();
    projections::replay_into(sql, &replayed).unwrap();
    let diff = projections::verify::compare(sql, &replayed).unwrap();
    assert!(diff.is_none(), "{table}: {diff:?}");
}

fn host() -> Host {
    let cfg = Config {
        archive_records: 6,
        snapshot_records: 10,
        log_retention_ms: 0,
        ..Config::default()
    };
    Host::new(cfg, open, 1_800_000_000_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn restores_equal_the_writes_at_their_instant(
        ops in prop::collection::vec(op(), 20..160),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 3),
        crash in prop::option::of(0usize..40),
    ) {
        let mut h = host();
        create(&mut h, "src");
        ok(&mut h, "UpdateContinuousBackups", json!({"TableName": "src",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}));
        let start = h.now();
        let mut model = Model::new();
        // The state at each instant a write was acknowledged: (instant, model).
        let mut states = vec![(start, Model::new())];
        let mut backup = None;
        for (i, o) in ops.iter().enumerate() {
            h.set_now(h.now() + 1);
            apply(&mut h, &mut model, o);
            states.push((h.now(), model.clone()));
            if i == ops.len() / 2 {
                let v = ok(&mut h, "CreateBackup", json!({"TableName": "src", "BackupName": "half"}));
                h.tick();
                backup = Some((v["BackupDetails"]["BackupArn"].as_str().unwrap().to_owned(),
                               model.clone()));
            }
        }
        h.set_now(h.now() + 1);
        h.tick();
        for (n, pick) in picks.iter().enumerate() {
            let (at, want) = pick.get(&states).clone();
            let name = format!("at{n}");
            ok(&mut h, "RestoreTableToPointInTime", json!({"SourceTableName": "src",
                "TargetTableName": name, "RestoreDateTime": at as f64 / 1000.0}));
            until_active(&mut h, &name, if n == 0 { crash } else { None });
            prop_assert_eq!(scan(&mut h, &name), want, "restored to {}", at);
            replays(&mut h, &name);
        }
        let (arn, want) = backup.unwrap();
        ok(&mut h, "RestoreTableFromBackup", json!({"BackupArn": arn, "TargetTableName": "bkp"}));
        until_active(&mut h, "bkp", crash.map(|c| c / 2));
        prop_assert_eq!(scan(&mut h, "bkp"), want);
        replays(&mut h, "bkp");
        ok(&mut h, "RestoreTableToPointInTime", json!({"SourceTableName": "src",
            "TargetTableName": "latest", "UseLatestRestorableTime": true}));
        until_active(&mut h, "latest", None);
        prop_assert_eq!(scan(&mut h, "latest"), model);
        // (The source's own log is trimmed behind its snapshots: `extenddo log verify`
        // replays it from the archive; tests/e2e/test_pitr_archive.py checks that.)
    }
}

/// A backup read in several steps while writes go on between them is the table as it was
/// when the backup was asked for.
#[test]
fn a_backup_read_in_steps_is_consistent_at_its_lsn() {
    // No archiving here: the restored table's own log stays whole, to replay it.
    let mut h = Host::new(Config::default(), open, 1_800_000_000_000);
    create(&mut h, "src");
    let mut model = Model::new();
    for chunk in 0..1000u32 {
        let puts: Vec<Value> = (0..25u32)
            .map(|i| {
                let k = chunk * 25 + i;
                json!({"PutRequest": {"Item": {"pk": {"S": format!("k{k}")}, "v": {"N": k.to_string()}}}})
            })
            .collect();
        ok(
            &mut h,
            "BatchWriteItem",
            json!({"RequestItems": {"src": puts}}),
        );
        for i in 0..25 {
            let k = chunk * 25 + i;
            model.insert(format!("k{k}"), i64::from(k));
        }
    }
    let at_backup = model.clone();
    let v = ok(
        &mut h,
        "CreateBackup",
        json!({"TableName": "src", "BackupName": "steps"}),
    );
    let arn = v["BackupDetails"]["BackupArn"].as_str().unwrap().to_owned();
    // Between the backup's steps: new items, updates, deletes, a key deleted and put again.
    let mut n = 0u32;
    loop {
        for _ in 0..300 {
            n += 1;
            let k = (n * 7919) % 26_000;
            let mut m = Model::new();
            match n % 3 {
                0 => apply(&mut h, &mut m, &Op::Delete((k % 24) as u8)),
                _ => {
                    ok(
                        &mut h,
                        "PutItem",
                        json!({"TableName": "src",
                        "Item": {"pk": {"S": format!("k{k}")}, "v": {"N": "-1"}}}),
                    );
                }
            }
        }
        let d = ok(&mut h, "DescribeBackup", json!({"BackupArn": arn}));
        if d["BackupDescription"]["BackupDetails"]["BackupStatus"] == "AVAILABLE" {
            break;
        }
        assert!(h.tick_once(), "the backup waits for nothing");
        assert!(n < 100_000, "the backup never finished");
    }
    assert!(n >= 600, "the backup took one step: {n} writes");
    ok(
        &mut h,
        "RestoreTableFromBackup",
        json!({"BackupArn": arn, "TargetTableName": "copy"}),
    );
    until_active(&mut h, "copy", None);
    let v = ok(
        &mut h,
        "Scan",
        json!({"TableName": "copy", "Select": "COUNT"}),
    );
    assert_eq!(v["Count"], at_backup.len());
    let mut got = Model::new();
    let mut start: Option<Value> = None;
    loop {
        let mut req = json!({"TableName": "copy"});
        if let Some(s) = start.take() {
            req["ExclusiveStartKey"] = s;
        }
        let page = ok(&mut h, "Scan", req);
        for i in page["Items"].as_array().unwrap() {
            got.insert(
                i["pk"]["S"].as_str().unwrap().to_owned(),
                i["v"]["N"].as_str().unwrap().parse().unwrap(),
            );
        }
        match page.get("LastEvaluatedKey") {
            Some(k) => start = Some(k.clone()),
            None => break,
        }
    }
    assert_eq!(got, at_backup);
    replays(&mut h, "copy");
}
