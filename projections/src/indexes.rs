//! The secondary-index projection: one row per (index, indexed item), holding the
//! projected item.
//!
//! Rows are keyed `(ix, h, ipk, isk, tpk, tsk)`: index name, hash of the index partition
//! key, index partition and sort key, then the table key, which makes an index entry unique
//! and orders entries with equal index keys by table key, as DynamoDB does. Items missing an
//! index key attribute (or holding one of another type) are not indexed: indexes are sparse.

use std::ops::Bound;

use extenddo_log::event::ScanPosition;
use extenddo_log::sql::RowExt;
use extenddo_log::{AttributeValue, Item, Sql, SqlError, SqlValue};

use crate::items::{self, decode_item, partition_hash, Encoded};
use crate::keycode;
use crate::schema::{IndexSchema, KeyAttr, KeySchema, ProjectionType};

pub(crate) fn init(sql: &dyn Sql) -> Result<(), SqlError> {
    sql.exec(
        "CREATE TABLE IF NOT EXISTS idx (
            ix TEXT NOT NULL,
            h INTEGER NOT NULL,
            ipk BLOB NOT NULL,
            isk BLOB NOT NULL,
            tpk BLOB NOT NULL,
            tsk BLOB NOT NULL,
            item BLOB NOT NULL,
            size INTEGER NOT NULL,
            PRIMARY KEY (ix, h, ipk, isk, tpk, tsk)
        ) WITHOUT ROWID",
        &[],
    )
}

pub(crate) fn drop(sql: &dyn Sql) -> Result<(), SqlError> {
    sql.exec("DROP TABLE IF EXISTS idx", &[])
}

pub(crate) fn clear(sql: &dyn Sql) -> Result<(), SqlError> {
    sql.exec("DELETE FROM idx", &[])
}

pub(crate) fn drop_index(sql: &dyn Sql, ix: &str) -> Result<(), SqlError> {
    sql.exec(
        "DELETE FROM idx WHERE ix = ?1",
        &[SqlValue::Text(ix.to_owned())],
    )
}

/// Order-preserving encoding of a composite key: each component escaped (0x00 → 0x00 0xFF)
/// and terminated (0x00 0x01), so components compare one after another.
fn composite(parts: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        for &b in p {
            out.push(b);
            if b == 0 {
                out.push(0xFF);
            }
        }
        out.extend_from_slice(&[0x00, 0x01]);
    }
    out
}

/// Encodes the values of `attrs` in `item` as one key, or `None` when one is missing or of
/// another type (the item is then not in the index).
pub fn encode_attrs(attrs: &[KeyAttr], item: &Item) -> Option<Vec<u8>> {
    let parts = attrs
        .iter()
        .map(|a| item.get(&a.name).and_then(|v| keycode::encode(a.ty, v)))
        .collect::<Option<Vec<_>>>()?;
    Some(match parts.len() {
        0 => Vec::new(),
        1 => parts.into_iter().next().unwrap_or_default(),
        _ => composite(&parts),
    })
}

/// Encodes key condition values given in key-attribute order (for queries).
pub fn encode_values(attrs: &[KeyAttr], values: &[&AttributeValue]) -> Option<Vec<u8>> {
    if attrs.len() != values.len() {
        return None;
    }
    let parts = attrs
        .iter()
        .zip(values)
        .map(|(a, v)| keycode::encode(a.ty, v))
        .collect::<Option<Vec<_>>>()?;
    Some(match parts.len() {
        1 => parts.into_iter().next().unwrap_or_default(),
        _ => composite(&parts),
    })
}

/// The prefix that every composite key starting with these leading components shares.
pub fn composite_prefix(attrs: &[KeyAttr], values: &[&AttributeValue]) -> Option<Vec<u8>> {
    let parts = attrs
        .iter()
        .zip(values)
        .map(|(a, v)| keycode::encode(a.ty, v))
        .collect::<Option<Vec<_>>>()?;
    Some(composite(&parts))
}

