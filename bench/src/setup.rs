//! `--setup`: create the table if missing, wait until it is ACTIVE, and preload the keys
//! that the read workloads expect, with bounded concurrency.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{json, Value};

use crate::client::Conn;
use crate::workload::{self, Check, Shape};

const ACTIVE_TIMEOUT: Duration = Duration::from_secs(60);
const PRELOAD_ATTEMPTS: u32 = 5;

async fn call_json(conn: &mut Conn, target: &str, body: Value) -> Result<(u16, Value), String> {
    let resp = conn
        .call(target, Bytes::from(body.to_string()))
        .await
        .map_err(|e| format!("{target}: {}: {}", e.kind(), e.detail()))?;
    let v = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    Ok((resp.status, v))
}

fn error_type(v: &Value) -> &str {
    let t = v.get("__type").and_then(|t| t.as_str()).unwrap_or("");
    t.rsplit('#').next().unwrap_or(t)
}

/// Creates the workload's tables (if missing) and waits until each is ACTIVE. An existing
/// table must have the key schema the workload needs.
pub async fn ensure_table(conn: &mut Conn, shape: &Shape) -> Result<(), String> {
    for table in shape.tables() {
        ensure_one(conn, shape, &table).await?;
    }
    Ok(())
}

async fn ensure_one(conn: &mut Conn, shape: &Shape, table_name: &str) -> Result<(), String> {
    let mut attrs = vec![json!({"AttributeName": "pk", "AttributeType": "S"})];
    let mut schema = vec![json!({"AttributeName": "pk", "KeyType": "HASH"})];
    if shape.workload.has_range_key() {
        attrs.push(json!({"AttributeName": "sk", "AttributeType": "S"}));
        schema.push(json!({"AttributeName": "sk", "KeyType": "RANGE"}));
    }
    let mut create = json!({
        "TableName": table_name,
        "AttributeDefinitions": attrs,
        "KeySchema": schema,
        "BillingMode": "PAY_PER_REQUEST",
    });
    let gsis: Vec<Value> = (0..shape.workload.gsis())
        .map(|i| {
            json!({
                "IndexName": format!("gsi{i}"),
                "KeySchema": [{"AttributeName": format!("g{i}"), "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            })
        })
        .collect();
    if !gsis.is_empty() {
        for i in 0..gsis.len() {
            if let Some(a) = create["AttributeDefinitions"].as_array_mut() {
                a.push(json!({"AttributeName": format!("g{i}"), "AttributeType": "S"}));
            }
        }
        create["GlobalSecondaryIndexes"] = Value::Array(gsis);
    }
    let (status, v) = call_json(conn, "CreateTable", create).await?;
    match (status, error_type(&v)) {
        (200, _) => eprintln!("setup: created table {}", table_name),
        (400, "ResourceInUseException") => eprintln!("setup: table {} exists", table_name),
        _ => return Err(format!("CreateTable {}: HTTP {status} {v}", table_name)),
    }

    let start = Instant::now();
    loop {
        let (status, v) =
            call_json(conn, "DescribeTable", json!({"TableName": table_name})).await?;
        if status != 200 {
            return Err(format!("DescribeTable {}: HTTP {status} {v}", table_name));
        }
        let table = &v["Table"];
        let key_names: Vec<&str> = table["KeySchema"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|k| k["AttributeName"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        let want: &[&str] = if shape.workload.has_range_key() {
            &["pk", "sk"]
        } else {
            &["pk"]
        };
        if key_names != want {
            return Err(format!(
                "table {} has key schema {key_names:?}; workload {} needs {want:?} \
                 (pick another --table)",
                table_name,
                shape.workload.name()
            ));
        }
        if table["TableStatus"] == "ACTIVE" {
            return Ok(());
        }
        if start.elapsed() > ACTIVE_TIMEOUT {
            return Err(format!(
                "table {} not ACTIVE after {ACTIVE_TIMEOUT:?}",
                table_name
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Items per BatchWriteItem while preloading (DynamoDB's maximum).
const BATCH: u64 = 25;

/// Writes the items that the workload reads (BatchWriteItem of 25, `concurrency` requests
/// at a time; a batch with unprocessed items or an error is sent again, a few times).
/// Fails on any batch that could not be written.
pub async fn preload(conns: Vec<Conn>, shape: &Shape) -> Result<(), String> {
    let total = shape.preload_count();
    if total == 0 {
        return Ok(());
    }
    let start = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for (w, mut conn) in conns.into_iter().enumerate() {
        let next = next.clone();
        let shape = shape.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = fastrand::Rng::with_seed(0x5eed_0000 + w as u64);
            loop {
                let first = next.fetch_add(BATCH, Ordering::Relaxed);
                if first >= total {
                    return Ok::<(), String>(());
                }
                let puts: Vec<String> = (first..(first + BATCH).min(total))
                    .map(|i| {
                        let item = if shape.workload.has_range_key() {
                            let (p, s) = (i / shape.sort_keys, i % shape.sort_keys);
                            let (pk, sk) = (workload::partition_key(p), workload::sort_key(s));
                            workload::item_json(&pk, Some(&sk), &[], &mut rng)
                        } else {
                            let gsi = shape.gsi_values(i, &mut rng);
                            workload::item_json(&workload::hash_key(i), None, &gsi, &mut rng)
                        };
                        format!(r#"{{"PutRequest":{{"Item":{item}}}}}"#)
                    })
                    .collect();
                let body = bytes::Bytes::from(format!(
                    r#"{{"RequestItems":{{"{}":[{}]}}}}"#,
                    shape.table,
                    puts.join(",")
                ));
                let mut last = String::new();
                let mut ok = false;
                for attempt in 0..PRELOAD_ATTEMPTS {
                    if attempt > 0 {
                        tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
                    }
                    match conn.call("BatchWriteItem", body.clone()).await {
                        Ok(r) => match workload::judge(r.status, &r.body, Check::Ok) {
                            None if unprocessed_none(&r.body) => {
                                ok = true;
                                break;
                            }
                            None => last = "unprocessed items".into(),
                            Some((kind, sample)) => last = format!("{kind}: {sample}"),
                        },
                        Err(e) => last = format!("{}: {}", e.kind(), e.detail()),
                    }
                }
                if !ok {
                    return Err(format!("preload items {first}..: {last}"));
                }
            }
        }));
    }
    for t in tasks {
        t.await.map_err(|e| format!("preload task: {e}"))??;
    }
    eprintln!(
        "setup: preloaded {total} items into {} in {:.1}s",
        shape.table,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Whether a BatchWriteItem response left nothing unprocessed.
fn unprocessed_none(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|v| {
        v.get("UnprocessedItems")
            .and_then(|u| u.as_object())
            .is_none_or(|u| u.is_empty())
    })
}
