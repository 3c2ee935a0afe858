//! The table object: one table incarnation's log and projections behind a single writer.
//!
//! Each host keeps one `TableObject` per table incarnation (an actor natively, a Durable
//! Object on Cloudflare), addressed by the table's id, and drives it through the
//! [`Object`] contract. A batch of commands runs in one SQL transaction, each mutation
//! appending its own log record and applying it to the projections before the commit, so
//! nothing is acknowledged that is not durable and replayable.
//!
//! - [`log`]: the writer (schema, next LSN, `commit`) and the narrow context operations get;
//! - `ops`: the operations; `background`: backfill, TTL sweeps, shard rollover;
//! - [`keys`], [`capacity`], `streams`: key checks, capacity units, stream shapes.

pub(crate) mod background;
pub mod capacity;
pub mod keys;
pub(crate) mod log;
pub(crate) mod ops;
pub(crate) mod streams;

use extenddo_log::sql::in_transaction;
use extenddo_log::{LogStore, Sql};

use crate::api::command::TableCommand;
use crate::api::ids::TableId;
use crate::api::object::{run_batch, Command, Effect, EffectId, Effects, Object, Outcome, Reply};
use crate::api::reply::TableReply;
use crate::api::store::StoreRequest;
use crate::config::Config;
use crate::error::Error;
use crate::table::background::{
    archive, backfill, export, import, restore, rollover, snapshot, sweep,
};
use crate::table::log::{Ctx, Log};

/// After a failed background step, try again this much later rather than spin.
const RETRY_MS: i64 = 1000;

pub struct TableObject {
    cfg: Config,
    id: TableId,
    /// `None` while the object has no storage: never created here, or retired.
    log: Option<Log>,
    /// When the TTL sweeper is next due (`Some(i64::MIN)`: not known yet, look now).
    ttl_due: Option<i64>,
    /// A failed background step is tried again at this time.
    retry_at: Option<i64>,
    effects: Effects,
    /// Outcomes asked of coordinators: effect → txid.
    asking: std::collections::HashMap<EffectId, String>,
    /// When the oldest prepared transaction becomes overdue (its coordinator is asked).
    tx_due: Option<i64>,
    /// The sealed segment being uploaded, if one is.
    upload: Option<archive::Upload>,
    /// Look at the archive at this time (after opening: what a crash left to upload).
    archive_due: Option<i64>,
    /// A restore asked for the log up to this LSN: archive it now, whatever the threshold.
    archive_upto: u64,
    /// The periodic snapshot being stored, if one is.
    snapshot: Option<snapshot::SnapshotUpload>,
    /// No periodic snapshot is due before this many records are archived.
    snapshot_after: u64,
    /// Backups being read (a chunk per step), then being stored.
    scans: Vec<snapshot::BackupScan>,
    backups: Vec<snapshot::BackupJob>,
    /// The restore that fills this table, while it runs.
    restore: restore::Job,
    /// Exports being written, and the last ones finished here (a late request to resume one
    /// answers how it ended instead of writing it again).
    exports: Vec<export::ExportJob>,
    finished_exports: std::collections::VecDeque<crate::api::transfer::ExportRecord>,
    /// The import that fills this table, while it runs.
    import: import::Job,
    diagnostics: Vec<String>,
}

impl TableObject {
    /// Opens the table object stored in `sql`. Storage that holds no table stays untouched
    /// until a CreateTable arrives, so requests for missing tables leave no trace.
    pub fn open(sql: &dyn Sql, mut cfg: Config, id: TableId) -> Result<TableObject, Error> {
        let log = if LogStore::exists(sql)? {
            init(sql)?;
            Some(Log::load(sql)?)
        } else {
            None
        };
        // ARNs the table object writes (streams, backups, exports) carry its account.
        if let Some(a) = log
            .as_ref()
            .and_then(Log::schema)
            .and_then(|s| s.account.clone())
        {
            cfg.account_id = a;
        }
        let cfg_archive = cfg.archive_records;
        Ok(TableObject {
            cfg,
            id,
            log,
            ttl_due: Some(i64::MIN),
            retry_at: None,
            effects: Effects::default(),
            asking: std::collections::HashMap::new(),
            tx_due: Some(i64::MIN),
            upload: None,
            archive_due: (cfg_archive > 0).then_some(i64::MIN),
            archive_upto: 0,
            snapshot: None,
            snapshot_after: 0,
            scans: Vec::new(),
            backups: Vec::new(),
            restore: restore::Job::default(),
            exports: Vec::new(),
            finished_exports: std::collections::VecDeque::new(),
            import: import::Job::default(),
            diagnostics: Vec::new(),
        })
    }

