//! `extenddo`: the native ExtendDO server and its log tools.

mod actor;
mod alloc;
mod auth;
mod checkpoint;
mod clock;
mod host;
mod logreplay;
mod logtool;
mod rlimit;
mod server;
mod store;
mod transfer;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use extenddo_engine::Config;

use crate::host::{Host, Storage};
use extenddo_log::sqlite::Durability;

#[derive(Parser)]
#[command(
    name = "extenddo",
    version,
    about = "ExtendDO: a DynamoDB-compatible database on an event-sourced storage engine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What a commit waits for before a write is acknowledged.
#[derive(Clone, Copy, clap::ValueEnum)]
enum DurabilityArg {
    /// fsync the WAL at every commit: acknowledged writes survive power loss.
    Full,
    /// No fsync per commit: acknowledged writes survive a process crash, not a power loss.
    Normal,
}

impl From<DurabilityArg> for Durability {
    fn from(d: DurabilityArg) -> Self {
        match d {
            DurabilityArg::Full => Durability::Full,
            DurabilityArg::Normal => Durability::Normal,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the DynamoDB API over HTTP.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8000")]
        listen: SocketAddr,
        /// Directory holding the catalog and one SQLite file per table.
        #[arg(long, default_value = "./extenddo-data", conflicts_with = "in_memory")]
        data_dir: PathBuf,
        /// Keep everything in memory; nothing survives a restart.
        #[arg(long)]
        in_memory: bool,
        /// What a commit waits for before a write is acknowledged.
        #[arg(long, value_enum, default_value_t = DurabilityArg::Full)]
        durability: DurabilityArg,
        /// Region reported in ARNs.
        #[arg(long, default_value = "us-east-1")]
        region: String,
        /// Account id reported in ARNs.
        #[arg(long, default_value = "000000000000")]
        account_id: String,
        /// How long after its expiry time the TTL sweeper deletes an expired item (ms).
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(i64).range(0..))]
        ttl_sweep_delay_ms: i64,
        /// Age at which an open stream shard holding records is closed and a child shard
        /// opened (ms; DynamoDB rolls shards over about every four hours).
        #[arg(long, default_value_t = extenddo_engine::config::DEFAULT_STREAM_SHARD_ROLLOVER_MS,
              value_parser = clap::value_parser!(i64).range(1000..))]
        stream_shard_rollover_ms: i64,
        /// How long a deleted table keeps its storage, so its streams stay readable (ms;
        /// DynamoDB keeps a deleted table's stream for 24 hours).
        #[arg(long, default_value_t = extenddo_engine::api::streams::RETENTION_MS,
              value_parser = clap::value_parser!(i64).range(0..))]
        deleted_table_retention_ms: i64,
        /// How long a transaction over several tables may stay undecided before its
        /// coordinator aborts it, and a table holding a prepared one asks for its outcome (ms).
        #[arg(long, default_value_t = extenddo_engine::config::DEFAULT_TX_RECOVERY_MS,
              value_parser = clap::value_parser!(i64).range(1..))]
        tx_recovery_ms: i64,
        /// Log archiving: a table seals its log records into a segment in the object store
        /// (`DATA_DIR/objects/`) once this many wait. 0 (the default for now) turns it off.
        #[arg(long, default_value_t = 0)]
        archive_records: u64,
        /// A table whose log is archived (archiving on, or point-in-time recovery) stores a
        /// snapshot once this many records were archived since its last one; 0: never.
        #[arg(long, default_value_t = 100_000)]
        snapshot_records: u64,
        /// Archived records older than this (ms), behind a stored snapshot, are trimmed
        /// from the local log (default 24 hours: streams read records that young).
        #[arg(long, default_value_t = extenddo_engine::api::streams::RETENTION_MS,
              value_parser = clap::value_parser!(i64).range(0..))]
        log_retention_ms: i64,
        /// The shortest window an incremental export may cover (ms; AWS's 15 minutes by
        /// default — shorter for tests).
        #[arg(long, default_value_t = extenddo_engine::config::INCREMENTAL_EXPORT_MIN_MS,
              value_parser = clap::value_parser!(i64).range(0..))]
        incremental_export_min_ms: i64,
        /// The object store (archived log segments): `s3://bucket[/prefix]` for an
        /// S3-compatible bucket (R2 included; endpoint, region and credentials from the
        /// `AWS_*` environment: `AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
        /// `AWS_SECRET_ACCESS_KEY`), or a directory. Default: `DATA_DIR/objects`.
        #[arg(long)]
        object_store: Option<String>,
        /// How many tables may be open at once (each holds a thread and three file
        /// descriptors); idle tables close and reopen on demand, so any number of tables
        /// works. Default: from the open-file limit (raised to its hard limit), at most 1024.
        #[arg(long, env = "EXTENDDO_MAX_OPEN_TABLES",
              value_parser = clap::value_parser!(u64).range(1..=100_000))]
        max_open_tables: Option<u64>,
        /// An open table closes after this long without a request (ms), if no background
        /// work of its own is due within 30 s.
        #[arg(long, env = "EXTENDDO_IDLE_CLOSE_MS", default_value_t = 2_000,
              value_parser = clap::value_parser!(i64).range(0..))]
        idle_close_ms: i64,
        /// An idle table stays open if its own background work is due within this many ms.
        #[arg(long, env = "EXTENDDO_CLOSE_HORIZON_MS", default_value_t = 30_000, hide = true,
              value_parser = clap::value_parser!(i64).range(0..))]
        close_horizon_ms: i64,
        #[command(flatten)]
        auth: auth::AuthArgs,
    },
    /// Inspect a table's change log.
    Log {
        #[command(subcommand)]
        command: logtool::LogCommand,
    },
    /// Export a table of a data directory to its object store, in AWS's export layout
    /// (ExportTableToPointInTime). Run it with the server stopped.
    Export(transfer::ExportArgs),
    /// Import files or objects into a new table of a data directory (ImportTable). Run it
    /// with the server stopped.
    Import(transfer::ImportArgs),
    /// Manage accounts, users, access keys, policies and admins of a data directory (the
    /// management API, in process; run it with the server stopped).
    Admin(auth::AdminArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            listen,
            data_dir,
            in_memory,
            durability,
            region,
            account_id,
            ttl_sweep_delay_ms,
            stream_shard_rollover_ms,
            deleted_table_retention_ms,
            tx_recovery_ms,
            archive_records,
            snapshot_records,
            log_retention_ms,
            incremental_export_min_ms,
            object_store,
            max_open_tables,
            idle_close_ms,
            close_horizon_ms,
            auth,
        } => {
            let auth =
                match auth::config(&auth, &listen, (!in_memory).then_some(data_dir.as_path())) {
                    Ok(a) => a,
                    Err(e) => {
                        eprintln!("extenddo: {e}");
                        return ExitCode::FAILURE;
                    }
                };
            let store = match object_store.as_deref() {
                None => None,
                Some(url) if url.starts_with("s3://") => match store::ObjectStore::s3(url) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        eprintln!("extenddo: --object-store: {e}");
                        return ExitCode::FAILURE;
                    }
                },
                Some(dir) => Some(store::ObjectStore::Dir(PathBuf::from(dir))),
            };
            let storage = if in_memory {
                Storage::Memory
            } else {
                Storage::Dir {
                    root: data_dir.clone(),
                    durability: durability.into(),
                }
            };
            let cfg = Config {
                region,
                account_id,
                ttl_sweep_delay_ms,
                stream_shard_rollover_ms,
                deleted_table_retention_ms,
                tx_recovery_ms,
                archive_records,
                snapshot_records,
                log_retention_ms,
                incremental_export_min_ms,
                auth,
                ..Config::default()
            };
            let mut limits = host::Limits::from_descriptor_limit();
            if let Some(n) = max_open_tables {
                limits.max_open_tables = n as usize;
            }
            limits.closing.idle_ms = idle_close_ms;
            limits.closing.horizon_ms = close_horizon_ms;
            serve(
                listen,
                storage,
                store,
                cfg,
                limits,
                if in_memory { None } else { Some(data_dir) },
            )
        }
        Command::Log { command } => logtool::run(command),
        Command::Export(a) => transfer::export(a).unwrap_or_else(|e| {
            eprintln!("extenddo export: {e}");
            ExitCode::FAILURE
        }),
        Command::Import(a) => transfer::import(a).unwrap_or_else(|e| {
            eprintln!("extenddo import: {e}");
            ExitCode::FAILURE
        }),
        Command::Admin(a) => auth::admin(a).unwrap_or_else(|e| {
            eprintln!("extenddo admin: {e}");
            ExitCode::FAILURE
        }),
    }
}

