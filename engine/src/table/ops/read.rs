//! Query and Scan, on a table or on one of its secondary indexes.

use std::ops::Bound;

use extenddo_log::{AttributeValue, Item, Sql};
use extenddo_projections::schema::{IndexKind, IndexSchema, ProjectionType};
use extenddo_projections::{indexes, items, keycode, KeyAttr, KeyType, TableSchema};

use crate::api::capacity::ReadSource;
use crate::api::command::{KeyConditionSpec, Query, Read, Scan, Select};
use crate::api::reply::{PageOutput, TableReply};
use crate::error::{ApiError, Error};
use crate::expr::{DocPath, RangeCondition};
use crate::table::capacity;
use crate::table::keys;
use crate::table::log::Ctx;

/// DynamoDB stops a page once it has read this many bytes.
pub const PAGE_BYTES: i64 = 1024 * 1024;

fn invalid_start(detail: &str) -> ApiError {
    ApiError::validation(format!("The provided starting key is invalid: {detail}"))
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

/// A read bound to its source: what it does with each item read.
struct Reader<'a> {
    read: &'a Read,
    source: Source<'a>,
    /// A local index that does not hold every attribute asked for reads them from the table.
    fetch_from_table: bool,
}

impl<'a> Reader<'a> {
    /// Binds the read to its index, if any, and checks what the index can answer.
    fn bind(s: &'a TableSchema, read: &'a Read) -> Result<Reader<'a>, Error> {
        let mut r = Reader {
            read,
            source: Source::Table,
            fetch_from_table: false,
        };
        let Some(name) = &read.index else {
            return Ok(r);
        };
        let ix = s.index(name).ok_or_else(|| {
            ApiError::validation(format!(
                "The table does not have the specified index: {name}"
            ))
        })?;
        r.source = Source::Index(ix);
        if ix.kind == IndexKind::Global && read.consistent {
            return Err(ApiError::validation(
                "Consistent reads are not supported on global secondary indexes",
            )
            .into());
        }
        if ix.projection.ty == ProjectionType::All {
            return Ok(r);
        }
        let projected = |name: &str| {
            name == s.key.hash.name
                || s.key.range.as_ref().is_some_and(|r| r.name == name)
                || ix.key_names().any(|k| k == name)
                || ix.projection.non_key.iter().any(|n| n == name)
        };
        let mut wanted: Vec<&DocPath> = Vec::new();
        if let Some(p) = &read.projection {
            wanted.extend(p.paths());
        }
        if let Some(f) = &read.filter {
            wanted.extend(f.paths());
        }
        let outside = wanted
            .iter()
            .any(|p| p.top_level().is_some_and(|n| !projected(n)));
        if read.select == Select::All || outside {
            if ix.kind == IndexKind::Global {
                return Err(ApiError::invalid_param(format!(
                    "Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                    ix.name
                ))
                .into());
            }
            r.fetch_from_table = true;
        }
        Ok(r)
    }

    fn read_source(&self) -> ReadSource<'a> {
        match self.source {
            Source::Table => ReadSource::Table,
            Source::Index(ix) if ix.kind == IndexKind::Global => ReadSource::Global(&ix.name),
            Source::Index(ix) => ReadSource::Local(&ix.name),
        }
    }

    /// A FilterExpression may not look inside a key attribute (`keys` are the key attributes
    /// of what is read); a Query's may not use them at all (they belong in the key
    /// condition).
    fn check_filter_keys(&self, keys: &[&str], query: bool) -> Result<(), ApiError> {
        let Some(filter) = self.read.filter.as_ref() else {
            return Ok(());
        };
        if self.read.filter_expression {
            for path in filter.paths() {
                let Some(name) = path.top_level().filter(|n| keys.contains(n)) else {
                    continue;
                };
                if path.elements().len() > 1 {
                    return Err(ApiError::validation(format!(
                        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: {name}"
                    )));
                }
            }
        }
        if query {
            // Reported in key-schema order: the partition key first.
            let named = |k: &&&str| filter.paths().iter().any(|p| p.top_level() == Some(**k));
            if let Some(name) = keys.iter().find(named) {
                let what = if self.read.filter_expression {
                    "Filter Expression"
                } else {
                    "QueryFilter"
                };
                return Err(ApiError::validation(format!(
                    "{what} can only contain non-primary key attributes: Primary key attribute: {name}"
                )));
            }
        }
        Ok(())
    }

    /// An index entry as the read sees it: the indexed item, or the table's item for a
    /// local index that must read beyond its projection.
    fn index_item(&self, sql: &dyn Sql, row: indexes::IndexRow) -> Result<(Item, i64), Error> {
        if self.fetch_from_table {
            if let Some(item) = items::get(sql, &row.tpk, &row.tsk)? {
                let size = extenddo_log::value::item_size(&item) as i64;
                return Ok((item, size));
            }
        }
        Ok((row.item, row.size))
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
fn start_key(k: Option<&Item>, s: &TableSchema, source: Source) -> Result<Option<Resume>, Error> {
    let Some(k) = k else {
        return Ok(None);
    };
    match source {
        Source::Table => match keys::key_member(&s.key, k) {
            Ok(key) => Ok(Some(Resume::Table(key))),
            Err(Error::Client(e)) => {
                Err(invalid_start(e.message.as_deref().unwrap_or_default()).into())
            }
            Err(e) => Err(e),
        },
        Source::Index(ix) => {
            let mismatch = || invalid_start("The provided key element does not match the schema");
            let expected = last_key(s, source, k);
            if expected.len() != k.len() {
                return Err(mismatch().into());
            }
            let (tpk, tsk) =
                extenddo_projections::keycode::item_key(&s.key, k).map_err(|_| mismatch())?;
            let (ipk, isk) = indexes::entry_key(ix, k).ok_or_else(mismatch)?;
            Ok(Some(Resume::Index(ipk, isk, tpk, tsk)))
        }
    }
}

/// Accumulates rows into a page under the count and byte limits.
struct Page<'a> {
    reader: &'a Reader<'a>,
    schema: &'a TableSchema,
    items: Vec<Item>,
    count: usize,
    scanned: usize,
    bytes: i64,
    last: Option<Item>,
}

