//! ExtendDO on Cloudflare: the Worker's fetch entry point and the four Durable Object classes.
//!
//! This crate is a thin host. DynamoDB semantics live in `extenddo-engine`; here we only
//! move bytes: the Worker runs an [`extenddo_engine::Flow`] per request and delivers the
//! calls it asks for to Durable Objects, which run the engine's catalog and table objects
//! over their SQLite storage and carry out their effects.
//!
//! - [`rpc`], [`config`] and [`values`]: the binary calls between the Worker and its Durable
//!   Objects, the Worker's configuration, and how integers cross into JS. Plain Rust,
//!   compiled (and unit-tested) on every target.
//! - `sql` (wasm32 only): the engine's `Sql` port over Durable Object `SqlStorage`, with
//!   transactions through `storage.transactionSync`.
//! - `entry` (wasm32 only): the fetch handler, driving the engine's request flow.
//! - `object_do` (wasm32 only): the glue every Durable Object class shares (one engine object,
//!   its effects, its alarm); `catalog_do`, `table_do`, `coordinator_do` and `identity_do`:
//!   the classes `CatalogObject`, `TableObjectDo`, `CoordinatorObjectDo` and
//!   `IdentityObjectDo`.
//!
//! On targets other than `wasm32` only the portable modules are built, so
//! `cargo check -p extenddo-worker` and `cargo test --workspace` work natively.

pub mod config;
pub mod rpc;
pub mod values;

#[cfg(target_arch = "wasm32")]
mod catalog_do;
#[cfg(target_arch = "wasm32")]
mod coordinator_do;
#[cfg(target_arch = "wasm32")]
mod entry;
#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
mod identity_do;
#[cfg(target_arch = "wasm32")]
mod object_do;
#[cfg(target_arch = "wasm32")]
mod sql;
#[cfg(target_arch = "wasm32")]
mod table_do;

#[cfg(target_arch = "wasm32")]
pub use catalog_do::CatalogObject;
#[cfg(target_arch = "wasm32")]
pub use coordinator_do::CoordinatorObjectDo;
#[cfg(target_arch = "wasm32")]
pub use identity_do::IdentityObjectDo;
#[cfg(target_arch = "wasm32")]
pub use table_do::TableObjectDo;