    /// The id of the table whose storage `sql` is, if it holds one (a host that wakes an
    /// object without a call to tell it its address finds it here).
    pub fn stored_id(sql: &dyn Sql) -> Result<Option<TableId>, Error> {
        if !LogStore::exists(sql)? {
            return Ok(None);
        }
        Ok(extenddo_projections::schema::load(sql)?.map(|s| TableId(s.id)))
    }

    pub fn id(&self) -> &TableId {
        &self.id
    }

    /// The table's schema as its log has made it, if it was ever created here.
    pub fn schema(&self) -> Option<&extenddo_projections::TableSchema> {
        self.log.as_ref().and_then(Log::schema)
    }

    fn ctx<'a>(&'a self, sql: &'a dyn Sql, now_ms: i64) -> Ctx<'a> {
        Ctx {
            sql,
            cfg: &self.cfg,
            now_ms,
        }
    }

    /// Runs one command inside the batch's transaction.
    fn run(&mut self, sql: &dyn Sql, now_ms: i64, cmd: TableCommand) -> Result<TableReply, Error> {
        if matches!(cmd, TableCommand::CreateTable(_)) && self.log.is_none() {
            // Inside the batch's transaction: the storage appears with the table or not at all.
            create_storage(sql)?;
            self.log = Some(Log::load(sql)?);
        }
        match cmd {
            TableCommand::Retire => return self.retire(sql, now_ms),
            TableCommand::TakeBackup(t) => return self.take_backup(sql, now_ms, &t),
            TableCommand::RestorePlan { at_ms } => return self.restore_plan(sql, now_ms, at_ms),
            TableCommand::StartExport { record, resume } => {
                return self.start_export(sql, now_ms, *record, resume)
            }
            TableCommand::ExportStatus { arn } => {
                return match self.exports.iter().find(|j| j.record.arn == arn) {
                    Some(j) => Ok(TableReply::Export(Box::new(j.record.clone()))),
                    None => Err(Error::Gone),
                }
            }
            TableCommand::ImportStatus => {
                let s = self.log.as_ref().and_then(Log::schema).ok_or(Error::Gone)?;
                let i = s.import.as_ref().ok_or(Error::Gone)?;
                return Ok(TableReply::Import(Box::new(import::current(i, now_ms)?)));
            }
            _ => {}
        }
        let cx = Ctx {
            sql,
            cfg: &self.cfg,
            now_ms,
        };
        let log = self.log.as_mut().ok_or(Error::Gone)?;
        ops::run(&cx, log, self.id.as_str(), cmd)
    }

    fn retire(&mut self, sql: &dyn Sql, now_ms: i64) -> Result<TableReply, Error> {
        let verdict = match &self.log {
            None => Ok(()),
            Some(log) => ops::may_retire(&self.ctx(sql, now_ms), log)?,
        };
        match verdict {
            Err(until) => Ok(TableReply::RetainUntil(until)),
            // The storage goes once the batch is over (see `handle`).
            Ok(()) => {
                self.log = None;
                Ok(TableReply::Retired)
            }
        }
    }

    /// After a rollback the in-memory writer may be ahead of the storage.
    fn reload(&mut self, sql: &dyn Sql) {
        let loaded = match LogStore::exists(sql) {
            Ok(true) => Log::load(sql).map(Some),
            Ok(false) => Ok(None),
            Err(e) => Err(e.into()),
        };
        match loaded {
            Ok(log) => self.log = log,
            Err(e) => self.diagnostics.push(format!("reloading the table: {e}")),
        }
    }

