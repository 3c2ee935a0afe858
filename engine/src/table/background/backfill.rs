//! Backfill of a global secondary index created by UpdateTable: one slice of the table per
//! step, each a logged `IndexBackfilled` applied from the table's state at that point of the
//! log, so replay rebuilds the index exactly.

use extenddo_projections::items::{partition_hash, scan_positions};
use extenddo_projections::schema::IndexStatus;
use extenddo_projections::TableSchema;

use crate::error::Error;
use crate::table::log::{Ctx, Log};

/// Whether an index is still being backfilled.
pub(crate) fn pending(s: &TableSchema) -> bool {
    s.indexes.iter().any(|i| i.status == IndexStatus::Creating)
}

/// Backfills the next slice of the first index still being created, as one logged
/// `IndexBackfilled` event. Returns whether backfill work remains.
pub(crate) fn step(cx: &Ctx, log: &mut Log) -> Result<bool, Error> {
    let Some(ix) = log
        .live()
        .ok()
        .and_then(|s| s.indexes.iter().find(|i| i.status == IndexStatus::Creating))
    else {
        return Ok(false);
    };
    let index = ix.name.clone();
    let after = ix.backfilled_upto.clone();
    let chunk = cx.cfg.backfill_chunk.max(1);
    let page = scan_positions(cx.sql, after.as_ref(), None, chunk)?;
    let upto = match page.last() {
        Some(last) if page.len() == chunk => {
            Some((partition_hash(&last.pk), last.pk.clone(), last.sk.clone()))
        }
        _ => None,
    };
    let more = upto.is_some();
    log.commit(
        cx.sql,
        cx.now_ms,
        extenddo_log::Event::IndexBackfilled { index, after, upto },
    )?;
    // Another index may be waiting after this one finished.
    Ok(more || log.live().is_ok_and(pending))
}
