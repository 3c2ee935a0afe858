//! Imports: a table made by ImportTable fills itself from the object store in bounded,
//! logged steps, as a restore does.
//!
//! The objects were listed when the import was asked for (they are in the schema's
//! `import`). Each object is fetched whole, decompressed as it is read, and parsed a chunk
//! of records per step; each good item is logged as an ordinary `ItemPut` (so indexes,
//! streams and replay see it) and the step's progress — object, records consumed, counts —
//! as a `TableUpdated` of the schema in the same transaction. A crash resumes at the last
//! logged step: the object is fetched again and the records already consumed are skipped,
//! so no item is imported twice or missed. A bad record is counted and skipped (the import
//! ends FAILED with `ItemValidationError`, as AWS's does; the table keeps the good items).

use std::io::BufRead;

use extenddo_log::Item;
use extenddo_projections::items::partition_hash;
use extenddo_projections::schema::Import;
use serde_json::Value;

use crate::api::catalog::CatalogCommand;
use crate::api::object::{Call, Effect, EffectId, Outcome, Reply};
use crate::api::store::{StoreReply, StoreRequest};
use crate::api::transfer::{ImportRecord, InputFormat, JobStatus};
use crate::error::Error;
use crate::formats::{compression, csv, dynamodb_json, ion};
use crate::table::keys;
use crate::table::log::{Ctx, Log};

/// The object store did not answer: try again this much later.
const RETRY_MS: i64 = 1000;

/// How a record that could not be read from its object (not a bad record) starts.
pub const READ_ERROR: &str = "reading the object: ";

pub const VALIDATION_CODE: &str = "ItemValidationError";
pub const VALIDATION_MESSAGE: &str = "Some of the items failed validation checks and were not imported. Please check CloudWatch error logs for more details.";

/// The records of one object, as they are read.
enum Records {
    /// DYNAMODB_JSON: lines, each holding one or more `{"Item": …}` values.
    Lines(Box<dyn BufRead>),
    /// ION: the whole text, and where the reader is.
    Ion {
        text: String,
        at: usize,
    },
    Csv(csv::Reader<Box<dyn BufRead>>),
    /// An object that cannot be opened (its compression or text is broken): one bad record.
    Broken(Option<String>),
}

/// What the job waits for.
enum Want {
    Object(usize),
    Report,
}

/// The import's working state in memory (its progress is in the schema).
#[derive(Default)]
pub(crate) struct Job {
    waiting: Option<(EffectId, Want)>,
    retry_at: Option<i64>,
    /// The object being read, by its index, and its records.
    reading: Option<(usize, Records)>,
    /// Bad records and why, for the host's log.
    pub complaints: Vec<String>,
}

/// What to do next for an import.
pub(crate) enum Next {
    Ask(Effect),
    Step,
    Idle,
}

/// The import of a schema, while it runs or is not reported yet.
pub(crate) fn active(log: &Log) -> Option<&Import> {
    log.schema()
        .filter(|s| !s.is_deleted())
        .and_then(|s| s.import.as_ref())
        .filter(|i| !i.done || !reported(i))
}

/// Whether the import's end reached the catalog (kept in the record as its status).
fn reported(i: &Import) -> bool {
    record(i).is_ok_and(|r| r.status != JobStatus::InProgress)
}

pub(crate) fn record(i: &Import) -> Result<ImportRecord, Error> {
    serde_json::from_str(&i.record).map_err(|e| Error::Storage(format!("an import record: {e}")))
}

/// The record as DescribeImport shows it now: counts from the progress.
pub(crate) fn current(i: &Import, now_ms: i64) -> Result<ImportRecord, Error> {
    let mut r = record(i)?;
    r.processed_bytes = i.processed_bytes;
    r.processed_items = i.processed_items;
    r.imported_items = i.imported_items;
    r.errors = i.errors;
    if i.done && r.status == JobStatus::InProgress {
        r.end_ms = Some(r.end_ms.unwrap_or(now_ms));
        r.failure = i.failed.clone();
        r.status = if i.failed.is_some() {
            JobStatus::Failed
        } else {
            JobStatus::Completed
        };
    }
    Ok(r)
}

