//! The DynamoDB protocol and semantics, host-agnostic and I/O-free.
//!
//! Hosts drive a [`flow::Flow`] per HTTP request: it decodes the request and asks the host
//! to run [`catalog::CatalogRequest`]s on the catalog and [`op::TableRequest`]s on table
//! objects ([`table::TableObject`]), then hands back the HTTP response.

pub mod auth;
mod background;
pub mod batch;
pub mod capacity;
pub mod catalog;
pub mod config;
pub mod error;
pub mod expr;
pub mod flow;
#[doc(hidden)]
pub mod fuzzing;
pub mod keys;
pub mod legacy;
pub mod log_view;
pub mod op;
mod ops;
pub mod streams;
pub mod table;
pub mod table_def;
pub mod ttl;
pub mod wire;

pub use catalog::{Catalog, CatalogRequest};
pub use config::Config;
pub use error::{ApiError, ErrorKind};
pub use extenddo_log as log;
pub use extenddo_projections as projections;
pub use flow::{
    request_too_large, Action, Flow, HttpRequest, Response, CONTENT_TYPE, MAX_REQUEST_BYTES,
};
pub use op::{Op, TableRequest};
pub use table::{execute_absent, TableObject};
