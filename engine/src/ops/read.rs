//! Query and Scan.

use std::ops::Bound;

use extenddo_log::{AttributeValue, Item, Sql};
use extenddo_projections::items::{self, Row};
use extenddo_projections::{keycode, KeySchema, KeyType};
use serde_json::{json, Map, Value};

use super::items::read_projection;
use super::{schema, ExprParams};
use crate::capacity::{self, ReturnCapacity};
use crate::error::ApiError;
use crate::expr::{Condition, KeyConditionExpr, Placeholders, Projection, RangeCondition};
use crate::keys;
use crate::legacy;
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Select {
    All,
    Projected,
    Specific,
    Count,
}

/// What Query and Scan do with each item read: filter, project, count, bill.
struct ReadOptions {
    filter: Option<Condition>,
    projection: Option<Projection>,
    select: Select,
    consistent: bool,
    capacity: ReturnCapacity,
}

fn read_options(p: &Params, query: bool) -> Result<ReadOptions, ApiError> {
    let filter_param = if query { "QueryFilter" } else { "ScanFilter" };
    let mut lists = vec![
        ("AttributesToGet", "ProjectionExpression"),
        (filter_param, "FilterExpression"),
    ];
    if query {
        lists.push(("KeyConditions", "KeyConditionExpression"));
    }
    legacy::check_mixing(p, &lists)?;
    let select = match p.str("Select")? {
        None => None,
        Some("ALL_ATTRIBUTES") => Some(Select::All),
        Some("ALL_PROJECTED_ATTRIBUTES") => Some(Select::Projected),
        Some("SPECIFIC_ATTRIBUTES") => Some(Select::Specific),
        Some("COUNT") => Some(Select::Count),
        Some(other) => {
            let mut c = Constraints::default();
            c.fail(
                Some(other),
                "select",
                "Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]",
            );
            c.check()?;
            None
        }
    };
    let consistent = p.bool("ConsistentRead")?.unwrap_or(false);
    let capacity = ReturnCapacity::from(p)?;
    Ok(ReadOptions {
        filter: None,
        projection: None,
        select: select.unwrap_or(Select::All),
        consistent,
        capacity,
    })
}

impl ReadOptions {
    /// Parses the filter and projection with the request's shared placeholders.
    fn parse(
        &mut self,
        p: &Params,
        ctx: &mut Placeholders<'_>,
        query: bool,
    ) -> Result<(), ApiError> {
        self.filter = match (p.str("FilterExpression")?, query) {
            (Some(f), _) => Some(Condition::parse_filter(f, ctx)?),
            (None, true) if p.has("QueryFilter") => Some(legacy::query_filter(p)?),
            (None, false) if p.has("ScanFilter") => Some(legacy::scan_filter(p)?),
            _ => None,
        };
        self.projection = read_projection(p, ctx)?;
        let explicit_select = p.has("Select");
        match (self.select, &self.projection) {
            (Select::Specific, None) => {
                return Err(ApiError::validation(
                    "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
                ))
            }
            (Select::Count, Some(_)) => {
                return Err(ApiError::validation(
                    "Cannot specify the AttributesToGet when choosing to get only the Count",
                ))
            }
            (Select::All, Some(_)) if explicit_select => {
                return Err(ApiError::validation(
                    "Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES",
                ))
            }
            (Select::All, Some(_)) => self.select = Select::Specific,
            (Select::Projected, _) if !p.has("IndexName") => {
                return Err(ApiError::validation(
                    "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
                ))
            }
            _ => {}
        }
        Ok(())
    }
}

/// Accumulates rows into a page under the count and byte limits.
struct Page<'a> {
    opts: &'a ReadOptions,
    items: Vec<Value>,
    count: usize,
    scanned: usize,
    bytes: i64,
    last: Option<Item>,
    limit: Option<usize>,
}

