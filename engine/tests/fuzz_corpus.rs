//! Replays the saved fuzz corpora (`fuzz/corpus/<target>/`) through the entry points the
//! cargo-fuzz targets call (`extenddo_engine::fuzzing`), so an ordinary `cargo test` on the
//! stable toolchain catches a regression on any input the fuzzer once found interesting.
//! Every input must be handled without a panic; requests must not end in a server error.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use extenddo_engine::fuzzing;
use extenddo_engine::log::sqlite::Sqlite;
use extenddo_engine::log::Sql;

fn open() -> Box<dyn Sql> {
    Box::new(Sqlite::in_memory().expect("in-memory SQLite"))
}

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no corpus", dir.display());
    files
}

/// The fuzzers run in release builds on the main thread (8 MB of stack); an unoptimized
/// test's frames are several times larger, and decoding nests as deep as the input does, so
/// the replay gets a stack to match.
const STACK: usize = 512 << 20;

/// Runs `f` on every corpus file of `target`; reports every input that panicked.
fn replay(target: &str, f: impl Fn(&[u8]) + Send + 'static) {
    let target = target.to_string();
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || replay_on_this_thread(&target, f))
        .unwrap()
        .join()
        .unwrap();
}

fn replay_on_this_thread(target: &str, f: impl Fn(&[u8])) {
    let mut failures = Vec::new();
    let files = corpus(target);
    for path in &files {
        let Ok(data) = std::fs::read(path) else {
            continue; // removed by a fuzzer running now
        };
        if let Err(e) = catch_unwind(AssertUnwindSafe(|| f(&data))) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {msg}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} {target} inputs failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn request_decode_corpus() {
    replay("request_decode", |data| {
        for r in fuzzing::request_decode(data, open) {
            assert!(
                !fuzzing::is_server_error(&r),
                "server error: {}",
                String::from_utf8_lossy(&r.body)
            );
        }
    });
}

#[test]
fn expressions_corpus() {
    replay("expressions", fuzzing::expressions);
}

#[test]
fn wire_values_corpus() {
    replay("wire_values", fuzzing::wire_values);
}

#[test]
fn import_formats_corpus() {
    replay("import_formats", fuzzing::import_formats);
}

#[test]
fn auth_parsers_corpus() {
    replay("auth_parsers", fuzzing::auth_parsers);
}

#[test]
fn log_frames_corpus() {
    replay("log_frames", fuzzing::log_frames);
}

/// The seed requests do what they say: the fixture table exists and answers.
#[test]
fn request_decode_reaches_the_table() {
    let body = br#"{"TableName": "fuzz", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}}"#;
    let mut input = vec![5u8];
    input.extend_from_slice(body);
    let responses = fuzzing::request_decode(&input, open);
    assert_eq!(responses.len(), 1);
    let v: serde_json::Value = serde_json::from_slice(&responses[0].body).unwrap();
    assert_eq!(responses[0].status, 200, "{v}");
    assert_eq!(v["Count"], 3);
}
