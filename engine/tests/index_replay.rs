//! Invariant: every secondary index is a projection of the log. Random workloads run with
//! indexes defined at creation and created during the workload (backfilled by interleaved
//! ticks); replaying the log into an empty database reproduces every live index entry, and
//! each index holds exactly the items that carry its key.

use extenddo_engine::log::sqlite::Sqlite;
use extenddo_engine::log::{LogStore, Sql};
use extenddo_engine::projections;
use extenddo_engine::sim::Host;
use extenddo_engine::Config;
use proptest::prelude::*;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
enum Step {
    Put {
        pk: u8,
        g: Option<u8>,
        n: Option<i8>,
    },
    Update {
        pk: u8,
        g: Option<u8>,
    },
    Delete {
        pk: u8,
    },
    /// Run background work (a backfill slice).
    Tick,
    /// Create the second GSI now (once).
    CreateIndex,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0u8..40, prop::option::of(0u8..3), prop::option::of(-3i8..3)).prop_map(|(pk, g, n)| Step::Put { pk, g, n }),
        2 => (0u8..40, prop::option::of(0u8..3)).prop_map(|(pk, g)| Step::Update { pk, g }),
        2 => (0u8..40).prop_map(|pk| Step::Delete { pk }),
        2 => Just(Step::Tick),
        1 => Just(Step::CreateIndex),
    ]
}

const NOW: i64 = 1_700_000_000_000;

fn open() -> Box<dyn Sql> {
    Box::new(Sqlite::in_memory().unwrap())
}

fn run(host: &mut Host, target: &str, body: Value) -> Result<Value, String> {
    match host.request(target, &body) {
        (200, v) => Ok(v),
        (status, v) => Err(format!("HTTP {status}: {v}")),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn rebuilt_indexes_equal_live_indexes(steps in prop::collection::vec(step(), 1..80)) {
        let cfg = Config { backfill_chunk: 3, ..Config::default() };
        let mut host = Host::new(cfg, open, NOW);
        let t = &mut host;
        run(t, "CreateTable", json!({
            "TableName": "ixprop", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "g", "AttributeType": "S"},
                {"AttributeName": "n", "AttributeType": "N"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": [{"IndexName": "by_g", "KeySchema": [
                {"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        })).unwrap();
        let mut created = false;
        for s in steps {
            match s {
                Step::Put { pk, g, n } => {
                    let mut item = json!({"pk": {"S": format!("p{pk}")}, "v": {"N": "1"}});
                    if let Some(g) = g { item["g"] = json!({"S": format!("g{g}")}); }
                    if let Some(n) = n { item["n"] = json!({"N": n.to_string()}); }
                    run(t, "PutItem", json!({"TableName": "ixprop", "Item": item})).unwrap();
                }
                Step::Update { pk, g } => {
                    let body = match g {
                        Some(g) => json!({"TableName": "ixprop", "Key": {"pk": {"S": format!("p{pk}")}},
                            "UpdateExpression": "SET g = :g", "ExpressionAttributeValues": {":g": {"S": format!("g{g}")}}}),
                        None => json!({"TableName": "ixprop", "Key": {"pk": {"S": format!("p{pk}")}},
                            "UpdateExpression": "REMOVE g"}),
                    };
                    run(t, "UpdateItem", body).unwrap();
                }
                Step::Delete { pk } => {
                    run(t, "DeleteItem", json!({"TableName": "ixprop", "Key": {"pk": {"S": format!("p{pk}")}}})).unwrap();
                }
                Step::Tick => { t.tick_once(); }
                Step::CreateIndex if !created => {
                    created = true;
                    // A new index's keys are defined in the request, even when known.
                    run(t, "UpdateTable", json!({"TableName": "ixprop",
                        "AttributeDefinitions": [{"AttributeName": "n", "AttributeType": "N"}],
                        "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "by_n",
                            "KeySchema": [{"AttributeName": "n", "KeyType": "HASH"}],
                            "Projection": {"ProjectionType": "ALL"}}}]})).unwrap();
                }
                Step::CreateIndex => {}
            }
        }
        // Finish any backfill, as the hosts' timers would.
        t.tick();
        let sql = host.table_sql("ixprop").unwrap();

        let report = LogStore::verify(sql).unwrap();
        prop_assert!(report.problems.is_empty(), "{:?}", report.problems);
        let replayed = Sqlite::in_memory().unwrap();
        projections::init(&replayed).unwrap();
        projections::replay_into(sql, &replayed).unwrap();
        let live = projections::indexes::dump(sql).unwrap();
        prop_assert_eq!(&live, &projections::indexes::dump(&replayed).unwrap());
        prop_assert_eq!(projections::items::dump(sql).unwrap(), projections::items::dump(&replayed).unwrap());

        // Each index holds exactly the items carrying its key attributes.
        let items = projections::items::dump(sql).unwrap();
        let decoded: Vec<_> = items.iter().map(|(_, _, b)| projections::items::decode_item(b).unwrap()).collect();
        let by_g = decoded.iter().filter(|i| i.contains_key("g") && i.contains_key("n")).count();
        prop_assert_eq!(live.iter().filter(|e| e.0 == "by_g").count(), by_g);
        if created {
            let by_n = decoded.iter().filter(|i| i.contains_key("n")).count();
            prop_assert_eq!(live.iter().filter(|e| e.0 == "by_n").count(), by_n);
        }
    }
}

/// One index is created or deleted at a time: another creation while one is being built
/// (or two in one request) is AWS's LimitExceededException.
#[test]
fn one_online_index_change_at_a_time() {
    let cfg = Config {
        backfill_chunk: 2,
        ..Config::default()
    };
    let mut host = Host::new(cfg, open, NOW);
    let t = &mut host;
    run(
        t,
        "CreateTable",
        json!({
            "TableName": "ixone", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        }),
    )
    .unwrap();
    for i in 0..10 {
        run(
            t,
            "PutItem",
            json!({"TableName": "ixone",
            "Item": {"pk": {"S": format!("k{i}")}, "a": {"S": "x"}, "b": {"S": "y"}}}),
        )
        .unwrap();
    }
    let create = |name: &str, attr: &str| {
        json!({"Create": {"IndexName": name, "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": attr, "KeyType": "HASH"}]}})
    };
    let defs = json!([{"AttributeName": "a", "AttributeType": "S"},
        {"AttributeName": "b", "AttributeType": "S"}]);
    let limit = "Only 1 online index can be created or deleted simultaneously per table";
    let both = run(
        t,
        "UpdateTable",
        json!({"TableName": "ixone", "AttributeDefinitions": defs,
        "GlobalSecondaryIndexUpdates": [create("by_a", "a"), create("by_b", "b")]}),
    )
    .unwrap_err();
    assert!(
        both.contains("LimitExceededException") && both.contains(limit),
        "{both}"
    );
    run(
        t,
        "UpdateTable",
        json!({"TableName": "ixone", "AttributeDefinitions": defs,
        "GlobalSecondaryIndexUpdates": [create("by_a", "a")]}),
    )
    .unwrap();
    // No background work has run: by_a is still being built.
    let during = run(
        t,
        "UpdateTable",
        json!({"TableName": "ixone", "AttributeDefinitions": defs,
        "GlobalSecondaryIndexUpdates": [create("by_b", "b")]}),
    )
    .unwrap_err();
    assert!(during.contains(limit), "{during}");
    t.tick();
    run(
        t,
        "UpdateTable",
        json!({"TableName": "ixone", "AttributeDefinitions": defs,
        "GlobalSecondaryIndexUpdates": [create("by_b", "b")]}),
    )
    .unwrap();
}
