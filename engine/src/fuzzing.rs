//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the corpus replay test
//! (`engine/tests/fuzz_corpus.rs`), so CI replays the saved corpus through exactly the code
//! the fuzzer ran. Every function must return normally on any input: a panic is a bug (the
//! Worker host hangs a request that panics).
//!
//! `request_decode` needs SQLite storage, which this crate only has behind the host's
//! feature; callers hand it a constructor (`Sqlite::in_memory` natively).

use serde_json::{json, Value};

use crate::error::ErrorKind;
use crate::flow::HttpRequest;
use crate::sim::{self, OpenSql};
use crate::wire;
use crate::wire::response::HttpResponse;
use crate::Config;

/// The targets a fuzz input picks from (see [`requests`]).
pub const TARGETS: [&str; 24] = [
    "DynamoDB_20120810.PutItem",
    "DynamoDB_20120810.GetItem",
    "DynamoDB_20120810.UpdateItem",
    "DynamoDB_20120810.DeleteItem",
    "DynamoDB_20120810.Query",
    "DynamoDB_20120810.Scan",
    "DynamoDB_20120810.BatchGetItem",
    "DynamoDB_20120810.BatchWriteItem",
    "DynamoDB_20120810.CreateTable",
    "DynamoDB_20120810.UpdateTable",
    "DynamoDB_20120810.DescribeTable",
    "DynamoDB_20120810.DeleteTable",
    "DynamoDB_20120810.ListTables",
    "DynamoDB_20120810.UpdateTimeToLive",
    "DynamoDB_20120810.DescribeTimeToLive",
    "DynamoDB_20120810.DescribeLimits",
    "DynamoDB_20120810.DescribeEndpoints",
    "DynamoDB_20120810.TagResource",
    "DynamoDB_20120810.UntagResource",
    "DynamoDB_20120810.ListTagsOfResource",
    "DynamoDBStreams_20120810.ListStreams",
    "DynamoDBStreams_20120810.DescribeStream",
    "DynamoDBStreams_20120810.GetShardIterator",
    "DynamoDBStreams_20120810.GetRecords",
];

/// The table every `request_decode` run starts with (the fuzzer learns its name from the
/// seed corpus): a sort key, a local index, a global index with a multi-attribute key, a
/// stream.
pub const FIXTURE_TABLE: &str = "fuzz";

const NOW: i64 = 1_700_000_000_000;
const MAX_REQUESTS: usize = 8;

/// The in-memory host the fuzzer drives; the clock advances a second per request and
/// background work runs after each.
pub struct Host(sim::Host);

impl Host {
    pub fn new(open: OpenSql) -> Host {
        let cfg = Config {
            ttl_sweep_delay_ms: 0,
            backfill_chunk: 2,
            ..Config::default()
        };
        Host(sim::Host::new(cfg, open, NOW))
    }

    pub fn handle(&mut self, target: Option<&str>, body: &[u8]) -> HttpResponse {
        let now = self.0.now() + 1000;
        self.0.set_now(now);
        let r = self.0.handle(HttpRequest {
            method: "POST",
            path: "/",
            target,
            authorization: Some(sim::AUTHORIZATION),
            host: Some("localhost"),
            body,
            ..HttpRequest::default()
        });
        self.0.tick();
        r
    }
}

fn fixture(host: &mut Host) {
    let create = json!({
        "TableName": FIXTURE_TABLE,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "g", "AttributeType": "S"},
            {"AttributeName": "h", "AttributeType": "N"},
            {"AttributeName": "b", "AttributeType": "B"},
        ],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "LocalSecondaryIndexes": [{
            "IndexName": "lsi",
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "g", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "multi",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "h", "KeyType": "HASH"},
                    {"AttributeName": "b", "KeyType": "RANGE"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "byg",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "h", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]},
            },
        ],
        "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    });
    host.handle(Some(TARGETS[8]), create.to_string().as_bytes());
    for (i, g) in ["a", "a\u{0}", "b"].iter().enumerate() {
        let put = json!({"TableName": FIXTURE_TABLE, "Item": {
            "pk": {"S": "p"}, "sk": {"N": i.to_string()}, "g": {"S": g}, "h": {"N": "1"},
            "b": {"B": "AP8="}, "x": {"SS": ["x", "y"]}, "l": {"L": [{"N": "1"}, {"M": {"k": {"S": "v"}}}]},
        }});
        host.handle(Some(TARGETS[0]), put.to_string().as_bytes());
    }
}

