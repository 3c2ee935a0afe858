//! Golden values the log depends on beyond its frames: the schema JSON inside
//! `TableCreated` / `TableUpdated`, the partition hash and the key encodings that
//! `IndexBackfilled` positions (and every projection's order) are made of. If one of these
//! fails, logs already written would replay differently: add fields with defaults instead.

use extenddo_log::{AttributeValue as A, Item, Number};
use extenddo_projections::indexes::encode_attrs;
use extenddo_projections::items::partition_hash;
use extenddo_projections::keycode;
use extenddo_projections::schema::{
    Import, IndexKind, IndexProjection, IndexSchema, IndexStatus, Pitr, ProjectionType, Restore,
    RestoreFrom, Throughput,
};
use extenddo_projections::streams::{ShardState, StreamState, StreamViewType, Streams, TtlState};
use extenddo_projections::{KeyAttr, KeySchema, KeyType, TableSchema};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn attr(name: &str, ty: KeyType) -> KeyAttr {
    KeyAttr {
        name: name.into(),
        ty,
    }
}

/// A schema with every part: sort key, a multi-attribute GSI being backfilled, an INCLUDE
/// LSI, provisioned throughput, a stream with a closed and an open shard, and TTL.
fn full_schema() -> TableSchema {
    TableSchema {
        name: "Music".into(),
        id: "0b6b0e0e-6a4e-4c1e-a8f1-3c2d1e0f9a8b".into(),
        created_ms: 1_795_788_000_123,
        key: KeySchema {
            hash: attr("Artist", KeyType::S),
            range: Some(attr("Song", KeyType::S)),
        },
        attributes: vec![
            attr("Artist", KeyType::S),
            attr("Song", KeyType::S),
            attr("Year", KeyType::N),
            attr("Genre", KeyType::S),
            attr("Cover", KeyType::B),
        ],
        billing_mode: "PROVISIONED".into(),
        throughput: Some(Throughput { read: 5, write: 7 }),
        indexes: vec![
            IndexSchema {
                name: "ByGenreYear".into(),
                kind: IndexKind::Global,
                hash: vec![attr("Genre", KeyType::S), attr("Cover", KeyType::B)],
                range: vec![attr("Year", KeyType::N)],
                projection: IndexProjection {
                    ty: ProjectionType::All,
                    non_key: vec![],
                },
                status: IndexStatus::Creating,
                backfilled_upto: Some((42, vec![0x61], vec![0x62, 0x00])),
                throughput: Some(Throughput { read: 1, write: 2 }),
            },
            IndexSchema {
                name: "ByYear".into(),
                kind: IndexKind::Local,
                hash: vec![attr("Artist", KeyType::S)],
                range: vec![attr("Year", KeyType::N)],
                projection: IndexProjection {
                    ty: ProjectionType::Include,
                    non_key: vec!["Album".into(), "Price".into()],
                },
                status: IndexStatus::Active,
                backfilled_upto: None,
                throughput: None,
            },
        ],
        stream: Some(Streams {
            streams: vec![StreamState {
                label: "2026-11-27T14:00:00.123".into(),
                created_ms: 1_795_788_000_123,
                view_type: StreamViewType::NewAndOldImages,
                shards: vec![
                    ShardState {
                        id: "shardId-00000001795788000123-0a1b2c3d".into(),
                        parent: None,
                        first_lsn: 2,
                        last_lsn: Some(9),
                        created_ms: 1_795_788_000_123,
                        closed_ms: Some(1_795_802_400_123),
                    },
                    ShardState {
                        id: "shardId-00000001795802400123-4e5f6a7b".into(),
                        parent: Some("shardId-00000001795788000123-0a1b2c3d".into()),
                        first_lsn: 11,
                        last_lsn: None,
                        created_ms: 1_795_802_400_123,
                        closed_ms: None,
                    },
                ],
                disabled_ms: None,
            }],
        }),
        ttl: Some(TtlState {
            attribute: "ExpiresAt".into(),
        }),
        deleted_ms: None,
        pitr: Some(Pitr {
            since_ms: 1795788000123,
            recovery_days: 35,
        }),
        restore: Some(Restore {
            source_table_arn: "arn:aws:dynamodb:us-east-1:000000000000:table/Src".into(),
            source_backup_arn: None,
            restore_ms: 1795788000000,
            from: RestoreFrom::PointInTime {
                table_id: "1c6b0e0e-6a4e-4c1e-a8f1-3c2d1e0f9a8b".into(),
                at_ms: 1795788000000,
            },
            based: true,
            base: Some((
                "tables/1c6b0e0e-6a4e-4c1e-a8f1-3c2d1e0f9a8b/snapshots/00000000000000000300.snp"
                    .into(),
                300,
            )),
            loaded: 120,
            through: 300,
            done: false,
            failed: None,
        }),
        import: Some(Import {
            record: r#"{"arn":"arn:aws:dynamodb:us-east-1:000000000000:table/Music/import/01795788000123-0a1b2c3d"}"#.into(),
            objects: Some(vec![("buckets/b/in/part-1.json.gz".into(), 1234)]),
            object: 0,
            records: 5000,
            processed_bytes: 700_000,
            processed_items: 5001,
            imported_items: 5000,
            errors: 1,
            done: false,
            failed: None,
        }),
        account: Some("123456789012".into()),
        tags: [("Team".to_owned(), "Storage".to_owned()), ("empty".to_owned(), String::new())]
            .into_iter()
            .collect(),
        stream_tags: [(
            "2026-11-27T14:00:00.123".to_owned(),
            [("Owner".to_owned(), "streams".to_owned())].into_iter().collect(),
        )]
        .into_iter()
        .collect(),
    }
}

