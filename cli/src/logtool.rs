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
    pub(crate) data_dir: PathBuf,
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
    pub(crate) account: Option<String>,
    /// The object-store directory holding the table's archived segments (default:
    /// `DATA_DIR/objects`): the part of a log trimmed locally is read from there.
    #[arg(long)]
    object_store: Option<PathBuf>,
}

impl Which {
    pub(crate) fn store(&self) -> PathBuf {
        self.object_store
            .clone()
            .unwrap_or_else(|| self.data_dir.join("objects"))
    }
}

/// Visits the table's whole log in LSN order: the records trimmed locally from its archived
/// segments, then the local log. A segment that is missing or fails its checks stops the
/// visit with its name.
fn for_each_record(
    sql: &Sqlite,
    w: &Which,
    mut f: impl FnMut(extenddo_engine::log::Record) -> ControlFlow<()>,
) -> Result<(), String> {
    use extenddo_engine::projections::archive;
    let trimmed = archive::trimmed_upto(sql).map_err(|e| e.to_string())?;
    if trimmed > 0 {
        let store = w.store();
        for (first, _, key) in archive::segments(sql).map_err(|e| e.to_string())? {
            if first > trimmed {
                break;
            }
            let path = store.join(&key);
            let bytes = std::fs::read(&path).map_err(|e| format!("segment {key}: {e}"))?;
            let seg =
                extenddo_log::sealed::open(&bytes).map_err(|e| format!("segment {key}: {e}"))?;
            for r in seg.records.into_iter().filter(|r| r.lsn <= trimmed) {
                if f(r).is_break() {
                    return Ok(());
                }
            }
        }
    }
    let _ = LogStore::for_each(sql, f).map_err(|e| e.to_string())?;
    Ok(())
}