impl<'a> Page<'a> {
    fn new(opts: &'a ReadOptions, limit: Option<usize>) -> Page<'a> {
        Page {
            opts,
            items: Vec::new(),
            count: 0,
            scanned: 0,
            bytes: 0,
            last: None,
            limit,
        }
    }

    /// Adds a row; returns whether the page is full. Limit counts items read, before the
    /// filter, as DynamoDB's does.
    fn push(&mut self, key: &KeySchema, row: Row) -> bool {
        self.scanned += 1;
        self.bytes += row.size;
        self.last = Some(keys::key_of(key, &row.item));
        if self.opts.filter.as_ref().is_none_or(|f| f.eval(&row.item)) {
            self.count += 1;
            match (&self.opts.projection, self.opts.select) {
                (_, Select::Count) => {}
                (Some(p), _) => self.items.push(encode_item(&p.apply(&row.item))),
                (None, _) => self.items.push(encode_item(&row.item)),
            }
        }
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

    fn finish(self, table: &str, stopped: bool) -> Value {
        let mut out = Map::new();
        out.insert("Count".into(), json!(self.count));
        out.insert("ScannedCount".into(), json!(self.scanned));
        if self.opts.select != Select::Count {
            out.insert("Items".into(), Value::Array(self.items));
        }
        if stopped {
            if let Some(last) = self.last {
                out.insert("LastEvaluatedKey".into(), encode_item(&last));
            }
        }
        let units = capacity::read_units(self.bytes.max(0) as usize, self.opts.consistent);
        if let Some(c) = self.opts.capacity.render(table, units) {
            out.insert("ConsumedCapacity".into(), c);
        }
        Value::Object(out)
    }
}

/// Segment and TotalSegments of a parallel scan, checked as DynamoDB does.
fn segments(p: &Params) -> Result<(i64, i64), ApiError> {
    let (seg, total) = (p.int("Segment")?, p.int("TotalSegments")?);
    let mut c = Constraints::default();
    if let Some(s) = seg.filter(|s| *s < 0 || *s > 999_999) {
        let constraint = if s < 0 {
            "Member must have value greater than or equal to 0"
        } else {
            "Member must have value less than or equal to 999999"
        };
        c.fail(Some(&s.to_string()), "segment", constraint);
    }
    if let Some(t) = total.filter(|t| *t < 1 || *t > 1_000_000) {
        let constraint = if t < 1 {
            "Member must have value greater than or equal to 1"
        } else {
            "Member must have value less than or equal to 1000000"
        };
        c.fail(Some(&t.to_string()), "totalSegments", constraint);
    }
    c.check()?;
    match (seg, total) {
        (None, None) => Ok((0, 1 << 32)),
        (Some(_), None) => Err(ApiError::validation(
            "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
        )),
        (None, Some(_)) => Err(ApiError::validation(
            "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
        )),
        (Some(s), Some(t)) if s >= t => Err(ApiError::validation(format!(
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
        ))),
        (Some(s), Some(t)) => Ok(items::segment_range(s as u32, t as u32)),
    }
}

pub(super) fn scan(t: &TableObject, sql: &dyn Sql, p: &Params) -> Result<Value, ApiError> {
    let table = table_def::table_name(p)?;
    let limit = limit(p)?;
    let mut opts = read_options(p, false)?;
    let h_range = segments(p)?;
    let xp = ExprParams::from(p)?;
    let mut ctx = xp.context();
    opts.parse(p, &mut ctx, false)?;
    xp.check_used(&ctx, p)?;
    let s = schema(t)?;
    let mut after = start_key(p, &s.key)?;
    let mut page = Page::new(&opts, limit);
    loop {
        let want = page.want();
        let rows = items::scan(
            sql,
            h_range,
            after.as_ref().map(|(a, b)| (a.as_slice(), b.as_slice())),
            want,
        )?;
        let exhausted = rows.len() < want;
        for row in rows {
            after = Some((row.pk.clone(), row.sk.clone()));
            if page.push(&s.key, row) {
                return Ok(page.finish(&table, true));
            }
        }
        if exhausted {
            return Ok(page.finish(&table, false));
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
#[allow(clippy::too_many_arguments)]
fn query_partition(
    sql: &dyn Sql,
    table: &str,
    opts: &ReadOptions,
    key: &KeySchema,
    pk: &[u8],
    range: SortRange,
    forward: bool,
    start: Option<keys::EncodedKey>,
    limit: Option<usize>,
) -> Result<Value, ApiError> {
    let (mut lo, mut hi) = (range.lo, range.hi);
    let mut page = Page::new(opts, limit);
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
                return Ok(page.finish(table, true));
            }
        }
        if exhausted || key.range.is_none() {
            return Ok(page.finish(table, false));
        }
    }
}

pub(super) fn query(t: &TableObject, sql: &dyn Sql, p: &Params) -> Result<Value, ApiError> {
    let table = table_def::table_name(p)?;
    let limit = limit(p)?;
    let forward = p.bool("ScanIndexForward")?.unwrap_or(true);
    let mut opts = read_options(p, true)?;
    let xp = ExprParams::from(p)?;
    let mut ctx = xp.context();
    let parsed = match p.str("KeyConditionExpression")? {
        Some(kce) => Some(KeyConditionExpr::parse(kce, &mut ctx)?),
        None if p.has("KeyConditions") => None,
        None => {
            return Err(ApiError::validation(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
            ))
        }
    };
    opts.parse(p, &mut ctx, true)?;
    xp.check_used(&ctx, p)?;
    let s = schema(t)?;
    let range_name = s.key.range.as_ref().map(|r| r.name.as_str());
    let cond = match parsed {
        Some(k) => k.extract(&s.key.hash.name, range_name)?,
        None => legacy::key_conditions(p, &s.key.hash.name, range_name)?,
    };
    let pk = encode_key_value(s.key.hash.ty, &cond.hash_value)?;
    let range = match (&cond.range, &s.key.range) {
        (Some(rc), Some(attr)) => sort_range(attr.ty, rc)?,
        _ => SortRange {
            lo: Bound::Unbounded,
            hi: Bound::Unbounded,
        },
    };
    let start = start_key(p, &s.key)?;
    query_partition(
        sql, &table, &opts, &s.key, &pk, range, forward, start, limit,
    )
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
