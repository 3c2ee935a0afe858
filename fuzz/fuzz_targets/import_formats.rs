//! Import file formats (Ion text, CSV, gzip and zstd streams): no panic, and Ion items
//! round-trip through the writer.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| extenddo_engine::fuzzing::import_formats(data));
