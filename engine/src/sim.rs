//! A host in memory, for tests, fuzzing and deterministic simulation: every object over its
//! own SQL database, driven through the same [`Object`] contract and [`Flow`] as the native
//! and Worker hosts drive them, on a clock the caller moves.
//!
//! Calls are delivered synchronously, effects are carried out in order, and a "restart"
//! drops every object (keeping its storage), as a process crash would.

use std::collections::{HashMap, VecDeque};

use extenddo_log::Sql;
use serde_json::Value;

use crate::api::catalog::{CatalogCommand, CatalogReply};
use crate::api::codec;
use crate::api::ids::TableId;
use crate::api::object::{Address, Call, Command, Effect, EffectId, Object, Outcome, Reply};
use crate::api::store;
use crate::config::Config;
use crate::error::Error;
use crate::flow::{Action, Flow, FrontEnd, HttpRequest};
use crate::wire::response::HttpResponse;

/// Opens a fresh, empty SQL database (one per object).
pub type OpenSql = fn() -> Box<dyn Sql>;

/// An `Authorization` header of the shape the engine accepts.
pub const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";
const MAX_FLOW_STEPS: usize = 10_000;
const MAX_EFFECT_ROUNDS: usize = 100_000;

/// A request in flight, stepped one call at a time by [`Host::advance`], so that a
/// simulation can interleave requests, lose replies, deliver calls twice and crash between
/// any two calls.
pub struct InFlight {
    flow: Flow,
    next: Option<Action>,
    /// The calls of a fan-out not delivered yet (position, call), and the outcomes so far.
    fanout: Vec<(usize, Call)>,
    outcomes: Vec<Option<Outcome>>,
}

/// How [`Host::advance`] delivers a request's next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Once,
    /// Delivered twice, if it is a step of the two-phase protocol (which recovery may send
    /// again while the request is still running); the request sees the second outcome.
    /// Other calls are delivered once: no host sends them twice.
    Twice,
    /// Delivered, but the request sees a host error instead of the outcome.
    ReplyLost,
}

pub struct Host {
    front: FrontEnd,
    open: OpenSql,
    storage: HashMap<Address, Box<dyn Sql>>,
    objects: HashMap<Address, Box<dyn Object>>,
    now: i64,
    entropy: u64,
    /// What objects reported from background work.
    pub diagnostics: Vec<String>,
    /// Calls sent after a response (`Action::RespondThen`), delivered at the next step or
    /// tick, and lost in a crash.
    detached: Vec<Call>,
    /// The object store (it survives restarts, as a directory or a bucket would).
    pub store: store::MemoryStore,
}

/// An `X-Amz-Target`: DynamoDB's unless the target names its service.
fn full_target(target: &str) -> String {
    if target.contains('.') {
        target.to_owned()
    } else {
        format!("DynamoDB_20120810.{target}")
    }
}

/// A signed-looking JSON POST, as SDKs send it.
fn json_request<'a>(target: &'a str, body: &'a [u8]) -> HttpRequest<'a> {
    HttpRequest {
        method: "POST",
        path: "/",
        target: Some(target),
        authorization: Some(AUTHORIZATION),
        host: Some("localhost"),
        body,
        ..HttpRequest::default()
    }
}

fn respond(resp: &HttpResponse) -> (u16, Value) {
    let v = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    (resp.status, v)
}

