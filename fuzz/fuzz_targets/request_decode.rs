//! Raw bytes as a sequence of DynamoDB HTTP requests (see `fuzzing::requests`) driven
//! through `Flow` against in-memory SQLite table objects, starting from a fixture table.
#![no_main]
use libfuzzer_sys::fuzz_target;

fn open() -> Box<dyn extenddo_log::Sql> {
    Box::new(extenddo_log::sqlite::Sqlite::in_memory().expect("in-memory SQLite"))
}

fuzz_target!(|data: &[u8]| {
    let responses = extenddo_engine::fuzzing::request_decode(data, open);
    if std::env::var_os("EXTENDDO_FUZZ_STRICT").is_some() {
        for r in &responses {
            assert!(
                !extenddo_engine::fuzzing::is_server_error(r),
                "server error: {}",
                String::from_utf8_lossy(&r.body)
            );
        }
    }
});
