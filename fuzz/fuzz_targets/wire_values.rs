//! DynamoDB JSON attribute values: decode, encode, decode again.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| extenddo_engine::fuzzing::wire_values(data));