/// Whether a response is a server error, which request input should never cause.
pub fn is_server_error(r: &HttpResponse) -> bool {
    r.status >= 500 || {
        let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        body["__type"] == ErrorKind::InternalServerError.type_name()
    }
}

/// Splits a fuzz input into requests: NUL-separated chunks (a JSON body holds no raw NUL),
/// each a target selector byte and the body. Selector `i` (1 ≤ i ≤ 21) names `TARGETS[i - 1]`;
/// 0xFF sends no target; any other takes the target from the body's first line.
pub fn requests(data: &[u8]) -> Vec<(Option<String>, &[u8])> {
    data.split(|b| *b == 0)
        .take(MAX_REQUESTS)
        .filter_map(|chunk| {
            let (&sel, rest) = chunk.split_first()?;
            if let Some(t) = (sel as usize).checked_sub(1).and_then(|i| TARGETS.get(i)) {
                return Some((Some((*t).to_string()), rest));
            }
            if sel == 0xFF {
                return Some((None, rest));
            }
            let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
            let target = String::from_utf8_lossy(&rest[..end]).into_owned();
            Some((Some(target), rest.get(end + 1..).unwrap_or_default()))
        })
        .collect()
}

/// Runs the requests of `data` against a fresh host holding the fixture table. Returns the
/// responses (for callers that check more than "no panic").
pub fn request_decode(data: &[u8], open: OpenSql) -> Vec<HttpResponse> {
    let mut host = Host::new(open);
    fixture(&mut host);
    requests(data)
        .into_iter()
        .map(|(target, body)| host.handle(target.as_deref(), body))
        .collect()
}

/// Every expression parser, evaluator and projector on the input as text.
pub fn expressions(data: &[u8]) {
    crate::expr::fuzz_parse_all(&String::from_utf8_lossy(data));
}

/// JSON → item → JSON → item must round-trip exactly once it decodes.
pub fn wire_values(data: &[u8]) {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let _ = wire::decode_value(&v);
    let Ok(item) = wire::decode_item(&v) else {
        return;
    };
    let _ = extenddo_log::value::item_size(&item);
    let encoded = wire::encode_item(&item);
    let mut written = String::new();
    crate::formats::dynamodb_json::write_item(&mut written, &item);
    assert_eq!(
        written,
        encoded.to_string(),
        "write_item == encode_item, as text"
    );
    let again = wire::decode_item(&encoded).expect("an encoded item decodes");
    assert_eq!(again, item, "decode(encode(item)) == item");
    assert_eq!(wire::encode_item(&again), encoded, "encoding is canonical");
}

/// Frame and segment decoding never panic; a frame wrapped around the input decodes to a
/// record that re-encodes to the same bytes.
pub fn log_frames(data: &[u8]) {
    use extenddo_log::frame::{decode_event, encode_frame};
    use extenddo_log::{segment, Record};
    let _ = segment::scan(data);
    let _ = Record::decode(data);
    let _ = decode_event(data);
    let framed = encode_frame(1, 2, data);
    if let Ok((record, used)) = Record::decode(&framed) {
        assert_eq!(used, framed.len());
        let bytes = record.encode();
        let (back, _) = Record::decode(&bytes).expect("an encoded record decodes");
        assert_eq!(back, record);
    }
    let scan = segment::scan(&[framed.as_slice(), data].concat());
    assert!(!scan.records.is_empty() || decode_event(data).is_err());
}

