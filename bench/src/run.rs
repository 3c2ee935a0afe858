//! The measured run: one task per simulated client, each with its own keep-alive
//! connection, closed loop (one request in flight per connection), for a warm-up and then
//! a measured window. Only requests that *start* inside the window are counted; only
//! checked successes count as throughput and go into the latency histogram.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::client::Conn;
use crate::workload::{self, Shape};

/// Latencies are recorded in microseconds, up to a minute, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// What one or all clients saw in the measured window.
pub struct Tally {
    pub ok: u64,
    pub errors: u64,
    /// Error kind → (count, first sample).
    pub error_kinds: BTreeMap<String, (u64, String)>,
    pub latency_us: Histogram<u64>,
    pub reconnects: u64,
    /// Requests sent during the warm-up (any outcome), and how many of them failed.
    pub warmup_requests: u64,
    pub warmup_errors: u64,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            ok: 0,
            errors: 0,
            error_kinds: BTreeMap::new(),
            latency_us: new_histogram(),
            reconnects: 0,
            warmup_requests: 0,
            warmup_errors: 0,
        }
    }

    fn error(&mut self, kind: String, sample: String) {
        self.errors += 1;
        self.error_kinds.entry(kind).or_insert((0, sample)).0 += 1;
    }

    fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.errors += other.errors;
        for (kind, (n, sample)) in other.error_kinds {
            self.error_kinds.entry(kind).or_insert((0, sample)).0 += n;
        }
        self.latency_us
            .add(&other.latency_us)
            .expect("same histogram bounds");
        self.reconnects += other.reconnects;
        self.warmup_requests += other.warmup_requests;
        self.warmup_errors += other.warmup_errors;
    }
}

/// Runs the workload on `conns` (one task each) and returns the merged tally and the
/// length of the measured window.
pub async fn run(
    conns: Vec<Conn>,
    shape: &Shape,
    warmup: Duration,
    duration: Duration,
    seed: u64,
) -> (Tally, Duration) {
    let t0 = Instant::now();
    let measure_start = t0 + warmup;
    let end = measure_start + duration;
    let mut tasks = Vec::new();
    for (w, mut conn) in conns.into_iter().enumerate() {
        let shape = shape.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = fastrand::Rng::with_seed(seed.wrapping_mul(1_000_003) + w as u64);
            let mut tally = Tally::new();
            loop {
                let op = shape.next_op(&mut rng);
                let started = Instant::now();
                if started >= end {
                    break;
                }
                let measured = started >= measure_start;
                let verdict = match conn.call(op.target, op.body).await {
                    Ok(r) => workload::judge(r.status, &r.body, op.check),
                    Err(e) => Some((e.kind(), e.detail())),
                };
                let elapsed = started.elapsed();
                if !measured {
                    tally.warmup_requests += 1;
                    tally.warmup_errors += u64::from(verdict.is_some());
                    continue;
                }
                match verdict {
                    None => {
                        tally.ok += 1;
                        let us = (elapsed.as_micros() as u64).max(1);
                        tally.latency_us.saturating_record(us);
                    }
                    Some((kind, sample)) => tally.error(kind, sample),
                }
            }
            tally.reconnects = conn.reconnects;
            tally
        }));
    }
    let mut total = Tally::new();
    for t in tasks {
        match t.await {
            Ok(tally) => total.merge(tally),
            Err(e) => total.error("client task panicked".into(), e.to_string()),
        }
    }
    (total, duration)
}
