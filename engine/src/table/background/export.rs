//! Exports to the object store in AWS's layout, written by the table object in bounded steps
//! while writes go on.
//!
//! A full export is the table at one LSN (the last record at or before ExportTime): it reads
//! the items in key order, a chunk per step, and for every key the log changed after that
//! LSN puts in its image before the first such change (as backups do), so every data file
//! holds the items as they were at that LSN although the table moved on between steps.
//! Only the changes since the LSN are held in memory, never the table.
//!
//! An incremental export reads the log records of its window: per key, the image before the
//! window's first change (OldImage), the image after its last (NewImage) and that change's
//! time, written in key order.
//!
//! The job is a small state machine: a step (in a transaction) yields objects to store;
//! they are stored one at a time (`Effect::Store`), then the manifests, then the catalog is
//! told. A job cut short (a crash) is started again from the beginning when the catalog asks
//! for it again: its data files are listed and deleted first, so no stale file remains.

use std::collections::{BTreeMap, VecDeque};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use extenddo_log::value::item_size;
use extenddo_log::{sealed, Event, Item, LogStore, Record};
use extenddo_projections::archive;
use extenddo_projections::items::partition_hash;
use extenddo_projections::keycode;
use extenddo_projections::schema::KeySchema;
use md5::{Digest, Md5};
use serde_json::{json, Value};

use crate::api::catalog::CatalogCommand;
use crate::api::object::{Call, Effect, EffectId, Outcome, Reply};
use crate::api::store::{StoreReply, StoreRequest};
use crate::api::time::iso_millis;
use crate::api::transfer::{ExportFormat, ExportKind, ExportRecord, ExportView, JobStatus};
use crate::error::Error;
use crate::formats::compression::gzip;
use crate::formats::{dynamodb_json, ion};
use crate::table::log::Ctx;

/// Log records read per step of an incremental export.
const RECORDS: usize = 5_000;
/// The object store did not answer: try again this much later.
const RETRY_MS: i64 = 1000;

type Key = (i64, Vec<u8>, Vec<u8>);

#[derive(Debug, PartialEq, Eq)]
enum Phase {
    /// Listing the data files of an earlier attempt (to delete them).
    Listing,
    /// Reading the table or the log, a step at a time.
    Reading,
    /// Data written: the manifests are next.
    Finishing,
    /// The manifests are stored: the catalog is told.
    Reporting,
    Done,
}

/// What changed in an incremental export's window, per key.
struct Change {
    old: Option<Item>,
    new: Option<Item>,
    ts_ms: i64,
}

pub(crate) struct ExportJob {
    pub record: ExportRecord,
    phase: Phase,
    queue: VecDeque<StoreRequest>,
    waiting: Option<EffectId>,
    retry_at: Option<i64>,
    /// A full export: the last key read, and the images at the LSN of keys changed since
    /// (`None`: absent then), read from the log up to `changed_through`.
    after: Option<Key>,
    changed: BTreeMap<Key, Option<Item>>,
    changed_through: u64,
    /// An incremental export: the log read up to `read_through` (`read_all`: through the
    /// window's end), the changes gathered.
    read_through: u64,
    read_all: bool,
    changes: BTreeMap<Key, Change>,
    /// manifest-files.json lines.
    files: Vec<Value>,
    /// Records the export needs were trimmed from the local log: the archived segment that
    /// holds the next one, asked for, and its records once it came.
    want_segment: Option<String>,
    segment: Option<Vec<Record>>,
}

impl ExportJob {
    pub fn new(record: ExportRecord) -> ExportJob {
        let start = record.start_lsn;
        ExportJob {
            record,
            phase: Phase::Listing,
            queue: VecDeque::new(),
            waiting: None,
            retry_at: None,
            after: None,
            changed: BTreeMap::new(),
            changed_through: start,
            read_through: start,
            read_all: false,
            changes: BTreeMap::new(),
            files: Vec::new(),
            want_segment: None,
            segment: None,
        }
    }

    pub fn expects(&self, id: EffectId) -> bool {
        self.waiting == Some(id)
    }

