//! Query and Scan.

use std::ops::Bound;

use extenddo_log::{AttributeValue, Item, Sql};
use extenddo_projections::items::{self, Row};
use extenddo_projections::{keycode, KeySchema, KeyType};
use serde_json::{json, Map, Value};

use super::{schema, ExprParams};
use crate::error::ApiError;
use crate::expr::{KeyConditionExpr, RangeCondition};
use crate::keys;
use crate::table::TableObject;
use crate::table_def;
use crate::wire::{encode_item, Constraints, Params};

/// DynamoDB stops a page once it has read this many bytes.
pub const PAGE_BYTES: i64 = 1024 * 1024;

fn limit(p: &Params) -> Result<Option<usize>, ApiError> {
    let l = p.int("Limit")?;
    let mut c = Constraints::default();
    if let Some(l) = l.filter(|l| *l < 1) {
        c.fail(
            Some(&l.to_string()),
            "limit",
            "Member must have value greater than or equal to 1",
        );
    }
    c.check()?;
    Ok(l.map(|l| l as usize))
}

fn start_key(p: &Params, key: &KeySchema) -> Result<Option<keys::EncodedKey>, ApiError> {
    p.item("ExclusiveStartKey")?
        .map(|k| {
            keys::key_member(key, &k).map_err(|e| {
                ApiError::validation(format!(
                    "The provided starting key is invalid: {}",
                    e.message.unwrap_or_default()
                ))
            })
        })
        .transpose()
}

/// Accumulates rows into a page under the count and byte limits.
struct Page {
    items: Vec<Value>,
    scanned: usize,
    bytes: i64,
    last: Option<Item>,
    limit: Option<usize>,
}

impl Page {
    fn new(limit: Option<usize>) -> Page {
        Page {
            items: Vec::new(),
            scanned: 0,
            bytes: 0,
            last: None,
            limit,
        }
    }

    /// Adds a row; returns whether the page is full.
    fn push(&mut self, key: &KeySchema, row: Row) -> bool {
        self.scanned += 1;
        self.bytes += row.size;
        self.last = Some(keys::key_of(key, &row.item));
        self.items.push(encode_item(&row.item));
        self.full()
    }

    fn full(&self) -> bool {
        self.limit.is_some_and(|l| self.scanned >= l) || self.bytes >= PAGE_BYTES
    }

    /// Rows still wanted, capped for one SQL read.
    fn want(&self) -> usize {
        self.limit
            .map_or(1000, |l| l.saturating_sub(self.scanned))
            .clamp(1, 1000)
    }

    fn finish(self, stopped: bool) -> Value {
        let mut out = Map::new();
        out.insert("Count".into(), json!(self.items.len()));
        out.insert("ScannedCount".into(), json!(self.scanned));
        out.insert("Items".into(), Value::Array(self.items));
        if stopped {
            if let Some(last) = self.last {
                out.insert("LastEvaluatedKey".into(), encode_item(&last));
            }
        }
        Value::Object(out)
    }
}

pub(super) fn scan(t: &TableObject, sql: &dyn Sql, p: &Params) -> Result<Value, ApiError> {
    table_def::table_name(p)?;
    let limit = limit(p)?;
    p.bool("ConsistentRead")?;
    let s = schema(t)?;
    let mut after = start_key(p, &s.key)?;
    let mut page = Page::new(limit);
    loop {
        let rows = items::scan(
            sql,
            after.as_ref().map(|(a, b)| (a.as_slice(), b.as_slice())),
            page.want(),
        )?;
        let exhausted = rows.len() < page.want();
        for row in rows {
            after = Some((row.pk.clone(), row.sk.clone()));
            if page.push(&s.key, row) {
                return Ok(page.finish(true));
            }
        }
        if exhausted {
            return Ok(page.finish(false));
        }
    }
}

