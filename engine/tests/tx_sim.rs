//! Deterministic simulation of transactions: TransactWriteItems over one or two tables,
//! interleaved call by call with each other and with plain writes, with calls delivered
//! twice, replies lost, requests abandoned half-way, crashes between any two calls and the
//! clock jumping past the recovery delay. After recovery has run:
//!
//! - every transaction is all or nothing, committed if it was acknowledged and not if it
//!   was cancelled;
//! - no item is locked, no table holds a prepared transaction, every coordinator has
//!   completed every transaction;
//! - every acknowledged plain write is applied (and nothing unattempted);
//! - every table's LSNs are dense and every projection equals a replay of its log.
//!
//! Cases: `TX_SIM_CASES` (default 256), split over four tests that cargo runs in parallel;
//! `scripts/test.sh` runs `TX_SIM_CASES=10000 cargo test --release -p extenddo-engine --test
//! tx_sim`.

use std::collections::{BTreeMap, BTreeSet};

use extenddo_engine::api::coordinator::SHARDS;
use extenddo_engine::log::sqlite::Sqlite;
use extenddo_engine::log::{LogStore, Sql};
use extenddo_engine::projections;
use extenddo_engine::sim::{Delivery, Host, InFlight};
use extenddo_engine::{Address, Config};
use proptest::prelude::*;
use serde_json::{json, Value};

const TABLES: u8 = 2;
const KEYS: u8 = 3;
const RECOVERY_MS: i64 = 5_000;

#[derive(Debug, Clone)]
enum Act {
    /// SET t<id> = 1 on the item.
    Update { table: u8, key: u8 },
    /// attribute_not_exists(t<other>) on the item.
    Check { table: u8, key: u8, other: u8 },
}

impl Act {
    fn item(&self) -> (u8, u8) {
        match self {
            Act::Update { table, key } | Act::Check { table, key, .. } => (*table, *key),
        }
    }
}

#[derive(Debug, Clone)]
enum Event {
    /// Start a transaction (with a ClientRequestToken or not).
    Transact { acts: Vec<Act>, token: bool },
    /// Send an earlier transaction again, with its token.
    Retry { pick: u8 },
    /// Start a plain UpdateItem ADD on an item.
    Plain { table: u8, key: u8 },
    /// Carry out the next call of a request in flight (of its fan-out: the `sub`-th).
    Step {
        pick: u8,
        sub: u8,
        delivery: Delivery,
    },
    /// Abandon a request in flight (its caller went away).
    Abandon { pick: u8 },
    /// The process dies: every request in flight is lost.
    Crash,
    /// The clock moves; due background work runs.
    Clock { ms: i64 },
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        3 => (0..TABLES, 0..KEYS).prop_map(|(table, key)| Act::Update { table, key }),
        1 => (0..TABLES, 0..KEYS, 0u8..16).prop_map(|(table, key, other)| Act::Check { table, key, other }),
    ]
}

fn delivery() -> impl Strategy<Value = Delivery> {
    prop_oneof![
        8 => Just(Delivery::Once),
        1 => Just(Delivery::Twice),
        1 => Just(Delivery::ReplyLost),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        6 => (prop::collection::vec(act(), 1..5), any::<bool>())
            .prop_map(|(acts, token)| Event::Transact { acts, token }),
        1 => any::<u8>().prop_map(|pick| Event::Retry { pick }),
        3 => (0..TABLES, 0..KEYS).prop_map(|(table, key)| Event::Plain { table, key }),
        20 => (any::<u8>(), any::<u8>(), delivery()).prop_map(|(pick, sub, delivery)| Event::Step { pick, sub, delivery }),
        1 => any::<u8>().prop_map(|pick| Event::Abandon { pick }),
        1 => Just(Event::Crash),
        2 => prop_oneof![Just(100i64), Just(2_000), Just(RECOVERY_MS + 1)].prop_map(|ms| Event::Clock { ms }),
    ]
}

fn open() -> Box<dyn Sql> {
    Box::new(Sqlite::in_memory().expect("in-memory SQLite"))
}

fn table(t: u8) -> String {
    format!("sim{t}")
}

