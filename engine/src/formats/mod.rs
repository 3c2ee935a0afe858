//! Item file formats: DynamoDB JSON (the wire's attribute values, and the lines of AWS's
//! exports), Amazon Ion text as AWS's ION exports write it, CSV as ImportTable reads it,
//! and the compressions of export and import files.

pub mod compression;
pub mod csv;
pub mod dynamodb_json;
pub mod ion;
