//! Log frames and segments: scanning and decoding arbitrary bytes never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| extenddo_engine::fuzzing::log_frames(data));
