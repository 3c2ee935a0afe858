//! Golden bytes: the log format is a promise to every log already written. If one of these
//! fails, the change broke replay of existing logs; add a new event variant or frame
//! version instead of changing an old one.

use std::collections::BTreeMap;

use extenddo_log::event::TxToken;
use extenddo_log::frame::{Record, FRAME_VERSION};
use extenddo_log::segment::{scan, Tail};
use extenddo_log::{AttributeValue as A, Event, FrameError, Item, Number};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn item() -> Item {
    let mut m = BTreeMap::new();
    m.insert("pk".to_string(), A::S("a".into()));
    m.insert("n".to_string(), A::N(Number::parse("-1.5").unwrap()));
    m.insert("b".to_string(), A::B(vec![0, 255]));
    m.insert("ss".to_string(), A::SS(vec!["x".into()]));
    m.insert("ns".to_string(), A::NS(vec![Number::parse("7").unwrap()]));
    m.insert("bs".to_string(), A::BS(vec![vec![1]]));
    let mut inner = BTreeMap::new();
    inner.insert("k".to_string(), A::BOOL(true));
    m.insert("m".to_string(), A::M(inner));
    m.insert("l".to_string(), A::L(vec![A::NULL(true)]));
    m
}

fn record(event: Event) -> Record {
    Record {
        lsn: 7,
        ts_ms: 1_700_000_000_123,
        event,
    }
}

const GOLDEN: &[(&str, &str)] = &[
    ("TableCreated", "0107000000000000007b68e5cf8b0100000900000000077b2261223a317de3c03bc0"),
    ("TableDeleted", "0107000000000000007b68e5cf8b01000001000000014a579e18"),
    ("ItemPut", "0107000000000000007b68e5cf8b010000720000000201080162020200ff02627305010101016c07010801016d0601016b0901016e01042d312e35026e730401013702706b00016102737303010178080162020200ff02627305010101016c07010801016d0601016b0901016e01042d312e35026e730401013702706b000161027373030101780c85c0a8"),
    ("ItemDeleted", "0107000000000000007b68e5cf8b0100003900000003080162020200ff02627305010101016c07010801016d0601016b0901016e01042d312e35026e730401013702706b00016102737303010178427d0ac6"),
    ("TableUpdated", "0107000000000000007b68e5cf8b0100000900000004077b2262223a327dfcb85af1"),
    ("ItemExpired", "0107000000000000007b68e5cf8b0100003900000005080162020200ff02627305010101016c07010801016d0601016b0901016e01042d312e35026e730401013702706b000161027373030101781a90f495"),
    ("IndexBackfilled", "0107000000000000007b68e5cf8b0100000c000000060467736931010a01010000e9359d67"),
    ("TxPrepared", "0107000000000000007b68e5cf8b010000660000000702743101030103746f6b023066020102706b0001610102706b000162020102706b00016101080162020200ff02627305010101016c07010801016d0601016b0901016e01042d312e35026e730401013702706b000161027373030101780102706b000162001bb60019"),
    ("TxResolved", "0107000000000000007b68e5cf8b010000050000000802743101ec6ce758"),
    ("TxIntent", "0107000000000000007b68e5cf8b0100000a00000009027431000201780179587d6f5e"),
    ("TxDecided", "0107000000000000007b68e5cf8b010000050000000a027431001a0f2055"),
    ("TxCompleted", "0107000000000000007b68e5cf8b010000040000000b0274316a22555e"),
    ("TxStaged", "0107000000000000007b68e5cf8b010000450000000c027431010102706b00016301080162020200ff02627305010101016c07010801016d0601016b0901016e01042d312e35026e730401013702706b00016102737303010178cebcd000"),
    ("SegmentArchived", "0107000000000000007b68e5cf8b0100001c0000000d01fb2c01167461626c65732f742f6c6f672f312d3330302e7365675f65b127"),
    ("SnapshotArchived", "0107000000000000007b68e5cf8b010000280000000efb2c01fd00d0ca9f170300001a7461626c65732f742f736e617073686f74732f3330302e736e70cd5bb295"),
    ("LogTrimmed", "0107000000000000007b68e5cf8b010000040000000ffb2c01921a993f"),
];