/// An item as the index stores it: its projection onto the index's attributes.
pub fn project(ix: &IndexSchema, table_key: &KeySchema, item: &Item) -> Item {
    match ix.projection.ty {
        ProjectionType::All => item.clone(),
        ty => item
            .iter()
            .filter(|(name, _)| {
                *name == &table_key.hash.name
                    || table_key.range.as_ref().is_some_and(|r| &r.name == *name)
                    || ix.key_names().any(|k| k == name.as_str())
                    || (ty == ProjectionType::Include
                        && ix.projection.non_key.iter().any(|n| n == *name))
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

/// The longest partition and sort key values, in bytes.
const MAX_PARTITION_VALUE_BYTES: usize = 2048;
const MAX_SORT_VALUE_BYTES: usize = 1024;

/// Whether every value of `attrs` in `item` can be an index key value: not an empty string
/// or binary, not longer than a key value may be. Writes refuse such values; an item written
/// before its index existed may hold them, and the index's backfill then leaves it out, as
/// DynamoDB does.
fn valid_values(attrs: &[KeyAttr], item: &Item, max: usize) -> bool {
    attrs.iter().all(|a| match item.get(&a.name) {
        Some(AttributeValue::S(s)) => !s.is_empty() && s.len() <= max,
        Some(AttributeValue::B(b)) => !b.is_empty() && b.len() <= max,
        _ => true,
    })
}

/// The index entry of an item: (index partition key, index sort key), if indexed.
pub fn entry_key(ix: &IndexSchema, item: &Item) -> Option<(Vec<u8>, Vec<u8>)> {
    if !valid_values(&ix.hash, item, MAX_PARTITION_VALUE_BYTES)
        || !valid_values(&ix.range, item, MAX_SORT_VALUE_BYTES)
    {
        return None;
    }
    stored_entry_key(ix, item)
}

/// The index key an item's entry is stored under, if any build could have indexed it (an
/// earlier backfill indexed values [`entry_key`] now leaves out).
fn stored_entry_key(ix: &IndexSchema, item: &Item) -> Option<(Vec<u8>, Vec<u8>)> {
    Some((
        encode_attrs(&ix.hash, item)?,
        encode_attrs(&ix.range, item)?,
    ))
}

/// The index entry of an item moves from `old` to `new` (either may be absent). An entry
/// whose index key is unchanged is replaced in place; `encoded` is `new` already encoded,
/// reused as is by an index that projects every attribute.
pub(crate) fn change(
    sql: &dyn Sql,
    ix: &IndexSchema,
    table_key: &KeySchema,
    tkey: &(Vec<u8>, Vec<u8>),
    old: Option<&Item>,
    new: Option<(&Item, &Encoded)>,
) -> Result<(), SqlError> {
    // Removed wherever any build may have stored it.
    let old_entry = old.and_then(|o| stored_entry_key(ix, o));
    let new_entry = new.and_then(|(n, _)| entry_key(ix, n));
    if let Some((ipk, isk)) = old_entry
        .as_ref()
        .filter(|o| Some(*o) != new_entry.as_ref())
    {
        sql.exec(
            "DELETE FROM idx WHERE ix = ?1 AND h = ?2 AND ipk = ?3 AND isk = ?4 AND tpk = ?5 AND tsk = ?6",
            &[
                SqlValue::Text(ix.name.clone()),
                SqlValue::Integer(partition_hash(ipk)),
                SqlValue::Blob(ipk.clone()),
                SqlValue::Blob(isk.clone()),
                SqlValue::Blob(tkey.0.clone()),
                SqlValue::Blob(tkey.1.clone()),
            ],
        )?;
    }
    let (Some((ipk, isk)), Some((item, encoded))) = (new_entry, new) else {
        return Ok(());
    };
    let projected;
    let stored = if ix.projection.ty == ProjectionType::All {
        encoded
    } else {
        projected = Encoded::of(&project(ix, table_key, item));
        &projected
    };
    sql.exec(
        "INSERT OR REPLACE INTO idx (ix, h, ipk, isk, tpk, tsk, item, size) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[
            SqlValue::Text(ix.name.clone()),
            SqlValue::Integer(partition_hash(&ipk)),
            SqlValue::Blob(ipk),
            SqlValue::Blob(isk),
            SqlValue::Blob(tkey.0.clone()),
            SqlValue::Blob(tkey.1.clone()),
            SqlValue::Blob(stored.bytes.clone()),
            SqlValue::Integer(stored.size),
        ],
    )
}

/// Indexes the table's items whose scan position lies in `(after, upto]`.
pub(crate) fn backfill(
    sql: &dyn Sql,
    ix: &IndexSchema,
    table_key: &KeySchema,
    after: Option<&ScanPosition>,
    upto: Option<&ScanPosition>,
) -> Result<(), SqlError> {
    let mut cursor = after.cloned();
    loop {
        let page = items::scan_positions(sql, cursor.as_ref(), upto, 256)?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        cursor = Some((partition_hash(&last.pk), last.pk.clone(), last.sk.clone()));
        for row in &page {
            let tkey = (row.pk.clone(), row.sk.clone());
            let encoded = Encoded::of(&row.item);
            change(sql, ix, table_key, &tkey, None, Some((&row.item, &encoded)))?;
        }
    }
}

/// An entry's full key: (ipk, isk, tpk, tsk).
pub type EntryKey<'a> = (&'a [u8], &'a [u8], &'a [u8], &'a [u8]);

/// An index entry read back.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRow {
    pub ipk: Vec<u8>,
    pub isk: Vec<u8>,
    pub tpk: Vec<u8>,
    pub tsk: Vec<u8>,
    pub item: Item,
    pub size: i64,
}

fn rows(sql: &dyn Sql, q: &str, params: &[SqlValue]) -> Result<Vec<IndexRow>, SqlError> {
    sql.query(q, params)?
        .iter()
        .map(|r| {
            Ok(IndexRow {
                ipk: r.blob(0)?.to_vec(),
                isk: r.blob(1)?.to_vec(),
                tpk: r.blob(2)?.to_vec(),
                tsk: r.blob(3)?.to_vec(),
                item: decode_item(r.blob(4)?)?,
                size: r.int(5)?,
            })
        })
        .collect()
}

/// Entries of one index partition with index sort key in `(lo, hi)`, in (isk, table key)
/// order (reversed when `forward` is false), strictly after/before `resume`, at most `limit`.
#[allow(clippy::too_many_arguments)]
pub fn range(
    sql: &dyn Sql,
    ix: &str,
    ipk: &[u8],
    lo: Bound<&[u8]>,
    hi: Bound<&[u8]>,
    forward: bool,
    resume: Option<(&[u8], &[u8], &[u8])>,
    limit: usize,
) -> Result<Vec<IndexRow>, SqlError> {
    let mut q = String::from(
        "SELECT ipk, isk, tpk, tsk, item, size FROM idx WHERE ix = ?1 AND h = ?2 AND ipk = ?3",
    );
    let mut params = vec![
        SqlValue::Text(ix.to_owned()),
        SqlValue::Integer(partition_hash(ipk)),
        SqlValue::Blob(ipk.to_vec()),
    ];
    for (bound, incl, excl) in [(lo, ">=", ">"), (hi, "<=", "<")] {
        if let Bound::Included(b) | Bound::Excluded(b) = bound {
            params.push(SqlValue::Blob(b.to_vec()));
            let op = if matches!(bound, Bound::Included(_)) {
                incl
            } else {
                excl
            };
            q.push_str(&format!(" AND isk {op} ?{}", params.len()));
        }
    }
    if let Some((isk, tpk, tsk)) = resume {
        let n = params.len();
        params.extend([
            SqlValue::Blob(isk.to_vec()),
            SqlValue::Blob(tpk.to_vec()),
            SqlValue::Blob(tsk.to_vec()),
        ]);
        let op = if forward { ">" } else { "<" };
        q.push_str(&format!(
            " AND (isk, tpk, tsk) {op} (?{}, ?{}, ?{})",
            n + 1,
            n + 2,
            n + 3
        ));
    }
    q.push_str(if forward {
        " ORDER BY isk, tpk, tsk"
    } else {
        " ORDER BY isk DESC, tpk DESC, tsk DESC"
    });
    params.push(SqlValue::Integer(limit.min(i64::MAX as usize) as i64));
    q.push_str(&format!(" LIMIT ?{}", params.len()));
    rows(sql, &q, &params)
}

/// Entries of an index in scan order whose partition hash is in `[h_lo, h_hi)`, strictly
/// after `after` = (ipk, isk, tpk, tsk), at most `limit`.
pub fn scan(
    sql: &dyn Sql,
    ix: &str,
    (h_lo, h_hi): (i64, i64),
    after: Option<EntryKey<'_>>,
    limit: usize,
) -> Result<Vec<IndexRow>, SqlError> {
    let limit = SqlValue::Integer(limit.min(i64::MAX as usize) as i64);
    let ixv = SqlValue::Text(ix.to_owned());
    match after {
        None => rows(
            sql,
            "SELECT ipk, isk, tpk, tsk, item, size FROM idx WHERE ix = ?1 AND h >= ?2 AND h < ?3 ORDER BY h, ipk, isk, tpk, tsk LIMIT ?4",
            &[ixv, SqlValue::Integer(h_lo), SqlValue::Integer(h_hi), limit],
        ),
        Some((ipk, isk, tpk, tsk)) => rows(
            sql,
            "SELECT ipk, isk, tpk, tsk, item, size FROM idx WHERE ix = ?1 AND (h, ipk, isk, tpk, tsk) > (?2, ?3, ?4, ?5, ?6) AND h >= ?7 AND h < ?8 ORDER BY h, ipk, isk, tpk, tsk LIMIT ?9",
            &[
                ixv,
                SqlValue::Integer(partition_hash(ipk)),
                SqlValue::Blob(ipk.to_vec()),
                SqlValue::Blob(isk.to_vec()),
                SqlValue::Blob(tpk.to_vec()),
                SqlValue::Blob(tsk.to_vec()),
                SqlValue::Integer(h_lo),
                SqlValue::Integer(h_hi),
                limit,
            ],
        ),
    }
}

/// (entry count, bytes) of one index, for DescribeTable.
pub fn stats(sql: &dyn Sql, ix: &str) -> Result<(i64, i64), SqlError> {
    let rows = sql.query(
        "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM idx WHERE ix = ?1",
        &[SqlValue::Text(ix.to_owned())],
    )?;
    let row = rows
        .first()
        .ok_or(SqlError::Backend("no stats row".into()))?;
    Ok((row.int(0)?, row.int(1)?))
}

/// Bytes of the item collection of a table partition key: its items plus their local
/// index entries (for ItemCollectionMetrics and the 10 GB limit).
pub fn collection_bytes(sql: &dyn Sql, tpk: &[u8], local: &[&str]) -> Result<i64, SqlError> {
    let rows = sql.query(
        "SELECT COALESCE(SUM(size), 0) FROM items WHERE h = ?1 AND pk = ?2",
        &[
            SqlValue::Integer(partition_hash(tpk)),
            SqlValue::Blob(tpk.to_vec()),
        ],
    )?;
    let mut total = rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0);
    for ix in local {
        let rows = sql.query(
            "SELECT COALESCE(SUM(size), 0) FROM idx WHERE ix = ?1 AND h = ?2 AND ipk = ?3",
            &[
                SqlValue::Text((*ix).to_owned()),
                SqlValue::Integer(partition_hash(tpk)),
                SqlValue::Blob(tpk.to_vec()),
            ],
        )?;
        total += rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0);
    }
    Ok(total)
}

/// An index entry as [`dump`] gives it: (index, ipk, isk, tpk, tsk, item bytes).
pub type DumpedEntry = (String, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);

/// Every entry in key order, for comparing a live index with a rebuilt one.
pub fn dump(sql: &dyn Sql) -> Result<Vec<DumpedEntry>, SqlError> {
    sql.query(
        "SELECT ix, ipk, isk, tpk, tsk, item FROM idx ORDER BY ix, h, ipk, isk, tpk, tsk",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok((
            r.text(0)?.to_owned(),
            r.blob(1)?.to_vec(),
            r.blob(2)?.to_vec(),
            r.blob(3)?.to_vec(),
            r.blob(4)?.to_vec(),
            r.blob(5)?.to_vec(),
        ))
    })
    .collect()
}
