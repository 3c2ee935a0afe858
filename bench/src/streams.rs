//! `--workload streams`: GetRecords throughput while writes run.
//!
//! The table (`extenddo_bench_streams` unless `--table`) is created fresh with a
//! NEW_AND_OLD_IMAGES stream. `--connections` writers run the `put` workload (closed loop,
//! warm-up then measured window, exactly as `--workload put`), while one consumer reads the
//! stream with the DynamoDB Streams API on the same endpoint: GetShardIterator TRIM_HORIZON,
//! then GetRecords (`Limit` 1000) in a loop, following child shards when a shard closes,
//! polling again after 5 ms when it has caught up. Reported: records read per second in
//! the measured window (`ops_per_sec`, the headline number: a consumer keeping up with the
//! writers), writes per second, GetRecords latency, how far the consumer was behind when the
//! writers stopped, and — once the writers are done — how fast a second consumer reads the
//! whole stream again from TRIM_HORIZON (`replay_records_per_sec`: GetRecords with a
//! backlog, 1000 records per call).

use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{json, Value};

use crate::client::Conn;
use crate::run::{self, new_histogram};
use crate::workload::{Shape, Workload};

const STREAMS: &str = "DynamoDBStreams_20120810.";

async fn call(conn: &mut Conn, target: &str, body: Value) -> Result<Value, String> {
    let r = conn
        .call(target, Bytes::from(body.to_string()))
        .await
        .map_err(|e| format!("{target}: {}: {}", e.kind(), e.detail()))?;
    let v: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
    if r.status != 200 {
        return Err(format!("{target}: HTTP {} {v}", r.status));
    }
    Ok(v)
}

