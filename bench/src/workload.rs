//! The workloads: what each simulated client sends, and how each response is checked.
//!
//! Request bodies are formatted directly (all keys and values are ASCII alphanumerics
//! generated here, so no JSON escaping is needed); this keeps the load generator cheap
//! on a machine whose cores it shares with the server under test.

use bytes::Bytes;
use clap::ValueEnum;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Workload {
    /// PutItem of ~200-byte items with random keys in the key space.
    Put,
    /// PutItem of ~200-byte items, each under a new random key (64 random bits, as UUID
    /// keys are): every request inserts, and the table grows for the whole run.
    #[value(name = "put-new")]
    PutNew,
    /// GetItem of preloaded keys (each response must contain the item).
    Get,
    /// Query one random partition (fixed number of sort keys each), with a Limit.
    Query,
    /// 50% GetItem of preloaded keys / 50% PutItem (overwrites) in the key space.
    Mix,
    /// PutItem writers plus one DynamoDB Streams consumer (GetRecords); see streams.rs.
    Streams,
    /// PutItem on a table with 2 global secondary indexes (every item is in both).
    #[value(name = "put-gsi2")]
    PutGsi2,
    /// PutItem on a table with 5 global secondary indexes (every item is in all five).
    #[value(name = "put-gsi5")]
    PutGsi5,
    /// Query a global secondary index (one random index partition, with a Limit).
    #[value(name = "query-gsi")]
    QueryGsi,
    /// TransactWriteItems of two PutItems (~200-byte items, random keys) on one table.
    Transact,
    /// TransactWriteItems of two PutItems on two tables (the workload's table and
    /// `<table>_b`): the cross-table, two-phase path.
    #[value(name = "transact2")]
    Transact2,
    /// `GET /`: the server's static health answer, no table and no storage. The floor of
    /// the HTTP stack under test, against which its DynamoDB workloads are compared.
    Floor,
}

impl Workload {
    pub fn name(self) -> &'static str {
        match self {
            Workload::Put => "put",
            Workload::PutNew => "put-new",
            Workload::Get => "get",
            Workload::Query => "query",
            Workload::Mix => "mix",
            Workload::Streams => "streams",
            Workload::PutGsi2 => "put-gsi2",
            Workload::PutGsi5 => "put-gsi5",
            Workload::QueryGsi => "query-gsi",
            Workload::Floor => "floor",
            Workload::Transact => "transact",
            Workload::Transact2 => "transact2",
        }
    }
    /// Whether the workload uses a table (all but `floor`).
    pub fn needs_table(self) -> bool {
        self != Workload::Floor
    }
    /// Global secondary indexes on the workload's table: index `gsi{i}` is keyed on the
    /// string attribute `g{i}`, projection ALL.
    pub fn gsis(self) -> u8 {
        match self {
            Workload::PutGsi2 => 2,
            Workload::PutGsi5 => 5,
            Workload::QueryGsi => 1,
            _ => 0,
        }
    }
    /// Query needs a table with a range key; the others use a hash-key-only table.
    pub fn has_range_key(self) -> bool {
        self == Workload::Query
    }
    pub fn needs_preload(self) -> bool {
        matches!(
            self,
            Workload::Get | Workload::Query | Workload::Mix | Workload::QueryGsi
        )
    }
    pub fn default_table(self) -> &'static str {
        match self {
            Workload::Query => "extenddo_bench_query",
            Workload::PutGsi2 => "extenddo_bench_gsi2",
            Workload::PutGsi5 => "extenddo_bench_gsi5",
            Workload::QueryGsi => "extenddo_bench_gsi1",
            Workload::Transact | Workload::Transact2 => "extenddo_bench_tx",
            _ => "extenddo_bench_kv",
        }
    }
}

/// Everything that shapes the requests, fixed for a run.
#[derive(Clone, Debug)]
pub struct Shape {
    pub workload: Workload,
    pub table: String,
    /// Key space: number of distinct items (for query: partitions × sort keys).
    pub items: u64,
    /// Sort keys per partition (query workload).
    pub sort_keys: u64,
    /// Query `Limit`.
    pub limit: u64,
    /// Mixed into `put-new`'s keys. The seed repeats a run's sequence of keys, so without a
    /// salt of its own a second `put-new` run on the same table would rewrite the first
    /// run's items with the same values (writes that change nothing, and cost little).
    pub new_key_salt: u64,
}

