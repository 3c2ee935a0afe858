//! `extenddo export` and `extenddo import`: ExportTableToPointInTime and ImportTable on a
//! local data directory, through the engine's own requests (as a client would send them),
//! with a progress bar fed by the table object that does the work. Run them with the server
//! stopped: they open the data directory as `serve` does.
//!
//! A bucket is `OBJECT_STORE/buckets/<bucket>/` (default object store: `DATA_DIR/objects`).
//! `import --file` copies local files into the bucket `local-imports` first.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use extenddo_engine::api::command::TableCommand;
use extenddo_engine::api::reply::TableReply;
use extenddo_engine::api::store::StoreRequest;
use extenddo_engine::{Call, Config, Reply, TableId};
use extenddo_log::sqlite::Durability;
use serde_json::{json, Value};

use crate::host::{Host, Storage};
use crate::logreplay::post;

#[derive(clap::Args, Debug)]
pub struct Common {
    #[arg(long, default_value = "./extenddo-data")]
    data_dir: PathBuf,
    /// The object store (default `DATA_DIR/objects`): a directory, or `s3://bucket[/prefix]`.
    #[arg(long)]
    object_store: Option<String>,
    /// Region and account the data directory's tables were created with.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    #[arg(long, default_value = "000000000000")]
    account_id: String,
    /// Print the final description as JSON (and no progress bar).
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    common: Common,
    /// The table to export (point-in-time recovery must be on, as on AWS).
    #[arg(long)]
    table: String,
    #[arg(long, default_value = "local-exports")]
    bucket: String,
    #[arg(long)]
    prefix: Option<String>,
    /// DYNAMODB_JSON or ION.
    #[arg(long, default_value = "DYNAMODB_JSON")]
    format: String,
    /// ExportTime: RFC 3339 or epoch milliseconds (default: now).
    #[arg(long)]
    at: Option<String>,
    /// An incremental export of the window FROM..TO (RFC 3339 or epoch ms).
    #[arg(long, requires = "to")]
    from: Option<String>,
    #[arg(long)]
    to: Option<String>,
    /// NEW_IMAGE or NEW_AND_OLD_IMAGES (incremental exports).
    #[arg(long, default_value = "NEW_AND_OLD_IMAGES")]
    view: String,
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    #[command(flatten)]
    common: Common,
    /// The new table's name.
    #[arg(long)]
    table: String,
    /// Its partition key, `name:S|N|B`.
    #[arg(long)]
    key: Option<String>,
    /// Its sort key, `name:S|N|B`.
    #[arg(long)]
    sort: Option<String>,
    /// TableCreationParameters as JSON (instead of --table/--key/--sort).
    #[arg(long)]
    creation_json: Option<String>,
    /// Local files to import (copied into the bucket `local-imports` first).
    #[arg(long, num_args = 1.., conflicts_with = "bucket")]
    file: Vec<PathBuf>,
    /// Or objects already in a bucket of the object store, under a prefix.
    #[arg(long)]
    bucket: Option<String>,
    #[arg(long)]
    prefix: Option<String>,
    /// DYNAMODB_JSON, ION or CSV.
    #[arg(long, default_value = "DYNAMODB_JSON")]
    format: String,
    /// GZIP, ZSTD or NONE (default: from the first file's extension, else NONE).
    #[arg(long)]
    compression: Option<String>,
    #[arg(long)]
    csv_delimiter: Option<String>,
    /// CSV column names, comma-separated (else the first line is the header).
    #[arg(long)]
    csv_header: Option<String>,
}

/// Epoch seconds (the JSON protocol's timestamps) from RFC 3339 or epoch ms.
fn seconds(s: &str) -> Result<f64, String> {
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms as f64 / 1000.0);
    }
    crate::logtool::parse_rfc3339(s)
        .map(|ms| ms as f64 / 1000.0)
        .ok_or_else(|| format!("{s}: not RFC 3339 or epoch milliseconds"))
}

fn open(
    c: &Common,
) -> Result<
    (
        tokio::runtime::Runtime,
        Config,
        Storage,
        crate::store::ObjectStore,
    ),
    String,
> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let cfg = Config {
        region: c.region.clone(),
        account_id: c.account_id.clone(),
        ..Config::default()
    };
    let storage = Storage::Dir {
        root: c.data_dir.clone(),
        durability: Durability::Full,
    };
    let store = match c.object_store.as_deref() {
        Some(url) if url.starts_with("s3://") => crate::store::ObjectStore::s3(url)?,
        Some(dir) => crate::store::ObjectStore::Dir(PathBuf::from(dir)),
        None => crate::store::ObjectStore::under(&c.data_dir),
    };
    Ok((runtime, cfg, storage, store))
}

fn bar(json: bool, len: Option<u64>) -> indicatif::ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let b = match len {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} {elapsed_precise} [{wide_bar}] {pos}/{len} {msg}",
    ) {
        b.set_style(style);
    }
    b
}

pub fn export(a: ExportArgs) -> Result<ExitCode, String> {
    let (runtime, cfg, storage, store) = open(&a.common)?;
    runtime.block_on(async {
        let host = Host::open(cfg.clone(), storage, Some(store))
            .await
            .map_err(|e| format!("opening {}: {e}", a.common.data_dir.display()))?;
        let table = post(&host, "DescribeTable", &json!({ "TableName": a.table })).await?;
        let t = &table["Table"];
        let mut req = json!({
            "TableArn": t["TableArn"],
            "S3Bucket": a.bucket,
            "ExportFormat": a.format,
        });
        if let Some(p) = &a.prefix {
            req["S3Prefix"] = json!(p);
        }
        if let Some(at) = &a.at {
            req["ExportTime"] = json!(seconds(at)?);
        }
        if let (Some(from), Some(to)) = (&a.from, &a.to) {
            req["ExportType"] = json!("INCREMENTAL_EXPORT");
            req["IncrementalExportSpecification"] = json!({
                "ExportFromTime": seconds(from)?,
                "ExportToTime": seconds(to)?,
                "ExportViewType": a.view,
            });
        }
        let d = post(&host, "ExportTableToPointInTime", &req).await?;
        let arn = d["ExportDescription"]["ExportArn"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let id = TableId(t["TableId"].as_str().unwrap_or_default().to_owned());
        let b = bar(a.common.json, t["ItemCount"].as_u64());
        let done = loop {
            let d = post(&host, "DescribeExport", &json!({ "ExportArn": arn })).await?;
            if d["ExportDescription"]["ExportStatus"] != "IN_PROGRESS" {
                break d;
            }
            let live = host
                .call(Call::table(
                    &id,
                    TableCommand::ExportStatus { arn: arn.clone() },
                ))
                .await;
            if let Ok(Reply::Table(TableReply::Export(e))) = live {
                b.set_position(e.item_count);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        b.finish_and_clear();
        report(&a.common, &done["ExportDescription"], |e| {
            format!(
                "export {}: {} items in {}/{}",
                e["ExportStatus"].as_str().unwrap_or(""),
                e["ItemCount"],
                e["S3Bucket"].as_str().unwrap_or(""),
                e["ExportManifest"].as_str().unwrap_or("")
            )
        })
    })
}

fn report(c: &Common, d: &Value, line: impl Fn(&Value) -> String) -> Result<ExitCode, String> {
    if c.json {
        println!("{d}");
    } else {
        println!("{}", line(d));
        if let (Some(code), Some(msg)) = (d["FailureCode"].as_str(), d["FailureMessage"].as_str()) {
            println!("  {code}: {msg}");
        }
    }
    Ok(
        if d["ExportStatus"] == "COMPLETED" || d["ImportStatus"] == "COMPLETED" {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        },
    )
}

fn key_attr(spec: &str) -> Result<(String, String), String> {
    let (name, ty) = spec
        .rsplit_once(':')
        .ok_or_else(|| format!("{spec}: expected name:S|N|B"))?;
    Ok((name.to_owned(), ty.to_owned()))
}

pub fn import(a: ImportArgs) -> Result<ExitCode, String> {
    let creation = match (&a.creation_json, &a.key) {
        (Some(j), _) => {
            serde_json::from_str::<Value>(j).map_err(|e| format!("--creation-json: {e}"))?
        }
        (None, Some(k)) => {
            let mut attrs = Vec::new();
            let mut schema = Vec::new();
            for (spec, role) in [(Some(k), "HASH"), (a.sort.as_ref(), "RANGE")] {
                if let Some(spec) = spec {
                    let (name, ty) = key_attr(spec)?;
                    attrs.push(json!({"AttributeName": name, "AttributeType": ty}));
                    schema.push(json!({"AttributeName": name, "KeyType": role}));
                }
            }
            json!({"TableName": a.table, "AttributeDefinitions": attrs, "KeySchema": schema,
                   "BillingMode": "PAY_PER_REQUEST"})
        }
        (None, None) => return Err("give --key (and --sort), or --creation-json".into()),
    };
    let (runtime, cfg, storage, store) = open(&a.common)?;
    runtime.block_on(async {
        let host = Host::open(cfg.clone(), storage, Some(store))
            .await
            .map_err(|e| format!("opening {}: {e}", a.common.data_dir.display()))?;
        let (bucket, prefix) = if a.file.is_empty() {
            (
                a.bucket.clone().ok_or("give --file or --bucket")?,
                a.prefix.clone(),
            )
        } else {
            // Each file under a prefix of its own import.
            let stamp = crate::clock::now_ms();
            let prefix = format!("{}-{stamp}/", a.table);
            for f in &a.file {
                let bytes = std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?;
                let name = f
                    .file_name()
                    .and_then(|n| n.to_str())
                    .ok_or_else(|| format!("{}: not a file name", f.display()))?;
                let key = format!("buckets/local-imports/{prefix}{name}");
                match host.store(StoreRequest::Put { key, bytes }).await {
                    Ok(_) => {}
                    Err(e) => return Err(format!("copying {}: {e}", f.display())),
                }
            }
            ("local-imports".to_owned(), Some(prefix))
        };
        let first = a
            .file
            .first()
            .map(|f| f.display().to_string())
            .or(prefix.clone())
            .unwrap_or_default();
        let compression = a.compression.clone().unwrap_or_else(|| {
            if first.ends_with(".gz") {
                "GZIP".into()
            } else if first.ends_with(".zst") || first.ends_with(".zstd") {
                "ZSTD".into()
            } else {
                "NONE".into()
            }
        });
        let mut source = json!({ "S3Bucket": bucket });
        if let Some(p) = &prefix {
            source["S3KeyPrefix"] = json!(p);
        }
        let mut req = json!({
            "S3BucketSource": source,
            "InputFormat": a.format,
            "InputCompressionType": compression,
            "TableCreationParameters": creation,
        });
        if a.csv_delimiter.is_some() || a.csv_header.is_some() {
            let mut csv = json!({});
            if let Some(d) = &a.csv_delimiter {
                csv["Delimiter"] = json!(d);
            }
            if let Some(h) = &a.csv_header {
                csv["HeaderList"] = json!(h.split(',').collect::<Vec<_>>());
            }
            req["InputFormatOptions"] = json!({ "Csv": csv });
        }
        let d = post(&host, "ImportTable", &req).await?;
        let d = &d["ImportTableDescription"];
        let arn = d["ImportArn"].as_str().unwrap_or_default().to_owned();
        let id = TableId(d["TableId"].as_str().unwrap_or_default().to_owned());
        let b = bar(a.common.json, None);
        let done = loop {
            let d = post(&host, "DescribeImport", &json!({ "ImportArn": arn })).await?;
            if d["ImportTableDescription"]["ImportStatus"] != "IN_PROGRESS" {
                break d;
            }
            if let Ok(Reply::Table(TableReply::Import(i))) = host
                .call(Call::table(&id, TableCommand::ImportStatus))
                .await
            {
                b.set_position(i.imported_items);
                b.set_message(format!("items, {} errors", i.errors));
            }
            b.tick();
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        b.finish_and_clear();
        report(&a.common, &done["ImportTableDescription"], |i| {
            format!(
                "import {}: {} items imported into {}, {} errors",
                i["ImportStatus"].as_str().unwrap_or(""),
                i["ImportedItemCount"],
                a.table,
                i["ErrorCount"]
            )
        })
    })
}