fn key(t: u8, k: u8) -> Value {
    if t == 1 {
        json!({"pk": {"S": format!("k{k}")}, "sk": {"N": "1"}})
    } else {
        json!({"pk": {"S": format!("k{k}")}})
    }
}

/// A transaction as sent: its body, and the items it updates.
struct Tx {
    body: Value,
    updates: BTreeSet<(u8, u8)>,
    /// Some attempt was acknowledged as done.
    acked: bool,
    /// Attempts that ended as a cancellation (nothing written by them).
    cancelled: usize,
    /// Attempts that ended at all.
    answered: usize,
    attempts: usize,
}

fn transact_body(id: usize, acts: &[Act], token: bool) -> (Value, BTreeSet<(u8, u8)>) {
    let mut seen = BTreeSet::new();
    let mut items = Vec::new();
    let mut updates = BTreeSet::new();
    for a in acts {
        if !seen.insert(a.item()) {
            continue; // one action per item, as AWS requires
        }
        items.push(match a {
            Act::Update { table: t, key: k } => {
                updates.insert((*t, *k));
                json!({"Update": {"TableName": table(*t), "Key": key(*t, *k),
                    "UpdateExpression": format!("SET t{id} = :one"),
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}})
            }
            Act::Check {
                table: t,
                key: k,
                other,
            } => json!({"ConditionCheck": {"TableName": table(*t), "Key": key(*t, *k),
                "ConditionExpression": format!("attribute_not_exists(t{other})")}}),
        });
    }
    let mut body = json!({"TransactItems": items});
    if token {
        body["ClientRequestToken"] = json!(format!("token-{id}"));
    }
    (body, updates)
}

enum Req {
    Tx(usize),
    Plain(u8, u8),
}

struct Sim {
    host: Host,
    txs: Vec<Tx>,
    inflight: Vec<(Req, InFlight)>,
    /// Per item: (acknowledged plain adds, attempted plain adds).
    plain: BTreeMap<(u8, u8), (u64, u64)>,
}

impl Sim {
    fn new() -> Sim {
        let cfg = Config {
            tx_recovery_ms: RECOVERY_MS,
            ..Config::default()
        };
        let mut host = Host::new(cfg, open, 1_700_000_000_000);
        for t in 0..TABLES {
            let mut attrs = vec![json!({"AttributeName": "pk", "AttributeType": "S"})];
            let mut schema = vec![json!({"AttributeName": "pk", "KeyType": "HASH"})];
            if t == 1 {
                attrs.push(json!({"AttributeName": "sk", "AttributeType": "N"}));
                schema.push(json!({"AttributeName": "sk", "KeyType": "RANGE"}));
            }
            let mut spec = json!({"TableName": table(t), "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": attrs, "KeySchema": schema});
            if t == 0 {
                spec["StreamSpecification"] =
                    json!({"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"});
            }
            let (status, v) = host.request("CreateTable", &spec);
            assert_eq!(status, 200, "{v}");
        }
        Sim {
            host,
            txs: Vec::new(),
            inflight: Vec::new(),
            plain: BTreeMap::new(),
        }
    }

    fn answered(&mut self, req: Req, status: u16, v: &Value) -> Result<(), TestCaseError> {
        let kind = v["__type"]
            .as_str()
            .unwrap_or("")
            .rsplit('#')
            .next()
            .unwrap_or("");
        match req {
            Req::Tx(id) => {
                let tx = &mut self.txs[id];
                tx.answered += 1;
                match (status, kind) {
                    (200, _) => tx.acked = true,
                    (400, "TransactionCanceledException") => tx.cancelled += 1,
                    // A retry of a token whose first attempt is still in flight.
                    (400, "TransactionInProgressException") => {}
                    (500, _) => {}
                    _ => prop_assert!(false, "transaction {id}: unexpected {status} {v}"),
                }
            }
            Req::Plain(t, k) => match (status, kind) {
                (200, _) => self.plain.entry((t, k)).or_default().0 += 1,
                (400, "TransactionConflictException") | (500, _) => {}
                _ => prop_assert!(false, "plain write: unexpected {status} {v}"),
            },
        }
        Ok(())
    }

