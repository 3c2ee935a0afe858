//! Stream records as GetRecords returns them.

use serde_json::{json, Map, Value};

use crate::api::reply::StreamRecord;
use crate::api::streams::{event_id, sequence_number};
use crate::config::Config;
use crate::wire::value::encode_item;

pub fn record(cfg: &Config, table_id: &str, r: &StreamRecord) -> Value {
    let mut d = Map::new();
    d.insert(
        "ApproximateCreationDateTime".into(),
        json!(r.ts_ms.div_euclid(1000)),
    );
    d.insert("Keys".into(), encode_item(&r.keys));
    if let Some(n) = &r.new_image {
        d.insert("NewImage".into(), encode_item(n));
    }
    if let Some(o) = &r.old_image {
        d.insert("OldImage".into(), encode_item(o));
    }
    d.insert("SequenceNumber".into(), json!(sequence_number(r.lsn)));
    d.insert("SizeBytes".into(), json!(r.size));
    d.insert("StreamViewType".into(), json!(r.view.as_str()));
    let mut v = json!({
        "eventID": event_id(table_id, r.lsn),
        "eventName": r.kind.as_str(),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": cfg.region,
        "dynamodb": Value::Object(d),
    });
    if r.expired {
        v["userIdentity"] = json!({ "Type": "Service", "PrincipalId": "dynamodb.amazonaws.com" });
    }
    v
}