    /// Runs `step` in its own transaction; on failure the writer is reloaded and the work
    /// retried later.
    fn background<T>(
        &mut self,
        sql: &dyn Sql,
        now_ms: i64,
        what: &str,
        step: impl FnOnce(&Ctx, &mut Log) -> Result<T, Error>,
    ) -> Option<T> {
        let cx = Ctx {
            sql,
            cfg: &self.cfg,
            now_ms,
        };
        let log = self.log.as_mut()?;
        match in_transaction(sql, || step(&cx, log)) {
            Ok(v) => Some(v),
            Err(e) => {
                self.diagnostics.push(format!("{what} failed: {e}"));
                self.reload(sql);
                self.retry_at = Some(now_ms + RETRY_MS);
                None
            }
        }
    }

    /// After writes: the sweeper's schedule may have moved earlier.
    fn refresh_ttl(&mut self, sql: &dyn Sql, now_ms: i64) {
        let Some(s) = self.log.as_ref().and_then(|l| l.live().ok()) else {
            self.ttl_due = None;
            return;
        };
        if !sweep::enabled(s) {
            self.ttl_due = None;
            return;
        }
        match sweep::next_due(&self.ctx(sql, now_ms)) {
            Ok(due) => self.ttl_due = due,
            Err(e) => {
                self.diagnostics
                    .push(format!("reading the TTL schedule: {e}"));
                self.ttl_due = Some(now_ms + RETRY_MS);
            }
        }
    }

    /// When a prepared transaction not being asked about becomes overdue.
    fn refresh_tx(&mut self, sql: &dyn Sql) {
        if !self.log.as_ref().is_some_and(Log::has_locks) && self.asking.is_empty() {
            self.tx_due = None;
            return;
        }
        match extenddo_projections::tx::pending(sql) {
            Ok(p) => {
                self.tx_due = p
                    .iter()
                    .filter(|(txid, ..)| !self.asking.values().any(|a| a == txid))
                    .map(|(_, _, _, ts)| ts + self.cfg.tx_recovery_ms)
                    .min();
            }
            Err(e) => {
                self.diagnostics
                    .push(format!("reading prepared transactions: {e}"));
                self.tx_due = None;
            }
        }
    }

    /// Asks the coordinator of every overdue prepared transaction for its outcome.
    fn ask_outcomes(&mut self, sql: &dyn Sql, now_ms: i64) {
        let pending = match extenddo_projections::tx::pending(sql) {
            Ok(p) => p,
            Err(e) => {
                self.diagnostics
                    .push(format!("reading prepared transactions: {e}"));
                return;
            }
        };
        for (txid, coordinator, _, ts) in pending {
            if ts + self.cfg.tx_recovery_ms > now_ms || self.asking.values().any(|a| *a == txid) {
                continue;
            }
            let Some(shard) = coordinator else {
                // A single-table transaction prepares and resolves in one SQL transaction:
                // a prepared one without a coordinator cannot outlive it.
                self.diagnostics
                    .push(format!("{txid} is prepared here without a coordinator"));
                continue;
            };
            let id = self.effects.push(Effect::Call(crate::api::object::Call {
                to: crate::api::object::Address::Coordinator(shard),
                command: Command::Coordinator(
                    crate::api::coordinator::CoordinatorCommand::Outcome { txid: txid.clone() },
                ),
            }));
            self.asking.insert(id, txid);
        }
    }

    /// Takes what went wrong in background work since the last call, for the host's log.
    /// Seals and uploads the next segment if enough of the log waits for the archive and no
    /// upload is in flight.
    fn maybe_archive(&mut self, sql: &dyn Sql, now_ms: i64) {
        if self.upload.is_some() || self.retry_at.is_some_and(|t| t > now_ms) {
            return;
        }
        let Some(log) = self.log.as_ref() else {
            return;
        };
        let forced = self.archive_upto;
        let sealed =
            archive::due(sql, self.archive_threshold(), forced, log).and_then(|due| match due {
                true => archive::seal_next(sql, self.id.as_str(), log),
                false => Ok(None),
            });
        match sealed {
            Ok(Some(s)) => {
                let effect = self
                    .effects
                    .push(Effect::Store(archive::put(s.key.clone(), s.bytes)));
                self.upload = Some(archive::Upload {
                    effect,
                    first: s.first,
                    last: s.last,
                    key: s.key,
                });
            }
            Ok(None) => {}
            Err(e) => {
                self.diagnostics.push(format!("sealing a segment: {e}"));
                self.retry_at = Some(now_ms + RETRY_MS);
            }
        }
    }

