//! The language the engine's objects speak: typed commands and replies, the calls and
//! effects that carry them between objects and hosts, and the names things have (table ids,
//! ARNs, stream sequence numbers and shard iterators).
//!
//! Everything here is plain data with serde derives: natively it crosses threads as is, on
//! Cloudflare it crosses from the Worker to a Durable Object encoded with bincode
//! ([`codec`]). Nothing here knows JSON; `wire` decodes requests into these types and renders
//! replies from them.

pub mod backup;
pub mod capacity;
pub mod catalog;
pub mod codec;
pub mod command;
pub mod coordinator;
pub mod identity;
pub mod ids;
pub mod iterator;
pub mod object;
pub mod reply;
pub mod rules;
pub mod store;
pub mod streams;
pub mod tags;
pub mod time;
pub mod transfer;

pub use catalog::{CatalogCommand, CatalogReply, Incarnation, IncarnationState};
pub use command::TableCommand;
pub use ids::TableId;
pub use object::{Address, Call, Command, Effect, EffectId, Object, Outcome, Reply};
pub use reply::TableReply;