fn serve(
    listen: SocketAddr,
    storage: Storage,
    store: Option<store::ObjectStore>,
    cfg: Config,
    limits: host::Limits,
    dir: Option<PathBuf>,
) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("extenddo: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let archiving = cfg.archive_records;
        let enforce = cfg.auth.enforce;
        let bootstrap = cfg.auth.bootstrap_admin.as_ref().map(|(u, _)| u.clone());
        let host = match Host::open_with(cfg, storage, store, limits).await {
            Ok(h) => h,
            Err(e) => {
                eprintln!("extenddo: cannot open storage: {e}");
                return ExitCode::FAILURE;
            }
        };
        let listener = match tokio::net::TcpListener::bind(listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("extenddo: cannot listen on {listen}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let addr = listener.local_addr().unwrap_or(listen);
        println!("ExtendDO listening on http://{addr}");
        match &dir {
            Some(d) => println!("  data directory: {}", d.display()),
            None => println!("  in memory: nothing survives a restart"),
        }
        if archiving > 0 {
            println!(
                "  log archiving every {archiving} records to {}",
                host.describe_store()
            );
        }
        if enforce {
            println!("  --auth: SigV4 verified against stored access keys, IAM policies enforced");
            match bootstrap {
                Some(u) => println!("  management API at http://{addr}/management/ (bootstrap admin {u:?})"),
                None => println!("  management API at http://{addr}/management/ (no bootstrap admin: use `extenddo admin` or EXTENDDO_ADMIN_USER/PASSWORD)"),
            }
        } else if server::is_loopback(&addr) {
            println!("  bound to loopback: any SigV4 credentials are accepted (as DynamoDB Local does); --auth enforces keys and policies");
        } else {
            println!("  WARNING: not bound to loopback, yet any SigV4 credentials are accepted (--allow-unauthenticated)");
        }
        if !enforce {
            println!("  try: AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws dynamodb list-tables --region us-east-1 --endpoint-url http://{addr}");
        }
        match server::serve(host, listener).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("extenddo: server failed: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
