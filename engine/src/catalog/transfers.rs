//! The catalog's export and import records: one row per job, by ARN, with the record as
//! JSON. A job is IN_PROGRESS until its table object reports its end; one still IN_PROGRESS
//! after [`JOB_GRACE_MS`] (or found so when the catalog opens: its host restarted) is asked
//! for again — an export is written again, an import's table says how far it is.

use extenddo_log::sql::RowExt;
use extenddo_log::{Sql, SqlValue};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::api::transfer::{ExportRecord, ImportRecord, JobStatus};
use crate::error::Error;

/// How long a job may stay IN_PROGRESS before the catalog asks its table again.
pub const JOB_GRACE_MS: i64 = 60_000;

pub(crate) const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS transfers (
    arn TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    account TEXT NOT NULL,
    table_arn TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    status TEXT NOT NULL,
    since_ms INTEGER NOT NULL,
    token TEXT,
    record TEXT NOT NULL
)";

pub(crate) const INDEX: &str =
    "CREATE INDEX IF NOT EXISTS transfers_by_time ON transfers (account, kind, start_ms, arn)";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Export,
    Import,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Export => "export",
            Kind::Import => "import",
        }
    }
}

/// What the catalog stores of a job.
pub(crate) trait Job: Serialize + DeserializeOwned {
    const KIND: Kind;
    fn account(&self) -> &str;
    fn arn(&self) -> &str;
    fn table_arn(&self) -> &str;
    fn start_ms(&self) -> i64;
    fn status(&self) -> JobStatus;
    fn token(&self) -> Option<&str>;
}

impl Job for ExportRecord {
    const KIND: Kind = Kind::Export;
    fn account(&self) -> &str {
        &self.account
    }
    fn arn(&self) -> &str {
        &self.arn
    }
    fn table_arn(&self) -> &str {
        &self.table_arn
    }
    fn start_ms(&self) -> i64 {
        self.start_ms
    }
    fn status(&self) -> JobStatus {
        self.status
    }
    fn token(&self) -> Option<&str> {
        self.client_token.as_deref()
    }
}

impl Job for ImportRecord {
    const KIND: Kind = Kind::Import;
    fn account(&self) -> &str {
        &self.account
    }
    fn arn(&self) -> &str {
        &self.arn
    }
    fn table_arn(&self) -> &str {
        &self.table_arn
    }
    fn start_ms(&self) -> i64 {
        self.start_ms
    }
    fn status(&self) -> JobStatus {
        self.status
    }
    fn token(&self) -> Option<&str> {
        self.client_token.as_deref()
    }
}

fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.to_owned())
}

fn decode<J: Job>(json: &str) -> Result<J, Error> {
    serde_json::from_str(json).map_err(|e| Error::Storage(format!("a stored job: {e}")))
}

pub(crate) fn get<J: Job>(sql: &dyn Sql, account: &str, arn: &str) -> Result<Option<J>, Error> {
    sql.query(
        "SELECT record FROM transfers WHERE arn = ?1 AND account = ?2 AND kind = ?3",
        &[text(arn), text(account), text(J::KIND.as_str())],
    )?
    .first()
    .map(|r| decode(r.text(0)?))
    .transpose()
}

pub(crate) fn by_token<J: Job>(
    sql: &dyn Sql,
    account: &str,
    token: &str,
) -> Result<Option<J>, Error> {
    sql.query(
        "SELECT record FROM transfers WHERE account = ?1 AND kind = ?2 AND token = ?3 ORDER BY start_ms DESC LIMIT 1",
        &[text(account), text(J::KIND.as_str()), text(token)],
    )?
    .first()
    .map(|r| decode(r.text(0)?))
    .transpose()
}

/// Records a job; a finished job is never put back IN_PROGRESS, nor changed to another end.
pub(crate) fn put<J: Job>(sql: &dyn Sql, now_ms: i64, rec: &J) -> Result<(), Error> {
    if let Some(old) = get::<J>(sql, rec.account(), rec.arn())? {
        // A finished job stays as it finished (a late report of another run is dropped).
        if old.status().rank() > rec.status().rank()
            || (old.status().rank() == 1 && old.status() != rec.status())
        {
            return Ok(());
        }
    }
    let json = serde_json::to_string(rec).map_err(Error::bug)?;
    sql.exec(
        "INSERT OR REPLACE INTO transfers (arn, kind, account, table_arn, start_ms, status, since_ms, token, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        &[
            text(rec.arn()),
            text(J::KIND.as_str()),
            text(rec.account()),
            text(rec.table_arn()),
            SqlValue::Integer(rec.start_ms()),
            text(rec.status().as_str()),
            SqlValue::Integer(now_ms),
            rec.token().map_or(SqlValue::Null, text),
            SqlValue::Text(json),
        ],
    )?;
    Ok(())
}