fn events() -> Vec<Event> {
    vec![
        Event::TableCreated {
            schema_json: r#"{"a":1}"#.into(),
        },
        Event::TableDeleted,
        Event::ItemPut {
            old: Some(item()),
            new: item(),
        },
        Event::ItemDeleted { old: item() },
        Event::TableUpdated {
            schema_json: r#"{"b":2}"#.into(),
        },
        Event::ItemExpired { old: item() },
        Event::IndexBackfilled {
            index: "gsi1".into(),
            after: Some((5, vec![1], vec![])),
            upto: None,
        },
        Event::TxPrepared {
            txid: "t1".into(),
            coordinator: Some(3),
            token: Some(TxToken {
                token: "tok".into(),
                request: "0f".into(),
            }),
            locks: vec![key("a"), key("b")],
            writes: vec![(key("a"), Some(item())), (key("b"), None)],
        },
        Event::TxResolved {
            txid: "t1".into(),
            commit: true,
        },
        Event::TxIntent {
            txid: "t1".into(),
            token: None,
            participants: vec!["x".into(), "y".into()],
        },
        Event::TxDecided {
            txid: "t1".into(),
            commit: false,
        },
        Event::TxCompleted { txid: "t1".into() },
        Event::TxStaged {
            txid: "t1".into(),
            writes: vec![(key("c"), Some(item()))],
        },
        Event::SegmentArchived {
            first: 1,
            last: 300,
            key: "tables/t/log/1-300.seg".into(),
        },
        Event::SnapshotArchived {
            lsn: 300,
            ts_ms: 1_700_000_000_000,
            key: "tables/t/snapshots/300.snp".into(),
        },
        Event::LogTrimmed { upto: 300 },
    ]
}

fn key(pk: &str) -> Item {
    let mut m = BTreeMap::new();
    m.insert("pk".to_string(), A::S(pk.into()));
    m
}

#[test]
fn every_event_kind_encodes_to_its_golden_bytes() {
    assert_eq!(FRAME_VERSION, 1);
    let mut mismatches = Vec::new();
    assert_eq!(
        events().len(),
        GOLDEN.len(),
        "every event kind has golden bytes"
    );
    for (event, (kind, golden)) in events().into_iter().zip(GOLDEN) {
        assert_eq!(event.kind(), *kind);
        let bytes = record(event.clone()).encode();
        if hex(&bytes) != *golden {
            mismatches.push(format!("{kind}: {}", hex(&bytes)));
        }
        // Golden bytes decode back to the same record.
        let golden_bytes: Vec<u8> = (0..golden.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&golden[i..i + 2], 16).unwrap())
            .collect();
        let (decoded, used) = Record::decode(&golden_bytes)
            .unwrap_or_else(|e| panic!("{kind}: the golden bytes no longer decode: {e}"));
        assert_eq!(used, golden_bytes.len(), "{kind}");
        assert_eq!(decoded, record(event), "{kind}");
    }
    assert!(
        mismatches.is_empty(),
        "encoding changed:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn a_flipped_bit_is_corruption_and_a_short_tail_is_torn() {
    let a = record(events()[2].clone()).encode();
    let b = record(events()[3].clone()).encode();
    let mut stream = [a.clone(), b.clone()].concat();
    assert_eq!(scan(&stream).tail, Tail::Clean);
    assert_eq!(scan(&stream).records.len(), 2);

    let torn = &stream[..a.len() + b.len() - 3];
    let s = scan(torn);
    assert_eq!(s.records.len(), 1);
    assert_eq!(s.tail, Tail::Torn { offset: a.len() });

    stream[a.len() + 30] ^= 0x10;
    let s = scan(&stream);
    assert_eq!(s.records.len(), 1);
    assert!(
        matches!(s.tail, Tail::Corrupt { offset, error: FrameError::Checksum { .. } } if offset == a.len())
    );
}

