//! Backups and continuous backups as DynamoDB returns them: BackupDetails, BackupSummary,
//! BackupDescription, ContinuousBackupsDescription.

use extenddo_projections::schema::{IndexKind, IndexSchema};
use serde_json::{json, Value};

use super::tables::{index_definition, table_key_schema};
use crate::api::backup::{BackupRecord, ContinuousBackups};
use crate::config::Config;

fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

pub fn backup_details(b: &BackupRecord) -> Value {
    json!({
        "BackupArn": b.arn,
        "BackupName": b.name,
        "BackupSizeBytes": b.size_bytes,
        "BackupStatus": b.status.as_str(),
        "BackupType": "USER",
        "BackupCreationDateTime": secs(b.created_ms),
    })
}

pub fn backup_summary(b: &BackupRecord) -> Value {
    json!({
        "TableName": b.table_name,
        "TableId": b.table_id.as_str(),
        "TableArn": b.table_arn,
        "BackupArn": b.arn,
        "BackupName": b.name,
        "BackupCreationDateTime": secs(b.created_ms),
        "BackupStatus": b.status.as_str(),
        "BackupType": "USER",
        "BackupSizeBytes": b.size_bytes,
    })
}

fn index(ix: &IndexSchema) -> Value {
    let mut v = index_definition(ix);
    if ix.kind == IndexKind::Global {
        let (r, w) = ix.throughput.as_ref().map_or((0, 0), |t| (t.read, t.write));
        v["ProvisionedThroughput"] = json!({"ReadCapacityUnits": r, "WriteCapacityUnits": w});
    }
    v
}

pub fn backup_description(b: &BackupRecord) -> Value {
    let s = &b.schema;
    let (r, w) = s.throughput.as_ref().map_or((0, 0), |t| (t.read, t.write));
    let mut features = json!({});
    for (member, kind) in [
        ("LocalSecondaryIndexes", IndexKind::Local),
        ("GlobalSecondaryIndexes", IndexKind::Global),
    ] {
        let list: Vec<Value> = s
            .indexes
            .iter()
            .filter(|i| i.kind == kind)
            .map(index)
            .collect();
        if !list.is_empty() {
            features[member] = Value::Array(list);
        }
    }
    if let Some(latest) = s
        .stream
        .as_ref()
        .and_then(|st| st.latest())
        .filter(|l| l.enabled())
    {
        features["StreamDescription"] =
            json!({"StreamEnabled": true, "StreamViewType": latest.view_type.as_str()});
    }
    if let Some(attr) = s.ttl.as_ref().map(|t| &t.attribute) {
        features["TimeToLiveDescription"] =
            json!({"TimeToLiveStatus": "ENABLED", "AttributeName": attr});
    }
    json!({
        "BackupDetails": backup_details(b),
        "SourceTableDetails": {
            "TableName": b.table_name,
            "TableId": b.table_id.as_str(),
            "TableArn": b.table_arn,
            "TableSizeBytes": b.size_bytes,
            "KeySchema": table_key_schema(&s.key),
            "TableCreationDateTime": secs(s.created_ms),
            "ProvisionedThroughput": {"ReadCapacityUnits": r, "WriteCapacityUnits": w},
            "ItemCount": b.item_count,
            "BillingMode": s.billing_mode,
        },
        "SourceTableFeatureDetails": features,
    })
}

pub fn continuous_backups(_cfg: &Config, c: &ContinuousBackups) -> Value {
    let pitr = match &c.pitr {
        None => json!({ "PointInTimeRecoveryStatus": "DISABLED" }),
        Some(p) => json!({
            "PointInTimeRecoveryStatus": "ENABLED",
            "EarliestRestorableDateTime": secs(c.earliest_ms),
            "LatestRestorableDateTime": secs(c.latest_ms),
            "RecoveryPeriodInDays": p.recovery_days,
        }),
    };
    json!({
        "ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": pitr,
        }
    })
}
