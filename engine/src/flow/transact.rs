//! TransactWriteItems and TransactGetItems, sans I/O.
//!
//! A write whose actions are all on one table is one `Transact` call: the table object
//! decides it in one SQL transaction. A write over several tables is two-phase, with a
//! coordinator shard keeping the durable record:
//!
//! ```text
//! Begin (coordinator logs TxIntent, checks the token)
//!   → TxPrepare each table (each logs TxPrepared: conditions held, writes staged, items locked)
//!   → Decide (coordinator logs TxDecided; the first decision stands)
//!   → TxResolve each table (each logs TxResolved and applies the writes as item events)
//!   → Complete (coordinator logs TxCompleted)
//! ```
//!
//! Every table is prepared even after one has refused, so that the cancellation reasons
//! name every failed condition, as AWS's do. If this flow stops anywhere (a crash, a lost
//! call), the coordinator's recovery decides an undecided transaction *abort* and sends
//! every outcome again; tables holding a prepared transaction ask the coordinator.
//!
//! A read over several tables reads every table, then reads again and compares: if no item
//! changed and none was locked by a transaction in flight, the first read is a snapshot no
//! transaction is half-way through (a transaction locks all its items before it changes
//! any). Otherwise it retries, and after a few tries reports `TransactionConflict`.

use serde_json::{json, Map, Value};

use crate::api::capacity::{ConsumedCapacity, ReturnCapacity};
use crate::api::catalog::{CatalogCommand, CatalogReply};
use crate::api::command::{TableCommand, Transact, TxAction, TxGet, TxGetItem, TxResolve};
use crate::api::coordinator::{self, CoordinatorCommand, CoordinatorReply};
use crate::api::ids::TableId;
use crate::api::object::{Address, Call, Command, Outcome, Reply};
use crate::api::reply::{TableReply, TxVote};
use crate::error::{ApiError, CancellationReason, Error, ErrorKind};
use crate::flow::directory::Directory;
use crate::wire::decode::{TransactGet, TransactWrite};
use crate::wire::render;
use crate::wire::value::encode_item;

/// A read over several tables is tried this many times before it reports a conflict.
const READ_ATTEMPTS: usize = 3;

pub(crate) enum Next {
    Call(Call),
    /// Calls to deliver concurrently; their outcomes come back together, in this order.
    Fanout(Vec<Call>),
    Done(Result<Value, ApiError>),
    /// The answer, then a call whose outcome nobody waits for (the coordinator's
    /// `Complete`: if it is lost, recovery completes the transaction).
    DoneThen(Result<Value, ApiError>, Call),
}

fn not_found() -> ApiError {
    ApiError::new(ErrorKind::ResourceNotFound, "Requested resource not found")
}

fn conflict_reason() -> CancellationReason {
    CancellationReason {
        code: "TransactionConflict".into(),
        message: Some("Transaction is ongoing for the item".into()),
        item: None,
    }
}

/// A fan-out's outcomes: one per table it called.
fn one_outcome_per_table(outcomes: &[Outcome], tables: usize) -> Result<(), ApiError> {
    if outcomes.len() == tables {
        return Ok(());
    }
    Err(Error::bug(format!("{} outcomes for {tables} tables", outcomes.len())).into_api())
}

/// One table of a transaction.
struct Part<T> {
    name: String,
    id: Option<TableId>,
    /// The id came from the directory (and may be stale).
    cached: bool,
    items: Vec<T>,
}

/// Groups `(table, x)` by table, in the order tables first appear.
fn parts<T>(list: Vec<(String, T)>) -> Vec<Part<T>> {
    let mut out: Vec<Part<T>> = Vec::new();
    for (name, x) in list {
        match out.iter_mut().find(|p| p.name == name) {
            Some(p) => p.items.push(x),
            None => out.push(Part {
                name,
                id: None,
                cached: false,
                items: vec![x],
            }),
        }
    }
    out
}