impl Job {
    pub fn waiting(&self) -> bool {
        self.waiting.is_some()
    }

    pub fn retry_at(&self) -> Option<i64> {
        self.retry_at
    }

    /// A step did not commit: the records it read are read again (the object is fetched
    /// again and skipped to the logged position), after a pause.
    pub fn step_failed(&mut self, now_ms: i64) {
        self.reading = None;
        self.retry_at = Some(now_ms + RETRY_MS);
    }

    pub fn expects(&self, id: EffectId) -> bool {
        self.waiting.as_ref().is_some_and(|(e, _)| *e == id)
    }

    pub fn next(&self, i: &Import, now_ms: i64) -> Next {
        if self.waiting.is_some() || self.retry_at.is_some_and(|t| t > now_ms) {
            return Next::Idle;
        }
        if i.done {
            return match current(i, now_ms) {
                Ok(r) => Next::Ask(Effect::Call(Call::catalog(CatalogCommand::PutImport(
                    Box::new(r),
                )))),
                Err(_) => Next::Idle,
            };
        }
        let objects = i.objects.as_deref().unwrap_or(&[]);
        if i.object >= objects.len() || self.reading.as_ref().is_some_and(|(n, _)| *n == i.object) {
            return Next::Step;
        }
        Next::Ask(Effect::Store(StoreRequest::Get {
            key: objects[i.object].0.clone(),
        }))
    }

    pub fn asked(&mut self, id: EffectId, i: &Import) {
        let want = if i.done {
            Want::Report
        } else {
            Want::Object(i.object)
        };
        self.waiting = Some((id, want));
    }

    /// The answer to what the job asked for. `Ok(true)`: the end was reported (log it).
    pub fn answered(&mut self, i: &Import, now_ms: i64, result: Outcome) -> Result<bool, String> {
        let Some((_, want)) = self.waiting.take() else {
            return Ok(false);
        };
        match (want, result) {
            (Want::Report, Ok(Reply::Catalog(_))) => return Ok(true),
            (Want::Object(n), Ok(Reply::Store(StoreReply::Got(Some(bytes))))) => {
                let r = record(i).map_err(|e| e.to_string())?;
                let mut records = open(&r, bytes).unwrap_or_else(|e| {
                    Records::Broken(Some(format!(
                        "{}: {e}",
                        i.objects.as_deref().unwrap_or(&[])[n].0
                    )))
                });
                skip(&mut records, i.records);
                self.reading = Some((n, records));
            }
            (Want::Object(n), Ok(Reply::Store(StoreReply::Got(None)))) => {
                return Err(format!(
                    "{} is missing from the object store",
                    i.objects.as_deref().unwrap_or(&[])[n].0
                ))
            }
            _ => self.retry_at = Some(now_ms + RETRY_MS),
        }
        Ok(false)
    }