const SCHEMA_JSON: &str = r#"{"name":"Music","id":"0b6b0e0e-6a4e-4c1e-a8f1-3c2d1e0f9a8b","created_ms":1795788000123,"key":{"hash":{"name":"Artist","ty":"S"},"range":{"name":"Song","ty":"S"}},"attributes":[{"name":"Artist","ty":"S"},{"name":"Song","ty":"S"},{"name":"Year","ty":"N"},{"name":"Genre","ty":"S"},{"name":"Cover","ty":"B"}],"billing_mode":"PROVISIONED","throughput":{"read":5,"write":7},"indexes":[{"name":"ByGenreYear","kind":"Global","hash":[{"name":"Genre","ty":"S"},{"name":"Cover","ty":"B"}],"range":[{"name":"Year","ty":"N"}],"projection":{"ty":"All","non_key":[]},"status":"Creating","backfilled_upto":[42,[97],[98,0]],"throughput":{"read":1,"write":2}},{"name":"ByYear","kind":"Local","hash":[{"name":"Artist","ty":"S"}],"range":[{"name":"Year","ty":"N"}],"projection":{"ty":"Include","non_key":["Album","Price"]},"status":"Active","backfilled_upto":null,"throughput":null}],"stream":{"streams":[{"label":"2026-11-27T14:00:00.123","created_ms":1795788000123,"view_type":"NewAndOldImages","shards":[{"id":"shardId-00000001795788000123-0a1b2c3d","parent":null,"first_lsn":2,"last_lsn":9,"created_ms":1795788000123,"closed_ms":1795802400123},{"id":"shardId-00000001795802400123-4e5f6a7b","parent":"shardId-00000001795788000123-0a1b2c3d","first_lsn":11,"last_lsn":null,"created_ms":1795802400123,"closed_ms":null}],"disabled_ms":null}]},"ttl":{"attribute":"ExpiresAt"},"deleted_ms":null,"pitr":{"since_ms":1795788000123,"recovery_days":35},"restore":{"source_table_arn":"arn:aws:dynamodb:us-east-1:000000000000:table/Src","source_backup_arn":null,"restore_ms":1795788000000,"from":{"PointInTime":{"table_id":"1c6b0e0e-6a4e-4c1e-a8f1-3c2d1e0f9a8b","at_ms":1795788000000}},"based":true,"base":["tables/1c6b0e0e-6a4e-4c1e-a8f1-3c2d1e0f9a8b/snapshots/00000000000000000300.snp",300],"loaded":120,"through":300,"done":false,"failed":null},"import":{"record":"{\"arn\":\"arn:aws:dynamodb:us-east-1:000000000000:table/Music/import/01795788000123-0a1b2c3d\"}","objects":[["buckets/b/in/part-1.json.gz",1234]],"object":0,"records":5000,"processed_bytes":700000,"processed_items":5001,"imported_items":5000,"errors":1,"done":false,"failed":null},"account":"123456789012","tags":{"Team":"Storage","empty":""},"stream_tags":{"2026-11-27T14:00:00.123":{"Owner":"streams"}}}"#;

#[test]
fn the_schema_encodes_to_its_golden_json_and_back() {
    let json = serde_json::to_string(&full_schema()).unwrap();
    assert_eq!(json, SCHEMA_JSON, "the schema JSON changed");
    let back: TableSchema = serde_json::from_str(SCHEMA_JSON).unwrap();
    assert_eq!(back, full_schema());
}

