//! Stage two of the edge: typed replies rendered as DynamoDB's JSON, once, at the edge.

pub mod backups;
mod records;
mod tables;
pub mod transfers;

use extenddo_projections::streams::ShardState;
use serde_json::{json, Map, Value};

pub use tables::{describe, index_definition, table_key_schema};

use crate::api::capacity::{CollectionMetrics, ConsumedCapacity};
use crate::api::reply::{
    GetOutput, PageOutput, RecordsOutput, StreamDescription, TableReply, WriteOutput,
};
use crate::api::streams::{sequence_number, stream_arn};
use crate::config::Config;
use crate::error::Error;
use crate::wire::target::Op;
use crate::wire::value::encode_item;

pub fn consumed(c: &ConsumedCapacity) -> Value {
    let mut v = json!({ "TableName": c.table_name, "CapacityUnits": c.capacity_units });
    if let Some(t) = c.table {
        v["Table"] = json!({ "CapacityUnits": t });
    }
    for (member, list) in [
        ("GlobalSecondaryIndexes", &c.global),
        ("LocalSecondaryIndexes", &c.local),
    ] {
        if !list.is_empty() {
            let m: Map<String, Value> = list
                .iter()
                .map(|(n, u)| (n.clone(), json!({ "CapacityUnits": u })))
                .collect();
            v[member] = Value::Object(m);
        }
    }
    v
}

pub fn metrics(m: &CollectionMetrics) -> Value {
    json!({
        "ItemCollectionKey": encode_item(&m.key),
        "SizeEstimateRangeGB": [m.size_gb.0, m.size_gb.1],
    })
}

fn write(w: &WriteOutput) -> Value {
    let mut out = Map::new();
    if let Some(a) = w.attributes.as_ref().filter(|a| !a.is_empty()) {
        out.insert("Attributes".into(), encode_item(a));
    }
    if let Some(m) = &w.metrics {
        out.insert("ItemCollectionMetrics".into(), metrics(m));
    }
    if let Some(c) = &w.consumed {
        out.insert("ConsumedCapacity".into(), consumed(c));
    }
    Value::Object(out)
}

fn get(g: &GetOutput) -> Value {
    let mut out = Map::new();
    if let Some(item) = &g.item {
        out.insert("Item".into(), encode_item(item));
    }
    if let Some(c) = &g.consumed {
        out.insert("ConsumedCapacity".into(), consumed(c));
    }
    Value::Object(out)
}

fn page(p: &PageOutput) -> Value {
    let mut out = Map::new();
    out.insert("Count".into(), json!(p.count));
    out.insert("ScannedCount".into(), json!(p.scanned));
    if let Some(items) = &p.items {
        out.insert(
            "Items".into(),
            Value::Array(items.iter().map(encode_item).collect()),
        );
    }
    if let Some(last) = &p.last_evaluated_key {
        out.insert("LastEvaluatedKey".into(), encode_item(last));
    }
    if let Some(c) = &p.consumed {
        out.insert("ConsumedCapacity".into(), consumed(c));
    }
    Value::Object(out)
}

fn shard(sh: &ShardState) -> Value {
    let mut range = json!({ "StartingSequenceNumber": sequence_number(sh.first_lsn) });
    if let Some(last) = sh.last_lsn {
        // An empty closed shard ends where it starts.
        range["EndingSequenceNumber"] = json!(sequence_number(last.max(sh.first_lsn)));
    }
    let mut v = json!({ "ShardId": sh.id, "SequenceNumberRange": range });
    if let Some(parent) = &sh.parent {
        v["ParentShardId"] = json!(parent);
    }
    v
}

fn stream_description(d: &StreamDescription) -> Value {
    let mut v = json!({
        "StreamArn": d.arn,
        "StreamLabel": d.label,
        "StreamStatus": if d.enabled { "ENABLED" } else { "DISABLED" },
        "StreamViewType": d.view.as_str(),
        "CreationRequestDateTime": d.created_ms as f64 / 1000.0,
        "TableName": d.table,
        "KeySchema": table_key_schema(&d.key),
        "Shards": d.shards.iter().map(shard).collect::<Vec<_>>(),
    });
    if let Some(last) = &d.last_evaluated_shard_id {
        v["LastEvaluatedShardId"] = json!(last);
    }
    json!({ "StreamDescription": v })
}