    fn start_tx(&mut self, id: usize) {
        let tx = &mut self.txs[id];
        tx.attempts += 1;
        let body = tx.body.clone();
        let f = self.host.begin("TransactWriteItems", &body);
        self.inflight.push((Req::Tx(id), f));
    }

    fn run(&mut self, events: &[Event]) -> Result<(), TestCaseError> {
        for e in events {
            match e {
                Event::Transact { acts, token } => {
                    let id = self.txs.len();
                    let (body, updates) = transact_body(id, acts, *token);
                    self.txs.push(Tx {
                        body,
                        updates,
                        acked: false,
                        cancelled: 0,
                        answered: 0,
                        attempts: 0,
                    });
                    self.start_tx(id);
                }
                Event::Retry { pick } => {
                    let tokened: Vec<usize> = (0..self.txs.len())
                        .filter(|i| self.txs[*i].body.get("ClientRequestToken").is_some())
                        .collect();
                    if !tokened.is_empty() {
                        self.start_tx(tokened[*pick as usize % tokened.len()]);
                    }
                }
                Event::Plain { table: t, key: k } => {
                    self.plain.entry((*t, *k)).or_default().1 += 1;
                    let f = self.host.begin(
                        "UpdateItem",
                        &json!({"TableName": table(*t), "Key": key(*t, *k),
                            "UpdateExpression": "ADD p :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}}}),
                    );
                    self.inflight.push((Req::Plain(*t, *k), f));
                }
                Event::Step {
                    pick,
                    sub,
                    delivery,
                } => {
                    if self.inflight.is_empty() {
                        continue;
                    }
                    let i = *pick as usize % self.inflight.len();
                    let answer =
                        self.host
                            .advance(&mut self.inflight[i].1, *delivery, *sub as usize);
                    if let Some((status, v)) = answer {
                        let (req, _) = self.inflight.swap_remove(i);
                        self.answered(req, status, &v)?;
                    }
                }
                Event::Abandon { pick } => {
                    if !self.inflight.is_empty() {
                        let i = *pick as usize % self.inflight.len();
                        self.inflight.swap_remove(i);
                    }
                }
                Event::Crash => {
                    self.inflight.clear();
                    self.host.restart();
                }
                Event::Clock { ms } => {
                    self.host.set_now(self.host.now() + ms);
                    self.host.tick();
                }
            }
        }
        Ok(())
    }

    /// Lets recovery finish everything: the clock moves past the recovery delay until no
    /// object has work due.
    fn settle(&mut self) {
        self.inflight.clear();
        for _ in 0..20 {
            self.host.set_now(self.host.now() + RECOVERY_MS + 1);
            self.host.tick();
            if self
                .host
                .next_timeout()
                .is_none_or(|t| t > self.host.now() + 60_000)
            {
                break;
            }
        }
    }

    fn check(&mut self) -> Result<(), TestCaseError> {
        // Read every item.
        let mut items: BTreeMap<(u8, u8), Value> = BTreeMap::new();
        for t in 0..TABLES {
            for k in 0..KEYS {
                let (status, v) = self.host.request(
                    "GetItem",
                    &json!({"TableName": table(t), "Key": key(t, k), "ConsistentRead": true}),
                );
                prop_assert_eq!(status, 200, "{}", v);
                if let Some(item) = v.get("Item") {
                    items.insert((t, k), item.clone());
                }
            }
        }
        // All or nothing, and as acknowledged.
        for (id, tx) in self.txs.iter().enumerate() {
            let attr = format!("t{id}");
            let written: BTreeSet<(u8, u8)> = items
                .iter()
                .filter(|(_, it)| it.get(&attr).is_some())
                .map(|(k, _)| *k)
                .collect();
            prop_assert!(
                written.is_empty() || written == tx.updates,
                "transaction {} partly applied: {:?} of {:?}",
                id,
                written,
                tx.updates
            );
            if tx.acked {
                prop_assert_eq!(&written, &tx.updates, "transaction {} acknowledged", id);
            }
            if tx.attempts > 0 && tx.cancelled == tx.attempts {
                prop_assert!(
                    written.is_empty(),
                    "transaction {} cancelled but applied",
                    id
                );
            }
        }
        // Plain writes: every acknowledged one applied, none beyond those attempted.
        for (k, (acked, attempted)) in &self.plain {
            let p = items
                .get(k)
                .and_then(|it| it["p"]["N"].as_str())
                .map_or(0, |n| n.parse::<u64>().unwrap_or(0));
            prop_assert!(
                *acked <= p && p <= *attempted,
                "item {:?}: p = {}, acknowledged {}, attempted {}",
                k,
                p,
                acked,
                attempted
            );
        }
        // No transaction left anywhere.
        for n in 0..SHARDS {
            if let Some(sql) = self.host.sql(&Address::Coordinator(n)) {
                let open = projections::tx::unfinished(sql).expect("coordinator state");
                prop_assert!(open.is_empty(), "coordinator {} unfinished: {:?}", n, open);
            }
        }
        for t in 0..TABLES {
            let sql = self.host.table_sql(&table(t)).expect("table storage");
            prop_assert_eq!(projections::tx::lock_count(sql).expect("locks"), 0);
            let pending = projections::tx::pending(sql).expect("pending");
            prop_assert!(pending.is_empty(), "table {} pending: {:?}", t, pending);
            // Dense LSNs, checksums, and every projection equal to a replay.
            let report = LogStore::verify(sql).expect("verify");
            prop_assert!(report.problems.is_empty(), "{:?}", report.problems);
            let replayed = Sqlite::in_memory().expect("sqlite");
            projections::init(&replayed).expect("init");
            projections::replay_into(sql, &replayed).expect("replay");
            let diff = projections::verify::compare(sql, &replayed).expect("compare");
            prop_assert!(diff.is_none(), "table {}: {:?}", t, diff);
        }
        Ok(())
    }
}

/// The cases of each of the `SHARDS_OF_CASES` tests (which cargo runs in parallel).
fn cases() -> u32 {
    let total: u32 = std::env::var("TX_SIM_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    total.div_ceil(SHARDS_OF_CASES)
}

const SHARDS_OF_CASES: u32 = 4;

fn simulate(events: &[Event]) -> Result<(), TestCaseError> {
    let mut sim = Sim::new();
    sim.run(events)?;
    sim.settle();
    sim.check()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]
    #[test]
    fn all_or_nothing_under_faults_1(events in prop::collection::vec(event(), 1..64)) {
        simulate(&events)?;
    }
    #[test]
    fn all_or_nothing_under_faults_2(events in prop::collection::vec(event(), 1..64)) {
        simulate(&events)?;
    }
    #[test]
    fn all_or_nothing_under_faults_3(events in prop::collection::vec(event(), 1..64)) {
        simulate(&events)?;
    }
    #[test]
    fn all_or_nothing_under_faults_4(events in prop::collection::vec(event(), 1..64)) {
        simulate(&events)?;
    }
}

/// The same checks hold with no faults at all, and then every transaction is answered.
#[test]
fn without_faults_every_transaction_is_answered() {
    let mut sim = Sim::new();
    let mut events = Vec::new();
    for i in 0..30u8 {
        events.push(Event::Transact {
            acts: vec![
                Act::Update {
                    table: i % TABLES,
                    key: i % 2,
                },
                Act::Update {
                    table: (i + 1) % TABLES,
                    key: 2,
                },
                Act::Check {
                    table: i % TABLES,
                    key: 2,
                    other: i / 2,
                },
            ],
            token: i % 2 == 0,
        });
        events.push(Event::Plain {
            table: i % TABLES,
            key: i % KEYS,
        });
    }
    for _ in 0..2_000 {
        events.push(Event::Step {
            pick: 0,
            sub: 0,
            delivery: Delivery::Once,
        });
    }
    sim.run(&events).unwrap();
    assert!(sim.inflight.is_empty());
    assert!(sim.txs.iter().all(|t| t.answered == 1));
    assert!(sim.txs.iter().any(|t| t.acked));
    sim.settle();
    sim.check().unwrap();
}
