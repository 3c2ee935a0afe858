//! Invariant: replaying a table's log reproduces its live projections exactly, LSNs are
//! dense, and there is one record per acknowledged mutation (and none for anything else).

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
        sk: i16,
        v: Value,
        all_old: bool,
    },
    Delete {
        pk: u8,
        sk: i16,
    },
    /// A request that must fail validation and leave no trace.
    Invalid {
        pk: u8,
    },
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[a-z]{0,6}".prop_map(|s| json!({"S": s})),
        (-1000i64..1000, 0u32..4).prop_map(|(m, e)| json!({"N": format!("{m}e-{e}")})),
        prop::collection::btree_set("[a-c]{1,2}", 1..4).prop_map(|s| json!({"SS": s})),
        any::<bool>().prop_map(|b| json!({"BOOL": b})),
        prop::collection::vec(0u8..=255, 0..6).prop_map(|b| {
            use base64::Engine as _;
            json!({"B": base64::engine::general_purpose::STANDARD.encode(b)})
        }),
        Just(json!({"M": {"x": {"L": [{"NULL": true}, {"N": "1"}]}}})),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0u8..4, -3i16..4, value(), any::<bool>()).prop_map(|(pk, sk, v, all_old)| Step::Put { pk, sk, v, all_old }),
        3 => (0u8..4, -3i16..4).prop_map(|(pk, sk)| Step::Delete { pk, sk }),
        1 => (0u8..4).prop_map(|pk| Step::Invalid { pk }),
    ]
}

fn open() -> Box<dyn Sql> {
    Box::new(Sqlite::in_memory().unwrap())
}

fn key(pk: u8, sk: i16) -> Value {
    json!({"pk": {"S": format!("p{pk}")}, "sk": {"N": sk.to_string()}})
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn replay_equals_live_projections(steps in prop::collection::vec(step(), 1..60), group in 1usize..5) {
        let mut host = Host::new(Config::default(), open, 1_700_000_000_000);
        let (status, v) = host.request("CreateTable", &json!({
            "TableName": "prop", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        }));
        prop_assert_eq!(status, 200, "{}", v);
        let mut model = std::collections::BTreeMap::<(u8, i16), Value>::new();
        let mut mutations = 1u64; // TableCreated
        // Run in groups, as the native host's group commit does.
        for chunk in steps.chunks(group) {
            let mut reqs = Vec::new();
            let mut expect = Vec::new();
            for s in chunk {
                match s {
                    Step::Put { pk, sk, v, all_old } => {
                        let mut item = key(*pk, *sk);
                        item["v"] = v.clone();
                        let rv = if *all_old { "ALL_OLD" } else { "NONE" };
                        reqs.push(("PutItem", json!({"TableName": "prop", "Item": item, "ReturnValues": rv})));
                        let old = model.insert((*pk, *sk), item.clone());
                        if old.as_ref() != Some(&item) { mutations += 1; }
                        expect.push(true);
                    }
                    Step::Delete { pk, sk } => {
                        reqs.push(("DeleteItem", json!({"TableName": "prop", "Key": key(*pk, *sk)})));
                        if model.remove(&(*pk, *sk)).is_some() { mutations += 1; }
                        expect.push(true);
                    }
                    Step::Invalid { pk } => {
                        reqs.push(("PutItem", json!({"TableName": "prop", "Item": {"pk": {"S": format!("p{pk}")}, "sk": {"S": "wrong type"}}})));
                        expect.push(false);
                    }
                }
            }
            let results = host.batch("prop", reqs);
            for (r, ok) in results.iter().zip(expect) {
                prop_assert_eq!(r.0 == 200, ok, "{:?}", r);
            }
        }
        let sql = host.table_sql("prop").unwrap();
        let report = LogStore::verify(sql).unwrap();
        prop_assert!(report.problems.is_empty(), "{:?}", report.problems);
        prop_assert_eq!(report.records, mutations);

        let replayed = Sqlite::in_memory().unwrap();
        projections::init(&replayed).unwrap();
        projections::replay_into(sql, &replayed).unwrap();
        prop_assert_eq!(projections::items::dump(sql).unwrap(), projections::items::dump(&replayed).unwrap());
        prop_assert_eq!(projections::items::dump(sql).unwrap().len(), model.len());

        // And rebuilding in place gives the same state.
        let before = projections::items::dump(sql).unwrap();
        projections::rebuild(sql).unwrap();
        prop_assert_eq!(before, projections::items::dump(sql).unwrap());
    }
}
