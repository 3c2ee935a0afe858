//! Query and Scan, on a table or on one of its secondary indexes.

use std::ops::Bound;

use extenddo_log::{AttributeValue, Item, Sql};
use extenddo_projections::schema::{IndexKind, IndexSchema, ProjectionType};
use extenddo_projections::{indexes, items, keycode, KeyAttr, KeyType, TableSchema};
use serde_json::{json, Map, Value};

use super::items::read_projection;
use super::{schema, ExprParams};
use crate::capacity::{self, ReturnCapacity};
use crate::error::ApiError;
use crate::expr::{Condition, DocPath, KeyConditionExpr, Placeholders, Projection, RangeCondition};
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

fn invalid_start(detail: &str) -> ApiError {
    ApiError::validation(format!("The provided starting key is invalid: {detail}"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Select {
    All,
    Projected,
    Specific,
    Count,
}

/// What a read walks: the table, or one index.
#[derive(Clone, Copy)]
enum Source<'a> {
    Table,
    Index(&'a IndexSchema),
}

/// Where a read resumes: after this table key (table) or this index entry (index).
enum Resume {
    Table(keys::EncodedKey),
    /// (index partition key, index sort key, table partition key, table sort key)
    Index(Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>),
}

/// What Query and Scan do with each item read: filter, project, count, bill.
struct ReadOptions<'a> {
    source: Source<'a>,
    filter: Option<Condition>,
    projection: Option<Projection>,
    select: Select,
    consistent: bool,
    capacity: ReturnCapacity,
    /// A local index that does not hold every attribute asked for reads them from the table.
    fetch_from_table: bool,
}

impl<'a> ReadOptions<'a> {
    fn parse(
        p: &Params,
        ctx: &mut Placeholders<'_>,
        query: bool,
    ) -> Result<ReadOptions<'a>, ApiError> {
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
        let filter = match (p.str("FilterExpression")?, query) {
            (Some(f), _) => Some(Condition::parse_filter(f, ctx)?),
            (None, true) if p.has("QueryFilter") || p.has("ConditionalOperator") => {
                Some(legacy::query_filter(p)?)
            }
            (None, false) if p.has("ScanFilter") || p.has("ConditionalOperator") => {
                Some(legacy::scan_filter(p)?)
            }
            _ => None,
        };
        let projection = read_projection(p, ctx)?;
        let select = match (select, &projection) {
            (Some(Select::Specific), None) => {
                return Err(ApiError::validation(
                    "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
                ))
            }
            // AWS names the member the request used.
            (Some(Select::Count), Some(_)) => {
                return Err(ApiError::validation(format!(
                    "Cannot specify the {} when choosing to get only the Count",
                    projection_member(p)
                )))
            }
            (Some(Select::All), Some(_)) => {
                return Err(ApiError::validation(format!(
                    "Cannot specify the {} when choosing to get ALL_ATTRIBUTES",
                    projection_member(p)
                )))
            }
            (Some(Select::Projected), Some(_)) => {
                return Err(ApiError::validation(format!(
                    "Cannot specify the {} when choosing to get ALL_PROJECTED_ATTRIBUTES",
                    projection_member(p)
                )))
            }
            (Some(Select::Projected), _) if !p.has("IndexName") => {
                return Err(ApiError::validation(
                    "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
                ))
            }
            (Some(s), _) => s,
            (None, Some(_)) => Select::Specific,
            // On an index, DynamoDB defaults to the projected attributes.
            (None, None) if p.has("IndexName") => Select::Projected,
            (None, None) => Select::All,
        };
        Ok(ReadOptions {
            source: Source::Table,
            filter,
            projection,
            select,
            consistent,
            capacity,
            fetch_from_table: false,
        })
    }

    /// Binds the read to an index and checks what the index can answer.
    fn on_index(&mut self, s: &TableSchema, ix: &'a IndexSchema) -> Result<(), ApiError> {
        self.source = Source::Index(ix);
        if ix.kind == IndexKind::Global && self.consistent {
            return Err(ApiError::validation(
                "Consistent reads are not supported on global secondary indexes",
            ));
        }
        if ix.projection.ty == ProjectionType::All {
            return Ok(());
        }
        let projected = |name: &str| {
            name == s.key.hash.name
                || s.key.range.as_ref().is_some_and(|r| r.name == name)
                || ix.key_names().any(|k| k == name)
                || ix.projection.non_key.iter().any(|n| n == name)
        };
        let mut wanted: Vec<&DocPath> = Vec::new();
        if let Some(p) = &self.projection {
            wanted.extend(p.paths());
        }
        if let Some(f) = &self.filter {
            wanted.extend(f.paths());
        }
        let outside = wanted
            .iter()
            .any(|p| p.top_level().is_some_and(|n| !projected(n)));
        if self.select == Select::All || outside {
            if ix.kind == IndexKind::Global {
                return Err(ApiError::invalid_param(format!(
                    "Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                    ix.name
                )));
            }
            self.fetch_from_table = true;
        }
        Ok(())
    }
}

/// The key attributes a LastEvaluatedKey carries for a source: the table's key, plus the
/// index's key on an index.
fn last_key(s: &TableSchema, source: Source, item: &Item) -> Item {
    let mut k = keys::key_of(&s.key, item);
    if let Source::Index(ix) = source {
        for n in ix.key_names() {
            if let Some(v) = item.get(n) {
                k.insert(n.to_owned(), v.clone());
            }
        }
    }
    k
}

/// Decodes ExclusiveStartKey for a source.
fn start_key(p: &Params, s: &TableSchema, source: Source) -> Result<Option<Resume>, ApiError> {
    let Some(k) = p.item("ExclusiveStartKey")? else {
        return Ok(None);
    };
    match source {
        Source::Table => keys::key_member(&s.key, &k)
            .map(|key| Some(Resume::Table(key)))
            .map_err(|e| invalid_start(e.message.as_deref().unwrap_or_default())),
        Source::Index(ix) => {
            let mismatch = || invalid_start("The provided key element does not match the schema");
            let expected = last_key(s, source, &k);
            if expected.len() != k.len() {
                return Err(mismatch());
            }
            let (tpk, tsk) =
                extenddo_projections::keycode::item_key(&s.key, &k).map_err(|_| mismatch())?;
            let (ipk, isk) = indexes::entry_key(ix, &k).ok_or_else(mismatch)?;
            Ok(Some(Resume::Index(ipk, isk, tpk, tsk)))
        }
    }
}

/// Accumulates rows into a page under the count and byte limits.
struct Page<'a> {
    opts: &'a ReadOptions<'a>,
    schema: &'a TableSchema,
    items: Vec<Value>,
    count: usize,
    scanned: usize,
    bytes: i64,
    last: Option<Item>,
    limit: Option<usize>,
}

