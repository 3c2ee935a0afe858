//! The change log of one table object.
//!
//! Everything a client can observe about a table is a projection of this log, so this crate
//! owns the things a log record must be able to carry and check: the item value model
//! ([`value`]), the versioned events ([`event`]), the framing of a record on disk and on the
//! wire ([`frame`]), runs of frames ([`segment`]), sealed segments for the object store
//! ([`sealed`]) and the log table itself over the
//! synchronous [`sql::Sql`] port ([`store`]).

mod container;
pub mod event;
pub mod frame;
pub mod number;
pub mod sealed;
pub mod segment;
pub mod snapshot;
pub mod sql;
#[cfg(feature = "rusqlite")]
pub mod sqlite;
pub mod store;
pub mod value;

pub use container::ContainerError;
pub use event::Event;
pub use frame::{FrameError, Record};
pub use number::{Number, NumberError};
pub use sql::{Row, Sql, SqlError, SqlValue};
pub use store::{LogError, LogStore, VerifyReport};
pub use value::{AttributeValue, Item};