    /// The store's answer to an upload.
    fn uploaded(&mut self, sql: &dyn Sql, now_ms: i64, up: archive::Upload, result: Outcome) {
        match result {
            Ok(Reply::Store(crate::api::store::StoreReply::Stored)) => {
                self.background(sql, now_ms, "logging an archived segment", |cx, log| {
                    archive::confirmed(cx, log, &up)
                });
                self.maybe_archive(sql, now_ms);
                if self.upload.is_none() {
                    self.after_archive(sql, now_ms);
                }
            }
            other => {
                self.diagnostics
                    .push(format!("storing segment {}: {other:?}", up.key));
                self.retry_at = Some(now_ms + RETRY_MS);
            }
        }
    }

    /// TakeBackup: snapshot now, then store the snapshot, the manifest, and tell the catalog
    /// (see `handle_result`). A taking cut short is asked for again by the catalog.
    fn take_backup(
        &mut self,
        sql: &dyn Sql,
        now_ms: i64,
        t: &crate::api::command::TakeBackup,
    ) -> Result<TableReply, Error> {
        let log = self.log.as_ref().ok_or(Error::Gone)?;
        if ops::restoring(log) {
            return Err(crate::error::ApiError::new(
                crate::error::ErrorKind::TableInUse,
                format!("Table is being restored: {}", log.live()?.name),
            )
            .into());
        }
        let cx = self.ctx(sql, now_ms);
        let scan = snapshot::take_backup(&cx, log, self.id.as_str(), t)?;
        let record = scan.record.clone();
        self.scans.push(scan);
        Ok(TableReply::BackupTaken(Box::new(record)))
    }

    /// One step of each backup being read; a backup read whole is stored.
    fn scan_backups(&mut self, sql: &dyn Sql, now_ms: i64) {
        for mut scan in std::mem::take(&mut self.scans) {
            let Some(log) = self.log.as_ref() else {
                return;
            };
            let cx = Ctx {
                sql,
                cfg: &self.cfg,
                now_ms,
            };
            let arn = scan.record.arn.clone();
            let read = match scan.step(&cx) {
                Ok(false) => {
                    self.scans.push(scan);
                    continue;
                }
                Ok(true) => scan.finish(&cx, log, self.id.as_str()).map(Some),
                Err(e) => Err(e),
            };
            match read {
                Ok(None) => {}
                Ok(Some((record, snap, manifest))) => {
                    let effect = self.effects.push(Effect::Store(StoreRequest::Put {
                        key: record.snapshot_key(),
                        bytes: snap,
                    }));
                    self.backups.push(snapshot::BackupJob {
                        effect,
                        stage: snapshot::BackupStage::Snapshot,
                        record,
                        manifest,
                    });
                }
                // The catalog asks for the backup again once its grace period passes.
                Err(e) => self.diagnostics.push(format!("reading backup {arn}: {e}")),
            }
        }
    }

    /// The next stage of a backup being stored.
    fn backup_stored(&mut self, mut job: snapshot::BackupJob, result: Outcome) {
        let ok = match (&job.stage, &result) {
            (
                snapshot::BackupStage::Snapshot | snapshot::BackupStage::Manifest,
                Ok(Reply::Store(crate::api::store::StoreReply::Stored)),
            ) => true,
            (
                snapshot::BackupStage::Catalog,
                Ok(Reply::Catalog(crate::api::catalog::CatalogReply::Done)),
            ) => return,
            _ => false,
        };
        if !ok {
            // The catalog asks for the backup again once its grace period passes.
            self.diagnostics
                .push(format!("storing backup {}: {result:?}", job.record.arn));
            return;
        }
        let (stage, effect) = match job.stage {
            snapshot::BackupStage::Snapshot => (
                snapshot::BackupStage::Manifest,
                Effect::Store(StoreRequest::Put {
                    key: job.record.manifest_key(),
                    bytes: std::mem::take(&mut job.manifest),
                }),
            ),
            _ => {
                let mut record = job.record.clone();
                record.status = crate::api::backup::BackupStatus::Available;
                (
                    snapshot::BackupStage::Catalog,
                    Effect::Call(crate::api::object::Call::catalog(
                        crate::api::catalog::CatalogCommand::PutBackup(Box::new(record)),
                    )),
                )
            }
        };
        job.stage = stage;
        job.effect = self.effects.push(effect);
        self.backups.push(job);
    }