    pub fn done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// When the job has something to do without waiting (`i64::MIN`: now).
    pub fn due(&self) -> Option<i64> {
        if self.waiting.is_some() || self.phase == Phase::Done {
            return None;
        }
        Some(self.retry_at.unwrap_or(i64::MIN))
    }

    /// What to ask the host for next, if the job waits for nothing.
    pub fn next_effect(&mut self, now_ms: i64) -> Option<Effect> {
        if self.waiting.is_some() || self.retry_at.is_some_and(|t| t > now_ms) {
            return None;
        }
        self.retry_at = None;
        if self.phase == Phase::Listing {
            return Some(Effect::Store(StoreRequest::List {
                prefix: self.record.target.key(&format!(
                    "{}{}-",
                    self.record.data_dir(),
                    data_stem(self.record.id())
                )),
            }));
        }
        if let Some(r) = self.queue.front() {
            return Some(Effect::Store(r.clone()));
        }
        if let Some(key) = &self.want_segment {
            return Some(Effect::Store(StoreRequest::Get { key: key.clone() }));
        }
        if self.phase == Phase::Reporting {
            // COMPLETED once every object, manifests included, is stored.
            if self.record.status == JobStatus::InProgress {
                self.record.status = JobStatus::Completed;
            }
            return Some(Effect::Call(Call::catalog(CatalogCommand::PutExport(
                Box::new(self.record.clone()),
            ))));
        }
        None
    }

    pub fn asked(&mut self, id: EffectId) {
        self.waiting = Some(id);
    }

    /// Whether the job has a step to run (reading, or writing the manifests).
    pub fn wants_step(&self, now_ms: i64) -> bool {
        self.waiting.is_none()
            && self.queue.is_empty()
            && self.retry_at.is_none_or(|t| t <= now_ms)
            && matches!(self.phase, Phase::Reading | Phase::Finishing)
    }

    /// The host carried out what the job asked.
    pub fn answered(&mut self, now_ms: i64, result: Outcome) -> Result<(), String> {
        self.waiting = None;
        match (&self.phase, result) {
            (Phase::Listing, Ok(Reply::Store(StoreReply::Listed(keys)))) => {
                self.queue.extend(
                    keys.into_iter()
                        .map(|(key, _)| StoreRequest::Delete { key }),
                );
                self.queue.push_back(StoreRequest::Put {
                    key: self.record.key("_started"),
                    bytes: Vec::new(),
                });
                self.phase = Phase::Reading;
            }
            (Phase::Reporting, Ok(Reply::Catalog(_))) => self.phase = Phase::Done,
            (_, Ok(Reply::Store(StoreReply::Got(got)))) if self.want_segment.is_some() => {
                let key = self.want_segment.take().unwrap_or_default();
                let bytes = got.ok_or_else(|| format!("{key} is missing from the object store"))?;
                let seg = sealed::open(&bytes).map_err(|e| format!("segment {key}: {e}"))?;
                if seg.header.table_id != self.record.table_id.as_str() {
                    return Err(format!(
                        "segment {key} belongs to table {}",
                        seg.header.table_id
                    ));
                }
                self.segment = Some(seg.records);
            }
            (_, Ok(Reply::Store(StoreReply::Stored | StoreReply::Deleted))) => {
                self.queue.pop_front();
            }
            (_, Err(Error::Client(e))) => {
                return Err(e.message.unwrap_or_else(|| e.kind.type_name().into()))
            }
            // The store or the catalog could not be reached: ask again later.
            _ => self.retry_at = Some(now_ms + RETRY_MS),
        }
        Ok(())
    }

    /// Gives up: the export is FAILED with the reason, and the catalog is told.
    pub fn fail(&mut self, now_ms: i64, code: &str, why: String) {
        self.queue.clear();
        self.record.status = JobStatus::Failed;
        self.record.end_ms = Some(now_ms);
        self.record.failure = Some((code.to_owned(), why));
        self.phase = Phase::Reporting;
    }

