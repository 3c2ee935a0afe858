//! Every expression parser, evaluator and projector on arbitrary text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| extenddo_engine::fuzzing::expressions(data));
