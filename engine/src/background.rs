//! Background work of a table object, run by `TableObject::tick`.

use extenddo_log::Sql;
use extenddo_projections::items::{partition_hash, scan_positions};
use extenddo_projections::schema::IndexStatus;

use crate::error::ApiError;
use crate::table::TableObject;

/// Backfills the next slice of the first index still being created, as one logged
/// `IndexBackfilled` event. Returns whether backfill work remains.
pub(crate) fn backfill_step(
    t: &mut TableObject,
    sql: &dyn Sql,
    now_ms: i64,
) -> Result<bool, ApiError> {
    let Some(ix) = t
        .schema
        .as_ref()
        .and_then(|s| s.indexes.iter().find(|i| i.status == IndexStatus::Creating))
    else {
        return Ok(false);
    };
    let index = ix.name.clone();
    let after = ix.backfilled_upto.clone();
    let chunk = t.cfg.backfill_chunk.max(1);
    let page = scan_positions(sql, after.as_ref(), None, chunk)?;
    let upto = match page.last() {
        Some(last) if page.len() == chunk => {
            Some((partition_hash(&last.pk), last.pk.clone(), last.sk.clone()))
        }
        _ => None,
    };
    let more = upto.is_some();
    t.commit(
        sql,
        now_ms,
        extenddo_log::Event::IndexBackfilled { index, after, upto },
    )?;
    // Another index may be waiting after this one finished.
    Ok(more
        || t.schema
            .as_ref()
            .is_some_and(|s| s.indexes.iter().any(|i| i.status == IndexStatus::Creating)))
}