/// Creates the table afresh with a stream; returns the stream ARN.
async fn setup(conn: &mut Conn, table: &str) -> Result<String, String> {
    let _ = call(conn, "DeleteTable", json!({"TableName": table})).await;
    call(
        conn,
        "CreateTable",
        json!({
            "TableName": table,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        }),
    )
    .await?;
    let started = Instant::now();
    loop {
        let t = call(conn, "DescribeTable", json!({"TableName": table})).await?;
        if t["Table"]["TableStatus"] == "ACTIVE" {
            return t["Table"]["LatestStreamArn"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| {
                    format!("DescribeTable {table}: no LatestStreamArn (streams unsupported?)")
                });
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err(format!("table {table} not ACTIVE after 60 s"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn shards(conn: &mut Conn, arn: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let mut body = json!({"StreamArn": arn});
        if let Some(s) = &start {
            body["ExclusiveStartShardId"] = json!(s);
        }
        let d = call(conn, &format!("{STREAMS}DescribeStream"), body).await?;
        out.extend(
            d["StreamDescription"]["Shards"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
        match d["StreamDescription"]["LastEvaluatedShardId"].as_str() {
            Some(s) => start = Some(s.to_owned()),
            None => return Ok(out),
        }
    }
}

async fn iterator(conn: &mut Conn, arn: &str, shard: &str) -> Result<String, String> {
    let v = call(
        conn,
        &format!("{STREAMS}GetShardIterator"),
        json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
    )
    .await?;
    v["ShardIterator"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "GetShardIterator: no ShardIterator".to_owned())
}

struct Consumed {
    /// Records returned by GetRecords calls started in the measured window.
    measured_records: u64,
    total_records: u64,
    calls: u64,
    empty_calls: u64,
    latency_us: hdrhistogram::Histogram<u64>,
    /// Records read after the writers stopped (the consumer's backlog then).
    backlog_at_end: u64,
    /// How long draining that backlog took.
    drain: Duration,
    error: Option<String>,
}

/// Reads the stream from TRIM_HORIZON until `end`, then until it holds `target()` records
/// (or 30 s more pass).
async fn consume(
    mut conn: Conn,
    arn: String,
    measure_start: Instant,
    end: Instant,
    written: tokio::sync::watch::Receiver<Option<u64>>,
) -> Consumed {
    let mut c = Consumed {
        measured_records: 0,
        total_records: 0,
        calls: 0,
        empty_calls: 0,
        latency_us: new_histogram(),
        backlog_at_end: 0,
        drain: Duration::ZERO,
        error: None,
    };
    let mut done_shards: Vec<String> = Vec::new();
    let mut current: Option<(String, String)> = None; // (shard id, iterator)
    let mut at_end: Option<u64> = None;
    let result: Result<(), String> = async {
        loop {
            let now = Instant::now();
            if now >= end && at_end.is_none() {
                at_end = Some(c.total_records);
            }
            if now >= end {
                let target = *written.borrow();
                let drained = target.is_some_and(|t| c.total_records >= t);
                if drained || now > end + Duration::from_secs(30) {
                    c.backlog_at_end = c.total_records - at_end.unwrap_or(c.total_records);
                    c.drain = now - end;
                    return Ok(());
                }
            }
            let (shard, it) = match current.take() {
                Some(x) => x,
                None => {
                    // The first shard not read to its end yet.
                    let all = shards(&mut conn, &arn).await?;
                    let Some(sh) = all.iter().find(|s| {
                        !done_shards
                            .iter()
                            .any(|d| Some(d.as_str()) == s["ShardId"].as_str())
                    }) else {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    };
                    let id = sh["ShardId"].as_str().unwrap_or_default().to_owned();
                    let it = iterator(&mut conn, &arn, &id).await?;
                    (id, it)
                }
            };
            let started = Instant::now();
            let r = call(
                &mut conn,
                &format!("{STREAMS}GetRecords"),
                json!({"ShardIterator": it, "Limit": 1000}),
            )
            .await?;
            c.latency_us
                .saturating_record((started.elapsed().as_micros() as u64).max(1));
            c.calls += 1;
            let n = r["Records"].as_array().map_or(0, Vec::len) as u64;
            c.total_records += n;
            if started >= measure_start && started < end {
                c.measured_records += n;
            }
            match r["NextShardIterator"].as_str() {
                None => done_shards.push(shard),
                Some(next) => {
                    current = Some((shard, next.to_owned()));
                    if n == 0 {
                        c.empty_calls += 1;
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
            }
        }
    }
    .await;
    if let Err(e) = result {
        c.error = Some(e);
    }
    c
}

#[allow(clippy::too_many_arguments)]
pub async fn bench(
    mut make_conn: impl FnMut() -> Conn,
    endpoint: &str,
    table: &str,
    items: u64,
    connections: usize,
    warmup: Duration,
    duration: Duration,
    seed: u64,
    as_json: bool,
) -> Result<(), String> {
    let mut admin = make_conn();
    let arn = setup(&mut admin, table).await?;
    let shape = Shape {
        workload: Workload::Put,
        table: table.to_owned(),
        items,
        sort_keys: 1,
        limit: 1,
        new_key_salt: 0,
    };
    let t0 = Instant::now();
    let (measure_start, end) = (t0 + warmup, t0 + warmup + duration);
    let (tx, rx) = tokio::sync::watch::channel(None);
    let consumer = tokio::spawn(consume(make_conn(), arn.clone(), measure_start, end, rx));
    let writers: Vec<Conn> = (0..connections).map(|_| make_conn()).collect();
    let (tally, measured) = run::run(writers, &shape, warmup, duration, seed).await;
    // Every successful write (warm-up included) is one stream record, unless it rewrote an
    // identical item, which random payloads make practically impossible.
    let _ = tx.send(Some(tally.ok + tally.warmup_requests - tally.warmup_errors));
    let c = consumer.await.map_err(|e| format!("consumer task: {e}"))?;
    // Replay: the whole stream again, from TRIM_HORIZON, with nothing being written.
    let (never_tx, never) = tokio::sync::watch::channel(Some(c.total_records));
    let replay_start = Instant::now();
    let replay = consume(make_conn(), arn.clone(), replay_start, replay_start, never).await;
    drop(never_tx);
    let replay_secs = replay_start.elapsed().as_secs_f64();
    let secs = measured.as_secs_f64();
    let ms = |q: f64| {
        (!c.latency_us.is_empty()).then(|| c.latency_us.value_at_quantile(q) as f64 / 1000.0)
    };
    let report = json!({
        "endpoint": endpoint,
        "workload": "streams",
        "table": table,
        "items": items,
        "connections": connections,
        "warmup_s": warmup.as_secs_f64(),
        "duration_s": secs,
        "ok": c.measured_records,
        "errors": tally.errors + u64::from(c.error.is_some()),
        "ops_per_sec": c.measured_records as f64 / secs,
        "records_per_sec": c.measured_records as f64 / secs,
        "writes_per_sec": tally.ok as f64 / secs,
        "write_errors": tally.errors,
        "get_records_calls": c.calls,
        "get_records_empty": c.empty_calls,
        "records_total": c.total_records,
        "backlog_when_writes_stopped": c.backlog_at_end,
        "drain_s": c.drain.as_secs_f64(),
        "latency_ms": {"p50": ms(0.5), "p99": ms(0.99), "p999": ms(0.999), "max": ms(1.0)},
        "consumer_error": c.error,
        "replay_records": replay.total_records,
        "replay_s": replay_secs,
        "replay_records_per_sec": replay.total_records as f64 / replay_secs,
        "replay_calls": replay.calls,
        "replay_error": replay.error,
        "reconnects": tally.reconnects,
    });
    if as_json {
        println!("{report}");
    } else {
        println!(
            "endpoint {endpoint}  workload streams  table {table}  writers {connections}  measured {measured:?}\n\
             GetRecords: {:.1} records/s ({} calls, {} empty, p50 {:?} ms, p99 {:?} ms)\n\
             writes: {:.1}/s ({} errors); backlog when writes stopped: {} records, drained in {:.2} s\n\
             replay from TRIM_HORIZON: {} records in {:.2} s = {:.1} records/s ({} calls){}",
            c.measured_records as f64 / secs,
            c.calls,
            c.empty_calls,
            ms(0.5),
            ms(0.99),
            tally.ok as f64 / secs,
            tally.errors,
            c.backlog_at_end,
            c.drain.as_secs_f64(),
            replay.total_records,
            replay_secs,
            replay.total_records as f64 / replay_secs,
            replay.calls,
            c.error.as_deref().map(|e| format!("\nconsumer error: {e}")).unwrap_or_default(),
        );
    }
    Ok(())
}
