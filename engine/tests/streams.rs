//! DynamoDB Streams and TTL, end to end through the engine's request flow with an
//! in-process host (catalog + table objects over in-memory SQLite).
//!
//! The property: for random workloads (puts, updates, deletes, batch writes, no-op writes,
//! invalid requests, TTL expiries, stream enable/disable, shard rollovers, restarts of the
//! table objects), a consumer that reads every shard of every stream from TRIM_HORIZON sees
//! exactly the item mutations acknowledged while a stream was enabled, in order, once each,
//! with the images the view type promises, and every record's sequence number names the
//! log record it came from. And rebuilding the projections from the log reproduces them.

use std::collections::BTreeMap;

use extenddo_engine::log::sqlite::Sqlite;
use extenddo_engine::log::{AttributeValue, Event, LogStore, Number, Sql};
use extenddo_engine::projections::keycode;
use extenddo_engine::projections::{self, KeyType};
use extenddo_engine::sim;
use extenddo_engine::Config;
use proptest::prelude::*;
use serde_json::{json, Value};

const T0: i64 = 1_790_000_000_000;

#[derive(Debug, Clone, PartialEq)]
struct Failure {
    code: String,
    message: String,
}

struct Host(sim::Host);

fn open() -> Box<dyn Sql> {
    Box::new(Sqlite::in_memory().unwrap())
}

impl Host {
    fn new(cfg: Config) -> Host {
        Host(sim::Host::new(cfg, open, T0))
    }

    fn call(&mut self, target: &str, body: Value, now: i64) -> Result<Value, Failure> {
        let prefix = if [
            "ListStreams",
            "DescribeStream",
            "GetShardIterator",
            "GetRecords",
        ]
        .contains(&target)
        {
            "DynamoDBStreams_20120810."
        } else {
            "DynamoDB_20120810."
        };
        self.0.set_now(now);
        let (status, v) = self.0.request(&format!("{prefix}{target}"), &body);
        if status == 200 {
            return Ok(v);
        }
        let ty = v["__type"].as_str().unwrap_or_default();
        Err(Failure {
            code: ty.rsplit('#').next().unwrap_or_default().to_owned(),
            message: v["message"].as_str().unwrap_or_default().to_owned(),
        })
    }

    /// Runs every object's due background work, as the hosts do on their timers.
    fn tick(&mut self, now: i64) {
        self.0.set_now(now);
        self.0.tick();
    }

    /// One round of background work at `now`; returns when the objects want to wake next.
    fn tick_once(&mut self, now: i64) -> Option<i64> {
        self.0.set_now(now);
        self.0.tick_once();
        self.0.next_timeout()
    }

    /// A crash and restart: every object reopens from its storage.
    fn restart(&mut self) {
        self.0.restart();
    }

    fn db(&mut self, table: &str) -> &dyn Sql {
        self.0.table_sql(table).unwrap()
    }
}

fn create_table(h: &mut Host, name: &str, stream: Option<&str>, now: i64) -> Value {
    let mut body = json!({
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"}
        ],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"}
        ],
    });
    if let Some(view) = stream {
        body["StreamSpecification"] = json!({"StreamEnabled": true, "StreamViewType": view});
    }
    h.call("CreateTable", body, now).unwrap()
}

fn key(pk: u8, sk: u8) -> Value {
    json!({"pk": {"S": format!("p{pk}")}, "sk": {"N": sk.to_string()}})
}

/// Everything a consumer read: records of every shard of every stream, in order.
struct Consumed {
    records: Vec<Value>,
    shards: Vec<Value>,
}

