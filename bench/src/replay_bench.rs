//! `extenddo-replay-bench`: how fast a table's log replays into fresh projections — the
//! work under point-in-time restore, restore from backup and `extenddo log verify`.
//!
//! It writes a table's log directly (TableCreated with one global secondary index, then
//! `--items` puts, updates of `--updates-pct` % of them and deletes of `--deletes-pct` %),
//! into an SQLite file in a temporary directory, then measures:
//!
//! - `replay`: every record folded into empty projections (items, the index, …) in another
//!   SQLite file, in one transaction (`projections::replay_into`);
//! - `seal`: the log sealed into 10,000-record segments (zstd, checksums) as archiving does;
//! - `replay from segments`: the segments opened (checksums, decompression, frames) and
//!   folded into empty projections — a restore from the object store.
//!
//! Events/s counts log records. See docs/benchmarks.md.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use extenddo_engine::log::sql::in_transaction;
use extenddo_engine::log::sqlite::{Durability, Sqlite};
use extenddo_engine::log::{sealed, AttributeValue, Event, Item, LogStore, Record, Sql};
use extenddo_engine::projections;
use extenddo_engine::sim::Host;
use extenddo_engine::Config;
use serde_json::json;

#[derive(Parser, Debug)]
#[command(name = "extenddo-replay-bench", about)]
struct Args {
    /// Items put (each one record).
    #[arg(long, default_value_t = 100_000)]
    items: u64,
    /// Percentage of the items updated afterwards (one record each).
    #[arg(long, default_value_t = 20)]
    updates_pct: u64,
    /// Percentage of the items deleted afterwards (one record each).
    #[arg(long, default_value_t = 5)]
    deletes_pct: u64,
    /// Where the temporary files go (default: the system's temporary directory).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

const SEGMENT_RECORDS: usize = 10_000;

fn item(i: u64, version: u64) -> Item {
    let mut it = Item::new();
    it.insert("pk".into(), AttributeValue::S(format!("k{i:010}")));
    it.insert(
        "g0".into(),
        AttributeValue::S(format!("g{:05}", i % 10_000)),
    );
    it.insert(
        "payload".into(),
        AttributeValue::S(format!("{:0>150}", i.wrapping_mul(0x9E37_79B9) ^ version)),
    );
    it.insert(
        "n".into(),
        AttributeValue::N(
            extenddo_engine::log::Number::parse(&(i * 10 + version).to_string()).expect("number"),
        ),
    );
    it
}

/// The TableCreated schema JSON of a table with one global secondary index, as the engine
/// writes it.
fn schema_json() -> Result<String, String> {
    fn open() -> Box<dyn Sql> {
        Box::new(Sqlite::in_memory().expect("in-memory SQLite"))
    }
    let mut host = Host::new(Config::default(), open, 1_700_000_000_000);
    let (status, v) = host.request(
        "CreateTable",
        &json!({"TableName": "replay", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "g0", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": [{"IndexName": "gsi0",
                "KeySchema": [{"AttributeName": "g0", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}}]}),
    );
    if status != 200 {
        return Err(format!("CreateTable: {v}"));
    }
    let sql = host.table_sql("replay").ok_or("no table")?;
    match LogStore::read(sql, 1, 1).map_err(|e| e.to_string())?.pop() {
        Some(Record {
            event: Event::TableCreated { schema_json },
            ..
        }) => Ok(schema_json),
        other => Err(format!("first record: {other:?}")),
    }
}

fn write_log(sql: &dyn Sql, a: &Args, schema: String) -> Result<u64, String> {
    LogStore::init(sql).map_err(|e| e.to_string())?;
    let mut events: Vec<Event> = vec![Event::TableCreated {
        schema_json: schema,
    }];
    let mut lsn = 0u64;
    let flush = |events: &mut Vec<Event>, lsn: &mut u64| -> Result<(), String> {
        in_transaction(sql, || -> Result<(), extenddo_engine::log::LogError> {
            for e in events.drain(..) {
                *lsn += 1;
                LogStore::append(sql, *lsn, 1_700_000_000_000 + *lsn as i64, &e)?;
            }
            Ok(())
        })
        .map_err(|e| e.to_string())
    };
    for i in 0..a.items {
        events.push(Event::ItemPut {
            old: None,
            new: item(i, 0),
        });
        if events.len() >= 10_000 {
            flush(&mut events, &mut lsn)?;
        }
    }
    let every = |pct: u64| 100u64.checked_div(pct).map_or(u64::MAX, |n| n.max(1));
    for i in (0..a.items).step_by(every(a.updates_pct) as usize) {
        events.push(Event::ItemPut {
            old: Some(item(i, 0)),
            new: item(i, 1),
        });
        if events.len() >= 10_000 {
            flush(&mut events, &mut lsn)?;
        }
    }
    for i in (1..a.items).step_by(every(a.deletes_pct) as usize) {
        let old = if i % every(a.updates_pct) == 0 {
            item(i, 1)
        } else {
            item(i, 0)
        };
        events.push(Event::ItemDeleted { old });
        if events.len() >= 10_000 {
            flush(&mut events, &mut lsn)?;
        }
    }
    flush(&mut events, &mut lsn)?;
    Ok(lsn)
}

