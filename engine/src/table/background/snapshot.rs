//! Snapshots of a live table (its items and schema at the last LSN, `extenddo_log::snapshot`)
//! and the two things made of them: on-demand backups (snapshot, then manifest, then the
//! catalog is told) and the periodic snapshots of an archived log, which let a restore start
//! late in the log and the local log be trimmed behind them.

use std::collections::BTreeMap;

use extenddo_log::frame::encode_item_bytes;
use extenddo_log::{snapshot, Event, LogStore};
use extenddo_projections::archive;
use extenddo_projections::items::partition_hash;
use extenddo_projections::keycode;

use crate::api::backup::{
    backup_id, backup_snapshot_key, manifest_key, BackupRecord, BackupStatus, Manifest,
    MANIFEST_FORMAT, MANIFEST_VERSION,
};
use crate::api::command::TakeBackup;
use crate::api::object::EffectId;
use crate::api::streams::table_arn;
use crate::error::Error;
use crate::table::log::{Ctx, Log};

/// A snapshot of the table as of its last record.
pub(crate) struct Built {
    pub lsn: u64,
    pub ts_ms: i64,
    pub bytes: Vec<u8>,
}

/// Snapshots the live table: every item in key order, and the schema as projected.
pub(crate) fn build(cx: &Ctx, log: &Log, table_id: &str) -> Result<Built, Error> {
    let s = log.live()?;
    let rows = extenddo_projections::items::dump(cx.sql)?;
    let lsn = log.next_lsn() - 1;
    let ts_ms = log.last_ts();
    let schema_json = serde_json::to_string(s).map_err(Error::bug)?;
    let items: Vec<Vec<u8>> = rows.into_iter().map(|(_, _, item)| item).collect();
    let bytes = snapshot::write(table_id, lsn, ts_ms, &schema_json, &items)
        .map_err(|e| Error::bug(e.to_string()))?;
    Ok(Built { lsn, ts_ms, bytes })
}

/// Where a backup is in being stored.
#[derive(Debug)]
pub(crate) enum BackupStage {
    Snapshot,
    Manifest,
    Catalog,
}

#[derive(Debug)]
pub(crate) struct BackupJob {
    pub effect: EffectId,
    pub stage: BackupStage,
    pub record: BackupRecord,
    pub manifest: Vec<u8>,
}

/// Items a backup reads per step.
pub const BACKUP_CHUNK: usize = 10_000;

/// A backup being read, consistent at LSN `record.lsn` although writes go on between its
/// steps: it reads the items in key order, a chunk per step, then puts back, for every key
/// the log changed after that LSN, its image before the first such change (the `old`
/// image that record carries) — the item as it was at that LSN, whether or not its chunk
/// was read before the change.
pub(crate) struct BackupScan {
    pub record: BackupRecord,
    /// The schema at the backup's LSN, as projected (JSON).
    schema_json: String,
    ts_ms: i64,
    /// The last key read.
    after: Option<(Vec<u8>, Vec<u8>)>,
    /// Items read so far, by (partition hash, pk, sk).
    items: BTreeMap<(i64, Vec<u8>, Vec<u8>), Vec<u8>>,
}

/// TakeBackup: the record the catalog keeps (its LSN is now) and the scan that reads it.
pub(crate) fn take_backup(
    cx: &Ctx,
    log: &Log,
    table_id: &str,
    t: &TakeBackup,
) -> Result<BackupScan, Error> {
    let s = log.live()?;
    let (items, size_bytes) = extenddo_projections::items::stats(cx.sql)?;
    let record = BackupRecord {
        account: cx.cfg.account_id.clone(),
        arn: t.arn.clone(),
        name: t.name.clone(),
        table_name: s.name.clone(),
        table_id: crate::api::ids::TableId(table_id.to_owned()),
        table_arn: table_arn(cx.cfg, &s.name),
        status: BackupStatus::Creating,
        created_ms: t.created_ms,
        size_bytes,
        item_count: items,
        schema: s.clone(),
        lsn: log.next_lsn() - 1,
    };
    Ok(BackupScan {
        record,
        schema_json: serde_json::to_string(s).map_err(Error::bug)?,
        ts_ms: log.last_ts(),
        after: None,
        items: BTreeMap::new(),
    })
}

impl BackupScan {
    /// Reads the next chunk; `true` once every item was read.
    pub(crate) fn step(&mut self, cx: &Ctx) -> Result<bool, Error> {
        let after = self
            .after
            .as_ref()
            .map(|(p, s)| (p.as_slice(), s.as_slice()));
        let rows =
            extenddo_projections::items::scan(cx.sql, (i64::MIN, i64::MAX), after, BACKUP_CHUNK)?;
        let done = rows.len() < BACKUP_CHUNK;
        for r in rows {
            self.after = Some((r.pk.clone(), r.sk.clone()));
            let key = (partition_hash(&r.pk), r.pk, r.sk);
            self.items.insert(key, encode_item_bytes(&r.item));
        }
        Ok(done)
    }