impl Host {
    pub fn new(cfg: Config, open: OpenSql, now_ms: i64) -> Host {
        Host {
            front: FrontEnd::new(cfg),
            open,
            storage: HashMap::new(),
            objects: HashMap::new(),
            now: now_ms,
            entropy: 0,
            diagnostics: Vec::new(),
            detached: Vec::new(),
            store: store::MemoryStore::new(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.front.cfg
    }

    pub fn now(&self) -> i64 {
        self.now
    }

    pub fn set_now(&mut self, now_ms: i64) {
        self.now = now_ms;
    }

    /// The storage of an object, if it has any.
    pub fn sql(&self, address: &Address) -> Option<&dyn Sql> {
        self.storage.get(address).map(|s| &**s)
    }

    /// Whether an object has storage (a retired table has none).
    pub fn has_storage(&self, address: &Address) -> bool {
        self.storage.contains_key(address)
    }

    fn object(&mut self, address: &Address) -> Result<&mut Box<dyn Object>, Error> {
        if !self.objects.contains_key(address) {
            let open = self.open;
            let sql = self.storage.entry(address.clone()).or_insert_with(open);
            let obj = crate::open_object(address, &**sql, self.front.cfg.clone())?;
            self.objects.insert(address.clone(), obj);
        }
        self.objects
            .get_mut(address)
            .ok_or_else(|| Error::bug("object vanished"))
    }

    /// Delivers one call, then carries out every effect it caused. Calls and outcomes go
    /// through the binary encoding the Worker host uses between processes, so that every
    /// test also checks they survive it.
    pub fn call(&mut self, call: Call) -> Outcome {
        let Call { to, command } = call;
        let bytes =
            codec::encode_call(&to, std::slice::from_ref(&command)).expect("every call encodes");
        let (to, mut commands) = codec::decode_call(&bytes).expect("every call decodes");
        assert_eq!(commands.len(), 1);
        assert_eq!(commands[0], command, "a call survives its encoding");
        let command = commands.remove(0);
        let out = self.deliver(to, command);
        let bytes = codec::encode_outcomes(std::slice::from_ref(&out));
        let back = codec::decode_outcomes(&bytes)
            .expect("every outcome decodes")
            .pop()
            .expect("one outcome");
        assert_eq!(back, out, "an outcome survives its encoding");
        back
    }

    fn deliver(&mut self, to: Address, command: Command) -> Outcome {
        if to == Address::Store {
            return match command {
                Command::Store(request) => {
                    Ok(Reply::Store(store::in_memory(&mut self.store, request)))
                }
                _ => Err(Error::bug(
                    "a command for the object store that is not a request",
                )),
            };
        }
        let now = self.now;
        let out = match self.object(&to) {
            Ok(_) => {
                let sql = self.storage.get(&to).map(|s| &**s);
                let obj = self.objects.get_mut(&to);
                match (sql, obj) {
                    (Some(sql), Some(obj)) => obj
                        .handle(sql, now, vec![command])
                        .pop()
                        .unwrap_or_else(|| Err(Error::bug("no outcome"))),
                    _ => Err(Error::bug("object without storage")),
                }
            }
            Err(e) => Err(e),
        };
        self.drain(vec![to]);
        out
    }

    /// Carries out the effects of `addresses` (and of whatever they call), in order.
    fn drain(&mut self, addresses: Vec<Address>) {
        let mut queue: VecDeque<Address> = addresses.into();
        let mut rounds = 0;
        while let Some(addr) = queue.pop_front() {
            rounds += 1;
            assert!(rounds < MAX_EFFECT_ROUNDS, "effects do not settle");
            let Some(obj) = self.objects.get_mut(&addr) else {
                continue;
            };
            self.diagnostics.extend(obj.take_diagnostics());
            let excess = self.diagnostics.len().saturating_sub(100);
            self.diagnostics.drain(..excess);
            let mut effects: Vec<(EffectId, Effect)> = Vec::new();
            while let Some(e) = obj.poll_effect() {
                effects.push(e);
            }
            for (id, effect) in effects {
                match effect {
                    Effect::Retire => {
                        self.objects.remove(&addr);
                        self.storage.remove(&addr);
                    }
                    Effect::Store(request) => {
                        let result = Ok(Reply::Store(store::in_memory(&mut self.store, request)));
                        let now = self.now;
                        if let (Some(sql), Some(obj)) =
                            (self.storage.get(&addr), self.objects.get_mut(&addr))
                        {
                            obj.handle_result(&**sql, now, id, result);
                        }
                        queue.push_back(addr.clone());
                    }
                    Effect::Call(call) => {
                        let target = call.to.clone();
                        let result = self.call(call);
                        queue.push_back(target);
                        let now = self.now;
                        if let (Some(sql), Some(obj)) =
                            (self.storage.get(&addr), self.objects.get_mut(&addr))
                        {
                            obj.handle_result(&**sql, now, id, result);
                        }
                        queue.push_back(addr.clone());
                    }
                }
            }
        }
    }

    /// Runs every object's due background work (and what it causes) until nothing is due.
    pub fn tick(&mut self) {
        self.deliver_detached();
        for _ in 0..MAX_EFFECT_ROUNDS {
            if !self.tick_once() {
                return;
            }
        }
        let due: Vec<String> = self
            .objects
            .iter()
            .filter_map(|(a, o)| o.poll_timeout().map(|t| format!("{a:?} at {t}")))
            .collect();
        let last: Vec<&String> = self.diagnostics.iter().rev().take(3).collect();
        panic!(
            "background work does not settle at {}: {due:?}; last diagnostics: {last:?}",
            self.now
        );
    }

    /// One round of due background work: each object whose time has come wakes once.
    /// Returns whether any did.
    pub fn tick_once(&mut self) -> bool {
        let now = self.now;
        let due: Vec<Address> = self
            .objects
            .iter()
            .filter(|(_, o)| o.poll_timeout().is_some_and(|t| t <= now))
            .map(|(a, _)| a.clone())
            .collect();
        let woke = !due.is_empty();
        for addr in due {
            if let (Some(sql), Some(obj)) = (self.storage.get(&addr), self.objects.get_mut(&addr)) {
                obj.handle_timeout(&**sql, now);
            }
            self.drain(vec![addr]);
        }
        woke
    }

    /// When the next object wants to wake, if any.
    pub fn next_timeout(&self) -> Option<i64> {
        self.objects.values().filter_map(|o| o.poll_timeout()).min()
    }

    /// A process crash and restart: every object is dropped (storage stays), then the
    /// catalog, every incarnation it knows and every coordinator with storage are opened
    /// again, as hosts do at start-up.
    pub fn restart(&mut self) {
        self.objects.clear();
        self.detached.clear();
        self.front = FrontEnd::new(self.front.cfg.clone());
        let _ = self.object(&Address::Catalog);
        if let Ok(Reply::Catalog(CatalogReply::Incarnations(list))) = self.call(Call {
            to: Address::Catalog,
            command: Command::Catalog(CatalogCommand::Incarnations),
        }) {
            for inc in list {
                let _ = self.object(&Address::Table(inc.id));
            }
        }
        // As the hosts do: coordinators drive what a crash left unfinished.
        for shard in 0..crate::api::coordinator::SHARDS {
            let addr = Address::Coordinator(shard);
            if self.storage.contains_key(&addr) {
                let _ = self.object(&addr);
            }
        }
    }

    fn deliver_detached(&mut self) {
        for call in std::mem::take(&mut self.detached) {
            let _ = self.call(call);
        }
    }

    /// Serves one HTTP request.
    pub fn handle(&mut self, req: HttpRequest<'_>) -> HttpResponse {
        self.entropy = self.entropy.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let (mut flow, mut action) = Flow::start(&self.front, req, self.now, self.entropy);
        for _ in 0..MAX_FLOW_STEPS {
            action = match action {
                Action::Respond(r) => return r,
                Action::RespondThen(r, call) => {
                    let _ = self.call(call);
                    return r;
                }
                Action::Call(call) => {
                    let out = self.call(call);
                    flow.step(&self.front, out)
                }
                Action::Fanout(calls) => {
                    let outs = calls.into_iter().map(|c| self.call(c)).collect();
                    flow.step_all(&self.front, outs)
                }
            };
        }
        panic!("the request flow did not finish in {MAX_FLOW_STEPS} steps");
    }

    /// Starts a DynamoDB request without running it: see [`Host::advance`].
    pub fn begin(&mut self, target: &str, body: &Value) -> InFlight {
        self.entropy = self.entropy.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let (target, bytes) = (
            full_target(target),
            serde_json::to_vec(body).unwrap_or_default(),
        );
        let (flow, action) = Flow::start(
            &self.front,
            json_request(&target, &bytes),
            self.now,
            self.entropy,
        );
        InFlight {
            flow,
            next: Some(action),
            fanout: Vec::new(),
            outcomes: Vec::new(),
        }
    }

    /// Carries out one call of a request in flight (of a fan-out: the `pick`-th of those
    /// not yet delivered, modulo their number); once it has answered, returns its
    /// (HTTP status, response JSON).
    pub fn advance(
        &mut self,
        r: &mut InFlight,
        delivery: Delivery,
        pick: usize,
    ) -> Option<(u16, Value)> {
        self.deliver_detached();
        if r.fanout.is_empty() {
            match r.next.take()? {
                Action::Respond(resp) => return Some(respond(&resp)),
                Action::RespondThen(resp, call) => {
                    self.detached.push(call);
                    return Some(respond(&resp));
                }
                Action::Call(call) => {
                    let out = self.deliver_as(call, delivery);
                    let next = r.flow.step(&self.front, out);
                    return self.settle_action(r, next);
                }
                Action::Fanout(calls) => {
                    r.outcomes = vec![None; calls.len()];
                    r.fanout = calls.into_iter().enumerate().collect();
                }
            }
        }
        let (position, call) = r.fanout.remove(pick % r.fanout.len());
        r.outcomes[position] = Some(self.deliver_as(call, delivery));
        if !r.fanout.is_empty() {
            return None;
        }
        let outcomes = std::mem::take(&mut r.outcomes)
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Err(Error::bug("a fan-out call without an outcome"))))
            .collect();
        let next = r.flow.step_all(&self.front, outcomes);
        self.settle_action(r, next)
    }

