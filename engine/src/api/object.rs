//! Objects, calls and effects: the contract between the engine and its hosts.
//!
//! An object (the catalog, a table) owns one SQLite database and is driven by its host, one
//! event at a time, like a quinn-proto connection: the host hands it commands
//! ([`Object::handle`]), tells it the time has come ([`Object::handle_timeout`]) and gives it
//! the results of the effects it asked for ([`Object::handle_result`]); after each event it
//! asks what to do ([`Object::poll_effect`]) and when to wake it ([`Object::poll_timeout`]).
//! Every decision — what to call, when to wake, when storage may go — is the object's; the
//! host only carries it out.

use extenddo_log::Sql;
use serde::{Deserialize, Serialize};

use crate::api::catalog::{CatalogCommand, CatalogReply};
use crate::api::command::TableCommand;
use crate::api::coordinator::{CoordinatorCommand, CoordinatorReply};
use crate::api::identity::{IdentityCommand, IdentityReply};
use crate::api::ids::TableId;
use crate::api::reply::TableReply;
use crate::api::store::{StoreReply, StoreRequest};
use crate::error::Error;

/// Where an object lives: natively an actor with its own SQLite file, on Cloudflare a
/// Durable Object named by [`Address::object_name`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Address {
    Catalog,
    Table(TableId),
    /// A transaction coordinator shard (`0 .. coordinator::SHARDS`).
    Coordinator(u32),
    /// The object store itself: a request flow reads it with `Command::Store` (objects
    /// use `Effect::Store`).
    Store,
    /// Accounts, users, access keys, policies and admins (one object per deployment).
    Identity,
}

impl Address {
    /// A name for the object, unique across kinds (Durable Object names, file names, logs).
    pub fn object_name(&self) -> String {
        match self {
            Address::Catalog => "catalog".to_owned(),
            Address::Table(id) => format!("table-{id}"),
            Address::Coordinator(n) => format!("coordinator-{n}"),
            Address::Store => "store".to_owned(),
            Address::Identity => "identity".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Command {
    Catalog(CatalogCommand),
    Table(TableCommand),
    Coordinator(CoordinatorCommand),
    /// For [`Address::Store`].
    Store(StoreRequest),
    Identity(IdentityCommand),
}

impl Command {
    /// Whether the command may change its object's state; hosts run the reads of a batch
    /// before its writes, so that reads need not wait for the writes' commit.
    pub fn is_write(&self) -> bool {
        match self {
            Command::Catalog(c) => c.is_write(),
            Command::Table(c) => c.is_write(),
            Command::Coordinator(c) => c.is_write(),
            Command::Store(r) => !matches!(r, StoreRequest::Get { .. } | StoreRequest::List { .. }),
            Command::Identity(c) => c.is_write(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    Catalog(CatalogReply),
    Table(TableReply),
    Coordinator(CoordinatorReply),
    /// The host's answer to an [`Effect::Store`].
    Store(StoreReply),
    Identity(IdentityReply),
}

/// What an object answers to one command.
pub type Outcome = Result<Reply, Error>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Call {
    pub to: Address,
    pub command: Command,
}

impl Call {
    pub fn catalog(command: CatalogCommand) -> Call {
        Call {
            to: Address::Catalog,
            command: Command::Catalog(command),
        }
    }

    pub fn table(id: &TableId, command: TableCommand) -> Call {
        Call {
            to: Address::Table(id.clone()),
            command: Command::Table(command),
        }
    }

    pub fn store(request: StoreRequest) -> Call {
        Call {
            to: Address::Store,
            command: Command::Store(request),
        }
    }
}

/// Names an effect so that its result finds its way back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EffectId(pub u64);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Effect {
    /// Send a command to another object; its outcome comes back through
    /// [`Object::handle_result`].
    Call(Call),
    /// Delete this object's storage: nothing in it may be read any more. The host does it
    /// before it delivers the replies of the event that asked for it; no result comes back.
    Retire,
    /// Read or write the object store; the result (`Reply::Store`, or a host error) comes
    /// back through [`Object::handle_result`].
    Store(StoreRequest),
}

pub trait Object {
    /// Runs a batch of commands; returns one outcome per command, in order. A batch of
    /// writes commits as one SQL transaction (group commit); no outcome is returned before
    /// that commit.
    fn handle(&mut self, sql: &dyn Sql, now_ms: i64, commands: Vec<Command>) -> Vec<Outcome>;
    /// The time [`Object::poll_timeout`] asked for has come.
    fn handle_timeout(&mut self, sql: &dyn Sql, now_ms: i64);
    /// The outcome of an effect this object asked for.
    fn handle_result(&mut self, sql: &dyn Sql, now_ms: i64, id: EffectId, result: Outcome);
    /// When to call [`Object::handle_timeout`] next (ms since the epoch), if ever.
    fn poll_timeout(&self) -> Option<i64>;
    /// The next effect to carry out.
    fn poll_effect(&mut self) -> Option<(EffectId, Effect)>;
    /// What went wrong in work no client is waiting for (background steps, effects), for
    /// the host's log.
    fn take_diagnostics(&mut self) -> Vec<String>;
    /// Whether the host may close the object now and open it again later from its storage
    /// alone: nothing it holds only in memory would be lost (work in flight, answers it
    /// awaits). A host that closes idle objects asks this first, then wakes the object at
    /// its [`Object::poll_timeout`].
    fn may_close(&self) -> bool {
        true
    }
}

/// Runs a batch of commands in one transaction of `sql` (group commit): each command's
/// outcome is its own, unless one fails in a way that rolls back (storage, host, bug), which
/// fails the whole batch with that error.
pub fn run_batch(
    sql: &dyn Sql,
    commands: Vec<Command>,
    mut run: impl FnMut(Command) -> Outcome,
) -> Result<Vec<Outcome>, Error> {
    let mut results: Vec<Outcome> = Vec::with_capacity(commands.len());
    let read_only = commands.iter().all(|c| !c.is_write());
    let body = || -> Result<(), Error> {
        for cmd in commands {
            let r = run(cmd);
            if let Err(e) = &r {
                if e.rolls_back() {
                    return Err(e.clone());
                }
            }
            results.push(r);
        }
        Ok(())
    };
    if read_only {
        extenddo_log::sql::in_read_transaction(sql, body)?;
    } else {
        extenddo_log::sql::in_transaction(sql, body)?;
    }
    Ok(results)
}

/// A queue of effects with fresh ids, for objects to hold.
#[derive(Debug, Default)]
pub struct Effects {
    next: u64,
    queue: std::collections::VecDeque<(EffectId, Effect)>,
}

impl Effects {
    pub fn push(&mut self, effect: Effect) -> EffectId {
        self.next += 1;
        let id = EffectId(self.next);
        self.queue.push_back((id, effect));
        id
    }

    pub fn pop(&mut self) -> Option<(EffectId, Effect)> {
        self.queue.pop_front()
    }
}
