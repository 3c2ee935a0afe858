//! The JSON edge: DynamoDB's wire format in and out.
//!
//! - [`value`] and [`params`]: the attribute-value codec and typed access to request members;
//! - [`target`]: operations by `X-Amz-Target`; [`auth`]: the Authorization check;
//! - [`decode`]: stage one of validation, a body into a typed request; [`legacy`]: the
//!   legacy parameters translated into expression trees;
//! - [`render`]: typed replies into response bodies; [`response`]: the one response builder;
//! - [`log_view`]: log records as people and tools see them.

pub mod auth;
pub mod decode;
pub mod dump;
pub mod http;
pub mod legacy;
pub mod log_view;
pub mod params;
pub mod render;
pub mod response;
pub mod target;
pub mod value;

pub use params::{Constraints, Params};
pub use value::{decode_item, decode_value, encode_item, encode_value};