    /// One step, inside the caller's transaction: read a chunk and queue its data file, or
    /// queue the manifests.
    pub fn step(&mut self, cx: &Ctx, key: &KeySchema) -> Result<(), Error> {
        match self.phase {
            Phase::Reading => {
                let (lines, done) = match self.record.kind {
                    ExportKind::Full { .. } => self.full_step(cx, key)?,
                    ExportKind::Incremental { .. } => self.incremental_step(cx, key)?,
                };
                if !lines.is_empty() {
                    self.data_file(lines);
                }
                if done {
                    self.phase = Phase::Finishing;
                }
            }
            Phase::Finishing => {
                self.manifests(cx.now_ms);
                self.phase = Phase::Reporting;
            }
            _ => {}
        }
        Ok(())
    }

    /// Up to `limit` records from `from` on: from the local log, or — for records trimmed
    /// from it — from the archived segment that holds them (`Ok(None)`: asked for it; the
    /// step ends, and runs again when it came).
    fn records_from(
        &mut self,
        cx: &Ctx,
        from: u64,
        limit: usize,
    ) -> Result<Option<Vec<Record>>, Error> {
        let trimmed = archive::trimmed_upto(cx.sql)?;
        if from > trimmed {
            return Ok(Some(LogStore::read(cx.sql, from, limit)?));
        }
        if let Some(records) = self.segment.take() {
            let mut page: Vec<Record> = records
                .into_iter()
                .filter(|r| r.lsn >= from && r.lsn <= trimmed)
                .collect();
            // The rest of the segment is kept for the next page, not fetched again.
            if page.len() > limit {
                self.segment = Some(page.split_off(limit));
            }
            return match page.first() {
                Some(r) if r.lsn == from => Ok(Some(page)),
                _ => Err(Error::Storage(format!(
                    "the archived segment does not hold lsn {from}"
                ))),
            };
        }
        let key = archive::segments(cx.sql)?
            .into_iter()
            .find(|(first, last, _)| *first <= from && *last >= from)
            .map(|(.., key)| key)
            .ok_or_else(|| Error::Storage(format!("no archived segment holds lsn {from}")))?;
        self.want_segment = Some(key);
        Ok(None)
    }

    /// Extends the images-at-the-LSN map with the log written since it was last read;
    /// `false`: it waits for an archived segment.
    fn catch_up(&mut self, cx: &Ctx, key: &KeySchema) -> Result<bool, Error> {
        loop {
            let Some(page) = self.records_from(cx, self.changed_through + 1, 512)? else {
                return Ok(false);
            };
            let Some(last) = page.last().map(|r| r.lsn) else {
                return Ok(true);
            };
            let at_ms = match self.record.kind {
                ExportKind::Full { at_ms } => at_ms,
                ExportKind::Incremental { .. } => i64::MAX,
            };
            // Records at or before ExportTime are before the cut (the start may be earlier).
            for r in page.into_iter().filter(|r| r.ts_ms > at_ms) {
                let (image, before) = match r.event {
                    Event::ItemPut { old, new } => (new, old),
                    Event::ItemDeleted { old } | Event::ItemExpired { old } => {
                        (old.clone(), Some(old))
                    }
                    _ => continue,
                };
                let k = item_key(key, &image)?;
                self.changed.entry(k).or_insert(before);
            }
            self.changed_through = last;
        }
    }

    fn full_step(&mut self, cx: &Ctx, key: &KeySchema) -> Result<(Vec<(Key, Item)>, bool), Error> {
        if !self.catch_up(cx, key)? {
            return Ok((Vec::new(), false));
        }
        let after = self
            .after
            .as_ref()
            .map(|(_, p, s)| (p.as_slice(), s.as_slice()));
        let chunk = cx.cfg.transfer_chunk.max(1);
        let rows = extenddo_projections::items::scan(cx.sql, (i64::MIN, i64::MAX), after, chunk)?;
        let done = rows.len() < chunk;
        let mut out: BTreeMap<Key, Item> = BTreeMap::new();
        let mut upper = None;
        for r in rows {
            let k = (partition_hash(&r.pk), r.pk, r.sk);
            upper = Some(k.clone());
            if !self.changed.contains_key(&k) {
                out.insert(k, r.item);
            }
        }
        // Keys changed since the LSN, in the range this step covers: their image then.
        use std::ops::Bound;
        let range = (
            self.after.clone().map_or(Bound::Unbounded, Bound::Excluded),
            match (&upper, done) {
                (Some(u), false) => Bound::Included(u.clone()),
                _ => Bound::Unbounded,
            },
        );
        for (k, image) in self.changed.range(range) {
            if let Some(item) = image {
                out.insert(k.clone(), item.clone());
            }
        }
        if !done {
            self.after = upper;
        }
        Ok((out.into_iter().collect(), done))
    }

