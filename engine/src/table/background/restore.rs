//! Restores: a table made by RestoreTableFromBackup or RestoreTableToPointInTime fills itself
//! from the object store in bounded, logged steps.
//!
//! From a backup: fetch the manifest, then the snapshot it names (checked against the
//! manifest's size and crc32, then by its own checksums), and load its items. To a point in
//! time: ask the source table for its archive (it seals what is not there yet), pick the
//! newest snapshot at or before the instant, load it, then fold the archived segments'
//! records up to the instant. Every step logs its items as ordinary `ItemPut`/`ItemDeleted`
//! records and its progress in the schema (`TableUpdated`), so replay rebuilds the restored
//! table and a restore cut short resumes where it was. An object that is missing or fails
//! its checksum stops the restore with its name; nothing of it is loaded.

use extenddo_log::{sealed, snapshot, Event, Item, Record};
use std::collections::BTreeMap;

use extenddo_projections::items::partition_hash;
use extenddo_projections::keycode;
use extenddo_projections::schema::{Restore, RestoreFrom};

use crate::api::backup::{Manifest, RestorePlan};
use crate::api::command::TableCommand;
use crate::api::ids::TableId;
use crate::api::object::{Call, Effect, EffectId, Outcome, Reply};
use crate::api::reply::TableReply;
use crate::api::store::{StoreReply, StoreRequest};
use crate::error::Error;
use crate::table::log::{Ctx, Log};

/// Items (or records) loaded per step: small enough that a step is short.
pub const CHUNK: usize = 5000;
/// Distinct items gathered from segments before a step logs them.
const FOLD_BATCH: usize = 20_000;
/// The source has not archived up to the instant yet: ask again this much later.
const PLAN_RETRY_MS: i64 = 200;
/// The object store did not answer: try again this much later.
const RETRY_MS: i64 = 1000;

/// What the job waits for.
#[derive(Debug)]
pub(crate) enum Want {
    Plan,
    Manifest(String),
    Snapshot(String),
    Segment(String),
}

/// The restore's working state in memory (its progress is in the schema).
#[derive(Default)]
pub(crate) struct Job {
    waiting: Option<(EffectId, Want)>,
    retry_at: Option<i64>,
    plan: Option<RestorePlan>,
    manifest: Option<Manifest>,
    entries: Option<snapshot::Entries>,
    /// The records of the segment being folded (those not folded yet).
    records: Option<std::collections::VecDeque<Record>>,
    /// Changes of the source's records gathered from segments and not logged yet, by key
    /// (the last one wins), up to `gathered_through`; `gathered_done`: they reach the instant.
    gathered: BTreeMap<(i64, Vec<u8>, Vec<u8>), Option<Item>>,
    gathered_through: u64,
    gathered_done: bool,
}

/// What to do next for a restore.
pub(crate) enum Next {
    /// Ask the host for this.
    Ask(Effect, Want),
    /// Run a step (in a transaction).
    Step,
    /// Waiting, or nothing to do.
    Idle,
}

/// The restore of a schema, while it runs.
pub(crate) fn active(log: &Log) -> Option<&Restore> {
    log.schema()
        .filter(|s| !s.is_deleted())
        .and_then(|s| s.restore.as_ref())
        .filter(|r| !r.done && r.failed.is_none())
}

fn get(key: &str) -> Effect {
    Effect::Store(StoreRequest::Get {
        key: key.to_owned(),
    })
}

impl Job {
    pub fn waiting(&self) -> bool {
        self.waiting.is_some()
    }

    pub fn retry_at(&self) -> Option<i64> {
        self.retry_at
    }

    pub fn expects(&self, id: EffectId) -> bool {
        self.waiting.as_ref().is_some_and(|(e, _)| *e == id)
    }

    pub fn asked(&mut self, id: EffectId, want: Want) {
        self.waiting = Some((id, want));
    }

    /// What the restore `r` needs next.
    pub fn next(&self, r: &Restore, now_ms: i64) -> Next {
        if self.waiting.is_some() || self.retry_at.is_some_and(|t| t > now_ms) {
            return Next::Idle;
        }
        match &r.from {
            RestoreFrom::Backup { manifest } if self.manifest.is_none() => {
                return Next::Ask(get(manifest), Want::Manifest(manifest.clone()));
            }
            RestoreFrom::PointInTime { table_id, at_ms } if self.plan.is_none() => {
                let call = Call::table(
                    &TableId(table_id.clone()),
                    TableCommand::RestorePlan { at_ms: *at_ms },
                );
                return Next::Ask(Effect::Call(call), Want::Plan);
            }
            _ => {}
        }
        if !r.based {
            return Next::Step;
        }
        if let Some((key, lsn)) = &r.base {
            if r.through < *lsn {
                return match self.entries {
                    Some(_) => Next::Step,
                    None => Next::Ask(get(key), Want::Snapshot(key.clone())),
                };
            }
        }
        if self.records.is_some() {
            return Next::Step;
        }
        match self.next_segment(r) {
            Some(key) => Next::Ask(get(&key), Want::Segment(key)),
            None => Next::Step,
        }
    }

