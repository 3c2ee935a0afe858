//! SigV4 `Authorization` parsing, date checks, signature verification over arbitrary
//! headers, and IAM policy parsing and evaluation: no panic on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| extenddo_engine::fuzzing::auth_parsers(data));
