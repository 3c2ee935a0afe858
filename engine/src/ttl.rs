//! Time to live: UpdateTimeToLive, DescribeTimeToLive and the sweeper.
//!
//! The TTL setting is part of the table schema (a logged `TableUpdated`), the schedule is a
//! projection (`extenddo_projections::ttl`), and the sweeper — run from
//! [`TableObject::tick`](crate::TableObject::tick) — deletes each expired item as its own
//! logged `ItemExpired` event, which every projection (items, indexes, the schedule) applies
//! like a delete and whose stream record carries DynamoDB's service identity.

use extenddo_log::{Event, Sql};
use extenddo_projections::streams::TtlState;
use extenddo_projections::{items, ttl as schedule};
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::table::TableObject;
use crate::table_def;
use crate::wire::{Constraints, Params};

/// Expired items deleted per sweep step (one transaction).
pub const SWEEP_CHUNK: usize = 100;
/// Expiry times further in the past than this are ignored, as DynamoDB ignores them.
pub const MAX_AGE_S: i64 = 5 * 365 * 86_400;

pub(crate) fn update(
    t: &mut TableObject,
    sql: &dyn Sql,
    p: &Params,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let name = table_def::table_name(p)?;
    let mut c = Constraints::default();
    let (mut enabled, mut attribute) = (None, None);
    match p.object("TimeToLiveSpecification")? {
        None => c.fail(None, "timeToLiveSpecification", "Member must not be null"),
        Some(_) => {
            let sp = Params::new(p.raw("TimeToLiveSpecification").unwrap_or(&Value::Null))?;
            enabled = sp.bool("Enabled")?;
            attribute = sp.str("AttributeName")?;
            if enabled.is_none() {
                c.fail(
                    None,
                    "timeToLiveSpecification.enabled",
                    "Member must not be null",
                );
            }
            let at = "timeToLiveSpecification.attributeName";
            match attribute {
                None => c.fail(None, at, "Member must not be null"),
                Some(a) if a.is_empty() => c.fail(
                    Some(a),
                    at,
                    "Member must have length greater than or equal to 1",
                ),
                Some(a) if a.len() > 255 => c.fail(
                    Some(a),
                    at,
                    "Member must have length less than or equal to 255",
                ),
                _ => {}
            }
        }
    }
    c.check()?;
    let (enabled, attribute) = (enabled.unwrap_or(false), attribute.unwrap_or_default());
    let mut s = t
        .schema
        .clone()
        .ok_or_else(|| ApiError::table_not_found(&name))?;
    match (&s.ttl, enabled) {
        (Some(_), true) => return Err(ApiError::validation("TimeToLive is already enabled")),
        (None, false) => return Err(ApiError::validation("TimeToLive is already disabled")),
        (Some(cur), false) if cur.attribute != attribute => {
            return Err(ApiError::validation(format!(
                "TimeToLive is active on a different AttributeName: current AttributeName is {}",
                cur.attribute
            )))
        }
        _ => {}
    }
    s.ttl = enabled.then(|| TtlState {
        attribute: attribute.to_owned(),
    });
    let schema_json = serde_json::to_string(&s).map_err(ApiError::internal)?;
    t.commit(sql, now_ms, Event::TableUpdated { schema_json })?;
    Ok(json!({
        "TimeToLiveSpecification": { "Enabled": enabled, "AttributeName": attribute }
    }))
}

pub(crate) fn describe(t: &TableObject, p: &Params) -> Result<Value, ApiError> {
    let name = table_def::table_name(p)?;
    let s = t
        .schema
        .as_ref()
        .ok_or_else(|| ApiError::table_not_found(&name))?;
    let d = match &s.ttl {
        Some(ttl) => json!({ "TimeToLiveStatus": "ENABLED", "AttributeName": ttl.attribute }),
        None => json!({ "TimeToLiveStatus": "DISABLED" }),
    };
    Ok(json!({ "TimeToLiveDescription": d }))
}

/// Whether the sweeper has anything to look at (TTL is enabled).
pub(crate) fn enabled(t: &TableObject) -> bool {
    t.schema.as_ref().is_some_and(|s| s.ttl.is_some())
}

/// One sweep step: deletes up to [`SWEEP_CHUNK`] items whose expiry time is at least the
/// configured delay in the past (and at most five years), each as its own logged
/// `ItemExpired`. Runs inside the caller's transaction. Returns when the next step is due.
pub(crate) fn sweep_step(
    t: &mut TableObject,
    sql: &dyn Sql,
    now_ms: i64,
) -> Result<Option<i64>, ApiError> {
    if !enabled(t) {
        return Ok(None);
    }
    let delay = t.cfg.ttl_sweep_delay_ms.max(0);
    let floor_s = now_ms.div_euclid(1000) - MAX_AGE_S;
    let upto_s = (now_ms - delay).div_euclid(1000);
    let due = schedule::due(sql, floor_s, upto_s, SWEEP_CHUNK)?;
    for (pk, sk, _) in &due {
        if let Some(old) = items::get(sql, pk, sk)? {
            t.commit(sql, now_ms, Event::ItemExpired { old })?;
        }
    }
    if due.len() == SWEEP_CHUNK {
        return Ok(Some(now_ms));
    }
    Ok(schedule::next_expiry(sql, upto_s.max(floor_s) + 1)?
        .map(|e| e.saturating_mul(1000).saturating_add(delay).max(now_ms)))
}