impl<'a> Page<'a> {
    fn new(opts: &'a ReadOptions<'a>, schema: &'a TableSchema, limit: Option<usize>) -> Page<'a> {
        Page {
            opts,
            schema,
            items: Vec::new(),
            count: 0,
            scanned: 0,
            bytes: 0,
            last: None,
            limit,
        }
    }

    /// Adds an item read from the source; returns whether the page is full. Limit counts
    /// items read, before the filter, as DynamoDB's does. Only the item that fills the page
    /// becomes the LastEvaluatedKey, so only its key is kept.
    fn push(&mut self, item: &Item, size: i64) -> bool {
        self.scanned += 1;
        self.bytes += size;
        if self.opts.filter.as_ref().is_none_or(|f| f.eval(item)) {
            self.count += 1;
            match (&self.opts.projection, self.opts.select) {
                (_, Select::Count) => {}
                (Some(p), _) => self.items.push(encode_item(&p.apply(item))),
                (None, _) => self.items.push(encode_item(item)),
            }
        }
        let full = self.full();
        if full {
            self.last = Some(last_key(self.schema, self.opts.source, item));
        }
        full
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
        if let Some(mut c) = self.opts.capacity.render(&self.schema.name, units) {
            if let (Source::Index(ix), Some(obj)) = (self.opts.source, c.as_object_mut()) {
                if obj.contains_key("Table") {
                    let member = match ix.kind {
                        IndexKind::Global => "GlobalSecondaryIndexes",
                        IndexKind::Local => "LocalSecondaryIndexes",
                    };
                    obj.remove("Table");
                    obj.insert(
                        member.into(),
                        json!({ ix.name.clone(): { "CapacityUnits": units } }),
                    );
                }
            }
            out.insert("ConsumedCapacity".into(), c);
        }
        Value::Object(out)
    }
}

/// An index entry as the read sees it: the indexed item, or the table's item for a local
/// index that must read beyond its projection.
fn index_item(
    sql: &dyn Sql,
    opts: &ReadOptions,
    row: indexes::IndexRow,
) -> Result<(Item, i64), ApiError> {
    if opts.fetch_from_table {
        if let Some(item) = items::get(sql, &row.tpk, &row.tsk)? {
            let size = extenddo_log::value::item_size(&item) as i64;
            return Ok((item, size));
        }
    }
    Ok((row.item, row.size))
}

/// The projection member a request used, as AWS names it in Select errors.
fn projection_member(p: &Params) -> &'static str {
    if p.has("ProjectionExpression") {
        "ProjectionExpression"
    } else {
        "AttributesToGet"
    }
}

