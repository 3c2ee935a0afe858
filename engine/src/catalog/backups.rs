//! The catalog's backup records: one row per backup, by ARN, with the record as JSON.
//!
//! A backup is `CREATING` from CreateBackup until its table object has stored the snapshot
//! and the manifest, then `AVAILABLE`. A backup still `CREATING` after
//! [`BACKUP_GRACE_MS`] (its table object was cut short) is taken again.

use extenddo_log::sql::RowExt;
use extenddo_log::{Sql, SqlValue};

pub(crate) use crate::api::backup::backup_not_found;
use crate::api::backup::{backup_in_use, BackupRecord, BackupStatus};
use crate::api::catalog::BackupFilter;
use crate::error::Error;

/// How long a backup may stay `CREATING` before the catalog asks its table again.
pub const BACKUP_GRACE_MS: i64 = 60_000;

pub(crate) const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS backups (
    arn TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    table_name TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    status TEXT NOT NULL,
    since_ms INTEGER NOT NULL,
    record TEXT NOT NULL
)";

pub(crate) const INDEX: &str =
    "CREATE INDEX IF NOT EXISTS backups_by_time ON backups (account, created_ms, arn)";

fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.to_owned())
}

fn decode(json: &str) -> Result<BackupRecord, Error> {
    serde_json::from_str(json).map_err(|e| Error::Storage(format!("a stored backup: {e}")))
}

pub(crate) fn get(sql: &dyn Sql, account: &str, arn: &str) -> Result<Option<BackupRecord>, Error> {
    sql.query(
        "SELECT record FROM backups WHERE arn = ?1 AND account = ?2",
        &[text(arn), text(account)],
    )?
    .first()
    .map(|r| decode(r.text(0)?))
    .transpose()
}

/// Records a backup; a status only moves forward (CREATING → AVAILABLE).
pub(crate) fn put(sql: &dyn Sql, now_ms: i64, rec: &BackupRecord) -> Result<(), Error> {
    if let Some(old) = get(sql, &rec.account, &rec.arn)? {
        if old.status == BackupStatus::Available && rec.status == BackupStatus::Creating {
            return Ok(());
        }
    }
    let json = serde_json::to_string(rec).map_err(Error::bug)?;
    sql.exec(
        "INSERT OR REPLACE INTO backups (arn, account, table_name, created_ms, status, since_ms, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[
            text(&rec.arn),
            text(&rec.account),
            text(&rec.table_name),
            SqlValue::Integer(rec.created_ms),
            text(rec.status.as_str()),
            SqlValue::Integer(now_ms),
            SqlValue::Text(json),
        ],
    )?;
    Ok(())
}

/// ListBackups: oldest first; one row more than the page tells whether another follows.
pub(crate) fn list(
    sql: &dyn Sql,
    account: &str,
    l: &BackupFilter,
) -> Result<(Vec<BackupRecord>, Option<String>), Error> {
    if !l.user {
        return Ok((Vec::new(), None));
    }
    let after = match &l.start {
        Some(arn) => sql
            .query(
                "SELECT created_ms FROM backups WHERE arn = ?1 AND account = ?2",
                &[text(arn), text(account)],
            )?
            .first()
            .map(|r| r.int(0))
            .transpose()?
            .map(|ms| (ms, arn.clone())),
        None => None,
    };
    let (after_ms, after_arn) = after.unwrap_or((i64::MIN, String::new()));
    let rows = sql.query(
        "SELECT record FROM backups WHERE account = ?1 AND (?2 IS NULL OR table_name = ?2)
           AND created_ms >= ?3 AND created_ms < ?4 AND (created_ms, arn) > (?5, ?6)
         ORDER BY created_ms, arn LIMIT ?7",
        &[
            text(account),
            l.table_name.as_deref().map_or(SqlValue::Null, text),
            SqlValue::Integer(l.lower_ms.unwrap_or(i64::MIN)),
            SqlValue::Integer(l.upper_ms.unwrap_or(i64::MAX)),
            SqlValue::Integer(after_ms),
            text(&after_arn),
            SqlValue::Integer(l.limit as i64 + 1),
        ],
    )?;
    let mut out = rows
        .iter()
        .map(|r| decode(r.text(0)?))
        .collect::<Result<Vec<_>, Error>>()?;
    let last = if out.len() > l.limit {
        out.truncate(l.limit);
        out.last().map(|b| b.arn.clone())
    } else {
        None
    };
    Ok((out, last))
}

/// DeleteBackup: the record as it was, now `DELETED`; the caller deletes its objects.
pub(crate) fn delete(sql: &dyn Sql, account: &str, arn: &str) -> Result<BackupRecord, Error> {
    let mut rec = get(sql, account, arn)?.ok_or_else(|| backup_not_found(arn))?;
    if rec.status == BackupStatus::Creating {
        return Err(backup_in_use(arn).into());
    }
    sql.exec("DELETE FROM backups WHERE arn = ?1", &[text(arn)])?;
    rec.status = BackupStatus::Deleted;
    Ok(rec)
}

/// Forgets a backup that cannot be taken (its table is gone).
pub(crate) fn forget(sql: &dyn Sql, arn: &str) -> Result<(), Error> {
    sql.exec(
        "DELETE FROM backups WHERE arn = ?1 AND status = 'CREATING'",
        &[text(arn)],
    )?;
    Ok(())
}

/// Backups still `CREATING` past the grace period, and when the next one is due.
pub(crate) fn overdue(sql: &dyn Sql, now_ms: i64) -> Result<Vec<BackupRecord>, Error> {
    sql.query(
        "SELECT record FROM backups WHERE status = 'CREATING' AND since_ms + ?1 <= ?2",
        &[
            SqlValue::Integer(BACKUP_GRACE_MS),
            SqlValue::Integer(now_ms),
        ],
    )?
    .iter()
    .map(|r| decode(r.text(0)?))
    .collect()
}

pub(crate) fn next_due(sql: &dyn Sql) -> Result<Option<i64>, Error> {
    let rows = sql.query(
        "SELECT MIN(since_ms) FROM backups WHERE status = 'CREATING'",
        &[],
    )?;
    Ok(match rows.first().and_then(|r| r.first()) {
        Some(SqlValue::Integer(v)) => Some(v + BACKUP_GRACE_MS),
        _ => None,
    })
}

/// Puts an overdue backup off for another grace period (it was asked for again).
pub(crate) fn touch(sql: &dyn Sql, arn: &str, now_ms: i64) -> Result<(), Error> {
    sql.exec(
        "UPDATE backups SET since_ms = ?2 WHERE arn = ?1 AND status = 'CREATING'",
        &[text(arn), SqlValue::Integer(now_ms)],
    )?;
    Ok(())
}
