//! The table object: one table's log and projections behind a single writer.
//!
//! Each host owns one `TableObject` per table (an actor natively, a Durable Object on
//! Cloudflare) and hands it batches of requests. A batch runs in one SQL transaction, each
//! mutation appending its own log record and applying it to the projections before the
//! commit, so nothing is acknowledged that is not durable and replayable.

use extenddo_log::sql::in_transaction;
use extenddo_log::{Event, LogStore, Record, Sql};
use extenddo_projections::TableSchema;
use serde_json::Value;

use crate::config::Config;
use crate::error::{ApiError, ErrorKind};
use crate::op::TableRequest;
use crate::ops;

pub struct TableObject {
    pub(crate) cfg: Config,
    pub(crate) schema: Option<TableSchema>,
    next_lsn: u64,
}

impl TableObject {
    /// Opens (creating if needed) the table object stored in `sql`.
    pub fn open(sql: &dyn Sql, cfg: Config) -> Result<TableObject, ApiError> {
        in_transaction(sql, || -> Result<(), ApiError> {
            LogStore::init(sql)?;
            extenddo_projections::init(sql)?;
            Ok(())
        })?;
        let mut t = TableObject {
            cfg,
            schema: None,
            next_lsn: 1,
        };
        t.reload(sql)?;
        Ok(t)
    }

    fn reload(&mut self, sql: &dyn Sql) -> Result<(), ApiError> {
        self.schema = extenddo_projections::schema::load(sql)?;
        self.next_lsn = LogStore::last_lsn(sql)? + 1;
        Ok(())
    }

    pub fn schema(&self) -> Option<&TableSchema> {
        self.schema.as_ref()
    }

    /// Runs a batch of requests in one transaction (group commit). Client errors fail only
    /// their own request; a storage error rolls the whole batch back and fails every request.
    pub fn execute(
        &mut self,
        sql: &dyn Sql,
        batch: Vec<TableRequest>,
        now_ms: i64,
    ) -> Vec<Result<Value, ApiError>> {
        let n = batch.len();
        let mut results = Vec::with_capacity(n);
        let outcome = in_transaction(sql, || -> Result<(), ApiError> {
            for req in batch {
                let r = ops::run(self, sql, req, now_ms);
                if let Err(e) = &r {
                    if e.kind == ErrorKind::InternalServerError {
                        return Err(e.clone());
                    }
                }
                results.push(r);
            }
            Ok(())
        });
        match outcome {
            Ok(()) => results,
            Err(e) => {
                // The in-memory state may be ahead of what was rolled back.
                if let Err(reload) = self.reload(sql) {
                    return vec![Err(reload); n];
                }
                vec![Err(e); n]
            }
        }
    }

    /// Runs due background work (index backfill, TTL sweeps), each step in its own
    /// transaction. Returns when it wants to run again (ms since the epoch), if ever; hosts
    /// call it from a timer (native) or an alarm (Durable Object).
    pub fn tick(&mut self, sql: &dyn Sql, now_ms: i64) -> Result<Option<i64>, ApiError> {
        let mut next: Option<i64> = None;
        let mut want = |at: Option<i64>| {
            if let Some(at) = at {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        };
        let backfilling = self.schema.as_ref().is_some_and(|s| {
            s.indexes
                .iter()
                .any(|i| i.status == extenddo_projections::schema::IndexStatus::Creating)
        });
        if backfilling {
            let more =
                self.background(sql, |t| crate::background::backfill_step(t, sql, now_ms))?;
            want(more.then_some(now_ms));
        }
        // TTL sweep: expired items, each deleted as a logged ItemExpired.
        if crate::ttl::enabled(self) {
            want(self.background(sql, |t| crate::ttl::sweep_step(t, sql, now_ms))?);
        }
        // Stream shard rollover.
        match crate::streams::rollover_due(self) {
            Some(due) if due <= now_ms => {
                self.background(sql, |t| crate::streams::rollover_step(t, sql, now_ms))?;
                want(crate::streams::rollover_due(self));
            }
            due => want(due),
        }
        Ok(next)
    }

    /// Runs one background step in its own transaction; on failure the in-memory state,
    /// which may be ahead of what was rolled back, is reloaded.
    fn background<T>(
        &mut self,
        sql: &dyn Sql,
        step: impl FnOnce(&mut Self) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        match in_transaction(sql, || step(self)) {
            Ok(v) => Ok(v),
            Err(e) => {
                self.reload(sql)?;
                Err(e)
            }
        }
    }

    /// The LSN the next logged record will get.
    pub(crate) fn next_lsn(&self) -> u64 {
        self.next_lsn
    }

    /// Appends `event` to the log and applies it to every projection. Only called inside
    /// `execute`'s transaction.
    pub(crate) fn commit(
        &mut self,
        sql: &dyn Sql,
        now_ms: i64,
        event: Event,
    ) -> Result<(), ApiError> {
        let record = Record {
            lsn: self.next_lsn,
            ts_ms: now_ms,
            event,
        };
        LogStore::append(sql, record.lsn, record.ts_ms, &record.event)?;
        extenddo_projections::apply(sql, &mut self.schema, &record)?;
        self.next_lsn += 1;
        Ok(())
    }
}

/// What a host answers for a table that has no table object (natively: no catalog entry).
/// Validation still runs first so errors come in AWS's order.
pub fn execute_absent(cfg: &Config, req: TableRequest, now_ms: i64) -> Result<Value, ApiError> {
    let mut t = TableObject {
        cfg: cfg.clone(),
        schema: None,
        next_lsn: 1,
    };
    ops::run(&mut t, &NoTable, req, now_ms)
}

/// The storage of a table that does not exist: any access is a bug, reported as such.
struct NoTable;

impl Sql for NoTable {
    fn exec(&self, _: &str, _: &[extenddo_log::SqlValue]) -> Result<(), extenddo_log::SqlError> {
        Err(extenddo_log::SqlError::Backend(
            "table has no storage".into(),
        ))
    }
    fn query(
        &self,
        _: &str,
        _: &[extenddo_log::SqlValue],
    ) -> Result<Vec<extenddo_log::Row>, extenddo_log::SqlError> {
        Err(extenddo_log::SqlError::Backend(
            "table has no storage".into(),
        ))
    }
    fn transaction(
        &self,
        body: &mut dyn FnMut() -> Result<(), extenddo_log::SqlError>,
    ) -> Result<(), extenddo_log::SqlError> {
        body()
    }
}