/// A FilterExpression may not look inside a key attribute (`keys` are the key attributes of
/// what is read); a Query's may not use them at all (they belong in the key condition).
fn check_filter_keys(
    p: &Params,
    opts: &ReadOptions,
    keys: &[&str],
    query: bool,
) -> Result<(), ApiError> {
    let Some(filter) = opts.filter.as_ref().filter(|_| p.has("FilterExpression")) else {
        return Ok(());
    };
    for path in filter.paths() {
        let Some(name) = path.top_level().filter(|n| keys.contains(n)) else {
            continue;
        };
        if path.elements().len() > 1 {
            return Err(ApiError::validation(format!(
                "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: {name}"
            )));
        }
        if query {
            return Err(ApiError::validation(format!(
                "Filter Expression can only contain non-primary key attributes: Primary key attribute: {name}"
            )));
        }
    }
    Ok(())
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

fn find_index<'s>(s: &'s TableSchema, p: &Params) -> Result<Option<&'s IndexSchema>, ApiError> {
    let Some(name) = p.str("IndexName")? else {
        return Ok(None);
    };
    let mut c = Constraints::default();
    table_def::check_table_name(&mut c, Some(name), "indexName");
    c.check()?;
    s.index(name).map(Some).ok_or_else(|| {
        ApiError::validation(format!(
            "The table does not have the specified index: {name}"
        ))
    })
}

