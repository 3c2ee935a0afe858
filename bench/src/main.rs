//! `extenddo-bench`: a closed-loop load generator for DynamoDB-compatible endpoints on
//! this machine (ExtendDO, dynalite, moto, DynamoDB Local), over HTTP/1.1 keep-alive
//! with the DynamoDB JSON protocol. See docs/benchmarks.md.

mod client;
mod report;
mod run;
mod setup;
mod streams;
mod workload;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use client::{Conn, Endpoint, Signer};
use workload::{Shape, Workload};

#[derive(Parser, Debug)]
#[command(name = "extenddo-bench", version, about)]
struct Args {
    /// The server, e.g. http://127.0.0.1:8000 (loopback addresses only).
    #[arg(long)]
    endpoint: String,
    /// What each client sends.
    #[arg(long, value_enum, default_value = "put")]
    workload: Workload,
    /// Simulated clients: one persistent connection each, one request in flight each.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    connections: u16,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=120))]
    duration: u64,
    /// Warm-up seconds (requests sent but not counted).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(0..=60))]
    warmup: u64,
    /// Key space: distinct items (for query: partitions x --sort-keys).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    items: u64,
    /// Sort keys per partition (query workload).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    sort_keys: u64,
    /// Query Limit.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
    limit: u64,
    /// Table name (default: extenddo_bench_kv, or extenddo_bench_query for query).
    #[arg(long)]
    table: Option<String>,
    /// Create the table if missing, wait until ACTIVE, preload the keys reads need.
    #[arg(long)]
    setup: bool,
    /// Only --setup; no measured run.
    #[arg(long, requires = "setup")]
    setup_only: bool,
    /// Per-request timeout in seconds (a timeout counts as an error).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=120))]
    timeout: u64,
    /// Client runtime threads (the client shares the machine with the server).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    threads: u16,
    /// Random seed for keys and payloads.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Region in the SigV4 credential scope.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Sign every request for real with this access key (a server with `--auth`);
    /// without it the signature only has SigV4's shape.
    #[arg(long, requires = "secret_key")]
    access_key: Option<String>,
    #[arg(long, requires = "access_key")]
    secret_key: Option<String>,
    /// Print the result as one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads as usize)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("extenddo-bench: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(bench(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("extenddo-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn bench(args: Args) -> Result<(), String> {
    let endpoint = Endpoint::parse(&args.endpoint)?;
    let signer = match (&args.access_key, &args.secret_key) {
        (Some(k), Some(s)) => Signer::with_key(&args.region, k.clone(), s.clone()),
        _ => Signer::new(&args.region),
    };
    let timeout = Duration::from_secs(args.timeout);
    let shape = Shape {
        workload: args.workload,
        table: args
            .table
            .clone()
            .unwrap_or_else(|| args.workload.default_table().to_string()),
        items: args.items,
        sort_keys: args.sort_keys,
        limit: args.limit,
        // Differs from run to run (nanoseconds since the epoch, spread over the key space).
        new_key_salt: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15),
    };
    let conns = |n: usize| -> Vec<Conn> {
        (0..n)
            .map(|_| Conn::new(endpoint.clone(), signer.clone(), timeout))
            .collect()
    };

    if args.workload == Workload::Streams {
        if args.setup_only {
            return Ok(());
        }
        return streams::bench(
            || Conn::new(endpoint.clone(), signer.clone(), timeout),
            &args.endpoint,
            args.table.as_deref().unwrap_or("extenddo_bench_streams"),
            args.items,
            args.connections as usize,
            Duration::from_secs(args.warmup),
            Duration::from_secs(args.duration),
            args.seed,
            args.json,
        )
        .await;
    }
    if args.setup && args.workload.needs_table() {
        let mut conn = Conn::new(endpoint.clone(), signer.clone(), timeout);
        setup::ensure_table(&mut conn, &shape).await?;
        setup::preload(conns(args.connections as usize), &shape).await?;
    }
    if args.setup_only {
        return Ok(());
    }

    let warmup = Duration::from_secs(args.warmup);
    let duration = Duration::from_secs(args.duration);
    let (tally, measured) = run::run(
        conns(args.connections as usize),
        &shape,
        warmup,
        duration,
        args.seed,
    )
    .await;
    let report = report::Report {
        endpoint: &args.endpoint,
        shape: &shape,
        connections: args.connections as usize,
        threads: args.threads as usize,
        warmup,
        measured,
        tally: &tally,
    };
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}
