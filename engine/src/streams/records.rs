//! Stream records, built from log records. The mapping is the whole definition of what a
//! stream shows:
//!
//! | log event | eventName | images (if the view type carries them) | userIdentity |
//! |---|---|---|---|
//! | `ItemPut { old: None, new }` | INSERT | NewImage | — |
//! | `ItemPut { old: Some, new }` | MODIFY | NewImage, OldImage | — |
//! | `ItemDeleted { old }` | REMOVE | OldImage | — |
//! | `ItemExpired { old }` | REMOVE | OldImage | Service `dynamodb.amazonaws.com` |
//!
//! Every other event (schema changes, index backfill) has no stream record. A write that
//! changes nothing is not logged, so it has none either.

use extenddo_log::value::item_size;
use extenddo_log::{Event, Item, Record};
use extenddo_projections::streams::StreamViewType;
use extenddo_projections::TableSchema;
use serde_json::{json, Map, Value};

use super::sequence_number;
use crate::config::Config;
use crate::keys::key_of;
use crate::wire::encode_item;

/// The parts of a log record a stream record is made of, if it is an item mutation.
pub(crate) fn item_change(event: &Event) -> Option<(Option<&Item>, Option<&Item>, bool)> {
    match event {
        Event::ItemPut { old, new } => Some((old.as_ref(), Some(new), false)),
        Event::ItemDeleted { old } => Some((Some(old), None, false)),
        Event::ItemExpired { old } => Some((Some(old), None, true)),
        _ => None,
    }
}

/// A unique, stable event id: 32 hex digits from the table id and the LSN.
pub fn event_id(table_id: &str, lsn: u64) -> String {
    format!("{:08x}{:024x}", crc32fast::hash(table_id.as_bytes()), lsn)
}

/// The stream record of `r` for a stream with view type `view`, and its size in bytes
/// (`SizeBytes`: keys plus the images carried), or `None` if `r` is not an item mutation.
pub(crate) fn stream_record(
    cfg: &Config,
    s: &TableSchema,
    view: StreamViewType,
    r: &Record,
) -> Option<(Value, usize)> {
    let (old, new, expired) = item_change(&r.event)?;
    let image = new.or(old)?;
    let keys = key_of(&s.key, image);
    let mut size = item_size(&keys);
    let mut d = Map::new();
    d.insert(
        "ApproximateCreationDateTime".into(),
        json!(r.ts_ms.div_euclid(1000)),
    );
    d.insert("Keys".into(), encode_item(&keys));
    if let (true, Some(n)) = (view.new_image(), new) {
        size += item_size(n);
        d.insert("NewImage".into(), encode_item(n));
    }
    if let (true, Some(o)) = (view.old_image(), old) {
        size += item_size(o);
        d.insert("OldImage".into(), encode_item(o));
    }
    d.insert("SequenceNumber".into(), json!(sequence_number(r.lsn)));
    d.insert("SizeBytes".into(), json!(size));
    d.insert("StreamViewType".into(), json!(view.as_str()));
    let name = match (old, new) {
        (None, Some(_)) => "INSERT",
        (Some(_), Some(_)) => "MODIFY",
        _ => "REMOVE",
    };
    let mut v = json!({
        "eventID": event_id(&s.id, r.lsn),
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": cfg.region,
        "dynamodb": Value::Object(d),
    });
    if expired {
        v["userIdentity"] = json!({ "Type": "Service", "PrincipalId": "dynamodb.amazonaws.com" });
    }
    Some((v, size))
}