    /// The items as they were at the backup's LSN, written as a snapshot, and its manifest.
    pub(crate) fn finish(
        mut self,
        cx: &Ctx,
        log: &Log,
        table_id: &str,
    ) -> Result<(BackupRecord, Vec<u8>, Vec<u8>), Error> {
        let s = log.live()?;
        let mut seen = std::collections::HashSet::new();
        let mut from = self.record.lsn + 1;
        loop {
            let page = LogStore::read(cx.sql, from, 512)?;
            let Some(last) = page.last().map(|r| r.lsn) else {
                break;
            };
            for r in page {
                let (image, before) = match &r.event {
                    Event::ItemPut { old, new } => (new, old.as_ref()),
                    Event::ItemDeleted { old } | Event::ItemExpired { old } => (old, Some(old)),
                    _ => continue,
                };
                let (pk, sk) = keycode::item_key(&s.key, image).map_err(Error::Storage)?;
                let key = (partition_hash(&pk), pk, sk);
                if !seen.insert(key.clone()) {
                    continue;
                }
                match before {
                    Some(old) => self.items.insert(key, encode_item_bytes(old)),
                    None => self.items.remove(&key),
                };
            }
            from = last + 1;
        }
        let items: Vec<Vec<u8>> = self.items.into_values().collect();
        debug_assert_eq!(items.len() as i64, self.record.item_count);
        let bytes = snapshot::write(
            table_id,
            self.record.lsn,
            self.ts_ms,
            &self.schema_json,
            &items,
        )
        .map_err(|e| Error::bug(e.to_string()))?;
        let t = &self.record;
        let id = backup_id(&t.arn);
        let manifest = Manifest {
            format: MANIFEST_FORMAT.into(),
            version: MANIFEST_VERSION,
            backup_arn: t.arn.clone(),
            backup_name: t.name.clone(),
            created_ms: t.created_ms,
            table_name: t.table_name.clone(),
            table_id: table_id.to_owned(),
            table_arn: t.table_arn.clone(),
            lsn: t.lsn,
            item_count: items.len() as u64,
            table_size_bytes: t.size_bytes,
            snapshot_key: backup_snapshot_key(id),
            snapshot_bytes: bytes.len() as u64,
            snapshot_crc32: crc32fast::hash(&bytes),
            schema: t.schema.clone(),
        };
        debug_assert_eq!(manifest_key(id), t.manifest_key());
        Ok((self.record, bytes, manifest.to_bytes()))
    }
}

/// A periodic snapshot being stored.
#[derive(Debug)]
pub(crate) struct SnapshotUpload {
    pub effect: EffectId,
    pub lsn: u64,
    pub ts_ms: i64,
    pub key: String,
}

/// Whether the archived log has run far enough past the last snapshot for another: at
/// least `every` records, and at least half as many as the table has items, so that the
/// bytes of all snapshots stay proportional to the records written (a snapshot every
/// `every` records of a large table would rewrite it over and over). `Err(n)`: not before
/// `n` records are archived (the item count is not read again until then).
pub(crate) fn snapshot_due(cx: &Ctx, log: &Log, every: u64) -> Result<Result<(), u64>, Error> {
    if every == 0 || log.live().is_err() {
        return Ok(Err(u64::MAX));
    }
    let last = archive::snapshots(cx.sql)?.last().map_or(0, |s| s.0);
    let archived = archive::archived_upto(cx.sql)?;
    if archived < last + every {
        return Ok(Err(last + every));
    }
    let (items, _) = extenddo_projections::items::stats(cx.sql)?;
    let needed = last + (items.max(0) as u64 / 2).max(every);
    Ok(if archived >= needed {
        Ok(())
    } else {
        Err(needed)
    })
}

/// The store confirmed a snapshot: log it.
pub(crate) fn confirmed(cx: &Ctx, log: &mut Log, up: &SnapshotUpload) -> Result<(), Error> {
    log.commit(
        cx.sql,
        cx.now_ms,
        Event::SnapshotArchived {
            lsn: up.lsn,
            ts_ms: up.ts_ms,
            key: up.key.clone(),
        },
    )
}

/// Trims the local log behind the newest snapshot it may: one that is in the object store,
/// whose records are all archived, older than the retention (streams read records that
/// young), and before every prepared transaction (its resolve reads its staged writes).
/// Logs `LogTrimmed` first, so the trim point is itself in the log.
pub(crate) fn trim(cx: &Ctx, log: &mut Log, retention_ms: i64) -> Result<Option<u64>, Error> {
    let archived = archive::archived_upto(cx.sql)?;
    let already = archive::trimmed_upto(cx.sql)?;
    let horizon = cx.now_ms.saturating_sub(retention_ms);
    let oldest_prepared = extenddo_projections::tx::pending(cx.sql)?
        .iter()
        .map(|p| p.2)
        .min()
        .unwrap_or(u64::MAX);
    let Some(upto) = archive::snapshots(cx.sql)?
        .into_iter()
        .filter(|(lsn, ts, _)| {
            *lsn > already && *lsn <= archived && *ts <= horizon && *lsn < oldest_prepared
        })
        .map(|(lsn, ..)| lsn)
        .max()
    else {
        return Ok(None);
    };
    log.commit(cx.sql, cx.now_ms, Event::LogTrimmed { upto })?;
    LogStore::trim(cx.sql, upto)?;
    Ok(Some(upto))
}
