//! The item projection: one row per item, keyed by (partition hash, partition key, sort key).
//!
//! Leading with a hash of the partition key makes a scan walk partitions in hash order, as
//! DynamoDB's does, and turns a parallel-scan segment into one contiguous range of `h`.
//! Items are stored in the log's own bincode encoding so a projected row and the log image
//! it came from are the same bytes.

use std::ops::Bound;

use extenddo_log::sql::RowExt;
use extenddo_log::{Item, Sql, SqlError, SqlValue};

pub(crate) fn init(sql: &dyn Sql) -> Result<(), SqlError> {
    sql.exec(
        "CREATE TABLE IF NOT EXISTS items (
            h INTEGER NOT NULL,
            pk BLOB NOT NULL,
            sk BLOB NOT NULL,
            item BLOB NOT NULL,
            size INTEGER NOT NULL,
            PRIMARY KEY (h, pk, sk)
        ) WITHOUT ROWID",
        &[],
    )
}

pub(crate) fn drop(sql: &dyn Sql) -> Result<(), SqlError> {
    sql.exec("DROP TABLE IF EXISTS items", &[])
}

pub(crate) fn clear(sql: &dyn Sql) -> Result<(), SqlError> {
    sql.exec("DELETE FROM items", &[])
}

/// The partition hash of an encoded partition key: stable forever (it orders scans and
/// defines parallel-scan segments), in `0 .. 2^32`.
pub fn partition_hash(pk: &[u8]) -> i64 {
    i64::from(crc32fast::hash(pk))
}

/// The `h` range `[lo, hi)` of parallel-scan segment `segment` of `total`.
pub fn segment_range(segment: u32, total: u32) -> (i64, i64) {
    let span = 1i64 << 32;
    let (s, t) = (i64::from(segment), i64::from(total.max(1)));
    (span * s / t, span * (s + 1) / t)
}

pub fn encode_item(item: &Item) -> Vec<u8> {
    bincode::serde::encode_to_vec(item, bincode::config::standard()).expect("items always encode")
}

pub fn decode_item(bytes: &[u8]) -> Result<Item, SqlError> {
    bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .map(|(item, _)| item)
        .map_err(|e| SqlError::Backend(format!("stored item: {e}")))
}

/// An item encoded for storage, with its DynamoDB size: encoded once per write and shared by
/// the item row and every index that projects all attributes.
pub(crate) struct Encoded {
    pub bytes: Vec<u8>,
    pub size: i64,
}

impl Encoded {
    pub fn of(item: &Item) -> Encoded {
        Encoded {
            bytes: encode_item(item),
            size: extenddo_log::value::item_size(item) as i64,
        }
    }
}

pub(crate) fn put_encoded(
    sql: &dyn Sql,
    pk: &[u8],
    sk: &[u8],
    e: &Encoded,
) -> Result<(), SqlError> {
    sql.exec(
        "INSERT OR REPLACE INTO items (h, pk, sk, item, size) VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            SqlValue::Integer(partition_hash(pk)),
            SqlValue::Blob(pk.to_vec()),
            SqlValue::Blob(sk.to_vec()),
            SqlValue::Blob(e.bytes.clone()),
            SqlValue::Integer(e.size),
        ],
    )
}

pub(crate) fn delete(sql: &dyn Sql, pk: &[u8], sk: &[u8]) -> Result<(), SqlError> {
    sql.exec(
        "DELETE FROM items WHERE h = ?1 AND pk = ?2 AND sk = ?3",
        &[
            SqlValue::Integer(partition_hash(pk)),
            SqlValue::Blob(pk.to_vec()),
            SqlValue::Blob(sk.to_vec()),
        ],
    )
}

pub fn get(sql: &dyn Sql, pk: &[u8], sk: &[u8]) -> Result<Option<Item>, SqlError> {
    let rows = sql.query(
        "SELECT item FROM items WHERE h = ?1 AND pk = ?2 AND sk = ?3",
        &[
            SqlValue::Integer(partition_hash(pk)),
            SqlValue::Blob(pk.to_vec()),
            SqlValue::Blob(sk.to_vec()),
        ],
    )?;
    rows.first().map(|r| decode_item(r.blob(0)?)).transpose()
}

/// A row read back from a range or scan.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub pk: Vec<u8>,
    pub sk: Vec<u8>,
    pub item: Item,
    pub size: i64,
}

fn rows(sql: &dyn Sql, q: &str, params: &[SqlValue]) -> Result<Vec<Row>, SqlError> {
    sql.query(q, params)?
        .iter()
        .map(|r| {
            Ok(Row {
                pk: r.blob(0)?.to_vec(),
                sk: r.blob(1)?.to_vec(),
                item: decode_item(r.blob(2)?)?,
                size: r.int(3)?,
            })
        })
        .collect()
}