#[test]
fn unknown_versions_are_refused() {
    let mut a = record(Event::TableDeleted).encode();
    a[0] = 2;
    assert_eq!(Record::decode(&a).unwrap_err(), FrameError::Version(2));
}

/// A sealed segment of two records (header, then the zstd body), as written by this build.
/// The header layout is the format; the body is zstd's output for these frames at level 3
/// with the zstd pinned in Cargo.lock (a zstd upgrade may re-compress differently, which
/// readers accept: the golden bytes must still open to the same records).
const GOLDEN_SEGMENT: &str = "4558444f534547000100012430623662306530652d366134652d346331652d613866312d336332643165306639613862070000000000000008000000000000000068e5cf8b0100000168e5cf8b01000002000000a50000006d000000bc4a4a98080ded6e28b52ffd20a525030092051522a027e93f9aff2bae96aa5abe16fdfd274b584fe11fb67d2ec4000cdf08698d909d648ff1689cb683ab5e908264f127130db72950f0281d2e40a041bb67da2f895727c4bf920c274564ab625b42fb73440e4d070400ade2a8151c63008e191802";

#[test]
fn a_sealed_segment_encodes_to_its_golden_bytes() {
    use extenddo_log::sealed;
    let records: Vec<Record> = [
        Event::ItemPut {
            old: None,
            new: item(),
        },
        Event::ItemDeleted { old: item() },
    ]
    .into_iter()
    .enumerate()
    .map(|(i, event)| Record {
        lsn: 7 + i as u64,
        ts_ms: 1_700_000_000_000 + i as i64,
        event,
    })
    .collect();
    let bytes = sealed::seal("0b6b0e0e-6a4e-4c1e-a8f1-3c2d1e0f9a8b", &records).unwrap();
    let golden: Vec<u8> = (0..GOLDEN_SEGMENT.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&GOLDEN_SEGMENT[i..i + 2], 16).unwrap())
        .collect();
    let opened = sealed::open(&golden).expect("the golden segment opens");
    assert_eq!(opened.records, records);
    assert_eq!(
        opened.header.table_id,
        "0b6b0e0e-6a4e-4c1e-a8f1-3c2d1e0f9a8b"
    );
    assert_eq!(hex(&bytes), GOLDEN_SEGMENT, "segment encoding changed");
}

/// A snapshot of two items (header, then the zstd body), as written by this build; see
/// `GOLDEN_SEGMENT` for what a zstd upgrade may change.
const GOLDEN_SNAPSHOT: &str = "4558444f534e50000100012430623662306530652d366134652d346331652d613866312d3363326431653066396138622a000000000000002a68e5cf8b010000020000000000000052000000000000005b00000000000000b5d46ccce3b6baff28b52ffd2052910200070000007b2261223a317d070000000102706b00016138000000080162020200ff02627305010101016c07010801016d0601016b0901016e01042d312e35026e730401013702706b00016102737303010178";

#[test]
fn a_snapshot_encodes_to_its_golden_bytes() {
    use extenddo_log::snapshot;
    let items = vec![key("a"), item()];
    let bytes = snapshot::write_items(
        "0b6b0e0e-6a4e-4c1e-a8f1-3c2d1e0f9a8b",
        42,
        1_700_000_000_042,
        r#"{"a":1}"#,
        &items,
    )
    .unwrap();
    let golden: Vec<u8> = (0..GOLDEN_SNAPSHOT.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&GOLDEN_SNAPSHOT[i..i + 2], 16).unwrap())
        .collect();
    let opened = snapshot::open(&golden).expect("the golden snapshot opens");
    assert_eq!(opened.items, items);
    assert_eq!(
        (opened.header.lsn, opened.schema_json.as_str()),
        (42, r#"{"a":1}"#)
    );
    assert_eq!(hex(&bytes), GOLDEN_SNAPSHOT, "snapshot encoding changed");
}
