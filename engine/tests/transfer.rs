//! Exports and imports by deterministic simulation on the in-memory host: a full export is
//! the table at its ExportTime although writes go on between its steps (and the host may
//! crash in the middle); an incremental export holds exactly the net changes of its window;
//! an import of what an export wrote equals the export's table, its log replays to its
//! projections, and an import cut short by a crash resumes without a lost or doubled item.

use std::collections::BTreeMap;
use std::io::Read;

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
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..40, -50i64..50).prop_map(|(k, v)| Op::Put(k, v)),
        1 => (0u8..40).prop_map(Op::Delete),
    ]
}

fn ok(h: &mut Host, target: &str, body: Value) -> Value {
    let (status, v) = h.request(target, &body);
    assert_eq!(status, 200, "{target}: {v}");
    v
}

fn apply(h: &mut Host, model: &mut Model, op: &Op) {
    match op {
        Op::Put(k, v) => {
            let item = json!({"pk": {"S": format!("k{k}")}, "v": {"N": v.to_string()}});
            ok(h, "PutItem", json!({"TableName": "src", "Item": item}));
            model.insert(format!("k{k}"), *v);
        }
        Op::Delete(k) => {
            ok(
                h,
                "DeleteItem",
                json!({"TableName": "src", "Key": {"pk": {"S": format!("k{k}")}}}),
            );
            model.remove(&format!("k{k}"));
        }
    }
}

/// `trim`: the log is archived every 6 records, snapshotted every 10 and trimmed behind the
/// snapshots at once, so exports of past instants read their records from the archive.
fn host(trim: bool) -> Host {
    let mut cfg = Config {
        // Steps of three items: an export of a few dozen items takes many steps.
        transfer_chunk: 3,
        incremental_export_min_ms: 1,
        ..Config::default()
    };
    if trim {
        cfg.archive_records = 6;
        cfg.snapshot_records = 10;
        cfg.log_retention_ms = 0;
    }
    Host::new(cfg, open, 1_800_000_000_000)
}