    fn settle_action(&mut self, r: &mut InFlight, next: Action) -> Option<(u16, Value)> {
        match next {
            Action::Respond(resp) => Some(respond(&resp)),
            Action::RespondThen(resp, call) => {
                self.detached.push(call);
                Some(respond(&resp))
            }
            next => {
                r.next = Some(next);
                None
            }
        }
    }

    fn deliver_as(&mut self, call: Call, delivery: Delivery) -> Outcome {
        let mut out = self.call(call.clone());
        match delivery {
            Delivery::Once => {}
            Delivery::Twice
                if !matches!(crate::flow::failpoint::step(&call), None | Some("Transact")) =>
            {
                out = self.call(call)
            }
            Delivery::Twice => {}
            Delivery::ReplyLost => out = Err(Error::host("simulated: the reply was lost")),
        }
        out
    }

    /// Serves one DynamoDB request with a JSON body: (HTTP status, response JSON).
    pub fn request(&mut self, target: &str, body: &Value) -> (u16, Value) {
        let (target, bytes) = (
            full_target(target),
            serde_json::to_vec(body).unwrap_or_default(),
        );
        let r = self.handle(json_request(&target, &bytes));
        respond(&r)
    }

    /// Serves requests for one table as one batch of its table object, as the native host
    /// group-commits requests that arrive together: each is decoded and rendered as a lone
    /// request would be, but all run in one `handle`, in one transaction.
    pub fn batch(&mut self, table: &str, requests: Vec<(&str, Value)>) -> Vec<(u16, Value)> {
        use crate::wire::{decode, render, response, target::Op};
        let Some(id) = self.table_id(table) else {
            return requests
                .iter()
                .map(|_| (400, Value::String("no such table".into())))
                .collect();
        };
        let mut out: Vec<Option<(u16, Value)>> = vec![None; requests.len()];
        let mut commands = Vec::new();
        let mut ops = Vec::new();
        for (i, (target, body)) in requests.iter().enumerate() {
            let decoded = Op::from_target(Some(&format!("DynamoDB_20120810.{target}")))
                .and_then(|op| decode::decode(op, body, self.now).map(|r| (op, r)));
            match decoded {
                Ok((op, decode::Request::Table { name, command })) if name == table => {
                    commands.push(Command::Table(command));
                    ops.push((i, op));
                }
                Ok(_) => out[i] = Some((400, Value::String("not a request for this table".into()))),
                Err(e) => out[i] = Some((e.status(), response::error_body(&e))),
            }
        }
        let addr = Address::Table(id);
        let now = self.now;
        let outcomes = match self.object(&addr) {
            Ok(_) => match (self.storage.get(&addr), self.objects.get_mut(&addr)) {
                (Some(sql), Some(obj)) => obj.handle(&**sql, now, commands),
                _ => vec![Err(Error::bug("object without storage")); ops.len()],
            },
            Err(e) => vec![Err(e); ops.len()],
        };
        self.drain(vec![addr]);
        for ((i, op), outcome) in ops.into_iter().zip(outcomes) {
            let rendered = match outcome {
                Ok(Reply::Table(r)) => render::reply(&self.front.cfg, op, &r),
                Ok(other) => Err(Error::bug(format!("{other:?}"))),
                Err(e) => Err(e),
            };
            out[i] = Some(match rendered {
                Ok(v) => (200, v),
                Err(e) => {
                    let e = match e {
                        Error::Gone => crate::wire::decode::table_not_found(op, table),
                        other => other.into_api(),
                    };
                    (e.status(), response::error_body(&e))
                }
            });
        }
        out.into_iter()
            .map(|o| o.unwrap_or((500, Value::Null)))
            .collect()
    }

    /// The current incarnation of a table, as the catalog knows it.
    pub fn table_id(&mut self, name: &str) -> Option<TableId> {
        let account = self.front.cfg.account_id.clone();
        match self.call(Call {
            to: Address::Catalog,
            command: Command::Catalog(CatalogCommand::Resolve {
                account,
                name: name.to_owned(),
                at_ms: None,
            }),
        }) {
            Ok(Reply::Catalog(CatalogReply::Resolved(inc))) => Some(inc.id),
            _ => None,
        }
    }

    /// The storage of the current incarnation of a table.
    pub fn table_sql(&mut self, name: &str) -> Option<&dyn Sql> {
        let id = self.table_id(name)?;
        self.sql(&Address::Table(id))
    }
}
