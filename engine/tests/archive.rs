//! Log archiving through the object-store port, on the in-memory host: every record reaches
//! a sealed segment, the segments cover the log densely from LSN 1 and hold exactly its
//! records, the archived position is logged (and survives replay), and archiving resumes
//! after a restart from the logged position.

use extenddo_engine::api::store::segment_prefix;
use extenddo_engine::log::sqlite::Sqlite;
use extenddo_engine::log::{sealed, LogStore, Sql};
use extenddo_engine::projections;
use extenddo_engine::sim::Host;
use extenddo_engine::Config;
use serde_json::json;

fn open() -> Box<dyn Sql> {
    Box::new(Sqlite::in_memory().unwrap())
}

fn host(archive_records: u64) -> Host {
    let cfg = Config {
        archive_records,
        ..Config::default()
    };
    let mut h = Host::new(cfg, open, 1_700_000_000_000);
    let (status, v) = h.request(
        "CreateTable",
        &json!({"TableName": "arch", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}),
    );
    assert_eq!(status, 200, "{v}");
    h
}

fn write(h: &mut Host, i: u32) {
    let (status, v) = if i % 7 == 3 {
        h.request(
            "DeleteItem",
            &json!({"TableName": "arch", "Key": {"pk": {"S": format!("k{}", i - 1)}}}),
        )
    } else {
        h.request(
            "PutItem",
            &json!({"TableName": "arch", "Item": {"pk": {"S": format!("k{i}")}, "n": {"N": i.to_string()}}}),
        )
    };
    assert_eq!(status, 200, "{v}");
}

/// Checks the archive against the log; returns the last archived LSN.
fn check(h: &mut Host) -> u64 {
    let id = h.table_id("arch").unwrap();
    let prefix = segment_prefix(id.as_str());
    let keys: Vec<String> = h
        .store
        .keys()
        .filter(|k| k.starts_with(&prefix))
        .cloned()
        .collect();
    let mut next = 1;
    let mut archived = Vec::new();
    for key in &keys {
        let seg = sealed::open(&h.store[key]).unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_eq!(seg.header.table_id, id.as_str());
        assert_eq!(seg.header.first_lsn, next, "{key}");
        next = seg.header.last_lsn + 1;
        archived.extend(seg.records);
    }
    let sql = h.table_sql("arch").unwrap();
    let live = LogStore::read(sql, 1, archived.len()).unwrap();
    assert_eq!(archived, live, "segments hold exactly the log's records");
    // The archived position is logged, and the projection equals a replay.
    let logged = projections::archive::segments(sql).unwrap();
    assert_eq!(logged.iter().map(|s| s.2.clone()).collect::<Vec<_>>(), keys);
    let replayed = Sqlite::in_memory().unwrap();
    projections::init(&replayed).unwrap();
    projections::replay_into(sql, &replayed).unwrap();
    assert_eq!(projections::verify::compare(sql, &replayed).unwrap(), None);
    next - 1
}

#[test]
fn every_record_reaches_a_sealed_segment() {
    let mut h = host(50);
    for i in 0..500 {
        write(&mut h, i);
    }
    h.tick();
    let upto = check(&mut h);
    let last = LogStore::last_lsn(h.table_sql("arch").unwrap()).unwrap();
    // Less than one threshold's worth (plus the SegmentArchived records) waits.
    assert!(last - upto <= 50, "archived {upto} of {last}");
    assert!(upto >= 400, "archived {upto} of {last}");
}

#[test]
fn archiving_resumes_after_a_restart_from_the_logged_position() {
    let mut h = host(50);
    for i in 0..120 {
        write(&mut h, i);
    }
    let before = check(&mut h);
    // A fresh store after the restart: what the log says is archived is not sealed again;
    // the next segment starts right after the logged position.
    h.store.clear();
    h.restart();
    h.set_now(h.now() + 10);
    h.tick();
    let sql = h.table_sql("arch").unwrap();
    let logged = projections::archive::segments(sql).unwrap();
    assert_eq!(logged.last().map(|s| s.1), Some(before));
    for i in 120..300 {
        write(&mut h, i);
    }
    h.tick();
    let id = h.table_id("arch").unwrap();
    let stored: Vec<_> = h
        .store
        .keys()
        .filter(|k| k.contains(id.as_str()))
        .cloned()
        .collect();
    assert!(!stored.is_empty());
    let first = sealed::open(&h.store[&stored[0]]).unwrap();
    assert_eq!(first.header.first_lsn, before + 1);
}

#[test]
fn archiving_off_stores_nothing() {
    let mut h = host(0);
    for i in 0..200 {
        write(&mut h, i);
    }
    h.tick();
    assert!(h.store.is_empty());
}