/// Import file formats never panic: Ion text (whatever decodes as an item re-encodes to Ion
/// that decodes to the same item), CSV, and decompression of truncated or bogus gzip/zstd.
pub fn import_formats(data: &[u8]) {
    use crate::formats::{compression, csv, ion};
    let text = String::from_utf8_lossy(data);
    let mut r = ion::Reader::new(&text);
    for _ in 0..64 {
        match r.next_value() {
            Ok(Some(v)) => {
                if let ion::Value::Struct(fields) = &v.value {
                    if let Ok(item) = ion::to_item(fields) {
                        let mut out = String::new();
                        ion::write_struct(&mut out, &item);
                        let back = ion::Reader::new(&out)
                            .next_value()
                            .expect("written Ion reads")
                            .expect("a value");
                        let ion::Value::Struct(f) = &back.value else {
                            panic!("a struct written, {back:?} read");
                        };
                        assert_eq!(ion::to_item(f).expect("an item"), item);
                    }
                }
            }
            Ok(None) => break,
            Err(_) => r.skip_line(),
        }
        if r.position() >= text.len() {
            break;
        }
    }
    let keys = vec![
        ("k".to_owned(), "N".to_owned()),
        ("b".to_owned(), "B".to_owned()),
    ];
    let mut c = csv::Reader::new(data, ',', None);
    for _ in 0..256 {
        if c.next_item(&keys).is_none() {
            break;
        }
    }
    for comp in [
        compression::Compression::Gzip,
        compression::Compression::Zstd,
    ] {
        if let Ok(r) = compression::reader(comp, data.to_vec()) {
            let _ = compression::read_all(std::io::Read::take(r, 1 << 20));
        }
    }
}

/// The SigV4 header and date parsers, signature verification over arbitrary headers, and
/// IAM policy parsing and evaluation never panic. Input: text; each line is tried as an
/// `Authorization` header and as `name: value` header, the whole as a policy document.
pub fn auth_parsers(data: &[u8]) {
    use crate::auth::policy::{evaluate, ContextKeys, Policy};
    use crate::auth::sigv4::{self, Authorization, Received};
    let text = String::from_utf8_lossy(data);
    if let Ok(p) = Policy::parse(&text) {
        let mut keys = ContextKeys::default();
        keys.set("aws:username", vec!["alice".into()]);
        keys.set("dynamodb:LeadingKeys", vec!["alice".into(), "bob".into()]);
        keys.set("dynamodb:Attributes", vec![]);
        for (action, resource) in [
            (
                "dynamodb:GetItem",
                "arn:aws:dynamodb:us-east-1:123456789012:table/T",
            ),
            (
                "dynamodb:Query",
                "arn:aws:dynamodb:us-east-1:123456789012:table/T/index/I",
            ),
            ("s3:GetObject", "*"),
        ] {
            let _ = evaluate(std::slice::from_ref(&p), action, resource, &keys);
        }
        let _ = p.uses_condition_key("dynamodb:LeadingKeys");
    }
    const AT: i64 = 1_796_392_603_000;
    let headers: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    for line in text.lines().chain(std::iter::once(text.as_ref())) {
        let _ = sigv4::parse_amz_date(line);
        let Ok(a) = Authorization::parse(Some(line)) else {
            continue;
        };
        let _ = sigv4::check_request(&a, Some("20261204T135643Z"), "us-east-1", AT);
        let received = Received {
            method: "POST".into(),
            path: "/".into(),
            query: String::new(),
            headers: headers.clone(),
            payload_hash: sigv4::payload_hash(data),
            signed_at_ms: AT,
            amz_date: "20261204T135643Z".into(),
        };
        let _ = sigv4::verify(&a, &received, "secret", None);
        let _ = sigv4::verify(&a, &received, "secret", Some("token"));
    }
}
