//! Projections: pure folds of log records into SQL state.
//!
//! Every projection can be dropped and rebuilt from the log; [`apply`] is the one fold used
//! both by the live write path and by [`rebuild`], so the two cannot drift apart.

pub mod items;
pub mod keycode;
pub mod schema;

use extenddo_log::{Event, LogError, LogStore, Record, Sql, SqlError};
use thiserror::Error;

pub use schema::{KeyAttr, KeySchema, KeyType, TableSchema};

#[derive(Debug, Error, Clone, PartialEq)]
pub enum ProjectionError {
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("record {lsn}: {what}")]
    Inconsistent { lsn: u64, what: String },
}

/// Creates every projection table that does not exist yet.
pub fn init(sql: &dyn Sql) -> Result<(), ProjectionError> {
    schema::init(sql)?;
    items::init(sql)?;
    Ok(())
}

/// Folds one record into every projection. `current` is the table's schema before the
/// record and is updated in place.
pub fn apply(
    sql: &dyn Sql,
    current: &mut Option<TableSchema>,
    record: &Record,
) -> Result<(), ProjectionError> {
    let inconsistent = |what: &str| ProjectionError::Inconsistent {
        lsn: record.lsn,
        what: what.into(),
    };
    match &record.event {
        Event::TableCreated { schema_json } => {
            let parsed: TableSchema =
                serde_json::from_str(schema_json).map_err(|e| inconsistent(&e.to_string()))?;
            schema::store(sql, schema_json)?;
            *current = Some(parsed);
        }
        Event::TableDeleted => {
            items::clear(sql)?;
            schema::clear(sql)?;
            *current = None;
        }
        Event::ItemPut { new, .. } => {
            let s = current
                .as_ref()
                .ok_or_else(|| inconsistent("item put with no table"))?;
            let (pk, sk) = keycode::item_key(&s.key, new).map_err(|e| inconsistent(&e))?;
            items::put(sql, &pk, &sk, new)?;
        }
        Event::ItemDeleted { old } => {
            let s = current
                .as_ref()
                .ok_or_else(|| inconsistent("item delete with no table"))?;
            let (pk, sk) = keycode::item_key(&s.key, old).map_err(|e| inconsistent(&e))?;
            items::delete(sql, &pk, &sk)?;
        }
    }
    Ok(())
}

/// Drops every projection and folds the whole log into fresh ones.
pub fn rebuild(sql: &dyn Sql) -> Result<Option<TableSchema>, ProjectionError> {
    items::drop(sql)?;
    schema::drop(sql)?;
    init(sql)?;
    replay_into(sql, sql)
}

/// Folds the log read from `log` into the (initialized, empty) projections of `target`.
pub fn replay_into(
    log: &dyn Sql,
    target: &dyn Sql,
) -> Result<Option<TableSchema>, ProjectionError> {
    let mut current = None;
    let mut failure = None;
    LogStore::for_each(log, |record| {
        if let Err(e) = apply(target, &mut current, &record) {
            failure = Some(e);
            return Err(LogError::Sql(SqlError::Aborted));
        }
        Ok(())
    })
    .or_else(|e| match failure.take() {
        Some(f) => Err(f),
        None => Err(ProjectionError::from(e)),
    })?;
    Ok(current)
}