/// A bulk load keeps its working set in memory: SQLite's default page cache is 2 MB.
const CACHE_PRAGMA: &str = "PRAGMA cache_size = -262144";

fn fresh(path: &std::path::Path) -> Result<Sqlite, String> {
    let _ = std::fs::remove_file(path);
    let sql = Sqlite::open(path, Durability::Normal).map_err(|e| e.to_string())?;
    sql.exec(CACHE_PRAGMA, &[]).map_err(|e| e.to_string())?;
    projections::init(&sql).map_err(|e| e.to_string())?;
    Ok(sql)
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("extenddo-replay-bench: {e}");
        std::process::exit(1);
    }
}

fn run(a: Args) -> Result<(), String> {
    let base = a.dir.clone().unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("extenddo-replay-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let result = measure(&a, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn measure(a: &Args, dir: &std::path::Path) -> Result<(), String> {
    let source =
        Sqlite::open(&dir.join("source.sqlite"), Durability::Normal).map_err(|e| e.to_string())?;
    source.exec(CACHE_PRAGMA, &[]).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let records = write_log(&source, a, schema_json()?)?;
    let write_s = t.elapsed().as_secs_f64();

    // 1. Replay the live log.
    let target = fresh(&dir.join("replay.sqlite"))?;
    let t = Instant::now();
    in_transaction(&target, || projections::replay_into(&source, &target))
        .map_err(|e| e.to_string())?;
    let replay_s = t.elapsed().as_secs_f64();
    let items = projections::items::dump(&target)
        .map_err(|e| e.to_string())?
        .len();

    // 2. Seal into segments.
    let t = Instant::now();
    let mut segments = Vec::new();
    let mut from = 1;
    loop {
        let recs = LogStore::read(&source, from, SEGMENT_RECORDS).map_err(|e| e.to_string())?;
        let Some(last) = recs.last().map(|r| r.lsn) else {
            break;
        };
        segments.push(sealed::seal("bench", &recs).map_err(|e| e.to_string())?);
        from = last + 1;
    }
    let seal_s = t.elapsed().as_secs_f64();
    let stored: usize = segments.iter().map(Vec::len).sum();

    // 3. Replay from the segments.
    let target2 = fresh(&dir.join("restore.sqlite"))?;
    let t = Instant::now();
    in_transaction(&target2, || -> Result<(), projections::ProjectionError> {
        let mut replay = projections::Replay::default();
        for bytes in &segments {
            let seg =
                sealed::open(bytes).map_err(|e| projections::ProjectionError::Inconsistent {
                    lsn: 0,
                    what: e.to_string(),
                })?;
            for r in &seg.records {
                replay.push(&target2, r)?;
            }
        }
        replay.finish(&target2).map(|_| ())
    })
    .map_err(|e| e.to_string())?;
    let restore_s = t.elapsed().as_secs_f64();
    let items2 = projections::items::dump(&target2)
        .map_err(|e| e.to_string())?
        .len();
    if items2 != items {
        return Err(format!(
            "{items2} items from segments, {items} from the log"
        ));
    }

    let rate = |s: f64| records as f64 / s.max(1e-9);
    if a.json {
        println!(
            "{}",
            json!({
                "items_put": a.items, "records": records, "live_items": items,
                "write_log_s": write_s,
                "replay_s": replay_s, "replay_events_per_sec": rate(replay_s),
                "seal_s": seal_s, "seal_events_per_sec": rate(seal_s),
                "segments": segments.len(), "segment_bytes": stored,
                "replay_from_segments_s": restore_s,
                "replay_from_segments_events_per_sec": rate(restore_s),
            })
        );
    } else {
        println!(
            "{records} records ({} items put, {items} live, one GSI)",
            a.items
        );
        println!(
            "replay:               {replay_s:8.2} s  {:>10.0} events/s",
            rate(replay_s)
        );
        println!("seal into segments:   {seal_s:8.2} s  {:>10.0} events/s  ({} segments, {stored} bytes)", rate(seal_s), segments.len());
        println!(
            "replay from segments: {restore_s:8.2} s  {:>10.0} events/s",
            rate(restore_s)
        );
    }
    Ok(())
}