    fn incremental_step(
        &mut self,
        cx: &Ctx,
        key: &KeySchema,
    ) -> Result<(Vec<(Key, Item)>, bool), Error> {
        let ExportKind::Incremental { from_ms, to_ms, .. } = self.record.kind else {
            return Err(Error::bug("an incremental step of a full export"));
        };
        if !self.read_all {
            let Some(page) = self.records_from(cx, self.read_through + 1, RECORDS)? else {
                return Ok((Vec::new(), false));
            };
            let Some(last) = page.last().map(|r| r.lsn) else {
                // The end of the log: the window ended before now.
                self.read_all = true;
                return Ok((Vec::new(), false));
            };
            for r in page {
                if r.ts_ms >= to_ms {
                    self.read_all = true;
                    break;
                }
                if r.ts_ms < from_ms {
                    continue;
                }
                let (image, old, new) = match r.event {
                    Event::ItemPut { old, new } => (new.clone(), old, Some(new)),
                    Event::ItemDeleted { old } | Event::ItemExpired { old } => {
                        (old.clone(), Some(old), None)
                    }
                    _ => continue,
                };
                let k = item_key(key, &image)?;
                self.changes
                    .entry(k)
                    .and_modify(|c| {
                        c.new = new.clone();
                        c.ts_ms = r.ts_ms;
                    })
                    .or_insert(Change {
                        old,
                        new,
                        ts_ms: r.ts_ms,
                    });
            }
            self.read_through = last;
            return Ok((Vec::new(), false));
        }
        // Every record read: write the changes, a chunk per step.
        let mut lines = Vec::new();
        while lines.len() < cx.cfg.transfer_chunk.max(1) {
            let Some((k, c)) = self.changes.pop_first() else {
                break;
            };
            let mut rec = Item::new();
            let ExportKind::Incremental { view, .. } = self.record.kind else {
                break;
            };
            let image = c.new.as_ref().or(c.old.as_ref());
            let Some(image) = image else { continue };
            let keys: Item = key_names(key)
                .filter_map(|n| image.get(n).map(|v| (n.to_owned(), v.clone())))
                .collect();
            rec.insert("Keys".into(), extenddo_log::AttributeValue::M(keys));
            if let Some(new) = c.new {
                rec.insert("NewImage".into(), extenddo_log::AttributeValue::M(new));
            }
            if view == ExportView::NewAndOldImages {
                if let Some(old) = c.old {
                    rec.insert("OldImage".into(), extenddo_log::AttributeValue::M(old));
                }
            }
            rec.insert(
                "WriteTimestampMicros".into(),
                extenddo_log::AttributeValue::N(extenddo_log::Number::from(c.ts_ms * 1000)),
            );
            lines.push((k, rec));
        }
        let done = self.changes.is_empty();
        Ok((lines, done))
    }

