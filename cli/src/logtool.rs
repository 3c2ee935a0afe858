//! `extenddo log …`: read and check a table's change log.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use extenddo_engine::api::catalog::IncarnationState;
use extenddo_engine::catalog::incarnations_of;
use extenddo_engine::log::{AttributeValue, Item, LogStore};
use extenddo_engine::projections::verify::{compare, Difference};
use extenddo_engine::projections::{keycode, TableSchema};
use extenddo_engine::wire::log_view::{record_json, record_line};
use extenddo_engine::wire::value::encode_item;
use extenddo_engine::TableId;

use crate::host::Storage;
use extenddo_log::sqlite::Sqlite;

/// Which table: by name (its current incarnation, or its newest) or by incarnation id.
#[derive(Args)]
pub struct Which {
    #[arg(long)]
    data_dir: PathBuf,
    /// The table's name.
    #[arg(
        long,
        required_unless_present = "table_id",
        conflicts_with = "table_id"
    )]
    table: Option<String>,
    /// One incarnation of a table (a deleted one included), by its TableId.
    #[arg(long)]
    table_id: Option<String>,
    /// The account that owns the table (default: any).
    #[arg(long)]
    account: Option<String>,
}

#[derive(Subcommand)]
pub enum LogCommand {
    /// Print every record of a table's log, one per line.
    Dump {
        #[command(flatten)]
        which: Which,
        /// One JSON object per line: lsn, ts, kind and the event's images.
        #[arg(long)]
        json: bool,
    },
    /// Check checksums and LSN continuity, and that replaying the log reproduces every live
    /// projection: items, each index, the TTL schedule and the schema.
    Verify {
        #[command(flatten)]
        which: Which,
    },
    /// Check a sealed segment file (from the object store, e.g. `DATA_DIR/objects/tables/
    /// <table id>/log/*.seg`) end to end and print its header and records; a damaged or
    /// truncated segment is named with what failed, and nothing of it is printed.
    Segment {
        /// The segment file.
        file: PathBuf,
        /// One JSON object per line (the header first, then the records).
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: LogCommand) -> ExitCode {
    let result = match cmd {
        LogCommand::Dump { which, json } => dump(&which, json),
        LogCommand::Verify { which } => verify(&which),
        LogCommand::Segment { file, json } => segment(&file, json),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("extenddo log: {e}");
            ExitCode::FAILURE
        }
    }
}

fn open_table(w: &Which) -> Result<Sqlite, String> {
    let dir: &Path = &w.data_dir;
    let id = match (&w.table_id, &w.table) {
        (Some(id), _) => id.clone(),
        (None, Some(name)) => {
            let catalog = Sqlite::open_read_only(&Storage::catalog_path(dir))
                .map_err(|e| format!("no catalog in {}: {e}", dir.display()))?;
            let found =
                incarnations_of(&catalog, w.account.as_deref(), name).map_err(|e| e.to_string())?;
            // The current incarnation, else the newest deleted one.
            let pick = found
                .iter()
                .find(|i| i.state != IncarnationState::Deleted)
                .or_else(|| found.first())
                .ok_or_else(|| format!("no table {name} in {}", dir.display()))?;
            pick.id.0.clone()
        }
        (None, None) => return Err("name a table with --table or --table-id".into()),
    };
    if !TableId::is_well_formed(&id) {
        return Err(format!("{id} is not a table id"));
    }
    let path = Storage::table_path(dir, &id);
    if !path.exists() {
        return Err(format!("table {id} has no storage in {}", dir.display()));
    }
    Sqlite::open_read_only(&path).map_err(|e| e.to_string())
}

