//! The DynamoDB JSON codec for attribute values lives in `formats::dynamodb_json` (exports
//! and imports write and read the same JSON); the wire uses it from here.

pub use crate::formats::dynamodb_json::*;