#[derive(Subcommand)]
pub enum LogCommand {
    /// Print the records of a table's log, one per line (all, or those in a range).
    Dump {
        #[command(flatten)]
        which: Which,
        /// One JSON object per line: lsn, ts, kind and the event's images.
        #[arg(long)]
        json: bool,
        /// From this point on (inclusive): an LSN, or an RFC 3339 UTC time such as
        /// `2026-12-04T06:30:00.250Z` (records at or after it).
        #[arg(long)]
        from: Option<String>,
        /// Up to this point (inclusive): an LSN or an RFC 3339 UTC time.
        #[arg(long)]
        to: Option<String>,
    },
    /// What changed in the table's items between two points of its log (each an LSN or an
    /// RFC 3339 UTC time; the state at a point includes the records at it): one line per
    /// item added, changed or removed, in key order, items as DynamoDB JSON.
    Diff {
        #[command(flatten)]
        which: Which,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// One JSON object per line: {"change", "key", "old"?, "new"?}.
        #[arg(long)]
        json: bool,
    },
    /// Check checksums and LSN continuity, and that replaying the log reproduces every live
    /// projection: items, each index, the TTL schedule and the schema. The table's archived
    /// segments in the object store (a directory; default `DATA_DIR/objects`) are checked
    /// too: each one whole, and holding exactly the log's records.
    Verify {
        #[command(flatten)]
        which: Which,
    },
    /// Write a snapshot of the table's items and schema as of a point of its log (default:
    /// its last record): the format backups and restores use (docs/log-format.md).
    Snapshot {
        #[command(flatten)]
        which: Which,
        /// An LSN or an RFC 3339 UTC time; the state includes the records at or before it.
        #[arg(long)]
        at: Option<String>,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Replay the table's log (its archived segments included) up to a point into a new
    /// table of the same data directory (run with the server stopped).
    Replay {
        #[command(flatten)]
        which: Which,
        /// An LSN or an RFC 3339 UTC time: the new table holds the items as of then.
        #[arg(long)]
        to: String,
        /// The new table's name.
        #[arg(long)]
        into: String,
        /// Print the result as JSON (and no progress bar).
        #[arg(long)]
        json: bool,
    },
    /// Check a snapshot file end to end and print its header (and, with --items, its items
    /// as DynamoDB JSON, one per line); a damaged one is refused with the reason.
    SnapshotInfo {
        file: PathBuf,
        #[arg(long)]
        items: bool,
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
        LogCommand::Dump {
            which,
            json,
            from,
            to,
        } => parse_range(from.as_deref(), to.as_deref())
            .and_then(|(from, to)| dump(&which, json, from, to)),
        LogCommand::Diff {
            which,
            from,
            to,
            json,
        } => parse_range(Some(&from), Some(&to)).and_then(|(from, to)| match (from, to) {
            (Some(from), Some(to)) => diff(&which, from, to, json),
            _ => Err("diff needs --from and --to".into()),
        }),
        LogCommand::Verify { which } => verify(&which),
        LogCommand::Replay {
            which,
            to,
            into,
            json,
        } => Point::parse(&to).and_then(|to| crate::logreplay::replay(&which, to, &into, json)),
        LogCommand::Segment { file, json } => segment(&file, json),
        LogCommand::Snapshot { which, at, out } => at
            .as_deref()
            .map(Point::parse)
            .transpose()
            .and_then(|at| snapshot(&which, at, &out)),
        LogCommand::SnapshotInfo { file, items } => snapshot_info(&file, items),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("extenddo log: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn open_table(w: &Which) -> Result<Sqlite, String> {
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

/// A point of a log: an LSN, or a time (ms since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Point {
    Lsn(u64),
    Time(i64),
}

/// An RFC 3339 UTC time (`YYYY-MM-DDTHH:MM:SS[.fff]Z`) as epoch ms.
pub(crate) fn parse_rfc3339(s: &str) -> Option<i64> {
    match Point::parse(s) {
        Ok(Point::Time(ms)) => Some(ms),
        _ => None,
    }
}

impl Point {
    fn parse(s: &str) -> Result<Point, String> {
        let s = s.trim();
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse().map(Point::Lsn).map_err(|e| format!("{s}: {e}"));
        }
        // RFC 3339 in UTC: `YYYY-MM-DDTHH:MM:SS[.fff]Z`.
        let bad =
            || format!("{s}: neither an LSN nor an RFC 3339 UTC time (2026-12-04T06:30:00.250Z)");
        let body = s
            .strip_suffix('Z')
            .or_else(|| s.strip_suffix("+00:00"))
            .ok_or_else(bad)?;
        let (secs, frac) = body.split_once('.').unwrap_or((body, ""));
        if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let millis = format!("{:0<3}", &frac[..frac.len().min(3)]);
        extenddo_engine::api::time::parse_label(&format!("{secs}.{millis}"))
            .map(Point::Time)
            .ok_or_else(bad)
    }

    /// Whether a record is at or before the point.
    fn covers(self, r: &extenddo_engine::log::Record) -> bool {
        match self {
            Point::Lsn(l) => r.lsn <= l,
            Point::Time(t) => r.ts_ms <= t,
        }
    }

    /// Whether a record is at or after the point.
    fn reached_by(self, r: &extenddo_engine::log::Record) -> bool {
        match self {
            Point::Lsn(l) => r.lsn >= l,
            Point::Time(t) => r.ts_ms >= t,
        }
    }
}

type Range = (Option<Point>, Option<Point>);

fn parse_range(from: Option<&str>, to: Option<&str>) -> Result<Range, String> {
    Ok((
        from.map(Point::parse).transpose()?,
        to.map(Point::parse).transpose()?,
    ))
}

fn dump(
    w: &Which,
    as_json: bool,
    from: Option<Point>,
    to: Option<Point>,
) -> Result<ExitCode, String> {
    let sql = open_table(w)?;
    let mut out = std::io::stdout().lock();
    use std::io::Write;
    // A break is a closed pipe or the end of the range: the dump ends quietly either way.
    for_each_record(&sql, w, |r| {
        if from.is_some_and(|p| !p.reached_by(&r)) {
            return ControlFlow::Continue(());
        }
        if to.is_some_and(|p| !p.covers(&r)) {
            // Times only grow along the log (a record's time is its commit's).
            return ControlFlow::Break(());
        }
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
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Reads a file and opens it (checking it end to end); a failure names the file.
fn open_file<T, E: std::fmt::Display>(
    file: &Path,
    what: &str,
    open: impl FnOnce(&[u8]) -> Result<T, E>,
) -> Result<(Vec<u8>, T), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let opened = open(&bytes).map_err(|e| format!("{}: damaged {what}: {e}", file.display()))?;
    Ok((bytes, opened))
}

fn segment(file: &Path, as_json: bool) -> Result<ExitCode, String> {
    let (bytes, seg) = open_file(file, "segment", extenddo_log::sealed::open)?;
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

/// The table as of a point of its log (the records at or before it).
pub(crate) struct State {
    pub rows: Vec<extenddo_engine::projections::items::DumpedRow>,
    pub schema: Option<TableSchema>,
    /// The last record included: (LSN, time).
    pub last: Option<(u64, i64)>,
}

pub(crate) fn state_at(sql: &Sqlite, w: &Which, point: Point) -> Result<State, String> {
    use extenddo_engine::projections;
    let state = Sqlite::in_memory().map_err(|e| e.to_string())?;
    projections::init(&state).map_err(|e| e.to_string())?;
    let mut current = None;
    let mut failed = None;
    let mut last = None;
    let mut visited = Ok(());
    extenddo_log::sql::in_transaction(&state, || -> Result<(), extenddo_log::SqlError> {
        visited = for_each_record(sql, w, |r| {
            if !point.covers(&r) {
                return ControlFlow::Break(());
            }
            last = Some((r.lsn, r.ts_ms));
            match projections::apply(&state, &mut current, &r) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    failed = Some(format!("record {}: {e}", r.lsn));
                    ControlFlow::Break(())
                }
            }
        });
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    visited?;
    if let Some(e) = failed {
        return Err(e);
    }
    let rows = projections::items::dump(&state).map_err(|e| e.to_string())?;
    Ok(State {
        rows,
        schema: current,
        last,
    })
}

fn diff(w: &Which, from: Point, to: Point, as_json: bool) -> Result<ExitCode, String> {
    use extenddo_engine::projections::items::decode_item;
    let sql = open_table(w)?;
    let before = state_at(&sql, w, from)?.rows;
    let State {
        rows: after,
        schema,
        ..
    } = state_at(&sql, w, to)?;
    let key_of = |pk: &[u8], sk: &[u8]| render_key(schema.as_ref(), &(pk.to_vec(), sk.to_vec()));
    let image = |bytes: &[u8]| -> Result<serde_json::Value, String> {
        Ok(encode_item(&decode_item(bytes).map_err(|e| e.to_string())?))
    };
    let index = |rows: &[extenddo_engine::projections::items::DumpedRow]| {
        rows.iter()
            .map(|(pk, sk, item)| ((pk.clone(), sk.clone()), item.clone()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let (a, b) = (index(&before), index(&after));
    let keys: std::collections::BTreeSet<_> = a.keys().chain(b.keys()).cloned().collect();
    let mut out = std::io::stdout().lock();
    use std::io::Write;
    let (mut added, mut changed, mut removed) = (0, 0, 0);
    for k in keys {
        let (old, new) = (a.get(&k), b.get(&k));
        let change = match (old, new) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (Some(o), Some(n)) if o != n => "changed",
            _ => continue,
        };
        match change {
            "added" => added += 1,
            "removed" => removed += 1,
            _ => changed += 1,
        }
        let key = key_of(&k.0, &k.1);
        let line = if as_json {
            let mut v = serde_json::json!({"change": change,
                "key": serde_json::from_str::<serde_json::Value>(&key).unwrap_or_default()});
            if let Some(o) = old {
                v["old"] = image(o)?;
            }
            if let Some(n) = new {
                v["new"] = image(n)?;
            }
            v.to_string()
        } else {
            match (old, new) {
                (None, Some(n)) => format!("added {}", image(n)?),
                (Some(_), None) => format!("removed {key}"),
                (Some(o), Some(n)) => format!("changed {key}: {} -> {}", image(o)?, image(n)?),
                _ => continue,
            }
        };
        if writeln!(out, "{line}").is_err() {
            return Ok(ExitCode::SUCCESS);
        }
    }
    if !as_json {
        let _ = writeln!(out, "{added} added, {changed} changed, {removed} removed");
    }
    Ok(ExitCode::SUCCESS)
}

fn snapshot(w: &Which, at: Option<Point>, out: &Path) -> Result<ExitCode, String> {
    let sql = open_table(w)?;
    let at = match at {
        Some(p) => p,
        None => Point::Lsn(LogStore::last_lsn(&sql).map_err(|e| e.to_string())?),
    };
    let State { rows, schema, last } = state_at(&sql, w, at)?;
    let Some((lsn, ts)) = last else {
        return Err("no record at or before that point".into());
    };
    let schema = schema.ok_or("no table at that point")?;
    let schema_json = serde_json::to_string(&schema).map_err(|e| e.to_string())?;
    let items: Vec<Vec<u8>> = rows.into_iter().map(|(_, _, item)| item).collect();
    let bytes = extenddo_log::snapshot::write(&schema.id, lsn, ts, &schema_json, &items)
        .map_err(|e| e.to_string())?;
    std::fs::write(out, &bytes).map_err(|e| format!("{}: {e}", out.display()))?;
    println!(
        "snapshot of table {} at lsn {lsn}: {} items, {} bytes in {}",
        schema.id,
        items.len(),
        bytes.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn snapshot_info(file: &Path, items: bool) -> Result<ExitCode, String> {
    let (bytes, snap) = open_file(file, "snapshot", extenddo_log::snapshot::open)?;
    let h = &snap.header;
    let mut out = std::io::stdout().lock();
    use std::io::Write;
    let _ = writeln!(
        out,
        "{}",
        serde_json::json!({"snapshot": file.display().to_string(), "table_id": h.table_id,
            "lsn": h.lsn, "ts": h.ts_ms, "items": h.items, "raw_bytes": h.raw_len,
            "stored_bytes": bytes.len()})
    );
    if items {
        for it in &snap.items {
            if writeln!(out, "{}", encode_item(it)).is_err() {
                break;
            }
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

/// A stored snapshot, opened (checksums), holds exactly the replayed items.
fn check_snapshot(store: &Path, key: &str, replayed: &Sqlite) -> Result<(), String> {
    let bytes = std::fs::read(store.join(key)).map_err(|e| format!("snapshot {key}: {e}"))?;
    let snap = extenddo_log::snapshot::open(&bytes).map_err(|e| format!("snapshot {key}: {e}"))?;
    let rows = extenddo_engine::projections::items::dump(replayed).map_err(|e| e.to_string())?;
    let replayed: Vec<Item> = rows
        .iter()
        .map(|(_, _, b)| extenddo_engine::projections::items::decode_item(b))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    if replayed != snap.items {
        return Err(format!(
            "snapshot {key}: {} items differ from the replay's {} at lsn {}",
            snap.items.len(),
            replayed.len(),
            snap.header.lsn
        ));
    }
    Ok(())
}

/// Checks the table's archived segments against its log; returns a summary line.
fn verify_archive(
    sql: &Sqlite,
    store: &Path,
    table_id: &str,
    trimmed: u64,
    problems: &mut Vec<String>,
) -> Result<Option<String>, String> {
    use extenddo_engine::api::store::segment_prefix;
    let logged = extenddo_engine::projections::archive::segments(sql).map_err(|e| e.to_string())?;
    let dir = store.join(segment_prefix(table_id));
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "seg"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    if logged.is_empty() && files.is_empty() {
        return Ok(None);
    }
    for (_, _, key) in &logged {
        if !store.join(key).exists() {
            problems.push(format!(
                "segment {key} is logged as archived but not in the store"
            ));
        }
    }
    let mut next = 1;
    for f in &files {
        let name = f.display();
        let bytes = std::fs::read(f).map_err(|e| format!("{name}: {e}"))?;
        let seg = match extenddo_log::sealed::open(&bytes) {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!("segment {name}: {e}"));
                // An intact header still says which records the segment covers.
                if let Ok((h, _)) = extenddo_log::sealed::read_header(&bytes) {
                    next = h.last_lsn + 1;
                }
                continue;
            }
        };
        let h = &seg.header;
        if h.table_id != table_id {
            problems.push(format!("segment {name}: of table {}", h.table_id));
            continue;
        }
        if h.first_lsn != next {
            problems.push(format!(
                "segment {name}: starts at lsn {}, {next} was due",
                h.first_lsn
            ));
        }
        next = h.last_lsn + 1;
        // Records trimmed locally are checked by the replay instead.
        let kept: Vec<_> = seg
            .records
            .iter()
            .filter(|r| r.lsn > trimmed)
            .cloned()
            .collect();
        let from = h.first_lsn.max(trimmed + 1);
        let live = LogStore::read(sql, from, kept.len()).map_err(|e| e.to_string())?;
        if live != kept {
            problems.push(format!(
                "segment {name}: its records differ from the log's at lsn {}..{}",
                h.first_lsn, h.last_lsn
            ));
        }
    }
    Ok(Some(format!(
        "{} segments in {}, lsn 1..{}",
        files.len(),
        dir.display(),
        next - 1
    )))
}

fn verify(w: &Which) -> Result<ExitCode, String> {
    use extenddo_engine::projections::{self, archive};
    let sql = open_table(w)?;
    let trimmed = archive::trimmed_upto(&sql).map_err(|e| e.to_string())?;
    let report = LogStore::verify_from(&sql, trimmed + 1).map_err(|e| e.to_string())?;
    let mut problems = report.problems.clone();
    let store = w.store();
    // Snapshots in the store, to compare with the replay when it reaches their LSN.
    let snapshots = archive::snapshots(&sql).map_err(|e| e.to_string())?;
    let replayed = Sqlite::in_memory().map_err(|e| e.to_string())?;
    projections::init(&replayed).map_err(|e| e.to_string())?;
    let mut schema = None;
    let mut next = 1;
    let mut failed = None;
    let mut checked = 0;
    let visited = for_each_record(&sql, w, |r| {
        if r.lsn != next {
            failed = Some(format!("the log skips from lsn {} to {}", next - 1, r.lsn));
            return ControlFlow::Break(());
        }
        next += 1;
        if let Err(e) = projections::apply(&replayed, &mut schema, &r) {
            failed = Some(format!("record {}: {e}", r.lsn));
            return ControlFlow::Break(());
        }
        for (_, _, key) in snapshots.iter().filter(|s| s.0 == r.lsn) {
            checked += 1;
            if let Err(p) = check_snapshot(&store, key, &replayed) {
                problems.push(p);
            }
        }
        ControlFlow::Continue(())
    });
    if let Err(e) = visited {
        problems.push(e);
    }
    if let Some(e) = failed {
        problems.push(e);
    }
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
    if trimmed > 0 {
        println!("trimmed locally up to lsn {trimmed}: replayed from the archive");
    }
    if let Some(s) = schema.as_ref() {
        if let Some(line) = verify_archive(&sql, &store, &s.id, trimmed, &mut problems)? {
            println!("{line}");
        }
        if !snapshots.is_empty() {
            println!(
                "{checked} of {} snapshots equal the replay",
                snapshots.len()
            );
        }
    }
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