fn dump(w: &Which, as_json: bool) -> Result<ExitCode, String> {
    let sql = open_table(w)?;
    let mut out = std::io::stdout().lock();
    use std::io::Write;
    // A break is a closed pipe: the dump ends quietly either way.
    let _stopped = LogStore::for_each(&sql, |r| {
        let line = if as_json {
            record_json(&r).to_string()
        } else {
            record_line(&r)
        };
        // A closed pipe (`| head`) ends the dump quietly.
        match writeln!(out, "{line}") {
            Ok(()) => ControlFlow::Continue(()),
            Err(_) => ControlFlow::Break(()),
        }
    })
    .map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

fn segment(file: &Path, as_json: bool) -> Result<ExitCode, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let seg = extenddo_log::sealed::open(&bytes)
        .map_err(|e| format!("{}: damaged segment: {e}", file.display()))?;
    let h = &seg.header;
    let mut out = std::io::stdout().lock();
    use std::io::Write;
    let header = if as_json {
        serde_json::json!({
            "segment": file.display().to_string(), "table_id": h.table_id,
            "first_lsn": h.first_lsn, "last_lsn": h.last_lsn,
            "first_ts": h.first_ts_ms, "last_ts": h.last_ts_ms,
            "records": h.records, "raw_bytes": h.raw_len, "stored_bytes": bytes.len(),
        })
        .to_string()
    } else {
        format!(
            "segment {}: table {}, lsn {}..{}, {} records, {} bytes ({} raw)",
            file.display(),
            h.table_id,
            h.first_lsn,
            h.last_lsn,
            h.records,
            bytes.len(),
            h.raw_len
        )
    };
    let _ = writeln!(out, "{header}");
    for r in &seg.records {
        let line = if as_json {
            record_json(r).to_string()
        } else {
            record_line(r)
        };
        if writeln!(out, "{line}").is_err() {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A table key, as DynamoDB JSON, for messages.
fn render_key(schema: Option<&TableSchema>, key: &(Vec<u8>, Vec<u8>)) -> String {
    let Some(s) = schema else {
        return format!("{:02x?}", key);
    };
    let mut item = Item::new();
    let mut put = |name: &str, ty, bytes: &[u8]| {
        let v = keycode::decode(ty, bytes).unwrap_or_else(|| AttributeValue::B(bytes.to_vec()));
        item.insert(name.to_owned(), v);
    };
    put(&s.key.hash.name, s.key.hash.ty, &key.0);
    if let Some(r) = &s.key.range {
        put(&r.name, r.ty, &key.1);
    }
    encode_item(&item).to_string()
}

fn describe(d: &Difference, schema: Option<&TableSchema>) -> String {
    match &d.key {
        Some(k) => format!(
            "{} differs from its replay: {} row of key {}",
            d.projection,
            d.what,
            render_key(schema, k)
        ),
        None => format!("{} differs from its replay", d.projection),
    }
}

fn verify(w: &Which) -> Result<ExitCode, String> {
    let sql = open_table(w)?;
    let report = LogStore::verify(&sql).map_err(|e| e.to_string())?;
    let mut problems = report.problems.clone();
    let replayed = Sqlite::in_memory().map_err(|e| e.to_string())?;
    extenddo_engine::projections::init(&replayed).map_err(|e| e.to_string())?;
    let schema =
        extenddo_engine::projections::replay_into(&sql, &replayed).map_err(|e| e.to_string())?;
    if let Some(d) = compare(&sql, &replayed).map_err(|e| e.to_string())? {
        problems.push(describe(&d, schema.as_ref()));
    }
    let (items, _) = extenddo_engine::projections::items::stats(&sql).map_err(|e| e.to_string())?;
    let indexes = schema.as_ref().map_or(0, |s| s.indexes.len());
    println!(
        "{} records, lsn {}..{}, {items} items, {indexes} indexes{}",
        report.records,
        report.first_lsn.unwrap_or(0),
        report.last_lsn.unwrap_or(0),
        if schema.as_ref().is_some_and(|s| s.is_deleted()) {
            " (deleted)"
        } else {
            ""
        }
    );
    for p in &problems {
        println!("problem: {p}");
    }
    Ok(if problems.is_empty() {
        println!("ok");
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
