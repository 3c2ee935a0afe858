//! Log archiving: a table seals the records not yet in the object store into a segment
//! (`extenddo_log::sealed`), asks its host to store it (`Effect::Store`), and once the store
//! confirmed, logs `SegmentArchived` — the archived position is itself part of the log.
//!
//! One upload is in flight at a time; a failed one is retried later from the log, which
//! still holds every record (nothing is trimmed locally before its segment is confirmed).

use extenddo_log::{sealed, LogStore, Sql};
use extenddo_projections::archive;

use crate::api::object::EffectId;
use crate::api::store::{segment_key, StoreRequest};
use crate::error::Error;
use crate::table::log::{Ctx, Log};

/// At most this many records in one segment.
pub const MAX_SEGMENT_RECORDS: u64 = 10_000;

/// An upload in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Upload {
    pub effect: EffectId,
    pub first: u64,
    pub last: u64,
    pub key: String,
}

/// Whether enough records wait for archiving to seal a segment now, or a restore needs
/// records up to `forced` that are not archived yet.
pub(crate) fn due(sql: &dyn Sql, threshold: u64, forced: u64, log: &Log) -> Result<bool, Error> {
    let last = log.next_lsn().saturating_sub(1);
    let upto = archive::archived_upto(sql)?;
    Ok((threshold > 0 && last.saturating_sub(upto) >= threshold) || upto < forced.min(last))
}

/// A sealed segment ready to store.
pub(crate) struct Sealed {
    pub first: u64,
    pub last: u64,
    pub key: String,
    pub bytes: Vec<u8>,
}

/// Seals the next run of unarchived records.
pub(crate) fn seal_next(sql: &dyn Sql, table_id: &str, log: &Log) -> Result<Option<Sealed>, Error> {
    let first = archive::archived_upto(sql)? + 1;
    let last_lsn = log.next_lsn().saturating_sub(1);
    if first > last_lsn {
        return Ok(None);
    }
    let n = (last_lsn - first + 1).min(MAX_SEGMENT_RECORDS);
    let records = LogStore::read(sql, first, n as usize)?;
    let Some(last) = records.last().map(|r| r.lsn) else {
        return Ok(None);
    };
    let bytes = sealed::seal(table_id, &records).map_err(|e| Error::bug(e.to_string()))?;
    Ok(Some(Sealed {
        first,
        last,
        key: segment_key(table_id, first, last),
        bytes,
    }))
}

/// The store confirmed the upload: log it.
pub(crate) fn confirmed(cx: &Ctx, log: &mut Log, up: &Upload) -> Result<(), Error> {
    if archive::archived_upto(cx.sql)? + 1 != up.first {
        return Err(Error::bug(format!(
            "segment {} does not follow the archive",
            up.key
        )));
    }
    log.commit(
        cx.sql,
        cx.now_ms,
        extenddo_log::Event::SegmentArchived {
            first: up.first,
            last: up.last,
            key: up.key.clone(),
        },
    )
}

/// The request for the store.
pub(crate) fn put(key: String, bytes: Vec<u8>) -> StoreRequest {
    StoreRequest::Put { key, bytes }
}
