//! The log table of one table object, over the [`Sql`] port.

use std::ops::ControlFlow;

use thiserror::Error;

use crate::event::Event;
use crate::frame::{encode_event, encode_frame, FrameError, Record};
use crate::sql::{RowExt, Sql, SqlError, SqlValue};

#[derive(Debug, Error, Clone, PartialEq)]
pub enum LogError {
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error("log record {lsn}: {error}")]
    Frame { lsn: u64, error: FrameError },
    #[error("log record stored under lsn {column} frames lsn {framed}")]
    LsnMismatch { column: u64, framed: u64 },
}

/// What `verify` found: the log is sound when `problems` is empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerifyReport {
    pub records: u64,
    pub first_lsn: Option<u64>,
    pub last_lsn: Option<u64>,
    pub problems: Vec<String>,
}

/// Stateless access to the `log` table; the caller (a single writer) owns LSN assignment.
pub struct LogStore;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS log (
    lsn INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,
    kind TEXT NOT NULL,
    frame BLOB NOT NULL
)";

impl LogStore {
    pub fn init(sql: &dyn Sql) -> Result<(), LogError> {
        sql.exec(SCHEMA, &[])?;
        Ok(())
    }

    /// Whether the database holds a log at all.
    pub fn exists(sql: &dyn Sql) -> Result<bool, SqlError> {
        Ok(!sql
            .query(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'log'",
                &[],
            )?
            .is_empty())
    }

    /// The highest LSN written, 0 for an empty log (LSNs start at 1).
    pub fn last_lsn(sql: &dyn Sql) -> Result<u64, LogError> {
        let rows = sql.query("SELECT COALESCE(MAX(lsn), 0) FROM log", &[])?;
        Ok(rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0) as u64)
    }

    /// The time of the last record, if any.
    pub fn last_ts(sql: &dyn Sql) -> Result<Option<i64>, LogError> {
        let rows = sql.query("SELECT ts FROM log ORDER BY lsn DESC LIMIT 1", &[])?;
        Ok(rows.first().map(|r| r.int(0)).transpose()?)
    }

    /// The highest LSN written at or before `ts_ms` (record times never go back).
    pub fn last_lsn_at(sql: &dyn Sql, ts_ms: i64) -> Result<Option<u64>, LogError> {
        let rows = sql.query(
            "SELECT MAX(lsn) FROM log WHERE ts <= ?1",
            &[SqlValue::Integer(ts_ms)],
        )?;
        Ok(match rows.first().and_then(|r| r.first()) {
            Some(SqlValue::Integer(v)) => Some(*v as u64),
            _ => None,
        })
    }

    /// The lowest LSN still held (a log trimmed behind a snapshot starts later than 1).
    pub fn first_lsn(sql: &dyn Sql) -> Result<Option<u64>, LogError> {
        let rows = sql.query("SELECT MIN(lsn) FROM log", &[])?;
        Ok(match rows.first().and_then(|r| r.first()) {
            Some(SqlValue::Integer(v)) => Some(*v as u64),
            _ => None,
        })
    }

    /// Deletes every record up to `upto` (they are in the object store, behind a snapshot).
    pub fn trim(sql: &dyn Sql, upto: u64) -> Result<(), LogError> {
        sql.exec(
            "DELETE FROM log WHERE lsn <= ?1",
            &[SqlValue::Integer(upto as i64)],
        )?;
        Ok(())
    }

    /// Appends `event` as record `lsn`. Must run inside the caller's write transaction.
    pub fn append(sql: &dyn Sql, lsn: u64, ts_ms: i64, event: &Event) -> Result<(), LogError> {
        let frame = encode_frame(lsn, ts_ms, &encode_event(event));
        sql.exec(
            "INSERT INTO log (lsn, ts, kind, frame) VALUES (?1, ?2, ?3, ?4)",
            &[
                SqlValue::Integer(lsn as i64),
                SqlValue::Integer(ts_ms),
                SqlValue::Text(event.kind().to_owned()),
                SqlValue::Blob(frame),
            ],
        )?;
        Ok(())
    }

    /// Records with `lsn >= from`, at most `limit`, in LSN order.
    pub fn read(sql: &dyn Sql, from: u64, limit: usize) -> Result<Vec<Record>, LogError> {
        let rows = sql.query(
            "SELECT lsn, frame FROM log WHERE lsn >= ?1 ORDER BY lsn LIMIT ?2",
            &[
                SqlValue::Integer(from as i64),
                SqlValue::Integer(limit.min(i64::MAX as usize) as i64),
            ],
        )?;
        rows.iter()
            .map(|row| {
                let column = row.int(0)? as u64;
                let (record, _) = Record::decode(row.blob(1)?)
                    .map_err(|error| LogError::Frame { lsn: column, error })?;
                if record.lsn != column {
                    return Err(LogError::LsnMismatch {
                        column,
                        framed: record.lsn,
                    });
                }
                Ok(record)
            })
            .collect()
    }

    /// Visits every record in LSN order, in pages, until `f` breaks (its value is returned)
    /// or the log ends.
    pub fn for_each<B>(
        sql: &dyn Sql,
        mut f: impl FnMut(Record) -> ControlFlow<B>,
    ) -> Result<ControlFlow<B>, LogError> {
        let mut from = 1;
        loop {
            let page = Self::read(sql, from, 512)?;
            let Some(last) = page.last().map(|r| r.lsn) else {
                return Ok(ControlFlow::Continue(()));
            };
            for record in page {
                if let ControlFlow::Break(b) = f(record) {
                    return Ok(ControlFlow::Break(b));
                }
            }
            from = last + 1;
        }
    }

    /// Checks every frame's checksum and that LSNs are dense from the first one, which is 1.
    pub fn verify(sql: &dyn Sql) -> Result<VerifyReport, LogError> {
        Self::verify_from(sql, 1)
    }

    /// [`verify`](Self::verify) of a log whose first record is `first` (a log trimmed
    /// behind a snapshot).
    pub fn verify_from(sql: &dyn Sql, first: u64) -> Result<VerifyReport, LogError> {
        let mut report = VerifyReport::default();
        let mut from = 0i64;
        loop {
            let rows = sql.query(
                "SELECT lsn, frame FROM log WHERE lsn >= ?1 ORDER BY lsn LIMIT 512",
                &[SqlValue::Integer(from)],
            )?;
            let Some(last) = rows.last() else { break };
            from = last.int(0)? + 1;
            for row in &rows {
                let lsn = row.int(0)? as u64;
                if let Some(prev) = report.last_lsn {
                    if lsn != prev + 1 {
                        report
                            .problems
                            .push(format!("gap: lsn {prev} is followed by {lsn}"));
                    }
                }
                report.first_lsn.get_or_insert(lsn);
                report.last_lsn = Some(lsn);
                report.records += 1;
                match Record::decode(row.blob(1)?) {
                    Ok((r, _)) if r.lsn != lsn => report
                        .problems
                        .push(format!("lsn {lsn}: frame says lsn {}", r.lsn)),
                    Ok(_) => {}
                    Err(e) => report.problems.push(format!("lsn {lsn}: {e}")),
                }
            }
        }
        if report.first_lsn.is_some_and(|f| f != first) {
            report
                .problems
                .push(format!("log starts at lsn {}", report.first_lsn.unwrap()));
        }
        Ok(report)
    }
}
