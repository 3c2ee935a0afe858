//! Transactions as projections of the log.
//!
//! A table's log says which transactions it has prepared and not yet resolved; from it come
//! the item locks (`tx_locks`: an item in a prepared transaction may not be written by
//! anything else), the prepared transactions themselves (`tx_pending`: what recovery asks a
//! coordinator about) and the ClientRequestTokens the table has seen (`tx_tokens`). A
//! coordinator's log gives the transactions it has begun and not completed (`tx_coord`) and
//! its tokens.
//!
//! ```sql
//! tx_locks   (pk, sk) → txid
//! tx_pending txid → coordinator, lsn of its TxPrepared, ts
//! tx_tokens  token → request fingerprint, txid, ts
//! tx_coord   txid → state (intent | commit | abort), participants (JSON), lsn, ts
//! ```

use extenddo_log::event::TxToken;
use extenddo_log::sql::RowExt;
use extenddo_log::{Item, Sql, SqlError, SqlValue};

use crate::keycode;
use crate::schema::KeySchema;

pub fn init(sql: &dyn Sql) -> Result<(), SqlError> {
    sql.exec(
        "CREATE TABLE IF NOT EXISTS tx_locks (
            pk BLOB NOT NULL,
            sk BLOB NOT NULL,
            txid TEXT NOT NULL,
            PRIMARY KEY (pk, sk)
        ) WITHOUT ROWID",
        &[],
    )?;
    sql.exec(
        "CREATE INDEX IF NOT EXISTS tx_locks_by_txid ON tx_locks (txid)",
        &[],
    )?;
    sql.exec(
        "CREATE TABLE IF NOT EXISTS tx_pending (
            txid TEXT PRIMARY KEY,
            coordinator INTEGER,
            lsn INTEGER NOT NULL,
            ts INTEGER NOT NULL
        )",
        &[],
    )?;
    sql.exec(
        "CREATE TABLE IF NOT EXISTS tx_tokens (
            token TEXT PRIMARY KEY,
            request TEXT NOT NULL,
            txid TEXT NOT NULL,
            ts INTEGER NOT NULL
        )",
        &[],
    )?;
    sql.exec(
        "CREATE TABLE IF NOT EXISTS tx_coord (
            txid TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            participants TEXT NOT NULL,
            lsn INTEGER NOT NULL,
            ts INTEGER NOT NULL
        )",
        &[],
    )
}

pub(crate) fn drop(sql: &dyn Sql) -> Result<(), SqlError> {
    for t in ["tx_locks", "tx_pending", "tx_tokens", "tx_coord"] {
        sql.exec(&format!("DROP TABLE IF EXISTS {t}"), &[])?;
    }
    Ok(())
}

pub(crate) fn clear(sql: &dyn Sql) -> Result<(), SqlError> {
    for t in ["tx_locks", "tx_pending", "tx_tokens", "tx_coord"] {
        sql.exec(&format!("DELETE FROM {t}"), &[])?;
    }
    Ok(())
}

fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.to_owned())
}

fn remember_token(sql: &dyn Sql, t: &TxToken, txid: &str, ts: i64) -> Result<(), SqlError> {
    sql.exec(
        "INSERT OR REPLACE INTO tx_tokens (token, request, txid, ts) VALUES (?1, ?2, ?3, ?4)",
        &[
            text(&t.token),
            text(&t.request),
            text(txid),
            SqlValue::Integer(ts),
        ],
    )
}