impl Shape {
    /// The tables the workload writes (all with the same key schema).
    pub fn tables(&self) -> Vec<String> {
        match self.workload {
            Workload::Transact2 => vec![self.table.clone(), second_table(&self.table)],
            _ => vec![self.table.clone()],
        }
    }
    pub fn partitions(&self) -> u64 {
        (self.items / self.sort_keys).max(1)
    }
    /// Number of items that `--setup` writes before a run.
    pub fn preload_count(&self) -> u64 {
        if !self.workload.needs_preload() {
            0
        } else if self.workload.has_range_key() {
            self.partitions() * self.sort_keys
        } else {
            self.items
        }
    }
    /// The expected `Count` of each Query response.
    pub fn expected_query_count(&self) -> u64 {
        self.limit.min(self.sort_keys)
    }
    /// The index-key values of item `i`: for query-gsi, `g0` groups `--sort-keys` items per
    /// index partition; for the put workloads, each `g{i}` is random.
    pub fn gsi_values(&self, i: u64, rng: &mut fastrand::Rng) -> Vec<String> {
        (0..self.workload.gsis())
            .map(|g| match self.workload {
                Workload::QueryGsi => format!("v{:07}", i % self.partitions()),
                _ => format!("v{:07}-{g}", rng.u64(..self.items)),
            })
            .collect()
    }
}

/// The target of a `floor` request: the client sends `GET /` for it.
pub const FLOOR_TARGET: &str = "";

/// One request to send and what its response must show.
pub struct Op {
    pub target: &'static str,
    pub body: Bytes,
    pub check: Check,
}

#[derive(Clone, Copy, Debug)]
pub enum Check {
    /// 200 is enough (PutItem).
    Ok,
    /// 200 and an `Item` in the body (GetItem of a preloaded key).
    HasItem,
    /// 200 and `"Count": n` in the body (Query).
    Count(u64),
}

pub fn hash_key(i: u64) -> String {
    format!("k{i:010}")
}
pub fn partition_key(p: u64) -> String {
    format!("p{p:07}")
}
pub fn sort_key(s: u64) -> String {
    format!("s{s:05}")
}

const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Length of the `payload` attribute: with the key and `n` attribute, an item is about
/// 200 bytes by DynamoDB's item-size rules (attribute names + values).
const PAYLOAD_LEN: usize = 170;

fn payload(rng: &mut fastrand::Rng) -> String {
    (0..PAYLOAD_LEN)
        .map(|_| ALNUM[rng.usize(..ALNUM.len())] as char)
        .collect()
}

/// The body of a PutItem of item `key` (and `sk` if given), with index attributes
/// `g0`, `g1`, … set to `gsi`.
pub fn put_item(
    table: &str,
    pk: &str,
    sk: Option<&str>,
    gsi: &[String],
    rng: &mut fastrand::Rng,
) -> Bytes {
    Bytes::from(format!(
        r#"{{"TableName":"{table}","Item":{}}}"#,
        item_json(pk, sk, gsi, rng)
    ))
}