fn records(cfg: &Config, r: &RecordsOutput) -> Value {
    let list: Vec<Value> = r
        .records
        .iter()
        .map(|rec| records::record(cfg, &r.table_id, rec))
        .collect();
    let mut out = json!({ "Records": list });
    if let Some(next) = &r.next_iterator {
        out["NextShardIterator"] = json!(next);
    }
    out
}

/// One stream of ListStreams.
pub fn stream_summary(cfg: &Config, table: &str, label: &str) -> Value {
    json!({
        "StreamArn": stream_arn(cfg, table, label),
        "TableName": table,
        "StreamLabel": label,
    })
}

/// The response body of operation `op` answered by one table object.
pub fn reply(cfg: &Config, op: Op, r: &TableReply) -> Result<Value, Error> {
    Ok(match (op, r) {
        (Op::DescribeTable, TableReply::Description(d)) => json!({ "Table": describe(cfg, d) }),
        (Op::CreateTable | Op::UpdateTable, TableReply::Description(d)) => {
            json!({ "TableDescription": describe(cfg, d) })
        }
        (Op::DeleteTable, TableReply::Deleted { description, .. }) => {
            json!({ "TableDescription": describe(cfg, description) })
        }
        (Op::PutItem | Op::UpdateItem | Op::DeleteItem, TableReply::Write(w)) => write(w),
        (Op::GetItem, TableReply::Item(g)) => get(g),
        (Op::Query | Op::Scan, TableReply::Page(p)) => page(p),
        (Op::UpdateTimeToLive, TableReply::TimeToLiveUpdated { enabled, attribute }) => json!({
            "TimeToLiveSpecification": { "Enabled": enabled, "AttributeName": attribute }
        }),
        (Op::DescribeTimeToLive, TableReply::TimeToLive(attr)) => {
            let d = match attr {
                Some(a) => json!({ "TimeToLiveStatus": "ENABLED", "AttributeName": a }),
                None => json!({ "TimeToLiveStatus": "DISABLED" }),
            };
            json!({ "TimeToLiveDescription": d })
        }
        (Op::DescribeStream, TableReply::StreamDescription(d)) => stream_description(d),
        (Op::GetShardIterator, TableReply::ShardIterator(it)) => json!({ "ShardIterator": it }),
        (Op::GetRecords, TableReply::Records(r)) => records(cfg, r),
        (
            Op::DescribeContinuousBackups | Op::UpdateContinuousBackups,
            TableReply::ContinuousBackups(c),
        ) => backups::continuous_backups(cfg, c),
        (Op::TagResource | Op::UntagResource, TableReply::Tagged) => json!({}),
        (Op::ListTagsOfResource, TableReply::Tags(tags)) => json!({
            "Tags": tags
                .iter()
                .map(|(k, v)| json!({ "Key": k, "Value": v }))
                .collect::<Vec<_>>()
        }),
        (op, r) => {
            return Err(Error::bug(format!(
                "a table object answered {op:?} with {}",
                reply_kind(r)
            )))
        }
    })
}

fn reply_kind(r: &TableReply) -> &'static str {
    match r {
        TableReply::Description(_) => "Description",
        TableReply::Deleted { .. } => "Deleted",
        TableReply::Write(_) => "Write",
        TableReply::Item(_) => "Item",
        TableReply::Page(_) => "Page",
        TableReply::BatchGet(_) => "BatchGet",
        TableReply::BatchWrite(_) => "BatchWrite",
        TableReply::Checked => "Checked",
        TableReply::TimeToLiveUpdated { .. } => "TimeToLiveUpdated",
        TableReply::TimeToLive(_) => "TimeToLive",
        TableReply::Streams(_) => "Streams",
        TableReply::StreamDescription(_) => "StreamDescription",
        TableReply::ShardIterator(_) => "ShardIterator",
        TableReply::Records(_) => "Records",
        TableReply::Retired => "Retired",
        TableReply::RetainUntil(_) => "RetainUntil",
        TableReply::Transacted(_) => "Transacted",
        TableReply::TxResolved => "TxResolved",
        TableReply::TxRead(_) => "TxRead",
        TableReply::BackupTaken(_) => "BackupTaken",
        TableReply::ContinuousBackups(_) => "ContinuousBackups",
        TableReply::PitrPoint(_) => "PitrPoint",
        TableReply::RestorePlan(_) => "RestorePlan",
        TableReply::Export(_) => "Export",
        TableReply::Import(_) => "Import",
        TableReply::Tagged => "Tagged",
        TableReply::Tags(_) => "Tags",
    }
}
