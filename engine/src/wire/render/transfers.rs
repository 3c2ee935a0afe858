//! Exports and imports as DynamoDB returns them: ExportDescription, ExportSummary,
//! ImportTableDescription, ImportSummary.

use serde_json::{json, Map, Value};

use crate::api::transfer::{ExportKind, ExportRecord, ImportRecord, JobStatus};
use crate::config::Config;

fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

fn export_type(e: &ExportRecord) -> &'static str {
    match e.kind {
        ExportKind::Full { .. } => "FULL_EXPORT",
        ExportKind::Incremental { .. } => "INCREMENTAL_EXPORT",
    }
}

pub fn export_description(e: &ExportRecord) -> Value {
    let mut v = Map::new();
    let mut put = |k: &str, val: Value| {
        if !val.is_null() {
            v.insert(k.to_owned(), val);
        }
    };
    put("ExportArn", json!(e.arn));
    put("ExportStatus", json!(e.status.as_str()));
    put("StartTime", json!(secs(e.start_ms)));
    put("TableArn", json!(e.table_arn));
    put("TableId", json!(e.table_id.as_str()));
    put("ClientToken", json!(e.client_token));
    put("S3Bucket", json!(e.target.bucket));
    put("S3BucketOwner", json!(e.target.owner));
    put("S3Prefix", json!(e.target.prefix));
    put(
        "S3SseAlgorithm",
        json!(e.target.sse_algorithm.as_deref().unwrap_or("AES256")),
    );
    put("S3SseKmsKeyId", json!(e.target.kms_key));
    put("ExportFormat", json!(e.format.as_str()));
    put("ExportType", json!(export_type(e)));
    match &e.kind {
        ExportKind::Full { at_ms } => put("ExportTime", json!(secs(*at_ms))),
        ExportKind::Incremental {
            from_ms,
            to_ms,
            view,
        } => put(
            "IncrementalExportSpecification",
            json!({
                "ExportFromTime": secs(*from_ms),
                "ExportToTime": secs(*to_ms),
                "ExportViewType": view.as_str(),
            }),
        ),
    }
    if e.status != JobStatus::InProgress {
        put("EndTime", json!(e.end_ms.map(secs)));
        put("ItemCount", json!(e.item_count));
        put("BilledSizeBytes", json!(e.billed_size_bytes));
    }
    if e.status == JobStatus::Completed {
        put("ExportManifest", json!(e.manifest_summary()));
    }
    if let Some((code, message)) = &e.failure {
        put("FailureCode", json!(code));
        put("FailureMessage", json!(message));
    }
    Value::Object(v)
}

pub fn export_summary(e: &ExportRecord) -> Value {
    json!({
        "ExportArn": e.arn,
        "ExportStatus": e.status.as_str(),
        "ExportType": export_type(e),
    })
}

fn bucket_source(i: &ImportRecord) -> Value {
    let mut v = json!({ "S3Bucket": i.source.bucket });
    if let Some(o) = &i.source.owner {
        v["S3BucketOwner"] = json!(o);
    }
    if let Some(p) = &i.source.key_prefix {
        v["S3KeyPrefix"] = json!(p);
    }
    v
}

fn log_group(cfg: &Config) -> String {
    format!(
        "arn:aws:logs:{}:{}:log-group:/aws-dynamodb/imports:*",
        cfg.region, cfg.account_id
    )
}

pub fn import_description(cfg: &Config, i: &ImportRecord) -> Value {
    let mut v = json!({
        "ImportArn": i.arn,
        "ImportStatus": i.status.as_str(),
        "TableArn": i.table_arn,
        "TableId": i.table_id.as_str(),
        "S3BucketSource": bucket_source(i),
        "ErrorCount": i.errors,
        "CloudWatchLogGroupArn": log_group(cfg),
        "InputFormat": i.source.format.as_str(),
        "InputCompressionType": i.source.compression.as_str(),
        "TableCreationParameters": serde_json::from_str::<Value>(&i.creation).unwrap_or(Value::Null),
        "StartTime": secs(i.start_ms),
        "ProcessedItemCount": i.processed_items,
        "ImportedItemCount": i.imported_items,
    });
    if let Some(t) = &i.client_token {
        v["ClientToken"] = json!(t);
    }
    if let Some(csv) = &i.source.csv {
        let mut c = json!({});
        if let Some(d) = csv.delimiter {
            c["Delimiter"] = json!(d.to_string());
        }
        if let Some(h) = &csv.header {
            c["HeaderList"] = json!(h);
        }
        v["InputFormatOptions"] = json!({ "Csv": c });
    }
    if i.processed_bytes > 0 || i.status != JobStatus::InProgress {
        v["ProcessedSizeBytes"] = json!(i.processed_bytes);
    }
    if let Some(end) = i.end_ms {
        v["EndTime"] = json!(secs(end));
    }
    if let Some((code, message)) = &i.failure {
        v["FailureCode"] = json!(code);
        v["FailureMessage"] = json!(message);
    }
    v
}

pub fn import_summary(cfg: &Config, i: &ImportRecord) -> Value {
    let mut v = json!({
        "ImportArn": i.arn,
        "ImportStatus": i.status.as_str(),
        "TableArn": i.table_arn,
        "S3BucketSource": bucket_source(i),
        "CloudWatchLogGroupArn": log_group(cfg),
        "InputFormat": i.source.format.as_str(),
        "StartTime": secs(i.start_ms),
    });
    if let Some(end) = i.end_ms {
        v["EndTime"] = json!(secs(end));
    }
    v
}
