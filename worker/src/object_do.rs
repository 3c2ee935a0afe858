//! The glue every Durable Object class shares: one engine object over the Durable Object's
//! SQLite storage, driven through the engine's `Object` contract. A call's body is decoded,
//! handled, the object's effects carried out, its alarm set to the time it asks for, and the
//! outcomes answered. Once a call's body is read, `handle` runs to its end without an await
//! point, so calls never interleave inside the engine; effects (calls to other objects) are
//! awaited with the object released, and their outcomes fed back.

use std::cell::{Cell, RefCell};

use extenddo_engine::api::codec;
use extenddo_engine::table::TableObject;
use extenddo_engine::{Address, Config, Effect, Error, Object, Outcome};
use worker::wasm_bindgen::JsValue;
use worker::{js_sys, Env, Request, Response, ScheduledTime, State};

use crate::host;
use crate::sql::DoSql;

/// After a failed open, try again this much later rather than spin.
const RETRY_MS: i64 = 1000;
/// A bound on effects carried out for one event (an engine bug otherwise).
const MAX_EFFECTS: usize = 10_000;

/// Which object class a Durable Object runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Catalog,
    Table,
    Coordinator,
    Identity,
}

pub struct ObjectCell {
    kind: Kind,
    state: State,
    env: Env,
    sql: DoSql,
    cfg: Config,
    /// Opened on the first event that needs it, then kept for the instance's lifetime.
    obj: RefCell<Option<(Address, Box<dyn Object>)>>,
    /// The alarm this instance has set and not yet seen fire (ms since the epoch).
    alarm_at: Cell<Option<i64>>,
}

impl ObjectCell {
    pub fn new(kind: Kind, state: State, env: Env) -> ObjectCell {
        ObjectCell {
            kind,
            sql: DoSql::new(state.storage()),
            cfg: host::config(&env),
            state,
            env,
            obj: RefCell::new(None),
            alarm_at: Cell::new(None),
        }
    }

    /// Opens the object at `address` (calls name it; alarms find it in storage).
    fn ensure_open(&self, address: Option<&Address>) -> Result<bool, Error> {
        let mut slot = self
            .obj
            .try_borrow_mut()
            .map_err(|_| Error::bug("object busy"))?;
        if let Some((open, _)) = slot.as_ref() {
            return match address {
                // A coordinator does not depend on its shard number (only its name does),
                // so one opened by its alarm serves the calls that name its shard.
                Some(Address::Coordinator(_)) if matches!(open, Address::Coordinator(_)) => {
                    Ok(true)
                }
                Some(a) if a != open => Err(Error::bug(format!(
                    "{} called as {}",
                    open.object_name(),
                    a.object_name()
                ))),
                _ => Ok(true),
            };
        }
        let address = match (address, self.kind) {
            (Some(a), _) => a.clone(),
            (None, Kind::Catalog) => Address::Catalog,
            (None, Kind::Table) => match TableObject::stored_id(&self.sql)? {
                Some(id) => Address::Table(id),
                // Nothing stored: nothing to wake.
                None => return Ok(false),
            },
            // Woken by its alarm: the shard number only names the object.
            (None, Kind::Coordinator) => Address::Coordinator(0),
            (None, Kind::Identity) => Address::Identity,
        };
        let obj = extenddo_engine::open_object(&address, &self.sql, self.cfg.clone())?;
        *slot = Some((address, obj));
        Ok(true)
    }

    fn with<T>(&self, f: impl FnOnce(&mut dyn Object) -> T) -> Result<T, Error> {
        let mut slot = self
            .obj
            .try_borrow_mut()
            .map_err(|_| Error::bug("object busy"))?;
        match slot.as_mut() {
            Some((_, obj)) => Ok(f(obj.as_mut())),
            None => Err(Error::bug("object not open")),
        }
    }

    pub async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let outcomes = match req.bytes().await {
            Ok(bytes) => self.handle(&bytes).await,
            Err(e) => vec![Err(Error::host(format!("reading a call: {e}")))],
        };
        Response::from_bytes(codec::encode_outcomes(&outcomes))
    }

    async fn handle(&self, bytes: &[u8]) -> Vec<Outcome> {
        let (address, commands) = match codec::decode_call(bytes) {
            Ok(c) => c,
            Err(e) => return vec![Err(e)],
        };
        let n = commands.len();
        if let Err(e) = self.ensure_open(Some(&address)) {
            return vec![Err(e); n];
        }
        let outcomes = match self.with(|o| o.handle(&self.sql, host::now_ms(), commands)) {
            Ok(o) => o,
            Err(e) => vec![Err(e); n],
        };
        self.effects().await;
        outcomes
    }

    pub async fn alarm(&self) -> worker::Result<Response> {
        self.alarm_at.set(None);
        match self.ensure_open(None) {
            Ok(true) => {
                let _ = self.with(|o| o.handle_timeout(&self.sql, host::now_ms()));
                self.effects().await;
            }
            Ok(false) => {}
            Err(e) => {
                worker::console_error!("extenddo: opening the object for its alarm failed: {e}");
                self.schedule(Some(host::now_ms() + RETRY_MS)).await;
            }
        }
        Response::ok("")
    }

    /// Carries out the object's effects, then sets its alarm.
    async fn effects(&self) {
        for _ in 0..MAX_EFFECTS {
            let next = self.with(|o| {
                for d in o.take_diagnostics() {
                    worker::console_error!("extenddo: {d}");
                }
                o.poll_effect()
            });
            let Ok(Some((id, effect))) = next else {
                break;
            };
            match effect {
                Effect::Call(call) => {
                    let outcome = host::call(&self.env, call).await;
                    let _ = self.with(|o| o.handle_result(&self.sql, host::now_ms(), id, outcome));
                }
                Effect::Store(request) => {
                    let outcome = host::store(&self.env, request).await;
                    let _ = self.with(|o| o.handle_result(&self.sql, host::now_ms(), id, outcome));
                }
                Effect::Retire => {
                    self.retire().await;
                    return;
                }
            }
        }
        let wake = self.with(|o| o.poll_timeout()).ok().flatten();
        self.schedule(wake).await;
    }

    /// The object's storage goes; a later call opens it afresh (and finds nothing).
    async fn retire(&self) {
        if let Ok(mut slot) = self.obj.try_borrow_mut() {
            *slot = None;
        }
        let storage = self.state.storage();
        if let Err(e) = storage.delete_alarm().await {
            worker::console_error!("extenddo: deleting the alarm of a retired object: {e}");
        }
        self.alarm_at.set(None);
        if let Err(e) = storage.delete_all().await {
            worker::console_error!("extenddo: deleting a retired object's storage: {e}");
        }
    }

    /// Makes sure an alarm fires by `wake`.
    async fn schedule(&self, wake: Option<i64>) {
        let Some(at) = wake else { return };
        let at = at.max(host::now_ms());
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
            worker::console_error!("extenddo: setting the alarm failed: {e}");
        }
    }
}