    /// A restore of another table from this one asks what to read; what it needs and is not
    /// archived yet is archived now.
    fn restore_plan(
        &mut self,
        sql: &dyn Sql,
        now_ms: i64,
        at_ms: i64,
    ) -> Result<TableReply, Error> {
        if self.log.as_ref().and_then(Log::schema).is_none() {
            return Err(Error::Gone);
        }
        let (plan, needed) = ops::backup::plan(&self.ctx(sql, now_ms), at_ms)?;
        if !plan.ready {
            self.archive_upto = self.archive_upto.max(needed);
            self.maybe_archive(sql, now_ms);
        }
        Ok(TableReply::RestorePlan(Box::new(plan)))
    }

    /// ExportTableToPointInTime (or the catalog asking again after an export cut short): the
    /// export's record, and the job that writes it.
    fn start_export(
        &mut self,
        sql: &dyn Sql,
        now_ms: i64,
        record: crate::api::transfer::ExportRecord,
        resume: bool,
    ) -> Result<TableReply, Error> {
        if let Some(job) = self.exports.iter().find(|j| j.record.arn == record.arn) {
            return Ok(TableReply::Export(Box::new(job.record.clone())));
        }
        if let Some(done) = self.finished_exports.iter().find(|r| r.arn == record.arn) {
            return Ok(TableReply::Export(Box::new(done.clone())));
        }
        let log = self.log.as_ref().ok_or(Error::Gone)?;
        if log.schema().is_none_or(|s| s.is_deleted()) {
            return Err(Error::Gone);
        }
        if ops::restoring(log) {
            return Err(crate::error::ApiError::new(
                crate::error::ErrorKind::TableInUse,
                format!("Table is being created: {}", log.live()?.name),
            )
            .into());
        }
        let record = if resume {
            let mut r = record;
            r.item_count = 0;
            r.billed_size_bytes = 0;
            r
        } else {
            ops::transfer::start_export(&self.ctx(sql, now_ms), log, self.id.as_str(), record)?
        };
        self.exports.push(export::ExportJob::new(record.clone()));
        Ok(TableReply::Export(Box::new(record)))
    }

    /// Runs the exports as far as they go without waiting.
    fn drive_exports(&mut self, sql: &dyn Sql, now_ms: i64) {
        // `None`: the table went, and its exports cannot be written.
        let key = self
            .log
            .as_ref()
            .and_then(|l| l.live().ok())
            .map(|s| s.key.clone());
        let mut jobs = std::mem::take(&mut self.exports);
        for job in jobs.iter_mut() {
            // Steps until the job has something to store (bounded: a step reads a chunk).
            for _ in 0..4 {
                if let Some(effect) = job.next_effect(now_ms) {
                    let id = self.effects.push(effect);
                    job.asked(id);
                    break;
                }
                if !job.wants_step(now_ms) {
                    break;
                }
                let Some(key) = &key else {
                    job.fail(now_ms, "TableNotFound", "the table was deleted".into());
                    continue;
                };
                let cx = self.ctx(sql, now_ms);
                if let Err(e) = in_transaction(sql, || job.step(&cx, key)) {
                    self.diagnostics
                        .push(format!("export {}: {e}", job.record.arn));
                    job.fail(now_ms, "ExportFailed", e.to_string());
                }
            }
        }
        for job in jobs.iter().filter(|j| j.done()) {
            if self.finished_exports.len() >= 64 {
                self.finished_exports.pop_front();
            }
            self.finished_exports.push_back(job.record.clone());
        }
        jobs.retain(|j| !j.done());
        self.exports = jobs;
    }

    fn export_answered(&mut self, sql: &dyn Sql, now_ms: i64, i: usize, result: Outcome) {
        let job = &mut self.exports[i];
        if let Err(why) = job.answered(now_ms, result) {
            self.diagnostics
                .push(format!("export {}: {why}", job.record.arn));
            job.fail(now_ms, "S3AccessDenied", why);
        }
        self.drive_exports(sql, now_ms);
    }