/// The sort-key range of a Query, in encoded key bytes.
pub(crate) struct SortRange {
    pub lo: Bound<Vec<u8>>,
    pub hi: Bound<Vec<u8>>,
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(x) => Bound::Included(x.as_slice()),
        Bound::Excluded(x) => Bound::Excluded(x.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// Reads one partition in sort-key order into a page.
pub(crate) fn query_partition(
    sql: &dyn Sql,
    key: &KeySchema,
    pk: &[u8],
    range: SortRange,
    forward: bool,
    start: Option<keys::EncodedKey>,
    limit: Option<usize>,
) -> Result<Value, ApiError> {
    let (mut lo, mut hi) = (range.lo, range.hi);
    let mut page = Page::new(limit);
    // Resuming after ExclusiveStartKey narrows the range on the side we read from.
    let resume = |b: &mut Bound<Vec<u8>>, sk: Vec<u8>, forward_side: bool| {
        let tighter = match &*b {
            Bound::Unbounded => true,
            Bound::Included(x) | Bound::Excluded(x) => {
                if forward_side {
                    sk >= *x
                } else {
                    sk <= *x
                }
            }
        };
        if tighter {
            *b = Bound::Excluded(sk);
        }
    };
    if let Some((_, sk)) = start {
        if forward {
            resume(&mut lo, sk, true)
        } else {
            resume(&mut hi, sk, false)
        }
    }
    loop {
        let want = page.want();
        let rows = items::range(sql, pk, as_ref(&lo), as_ref(&hi), forward, want)?;
        let exhausted = rows.len() < want;
        for row in rows {
            let sk = row.sk.clone();
            if forward {
                lo = Bound::Excluded(sk)
            } else {
                hi = Bound::Excluded(sk)
            }
            if page.push(key, row) {
                return Ok(page.finish(true));
            }
        }
        if exhausted || key.range.is_none() {
            return Ok(page.finish(false));
        }
    }
}

pub(super) fn query(t: &TableObject, sql: &dyn Sql, p: &Params) -> Result<Value, ApiError> {
    table_def::table_name(p)?;
    let limit = limit(p)?;
    let forward = p.bool("ScanIndexForward")?.unwrap_or(true);
    p.bool("ConsistentRead")?;
    let xp = ExprParams::from(p)?;
    let Some(kce) = p.str("KeyConditionExpression")? else {
        return Err(ApiError::validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ));
    };
    let mut ctx = xp.context();
    let parsed = KeyConditionExpr::parse(kce, &mut ctx)?;
    ctx.check_unused()?;
    let s = schema(t)?;
    let cond = parsed.extract(
        &s.key.hash.name,
        s.key.range.as_ref().map(|r| r.name.as_str()),
    )?;
    let pk = encode_key_value(s.key.hash.ty, &cond.hash_value)?;
    let range = match (&cond.range, &s.key.range) {
        (Some(rc), Some(attr)) => sort_range(attr.ty, rc)?,
        _ => SortRange {
            lo: Bound::Unbounded,
            hi: Bound::Unbounded,
        },
    };
    let start = start_key(p, &s.key)?;
    query_partition(sql, &s.key, &pk, range, forward, start, limit)
}

fn mismatch() -> ApiError {
    ApiError::invalid_param("Condition parameter type does not match schema type")
}

fn encode_key_value(ty: KeyType, v: &AttributeValue) -> Result<Vec<u8>, ApiError> {
    keycode::encode(ty, v).ok_or_else(mismatch)
}

/// The encoded sort-key bounds of a key condition on the sort key.
fn sort_range(ty: KeyType, rc: &RangeCondition) -> Result<SortRange, ApiError> {
    use Bound::*;
    let enc = |v: &AttributeValue| encode_key_value(ty, v);
    Ok(match rc {
        RangeCondition::Eq(v) => SortRange {
            lo: Included(enc(v)?),
            hi: Included(enc(v)?),
        },
        RangeCondition::Lt(v) => SortRange {
            lo: Unbounded,
            hi: Excluded(enc(v)?),
        },
        RangeCondition::Le(v) => SortRange {
            lo: Unbounded,
            hi: Included(enc(v)?),
        },
        RangeCondition::Gt(v) => SortRange {
            lo: Excluded(enc(v)?),
            hi: Unbounded,
        },
        RangeCondition::Ge(v) => SortRange {
            lo: Included(enc(v)?),
            hi: Unbounded,
        },
        RangeCondition::Between(a, b) => SortRange {
            lo: Included(enc(a)?),
            hi: Included(enc(b)?),
        },
        RangeCondition::BeginsWith(prefix) => {
            if ty == KeyType::N {
                return Err(ApiError::validation(format!(
                    "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: {}",
                    prefix.type_name()
                )));
            }
            let p = enc(prefix)?;
            let hi = match keycode::prefix_successor(&p) {
                Some(succ) => Excluded(succ),
                None => Unbounded,
            };
            SortRange {
                lo: Included(p),
                hi,
            }
        }
    })
}