    /// Renders, compresses and queues one data file.
    fn data_file(&mut self, items: Vec<(Key, Item)>) {
        let incremental = matches!(self.record.kind, ExportKind::Incremental { .. });
        let mut text = String::with_capacity(items.len() * 128);
        let mut billed = 0u64;
        for (_, item) in &items {
            billed += item_size(item) as u64;
            render_line(&mut text, self.record.format, incremental, item);
        }
        let bytes = gzip(text.as_bytes());
        let digest = Md5::digest(&bytes);
        let name = format!(
            "{}{}-{:05}.{}",
            self.record.data_dir(),
            data_stem(self.record.id()),
            self.files.len(),
            self.record.format.extension()
        );
        self.files.push(json!({
            "itemCount": items.len(),
            "md5Checksum": B64.encode(digest),
            "etag": hex(&digest),
            "dataFileS3Key": name,
        }));
        self.record.item_count += items.len() as u64;
        self.record.billed_size_bytes += billed;
        self.queue.push_back(StoreRequest::Put {
            key: self.record.target.key(&name),
            bytes,
        });
    }

    /// manifest-files.json and manifest-summary.json, each with its `.md5`, summary last.
    fn manifests(&mut self, now_ms: i64) {
        self.record.end_ms = Some(now_ms);
        let files: String = self.files.iter().map(|f| format!("{f}\n")).collect();
        let summary = manifest_summary(&self.record).to_string();
        for (name, body) in [("manifest-files", files), ("manifest-summary", summary)] {
            let md5 = B64.encode(Md5::digest(body.as_bytes()));
            self.queue.push_back(StoreRequest::Put {
                key: self.record.key(&format!("{name}.json")),
                bytes: body.into_bytes(),
            });
            self.queue.push_back(StoreRequest::Put {
                key: self.record.key(&format!("{name}.md5")),
                bytes: md5.into_bytes(),
            });
        }
    }
}

fn key_names(key: &KeySchema) -> impl Iterator<Item = &str> {
    std::iter::once(key.hash.name.as_str()).chain(key.range.as_ref().map(|r| r.name.as_str()))
}