/// Items of one partition whose sort key lies within `(lo, hi)`, in sort-key order
/// (descending when `forward` is false), at most `limit`.
pub fn range(
    sql: &dyn Sql,
    pk: &[u8],
    lo: Bound<&[u8]>,
    hi: Bound<&[u8]>,
    forward: bool,
    limit: usize,
) -> Result<Vec<Row>, SqlError> {
    let mut q = String::from("SELECT pk, sk, item, size FROM items WHERE h = ?1 AND pk = ?2");
    let mut params = vec![
        SqlValue::Integer(partition_hash(pk)),
        SqlValue::Blob(pk.to_vec()),
    ];
    for (bound, incl, excl) in [(lo, ">=", ">"), (hi, "<=", "<")] {
        match bound {
            Bound::Included(b) | Bound::Excluded(b) => {
                params.push(SqlValue::Blob(b.to_vec()));
                let op = if matches!(bound, Bound::Included(_)) {
                    incl
                } else {
                    excl
                };
                q.push_str(&format!(" AND sk {op} ?{}", params.len()));
            }
            Bound::Unbounded => {}
        }
    }
    q.push_str(if forward {
        " ORDER BY sk ASC"
    } else {
        " ORDER BY sk DESC"
    });
    params.push(SqlValue::Integer(limit.min(i64::MAX as usize) as i64));
    q.push_str(&format!(" LIMIT ?{}", params.len()));
    rows(sql, &q, &params)
}

/// Items in scan order (partition hash, then key) whose partition hash lies in
/// `[h_lo, h_hi)`, starting strictly after the item keyed `after`, at most `limit`.
pub fn scan(
    sql: &dyn Sql,
    (h_lo, h_hi): (i64, i64),
    after: Option<(&[u8], &[u8])>,
    limit: usize,
) -> Result<Vec<Row>, SqlError> {
    let limit = SqlValue::Integer(limit.min(i64::MAX as usize) as i64);
    let (lo, hi) = (SqlValue::Integer(h_lo), SqlValue::Integer(h_hi));
    match after {
        None => rows(
            sql,
            "SELECT pk, sk, item, size FROM items WHERE h >= ?1 AND h < ?2 ORDER BY h, pk, sk LIMIT ?3",
            &[lo, hi, limit],
        ),
        Some((pk, sk)) => rows(
            sql,
            "SELECT pk, sk, item, size FROM items WHERE (h, pk, sk) > (?1, ?2, ?3) AND h >= ?4 AND h < ?5 ORDER BY h, pk, sk LIMIT ?6",
            &[
                SqlValue::Integer(partition_hash(pk)),
                SqlValue::Blob(pk.to_vec()),
                SqlValue::Blob(sk.to_vec()),
                lo,
                hi,
                limit,
            ],
        ),
    }
}

/// (item count, total item bytes) for DescribeTable.
pub fn stats(sql: &dyn Sql) -> Result<(i64, i64), SqlError> {
    let rows = sql.query("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM items", &[])?;
    let row = rows
        .first()
        .ok_or(SqlError::Backend("no stats row".into()))?;
    Ok((row.int(0)?, row.int(1)?))
}

/// A row as [`dump`] gives it: (pk, sk, item bytes).
pub type DumpedRow = (Vec<u8>, Vec<u8>, Vec<u8>);

/// Every row in key order, for comparing a live projection with a rebuilt one.
pub fn dump(sql: &dyn Sql) -> Result<Vec<DumpedRow>, SqlError> {
    sql.query("SELECT pk, sk, item FROM items ORDER BY h, pk, sk", &[])?
        .iter()
        .map(|r| {
            Ok((
                r.blob(0)?.to_vec(),
                r.blob(1)?.to_vec(),
                r.blob(2)?.to_vec(),
            ))
        })
        .collect()
}

/// Items in scan order whose position `(h, pk, sk)` lies in `(after, upto]`, at most `limit`.
pub fn scan_positions(
    sql: &dyn Sql,
    after: Option<&extenddo_log::event::ScanPosition>,
    upto: Option<&extenddo_log::event::ScanPosition>,
    limit: usize,
) -> Result<Vec<Row>, SqlError> {
    let mut q = String::from("SELECT pk, sk, item, size FROM items WHERE 1");
    let mut params = Vec::new();
    for (pos, op) in [(after, ">"), (upto, "<=")] {
        if let Some((h, pk, sk)) = pos {
            let n = params.len();
            params.extend([
                SqlValue::Integer(*h),
                SqlValue::Blob(pk.clone()),
                SqlValue::Blob(sk.clone()),
            ]);
            q.push_str(&format!(
                " AND (h, pk, sk) {op} (?{}, ?{}, ?{})",
                n + 1,
                n + 2,
                n + 3
            ));
        }
    }
    params.push(SqlValue::Integer(limit.min(i64::MAX as usize) as i64));
    q.push_str(&format!(" ORDER BY h, pk, sk LIMIT ?{}", params.len()));
    rows(sql, &q, &params)
}
