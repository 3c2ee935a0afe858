//! The archive projection: which runs of the log are sealed in the object store, from the
//! `SegmentArchived` records (the archived position is itself logged).
//!
//! ```text
//! archived  first (LSN, primary key) → last LSN, object-store key
//! ```

use extenddo_log::{Sql, SqlError, SqlValue};

pub fn init(sql: &dyn Sql) -> Result<(), SqlError> {
    sql.exec(
        "CREATE TABLE IF NOT EXISTS archived (
            first INTEGER PRIMARY KEY,
            last INTEGER NOT NULL,
            key TEXT NOT NULL
        )",
        &[],
    )
}

pub fn drop(sql: &dyn Sql) -> Result<(), SqlError> {
    sql.exec("DROP TABLE IF EXISTS archived", &[])
}

pub(crate) fn archived(sql: &dyn Sql, first: u64, last: u64, key: &str) -> Result<(), SqlError> {
    sql.exec(
        "INSERT OR REPLACE INTO archived (first, last, key) VALUES (?1, ?2, ?3)",
        &[
            SqlValue::Integer(first as i64),
            SqlValue::Integer(last as i64),
            SqlValue::Text(key.to_owned()),
        ],
    )
}

/// A sealed run of the log: (first LSN, last LSN, object-store key).
pub type ArchivedSegment = (u64, u64, String);

/// Every archived segment, in LSN order.
pub fn segments(sql: &dyn Sql) -> Result<Vec<ArchivedSegment>, SqlError> {
    let rows = sql.query("SELECT first, last, key FROM archived ORDER BY first", &[])?;
    rows.iter()
        .map(|r| match (r.first(), r.get(1), r.get(2)) {
            (Some(SqlValue::Integer(f)), Some(SqlValue::Integer(l)), Some(SqlValue::Text(k))) => {
                Ok((*f as u64, *l as u64, k.clone()))
            }
            _ => Err(SqlError::Backend("archived: unexpected row".into())),
        })
        .collect()
}

/// The last LSN sealed in the object store (0: none).
pub fn archived_upto(sql: &dyn Sql) -> Result<u64, SqlError> {
    let rows = sql.query("SELECT MAX(last) FROM archived", &[])?;
    Ok(match rows.first().and_then(|r| r.first()) {
        Some(SqlValue::Integer(n)) => *n as u64,
        _ => 0,
    })
}
