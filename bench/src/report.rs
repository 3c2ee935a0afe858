//! The result of a run, as text for a person or JSON for scripts (`--json`).

use std::time::Duration;

use serde_json::{json, Value};

use crate::run::Tally;
use crate::workload::Shape;

pub struct Report<'a> {
    pub endpoint: &'a str,
    pub shape: &'a Shape,
    pub connections: usize,
    pub threads: usize,
    pub warmup: Duration,
    pub measured: Duration,
    pub tally: &'a Tally,
}

impl Report<'_> {
    fn ops_per_sec(&self) -> f64 {
        self.tally.ok as f64 / self.measured.as_secs_f64()
    }

    fn percentile_ms(&self, q: f64) -> Option<f64> {
        let h = &self.tally.latency_us;
        (!h.is_empty()).then(|| h.value_at_quantile(q) as f64 / 1000.0)
    }

    pub fn to_json(&self) -> Value {
        let h = &self.tally.latency_us;
        let errors: serde_json::Map<String, Value> = self
            .tally
            .error_kinds
            .iter()
            .map(|(k, (n, sample))| (k.clone(), json!({"count": n, "sample": sample})))
            .collect();
        json!({
            "endpoint": self.endpoint,
            "workload": self.shape.workload,
            "table": self.shape.table,
            "items": self.shape.items,
            "sort_keys": self.shape.sort_keys,
            "limit": self.shape.limit,
            "connections": self.connections,
            "client_threads": self.threads,
            "warmup_s": self.warmup.as_secs_f64(),
            "duration_s": self.measured.as_secs_f64(),
            "ok": self.tally.ok,
            "errors": self.tally.errors,
            "ops_per_sec": self.ops_per_sec(),
            "latency_ms": {
                "p50": self.percentile_ms(0.50),
                "p99": self.percentile_ms(0.99),
                "p999": self.percentile_ms(0.999),
                "max": (!h.is_empty()).then(|| h.max() as f64 / 1000.0),
                "mean": (!h.is_empty()).then(|| h.mean() / 1000.0),
            },
            "error_kinds": errors,
            "reconnects": self.tally.reconnects,
            "warmup_requests": self.tally.warmup_requests,
            "warmup_errors": self.tally.warmup_errors,
        })
    }

    pub fn to_text(&self) -> String {
        let ms = |q: f64| match self.percentile_ms(q) {
            Some(v) => format!("{v:.3} ms"),
            None => "-".into(),
        };
        let mut s = format!(
            "endpoint {}  workload {}  table {}  items {}  connections {}  warmup {:?}  measured {:?}\n",
            self.endpoint,
            self.shape.workload.name(),
            self.shape.table,
            self.shape.items,
            self.connections,
            self.warmup,
            self.measured,
        );
        s += &format!(
            "ok {}  errors {}  ops/s {:.1}  p50 {}  p99 {}  p99.9 {}  max {}\n",
            self.tally.ok,
            self.tally.errors,
            self.ops_per_sec(),
            ms(0.50),
            ms(0.99),
            ms(0.999),
            ms(1.0),
        );
        s += &format!(
            "reconnects {}  warm-up requests {} (errors {})\n",
            self.tally.reconnects, self.tally.warmup_requests, self.tally.warmup_errors
        );
        for (kind, (n, sample)) in &self.tally.error_kinds {
            s += &format!("error {kind}: {n}  e.g. {sample}\n");
        }
        s
    }
}