    /// The archived segment holding the record after `r.through`, if the restore reads one.
    fn next_segment(&self, r: &Restore) -> Option<String> {
        let plan = self.plan.as_ref()?;
        let through = self.through(r);
        plan.segments
            .iter()
            .find(|(first, last, _)| *first <= through + 1 && *last > through)
            .map(|(.., key)| key.clone())
    }

    /// The source's records folded so far: logged, or gathered and not logged yet.
    fn through(&self, r: &Restore) -> u64 {
        r.through.max(self.gathered_through)
    }

    /// The answer to what the job asked for. `Err`: the restore cannot go on (the message
    /// names the object).
    pub fn answered(&mut self, r: &Restore, now_ms: i64, result: Outcome) -> Result<(), String> {
        let Some((_, want)) = self.waiting.take() else {
            return Ok(());
        };
        let retry = |job: &mut Job| {
            job.retry_at = Some(now_ms + RETRY_MS);
            Ok(())
        };
        match (want, result) {
            (Want::Plan, Ok(Reply::Table(TableReply::RestorePlan(p)))) => {
                if p.ready {
                    self.plan = Some(*p);
                } else {
                    self.retry_at = Some(now_ms + PLAN_RETRY_MS);
                }
                Ok(())
            }
            (Want::Plan, Err(Error::Gone)) => Err("the source table is gone".into()),
            (Want::Plan, Err(Error::Client(e))) => Err(format!(
                "the source table refused: {}",
                e.message.unwrap_or_default()
            )),
            (Want::Manifest(key), Ok(Reply::Store(StoreReply::Got(Some(bytes))))) => {
                let m = Manifest::parse(&key, &bytes)?;
                match &r.base {
                    Some((snap, lsn)) if *snap == m.snapshot_key && *lsn == m.lsn => {}
                    _ => return Err(format!("backup manifest {key} names another snapshot")),
                }
                self.manifest = Some(m);
                Ok(())
            }
            (Want::Snapshot(key), Ok(Reply::Store(StoreReply::Got(Some(bytes))))) => {
                if let Some(m) = &self.manifest {
                    m.check_snapshot(&bytes)?;
                }
                let mut e =
                    snapshot::entries(&bytes).map_err(|e| format!("snapshot {key}: {e}"))?;
                let expected = r.base.as_ref().map(|b| b.1);
                if Some(e.header.lsn) != expected {
                    return Err(format!(
                        "snapshot {key} holds lsn {}, not {expected:?}",
                        e.header.lsn
                    ));
                }
                for _ in 0..r.loaded {
                    e.next_item()
                        .map_err(|err| format!("snapshot {key}: {err}"))?
                        .ok_or_else(|| format!("snapshot {key} ends early"))?;
                }
                self.entries = Some(e);
                Ok(())
            }
            (Want::Segment(key), Ok(Reply::Store(StoreReply::Got(Some(bytes))))) => {
                let seg = sealed::open(&bytes).map_err(|e| format!("segment {key}: {e}"))?;
                if let RestoreFrom::PointInTime { table_id, .. } = &r.from {
                    if seg.header.table_id != *table_id {
                        return Err(format!(
                            "segment {key} belongs to table {}",
                            seg.header.table_id
                        ));
                    }
                }
                self.records = Some(seg.records.into());
                Ok(())
            }
            (
                Want::Manifest(key) | Want::Snapshot(key) | Want::Segment(key),
                Ok(Reply::Store(StoreReply::Got(None))),
            ) => Err(format!("{key} is missing from the object store")),
            // The store or the source could not be reached: ask again later.
            (_, _) => retry(self),
        }
    }