    /// Runs the import that fills this table as far as it can go without waiting.
    fn drive_import(&mut self, sql: &dyn Sql, now_ms: i64) {
        for _ in 0..4 {
            let Some(i) = self.log.as_ref().and_then(import::active).cloned() else {
                return;
            };
            match self.import.next(&i, now_ms) {
                import::Next::Idle => return,
                import::Next::Ask(effect) => {
                    let id = self.effects.push(effect);
                    self.import.asked(id, &i);
                    return;
                }
                import::Next::Step => {
                    let mut job = std::mem::take(&mut self.import);
                    let stepped =
                        self.background(sql, now_ms, "an import step", |cx, log| job.step(cx, log));
                    for c in job.complaints.drain(..) {
                        self.diagnostics.push(format!("import: {c}"));
                    }
                    if stepped.is_none() {
                        job.step_failed(now_ms);
                    }
                    self.import = job;
                    if stepped.is_none() {
                        return;
                    }
                }
            }
        }
    }

    fn import_answered(&mut self, sql: &dyn Sql, now_ms: i64, result: Outcome) {
        let Some(i) = self.log.as_ref().and_then(import::active).cloned() else {
            self.import = import::Job::default();
            return;
        };
        match self.import.answered(&i, now_ms, result) {
            Ok(false) => {}
            Ok(true) => {
                let mut job = std::mem::take(&mut self.import);
                self.background(sql, now_ms, "logging an import's report", |cx, log| {
                    job.reported(cx, log)
                });
                self.import = job;
            }
            Err(why) => {
                self.diagnostics.push(format!("the import failed: {why}"));
                let mut job = std::mem::take(&mut self.import);
                self.background(sql, now_ms, "logging a failed import", |cx, log| {
                    job.fail(cx, log, why)
                });
                self.import = job;
            }
        }
        self.drive_import(sql, now_ms);
    }

    /// Runs the restore that fills this table as far as it can go without waiting.
    fn drive_restore(&mut self, sql: &dyn Sql, now_ms: i64) {
        let Some(r) = self.log.as_ref().and_then(restore::active).cloned() else {
            return;
        };
        match self.restore.next(&r, now_ms) {
            restore::Next::Idle => {}
            restore::Next::Ask(effect, want) => {
                let id = self.effects.push(effect);
                self.restore.asked(id, want);
            }
            restore::Next::Step => {
                let mut job = std::mem::take(&mut self.restore);
                let result =
                    self.background(sql, now_ms, "a restore step", |cx, log| job.step(cx, log));
                self.restore = job;
                if let Some(Err(why)) = result {
                    self.fail_restore(sql, now_ms, why);
                }
            }
        }
    }

    fn fail_restore(&mut self, sql: &dyn Sql, now_ms: i64, why: String) {
        self.diagnostics.push(format!("the restore failed: {why}"));
        let mut job = std::mem::take(&mut self.restore);
        self.background(sql, now_ms, "logging a failed restore", |cx, log| {
            job.fail(cx, log, why)
        });
    }

    /// After an archived segment: a snapshot if one is due, else a trim if one is possible.
    fn after_archive(&mut self, sql: &dyn Sql, now_ms: i64) {
        if self.snapshot.is_some() {
            return;
        }
        let Some(log) = self.log.as_ref() else {
            return;
        };
        let cx = self.ctx(sql, now_ms);
        let mut after = None;
        let built = match extenddo_projections::archive::archived_upto(sql) {
            Ok(a) if a < self.snapshot_after => Ok(None),
            Ok(_) => {
                snapshot::snapshot_due(&cx, log, self.cfg.snapshot_records).and_then(
                    |due| match due {
                        Ok(()) => snapshot::build(&cx, log, self.id.as_str()).map(Some),
                        Err(next) => {
                            after = Some(next);
                            Ok(None)
                        }
                    },
                )
            }
            Err(e) => Err(e.into()),
        };
        if let Some(next) = after {
            self.snapshot_after = next;
        }
        match built {
            Ok(Some(b)) => {
                let key = crate::api::backup::log_snapshot_key(self.id.as_str(), b.lsn);
                let effect = self.effects.push(Effect::Store(StoreRequest::Put {
                    key: key.clone(),
                    bytes: b.bytes,
                }));
                self.snapshot = Some(snapshot::SnapshotUpload {
                    effect,
                    lsn: b.lsn,
                    ts_ms: b.ts_ms,
                    key,
                });
            }
            // A backup being read needs the log after its LSN.
            Ok(None) if !self.scans.is_empty() => {}
            Ok(None) => {
                let retention = self.cfg.log_retention_ms;
                self.background(sql, now_ms, "trimming the log", |cx, log| {
                    snapshot::trim(cx, log, retention)
                });
            }
            Err(e) => self.diagnostics.push(format!("snapshotting: {e}")),
        }
    }

