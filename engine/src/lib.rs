//! The DynamoDB protocol and semantics, host-agnostic. The engine does no I/O of its own
//! except through the `Sql` port its objects are handed: everything else — calls between
//! objects, timers, retiring storage — it asks of its host.
//!
//! Layers, each using only those before it:
//!
//! 1. [`expr`] — the expression language; [`error`], [`config`].
//! 2. [`api`] — the typed commands, replies, calls and effects objects exchange.
//! 3. [`wire`] — the JSON edge: requests decoded into commands, replies rendered;
//!    [`table`] — the table object (operations, background work);
//!    [`catalog`] — the catalog object (names, incarnations, their lifecycle).
//! 4. [`flow`] — the request flow: routing and the multi-object protocols.
//!
//! Hosts drive a [`flow::Flow`] per HTTP request and run objects ([`api::Object`]) made by
//! [`open_object`]; [`sim`] is such a host in memory, for tests and fuzzing.

pub mod api;
pub mod auth;
pub mod catalog;
pub mod config;
pub mod coordinator;
pub mod error;
pub mod expr;
pub mod flow;
pub mod formats;
#[doc(hidden)]
pub mod fuzzing;
pub mod identity;
#[doc(hidden)]
pub mod sim;
pub mod table;
pub mod wire;

pub use api::{Address, Call, Command, Effect, EffectId, Object, Outcome, Reply, TableId};
pub use config::Config;
pub use error::{ApiError, Error, ErrorKind};
pub use extenddo_log as log;
pub use extenddo_projections as projections;
pub use flow::{request_too_large, Action, Flow, FrontEnd, HttpRequest, MAX_REQUEST_BYTES};
pub use wire::response::{HttpResponse, CONTENT_TYPE};

/// The object living at `address`, over its storage: the one constructor hosts call.
pub fn open_object(
    address: &Address,
    sql: &dyn extenddo_log::Sql,
    cfg: Config,
) -> Result<Box<dyn Object>, Error> {
    Ok(match address {
        Address::Catalog => Box::new(catalog::CatalogObject::open(sql, cfg)?),
        Address::Table(id) => Box::new(table::TableObject::open(sql, cfg, id.clone())?),
        Address::Coordinator(_) => Box::new(coordinator::CoordinatorObject::open(sql, cfg)?),
        Address::Store => return Err(Error::bug("the object store is not an object")),
        Address::Identity => Box::new(identity::IdentityObject::open(sql)?),
    })
}

/// Commands with their positions in a batch.
pub type Positioned = Vec<(usize, Command)>;

/// Splits a batch of commands into its reads and its writes, keeping each one's position,
/// so that a host can answer the reads without waiting for the writes' commit.
pub fn split_reads(batch: Vec<Command>) -> (Positioned, Positioned) {
    batch
        .into_iter()
        .enumerate()
        .partition(|(_, c)| !c.is_write())
}