/// An item as DynamoDB JSON: key, index attributes, a 170-character payload and a number.
pub fn item_json(pk: &str, sk: Option<&str>, gsi: &[String], rng: &mut fastrand::Rng) -> String {
    let sk = match sk {
        Some(sk) => format!(r#","sk":{{"S":"{sk}"}}"#),
        None => String::new(),
    };
    let g: String = gsi
        .iter()
        .enumerate()
        .map(|(i, v)| format!(r#","g{i}":{{"S":"{v}"}}"#))
        .collect();
    format!(
        r#"{{"pk":{{"S":"{pk}"}}{sk}{g},"payload":{{"S":"{}"}},"n":{{"N":"{}"}}}}"#,
        payload(rng),
        rng.u32(..1_000_000)
    )
}

/// The second table of the `transact2` workload.
pub fn second_table(table: &str) -> String {
    format!("{table}_b")
}

/// The body of a TransactWriteItems putting one item into each (table, key).
fn transact_puts(puts: &[(&str, String)], rng: &mut fastrand::Rng) -> Bytes {
    let items: Vec<String> = puts
        .iter()
        .map(|(table, pk)| {
            format!(
                r#"{{"Put":{}}}"#,
                String::from_utf8_lossy(&put_item(table, pk, None, &[], rng))
            )
        })
        .collect();
    Bytes::from(format!(r#"{{"TransactItems":[{}]}}"#, items.join(",")))
}

fn get_item(table: &str, pk: &str) -> Bytes {
    Bytes::from(format!(
        r#"{{"TableName":"{table}","Key":{{"pk":{{"S":"{pk}"}}}}}}"#
    ))
}

fn query_gsi(table: &str, value: &str, limit: u64) -> Bytes {
    Bytes::from(format!(
        r#"{{"TableName":"{table}","IndexName":"gsi0","KeyConditionExpression":"g0 = :v","ExpressionAttributeValues":{{":v":{{"S":"{value}"}}}},"Limit":{limit}}}"#
    ))
}

fn query(table: &str, pk: &str, limit: u64) -> Bytes {
    Bytes::from(format!(
        r#"{{"TableName":"{table}","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{{":p":{{"S":"{pk}"}}}},"Limit":{limit}}}"#
    ))
}

impl Shape {
    /// The next request of a simulated client.
    pub fn next_op(&self, rng: &mut fastrand::Rng) -> Op {
        let put = |rng: &mut fastrand::Rng| {
            let i = rng.u64(..self.items);
            let gsi = self.gsi_values(i, rng);
            Op {
                target: "PutItem",
                body: put_item(&self.table, &hash_key(i), None, &gsi, rng),
                check: Check::Ok,
            }
        };
        let get = |rng: &mut fastrand::Rng| Op {
            target: "GetItem",
            body: get_item(&self.table, &hash_key(rng.u64(..self.items))),
            check: Check::HasItem,
        };
        match self.workload {
            Workload::Floor => Op {
                target: FLOOR_TARGET,
                body: Bytes::new(),
                check: Check::Ok,
            },
            Workload::Put | Workload::Streams | Workload::PutGsi2 | Workload::PutGsi5 => put(rng),
            Workload::PutNew => Op {
                target: "PutItem",
                body: put_item(
                    &self.table,
                    &format!("n{:016x}", rng.u64(..) ^ self.new_key_salt),
                    None,
                    &[],
                    rng,
                ),
                check: Check::Ok,
            },
            Workload::QueryGsi => Op {
                target: "Query",
                body: query_gsi(
                    &self.table,
                    &format!("v{:07}", rng.u64(..self.partitions())),
                    self.limit,
                ),
                check: Check::Count(self.expected_query_count()),
            },
            Workload::Transact | Workload::Transact2 => {
                // Two distinct keys: one action per item.
                let i = rng.u64(..self.items);
                let j = (i + 1 + rng.u64(..self.items.max(2) - 1)) % self.items.max(2);
                let tables = self.tables();
                let second = tables.last().map_or(self.table.as_str(), String::as_str);
                Op {
                    target: "TransactWriteItems",
                    body: transact_puts(&[(&self.table, hash_key(i)), (second, hash_key(j))], rng),
                    check: Check::Ok,
                }
            }
            Workload::Get => get(rng),
            Workload::Mix => {
                if rng.bool() {
                    get(rng)
                } else {
                    put(rng)
                }
            }
            Workload::Query => Op {
                target: "Query",
                body: query(
                    &self.table,
                    &partition_key(rng.u64(..self.partitions())),
                    self.limit,
                ),
                check: Check::Count(self.expected_query_count()),
            },
        }
    }
}

/// The verdict on one response: `None` if it is a success, otherwise a short error kind
/// (low cardinality, for tallies) and a sample of the body.
pub fn judge(status: u16, body: &[u8], check: Check) -> Option<(String, String)> {
    if status != 200 {
        return Some((format!("HTTP {status} {}", error_type(body)), sample(body)));
    }
    match check {
        Check::Ok => None,
        Check::HasItem => {
            if find(body, b"\"Item\"").is_some() {
                None
            } else {
                Some(("HTTP 200 without the preloaded Item".into(), sample(body)))
            }
        }
        Check::Count(n) => match json_uint_field(body, b"\"Count\"") {
            Some(c) if c == n => None,
            Some(c) => Some((
                format!("HTTP 200 with Count {c}, expected {n}"),
                sample(body),
            )),
            None => Some(("HTTP 200 without Count".into(), sample(body))),
        },
    }
}

/// The error type of a DynamoDB error body: the part of `__type` after `#`.
pub fn error_type(body: &[u8]) -> String {
    let v: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => return "(non-JSON body)".into(),
    };
    match v.get("__type").and_then(|t| t.as_str()) {
        Some(t) => t.rsplit('#').next().unwrap_or(t).to_string(),
        None => "(no __type)".into(),
    }
}

fn sample(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(&body[..body.len().min(300)]);
    s.into_owned()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The unsigned integer value of a top-level-looking `"Field": 123` in a JSON body.
fn json_uint_field(body: &[u8], field: &[u8]) -> Option<u64> {
    let at = find(body, field)? + field.len();
    let rest: &[u8] = &body[at..];
    let rest = rest
        .trim_ascii_start()
        .strip_prefix(b":")?
        .trim_ascii_start();
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(workload: Workload) -> Shape {
        Shape {
            workload,
            table: "t".into(),
            items: 1000,
            sort_keys: 50,
            limit: 10,
            new_key_salt: 0,
        }
    }

    #[test]
    fn bodies_are_valid_json_and_items_about_200_bytes() {
        let mut rng = fastrand::Rng::with_seed(1);
        for w in [
            Workload::Put,
            Workload::PutNew,
            Workload::Get,
            Workload::Query,
            Workload::Mix,
        ] {
            for _ in 0..20 {
                let op = shape(w).next_op(&mut rng);
                let v: serde_json::Value = serde_json::from_slice(&op.body).unwrap();
                assert_eq!(v["TableName"], "t");
                if op.target == "PutItem" {
                    let item = v["Item"].as_object().unwrap();
                    let size: usize = item
                        .iter()
                        .map(|(k, v)| {
                            let val = v.as_object().unwrap().values().next().unwrap();
                            k.len() + val.as_str().unwrap().len()
                        })
                        .sum();
                    assert!((190..=210).contains(&size), "item size {size}");
                }
            }
        }
    }

    /// The keys `put-new` writes from one seed: the same under one salt, others under
    /// another (a later run on the same table).
    #[test]
    fn put_new_keys_follow_the_seed_and_the_salt() {
        let keys = |salt: u64| -> Vec<String> {
            let mut rng = fastrand::Rng::with_seed(7);
            let shape = Shape {
                new_key_salt: salt,
                ..shape(Workload::PutNew)
            };
            (0..100)
                .map(|_| {
                    let op = shape.next_op(&mut rng);
                    let v: serde_json::Value = serde_json::from_slice(&op.body).unwrap();
                    v["Item"]["pk"]["S"].as_str().unwrap().to_owned()
                })
                .collect()
        };
        assert_eq!(keys(1), keys(1));
        let (a, b) = (keys(1), keys(2));
        assert!(a.iter().all(|k| !b.contains(k)), "{a:?} / {b:?}");
    }

    #[test]
    fn judging() {
        assert!(judge(200, b"{}", Check::Ok).is_none());
        let (kind, _) = judge(
            400,
            br#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"x"}"#,
            Check::Ok,
        )
        .unwrap();
        assert_eq!(kind, "HTTP 400 ResourceNotFoundException");
        assert_eq!(
            judge(500, b"oops", Check::Ok).unwrap().0,
            "HTTP 500 (non-JSON body)"
        );
        assert!(judge(200, br#"{"Item":{"pk":{"S":"k"}}}"#, Check::HasItem).is_none());
        assert!(judge(200, b"{}", Check::HasItem).is_some());
        assert!(judge(200, br#"{"Count": 10, "Items": []}"#, Check::Count(10)).is_none());
        assert!(judge(200, br#"{"Items":[],"Count":3}"#, Check::Count(10)).is_some());
        assert!(judge(200, br#"{"Items":[]}"#, Check::Count(10)).is_some());
    }

    #[test]
    fn preload_counts() {
        assert_eq!(shape(Workload::Put).preload_count(), 0);
        assert_eq!(shape(Workload::Get).preload_count(), 1000);
        assert_eq!(shape(Workload::Query).preload_count(), 1000);
        assert_eq!(shape(Workload::Query).partitions(), 20);
        assert_eq!(shape(Workload::Query).expected_query_count(), 10);
    }
}