    fn snapshot_stored(
        &mut self,
        sql: &dyn Sql,
        now_ms: i64,
        up: snapshot::SnapshotUpload,
        result: Outcome,
    ) {
        match result {
            Ok(Reply::Store(crate::api::store::StoreReply::Stored)) => {
                self.background(sql, now_ms, "logging a snapshot", |cx, log| {
                    snapshot::confirmed(cx, log, &up)
                });
                self.after_archive(sql, now_ms);
            }
            other => {
                self.diagnostics
                    .push(format!("storing snapshot {}: {other:?}", up.key));
                self.retry_at = Some(now_ms + RETRY_MS);
            }
        }
    }

    /// How many unarchived records make a segment: the configured number, or with
    /// point-in-time recovery on and archiving not configured, a default (0: off).
    fn archive_threshold(&self) -> u64 {
        let pitr = self
            .log
            .as_ref()
            .and_then(Log::schema)
            .is_some_and(|s| s.pitr.is_some());
        match self.cfg.archive_records {
            0 if pitr => crate::config::PITR_ARCHIVE_RECORDS,
            n => n,
        }
    }

    pub fn take_diagnostics(&mut self) -> Vec<String> {
        std::mem::take(&mut self.diagnostics)
    }
}

/// Creates the log and every projection table (idempotent), in the caller's transaction.
fn create_storage(sql: &dyn Sql) -> Result<(), Error> {
    LogStore::init(sql)?;
    extenddo_projections::init(sql)?;
    Ok(())
}

/// [`create_storage`] in a transaction of its own.
fn init(sql: &dyn Sql) -> Result<(), Error> {
    in_transaction(sql, || create_storage(sql))
}

impl Object for TableObject {
    fn handle(&mut self, sql: &dyn Sql, now_ms: i64, commands: Vec<Command>) -> Vec<Outcome> {
        let n = commands.len();
        let writes = commands.iter().any(Command::is_write);
        for c in &commands {
            if let Command::Table(TableCommand::CreateTable(c)) = c {
                if let (Some(a), None) = (&c.schema.account, &self.log) {
                    self.cfg.account_id = a.clone();
                }
            }
        }
        let outcome = run_batch(sql, commands, |cmd| match cmd {
            Command::Table(c) => self.run(sql, now_ms, c).map(Reply::Table),
            _ => Err(Error::bug(
                "a catalog or coordinator command sent to a table",
            )),
        });
        let results = match outcome {
            Ok(r) => r,
            Err(e) => {
                self.reload(sql);
                return vec![Err(e); n];
            }
        };
        if self.log.is_none() {
            // Nothing here, and nothing was created: storage a host opened just to ask goes
            // again, so that requests for missing tables leave no trace.
            self.effects.push(Effect::Retire);
        } else if writes {
            self.refresh_ttl(sql, now_ms);
            self.refresh_tx(sql);
            self.maybe_archive(sql, now_ms);
        }
        results
    }

    fn handle_timeout(&mut self, sql: &dyn Sql, now_ms: i64) {
        self.retry_at = None;
        if self
            .log
            .as_ref()
            .and_then(|l| l.live().ok())
            .is_some_and(backfill::pending)
        {
            self.background(sql, now_ms, "index backfill", backfill::step);
        }
        if self.ttl_due.is_some_and(|d| d <= now_ms) {
            match self.background(sql, now_ms, "TTL sweep", sweep::step) {
                Some(next) => self.ttl_due = next,
                None => self.ttl_due = Some(now_ms + RETRY_MS),
            }
        }
        if self.tx_due.is_some_and(|d| d <= now_ms) {
            self.ask_outcomes(sql, now_ms);
            self.refresh_tx(sql);
        }
        let rollover_ms = self.cfg.stream_shard_rollover_ms;
        if self
            .log
            .as_ref()
            .and_then(|l| rollover::due(rollover_ms, l))
            .is_some_and(|d| d <= now_ms)
        {
            self.background(sql, now_ms, "stream shard rollover", rollover::step);
        }
        if self.archive_due.is_some_and(|d| d <= now_ms) {
            self.archive_due = None;
        }
        self.maybe_archive(sql, now_ms);
        self.drive_restore(sql, now_ms);
        self.drive_import(sql, now_ms);
        self.drive_exports(sql, now_ms);
        self.scan_backups(sql, now_ms);
    }