pub(super) fn scan(t: &TableObject, sql: &dyn Sql, p: &Params) -> Result<Value, ApiError> {
    table_def::table_name(p)?;
    let limit = limit(p)?;
    let h_range = segments(p)?;
    let xp = ExprParams::from(p)?;
    let mut ctx = xp.context();
    let mut opts = ReadOptions::parse(p, &mut ctx, false)?;
    xp.check_used(&ctx, p)?;
    let s = schema(t)?;
    if let Some(ix) = find_index(s, p)? {
        opts.on_index(s, ix)?;
    }
    let table_keys: Vec<&str> = std::iter::once(s.key.hash.name.as_str())
        .chain(s.key.range.as_ref().map(|r| r.name.as_str()))
        .collect();
    check_filter_keys(p, &opts, &table_keys, false)?;
    let mut resume = start_key(p, s, opts.source)?;
    // A start key must lie in the segment being scanned.
    let start_hash = match &resume {
        Some(Resume::Table((pk, _))) | Some(Resume::Index(pk, _, _, _)) => {
            Some(items::partition_hash(pk))
        }
        None => None,
    };
    if let (Some(h), Some(seg), Some(total)) =
        (start_hash, p.int("Segment")?, p.int("TotalSegments")?)
    {
        if h < h_range.0 || h >= h_range.1 {
            return Err(invalid_start(&format!(
                "Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: {total} Segment: {seg}"
            )));
        }
    }
    let mut page = Page::new(&opts, s, limit);
    loop {
        let want = page.want();
        let (n, stopped) = match opts.source {
            Source::Table => {
                let after = match &resume {
                    Some(Resume::Table((a, b))) => Some((a.as_slice(), b.as_slice())),
                    _ => None,
                };
                let rows = items::scan(sql, h_range, after, want)?;
                let n = rows.len();
                let mut stopped = false;
                for row in rows {
                    resume = Some(Resume::Table((row.pk.clone(), row.sk.clone())));
                    if page.push(&row.item, row.size) {
                        stopped = true;
                        break;
                    }
                }
                (n, stopped)
            }
            Source::Index(ix) => {
                let after = match &resume {
                    Some(Resume::Index(a, b, c, d)) => {
                        Some((a.as_slice(), b.as_slice(), c.as_slice(), d.as_slice()))
                    }
                    _ => None,
                };
                let rows = indexes::scan(sql, &ix.name, h_range, after, want)?;
                let n = rows.len();
                let mut stopped = false;
                for row in rows {
                    resume = Some(Resume::Index(
                        row.ipk.clone(),
                        row.isk.clone(),
                        row.tpk.clone(),
                        row.tsk.clone(),
                    ));
                    let (item, size) = index_item(sql, &opts, row)?;
                    if page.push(&item, size) {
                        stopped = true;
                        break;
                    }
                }
                (n, stopped)
            }
        };
        if stopped {
            return Ok(page.finish(true));
        }
        if n < want {
            return Ok(page.finish(false));
        }
    }
}