/// Resolves the table names of a transaction to incarnations, one catalog call per name the
/// directory does not know.
struct Names {
    account: String,
    /// The part whose name is being resolved.
    asking: Option<usize>,
}

impl Names {
    /// The next call needed to know every part's id, if one is.
    fn next<T>(&mut self, dir: &Directory, parts: &mut [Part<T>]) -> Option<Call> {
        for (i, p) in parts.iter_mut().enumerate() {
            if p.id.is_some() {
                continue;
            }
            if let Some(id) = dir.get(&self.account, &p.name) {
                p.id = Some(id);
                p.cached = true;
                continue;
            }
            self.asking = Some(i);
            return Some(Call {
                to: Address::Catalog,
                command: Command::Catalog(CatalogCommand::Resolve {
                    account: self.account.clone(),
                    name: p.name.clone(),
                    at_ms: None,
                }),
            });
        }
        None
    }

    fn answer<T>(
        &mut self,
        dir: &Directory,
        parts: &mut [Part<T>],
        outcome: Outcome,
    ) -> Result<(), ApiError> {
        let i = self
            .asking
            .take()
            .ok_or_else(|| Error::bug("a name answer with no question").into_api())?;
        let p = &mut parts[i];
        match outcome {
            Ok(Reply::Catalog(CatalogReply::Resolved(inc))) => {
                if inc.state == crate::api::catalog::IncarnationState::Active {
                    dir.put(&self.account, &p.name, inc.id.clone());
                }
                p.id = Some(inc.id);
                p.cached = false;
                Ok(())
            }
            Ok(Reply::Catalog(CatalogReply::NotFound)) => Err(not_found()),
            Ok(other) => Err(Error::bug(format!("Resolve answered {other:?}")).into_api()),
            Err(e) => Err(e.into_api()),
        }
    }

    /// A table answered `Gone` to a remembered id: forget it and ask again (true), or the
    /// table is really gone (false).
    fn stale<T>(&self, dir: &Directory, p: &mut Part<T>) -> bool {
        if !p.cached {
            return false;
        }
        dir.forget(&self.account, &p.name, p.id.as_ref());
        p.id = None;
        p.cached = false;
        true
    }
}