impl<'a> Page<'a> {
    fn new(reader: &'a Reader<'a>, schema: &'a TableSchema) -> Page<'a> {
        Page {
            reader,
            schema,
            items: Vec::new(),
            count: 0,
            scanned: 0,
            bytes: 0,
            last: None,
        }
    }

    /// Adds an item read from the source; returns whether the page is full. Limit counts
    /// items read, before the filter, as DynamoDB's does. Only the item that fills the page
    /// becomes the LastEvaluatedKey, so only its key is kept.
    fn push(&mut self, item: Item, size: i64) -> bool {
        let read = self.reader.read;
        self.scanned += 1;
        self.bytes += size;
        let full = self.full();
        if full {
            self.last = Some(last_key(self.schema, self.reader.source, &item));
        }
        if read.filter.as_ref().is_none_or(|f| f.eval(&item)) {
            self.count += 1;
            match (&read.projection, read.select) {
                (_, Select::Count) => {}
                (Some(p), _) => self.items.push(p.apply(&item)),
                (None, _) => self.items.push(item),
            }
        }
        full
    }

    fn full(&self) -> bool {
        self.reader.read.limit.is_some_and(|l| self.scanned >= l) || self.bytes >= PAGE_BYTES
    }

    /// Rows still wanted, capped for one SQL read.
    fn want(&self) -> usize {
        self.reader
            .read
            .limit
            .map_or(1000, |l| l.saturating_sub(self.scanned))
            .clamp(1, 1000)
    }

    fn finish(self, stopped: bool) -> TableReply {
        let read = self.reader.read;
        let units = capacity::read_units(self.bytes.max(0) as usize, read.consistent);
        TableReply::Page(Box::new(PageOutput {
            items: (read.select != Select::Count).then_some(self.items),
            count: self.count,
            scanned: self.scanned,
            last_evaluated_key: if stopped { self.last } else { None },
            consumed: read
                .capacity
                .read(&self.schema.name, units, self.reader.read_source()),
        }))
    }
}

pub(crate) fn scan(cx: &Ctx, s: &TableSchema, c: &Scan) -> Result<TableReply, Error> {
    let reader = Reader::bind(s, &c.read)?;
    let table_keys: Vec<&str> = std::iter::once(s.key.hash.name.as_str())
        .chain(s.key.range.as_ref().map(|r| r.name.as_str()))
        .collect();
    reader.check_filter_keys(&table_keys, false)?;
    let mut resume = start_key(c.read.start_key.as_ref(), s, reader.source)?;
    let h_range = match c.segment {
        Some(seg) => items::segment_range(seg.segment, seg.total),
        None => (0, 1 << 32),
    };
    // A start key must lie in the segment being scanned.
    let start_hash = match &resume {
        Some(Resume::Table((pk, _))) | Some(Resume::Index(pk, _, _, _)) => {
            Some(items::partition_hash(pk))
        }
        None => None,
    };
    if let (Some(h), Some(seg)) = (start_hash, c.segment) {
        if h < h_range.0 || h >= h_range.1 {
            return Err(invalid_start(&format!(
                "Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: {} Segment: {}",
                seg.total, seg.segment
            ))
            .into());
        }
    }
    let sql = cx.sql;
    let mut page = Page::new(&reader, s);
    loop {
        let want = page.want();
        let (n, stopped) = match reader.source {
            Source::Table => {
                let after = match &resume {
                    Some(Resume::Table((a, b))) => Some((a.as_slice(), b.as_slice())),
                    _ => None,
                };
                let rows = items::scan(sql, h_range, after, want)?;
                let n = rows.len();
                let mut stopped = false;
                for row in rows {
                    resume = Some(Resume::Table((row.pk, row.sk)));
                    if page.push(row.item, row.size) {
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
                    let (item, size) = reader.index_item(sql, row)?;
                    if page.push(item, size) {
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

pub(crate) fn query(cx: &Ctx, s: &TableSchema, c: &Query) -> Result<TableReply, Error> {
    let reader = Reader::bind(s, &c.read)?;
    let index = match reader.source {
        Source::Index(ix) => Some(ix),
        Source::Table => None,
    };
    let source_keys: Vec<&str> = match index {
        Some(ix) => ix.key_names().collect(),
        None => std::iter::once(s.key.hash.name.as_str())
            .chain(s.key.range.as_ref().map(|r| r.name.as_str()))
            .collect(),
    };
    reader.check_filter_keys(&source_keys, true)?;
    // The key the condition is on: the table's, or the index's.
    let (hash, range): (&[KeyAttr], Option<&KeyAttr>) = match index {
        Some(ix) => (&ix.hash, ix.range.first()),
        None => (std::slice::from_ref(&s.key.hash), s.key.range.as_ref()),
    };
    let (pk, sort) = match index.filter(|ix| ix.hash.len() != 1 || ix.range.len() > 1) {
        Some(ix) => multi_key_range(ix, &c.key_condition)?,
        None => {
            let hash = hash
                .first()
                .ok_or_else(|| Error::bug("key schema without a partition key"))?;
            let range_name = range.map(|r| r.name.as_str());
            let cond = match &c.key_condition {
                KeyConditionSpec::Expression(k) => k.extract(&hash.name, range_name)?,
                KeyConditionSpec::Legacy(l) => l.extract(&hash.name, range_name)?,
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
    let resume = start_key(c.read.start_key.as_ref(), s, reader.source)?;
    // A starting key must lie inside what the key condition selects.
    let start = match &resume {
        Some(Resume::Table((spk, ssk))) => Some((spk, ssk)),
        Some(Resume::Index(ipk, isk, _, _)) => Some((ipk, isk)),
        None => None,
    };
    if let Some((spk, ssk)) = start {
        if *spk != pk {
            return Err(ApiError::validation(
                "The provided starting key is outside query boundaries based on provided conditions",
            )
            .into());
        }
        let within = std::ops::RangeBounds::<[u8]>::contains(
            &(as_ref(&sort.lo), as_ref(&sort.hi)),
            ssk.as_slice(),
        );
        if !within {
            return Err(ApiError::validation(
                "The provided starting key does not match the range key predicate",
            )
            .into());
        }
    }
    let sql = cx.sql;
    let forward = c.forward;
    let mut page = Page::new(&reader, s);
    let (mut lo, mut hi) = (sort.lo, sort.hi);
    match reader.source {
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
                    let sk = row.sk;
                    if forward {
                        lo = Bound::Excluded(sk)
                    } else {
                        hi = Bound::Excluded(sk)
                    }
                    if page.push(row.item, row.size) {
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
                    let (item, size) = reader.index_item(sql, row)?;
                    if page.push(item, size) {
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

/// The index partition key and sort-key range of a Query on an index with a
/// multi-attribute key: equality on every partition-key attribute, conditions on a left
/// prefix of the sort-key attributes.
fn multi_key_range(ix: &IndexSchema, kc: &KeyConditionSpec) -> Result<(Vec<u8>, SortRange), Error> {
    let hash: Vec<&str> = ix.hash.iter().map(|a| a.name.as_str()).collect();
    let range: Vec<&str> = ix.range.iter().map(|a| a.name.as_str()).collect();
    let cond = match kc {
        KeyConditionSpec::Expression(k) => k.extract_multi(&hash, &range)?,
        KeyConditionSpec::Legacy(l) => l.extract_multi(&hash, &range)?,
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
fn composite_sort_range(attrs: &[KeyAttr], conds: &[RangeCondition]) -> Result<SortRange, Error> {
    use Bound::*;
    let unbounded = SortRange {
        lo: Unbounded,
        hi: Unbounded,
    };
    if attrs.len() == 1 {
        // One sort-key attribute: stored as-is, like a table's sort key.
        return match conds.first() {
            Some(rc) => Ok(sort_range(attrs[0].ty, rc)?),
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
        .ok_or_else(|| Error::bug("a range condition before the last sort-key condition"))?;
    let k = eq_values.len();
    let attr = attrs
        .get(k)
        .ok_or_else(|| Error::bug("more sort-key conditions than attributes"))?;
    let prefix = indexes::composite_prefix(&attrs[..k], &eq_values).ok_or_else(mismatch)?;
    // `P E(v) 00 01`: where the keys whose component k is v start.
    let component = |v: &AttributeValue| -> Result<Vec<u8>, Error> {
        let mut values = eq_values.clone();
        values.push(v);
        Ok(indexes::composite_prefix(&attrs[..=k], &values).ok_or_else(mismatch)?)
    };
    // Just past every key whose component k is v: the terminator's 0x01 becomes 0x02.
    let past = |v: &AttributeValue| -> Result<Vec<u8>, Error> {
        let c = component(v)?;
        keycode::prefix_successor(&c).ok_or_else(|| Error::bug("composite key without terminator"))
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
                return Err(begins_with_number(s).into());
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

fn begins_with_number(operand: &AttributeValue) -> ApiError {
    ApiError::validation(format!(
        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: {}",
        operand.type_name()
    ))
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
                return Err(begins_with_number(prefix));
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
