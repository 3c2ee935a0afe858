//! The TTL sweeper: deletes each expired item as its own logged `ItemExpired` event, which
//! every projection (items, indexes, the schedule) applies like a delete and whose stream
//! record carries DynamoDB's service identity.

use extenddo_log::{Event, Sql};
use extenddo_projections::{items, ttl as schedule, TableSchema};

use crate::error::Error;
use crate::table::log::{Ctx, Log};

/// Expired items deleted per sweep step (one transaction).
pub const SWEEP_CHUNK: usize = 100;
/// Expiry times further in the past than this are ignored, as DynamoDB ignores them.
pub const MAX_AGE_S: i64 = 5 * 365 * 86_400;

/// Whether the sweeper has anything to look at (TTL is enabled).
pub(crate) fn enabled(s: &TableSchema) -> bool {
    s.ttl.is_some()
}

/// When the sweeper next has an item to delete, if ever (now, if one is overdue).
pub(crate) fn next_due(cx: &Ctx) -> Result<Option<i64>, Error> {
    let floor_s = cx.now_ms.div_euclid(1000) - MAX_AGE_S;
    next_after(cx.sql, floor_s, cx.cfg.ttl_sweep_delay_ms.max(0), cx.now_ms)
}

fn next_after(sql: &dyn Sql, from_s: i64, delay: i64, now_ms: i64) -> Result<Option<i64>, Error> {
    Ok(schedule::next_expiry(sql, from_s)?
        .map(|e| e.saturating_mul(1000).saturating_add(delay).max(now_ms)))
}

/// One sweep step: deletes up to [`SWEEP_CHUNK`] items whose expiry time is at least the
/// configured delay in the past (and at most five years), each as its own logged
/// `ItemExpired`. Runs inside the caller's transaction. Returns when the next step is due.
pub(crate) fn step(cx: &Ctx, log: &mut Log) -> Result<Option<i64>, Error> {
    if !log.live().is_ok_and(enabled) {
        return Ok(None);
    }
    let delay = cx.cfg.ttl_sweep_delay_ms.max(0);
    let floor_s = cx.now_ms.div_euclid(1000) - MAX_AGE_S;
    let upto_s = (cx.now_ms - delay).div_euclid(1000);
    let due = schedule::due(cx.sql, floor_s, upto_s, SWEEP_CHUNK)?;
    for (pk, sk, _) in &due {
        if let Some(old) = items::get(cx.sql, pk, sk)? {
            log.commit(cx.sql, cx.now_ms, Event::ItemExpired { old })?;
        }
    }
    if due.len() == SWEEP_CHUNK {
        return Ok(Some(cx.now_ms));
    }
    next_after(cx.sql, upto_s.max(floor_s) + 1, delay, cx.now_ms)
}