/// A page of jobs, newest first; `next` is the ARN the page after this one starts after.
pub(crate) fn list<J: Job>(
    sql: &dyn Sql,
    account: &str,
    table_arn: Option<&str>,
    limit: usize,
    next: Option<&str>,
) -> Result<(Vec<J>, Option<String>), Error> {
    let after = match next {
        Some(arn) => sql
            .query(
                "SELECT start_ms FROM transfers WHERE arn = ?1 AND account = ?2",
                &[text(arn), text(account)],
            )?
            .first()
            .map(|r| r.int(0))
            .transpose()?
            .map(|ms| (ms, arn.to_owned())),
        None => None,
    };
    let (before_ms, before_arn) = after.unwrap_or((i64::MAX, String::from("\u{10ffff}")));
    let rows = sql.query(
        "SELECT record FROM transfers WHERE account = ?1 AND kind = ?2 AND (?3 IS NULL OR table_arn = ?3)
           AND (start_ms, arn) < (?4, ?5)
         ORDER BY start_ms DESC, arn DESC LIMIT ?6",
        &[
            text(account),
            text(J::KIND.as_str()),
            table_arn.map_or(SqlValue::Null, text),
            SqlValue::Integer(before_ms),
            text(&before_arn),
            SqlValue::Integer(limit as i64 + 1),
        ],
    )?;
    let mut out = rows
        .iter()
        .map(|r| decode(r.text(0)?))
        .collect::<Result<Vec<J>, Error>>()?;
    let next = if out.len() > limit {
        out.truncate(limit);
        out.last().map(|j| j.arn().to_owned())
    } else {
        None
    };
    Ok((out, next))
}

/// Jobs IN_PROGRESS past the grace period (putting them off for another), by kind.
pub(crate) fn overdue(
    sql: &dyn Sql,
    now_ms: i64,
) -> Result<(Vec<ExportRecord>, Vec<ImportRecord>), Error> {
    let rows = sql.query(
        "SELECT kind, record FROM transfers WHERE status = 'IN_PROGRESS' AND since_ms + ?1 <= ?2",
        &[SqlValue::Integer(JOB_GRACE_MS), SqlValue::Integer(now_ms)],
    )?;
    let (mut exports, mut imports) = (Vec::new(), Vec::new());
    for r in &rows {
        match r.text(0)? {
            "export" => exports.push(decode::<ExportRecord>(r.text(1)?)?),
            _ => imports.push(decode::<ImportRecord>(r.text(1)?)?),
        }
    }
    sql.exec(
        "UPDATE transfers SET since_ms = ?2 WHERE status = 'IN_PROGRESS' AND since_ms + ?1 <= ?2",
        &[SqlValue::Integer(JOB_GRACE_MS), SqlValue::Integer(now_ms)],
    )?;
    Ok((exports, imports))
}

pub(crate) fn next_due(sql: &dyn Sql) -> Result<Option<i64>, Error> {
    let rows = sql.query(
        "SELECT MIN(since_ms) FROM transfers WHERE status = 'IN_PROGRESS'",
        &[],
    )?;
    Ok(match rows.first().and_then(|r| r.first()) {
        Some(SqlValue::Integer(v)) => Some(v + JOB_GRACE_MS),
        _ => None,
    })
}

/// The catalog opened (its host started): every job still IN_PROGRESS is due now.
pub(crate) fn due_now(sql: &dyn Sql) -> Result<(), Error> {
    sql.exec(
        "UPDATE transfers SET since_ms = ?1 WHERE status = 'IN_PROGRESS'",
        &[SqlValue::Integer(-JOB_GRACE_MS)],
    )?;
    Ok(())
}

/// A job whose table is gone ends FAILED (its table object cannot report it).
pub(crate) fn fail_gone(sql: &dyn Sql, arn: &str, now_ms: i64) -> Result<(), Error> {
    let rows = sql.query(
        "SELECT kind, record FROM transfers WHERE arn = ?1 AND status = 'IN_PROGRESS'",
        &[text(arn)],
    )?;
    let Some(r) = rows.first() else {
        return Ok(());
    };
    let failure = Some((
        "TableNotFound".to_owned(),
        "The table was deleted before the job ended".to_owned(),
    ));
    if r.text(0)? == "export" {
        let mut e: ExportRecord = decode(r.text(1)?)?;
        e.status = JobStatus::Failed;
        e.end_ms = Some(now_ms);
        e.failure = failure;
        put(sql, now_ms, &e)
    } else {
        let mut i: ImportRecord = decode(r.text(1)?)?;
        i.status = JobStatus::Failed;
        i.end_ms = Some(now_ms);
        i.failure = failure;
        put(sql, now_ms, &i)
    }
}