    /// One step of the restore, inside the caller's transaction. `Ok(Err(message))`: the
    /// restore cannot go on.
    pub fn step(&mut self, cx: &Ctx, log: &mut Log) -> Result<Result<(), String>, Error> {
        let Some(r) = active(log).cloned() else {
            return Ok(Ok(()));
        };
        // Choose where to start: the newest snapshot at or before the instant.
        if !r.based {
            let base = match (&r.from, &self.plan) {
                (RestoreFrom::PointInTime { at_ms, .. }, Some(plan)) => plan
                    .snapshots
                    .iter()
                    .filter(|(_, ts, _)| ts <= at_ms)
                    .max_by_key(|(lsn, ..)| *lsn)
                    .map(|(lsn, _, key)| (key.clone(), *lsn)),
                _ => return Ok(Err("a backup restore without its snapshot".into())),
            };
            return progress(cx, log, |p| {
                p.based = true;
                p.base = base;
            })
            .map(Ok);
        }
        let base = r.base.clone();
        if let Some((key, lsn)) = base.filter(|(_, lsn)| r.through < *lsn) {
            let Some(entries) = self.entries.as_mut() else {
                return Ok(Ok(()));
            };
            let mut items = Vec::with_capacity(CHUNK);
            let mut finished = false;
            while items.len() < CHUNK {
                match entries.next_item() {
                    Ok(Some(item)) => items.push(item),
                    Ok(None) => {
                        finished = true;
                        break;
                    }
                    Err(e) => return Ok(Err(format!("snapshot {key}: {e}"))),
                }
            }
            let n = items.len() as u64;
            for item in items {
                log.commit(
                    cx.sql,
                    cx.now_ms,
                    Event::ItemPut {
                        old: None,
                        new: item,
                    },
                )?;
            }
            if finished {
                self.entries = None;
            }
            return progress(cx, log, |p| {
                p.loaded += n;
                if finished {
                    p.through = lsn;
                }
            })
            .map(Ok);
        }
        let RestoreFrom::PointInTime { at_ms, .. } = r.from else {
            return progress(cx, log, |p| p.done = true).map(Ok);
        };
        // Gather the segment's changes (a gap in the archive stops the restore).
        let key_schema = log.live()?.key.clone();
        if let Some(records) = self.records.take() {
            let mut through = self.through(&r);
            for rec in records {
                if rec.lsn <= through {
                    continue;
                }
                if rec.ts_ms > at_ms {
                    self.gathered_done = true;
                    break;
                }
                if rec.lsn != through + 1 {
                    return Ok(Err(format!(
                        "the archive has a gap: lsn {through} is followed by {}",
                        rec.lsn
                    )));
                }
                let (image, new) = match rec.event {
                    Event::ItemPut { new, .. } => (None, Some(new)),
                    Event::ItemDeleted { old } | Event::ItemExpired { old } => (Some(old), None),
                    _ => (None, None),
                };
                if let Some(item) = new.as_ref().or(image.as_ref()) {
                    let (pk, sk) = keycode::item_key(&key_schema, item).map_err(Error::Storage)?;
                    self.gathered.insert((partition_hash(&pk), pk, sk), new);
                }
                through = rec.lsn;
            }
            self.gathered_through = through;
        }
        let done = self.gathered_done || self.next_segment(&r).is_none();
        if !done && self.gathered.len() < FOLD_BATCH {
            // Gather the next segment first.
            return Ok(Ok(()));
        }
        // Log the gathered changes in key order: the state after the step is the same, and
        // the table's pages are written once per step instead of once per record.
        for ((_, pk, sk), new) in std::mem::take(&mut self.gathered) {
            let old = extenddo_projections::items::get(cx.sql, &pk, &sk)?;
            let event = match (old, new) {
                (old, Some(new)) => Event::ItemPut { old, new },
                (Some(old), None) => Event::ItemDeleted { old },
                (None, None) => continue,
            };
            log.commit(cx.sql, cx.now_ms, event)?;
        }
        let through = self.through(&r);
        progress(cx, log, |p| {
            p.through = through;
            p.done = done;
        })
        .map(Ok)
    }

    /// Gives up: the reason goes into the schema (and so into the log).
    pub fn fail(&mut self, cx: &Ctx, log: &mut Log, why: String) -> Result<(), Error> {
        *self = Job::default();
        progress(cx, log, |p| p.failed = Some(why))
    }
}

/// Logs the restore's progress (a `TableUpdated` of the schema).
fn progress(cx: &Ctx, log: &mut Log, change: impl FnOnce(&mut Restore)) -> Result<(), Error> {
    let mut s = log.live()?.clone();
    let Some(r) = s.restore.as_mut() else {
        return Err(Error::bug(
            "restore progress for a table not being restored",
        ));
    };
    change(r);
    let schema_json = serde_json::to_string(&s).map_err(Error::bug)?;
    log.commit(cx.sql, cx.now_ms, Event::TableUpdated { schema_json })
}