fn table(h: &mut Host, name: &str) -> String {
    ok(
        h,
        "CreateTable",
        json!({"TableName": name, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}),
    );
    ok(
        h,
        "UpdateContinuousBackups",
        json!({"TableName": name,
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}),
    );
    ok(h, "DescribeTable", json!({"TableName": name}))["Table"]["TableArn"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn gunzip(b: &[u8]) -> String {
    let mut s = String::new();
    flate2::read::MultiGzDecoder::new(b)
        .read_to_string(&mut s)
        .unwrap();
    s
}

/// The data lines of a finished export, through its manifests in the object store.
fn lines(h: &Host, d: &Value) -> Vec<Value> {
    let bucket = d["S3Bucket"].as_str().unwrap();
    let get = |key: &str| {
        h.store
            .get(&format!("buckets/{bucket}/{key}"))
            .unwrap_or_else(|| panic!("{key} missing"))
            .clone()
    };
    let summary: Value =
        serde_json::from_slice(&get(d["ExportManifest"].as_str().unwrap())).unwrap();
    let files = String::from_utf8(get(summary["manifestFilesS3Key"].as_str().unwrap())).unwrap();
    let mut out = Vec::new();
    for f in files.lines() {
        let f: Value = serde_json::from_str(f).unwrap();
        let text = gunzip(&get(f["dataFileS3Key"].as_str().unwrap()));
        let n = text.lines().count();
        assert_eq!(n as u64, f["itemCount"].as_u64().unwrap());
        out.extend(
            text.lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap()),
        );
    }
    assert_eq!(out.len() as u64, summary["itemCount"].as_u64().unwrap());
    out
}

fn model_of(items: impl Iterator<Item = Value>) -> Model {
    items
        .map(|i| {
            (
                i["pk"]["S"].as_str().unwrap().to_owned(),
                i["v"]["N"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

/// Runs background work until the export is done, applying one write between rounds and
/// crashing the host once when asked.
fn until_exported(
    h: &mut Host,
    arn: &str,
    writes: &mut impl Iterator<Item = Op>,
    model: &mut Model,
    crash_at: Option<usize>,
) -> Value {
    for round in 0..100_000 {
        let d = ok(h, "DescribeExport", json!({"ExportArn": arn}))["ExportDescription"].clone();
        if d["ExportStatus"] != "IN_PROGRESS" {
            return d;
        }
        if crash_at == Some(round) {
            h.restart();
        }
        if let Some(op) = writes.next() {
            h.set_now(h.now() + 1);
            apply(h, model, &op);
        }
        if !h.tick_once() {
            let next = h.next_timeout().expect("an export that waits for nothing");
            h.set_now(next.max(h.now()));
        }
    }
    panic!("the export never ended: {:?}", h.diagnostics.last());
}

fn until_imported(h: &mut Host, arn: &str, crash_at: Option<usize>) -> Value {
    for round in 0..100_000 {
        let d =
            ok(h, "DescribeImport", json!({"ImportArn": arn}))["ImportTableDescription"].clone();
        if d["ImportStatus"] != "IN_PROGRESS" {
            return d;
        }
        if crash_at == Some(round) {
            h.restart();
        }
        if !h.tick_once() {
            let next = h.next_timeout().expect("an import that waits for nothing");
            h.set_now(next.max(h.now()));
        }
    }
    panic!("the import never ended: {:?}", h.diagnostics.last());
}

fn scan(h: &mut Host, table: &str) -> Model {
    let v = ok(h, "Scan", json!({"TableName": table}));
    model_of(v["Items"].as_array().unwrap().iter().cloned())
}

fn replays(h: &mut Host, table: &str) {
    let sql = h.table_sql(table).unwrap();
    let replayed = Sqlite::in_memory().unwrap();
    projections::init(&replayed).unwrap();
    projections::replay_into(sql, &replayed).unwrap();
    let diff = projections::verify::compare(sql, &replayed).unwrap();
    assert!(diff.is_none(), "{table}: {diff:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn a_full_export_is_the_table_at_its_time_and_imports_back(
        before in prop::collection::vec(op(), 10..80),
        during in prop::collection::vec(op(), 0..60),
        pick in any::<prop::sample::Index>(),
        trim in any::<bool>(),
        crash in prop::option::of(0usize..30),
        import_crash in prop::option::of(0usize..20),
    ) {
        let mut h = host(trim);
        let arn = table(&mut h, "src");
        let mut model = Model::new();
        let mut states = vec![(h.now(), Model::new())];
        for o in &before {
            h.set_now(h.now() + 1);
            apply(&mut h, &mut model, o);
            states.push((h.now(), model.clone()));
            h.tick();
        }
        // An instant in the past (its records maybe trimmed to the archive by now).
        let (instant, at) = pick.get(&states).clone();
        h.set_now(h.now() + 1);
        h.tick();
        let d = ok(&mut h, "ExportTableToPointInTime", json!({"TableArn": arn, "S3Bucket": "bkt",
            "ExportTime": instant as f64 / 1000.0}));
        let export_arn = d["ExportDescription"]["ExportArn"].as_str().unwrap().to_owned();
        let d = until_exported(&mut h, &export_arn, &mut during.into_iter(), &mut model, crash);
        prop_assert_eq!(&d["ExportStatus"], "COMPLETED", "{}", d);
        let exported = model_of(lines(&h, &d).into_iter().map(|l| l["Item"].clone()));
        prop_assert_eq!(&exported, &at);

        // Its data files import into a table equal to it.
        let prefix = format!("{}/data/", d["ExportManifest"].as_str().unwrap().rsplit_once('/').unwrap().0);
        let r = ok(&mut h, "ImportTable", json!({
            "S3BucketSource": {"S3Bucket": "bkt", "S3KeyPrefix": prefix},
            "InputFormat": "DYNAMODB_JSON", "InputCompressionType": "GZIP",
            "TableCreationParameters": {"TableName": "dst", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}}));
        let r = until_imported(&mut h, r["ImportTableDescription"]["ImportArn"].as_str().unwrap(),
                               import_crash);
        prop_assert_eq!(&r["ImportStatus"], "COMPLETED", "{}", r);
        prop_assert_eq!(r["ImportedItemCount"].as_u64(), Some(at.len() as u64));
        prop_assert_eq!(scan(&mut h, "dst"), at);
        replays(&mut h, "dst");
    }

    #[test]
    fn an_incremental_export_holds_the_net_changes_of_its_window(
        before in prop::collection::vec(op(), 5..40),
        window in prop::collection::vec(op(), 1..60),
        after in prop::collection::vec(op(), 0..10),
        trim in any::<bool>(),
    ) {
        let mut h = host(trim);
        let arn = table(&mut h, "src");
        let mut model = Model::new();
        for o in &before {
            h.set_now(h.now() + 1);
            apply(&mut h, &mut model, o);
            h.tick();
        }
        let old = model.clone();
        h.set_now(h.now() + 1);
        let from = h.now();
        for o in &window {
            apply(&mut h, &mut model, o);
            h.set_now(h.now() + 1);
            h.tick();
        }
        let new = model.clone();
        let to = h.now();
        for o in &after {
            h.set_now(h.now() + 1);
            apply(&mut h, &mut model, o);
            h.tick();
        }
        h.set_now(h.now() + 1);
        h.tick();
        let d = ok(&mut h, "ExportTableToPointInTime", json!({"TableArn": arn, "S3Bucket": "bkt",
            "ExportType": "INCREMENTAL_EXPORT",
            "IncrementalExportSpecification": {"ExportFromTime": from as f64 / 1000.0,
                "ExportToTime": to as f64 / 1000.0, "ExportViewType": "NEW_AND_OLD_IMAGES"}}));
        let export_arn = d["ExportDescription"]["ExportArn"].as_str().unwrap().to_owned();
        let d = until_exported(&mut h, &export_arn, &mut std::iter::empty(), &mut model, None);
        prop_assert_eq!(&d["ExportStatus"], "COMPLETED", "{}", d);
        let mut got_new = Model::new();
        let mut got_old = Model::new();
        let mut touched = std::collections::BTreeSet::new();
        for l in lines(&h, &d) {
            let k = l["Keys"]["pk"]["S"].as_str().unwrap().to_owned();
            prop_assert!(touched.insert(k.clone()), "{} twice", k);
            let ts = l["Metadata"]["WriteTimestampMicros"]["N"].as_str().unwrap().parse::<i64>().unwrap();
            prop_assert!(ts >= from * 1000 && ts < to * 1000);
            if l.get("NewImage").is_some() {
                got_new.extend(model_of(std::iter::once(l["NewImage"].clone())));
            }
            if l.get("OldImage").is_some() {
                got_old.extend(model_of(std::iter::once(l["OldImage"].clone())));
            }
        }
        // Every key whose item differs between the window's ends is there, with both
        // images; a key written in the window to what it was (or created and deleted again)
        // may be there too, and then its images say so.
        for k in old.keys().chain(new.keys()) {
            if old.get(k) != new.get(k) {
                prop_assert!(touched.contains(k), "{} changed but is not exported", k);
            }
        }
        for k in &touched {
            prop_assert_eq!(got_new.get(k), new.get(k), "NewImage of {}", k);
            prop_assert_eq!(got_old.get(k), old.get(k), "OldImage of {}", k);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, .. ProptestConfig::default() })]

    /// Ion-, CSV- and gzip-shaped noise: the import readers never panic, and an item read
    /// from Ion writes back to Ion that reads as the same item.
    #[test]
    fn import_readers_survive_noise(text in "[{}\\[\\]()':\",.$_a-e0-9dDxX+\\- \n/*\\\\uU]{0,120}") {
        extenddo_engine::fuzzing::import_formats(text.as_bytes());
        let wrapped = format!("$ion_1_0 {{Item:{{pk:\"a\", v:{text}}}}}");
        extenddo_engine::fuzzing::import_formats(wrapped.as_bytes());
    }
}
