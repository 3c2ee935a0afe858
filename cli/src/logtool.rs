//! `extenddo log …`: read, check and replay a table's change log.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use extenddo_engine::log::LogStore;
use extenddo_engine::log_view::{record_json, record_line};
use extenddo_engine::{Catalog, CatalogRequest};

use crate::host::Storage;
use extenddo_log::sqlite::Sqlite;

#[derive(Subcommand)]
pub enum LogCommand {
    /// Print every record of a table's log, one per line.
    Dump {
        #[arg(long)]
        data_dir: PathBuf,
        #[arg(long)]
        table: String,
        /// One JSON object per line: lsn, ts, kind and the event's images.
        #[arg(long)]
        json: bool,
    },
    /// Check checksums and LSN continuity, and that replaying the log reproduces the
    /// live projections.
    Verify {
        #[arg(long)]
        data_dir: PathBuf,
        #[arg(long)]
        table: String,
    },
}

pub fn run(cmd: LogCommand) -> ExitCode {
    let result = match cmd {
        LogCommand::Dump {
            data_dir,
            table,
            json,
        } => dump(&data_dir, &table, json),
        LogCommand::Verify { data_dir, table } => verify(&data_dir, &table),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("extenddo log: {e}");
            ExitCode::FAILURE
        }
    }
}

fn open_table(dir: &Path, table: &str) -> Result<Sqlite, String> {
    let catalog = Sqlite::open_read_only(&Storage::catalog_path(dir))
        .map_err(|e| format!("no catalog in {}: {e}", dir.display()))?;
    let found = Catalog
        .handle(
            &catalog,
            CatalogRequest::Lookup {
                name: table.to_owned(),
            },
            0,
        )
        .map_err(|e| e.message.unwrap_or_default())?;
    let id = found["id"].as_str().unwrap_or_default();
    Sqlite::open_read_only(&Storage::table_path(dir, id)).map_err(|e| e.to_string())
}

fn dump(dir: &Path, table: &str, as_json: bool) -> Result<ExitCode, String> {
    let sql = open_table(dir, table)?;
    let mut out = std::io::stdout().lock();
    use std::io::Write;
    LogStore::for_each(&sql, |r| {
        let line = if as_json {
            record_json(&r).to_string()
        } else {
            record_line(&r)
        };
        // A closed pipe (`| head`) ends the dump quietly.
        writeln!(out, "{line}").map_err(|_| {
            extenddo_engine::log::LogError::Sql(extenddo_engine::log::SqlError::Aborted)
        })
    })
    .or_else(|e| match e {
        extenddo_engine::log::LogError::Sql(extenddo_engine::log::SqlError::Aborted) => Ok(()),
        e => Err(e.to_string()),
    })?;
    Ok(ExitCode::SUCCESS)
}

fn verify(dir: &Path, table: &str) -> Result<ExitCode, String> {
    let sql = open_table(dir, table)?;
    let report = LogStore::verify(&sql).map_err(|e| e.to_string())?;
    let mut problems = report.problems.clone();
    let replayed = Sqlite::in_memory().map_err(|e| e.to_string())?;
    extenddo_engine::projections::init(&replayed).map_err(|e| e.to_string())?;
    extenddo_engine::projections::replay_into(&sql, &replayed).map_err(|e| e.to_string())?;
    let live = extenddo_engine::projections::items::dump(&sql).map_err(|e| e.to_string())?;
    let rebuilt =
        extenddo_engine::projections::items::dump(&replayed).map_err(|e| e.to_string())?;
    if live != rebuilt {
        problems.push(format!(
            "projection differs from replay: {} live items, {} replayed",
            live.len(),
            rebuilt.len()
        ));
    }
    println!(
        "{} records, lsn {}..{}, {} items",
        report.records,
        report.first_lsn.unwrap_or(0),
        report.last_lsn.unwrap_or(0),
        live.len()
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
