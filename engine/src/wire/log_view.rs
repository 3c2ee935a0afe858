//! How log records look to people and tools (`extenddo log dump`, replay tooling).

use extenddo_log::{Event, Record};
use serde_json::{json, Value};

use crate::wire::value::encode_item;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// One record as JSON: `lsn`, `ts`, `kind` and the event's content, items in DynamoDB JSON.
pub fn record_json(r: &Record) -> Value {
    let mut v = json!({ "lsn": r.lsn, "ts": r.ts_ms, "kind": r.event.kind() });
    match &r.event {
        Event::TableCreated { schema_json } | Event::TableUpdated { schema_json } => {
            v["schema"] = serde_json::from_str(schema_json).unwrap_or(Value::Null);
        }
        Event::TableDeleted => {}
        Event::ItemPut { old, new } => {
            if let Some(old) = old {
                v["old"] = encode_item(old);
            }
            v["new"] = encode_item(new);
        }
        Event::ItemDeleted { old } | Event::ItemExpired { old } => v["old"] = encode_item(old),
        Event::IndexBackfilled { index, after, upto } => {
            let pos = |p: &Option<extenddo_log::event::ScanPosition>| {
                p.as_ref().map(|(h, pk, sk)| json!([h, hex(pk), hex(sk)]))
            };
            v["index"] = json!(index);
            v["after"] = json!(pos(after));
            v["upto"] = json!(pos(upto));
        }
        Event::TxPrepared {
            txid,
            coordinator,
            token,
            locks,
            writes,
        } => {
            v["txid"] = json!(txid);
            v["coordinator"] = json!(coordinator);
            if let Some(t) = token {
                v["token"] = json!({ "token": t.token, "request": t.request });
            }
            v["locks"] = json!(locks.iter().map(encode_item).collect::<Vec<_>>());
            v["writes"] = json!(writes
                .iter()
                .map(|(k, new)| json!({ "key": encode_item(k), "new": new.as_ref().map(encode_item) }))
                .collect::<Vec<_>>());
        }
        Event::TxResolved { txid, commit } | Event::TxDecided { txid, commit } => {
            v["txid"] = json!(txid);
            v["commit"] = json!(commit);
        }
        Event::TxIntent {
            txid,
            token,
            participants,
        } => {
            v["txid"] = json!(txid);
            if let Some(t) = token {
                v["token"] = json!({ "token": t.token, "request": t.request });
            }
            v["participants"] = json!(participants);
        }
        Event::TxCompleted { txid } => v["txid"] = json!(txid),
        Event::SegmentArchived { first, last, key } => {
            v["first"] = json!(first);
            v["last"] = json!(last);
            v["key"] = json!(key);
        }
        Event::SnapshotArchived { lsn, ts_ms, key } => {
            v["through"] = json!(lsn);
            v["throughTs"] = json!(ts_ms);
            v["key"] = json!(key);
        }
        Event::LogTrimmed { upto } => v["upto"] = json!(upto),
        Event::TxStaged { txid, writes } => {
            v["txid"] = json!(txid);
            v["writes"] = json!(writes
                .iter()
                .map(|(k, new)| json!({ "key": encode_item(k), "new": new.as_ref().map(encode_item) }))
                .collect::<Vec<_>>());
        }
    }
    v
}

/// One record as a line of text: lsn, timestamp, kind and a compact summary.
pub fn record_line(r: &Record) -> String {
    let detail = match &r.event {
        Event::TableCreated { .. } | Event::TableUpdated { .. } | Event::TableDeleted => {
            String::new()
        }
        Event::ItemPut { new, old } => {
            format!(
                " {}{}",
                if old.is_some() { "replace " } else { "insert " },
                encode_item(new)
            )
        }
        Event::ItemDeleted { old } | Event::ItemExpired { old } => format!(" {}", encode_item(old)),
        Event::IndexBackfilled { index, upto, .. } => {
            format!(
                " {index}{}",
                if upto.is_none() { " (complete)" } else { "" }
            )
        }
        Event::TxPrepared {
            txid,
            locks,
            writes,
            ..
        } => format!(
            " {txid}: {} items locked, {} writes",
            locks.len(),
            writes.len()
        ),
        Event::TxResolved { txid, commit } | Event::TxDecided { txid, commit } => {
            format!(" {txid}: {}", if *commit { "commit" } else { "abort" })
        }
        Event::TxIntent {
            txid, participants, ..
        } => format!(" {txid}: {} tables", participants.len()),
        Event::TxCompleted { txid } => format!(" {txid}"),
        Event::TxStaged { txid, writes } => format!(" {txid}: {} more writes", writes.len()),
        Event::SegmentArchived { first, last, key } => format!(" {first}..={last} in {key}"),
        Event::SnapshotArchived { lsn, key, .. } => format!(" through {lsn} in {key}"),
        Event::LogTrimmed { upto } => format!(" up to {upto}"),
    };
    format!("{:>8} {} {}{}", r.lsn, r.ts_ms, r.event.kind(), detail)
}
