//! TableDescription, as CreateTable, DescribeTable, UpdateTable and DeleteTable return it.

use extenddo_projections::schema::{IndexKind, IndexSchema, IndexStatus};
use extenddo_projections::streams::Streams;
use extenddo_projections::{KeyAttr, TableSchema};
use serde_json::{json, Value};

use crate::api::reply::{Description, Live};
use crate::api::streams::{stream_arn, table_arn};
use crate::config::Config;

fn key_schema_json(hash: &[KeyAttr], range: &[KeyAttr]) -> Value {
    let h = hash
        .iter()
        .map(|a| json!({"AttributeName": a.name, "KeyType": "HASH"}));
    let r = range
        .iter()
        .map(|a| json!({"AttributeName": a.name, "KeyType": "RANGE"}));
    Value::Array(h.chain(r).collect())
}

/// An index as CreateTable defines it: `IndexName`, `KeySchema`, `Projection` (what
/// descriptions, backups' feature details and restores start from).
pub fn index_definition(ix: &IndexSchema) -> Value {
    let mut projection = json!({ "ProjectionType": ix.projection.ty.as_str() });
    if !ix.projection.non_key.is_empty() {
        projection["NonKeyAttributes"] = json!(ix.projection.non_key);
    }
    json!({
        "IndexName": ix.name,
        "KeySchema": key_schema_json(&ix.hash, &ix.range),
        "Projection": projection,
    })
}

fn index_json(cfg: &Config, s: &TableSchema, ix: &IndexSchema, live: &Live) -> Value {
    let (count, bytes) = live
        .indexes
        .iter()
        .find(|(n, _, _)| *n == ix.name)
        .map(|(_, c, b)| (*c, *b))
        .unwrap_or((0, 0));
    let mut v = index_definition(ix);
    v["IndexSizeBytes"] = json!(bytes);
    v["ItemCount"] = json!(count);
    v["IndexArn"] = json!(format!("{}/index/{}", table_arn(cfg, &s.name), ix.name));
    if ix.kind == IndexKind::Global {
        let creating = ix.status == IndexStatus::Creating;
        v["IndexStatus"] = json!(if creating { "CREATING" } else { "ACTIVE" });
        if creating {
            v["Backfilling"] = json!(true);
        }
        let (r, w) = ix
            .throughput
            .as_ref()
            .map(|t| (t.read, t.write))
            .unwrap_or((0, 0));
        v["ProvisionedThroughput"] =
            json!({ "NumberOfDecreasesToday": 0, "ReadCapacityUnits": r, "WriteCapacityUnits": w });
    }
    v
}

/// A TableDescription.
pub fn describe(cfg: &Config, d: &Description) -> Value {
    let (s, live) = (&d.schema, &d.live);
    let mut key_schema = vec![json!({"AttributeName": s.key.hash.name, "KeyType": "HASH"})];
    if let Some(r) = &s.key.range {
        key_schema.push(json!({"AttributeName": r.name, "KeyType": "RANGE"}));
    }
    let defs: Vec<Value> = s
        .attributes
        .iter()
        .map(|a| json!({"AttributeName": a.name, "AttributeType": a.ty.as_str()}))
        .collect();
    let created = s.created_ms as f64 / 1000.0;
    let (r, w) = s
        .throughput
        .as_ref()
        .map(|t| (t.read, t.write))
        .unwrap_or((0, 0));
    let mut d = json!({
        "TableName": s.name,
        "TableStatus": live.status.as_str(),
        "KeySchema": key_schema,
        "AttributeDefinitions": defs,
        "CreationDateTime": created,
        "ProvisionedThroughput": {
            "NumberOfDecreasesToday": 0,
            "ReadCapacityUnits": r,
            "WriteCapacityUnits": w,
        },
        "TableSizeBytes": live.size_bytes,
        "ItemCount": live.item_count,
        "TableArn": table_arn(cfg, &s.name),
        "TableId": s.id,
        "DeletionProtectionEnabled": false,
    });
    // A deleting table's description has neither its key schema nor its indexes (AWS:
    // "no information about indexes will be returned").
    let deleting = live.status == crate::api::reply::TableStatus::Deleting;
    if deleting {
        if let Some(m) = d.as_object_mut() {
            for member in ["KeySchema", "AttributeDefinitions", "CreationDateTime"] {
                m.remove(member);
            }
        }
    }
    for (member, kind) in [
        ("GlobalSecondaryIndexes", IndexKind::Global),
        ("LocalSecondaryIndexes", IndexKind::Local),
    ] {
        let list: Vec<Value> = s
            .indexes
            .iter()
            .filter(|i| i.kind == kind)
            .map(|i| index_json(cfg, s, i, live))
            .collect();
        if !list.is_empty() && !deleting {
            d[member] = Value::Array(list);
        }
    }
    if s.billing_mode == "PAY_PER_REQUEST" {
        d["BillingModeSummary"] = json!({
            "BillingMode": "PAY_PER_REQUEST",
            "LastUpdateToPayPerRequestDateTime": created,
        });
    }
    stream_members(cfg, s, &mut d);
    if let Some(r) = &s.restore {
        let mut summary = json!({
            "SourceTableArn": r.source_table_arn,
            "RestoreDateTime": r.restore_ms as f64 / 1000.0,
            "RestoreInProgress": !r.done,
        });
        if let Some(b) = &r.source_backup_arn {
            summary["SourceBackupArn"] = json!(b);
        }
        d["RestoreSummary"] = summary;
    }
    d
}

/// StreamSpecification (while a stream is enabled), LatestStreamArn and LatestStreamLabel
/// (once a stream ever existed).
fn stream_members(cfg: &Config, s: &TableSchema, d: &mut Value) {
    let Some(latest) = s.stream.as_ref().and_then(Streams::latest) else {
        return;
    };
    if latest.enabled() {
        d["StreamSpecification"] =
            json!({ "StreamEnabled": true, "StreamViewType": latest.view_type.as_str() });
    }
    d["LatestStreamArn"] = json!(stream_arn(cfg, &s.name, &latest.label));
    d["LatestStreamLabel"] = json!(latest.label);
}

/// The KeySchema member of a table.
pub fn table_key_schema(key: &extenddo_projections::KeySchema) -> Value {
    key_schema_json(std::slice::from_ref(&key.hash), key.range.as_slice())
}