/// The sort-key range of a Query, in encoded key bytes.
struct SortRange {
    lo: Bound<Vec<u8>>,
    hi: Bound<Vec<u8>>,
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(x) => Bound::Included(x.as_slice()),
        Bound::Excluded(x) => Bound::Excluded(x.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

pub(super) fn query(t: &TableObject, sql: &dyn Sql, p: &Params) -> Result<Value, ApiError> {
    table_def::table_name(p)?;
    let limit = limit(p)?;
    let forward = p.bool("ScanIndexForward")?.unwrap_or(true);
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
    let mut opts = ReadOptions::parse(p, &mut ctx, true)?;
    xp.check_used(&ctx, p)?;
    // Legacy KeyConditions are checked on their own before the key schema is known.
    let legacy_keys = match parsed {
        Some(_) => None,
        None => Some(legacy::KeyConditions::parse(p)?),
    };
    let s = schema(t)?;
    let index = find_index(s, p)?;
    if let Some(ix) = index {
        opts.on_index(s, ix)?;
    }
    let source_keys: Vec<&str> = match index {
        Some(ix) => ix.key_names().collect(),
        None => std::iter::once(s.key.hash.name.as_str())
            .chain(s.key.range.as_ref().map(|r| r.name.as_str()))
            .collect(),
    };
    check_filter_keys(p, &opts, &source_keys, true)?;
    // The key the condition is on: the table's, or the index's.
    let (hash, range): (&[KeyAttr], Option<&KeyAttr>) = match index {
        Some(ix) => (&ix.hash, ix.range.first()),
        None => (std::slice::from_ref(&s.key.hash), s.key.range.as_ref()),
    };
    let (pk, sort) = match index.filter(|ix| ix.hash.len() != 1 || ix.range.len() > 1) {
        Some(ix) => multi_key_range(ix, parsed.as_ref(), legacy_keys.as_ref())?,
        None => {
            let hash = hash
                .first()
                .ok_or_else(|| ApiError::internal("key schema without a partition key"))?;
            let range_name = range.map(|r| r.name.as_str());
            let cond = match (&parsed, &legacy_keys) {
                (Some(k), _) => k.extract(&hash.name, range_name)?,
                (None, Some(l)) => l.extract(&hash.name, range_name)?,
                (None, None) => return Err(ApiError::internal("query without a key condition")),
            };
            keys::check_key_value_size(true, &cond.hash_value)?;
            if let Some(rc) = &cond.range {
                for v in rc.values() {
                    keys::check_key_value_size(false, v)?;
                }
            }
            let pk = encode_key_value(hash.ty, &cond.hash_value)?;
            let sort = match (&cond.range, range) {
                (Some(rc), Some(attr)) => sort_range(attr.ty, rc)?,
                _ => SortRange {
                    lo: Bound::Unbounded,
                    hi: Bound::Unbounded,
                },
            };
            (pk, sort)
        }
    };
    let resume = start_key(p, s, opts.source)?;
    let mut page = Page::new(&opts, s, limit);
    let (mut lo, mut hi) = (sort.lo, sort.hi);
    match opts.source {
        Source::Table => {
            // Resuming after ExclusiveStartKey narrows the range on the side we read from.
            if let Some(Resume::Table((_, sk))) = resume {
                if forward {
                    lo = Bound::Excluded(sk);
                } else {
                    hi = Bound::Excluded(sk);
                }
            }
            loop {
                let want = page.want();
                let rows = items::range(sql, &pk, as_ref(&lo), as_ref(&hi), forward, want)?;
                let n = rows.len();
                for row in rows {
                    let sk = row.sk.clone();
                    if forward {
                        lo = Bound::Excluded(sk)
                    } else {
                        hi = Bound::Excluded(sk)
                    }
                    if page.push(&row.item, row.size) {
                        return Ok(page.finish(true));
                    }
                }
                if n < want || s.key.range.is_none() {
                    return Ok(page.finish(false));
                }
            }
        }
        Source::Index(ix) => {
            let mut after = match resume {
                Some(Resume::Index(_, isk, tpk, tsk)) => Some((isk, tpk, tsk)),
                _ => None,
            };
            loop {
                let want = page.want();
                let r = after
                    .as_ref()
                    .map(|(a, b, c)| (a.as_slice(), b.as_slice(), c.as_slice()));
                let rows = indexes::range(
                    sql,
                    &ix.name,
                    &pk,
                    as_ref(&lo),
                    as_ref(&hi),
                    forward,
                    r,
                    want,
                )?;
                let n = rows.len();
                for row in rows {
                    after = Some((row.isk.clone(), row.tpk.clone(), row.tsk.clone()));
                    let (item, size) = index_item(sql, &opts, row)?;
                    if page.push(&item, size) {
                        return Ok(page.finish(true));
                    }
                }
                if n < want {
                    return Ok(page.finish(false));
                }
            }
        }
    }
}

/// The index partition key and sort-key range of a Query on an index with a
/// multi-attribute key: equality on every partition-key attribute, conditions on a left
/// prefix of the sort-key attributes.
fn multi_key_range(
    ix: &IndexSchema,
    parsed: Option<&KeyConditionExpr>,
    legacy_keys: Option<&legacy::KeyConditions>,
) -> Result<(Vec<u8>, SortRange), ApiError> {
    let hash: Vec<&str> = ix.hash.iter().map(|a| a.name.as_str()).collect();
    let range: Vec<&str> = ix.range.iter().map(|a| a.name.as_str()).collect();
    let cond = match (parsed, legacy_keys) {
        (Some(k), _) => k.extract_multi(&hash, &range)?,
        (None, Some(l)) => l.extract_multi(&hash, &range)?,
        (None, None) => return Err(ApiError::internal("query without a key condition")),
    };
    let (hash_values, range_values) = cond.values();
    for v in &hash_values {
        keys::check_key_value_size(true, v)?;
    }
    for v in &range_values {
        keys::check_key_value_size(false, v)?;
    }
    let pk = indexes::encode_values(&ix.hash, &hash_values).ok_or_else(mismatch)?;
    Ok((pk, composite_sort_range(&ix.range, &cond.range)?))
}

/// The encoded index sort-key range for conditions on the leading sort-key attributes
/// (equalities, then at most one range condition). A composite key is each component
/// escaped (0x00 → 0x00 0xFF) and terminated (0x00 0x01), so with P the encoded equal
/// components and E(v) an escaped component, the keys whose next component is v are exactly
/// those starting with `P E(v) 00 01`, i.e. `[P E(v) 00 01, P E(v) 00 02)`; smaller
/// components sort before that range and larger ones after it.
fn composite_sort_range(
    attrs: &[KeyAttr],
    conds: &[RangeCondition],
) -> Result<SortRange, ApiError> {
    use Bound::*;
    let unbounded = SortRange {
        lo: Unbounded,
        hi: Unbounded,
    };
    if attrs.len() == 1 {
        // One sort-key attribute: stored as-is, like a table's sort key.
        return match conds.first() {
            Some(rc) => sort_range(attrs[0].ty, rc),
            None => Ok(unbounded),
        };
    }
    let Some((last, eqs)) = conds.split_last() else {
        return Ok(unbounded);
    };
    let eq_values = eqs
        .iter()
        .map(|c| match c {
            RangeCondition::Eq(v) => Some(v),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| {
            ApiError::internal("a range condition before the last sort-key condition")
        })?;
    let k = eq_values.len();
    let attr = attrs
        .get(k)
        .ok_or_else(|| ApiError::internal("more sort-key conditions than attributes"))?;
    let prefix = indexes::composite_prefix(&attrs[..k], &eq_values).ok_or_else(mismatch)?;
    // `P E(v) 00 01`: where the keys whose component k is v start.
    let component = |v: &AttributeValue| -> Result<Vec<u8>, ApiError> {
        let mut values = eq_values.clone();
        values.push(v);
        indexes::composite_prefix(&attrs[..=k], &values).ok_or_else(mismatch)
    };
    // Just past every key whose component k is v: the terminator's 0x01 becomes 0x02.
    let past = |v: &AttributeValue| -> Result<Vec<u8>, ApiError> {
        let c = component(v)?;
        keycode::prefix_successor(&c)
            .ok_or_else(|| ApiError::internal("composite key without terminator"))
    };
    let (base_lo, base_hi) = if prefix.is_empty() {
        (Unbounded, Unbounded)
    } else {
        let hi = keycode::prefix_successor(&prefix).map_or(Unbounded, Excluded);
        (Included(prefix.clone()), hi)
    };
    Ok(match last {
        RangeCondition::Eq(v) => SortRange {
            lo: Included(component(v)?),
            hi: Excluded(past(v)?),
        },
        RangeCondition::Lt(v) => SortRange {
            lo: base_lo,
            hi: Excluded(component(v)?),
        },
        RangeCondition::Le(v) => SortRange {
            lo: base_lo,
            hi: Excluded(past(v)?),
        },
        RangeCondition::Gt(v) => SortRange {
            lo: Included(past(v)?),
            hi: base_hi,
        },
        RangeCondition::Ge(v) => SortRange {
            lo: Included(component(v)?),
            hi: base_hi,
        },
        RangeCondition::Between(a, b) => SortRange {
            lo: Included(component(a)?),
            hi: Excluded(past(b)?),
        },
        RangeCondition::BeginsWith(s) => {
            if attr.ty == KeyType::N {
                return Err(ApiError::validation(format!(
                    "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: {}",
                    s.type_name()
                )));
            }
            // `P E(s)`: the component without its terminator.
            let mut start = component(s)?;
            start.truncate(start.len().saturating_sub(2));
            let hi = keycode::prefix_successor(&start).map_or(Unbounded, Excluded);
            SortRange {
                lo: Included(start),
                hi,
            }
        }
    })
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
