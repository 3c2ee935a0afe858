//! Projections: pure folds of log records into SQL state.
//!
//! Every projection can be dropped and rebuilt from the log; [`apply`] is the one fold used
//! both by the live write path and by [`rebuild`], so the two cannot drift apart.

pub mod archive;
pub mod indexes;
pub mod items;
pub mod keycode;
pub mod schema;
pub mod streams;
pub mod ttl;
pub mod tx;
pub mod verify;

use std::ops::ControlFlow;

use extenddo_log::{Event, Item, LogError, LogStore, Record, Sql, SqlError};
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
    indexes::init(sql)?;
    ttl::init(sql)?;
    tx::init(sql)?;
    archive::init(sql)?;
    Ok(())
}

fn parse_schema(lsn: u64, json: &str) -> Result<TableSchema, ProjectionError> {
    serde_json::from_str(json).map_err(|e| ProjectionError::Inconsistent {
        lsn,
        what: e.to_string(),
    })
}

fn store_schema(sql: &dyn Sql, s: &TableSchema) -> Result<(), ProjectionError> {
    let json = serde_json::to_string(s).map_err(|e| ProjectionError::Inconsistent {
        lsn: 0,
        what: e.to_string(),
    })?;
    schema::store(sql, &json)?;
    Ok(())
}

/// Applies an item mutation (`old` → `new`; `new` is `None` for a delete) to the items,
/// every index and the TTL schedule.
fn change_item(
    sql: &dyn Sql,
    s: &TableSchema,
    lsn: u64,
    old: Option<&Item>,
    new: Option<&Item>,
) -> Result<(), ProjectionError> {
    let image = new.or(old).ok_or_else(|| ProjectionError::Inconsistent {
        lsn,
        what: "no image".into(),
    })?;
    let key = keycode::item_key(&s.key, image)
        .map_err(|what| ProjectionError::Inconsistent { lsn, what })?;
    let encoded = new.map(items::Encoded::of);
    match &encoded {
        Some(e) => items::put_encoded(sql, &key.0, &key.1, e)?,
        None => items::delete(sql, &key.0, &key.1)?,
    }
    let new = new.zip(encoded.as_ref());
    for ix in &s.indexes {
        indexes::change(sql, ix, &s.key, &key, old, new)?;
    }
    let new = new.map(|(n, _)| n);
    ttl::on_change(sql, s, &key, old, new)?;
    Ok(())
}

/// Folds one record into every projection. `current` is the table's schema before the
/// record and is updated in place.
pub fn apply(
    sql: &dyn Sql,
    current: &mut Option<TableSchema>,
    record: &Record,
) -> Result<(), ProjectionError> {
    let lsn = record.lsn;
    let no_table = || ProjectionError::Inconsistent {
        lsn,
        what: "no table".into(),
    };
    // Item and index events need a table that exists and is not deleted.
    let live = |s: &TableSchema| !s.is_deleted();
    match &record.event {
        Event::TableCreated { schema_json } => {
            let parsed = parse_schema(lsn, schema_json)?;
            schema::store(sql, schema_json)?;
            ttl::on_schema(sql, None, &parsed)?;
            *current = Some(parsed);
        }
        Event::TableUpdated { schema_json } => {
            let parsed = parse_schema(lsn, schema_json)?;
            if let Some(old) = current.as_ref() {
                for gone in old
                    .indexes
                    .iter()
                    .filter(|i| parsed.index(&i.name).is_none())
                {
                    indexes::drop_index(sql, &gone.name)?;
                }
            }
            schema::store(sql, schema_json)?;
            ttl::on_schema(sql, current.as_ref(), &parsed)?;
            *current = Some(parsed);
        }
        Event::TableDeleted => {
            // The items go; the schema stays, marked deleted, so that the table's streams
            // can still be read (their open shard is closed here) until the table object's
            // storage is retired.
            items::clear(sql)?;
            indexes::clear(sql)?;
            ttl::clear(sql)?;
            tx::clear(sql)?;
            match current.as_mut() {
                Some(s) => {
                    s.deleted_ms = Some(record.ts_ms);
                    if let Some(streams) = s.stream.as_mut() {
                        streams.disable_enabled(lsn, record.ts_ms);
                    }
                    store_schema(sql, s)?;
                }
                None => schema::clear(sql)?,
            }
        }
        Event::ItemPut { old, new } => {
            let s = current.as_ref().filter(|s| live(s)).ok_or_else(no_table)?;
            change_item(sql, s, lsn, old.as_ref(), Some(new))?;
        }
        Event::ItemDeleted { old } | Event::ItemExpired { old } => {
            let s = current.as_ref().filter(|s| live(s)).ok_or_else(no_table)?;
            change_item(sql, s, lsn, Some(old), None)?;
        }
        Event::IndexBackfilled { index, after, upto } => {
            let s = current.as_mut().filter(|s| live(s)).ok_or_else(no_table)?;
            let table_key = s.key.clone();
            let ix = s
                .index_mut(index)
                .ok_or_else(|| ProjectionError::Inconsistent {
                    lsn,
                    what: format!("no index {index}"),
                })?;
            indexes::backfill(sql, ix, &table_key, after.as_ref(), upto.as_ref())?;
            ix.backfilled_upto = upto.clone();
            if upto.is_none() {
                ix.status = schema::IndexStatus::Active;
            }
            store_schema(sql, s)?;
        }
        Event::TxPrepared {
            txid,
            coordinator,
            token,
            locks,
            ..
        } => {
            let s = current.as_ref().filter(|s| live(s)).ok_or_else(no_table)?;
            tx::prepared(
                sql,
                &s.key,
                lsn,
                record.ts_ms,
                txid,
                *coordinator,
                token.as_ref(),
                locks,
            )
            .map_err(|what| ProjectionError::Inconsistent { lsn, what })?;
        }
        Event::TxResolved { txid, commit } => tx::resolved(sql, txid, *commit)?,
        Event::TxIntent {
            txid,
            token,
            participants,
        } => tx::intent(sql, lsn, record.ts_ms, txid, token.as_ref(), participants)?,
        Event::TxDecided { txid, commit } => tx::decided(sql, txid, *commit)?,
        Event::TxCompleted { txid } => tx::completed(sql, txid)?,
        // Read from the log by the transaction's resolve, like its TxPrepared's writes.
        Event::TxStaged { .. } => {}
        Event::SegmentArchived { first, last, key } => archive::archived(sql, *first, *last, key)?,
        Event::SnapshotArchived { lsn, ts_ms, key } => archive::snapshot(sql, *lsn, *ts_ms, key)?,
        Event::LogTrimmed { upto } => archive::trimmed(sql, *upto)?,
    }
    Ok(())
}