/// A transactional ConsumedCapacity: its units also as `ReadCapacityUnits` or
/// `WriteCapacityUnits`, which AWS reports for transactions.
fn consumed(c: &ConsumedCapacity, units: &str) -> Value {
    let mut v = render::consumed(c);
    v[units] = json!(c.capacity_units);
    if let Some(t) = c.table {
        v["Table"][units] = json!(t);
    }
    for (member, list) in [
        ("GlobalSecondaryIndexes", &c.global),
        ("LocalSecondaryIndexes", &c.local),
    ] {
        for (name, u) in list {
            v[member][name][units] = json!(u);
        }
    }
    v
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteStage {
    Names,
    /// The single-table `Transact`.
    Single,
    Begin,
    /// The token says it was done: every table's items are read, for the capacity.
    Replayed,
    /// Every table at once.
    Prepare,
    Decide,
    /// Every table at once.
    Resolve,
    /// Only before beginning again (see `restart`); otherwise it follows the answer.
    Complete,
}

pub(crate) struct WriteFlow {
    names: Names,
    parts: Vec<Part<TxAction>>,
    txid: String,
    shard: u32,
    token: Option<extenddo_log::event::TxToken>,
    total: usize,
    capacity: ReturnCapacity,
    metrics: bool,
    stage: WriteStage,
    /// Where to go on once the names are known again.
    resume: WriteStage,
    reasons: Vec<(usize, CancellationReason)>,
    error: Option<ApiError>,
    /// The coordinator's decision (`None` until it is known).
    decided: Option<bool>,
    /// A participant did not confirm the outcome: leave completion to recovery.
    unconfirmed: bool,
    /// A table's remembered id was stale after the intent named it: this attempt is
    /// aborted and the transaction begins again under a new id (the coordinator's record
    /// must name the tables that really take part).
    restart: bool,
    attempts: usize,
    consumed: Vec<Value>,
    collections: Map<String, Value>,
}

impl WriteFlow {
    pub(crate) fn start(
        account: String,
        txid: String,
        w: TransactWrite,
        dir: &Directory,
    ) -> (WriteFlow, Next) {
        let token = w.token.map(|t| extenddo_log::event::TxToken {
            token: t,
            request: w.fingerprint.clone(),
        });
        let shard = coordinator::shard(token.as_ref().map(|t| t.token.as_str()), &txid);
        let mut f = WriteFlow {
            names: Names {
                account,
                asking: None,
            },
            total: w.actions.len(),
            parts: parts(w.actions),
            txid,
            shard,
            token,
            capacity: w.capacity,
            metrics: w.metrics,
            stage: WriteStage::Names,
            resume: WriteStage::Names,
            reasons: Vec::new(),
            error: None,
            decided: None,
            unconfirmed: false,
            restart: false,
            attempts: 0,
            consumed: Vec::new(),
            collections: Map::new(),
        };
        let first = if f.parts.len() == 1 {
            WriteStage::Single
        } else {
            WriteStage::Begin
        };
        let next = f.names_then(dir, first);
        (f, next)
    }

    /// Resolves whatever names are unknown, then goes to `stage`.
    fn names_then(&mut self, dir: &Directory, stage: WriteStage) -> Next {
        match self.names.next(dir, &mut self.parts) {
            Some(call) => {
                self.stage = WriteStage::Names;
                self.resume = stage;
                Next::Call(call)
            }
            None => self.go(stage),
        }
    }

    fn transact(&self, i: usize, coordinator: Option<u32>) -> Transact {
        Transact {
            txid: self.txid.clone(),
            coordinator,
            token: self.token.clone(),
            total: self.total,
            actions: self.parts[i].items.clone(),
            capacity: self.capacity,
            metrics: self.metrics,
        }
    }

    fn coordinator_call(&self, command: CoordinatorCommand) -> Call {
        Call {
            to: Address::Coordinator(self.shard),
            command: Command::Coordinator(command),
        }
    }

    fn id(&self, i: usize) -> Result<&TableId, ApiError> {
        self.parts[i]
            .id
            .as_ref()
            .ok_or_else(|| Error::bug("a table of the transaction without an id").into_api())
    }

    fn go(&mut self, stage: WriteStage) -> Next {
        self.stage = stage;
        let call = match stage {
            WriteStage::Names => {
                return Next::Done(Err(Error::bug("no names to resolve").into_api()))
            }
            WriteStage::Replayed => return self.replayed(),
            WriteStage::Single => match self.id(0) {
                Ok(id) => Call::table(id, TableCommand::Transact(Box::new(self.transact(0, None)))),
                Err(e) => return Next::Done(Err(e)),
            },
            WriteStage::Begin => {
                let participants = self.parts.iter().filter_map(|p| p.id.clone()).collect();
                self.coordinator_call(CoordinatorCommand::Begin {
                    txid: self.txid.clone(),
                    token: self.token.clone(),
                    participants,
                })
            }
            WriteStage::Prepare => {
                let mut calls = Vec::with_capacity(self.parts.len());
                for i in 0..self.parts.len() {
                    match self.id(i) {
                        Ok(id) => calls.push(Call::table(
                            id,
                            TableCommand::TxPrepare(Box::new(self.transact(i, Some(self.shard)))),
                        )),
                        Err(e) => return Next::Done(Err(e)),
                    }
                }
                return Next::Fanout(calls);
            }
            WriteStage::Decide => self.coordinator_call(CoordinatorCommand::Decide {
                txid: self.txid.clone(),
                commit: self.error.is_none() && self.reasons.is_empty(),
            }),
            WriteStage::Resolve => {
                let mut calls = Vec::with_capacity(self.parts.len());
                for i in 0..self.parts.len() {
                    match self.id(i) {
                        Ok(id) => calls.push(Call::table(
                            id,
                            TableCommand::TxResolve(TxResolve {
                                txid: self.txid.clone(),
                                commit: self.decided == Some(true),
                            }),
                        )),
                        Err(e) => return Next::Done(Err(e)),
                    }
                }
                return Next::Fanout(calls);
            }
            WriteStage::Complete => self.coordinator_call(CoordinatorCommand::Complete {
                txid: self.txid.clone(),
            }),
        };
        Next::Call(call)
    }

    fn record_vote(&mut self, i: usize, vote: &TxVote) {
        self.reasons.extend(vote.reasons.iter().cloned());
        if vote.reasons.is_empty() {
            if let Some(c) = &vote.consumed {
                self.consumed.push(consumed(c, "WriteCapacityUnits"));
            }
            if !vote.metrics.is_empty() {
                let m: Vec<Value> = vote.metrics.iter().map(render::metrics).collect();
                self.collections
                    .insert(self.parts[i].name.clone(), Value::Array(m));
            }
        }
    }

    fn cancelled(&self) -> ApiError {
        let mut reasons = vec![CancellationReason::none(); self.total];
        for (i, r) in &self.reasons {
            if let Some(slot) = reasons.get_mut(*i) {
                *slot = r.clone();
            }
        }
        ApiError::transaction_canceled(reasons)
    }

    fn success(&self) -> Value {
        let mut v = json!({});
        if self.capacity != ReturnCapacity::None {
            v["ConsumedCapacity"] = Value::Array(self.consumed.clone());
        }
        if self.metrics && !self.collections.is_empty() {
            v["ItemCollectionMetrics"] = Value::Object(self.collections.clone());
        }
        v
    }

    /// The answer, once the outcome is applied (or left to recovery).
    fn finish(&mut self, dir: &Directory) -> Next {
        if self.restart && self.attempts < 2 && !self.unconfirmed {
            self.attempts += 1;
            self.restart = false;
            self.txid = format!("{}.{}", self.txid, self.attempts);
            self.reasons.clear();
            self.error = None;
            self.decided = None;
            self.consumed.clear();
            self.collections.clear();
            return self.names_then(dir, WriteStage::Begin);
        }
        if let Some(e) = self.error.clone() {
            return Next::Done(Err(e));
        }
        if !self.reasons.is_empty() {
            return Next::Done(Err(self.cancelled()));
        }
        if self.decided != Some(true) {
            // Recovery aborted it before this flow could decide (it took too long).
            self.reasons = (0..self.total).map(|i| (i, conflict_reason())).collect();
            return Next::Done(Err(self.cancelled()));
        }
        Next::Done(Ok(self.success()))
    }

    pub(crate) fn step(&mut self, dir: &Directory, outcome: Outcome) -> Next {
        match self.stage {
            WriteStage::Names => match self.names.answer(dir, &mut self.parts, outcome) {
                Ok(()) => self.names_then(dir, self.resume),
                Err(e) => {
                    if matches!(self.resume, WriteStage::Single | WriteStage::Begin) {
                        return Next::Done(Err(e));
                    }
                    // A table vanished half-way: abort what is prepared.
                    self.error.get_or_insert(e);
                    self.go(WriteStage::Decide)
                }
            },
            WriteStage::Single => match outcome {
                Ok(Reply::Table(TableReply::Transacted(vote))) => {
                    if vote.duplicate {
                        let mut v = json!({});
                        if let Some(c) = &vote.consumed {
                            v["ConsumedCapacity"] = json!([consumed(c, "ReadCapacityUnits")]);
                        }
                        return Next::Done(Ok(v));
                    }
                    self.record_vote(0, &vote);
                    self.decided = Some(vote.reasons.is_empty());
                    self.finish(dir)
                }
                Err(Error::Gone) if self.names.stale(dir, &mut self.parts[0]) => {
                    self.names_then(dir, WriteStage::Single)
                }
                Err(Error::Gone) => Next::Done(Err(not_found())),
                Err(e) => Next::Done(Err(e.into_api())),
                Ok(other) => Next::Done(Err(
                    Error::bug(format!("Transact answered {other:?}")).into_api()
                )),
            },
            WriteStage::Begin => match outcome {
                Ok(Reply::Coordinator(CoordinatorReply::Begun)) => self.go(WriteStage::Prepare),
                Ok(Reply::Coordinator(CoordinatorReply::Duplicate)) => self.replayed(),
                Err(e) => Next::Done(Err(e.into_api())),
                Ok(other) => Next::Done(Err(
                    Error::bug(format!("Begin answered {other:?}")).into_api()
                )),
            },
            WriteStage::Decide => match outcome {
                Ok(Reply::Coordinator(CoordinatorReply::Decided { commit })) => {
                    self.decided = Some(commit);
                    self.go(WriteStage::Resolve)
                }
                // The decision is unknown: the coordinator's recovery will carry it out.
                Err(e) => Next::Done(Err(e.into_api())),
                Ok(other) => Next::Done(Err(
                    Error::bug(format!("Decide answered {other:?}")).into_api()
                )),
            },
            WriteStage::Prepare | WriteStage::Resolve | WriteStage::Replayed => Next::Done(Err(
                Error::bug("one outcome for calls made together").into_api(),
            )),
            WriteStage::Complete => self.finish(dir),
        }
    }

    /// Feeds the outcomes of the calls of a `Fanout`, in order.
    pub(crate) fn step_all(&mut self, dir: &Directory, outcomes: Vec<Outcome>) -> Next {
        if let Err(e) = one_outcome_per_table(&outcomes, self.parts.len()) {
            return Next::Done(Err(e));
        }
        match self.stage {
            WriteStage::Prepare => {
                for (i, outcome) in outcomes.into_iter().enumerate() {
                    self.prepared(dir, i, outcome);
                }
                self.go(WriteStage::Decide)
            }
            WriteStage::Replayed => {
                // Billed as a transactional read of the request's items (as AWS does).
                let mut list = Vec::new();
                // The work was done: a failed read only loses its capacity.
                for outcome in outcomes {
                    if let Ok(Reply::Table(TableReply::TxRead(r))) = outcome {
                        if let Some(c) = &r.consumed {
                            list.push(consumed(c, "ReadCapacityUnits"));
                        }
                    }
                }
                Next::Done(Ok(json!({ "ConsumedCapacity": list })))
            }
            WriteStage::Resolve => {
                for outcome in outcomes {
                    if !matches!(
                        outcome,
                        Ok(Reply::Table(TableReply::TxResolved)) | Err(Error::Gone)
                    ) {
                        self.unconfirmed = true;
                    }
                }
                self.resolved(dir)
            }
            _ => Next::Done(Err(Error::bug("outcomes of calls not made").into_api())),
        }
    }

    /// The coordinator knows the token and request: done before. Without capacity asked
    /// for, the answer is empty; with it, every table's items are read to bill them.
    fn replayed(&mut self) -> Next {
        if self.capacity == ReturnCapacity::None {
            return Next::Done(Ok(json!({})));
        }
        self.stage = WriteStage::Replayed;
        let mut calls = Vec::with_capacity(self.parts.len());
        for (i, p) in self.parts.iter().enumerate() {
            let Some(id) = p.id.as_ref() else {
                return Next::Done(Err(Error::bug(format!("part {i} without an id")).into_api()));
            };
            calls.push(Call::table(
                id,
                TableCommand::TxGet(Box::new(TxGet::replay_of(&p.items, self.capacity))),
            ));
        }
        Next::Fanout(calls)
    }

    /// One table's answer to its prepare.
    fn prepared(&mut self, dir: &Directory, i: usize, outcome: Outcome) {
        match outcome {
            Ok(Reply::Table(TableReply::Transacted(vote))) => self.record_vote(i, &vote),
            Err(Error::Gone) if self.names.stale(dir, &mut self.parts[i]) => {
                self.restart = true;
                self.error.get_or_insert(not_found());
            }
            Err(Error::Gone) => {
                self.error.get_or_insert(not_found());
            }
            Err(e) => {
                self.error.get_or_insert(e.into_api());
            }
            Ok(other) => {
                self.error
                    .get_or_insert(Error::bug(format!("TxPrepare answered {other:?}")).into_api());
            }
        }
    }

    /// Every table was told the outcome: answer, and let the coordinator complete.
    fn resolved(&mut self, dir: &Directory) -> Next {
        if self.unconfirmed {
            // Completion is left to the coordinator's recovery.
            return Next::Done(Err(ApiError::internal(
                "the transaction's outcome is not yet applied everywhere",
            )));
        }
        if self.restart && self.attempts < 2 {
            return self.go(WriteStage::Complete);
        }
        let complete = self.coordinator_call(CoordinatorCommand::Complete {
            txid: self.txid.clone(),
        });
        match self.finish(dir) {
            Next::Done(r) => Next::DoneThen(r, complete),
            other => other,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadStage {
    Names,
    /// Reading every table at once (`check`: the second, comparing read).
    Read {
        check: bool,
    },
}

pub(crate) struct ReadFlow {
    names: Names,
    parts: Vec<Part<TxGetItem>>,
    capacity: ReturnCapacity,
    total: usize,
    stage: ReadStage,
    resume: ReadStage,
    attempt: usize,
    /// Per get position: the item read and its fingerprint.
    items: Vec<Option<(Option<extenddo_log::Item>, u64)>>,
    conflicts: Vec<usize>,
    consumed: Vec<Value>,
}

impl ReadFlow {
    pub(crate) fn start(account: String, g: TransactGet, dir: &Directory) -> (ReadFlow, Next) {
        let total = g.gets.len();
        let mut f = ReadFlow {
            names: Names {
                account,
                asking: None,
            },
            parts: parts(g.gets),
            capacity: g.capacity,
            total,
            stage: ReadStage::Names,
            resume: ReadStage::Names,
            attempt: 0,
            items: vec![None; total],
            conflicts: Vec::new(),
            consumed: Vec::new(),
        };
        let next = f.names_then(dir, ReadStage::Read { check: false });
        (f, next)
    }

    fn names_then(&mut self, dir: &Directory, stage: ReadStage) -> Next {
        match self.names.next(dir, &mut self.parts) {
            Some(call) => {
                self.stage = ReadStage::Names;
                self.resume = stage;
                Next::Call(call)
            }
            None => self.go(stage),
        }
    }

    fn go(&mut self, stage: ReadStage) -> Next {
        self.stage = stage;
        let ReadStage::Read { check } = stage else {
            return Next::Done(Err(Error::bug("no names to resolve").into_api()));
        };
        let mut calls = Vec::with_capacity(self.parts.len());
        for p in &self.parts {
            let Some(id) = p.id.clone() else {
                return Next::Done(Err(
                    Error::bug("a table of the read without an id").into_api()
                ));
            };
            let expect = check.then(|| {
                p.items
                    .iter()
                    .map(|g| self.items[g.index].as_ref().map_or(0, |x| x.1))
                    .collect()
            });
            calls.push(Call::table(
                &id,
                TableCommand::TxGet(Box::new(TxGet {
                    gets: p.items.clone(),
                    capacity: if check {
                        ReturnCapacity::None
                    } else {
                        self.capacity
                    },
                    expect,
                    keys_of_items: false,
                })),
            ));
        }
        Next::Fanout(calls)
    }

    fn round_done(&mut self, check: bool) -> Next {
        if !self.conflicts.is_empty() {
            self.attempt += 1;
            if self.attempt >= READ_ATTEMPTS {
                let mut reasons = vec![CancellationReason::none(); self.total];
                for &i in &self.conflicts {
                    if let Some(r) = reasons.get_mut(i) {
                        *r = conflict_reason();
                    }
                }
                return Next::Done(Err(ApiError::transaction_canceled(reasons)));
            }
            self.conflicts.clear();
            self.consumed.clear();
            return self.go(ReadStage::Read { check: false });
        }
        if !check && self.parts.len() > 1 {
            return self.go(ReadStage::Read { check: true });
        }
        let responses: Vec<Value> = self
            .items
            .iter()
            .map(|x| match x {
                Some((Some(item), _)) => json!({ "Item": encode_item(item) }),
                _ => json!({}),
            })
            .collect();
        let mut v = json!({ "Responses": responses });
        if self.capacity != ReturnCapacity::None {
            v["ConsumedCapacity"] = Value::Array(self.consumed.clone());
        }
        Next::Done(Ok(v))
    }

    pub(crate) fn step(&mut self, dir: &Directory, outcome: Outcome) -> Next {
        match self.stage {
            ReadStage::Names => match self.names.answer(dir, &mut self.parts, outcome) {
                Ok(()) => self.names_then(dir, self.resume),
                Err(e) => Next::Done(Err(e)),
            },
            ReadStage::Read { .. } => Next::Done(Err(Error::bug(
                "one outcome for calls made together",
            )
            .into_api())),
        }
    }

    /// Feeds the outcomes of a round of reads, in table order.
    pub(crate) fn step_all(&mut self, dir: &Directory, outcomes: Vec<Outcome>) -> Next {
        let ReadStage::Read { check } = self.stage else {
            return Next::Done(Err(Error::bug("outcomes of calls not made").into_api()));
        };
        if let Err(e) = one_outcome_per_table(&outcomes, self.parts.len()) {
            return Next::Done(Err(e));
        }
        let mut stale = false;
        let mut invalid: Option<(usize, String)> = None;
        for (i, outcome) in outcomes.into_iter().enumerate() {
            match outcome {
                Ok(Reply::Table(TableReply::TxRead(r))) => {
                    if let Some(first) = r.invalid.into_iter().min() {
                        invalid = match invalid {
                            Some(prev) if prev.0 < first.0 => Some(prev),
                            _ => Some(first),
                        };
                        continue;
                    }
                    for (index, item, print) in r.items {
                        if !check {
                            if let Some(slot) = self.items.get_mut(index) {
                                *slot = Some((item, print));
                            }
                        }
                    }
                    self.conflicts.extend(r.conflicts);
                    if let Some(c) = &r.consumed {
                        self.consumed.push(consumed(c, "ReadCapacityUnits"));
                    }
                }
                Err(Error::Gone) if self.names.stale(dir, &mut self.parts[i]) => stale = true,
                Err(Error::Gone) => return Next::Done(Err(not_found())),
                Err(e) => return Next::Done(Err(e.into_api())),
                Ok(other) => {
                    return Next::Done(Err(
                        Error::bug(format!("TxGet answered {other:?}")).into_api()
                    ))
                }
            }
        }
        if let Some((index, message)) = invalid {
            // The first get whose key does not fit its table, as AWS reports it.
            let mut reasons = vec![CancellationReason::none(); self.total];
            if let Some(r) = reasons.get_mut(index) {
                *r = CancellationReason {
                    code: "ValidationError".into(),
                    message: Some(message),
                    item: None,
                };
            }
            return Next::Done(Err(ApiError::transaction_canceled(reasons)));
        }
        if stale {
            // A table was re-created under its name: read again from the start.
            self.conflicts.clear();
            self.consumed.clear();
            return self.names_then(dir, ReadStage::Read { check: false });
        }
        self.round_done(check)
    }
}
