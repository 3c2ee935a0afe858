//! The archive projection: which runs of the log are sealed in the object store, from the
//! `SegmentArchived` records (the archived position is itself logged).
//!
//! ```text
//! archived   first (LSN, primary key) → last LSN, object-store key
//! snapshots  lsn (primary key) → time of that record, object-store key
//! trimmed    the one row: the local log holds nothing up to this LSN
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
    )?;
    sql.exec(
        "CREATE TABLE IF NOT EXISTS snapshots (
            lsn INTEGER PRIMARY KEY,
            ts INTEGER NOT NULL,
            key TEXT NOT NULL
        )",
        &[],
    )?;
    sql.exec(
        "CREATE TABLE IF NOT EXISTS trimmed (one INTEGER PRIMARY KEY CHECK (one = 1), upto INTEGER NOT NULL)",
        &[],
    )
}

pub fn drop(sql: &dyn Sql) -> Result<(), SqlError> {
    sql.exec("DROP TABLE IF EXISTS archived", &[])?;
    sql.exec("DROP TABLE IF EXISTS snapshots", &[])?;
    sql.exec("DROP TABLE IF EXISTS trimmed", &[])
}

pub(crate) fn snapshot(sql: &dyn Sql, lsn: u64, ts_ms: i64, key: &str) -> Result<(), SqlError> {
    sql.exec(
        "INSERT OR REPLACE INTO snapshots (lsn, ts, key) VALUES (?1, ?2, ?3)",
        &[
            SqlValue::Integer(lsn as i64),
            SqlValue::Integer(ts_ms),
            SqlValue::Text(key.to_owned()),
        ],
    )
}

pub(crate) fn trimmed(sql: &dyn Sql, upto: u64) -> Result<(), SqlError> {
    sql.exec(
        "INSERT OR REPLACE INTO trimmed (one, upto) VALUES (1, ?1)",
        &[SqlValue::Integer(upto as i64)],
    )
}

/// A stored snapshot: (LSN it holds the state through, time of that record, key).
pub type ArchivedSnapshot = (u64, i64, String);

/// Every stored snapshot, in LSN order.
pub fn snapshots(sql: &dyn Sql) -> Result<Vec<ArchivedSnapshot>, SqlError> {
    let rows = sql.query("SELECT lsn, ts, key FROM snapshots ORDER BY lsn", &[])?;
    rows.iter()
        .map(|r| match (r.first(), r.get(1), r.get(2)) {
            (Some(SqlValue::Integer(l)), Some(SqlValue::Integer(t)), Some(SqlValue::Text(k))) => {
                Ok((*l as u64, *t, k.clone()))
            }
            _ => Err(SqlError::Backend("snapshots: unexpected row".into())),
        })
        .collect()
}

/// The local log holds nothing up to this LSN (0: not trimmed).
pub fn trimmed_upto(sql: &dyn Sql) -> Result<u64, SqlError> {
    let rows = sql.query("SELECT upto FROM trimmed WHERE one = 1", &[])?;
    Ok(match rows.first().and_then(|r| r.first()) {
        Some(SqlValue::Integer(n)) => *n as u64,
        _ => 0,
    })
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
