//! `extenddo log replay --to POINT --into TABLE`: the table as of a point of its log (its
//! archived segments included), written into a new table of the same data directory through
//! the engine's own CreateTable and BatchWriteItem, as a client would. Run it with the
//! server stopped: it opens the data directory as `serve` does.

use std::io::IsTerminal;
use std::process::ExitCode;

use extenddo_engine::projections::items::decode_item;
use extenddo_engine::wire::decode::backups::create_request;
use extenddo_engine::wire::value::encode_item;
use extenddo_engine::{Config, HttpRequest};
use extenddo_log::sqlite::Durability;
use serde_json::{json, Value};

use crate::host::{Host, Storage};
use crate::logtool::{open_table, state_at, Point, State, Which};

/// Items per BatchWriteItem (DynamoDB's limit).
const BATCH: usize = 25;

/// One request through the engine, as a client would send it (the tools that write to a
/// data directory).
pub(crate) async fn post(host: &Host, op: &str, body: &Value) -> Result<Value, String> {
    let bytes = body.to_string().into_bytes();
    let target = format!("DynamoDB_20120810.{op}");
    let req = HttpRequest {
        method: "POST",
        path: "/",
        target: Some(&target),
        authorization: Some("AWS4-HMAC-SHA256 Credential=replay/20261204/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0"),
        host: None,
        body: &bytes,
        ..HttpRequest::default()
    };
    let resp = host.handle(req, None).await;
    let v: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    if resp.status != 200 {
        return Err(format!(
            "{op}: {} {}",
            v["__type"].as_str().unwrap_or("error"),
            v["message"]
                .as_str()
                .or(v["Message"].as_str())
                .unwrap_or("")
        ));
    }
    Ok(v)
}

pub fn replay(w: &Which, to: Point, into: &str, as_json: bool) -> Result<ExitCode, String> {
    let sql = open_table(w)?;
    let State { rows, schema, last } = state_at(&sql, w, to)?;
    drop(sql);
    let schema = schema
        .filter(|s| !s.is_deleted())
        .ok_or("no table at that point of the log")?;
    let (lsn, ts) = last.ok_or("no record at or before that point")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let cfg = Config {
        account_id: w
            .account
            .clone()
            .unwrap_or_else(|| Config::default().account_id),
        ..Config::default()
    };
    let storage = Storage::Dir {
        root: w.data_dir.clone(),
        durability: Durability::Full,
    };
    let store = crate::store::ObjectStore::Dir(w.store());
    let bar = if as_json || !std::io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(rows.len() as u64)
    };
    let written = runtime.block_on(async {
        let host = Host::open(cfg, storage, Some(store))
            .await
            .map_err(|e| format!("opening {}: {e}", w.data_dir.display()))?;
        post(
            &host,
            "CreateTable",
            &create_request(&schema, into, &Default::default()),
        )
        .await?;
        let mut written = 0usize;
        for chunk in rows.chunks(BATCH) {
            let puts = chunk
                .iter()
                .map(|(_, _, bytes)| {
                    let item = decode_item(bytes).map_err(|e| e.to_string())?;
                    Ok(json!({ "PutRequest": { "Item": encode_item(&item) } }))
                })
                .collect::<Result<Vec<_>, String>>()?;
            let mut pending = Value::Array(puts);
            for _ in 0..100 {
                let out = post(
                    &host,
                    "BatchWriteItem",
                    &json!({ "RequestItems": { into: pending } }),
                )
                .await?;
                match out["UnprocessedItems"].get(into) {
                    Some(rest) if rest.as_array().is_some_and(|a| !a.is_empty()) => {
                        pending = rest.clone()
                    }
                    _ => {
                        pending = Value::Array(Vec::new());
                        break;
                    }
                }
            }
            if pending.as_array().is_some_and(|a| !a.is_empty()) {
                return Err("BatchWriteItem keeps leaving items unprocessed".to_string());
            }
            written += chunk.len();
            bar.inc(chunk.len() as u64);
        }
        Ok::<_, String>(written)
    })?;
    bar.finish_and_clear();
    if as_json {
        println!(
            "{}",
            json!({"table": schema.name, "tableId": schema.id, "lsn": lsn, "ts": ts,
                   "into": into, "items": written})
        );
    } else {
        println!(
            "table {} as of lsn {lsn} ({}): {written} items into new table {into}",
            schema.name,
            extenddo_engine::api::time::iso_millis(ts)
        );
    }
    Ok(ExitCode::SUCCESS)
}