/// A transaction prepared on a table: its items are locked.
#[allow(clippy::too_many_arguments)] // one column per argument of the logged record
pub(crate) fn prepared(
    sql: &dyn Sql,
    key: &KeySchema,
    lsn: u64,
    ts: i64,
    txid: &str,
    coordinator: Option<u32>,
    token: Option<&TxToken>,
    locks: &[Item],
) -> Result<(), String> {
    for k in locks {
        let (pk, sk) = keycode::item_key(key, k)?;
        sql.exec(
            "INSERT INTO tx_locks (pk, sk, txid) VALUES (?1, ?2, ?3)",
            &[SqlValue::Blob(pk), SqlValue::Blob(sk), text(txid)],
        )
        .map_err(|e| format!("locking an item for {txid}: {e}"))?;
    }
    sql.exec(
        "INSERT INTO tx_pending (txid, coordinator, lsn, ts) VALUES (?1, ?2, ?3, ?4)",
        &[
            text(txid),
            coordinator.map_or(SqlValue::Null, |c| SqlValue::Integer(i64::from(c))),
            SqlValue::Integer(lsn as i64),
            SqlValue::Integer(ts),
        ],
    )
    .map_err(|e| format!("{txid} prepared twice: {e}"))?;
    if let Some(t) = token {
        remember_token(sql, t, txid, ts).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A transaction resolved: its locks go; an aborted one does not hold its token.
pub(crate) fn resolved(sql: &dyn Sql, txid: &str, commit: bool) -> Result<(), SqlError> {
    sql.exec("DELETE FROM tx_locks WHERE txid = ?1", &[text(txid)])?;
    sql.exec("DELETE FROM tx_pending WHERE txid = ?1", &[text(txid)])?;
    if !commit {
        sql.exec("DELETE FROM tx_tokens WHERE txid = ?1", &[text(txid)])?;
    }
    Ok(())
}

pub(crate) fn intent(
    sql: &dyn Sql,
    lsn: u64,
    ts: i64,
    txid: &str,
    token: Option<&TxToken>,
    participants: &[String],
) -> Result<(), SqlError> {
    let json = serde_json::to_string(participants).unwrap_or_else(|_| "[]".into());
    sql.exec(
        "INSERT OR REPLACE INTO tx_coord (txid, state, participants, lsn, ts) VALUES (?1, 'intent', ?2, ?3, ?4)",
        &[text(txid), SqlValue::Text(json), SqlValue::Integer(lsn as i64), SqlValue::Integer(ts)],
    )?;
    if let Some(t) = token {
        remember_token(sql, t, txid, ts)?;
    }
    Ok(())
}

pub(crate) fn decided(sql: &dyn Sql, txid: &str, commit: bool) -> Result<(), SqlError> {
    sql.exec(
        "UPDATE tx_coord SET state = ?2 WHERE txid = ?1",
        &[text(txid), text(if commit { "commit" } else { "abort" })],
    )?;
    if !commit {
        sql.exec("DELETE FROM tx_tokens WHERE txid = ?1", &[text(txid)])?;
    }
    Ok(())
}

pub(crate) fn completed(sql: &dyn Sql, txid: &str) -> Result<(), SqlError> {
    sql.exec("DELETE FROM tx_coord WHERE txid = ?1", &[text(txid)])
}

/// The transaction holding the item keyed (`pk`, `sk`), if one does.
pub fn lock_holder(sql: &dyn Sql, pk: &[u8], sk: &[u8]) -> Result<Option<String>, SqlError> {
    let rows = sql.query(
        "SELECT txid FROM tx_locks WHERE pk = ?1 AND sk = ?2",
        &[SqlValue::Blob(pk.to_vec()), SqlValue::Blob(sk.to_vec())],
    )?;
    rows.first()
        .map(|r| r.text(0).map(str::to_owned))
        .transpose()
}

/// How many items are locked (0 lets plain writes skip the lock check).
pub fn lock_count(sql: &dyn Sql) -> Result<i64, SqlError> {
    let rows = sql.query("SELECT COUNT(*) FROM tx_locks", &[])?;
    Ok(rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0))
}

/// A prepared, unresolved transaction: (txid, coordinator shard, LSN of its TxPrepared, ts).
pub type Pending = (String, Option<u32>, u64, i64);

/// Every prepared, unresolved transaction, oldest first.
pub fn pending(sql: &dyn Sql) -> Result<Vec<Pending>, SqlError> {
    sql.query(
        "SELECT txid, coordinator, lsn, ts FROM tx_pending ORDER BY lsn",
        &[],
    )?
    .iter()
    .map(|r| {
        let coord = match r.get(1) {
            Some(SqlValue::Integer(c)) => Some(*c as u32),
            _ => None,
        };
        Ok((r.text(0)?.to_owned(), coord, r.int(2)? as u64, r.int(3)?))
    })
    .collect()
}

/// A remembered ClientRequestToken: (request fingerprint, txid, ts).
pub fn token(sql: &dyn Sql, token: &str) -> Result<Option<(String, String, i64)>, SqlError> {
    let rows = sql.query(
        "SELECT request, txid, ts FROM tx_tokens WHERE token = ?1",
        &[text(token)],
    )?;
    rows.first()
        .map(|r| Ok((r.text(0)?.to_owned(), r.text(1)?.to_owned(), r.int(2)?)))
        .transpose()
}

/// A coordinator's transaction: (state, participant table ids, ts).
pub fn coordinated(
    sql: &dyn Sql,
    txid: &str,
) -> Result<Option<(String, Vec<String>, i64)>, SqlError> {
    let rows = sql.query(
        "SELECT state, participants, ts FROM tx_coord WHERE txid = ?1",
        &[text(txid)],
    )?;
    rows.first()
        .map(|r| {
            let parts: Vec<String> = serde_json::from_str(r.text(1)?).unwrap_or_default();
            Ok((r.text(0)?.to_owned(), parts, r.int(2)?))
        })
        .transpose()
}

/// A transaction its coordinator has not completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    pub txid: String,
    /// `intent`, `commit` or `abort`.
    pub state: String,
    pub participants: Vec<String>,
    /// When the intent was logged.
    pub ts: i64,
}

/// A locked item: encoded partition key, encoded sort key, holding transaction.
pub type LockRow = (Vec<u8>, Vec<u8>, String);

/// Every transaction a coordinator has not completed, oldest first.
pub fn unfinished(sql: &dyn Sql) -> Result<Vec<Unfinished>, SqlError> {
    sql.query(
        "SELECT txid, state, participants, ts FROM tx_coord ORDER BY lsn",
        &[],
    )?
    .iter()
    .map(|r| {
        let parts: Vec<String> = serde_json::from_str(r.text(2)?).unwrap_or_default();
        Ok(Unfinished {
            txid: r.text(0)?.to_owned(),
            state: r.text(1)?.to_owned(),
            participants: parts,
            ts: r.int(3)?,
        })
    })
    .collect()
}

/// Every lock in key order (for comparing a live table with its replay).
pub fn dump_locks(sql: &dyn Sql) -> Result<Vec<LockRow>, SqlError> {
    sql.query("SELECT pk, sk, txid FROM tx_locks ORDER BY pk, sk", &[])?
        .iter()
        .map(|r| {
            Ok((
                r.blob(0)?.to_vec(),
                r.blob(1)?.to_vec(),
                r.text(2)?.to_owned(),
            ))
        })
        .collect()
}