/// A schema logged before a field existed still reads, with the field's default.
#[test]
fn older_schemas_read_with_defaults() {
    let minimal = r#"{"name":"t","id":"i","created_ms":1,"key":{"hash":{"name":"pk","ty":"S"},"range":null},"attributes":[{"name":"pk","ty":"S"}],"billing_mode":"PAY_PER_REQUEST"}"#;
    let s: TableSchema = serde_json::from_str(minimal).unwrap();
    assert!(s.indexes.is_empty() && s.stream.is_none() && s.ttl.is_none());
    assert!(s.pitr.is_none() && s.restore.is_none() && s.import.is_none());
    assert_eq!((s.throughput, s.deleted_ms), (None, None));
    assert!(s.tags.is_empty() && s.stream_tags.is_empty());
}

fn n(s: &str) -> A {
    A::N(Number::parse(s).unwrap())
}

fn key_vectors() -> Vec<(KeyType, A)> {
    vec![
        (KeyType::S, A::S("".into())),
        (KeyType::S, A::S("a".into())),
        (KeyType::S, A::S("Artist#é".into())),
        (KeyType::B, A::B(vec![])),
        (KeyType::B, A::B(vec![0x00, 0xff, 0x10])),
        (KeyType::N, n("0")),
        (KeyType::N, n("1")),
        (KeyType::N, n("-1")),
        (KeyType::N, n("1.5")),
        (KeyType::N, n("-1.5")),
        (KeyType::N, n("10")),
        (KeyType::N, n("100")),
        (KeyType::N, n("0.001")),
        (KeyType::N, n("-0.001")),
        (
            KeyType::N,
            n("9.9999999999999999999999999999999999999E+125"),
        ),
        (
            KeyType::N,
            n("-9.9999999999999999999999999999999999999E+125"),
        ),
        (KeyType::N, n("1E-130")),
        (KeyType::N, n("-1E-130")),
    ]
}

/// (encoded key bytes in hex, partition hash of those bytes), one per key vector.
const KEY_GOLDEN: &[(&str, i64)] = &[
    ("", 0),
    ("61", 3904355907),
    ("41727469737423c3a9", 3652252929),
    ("", 0),
    ("00ff10", 1909601284),
    ("02", 1007455905),
    ("038231", 2775358904),
    ("017d38ff", 4283174924),
    ("03823135", 1101954189),
    ("017d3834ff", 3729198782),
    ("038331", 3161959673),
    ("038431", 4080417342),
    ("037f31", 75366984),
    ("018038ff", 1112600719),
    (
        "03ff3939393939393939393939393939393939393939393939393939393939393939393939393939",
        3398802460,
    ),
    (
        "01003030303030303030303030303030303030303030303030303030303030303030303030303030ff",
        885672790,
    ),
    ("030031", 2899928945),
    ("01ff38ff", 503177186),
];

#[test]
fn key_encodings_and_partition_hashes_are_golden() {
    let got: Vec<(String, i64)> = key_vectors()
        .iter()
        .map(|(ty, v)| {
            let bytes = keycode::encode(*ty, v).expect("a key of its type");
            assert_eq!(keycode::decode(*ty, &bytes).as_ref(), Some(v), "round trip");
            (hex(&bytes), partition_hash(&bytes))
        })
        .collect();
    let want: Vec<(String, i64)> = KEY_GOLDEN
        .iter()
        .map(|(h, p)| (h.to_string(), *p))
        .collect();
    assert_eq!(got, want, "key encodings or partition hashes changed");
}

#[test]
fn number_keys_sort_as_numbers() {
    let mut nums: Vec<(f64, Vec<u8>)> = key_vectors()
        .into_iter()
        .filter(|(ty, _)| *ty == KeyType::N)
        .map(|(_, v)| {
            let A::N(x) = &v else { unreachable!() };
            let f: f64 = x.to_string().parse().unwrap();
            (f, keycode::encode(KeyType::N, &v).unwrap())
        })
        .collect();
    nums.sort_by(|a, b| a.1.cmp(&b.1));
    assert!(nums.windows(2).all(|w| w[0].0 < w[1].0), "{nums:?}");
}

/// Each component escaped (00 → 00 ff) and terminated (00 01).
const COMPOSITE_GOLDEN: &str = "726f636b00ff726f6c6c000100ff010001";

#[test]
fn composite_index_keys_are_golden() {
    let mut item = Item::new();
    item.insert("Genre".into(), A::S("rock\u{0}roll".into()));
    item.insert("Cover".into(), A::B(vec![0x00, 0x01]));
    let s = full_schema();
    let key = encode_attrs(&s.indexes[0].hash, &item).unwrap();
    assert_eq!(hex(&key), COMPOSITE_GOLDEN);
}