/// Reads every stream of `table` from TRIM_HORIZON of every shard, restarting the host's
/// table objects after `restart_after` GetRecords calls (iterators must survive that).
fn consume(
    h: &mut Host,
    table: &str,
    now: i64,
    page: i64,
    mut restart_after: Option<usize>,
) -> Consumed {
    let mut out = Consumed {
        records: Vec::new(),
        shards: Vec::new(),
    };
    let listed = h
        .call("ListStreams", json!({"TableName": table}), now)
        .unwrap();
    let all = h.call("ListStreams", json!({}), now).unwrap();
    assert_eq!(listed["Streams"], all["Streams"]);
    let mut calls = 0;
    for st in listed["Streams"].as_array().unwrap() {
        let arn = st["StreamArn"].as_str().unwrap().to_owned();
        // Page through the shards two at a time.
        let mut shards = Vec::new();
        let mut start: Option<String> = None;
        loop {
            let mut body = json!({"StreamArn": arn, "Limit": 2});
            if let Some(s) = &start {
                body["ExclusiveStartShardId"] = json!(s);
            }
            let d = h.call("DescribeStream", body, now).unwrap();
            let d = &d["StreamDescription"];
            shards.extend(d["Shards"].as_array().unwrap().iter().cloned());
            match d["LastEvaluatedShardId"].as_str() {
                Some(s) => start = Some(s.to_owned()),
                None => break,
            }
        }
        for sh in &shards {
            out.shards.push(sh.clone());
            let it = h
                .call(
                    "GetShardIterator",
                    json!({"StreamArn": arn, "ShardId": sh["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}),
                    now,
                )
                .unwrap();
            let mut it = it["ShardIterator"].as_str().unwrap().to_owned();
            loop {
                let r = h
                    .call(
                        "GetRecords",
                        json!({"ShardIterator": it, "Limit": page}),
                        now,
                    )
                    .unwrap();
                calls += 1;
                if restart_after == Some(calls) {
                    h.restart();
                    restart_after = None;
                }
                let recs = r["Records"].as_array().unwrap();
                out.records.extend(recs.iter().cloned());
                match r["NextShardIterator"].as_str() {
                    None => break,
                    // An open shard read up to the end of the log.
                    Some(_) if recs.is_empty() => break,
                    Some(next) => it = next.to_owned(),
                }
            }
        }
    }
    out
}

/// A stream record reduced to what the model predicts.
fn normalize(r: &Value) -> Value {
    let d = &r["dynamodb"];
    let mut v = json!({
        "eventName": r["eventName"],
        "Keys": d["Keys"],
        "StreamViewType": d["StreamViewType"],
    });
    for m in ["NewImage", "OldImage"] {
        if !d[m].is_null() {
            v[m] = d[m].clone();
        }
    }
    if !r["userIdentity"].is_null() {
        v["userIdentity"] = r["userIdentity"].clone();
    }
    v
}

#[derive(Debug, Clone)]
enum Step {
    Put {
        pk: u8,
        sk: u8,
        v: u8,
        exp: Option<i8>,
    },
    Update {
        pk: u8,
        sk: u8,
        v: u8,
    },
    Delete {
        pk: u8,
        sk: u8,
    },
    Batch(Vec<(u8, u8, Option<u8>)>),
    ToggleStream(u8),
    ToggleTtl,
    Advance(u16),
    Restart,
    Invalid,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (0u8..3, 0u8..3, 0u8..3, prop::option::of(-20i8..20)).prop_map(|(pk, sk, v, exp)| Step::Put { pk, sk, v, exp }),
        3 => (0u8..3, 0u8..3, 0u8..3).prop_map(|(pk, sk, v)| Step::Update { pk, sk, v }),
        3 => (0u8..3, 0u8..3).prop_map(|(pk, sk)| Step::Delete { pk, sk }),
        2 => prop::collection::vec((0u8..3, 0u8..3, prop::option::of(0u8..3)), 1..5).prop_map(Step::Batch),
        1 => (0u8..4).prop_map(Step::ToggleStream),
        1 => Just(Step::ToggleTtl),
        3 => (0u16..15_000).prop_map(Step::Advance),
        1 => Just(Step::Restart),
        1 => Just(Step::Invalid),
    ]
}

const VIEWS: [&str; 4] = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"];

struct Model {
    items: BTreeMap<(u8, u8), Value>,
    view: Option<&'static str>,
    ttl: bool,
    expected: Vec<Value>,
}

impl Model {
    fn mutate(&mut self, k: (u8, u8), new: Option<Value>, expired: bool) {
        let old = match &new {
            Some(n) => self.items.insert(k, n.clone()),
            None => self.items.remove(&k),
        };
        if old == new {
            return; // a write that changes nothing logs nothing
        }
        let Some(view) = self.view else { return };
        let name = match (&old, &new) {
            (None, Some(_)) => "INSERT",
            (Some(_), Some(_)) => "MODIFY",
            _ => "REMOVE",
        };
        let mut r = json!({"eventName": name, "Keys": key(k.0, k.1), "StreamViewType": view});
        if let (true, Some(n)) = (view == "NEW_IMAGE" || view == "NEW_AND_OLD_IMAGES", &new) {
            r["NewImage"] = n.clone();
        }
        if let (true, Some(o)) = (view == "OLD_IMAGE" || view == "NEW_AND_OLD_IMAGES", &old) {
            r["OldImage"] = o.clone();
        }
        if expired {
            r["userIdentity"] = json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"});
        }
        self.expected.push(r);
    }

    /// What the sweeper deletes at `now` (delay 0): expiry ≤ now, earliest first, ties in
    /// the table's scan order.
    fn sweep(&mut self, now: i64) {
        if !self.ttl {
            return;
        }
        let now_s = now.div_euclid(1000);
        #[allow(clippy::type_complexity)]
        let mut due: Vec<(i64, i64, Vec<u8>, Vec<u8>, (u8, u8))> = self
            .items
            .iter()
            .filter_map(|(k, item)| {
                let e: i64 = item["exp"]["N"].as_str()?.parse().ok()?;
                (e <= now_s).then(|| {
                    let pk = format!("p{}", k.0).into_bytes();
                    let sk =
                        keycode::encode(KeyType::N, &AttributeValue::N(Number::from(k.1 as i64)))
                            .unwrap();
                    (e, projections::items::partition_hash(&pk), pk, sk, *k)
                })
            })
            .collect();
        due.sort();
        for (.., k) in due {
            self.mutate(k, None, true);
        }
    }
}

fn run_workload(steps: &[Step], page: i64, restart_at: usize) {
    let cfg = Config {
        stream_shard_rollover_ms: 20_000,
        ..Config::default()
    };
    let mut h = Host::new(cfg);
    let mut now = T0;
    create_table(&mut h, "tbl", Some("NEW_AND_OLD_IMAGES"), now);
    let mut m = Model {
        items: BTreeMap::new(),
        view: Some("NEW_AND_OLD_IMAGES"),
        ttl: false,
        expected: Vec::new(),
    };
    for s in steps {
        now += 7;
        match s {
            Step::Put { pk, sk, v, exp } => {
                let mut item = key(*pk, *sk);
                item["v"] = json!({"N": v.to_string()});
                if let Some(e) = exp {
                    item["exp"] = json!({"N": (now / 1000 + *e as i64).to_string()});
                }
                h.call("PutItem", json!({"TableName": "tbl", "Item": item}), now)
                    .unwrap();
                m.mutate((*pk, *sk), Some(item), false);
            }
            Step::Update { pk, sk, v } => {
                h.call(
                    "UpdateItem",
                    json!({"TableName": "tbl", "Key": key(*pk, *sk), "UpdateExpression": "SET v = :v",
                           "ExpressionAttributeValues": {":v": {"N": v.to_string()}}}),
                    now,
                )
                .unwrap();
                let mut item = m
                    .items
                    .get(&(*pk, *sk))
                    .cloned()
                    .unwrap_or_else(|| key(*pk, *sk));
                item["v"] = json!({"N": v.to_string()});
                m.mutate((*pk, *sk), Some(item), false);
            }
            Step::Delete { pk, sk } => {
                h.call(
                    "DeleteItem",
                    json!({"TableName": "tbl", "Key": key(*pk, *sk)}),
                    now,
                )
                .unwrap();
                m.mutate((*pk, *sk), None, false);
            }
            Step::Batch(writes) => {
                let mut seen = Vec::new();
                let mut reqs = Vec::new();
                for (pk, sk, v) in writes {
                    if seen.contains(&(*pk, *sk)) {
                        continue;
                    }
                    seen.push((*pk, *sk));
                    match v {
                        Some(v) => {
                            let mut item = key(*pk, *sk);
                            item["v"] = json!({"N": v.to_string()});
                            reqs.push(json!({"PutRequest": {"Item": item}}));
                        }
                        None => reqs.push(json!({"DeleteRequest": {"Key": key(*pk, *sk)}})),
                    }
                }
                h.call(
                    "BatchWriteItem",
                    json!({"RequestItems": {"tbl": reqs}}),
                    now,
                )
                .unwrap();
                for (r, k) in reqs.iter().zip(seen) {
                    let new = r["PutRequest"]["Item"]
                        .as_object()
                        .map(|_| r["PutRequest"]["Item"].clone());
                    m.mutate(k, new, false);
                }
            }
            Step::ToggleStream(v) => {
                let spec = match m.view {
                    Some(_) => json!({"StreamEnabled": false}),
                    None => json!({"StreamEnabled": true, "StreamViewType": VIEWS[*v as usize]}),
                };
                h.call(
                    "UpdateTable",
                    json!({"TableName": "tbl", "StreamSpecification": spec}),
                    now,
                )
                .unwrap();
                m.view = match m.view {
                    Some(_) => None,
                    None => Some(VIEWS[*v as usize]),
                };
            }
            Step::ToggleTtl => {
                let spec = json!({"Enabled": !m.ttl, "AttributeName": "exp"});
                h.call(
                    "UpdateTimeToLive",
                    json!({"TableName": "tbl", "TimeToLiveSpecification": spec}),
                    now,
                )
                .unwrap();
                m.ttl = !m.ttl;
            }
            Step::Advance(ms) => now += *ms as i64,
            Step::Restart => h.restart(),
            Step::Invalid => {
                let e = h
                    .call("PutItem", json!({"TableName": "tbl", "Item": {"pk": {"S": "x"}, "sk": {"S": "not a number"}}}), now)
                    .unwrap_err();
                assert_eq!(e.code, "ValidationException");
            }
        }
        h.tick(now);
        m.sweep(now);
    }

    let got = consume(&mut h, "tbl", now, page, Some(restart_at));
    let normalized: Vec<Value> = got.records.iter().map(normalize).collect();
    assert_eq!(normalized.len(), m.expected.len(), "record count");
    for (i, (g, e)) in normalized.iter().zip(&m.expected).enumerate() {
        assert_eq!(g, e, "record {i}");
    }
    // Sequence numbers: strictly increasing, each naming the log record it came from.
    let sql = h.db("tbl");
    let mut last = 0u64;
    for r in &got.records {
        let seq = r["dynamodb"]["SequenceNumber"].as_str().unwrap();
        assert_eq!(seq.len(), 21);
        let lsn: u64 = seq.parse().unwrap();
        assert!(lsn > last);
        last = lsn;
        let rec = LogStore::read(sql, lsn, 1).unwrap().pop().unwrap();
        assert_eq!(rec.lsn, lsn);
        let kind = match rec.event {
            Event::ItemPut { old: None, .. } => "INSERT",
            Event::ItemPut { .. } => "MODIFY",
            Event::ItemDeleted { .. } | Event::ItemExpired { .. } => "REMOVE",
            other => panic!("record from {other:?}"),
        };
        assert_eq!(r["eventName"], kind);
        assert_eq!(r["eventSource"], "aws:dynamodb");
        assert_eq!(r["eventVersion"], "1.1");
        assert_eq!(r["awsRegion"], "us-east-1");
        assert_eq!(r["eventID"].as_str().unwrap().len(), 32);
    }
    // Shard lineage: every parent is a shard seen before.
    let ids: Vec<&str> = got
        .shards
        .iter()
        .map(|s| s["ShardId"].as_str().unwrap())
        .collect();
    for (i, sh) in got.shards.iter().enumerate() {
        if let Some(p) = sh["ParentShardId"].as_str() {
            assert!(ids[..i].contains(&p), "parent {p} of shard {i}");
        }
    }
    // The log is the truth: projections rebuilt from it equal the live ones.
    let items = projections::items::dump(sql).unwrap();
    let ttl = projections::ttl::dump(sql).unwrap();
    projections::rebuild(sql).unwrap();
    assert_eq!(items, projections::items::dump(sql).unwrap());
    assert_eq!(ttl, projections::ttl::dump(sql).unwrap());
    assert_eq!(items.len(), m.items.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn stream_equals_the_item_mutations_of_the_log(
        steps in prop::collection::vec(step(), 1..80),
        page in 1i64..6,
        restart_at in 1usize..20,
    ) {
        run_workload(&steps, page, restart_at);
    }
}

// ---- focused cases ---------------------------------------------------------------------

fn stream_arn(h: &mut Host, table: &str, now: i64) -> String {
    let d = h
        .call("DescribeTable", json!({"TableName": table}), now)
        .unwrap();
    d["Table"]["LatestStreamArn"].as_str().unwrap().to_owned()
}

fn first_shard(h: &mut Host, arn: &str, now: i64) -> String {
    let d = h
        .call("DescribeStream", json!({"StreamArn": arn}), now)
        .unwrap();
    d["StreamDescription"]["Shards"][0]["ShardId"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn iterator(
    h: &mut Host,
    arn: &str,
    shard: &str,
    ty: &str,
    seq: Option<&str>,
    now: i64,
) -> Result<String, Failure> {
    let mut body = json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": ty});
    if let Some(s) = seq {
        body["SequenceNumber"] = json!(s);
    }
    h.call("GetShardIterator", body, now)
        .map(|v| v["ShardIterator"].as_str().unwrap().to_owned())
}

#[test]
fn describe_table_and_stream() {
    let mut h = Host::new(Config::default());
    let created = create_table(&mut h, "music", Some("NEW_IMAGE"), T0);
    let td = &created["TableDescription"];
    assert_eq!(
        td["StreamSpecification"],
        json!({"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"})
    );
    let label = td["LatestStreamLabel"].as_str().unwrap();
    assert_eq!(label.len(), "2026-11-27T14:00:00.123".len());
    let arn = td["LatestStreamArn"].as_str().unwrap().to_owned();
    assert_eq!(
        arn,
        format!("arn:aws:dynamodb:us-east-1:000000000000:table/music/stream/{label}")
    );
    let d = h
        .call("DescribeStream", json!({"StreamArn": arn}), T0)
        .unwrap();
    let d = &d["StreamDescription"];
    assert_eq!(d["StreamStatus"], "ENABLED");
    assert_eq!(d["StreamViewType"], "NEW_IMAGE");
    assert_eq!(d["TableName"], "music");
    assert_eq!(
        d["KeySchema"][1],
        json!({"AttributeName": "sk", "KeyType": "RANGE"})
    );
    let shards = d["Shards"].as_array().unwrap();
    assert_eq!(shards.len(), 1);
    assert!(shards[0]["SequenceNumberRange"]["EndingSequenceNumber"].is_null());
    assert!(shards[0]["ParentShardId"].is_null());

    // Disable: the shard closes, DescribeTable keeps LatestStreamArn without a spec.
    h.call(
        "PutItem",
        json!({"TableName": "music", "Item": key(1, 1)}),
        T0 + 1,
    )
    .unwrap();
    h.call(
        "UpdateTable",
        json!({"TableName": "music", "StreamSpecification": {"StreamEnabled": false}}),
        T0 + 2,
    )
    .unwrap();
    let t = h
        .call("DescribeTable", json!({"TableName": "music"}), T0 + 3)
        .unwrap();
    assert!(t["Table"]["StreamSpecification"].is_null());
    assert_eq!(t["Table"]["LatestStreamArn"], json!(arn));
    let d = h
        .call("DescribeStream", json!({"StreamArn": arn}), T0 + 3)
        .unwrap();
    assert_eq!(d["StreamDescription"]["StreamStatus"], "DISABLED");
    let sh = &d["StreamDescription"]["Shards"][0];
    assert!(sh["SequenceNumberRange"]["EndingSequenceNumber"].is_string());
    // Read to the end of the closed shard: no NextShardIterator.
    let it = iterator(
        &mut h,
        &arn,
        sh["ShardId"].as_str().unwrap(),
        "TRIM_HORIZON",
        None,
        T0 + 3,
    )
    .unwrap();
    let r = h
        .call("GetRecords", json!({"ShardIterator": it}), T0 + 3)
        .unwrap();
    assert_eq!(r["Records"].as_array().unwrap().len(), 1);
    assert!(r["NextShardIterator"].is_null());

    // Errors as AWS words them.
    let e = h
        .call(
            "UpdateTable",
            json!({"TableName": "music", "StreamSpecification": {"StreamEnabled": false}}),
            T0 + 4,
        )
        .unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "ValidationException",
            "Table has no stream to disable: TableName: music"
        )
    );
    let e = h
        .call(
            "UpdateTable",
            json!({"TableName": "music", "StreamSpecification": {"StreamEnabled": true}}),
            T0 + 4,
        )
        .unwrap_err();
    assert_eq!(e.message, "One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required");
    let e = h.call("UpdateTable", json!({"TableName": "music", "StreamSpecification": {"StreamEnabled": false, "StreamViewType": "KEYS_ONLY"}}), T0 + 4).unwrap_err();
    assert_eq!(e.message, "One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not be specified");

    // Re-enable: a new stream whose first shard's parent is the old stream's shard.
    let r = h.call("UpdateTable", json!({"TableName": "music", "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"}}), T0 + 5).unwrap();
    let arn2 = r["TableDescription"]["LatestStreamArn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(arn2, arn);
    let e = h.call("UpdateTable", json!({"TableName": "music", "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"}}), T0 + 6).unwrap_err();
    assert_eq!(
        e.message,
        "Table already has an enabled stream: TableName: music"
    );
    let d = h
        .call("DescribeStream", json!({"StreamArn": arn2}), T0 + 6)
        .unwrap();
    assert_eq!(
        d["StreamDescription"]["Shards"][0]["ParentShardId"],
        sh["ShardId"]
    );
    let l = h.call("ListStreams", json!({}), T0 + 6).unwrap();
    assert_eq!(l["Streams"].as_array().unwrap().len(), 2);
    let l = h.call("ListStreams", json!({"Limit": 1}), T0 + 6).unwrap();
    assert_eq!(l["Streams"][0]["StreamArn"], json!(arn));
    assert_eq!(l["LastEvaluatedStreamArn"], json!(arn));
    let l = h
        .call(
            "ListStreams",
            json!({"Limit": 1, "ExclusiveStartStreamArn": arn}),
            T0 + 6,
        )
        .unwrap();
    assert_eq!(l["Streams"][0]["StreamArn"], json!(arn2));
    assert!(l["LastEvaluatedStreamArn"].is_null());

    // CreateTable's own spec checks.
    let mut bad = json!({
        "TableName": "bad", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "StreamSpecification": {"StreamEnabled": true},
    });
    let e = h.call("CreateTable", bad.clone(), T0).unwrap_err();
    assert_eq!(e.message, "One or more parameter values were invalid: Table is being created with a stream enabled, UpdateViewType is required");
    bad["StreamSpecification"] = json!({"StreamEnabled": true, "StreamViewType": "ALL"});
    let e = h.call("CreateTable", bad, T0).unwrap_err();
    assert!(
        e.message.contains("streamSpecification.streamViewType"),
        "{}",
        e.message
    );
    // Nothing was reserved.
    assert!(h
        .call("DescribeTable", json!({"TableName": "bad"}), T0)
        .is_err());
}

#[test]
fn iterator_errors_expiry_and_trimming() {
    let mut h = Host::new(Config::default());
    create_table(&mut h, "tbl", Some("KEYS_ONLY"), T0);
    let arn = stream_arn(&mut h, "tbl", T0);
    let shard = first_shard(&mut h, &arn, T0);
    for i in 0..3 {
        h.call(
            "PutItem",
            json!({"TableName": "tbl", "Item": key(i, 0)}),
            T0 + i as i64,
        )
        .unwrap();
    }
    let it = iterator(&mut h, &arn, &shard, "TRIM_HORIZON", None, T0 + 10).unwrap();
    let r = h
        .call(
            "GetRecords",
            json!({"ShardIterator": it.clone(), "Limit": 2}),
            T0 + 10,
        )
        .unwrap();
    let recs = r["Records"].as_array().unwrap().clone();
    assert_eq!(recs.len(), 2);
    assert!(recs[0]["dynamodb"]["NewImage"].is_null());
    let seq1 = recs[1]["dynamodb"]["SequenceNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    // AT / AFTER sequence number.
    let at = iterator(
        &mut h,
        &arn,
        &shard,
        "AT_SEQUENCE_NUMBER",
        Some(&seq1),
        T0 + 10,
    )
    .unwrap();
    let r = h
        .call("GetRecords", json!({"ShardIterator": at}), T0 + 10)
        .unwrap();
    assert_eq!(r["Records"].as_array().unwrap().len(), 2);
    let after = iterator(
        &mut h,
        &arn,
        &shard,
        "AFTER_SEQUENCE_NUMBER",
        Some(&seq1),
        T0 + 10,
    )
    .unwrap();
    let r = h
        .call("GetRecords", json!({"ShardIterator": after}), T0 + 10)
        .unwrap();
    assert_eq!(r["Records"].as_array().unwrap().len(), 1);
    // LATEST sees only what comes next.
    let latest = iterator(&mut h, &arn, &shard, "LATEST", None, T0 + 10).unwrap();
    h.call(
        "PutItem",
        json!({"TableName": "tbl", "Item": key(9, 9)}),
        T0 + 11,
    )
    .unwrap();
    let r = h
        .call("GetRecords", json!({"ShardIterator": latest}), T0 + 12)
        .unwrap();
    assert_eq!(r["Records"].as_array().unwrap().len(), 1);
    assert_eq!(r["Records"][0]["dynamodb"]["Keys"], key(9, 9));

    // Malformed iterators.
    for bad in ["nonsense", &format!("{arn}|1|AAAA"), &it[..it.len() - 4]] {
        let e = h
            .call("GetRecords", json!({"ShardIterator": bad}), T0 + 12)
            .unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("ValidationException", "Invalid ShardIterator"),
            "{bad}"
        );
    }
    let e = h
        .call(
            "GetRecords",
            json!({"ShardIterator": it, "Limit": 1001}),
            T0 + 12,
        )
        .unwrap_err();
    assert!(
        e.message
            .contains("Member must have value less than or equal to 1000"),
        "{}",
        e.message
    );
    // 15 minutes later the iterator has expired.
    let e = h
        .call(
            "GetRecords",
            json!({"ShardIterator": it}),
            T0 + 10 + 15 * 60_000 + 1,
        )
        .unwrap_err();
    assert_eq!(e.code, "ExpiredIteratorException");
    assert!(
        e.message
            .starts_with("Iterator expired. The iterator was created at time "),
        "{}",
        e.message
    );
    assert!(e.message.ends_with(
        "which is further in the future than the tolerated delay of 900000 milliseconds."
    ));
    // Unknown stream / shard.
    let e = iterator(&mut h, &format!("{arn}x"), &shard, "LATEST", None, T0).unwrap_err();
    assert_eq!(e.code, "ResourceNotFoundException");
    let e = iterator(
        &mut h,
        &arn,
        "shardId-00000000000000000000-00000000",
        "LATEST",
        None,
        T0,
    )
    .unwrap_err();
    assert_eq!(e.code, "ResourceNotFoundException");
    let e = iterator(
        &mut h,
        &arn,
        &shard,
        "AT_SEQUENCE_NUMBER",
        Some("999999999999999999999"),
        T0,
    )
    .unwrap_err();
    assert_eq!(e.code, "ValidationException");
    let e = h
        .call(
            "DescribeStream",
            json!({"StreamArn": arn.replace("table/tbl/", "table/nope/")}),
            T0,
        )
        .unwrap_err();
    assert_eq!(e.code, "ResourceNotFoundException");

    // 24 hours later the first records are trimmed; later ones are still there.
    let day = 24 * 3600 * 1000;
    h.call(
        "PutItem",
        json!({"TableName": "tbl", "Item": key(7, 7)}),
        T0 + day,
    )
    .unwrap();
    let now = T0 + day + 100;
    let e = iterator(&mut h, &arn, &shard, "AT_SEQUENCE_NUMBER", Some(&seq1), now).unwrap_err();
    assert_eq!(e.code, "TrimmedDataAccessException");
    let th = iterator(&mut h, &arn, &shard, "TRIM_HORIZON", None, now).unwrap();
    let r = h
        .call("GetRecords", json!({"ShardIterator": th}), now)
        .unwrap();
    let keys: Vec<&Value> = r["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["dynamodb"]["Keys"])
        .collect();
    assert_eq!(keys, vec![&key(7, 7)]);
    // An iterator issued before the trim horizon moved past its position.
    let old = iterator(&mut h, &arn, &shard, "TRIM_HORIZON", None, T0 + day - 1000).unwrap();
    let e = h
        .call("GetRecords", json!({"ShardIterator": old}), T0 + day + 20)
        .unwrap_err();
    assert_eq!(e.code, "TrimmedDataAccessException");
}

#[test]
fn ttl_api_and_sweeper() {
    let mut h = Host::new(Config {
        ttl_sweep_delay_ms: 2_000,
        ..Config::default()
    });
    create_table(&mut h, "tbl", Some("NEW_AND_OLD_IMAGES"), T0);
    let d = h
        .call("DescribeTimeToLive", json!({"TableName": "tbl"}), T0)
        .unwrap();
    assert_eq!(
        d,
        json!({"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}})
    );
    let e = h.call("UpdateTimeToLive", json!({"TableName": "tbl", "TimeToLiveSpecification": {"Enabled": false, "AttributeName": "exp"}}), T0).unwrap_err();
    assert_eq!(e.message, "TimeToLive is already disabled");
    let e = h
        .call("UpdateTimeToLive", json!({"TableName": "tbl"}), T0)
        .unwrap_err();
    assert_eq!(e.message, "1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null");
    let e = h
        .call(
            "UpdateTimeToLive",
            json!({"TableName": "tbl", "TimeToLiveSpecification": {"AttributeName": ""}}),
            T0,
        )
        .unwrap_err();
    assert_eq!(e.message, "2 validation errors detected: Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not be null; Value '' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length greater than or equal to 1");
    let e = h.call("UpdateTimeToLive", json!({"TableName": "nope", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}}), T0).unwrap_err();
    assert_eq!(e.code, "ResourceNotFoundException");

    let now_s = T0 / 1000;
    let item = |i: u8, exp: Value| {
        let mut it = key(i, 0);
        it["exp"] = exp;
        json!({"TableName": "tbl", "Item": it})
    };
    // Expired a minute ago, in the future, not a number, more than five years ago.
    h.call(
        "PutItem",
        item(1, json!({"N": (now_s - 60).to_string()})),
        T0,
    )
    .unwrap();
    h.call(
        "PutItem",
        item(2, json!({"N": (now_s + 30).to_string()})),
        T0,
    )
    .unwrap();
    h.call(
        "PutItem",
        item(3, json!({"S": (now_s - 60).to_string()})),
        T0,
    )
    .unwrap();
    h.call(
        "PutItem",
        item(4, json!({"N": (now_s - 6 * 365 * 86400).to_string()})),
        T0,
    )
    .unwrap();
    h.call("UpdateTimeToLive", json!({"TableName": "tbl", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}}), T0).unwrap();
    let d = h
        .call("DescribeTimeToLive", json!({"TableName": "tbl"}), T0)
        .unwrap();
    assert_eq!(
        d,
        json!({"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}})
    );
    let e = h.call("UpdateTimeToLive", json!({"TableName": "tbl", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "other"}}), T0).unwrap_err();
    assert_eq!(e.message, "TimeToLive is already enabled");
    let e = h.call("UpdateTimeToLive", json!({"TableName": "tbl", "TimeToLiveSpecification": {"Enabled": false, "AttributeName": "other"}}), T0).unwrap_err();
    assert_eq!(
        e.message,
        "TimeToLive is active on a different AttributeName: current AttributeName is exp"
    );

    let count = |h: &mut Host, now| {
        h.call("Scan", json!({"TableName": "tbl"}), now).unwrap()["Count"]
            .as_i64()
            .unwrap()
    };
    let next = h.tick_once(T0);
    // Item 2 is due 30 s from now plus the 2 s delay.
    assert_eq!(next, Some((now_s + 30) * 1000 + 2000));
    assert_eq!(count(&mut h, T0), 3);
    assert_eq!(
        h.tick_once((now_s + 31) * 1000),
        Some((now_s + 30) * 1000 + 2000)
    );
    assert_eq!(count(&mut h, T0), 3);
    // What remains due is the stream's shard rollover (four hours after creation).
    assert_eq!(h.tick_once((now_s + 32) * 1000), Some(T0 + 4 * 3600 * 1000));
    assert_eq!(count(&mut h, T0), 2);

    // The REMOVE records carry the service identity.
    let arn = stream_arn(&mut h, "tbl", T0);
    let got = consume(&mut h, "tbl", (now_s + 33) * 1000, 100, None);
    let removes: Vec<&Value> = got
        .records
        .iter()
        .filter(|r| r["eventName"] == "REMOVE")
        .collect();
    assert_eq!(removes.len(), 2);
    for r in removes {
        assert_eq!(
            r["userIdentity"],
            json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"})
        );
        assert!(r["dynamodb"]["OldImage"]["exp"].is_object());
    }
    assert!(arn.contains("/stream/"));
    // Disabling stops the sweeper.
    h.call("UpdateTimeToLive", json!({"TableName": "tbl", "TimeToLiveSpecification": {"Enabled": false, "AttributeName": "exp"}}), T0).unwrap();
    h.call(
        "PutItem",
        item(5, json!({"N": (now_s - 60).to_string()})),
        T0,
    )
    .unwrap();
    h.tick((now_s + 100) * 1000);
    assert_eq!(count(&mut h, T0), 3);
}

#[test]
fn shards_roll_over_and_keep_lineage() {
    let mut h = Host::new(Config {
        stream_shard_rollover_ms: 1_000,
        ..Config::default()
    });
    create_table(&mut h, "tbl", Some("NEW_IMAGE"), T0);
    let mut now = T0;
    for i in 0..5u8 {
        now += 600;
        h.call(
            "PutItem",
            json!({"TableName": "tbl", "Item": key(i, 0)}),
            now,
        )
        .unwrap();
        h.tick(now);
    }
    let got = consume(&mut h, "tbl", now, 10, None);
    assert!(got.shards.len() >= 2, "{:?}", got.shards);
    assert_eq!(got.records.len(), 5);
    for w in got.shards.windows(2) {
        assert_eq!(w[1]["ParentShardId"], w[0]["ShardId"]);
        assert!(w[0]["SequenceNumberRange"]["EndingSequenceNumber"].is_string());
    }
    // An empty open shard is not rolled over.
    let before = got.shards.len();
    h.tick(now + 10_000);
    let got = consume(&mut h, "tbl", now + 10_000, 10, None);
    assert!(got.shards.len() <= before + 1);
}
