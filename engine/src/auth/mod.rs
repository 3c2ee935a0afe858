//! Who is calling and what they may do: pure code, no I/O, no state.
//!
//! - [`sigv4`]: the `Authorization` header read, and a request's signature recomputed with
//!   AWS's own signing code (the `aws-sigv4` crate) and compared in constant time;
//! - [`policy`]: IAM identity-based policies, parsed and evaluated;
//! - [`secrets`]: secret access keys sealed at rest, new key ids and secrets;
//! - [`password`]: argon2id password hashes.

pub mod password;
pub mod policy;
pub mod secrets;
pub mod sigv4;