fn item_key(key: &KeySchema, item: &Item) -> Result<Key, Error> {
    let (pk, sk) = keycode::item_key(key, item).map_err(Error::Storage)?;
    Ok((partition_hash(&pk), pk, sk))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stem for data file names that differs between exports.
fn data_stem(id: &str) -> String {
    hex(&Md5::digest(id.as_bytes())[..8])
}

/// One line of a data file: a full export's `{"Item": …}`, or an incremental record (`Keys`,
/// `NewImage`, `OldImage`, `WriteTimestampMicros` as `rec` holds them), in `format`.
pub fn render_line(out: &mut String, format: ExportFormat, incremental: bool, rec: &Item) {
    match (format, incremental) {
        (ExportFormat::DynamodbJson, false) => {
            out.push_str("{\"Item\":");
            dynamodb_json::write_item(out, rec);
            out.push('}');
        }
        (ExportFormat::DynamodbJson, true) => incremental_json(out, rec),
        (ExportFormat::Ion, false) => {
            out.push_str("$ion_1_0 {Item:");
            ion::write_struct(out, rec);
            out.push('}');
        }
        (ExportFormat::Ion, true) => incremental_ion(out, rec),
    }
    out.push('\n');
}

/// An incremental record (`Keys`, `NewImage`, `OldImage`, `WriteTimestampMicros` as `rec`
/// holds them) as AWS's DYNAMODB_JSON line.
fn incremental_json(out: &mut String, rec: &Item) {
    out.push('{');
    let mut first = true;
    let mut sep = |out: &mut String| {
        if !std::mem::take(&mut first) {
            out.push(',');
        }
    };
    // Keys in the order serde_json's sorted map writes them.
    for name in ["Keys", "Metadata", "NewImage", "OldImage"] {
        if name == "Metadata" {
            if let Some(ts) = rec.get("WriteTimestampMicros") {
                sep(out);
                out.push_str("\"Metadata\":{\"WriteTimestampMicros\":");
                dynamodb_json::write_value(out, ts);
                out.push('}');
            }
        } else if let Some(extenddo_log::AttributeValue::M(m)) = rec.get(name) {
            sep(out);
            out.push('"');
            out.push_str(name);
            out.push_str("\":");
            dynamodb_json::write_item(out, m);
        }
    }
    out.push('}');
}

fn incremental_ion(out: &mut String, rec: &Item) {
    out.push_str("$ion_1_0 {");
    if let Some(extenddo_log::AttributeValue::N(ts)) = rec.get("WriteTimestampMicros") {
        out.push_str(&format!("Metadata:{{WriteTimestampMicros:{ts}}}"));
    }
    for name in ["Keys", "NewImage", "OldImage"] {
        if let Some(extenddo_log::AttributeValue::M(m)) = rec.get(name) {
            out.push(',');
            out.push_str(name);
            out.push(':');
            ion::write_struct(out, m);
        }
    }
    out.push('}');
}

/// manifest-summary.json as AWS writes it.
pub fn manifest_summary(r: &ExportRecord) -> Value {
    let mut v = json!({
        "version": "2020-06-30",
        "exportArn": r.arn,
        "startTime": iso_millis(r.start_ms),
        "endTime": r.end_ms.map(iso_millis),
        "tableArn": r.table_arn,
        "tableId": r.table_id.as_str(),
        "s3Bucket": r.target.bucket,
        "s3Prefix": r.target.prefix,
        "s3SseAlgorithm": r.target.sse_algorithm.as_deref().unwrap_or("AES256"),
        "s3SseKmsKeyId": r.target.kms_key,
        "manifestFilesS3Key": format!("{}manifest-files.json", r.dir()),
        "billedSizeBytes": r.billed_size_bytes,
        "itemCount": r.item_count,
        "outputFormat": r.format.as_str(),
    });
    match &r.kind {
        ExportKind::Full { at_ms } => {
            v["exportTime"] = json!(iso_millis(*at_ms));
            v["exportType"] = json!("FULL_EXPORT");
        }
        ExportKind::Incremental {
            from_ms,
            to_ms,
            view,
        } => {
            v["exportFromTime"] = json!(iso_millis(*from_ms));
            v["exportToTime"] = json!(iso_millis(*to_ms));
            v["exportType"] = json!("INCREMENTAL_EXPORT");
            v["outputView"] = json!(view.as_str());
            v["version"] = json!("2023-08-01");
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ids::TableId;
    use crate::api::transfer::ExportTarget;
    use extenddo_log::{AttributeValue as A, Number};

    fn n(s: &str) -> A {
        A::N(Number::parse(s).unwrap())
    }

    fn item() -> Item {
        let mut m = Item::new();
        m.insert(
            "l".into(),
            A::L(vec![A::NULL(true), A::BOOL(false), n("-0.5")]),
        );
        let mut it = Item::new();
        it.insert("pk".into(), A::S("a\"b".into()));
        it.insert("n".into(), n("7"));
        it.insert("b".into(), A::B(vec![0, 1, 255]));
        it.insert("m".into(), A::M(m));
        it.insert("ss".into(), A::SS(vec!["x".into(), "y".into()]));
        it.insert(
            "ns".into(),
            A::NS(vec![
                Number::parse("1").unwrap(),
                Number::parse("2.5").unwrap(),
            ]),
        );
        it.insert("bs".into(), A::BS(vec![vec![1]]));
        it.insert("with space".into(), A::S("".into()));
        it
    }

    /// The data lines exports write, byte for byte.
    #[test]
    fn data_lines_are_golden() {
        let mut inc = Item::new();
        let mut keys = Item::new();
        keys.insert("pk".into(), A::S("a\"b".into()));
        inc.insert("Keys".into(), A::M(keys));
        inc.insert("NewImage".into(), A::M(item()));
        inc.insert("WriteTimestampMicros".into(), n("1796392603251000"));
        let mut out = String::new();
        render_line(&mut out, ExportFormat::DynamodbJson, false, &item());
        render_line(&mut out, ExportFormat::Ion, false, &item());
        render_line(&mut out, ExportFormat::DynamodbJson, true, &inc);
        render_line(&mut out, ExportFormat::Ion, true, &inc);
        assert_eq!(out, GOLDEN_LINES, "the export line formats changed");
    }

    const GOLDEN_LINES: &str = r#"{"Item":{"b":{"B":"AAH/"},"bs":{"BS":["AQ=="]},"m":{"M":{"l":{"L":[{"NULL":true},{"BOOL":false},{"N":"-0.5"}]}}},"n":{"N":"7"},"ns":{"NS":["1","2.5"]},"pk":{"S":"a\"b"},"ss":{"SS":["x","y"]},"with space":{"S":""}}}
$ion_1_0 {Item:{b:{{AAH/}},bs:$dynamodb_BS::[{{AQ==}}],m:{l:[null,false,-0.5]},n:7.,ns:$dynamodb_NS::[1.,2.5],pk:"a\"b",ss:$dynamodb_SS::["x","y"],'with space':""}}
{"Keys":{"pk":{"S":"a\"b"}},"Metadata":{"WriteTimestampMicros":{"N":"1796392603251000"}},"NewImage":{"b":{"B":"AAH/"},"bs":{"BS":["AQ=="]},"m":{"M":{"l":{"L":[{"NULL":true},{"BOOL":false},{"N":"-0.5"}]}}},"n":{"N":"7"},"ns":{"NS":["1","2.5"]},"pk":{"S":"a\"b"},"ss":{"SS":["x","y"]},"with space":{"S":""}}}
$ion_1_0 {Metadata:{WriteTimestampMicros:1796392603251000},Keys:{pk:"a\"b"},NewImage:{b:{{AAH/}},bs:$dynamodb_BS::[{{AQ==}}],m:{l:[null,false,-0.5]},n:7.,ns:$dynamodb_NS::[1.,2.5],pk:"a\"b",ss:$dynamodb_SS::["x","y"],'with space':""}}
"#;

    /// manifest-summary.json, byte for byte.
    #[test]
    fn the_manifest_summary_is_golden() {
        let r = ExportRecord {
            account: "000000000000".into(),
            arn:
                "arn:aws:dynamodb:us-east-1:000000000000:table/Music/export/01796392603260-fb316759"
                    .into(),
            table_arn: "arn:aws:dynamodb:us-east-1:000000000000:table/Music".into(),
            table_name: "Music".into(),
            table_id: TableId("a553081b-236a-4d54-a9b3-1f4f56c3d43f".into()),
            status: JobStatus::Completed,
            start_ms: 1796392603260,
            end_ms: Some(1796392603264),
            client_token: None,
            target: ExportTarget {
                root: None,
                bucket: "my-bucket".into(),
                owner: None,
                prefix: Some("exp".into()),
                sse_algorithm: None,
                kms_key: None,
            },
            format: ExportFormat::DynamodbJson,
            kind: ExportKind::Full {
                at_ms: 1796392603260,
            },
            start_lsn: 42,
            item_count: 30,
            billed_size_bytes: 439,
            failure: None,
        };
        assert_eq!(
            manifest_summary(&r).to_string(),
            r#"{"billedSizeBytes":439,"endTime":"2026-12-04T13:56:43.264Z","exportArn":"arn:aws:dynamodb:us-east-1:000000000000:table/Music/export/01796392603260-fb316759","exportTime":"2026-12-04T13:56:43.260Z","exportType":"FULL_EXPORT","itemCount":30,"manifestFilesS3Key":"exp/AWSDynamoDB/01796392603260-fb316759/manifest-files.json","outputFormat":"DYNAMODB_JSON","s3Bucket":"my-bucket","s3Prefix":"exp","s3SseAlgorithm":"AES256","s3SseKmsKeyId":null,"startTime":"2026-12-04T13:56:43.260Z","tableArn":"arn:aws:dynamodb:us-east-1:000000000000:table/Music","tableId":"a553081b-236a-4d54-a9b3-1f4f56c3d43f","version":"2020-06-30"}"#
        );
        assert_eq!(
            r.data_dir(),
            "exp/AWSDynamoDB/01796392603260-fb316759/data/"
        );
        let mut inc = r.clone();
        inc.kind = ExportKind::Incremental {
            from_ms: 1,
            to_ms: 2,
            view: ExportView::NewImage,
        };
        assert_eq!(inc.data_dir(), "exp/AWSDynamoDB/data/");
    }
}