    /// One step of the import, inside the caller's transaction.
    pub fn step(&mut self, cx: &Ctx, log: &mut Log) -> Result<(), Error> {
        let Some(imp) = active(log).cloned() else {
            return Ok(());
        };
        let objects_len = imp.objects.as_ref().map_or(0, Vec::len);
        if imp.object >= objects_len {
            let failed = (imp.errors > 0)
                .then(|| (VALIDATION_CODE.to_owned(), VALIDATION_MESSAGE.to_owned()));
            return progress(cx, log, |p| {
                p.done = true;
                p.failed = failed;
            });
        }
        let Some((_, records)) = self.reading.as_mut() else {
            return Ok(());
        };
        let s = log.live()?.clone();
        let key_types: csv::KeyTypes = s
            .attributes
            .iter()
            .map(|a| (a.name.clone(), format!("{:?}", a.ty)))
            .collect();
        let (mut consumed, mut items, mut errors, mut bytes) = (0u64, 0u64, 0u64, 0u64);
        let mut finished = false;
        let mut good: Vec<Item> = Vec::new();
        while consumed < cx.cfg.transfer_chunk.max(1) as u64 {
            let Some((size, parsed)) = next(records, &key_types) else {
                finished = true;
                break;
            };
            consumed += 1;
            bytes += size;
            // A stream that cannot be read on (corrupt compression): the rest of the object
            // is abandoned, counted as one bad record.
            let broken = parsed
                .iter()
                .any(|p| p.as_ref().is_err_and(|e| e.starts_with(READ_ERROR)));
            for p in parsed {
                items += 1;
                match p.and_then(|item| check(&s, &item).map(|()| item)) {
                    Ok(item) => good.push(item),
                    Err(why) => {
                        errors += 1;
                        if self.complaints.len() < 100 {
                            self.complaints.push(format!(
                                "{} record {}: {why}",
                                imp.objects.as_deref().unwrap_or(&[])[imp.object].0,
                                imp.records + consumed
                            ));
                        }
                    }
                }
            }
            if broken {
                finished = true;
                break;
            }
        }
        let imported = good.len() as u64;
        // In key order (stable: a key put twice keeps its last item): the table's pages are
        // written once per step instead of once per item.
        let mut keyed = good
            .into_iter()
            .map(|item| {
                let (pk, sk) = keys::item_key(&s.key, &item)?;
                Ok(((partition_hash(&pk), pk, sk), item))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        for ((_, pk, sk), item) in keyed {
            let old = extenddo_projections::items::get(cx.sql, &pk, &sk)?;
            if let Some(event) = crate::table::ops::items::change_event(old, Some(item)) {
                log.commit(cx.sql, cx.now_ms, event)?;
            }
        }
        if finished {
            self.reading = None;
        }
        progress(cx, log, |p| {
            p.processed_bytes += bytes;
            p.processed_items += items;
            p.imported_items += imported;
            p.errors += errors;
            if finished {
                p.object += 1;
                p.records = 0;
            } else {
                p.records += consumed;
            }
        })
    }

    /// Logs that the catalog heard the import's end.
    pub fn reported(&mut self, cx: &Ctx, log: &mut Log) -> Result<(), Error> {
        let Some(imp) = log.live()?.import.clone() else {
            return Ok(());
        };
        let r = current(&imp, cx.now_ms)?;
        let json = serde_json::to_string(&r).map_err(Error::bug)?;
        progress(cx, log, |p| p.record = json)
    }

    /// Gives up on the import: FAILED with the reason; the table keeps what was imported.
    pub fn fail(&mut self, cx: &Ctx, log: &mut Log, why: String) -> Result<(), Error> {
        self.reading = None;
        progress(cx, log, |p| {
            p.done = true;
            p.failed = Some(("ImportFailed".into(), why));
        })
    }
}

/// Opens an object's records in the import's format.
fn open(r: &ImportRecord, bytes: Vec<u8>) -> Result<Records, String> {
    let reader = compression::reader(r.source.compression, bytes).map_err(|e| e.to_string())?;
    Ok(match r.source.format {
        InputFormat::DynamodbJson => Records::Lines(reader),
        InputFormat::Ion => {
            let raw = compression::read_all(reader).map_err(|e| e.to_string())?;
            let text =
                String::from_utf8(raw).map_err(|_| "the object is not UTF-8 text".to_string())?;
            Records::Ion { text, at: 0 }
        }
        InputFormat::Csv => {
            let o = r
                .source
                .csv
                .clone()
                .unwrap_or(crate::api::transfer::CsvOptions {
                    delimiter: None,
                    header: None,
                });
            Records::Csv(csv::Reader::new(
                reader,
                o.delimiter.unwrap_or(','),
                o.header,
            ))
        }
    })
}

/// Skips records already consumed (a resumed import).
fn skip(records: &mut Records, n: u64) {
    for _ in 0..n {
        if next(records, &Vec::new()).is_none() {
            break;
        }
    }
}

/// The next record: its size in bytes, and the items it holds (a DYNAMODB_JSON line may
/// hold several) or why each is bad.
fn next(
    records: &mut Records,
    key_types: &csv::KeyTypes,
) -> Option<(u64, Vec<Result<Item, String>>)> {
    match records {
        Records::Lines(r) => {
            let mut raw = Vec::new();
            match r.read_until(b'\n', &mut raw) {
                Ok(0) => None,
                Ok(n) => {
                    let Ok(line) = std::str::from_utf8(&raw) else {
                        return Some((n as u64, vec![Err("a line that is not UTF-8".into())]));
                    };
                    // Blank lines are no records, but they are consumed.
                    if line.trim().is_empty() {
                        return Some((n as u64, Vec::new()));
                    }
                    let items = serde_json::Deserializer::from_str(line)
                        .into_iter::<Value>()
                        .map(|v| {
                            let v = v.map_err(|e| format!("not JSON: {e}"))?;
                            let item = v
                                .get("Item")
                                .ok_or_else(|| "a line without \"Item\"".to_string())?;
                            dynamodb_json::decode_item(item)
                                .map_err(|e| e.message.unwrap_or_default())
                        })
                        .collect();
                    Some((n as u64, items))
                }
                Err(e) => Some((0, vec![Err(format!("{READ_ERROR}{e}"))])),
            }
        }
        Records::Broken(why) => {
            let why = why.take()?;
            Some((0, vec![Err(format!("{READ_ERROR}{why}"))]))
        }
        Records::Ion { text, at } => {
            let mut reader = ion::Reader::new(&text[*at..]);
            let parsed = reader.next_value();
            let used = reader.position();
            let start = *at;
            match parsed {
                Ok(None) => None,
                Ok(Some(v)) => {
                    *at += used;
                    let item = match ion::field(&v, "Item").map(|i| &i.value) {
                        Some(ion::Value::Struct(fields)) => ion::to_item(fields),
                        _ => Err("a value without an Item struct".to_string()),
                    };
                    Some((used as u64, vec![item]))
                }
                Err(e) => {
                    let mut r = ion::Reader::new(&text[start..]);
                    r.skip_line();
                    *at += r.position().max(1);
                    Some((r.position() as u64, vec![Err(e.to_string())]))
                }
            }
        }
        Records::Csv(r) => {
            let before = r.position();
            let item = r.next_item(key_types)?;
            Some((r.position() - before, vec![item]))
        }
    }
}

/// What a PutItem would check of an item: its key attributes, index keys and size.
fn check(s: &extenddo_projections::TableSchema, item: &Item) -> Result<(), String> {
    let msg = |e: Error| match e {
        Error::Client(a) => a.message.unwrap_or_default(),
        other => other.to_string(),
    };
    keys::item_key(&s.key, item).map_err(msg)?;
    keys::check_index_keys(s, item).map_err(|e| e.message.unwrap_or_default())?;
    keys::check_item_size(item).map_err(|e| e.message.unwrap_or_default())?;
    Ok(())
}

/// Logs the import's progress (a `TableUpdated` of the schema).
fn progress(cx: &Ctx, log: &mut Log, change: impl FnOnce(&mut Import)) -> Result<(), Error> {
    let mut s = log.live()?.clone();
    let Some(i) = s.import.as_mut() else {
        return Err(Error::bug("import progress for a table not being imported"));
    };
    change(i);
    let schema_json = serde_json::to_string(&s).map_err(Error::bug)?;
    log.commit(
        cx.sql,
        cx.now_ms,
        extenddo_log::Event::TableUpdated { schema_json },
    )
}
