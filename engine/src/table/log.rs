//! The table's writer: the schema as its log has made it so far, and the next LSN. Every
//! change of a table goes through [`Log::commit`], which appends one record and folds it
//! into every projection inside the caller's transaction.
//!
//! Operations get this and a [`Ctx`], never the whole table object.

use extenddo_log::{Event, LogStore, Record, Sql};
use extenddo_projections::TableSchema;

use crate::config::Config;
use crate::error::{ApiError, Error, ErrorKind};
use crate::table::keys::EncodedKey;

/// What an operation may use besides the writer: the storage, the configuration, the time.
pub(crate) struct Ctx<'a> {
    pub sql: &'a dyn Sql,
    pub cfg: &'a Config,
    pub now_ms: i64,
}

#[derive(Debug)]
pub(crate) struct Log {
    schema: Option<TableSchema>,
    next_lsn: u64,
    /// The time of the last record: record times never go back, so that the state "at a
    /// time" is a prefix of the log.
    last_ts: i64,
    /// How many items prepared transactions hold (0: plain writes skip the lock lookup).
    locks: i64,
}

impl Log {
    /// The writer's state as the storage holds it.
    pub fn load(sql: &dyn Sql) -> Result<Log, Error> {
        Ok(Log {
            schema: extenddo_projections::schema::load(sql)?,
            next_lsn: LogStore::last_lsn(sql)? + 1,
            last_ts: LogStore::last_ts(sql)?.unwrap_or(i64::MIN),
            locks: if LogStore::exists(sql)? {
                extenddo_projections::tx::lock_count(sql)?
            } else {
                0
            },
        })
    }

    /// The schema, also of a deleted table (its streams are still readable).
    pub fn schema(&self) -> Option<&TableSchema> {
        self.schema.as_ref()
    }

    /// The schema of a table that exists; [`Error::Gone`] for a deleted or absent one.
    pub fn live(&self) -> Result<&TableSchema, Error> {
        self.schema
            .as_ref()
            .filter(|s| !s.is_deleted())
            .ok_or(Error::Gone)
    }

    /// Whether any item is locked by a prepared transaction.
    pub fn has_locks(&self) -> bool {
        self.locks > 0
    }

    /// Fails a plain write to an item that a prepared transaction holds.
    pub fn check_unlocked(&self, sql: &dyn Sql, key: &EncodedKey) -> Result<(), Error> {
        if self.has_locks() && extenddo_projections::tx::lock_holder(sql, &key.0, &key.1)?.is_some()
        {
            return Err(ApiError::new(
                ErrorKind::TransactionConflict,
                "Transaction is ongoing for the item",
            )
            .into());
        }
        Ok(())
    }

    /// The time of the last record (`i64::MIN`: none).
    pub fn last_ts(&self) -> i64 {
        self.last_ts
    }

    /// The LSN the next record will get.
    pub fn next_lsn(&self) -> u64 {
        self.next_lsn
    }

    /// Appends `event` to the log and applies it to every projection. Must run inside a
    /// transaction of the table's single writer.
    pub fn commit(&mut self, sql: &dyn Sql, now_ms: i64, event: Event) -> Result<(), Error> {
        debug_assert!(
            sql.in_transaction(),
            "a log record must be appended inside its transaction"
        );
        debug_assert_eq!(
            LogStore::last_lsn(sql).ok(),
            Some(self.next_lsn - 1),
            "LSNs are dense: the writer's next LSN follows the log's last"
        );
        let record = Record {
            lsn: self.next_lsn,
            ts_ms: now_ms.max(self.last_ts),
            event,
        };
        LogStore::append(sql, record.lsn, record.ts_ms, &record.event)?;
        extenddo_projections::apply(sql, &mut self.schema, &record)?;
        self.next_lsn += 1;
        self.last_ts = record.ts_ms;
        if matches!(
            record.event,
            Event::TxPrepared { .. } | Event::TxResolved { .. } | Event::TableDeleted
        ) {
            self.locks = extenddo_projections::tx::lock_count(sql)?;
        }
        Ok(())
    }
}