    fn handle_result(&mut self, sql: &dyn Sql, now_ms: i64, id: EffectId, result: Outcome) {
        if let Some(up) = self.upload.take_if(|u| u.effect == id) {
            self.uploaded(sql, now_ms, up, result);
            return;
        }
        if let Some(up) = self.snapshot.take_if(|u| u.effect == id) {
            self.snapshot_stored(sql, now_ms, up, result);
            return;
        }
        if let Some(i) = self.backups.iter().position(|b| b.effect == id) {
            let job = self.backups.swap_remove(i);
            self.backup_stored(job, result);
            return;
        }
        if let Some(i) = self.exports.iter().position(|j| j.expects(id)) {
            self.export_answered(sql, now_ms, i, result);
            return;
        }
        if self.import.expects(id) {
            self.import_answered(sql, now_ms, result);
            return;
        }
        if self.restore.expects(id) {
            let Some(r) = self.log.as_ref().and_then(restore::active).cloned() else {
                self.restore = restore::Job::default();
                return;
            };
            if let Err(why) = self.restore.answered(&r, now_ms, result) {
                self.fail_restore(sql, now_ms, why);
            }
            self.drive_restore(sql, now_ms);
            return;
        }
        let Some(txid) = self.asking.remove(&id) else {
            self.diagnostics
                .push(format!("a result for unknown effect {id:?}"));
            return;
        };
        use crate::api::coordinator::CoordinatorReply;
        match result {
            Ok(Reply::Coordinator(CoordinatorReply::Decided { commit })) => {
                let r = crate::api::command::TxResolve { txid, commit };
                self.background(sql, now_ms, "resolving a transaction", |cx, log| {
                    ops::tx::resolve(cx, log, r)
                });
            }
            Ok(Reply::Coordinator(CoordinatorReply::Undecided)) => {}
            other => self
                .diagnostics
                .push(format!("asking for the outcome of {txid}: {other:?}")),
        }
        self.refresh_tx(sql);
        if self.tx_due.is_some_and(|d| d <= now_ms) {
            // Undecided or unreachable: ask again after a pause, not at once.
            self.tx_due = Some(now_ms + RETRY_MS);
        }
    }

    fn poll_timeout(&self) -> Option<i64> {
        let log = self.log.as_ref()?;
        let live = log.live().ok();
        let backfill = live.filter(|s| backfill::pending(s)).map(|_| i64::MIN);
        let ttl = self.ttl_due.filter(|_| live.is_some_and(sweep::enabled));
        let rollover = rollover::due(self.cfg.stream_shard_rollover_ms, log);
        let restoring = restore::active(log).and_then(|_| {
            if self.restore.waiting() {
                None
            } else {
                Some(self.restore.retry_at().unwrap_or(i64::MIN))
            }
        });
        let scanning = (!self.scans.is_empty()).then_some(i64::MIN);
        let importing = import::active(log).and_then(|_| {
            if self.import.waiting() {
                None
            } else {
                Some(self.import.retry_at().unwrap_or(i64::MIN))
            }
        });
        let exporting = self.exports.iter().filter_map(export::ExportJob::due).min();
        [
            importing,
            exporting,
            restoring,
            scanning,
            backfill,
            ttl,
            rollover,
            self.retry_at,
            self.tx_due,
            self.archive_due,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn poll_effect(&mut self) -> Option<(EffectId, Effect)> {
        self.effects.pop()
    }

    fn take_diagnostics(&mut self) -> Vec<String> {
        TableObject::take_diagnostics(self)
    }

    fn may_close(&self) -> bool {
        // Uploads, scans and exports in flight and the answers awaited from coordinators
        // live only here; a reopened object would start them over or never hear back.
        self.upload.is_none()
            && self.snapshot.is_none()
            && self.scans.is_empty()
            && self.backups.is_empty()
            && self.exports.is_empty()
            && self.asking.is_empty()
            && !self.restore.waiting()
            && !self.import.waiting()
    }
}
