//! `TableObjectDo`: one Durable Object per table, named `<account id>/<table name>`, holding
//! the table's change log and projections in its SQLite storage and running the engine's
//! [`TableObject`]. It is the table's single writer: once a call's body has been read, the
//! call runs to its reply without an await point, so calls never interleave.
//!
//! Background work (index backfill, TTL sweeps, stream shard rollover) runs in
//! [`TableObject::tick`], from the object's alarm: after a call that may have started or
//! rescheduled such work, the object ticks and sets its alarm to the time the engine asks for.

use std::cell::{Cell, RefCell};

use extenddo_engine::{execute_absent, ApiError, Config, Op, TableObject};
use extenddo_log::Sql;
use worker::wasm_bindgen::JsValue;
use worker::{durable_object, js_sys, DurableObject, Env, Request, Response, ScheduledTime, State};

use crate::host;
use crate::rpc::{self, Reply, TableCall};
use crate::sql::DoSql;

/// After a failed tick (or open), try again this much later rather than spin.
const RETRY_MS: i64 = 1000;

#[durable_object(alarm)]
pub struct TableObjectDo {
    state: State,
    sql: DoSql,
    cfg: Config,
    /// Opened on the first call that needs storage, then kept for the object's lifetime.
    table: RefCell<Option<TableObject>>,
    /// The alarm this instance has set and not yet seen fire (ms since the epoch).
    alarm_at: Cell<Option<i64>>,
}

impl DurableObject for TableObjectDo {
    fn new(state: State, env: Env) -> Self {
        TableObjectDo {
            sql: DoSql::new(state.storage()),
            state,
            cfg: host::config(&env),
            table: RefCell::new(None),
            alarm_at: Cell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let (reply, wake) = match host::body(&mut req).await {
            Ok(bytes) => self.handle(&bytes),
            Err(e) => (Err(e), None),
        };
        self.schedule(wake).await;
        host::reply_response(&reply)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.alarm_at.set(None);
        let wake = self.background();
        self.schedule(wake).await;
        Response::ok("")
    }
}

impl TableObjectDo {
    /// Runs one call; returns its reply and when background work wants to run next.
    fn handle(&self, bytes: &[u8]) -> (Reply, Option<i64>) {
        let call: TableCall = match rpc::decode(bytes) {
            Ok(c) => c,
            Err(e) => return (Err(e), None),
        };
        let op = call.request.op;
        let now_ms = host::now_ms();
        let Ok(mut slot) = self.table.try_borrow_mut() else {
            return (Err(ApiError::internal("table object is busy")), None);
        };
        let opened_now = slot.is_none();
        if opened_now {
            // A name nobody created has no storage; answer without creating any, so that
            // requests for missing tables leave no trace (as natively, without a catalog entry).
            if op != Op::CreateTable {
                match has_storage(&self.sql) {
                    Ok(true) => {}
                    Ok(false) => return (execute_absent(&self.cfg, call.request, now_ms), None),
                    Err(e) => return (Err(e), None),
                }
            }
            match TableObject::open(&self.sql, self.cfg.clone()) {
                Ok(t) => *slot = Some(t),
                Err(e) => return (Err(e), None),
            }
        }
        let Some(table) = slot.as_mut() else {
            return (Err(ApiError::internal("table object not open")), None);
        };
        let reply = table
            .execute(&self.sql, vec![call.request], now_ms)
            .pop()
            .unwrap_or_else(|| Err(ApiError::internal("table object returned no result")));
        // Writes may start or move background work (a new index, TTL, an earlier expiry); a
        // first open resumes it; an alarm we expected but have not seen is overdue.
        let overdue = self.alarm_at.get().is_some_and(|at| at <= now_ms);
        let wake = if opened_now || overdue || op.is_write() {
            tick(table, &self.sql)
        } else {
            None
        };
        (reply, wake)
    }

    /// The alarm's work: one round of the engine's background work.
    fn background(&self) -> Option<i64> {
        let Ok(mut slot) = self.table.try_borrow_mut() else {
            return Some(host::now_ms() + RETRY_MS);
        };
        if slot.is_none() {
            match has_storage(&self.sql) {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => return failed("checking storage", &e),
            }
            match TableObject::open(&self.sql, self.cfg.clone()) {
                Ok(t) => *slot = Some(t),
                Err(e) => return failed("opening the table", &e),
            }
        }
        slot.as_mut().and_then(|table| tick(table, &self.sql))
    }

    /// Makes sure an alarm fires by `wake`.
    async fn schedule(&self, wake: Option<i64>) {
        let Some(at) = wake else { return };
        if self.alarm_at.get().is_some_and(|set| set <= at) {
            return;
        }
        let previous = self.alarm_at.replace(Some(at));
        let date = js_sys::Date::new(&JsValue::from_f64(at as f64));
        if let Err(e) = self
            .state
            .storage()
            .set_alarm(ScheduledTime::new(date))
            .await
        {
            self.alarm_at.set(previous);
            worker::console_error!("extenddo: setting the table alarm failed: {e}");
        }
    }
}

fn tick(table: &mut TableObject, sql: &DoSql) -> Option<i64> {
    match table.tick(sql, host::now_ms()) {
        Ok(next) => next,
        Err(e) => failed("background work", &e),
    }
}

fn failed(what: &str, e: &ApiError) -> Option<i64> {
    worker::console_error!(
        "extenddo: {what} failed: {}",
        e.message.as_deref().unwrap_or("?")
    );
    Some(host::now_ms() + RETRY_MS)
}

/// Whether this object's database holds any table of ours. Names starting with `_` belong to
/// the runtime (`_cf_*` in workerd, `__miniflare_*` under wrangler dev), never to the engine.
fn has_storage(sql: &DoSql) -> Result<bool, ApiError> {
    let rows = sql.query(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 1) <> '_' LIMIT 1",
        &[],
    )?;
    Ok(!rows.is_empty())
}
