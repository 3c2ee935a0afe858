//! BatchGetItem and BatchWriteItem across tables: splitting a request into one request per
//! table object, and merging their answers. The per-table work is in `ops::batch`.

use std::collections::VecDeque;

use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::op::{Op, TableRequest};
use crate::table_def;
use crate::wire::{Constraints, Params};

pub const MAX_GET_KEYS: usize = 100;
pub const MAX_WRITE_REQUESTS: usize = 25;
/// A BatchGetItem response holds at most this many bytes of items; the keys past it are
/// returned as UnprocessedKeys.
pub const MAX_GET_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;
/// Members a table's share of a BatchGetItem returns to the flow only.
pub(crate) const RESPONSE_BYTES: &str = "ResponseBytes";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Get,
    Write,
}

/// Validates the request as a whole and returns the per-table requests to run, in order.
/// A write touching several tables first dry-runs every table so that a bad table or key
/// anywhere rejects the whole batch before anything is written.
pub fn split(op: Op, p: &Params) -> Result<(Kind, VecDeque<(String, TableRequest)>), ApiError> {
    let kind = if op == Op::BatchGetItem {
        Kind::Get
    } else {
        Kind::Write
    };
    let items = p.object("RequestItems")?;
    let mut c = Constraints::default();
    match items {
        None => c.fail(None, "requestItems", "Member must not be null"),
        Some(m) if m.is_empty() => c.fail(
            Some("{}"),
            "requestItems",
            "Member must have length greater than or equal to 1",
        ),
        Some(m) => {
            for name in m.keys() {
                let mut names = Constraints::default();
                table_def::check_table_name(&mut names, Some(name), "requestItems");
                if names.check().is_err() {
                    c.fail(
                        Some(name),
                        "requestItems",
                        "Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]",
                    );
                }
            }
        }
    }
    c.check()?;
    let items = items.cloned().unwrap_or_default();
    let mut total = 0;
    let mut out = VecDeque::new();
    for (table, section) in &items {
        let mut body = match (kind, section) {
            (Kind::Get, Value::Object(s)) => {
                let n = s.get("Keys").and_then(Value::as_array).map_or(0, Vec::len);
                if n == 0 {
                    let mut c = Constraints::default();
                    c.fail(
                        Some("[]"),
                        &format!("requestItems.{table}.member.keys"),
                        "Member must have length greater than or equal to 1",
                    );
                    c.check()?;
                }
                if n > MAX_GET_KEYS {
                    return Err(ApiError::validation(format!(
                        "1 validation error detected: Value at 'RequestItems.{table}.member.Keys' failed to satisfy constraint: Member must have length less than or equal to {MAX_GET_KEYS}"
                    )));
                }
                total += n;
                s.clone()
            }
            (Kind::Write, Value::Array(requests)) => {
                if requests.is_empty() {
                    return Err(ApiError::validation(format!(
                        "1 validation error detected: Value '[]' at 'requestItems.{table}.member' failed to satisfy constraint: Member must have length greater than or equal to 1"
                    )));
                }
                total += requests.len();
                let mut m = Map::new();
                m.insert("Requests".into(), Value::Array(requests.clone()));
                m
            }
            (_, other) => {
                return Err(ApiError::serialization(format!(
                    "Unexpected value type in payload: {}",
                    if other.is_array() {
                        "an array"
                    } else {
                        "not a structure or list"
                    }
                )))
            }
        };
        body.insert("TableName".into(), json!(table));
        for member in ["ReturnConsumedCapacity", "ReturnItemCollectionMetrics"] {
            if let Some(v) = p.raw(member) {
                body.insert(member.into(), v.clone());
            }
        }
        let table_op = if kind == Kind::Get {
            Op::BatchGetTable
        } else {
            Op::BatchWriteTable
        };
        out.push_back((
            table.clone(),
            TableRequest::new(table_op, Value::Object(body)),
        ));
    }
    match kind {
        Kind::Get if total > MAX_GET_KEYS => {
            return Err(ApiError::validation("Too many items requested for the BatchGetItem call"))
        }
        Kind::Write if total > MAX_WRITE_REQUESTS => {
            return Err(ApiError::validation(
                "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
            ))
        }
        _ => {}
    }
    if kind == Kind::Write && out.len() > 1 {
        let dry: Vec<_> = out
            .iter()
            .map(|(t, r)| {
                let mut r = r.clone();
                r.dry_run = true;
                (t.clone(), r)
            })
            .collect();
        for d in dry.into_iter().rev() {
            out.push_front(d);
        }
    }
    Ok((kind, out))
}

/// The merged answer of a batch.
#[derive(Default)]
pub struct Merged {
    responses: Map<String, Value>,
    unprocessed: Map<String, Value>,
    metrics: Map<String, Value>,
    capacity: Vec<Value>,
    asked_capacity: bool,
    bytes: u64,
}

impl Merged {
    pub fn add(&mut self, kind: Kind, table: &str, v: Value) {
        let Value::Object(mut v) = v else { return };
        if let Some(c) = v.remove("ConsumedCapacity") {
            self.asked_capacity = true;
            self.capacity.push(c);
        }
        if let Some(m) = v.remove("ItemCollectionMetrics") {
            self.metrics.insert(table.to_owned(), m);
        }
        if kind == Kind::Get {
            self.responses
                .insert(table.to_owned(), v.remove("Items").unwrap_or(json!([])));
            self.bytes += v
                .remove(RESPONSE_BYTES)
                .and_then(|b| b.as_u64())
                .unwrap_or(0);
            if let Some(u) = v.remove("UnprocessedKeys") {
                self.unprocessed.insert(table.to_owned(), u);
            }
        }
    }

    /// Item bytes the response may still take.
    pub fn remaining_bytes(&self) -> u64 {
        MAX_GET_RESPONSE_BYTES.saturating_sub(self.bytes)
    }

    pub fn finish(self, kind: Kind) -> Value {
        let mut out = Map::new();
        match kind {
            Kind::Get => {
                out.insert("Responses".into(), Value::Object(self.responses));
                out.insert("UnprocessedKeys".into(), Value::Object(self.unprocessed));
            }
            Kind::Write => {
                out.insert("UnprocessedItems".into(), json!({}));
                if !self.metrics.is_empty() {
                    out.insert("ItemCollectionMetrics".into(), Value::Object(self.metrics));
                }
            }
        }
        if self.asked_capacity {
            out.insert("ConsumedCapacity".into(), Value::Array(self.capacity));
        }
        Value::Object(out)
    }
}