/// Drops every projection and folds the whole log into fresh ones.
pub fn rebuild(sql: &dyn Sql) -> Result<Option<TableSchema>, ProjectionError> {
    items::drop(sql)?;
    indexes::drop(sql)?;
    ttl::drop(sql)?;
    tx::drop(sql)?;
    archive::drop(sql)?;
    schema::drop(sql)?;
    init(sql)?;
    replay_into(sql, sql)
}

/// Folds the log read from `log` into the (initialized, empty) projections of `target`.
pub fn replay_into(
    log: &dyn Sql,
    target: &dyn Sql,
) -> Result<Option<TableSchema>, ProjectionError> {
    let mut replay = Replay::default();
    let flow = LogStore::for_each(log, |record| match replay.push(target, &record) {
        Ok(()) => ControlFlow::Continue(()),
        Err(e) => ControlFlow::Break(e),
    })?;
    match flow {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => replay.finish(target),
    }
}

/// Item changes gathered before a replay writes them: one per key, in key order.
const REPLAY_RUN: usize = 100_000;

/// (partition hash, pk, sk) → (image before the run, image after it).
type Run = std::collections::BTreeMap<(i64, Vec<u8>, Vec<u8>), (Option<Item>, Option<Item>)>;

/// A fold of records into projections, as [`apply`] does one by one, that gathers each run
/// of item events and writes every key it touched once, in key order: an item's row, index
/// entries and TTL entry follow from its image before the run and its image after it, so
/// the projections come out the same, with each B-tree page written once per run instead
/// of once per record. Any other event ends the run first.
#[derive(Default)]
pub struct Replay {
    current: Option<TableSchema>,
    run: Run,
    last_lsn: u64,
}

impl Replay {
    pub fn push(&mut self, sql: &dyn Sql, record: &Record) -> Result<(), ProjectionError> {
        let live = self.current.as_ref().filter(|s| !s.is_deleted());
        let (image, old, new) = match (&record.event, live) {
            (Event::ItemPut { old, new }, Some(_)) => (new, old.as_ref(), Some(new)),
            (Event::ItemDeleted { old } | Event::ItemExpired { old }, Some(_)) => {
                (old, Some(old), None)
            }
            _ => {
                self.flush(sql)?;
                return apply(sql, &mut self.current, record);
            }
        };
        let s = self
            .current
            .as_ref()
            .ok_or_else(|| ProjectionError::Inconsistent {
                lsn: record.lsn,
                what: "no table".into(),
            })?;
        let (pk, sk) =
            keycode::item_key(&s.key, image).map_err(|what| ProjectionError::Inconsistent {
                lsn: record.lsn,
                what,
            })?;
        let entry = self
            .run
            .entry((items::partition_hash(&pk), pk, sk))
            .or_insert_with(|| (old.cloned(), None));
        entry.1 = new.cloned();
        self.last_lsn = record.lsn;
        if self.run.len() >= REPLAY_RUN {
            self.flush(sql)?;
        }
        Ok(())
    }

    fn flush(&mut self, sql: &dyn Sql) -> Result<(), ProjectionError> {
        if self.run.is_empty() {
            return Ok(());
        }
        let Some(s) = self.current.as_ref() else {
            return Err(ProjectionError::Inconsistent {
                lsn: self.last_lsn,
                what: "no table".into(),
            });
        };
        for (_, (old, new)) in std::mem::take(&mut self.run) {
            if old.is_none() && new.is_none() {
                continue;
            }
            change_item(sql, s, self.last_lsn, old.as_ref(), new.as_ref())?;
        }
        Ok(())
    }

    /// Writes what is gathered; the schema the log ends with.
    pub fn finish(mut self, sql: &dyn Sql) -> Result<Option<TableSchema>, ProjectionError> {
        self.flush(sql)?;
        Ok(self.current)
    }
}
