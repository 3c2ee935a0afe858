//! Continuous backups as a table sees them: turning point-in-time recovery on and off, its
//! window, and a restore's questions to its source table.

use extenddo_log::{Event, LogStore};
use extenddo_projections::schema::Pitr;
use extenddo_projections::{archive, TableSchema};

use crate::api::backup::{window, ContinuousBackups, PitrPoint, RestorePlan, MAX_RECOVERY_DAYS};
use crate::api::command::{TableCommand, UpdateContinuousBackups};
use crate::api::reply::TableReply;
use crate::api::time::iso_millis;
use crate::error::{ApiError, Error, ErrorKind};
use crate::table::log::{Ctx, Log};

/// What a table a restore is filling refuses: it is CREATING, so its items are not there
/// (data requests: not found) and it may not be changed while the restore runs (a failed
/// restore may be deleted).
pub(crate) fn check_restoring(log: &Log, cmd: &TableCommand) -> Result<(), Error> {
    let Some(s) = log.schema().filter(|s| s.is_loading()) else {
        return Ok(());
    };
    let failed = s.restore.as_ref().is_some_and(|r| r.failed.is_some());
    if cmd.is_data() {
        return Err(
            ApiError::new(ErrorKind::ResourceNotFound, "Requested resource not found").into(),
        );
    }
    if !failed
        && matches!(
            cmd,
            TableCommand::UpdateTable(_) | TableCommand::DeleteTable
        )
    {
        return Err(ApiError::new(
            ErrorKind::ResourceInUse,
            format!(
                "Attempt to change a resource which is still in use: Table is being created: {}",
                log.live()?.name
            ),
        )
        .into());
    }
    Ok(())
}

/// The recovery window of a table (deleted or not): a deleted table can be restored up to
/// the last moment before its deletion.
pub(crate) fn pitr_window(s: &TableSchema, now_ms: i64) -> Option<(i64, i64)> {
    let p = s.pitr.as_ref()?;
    Some(window(p, now_ms, s.deleted_ms.map(|d| d - 1)))
}

pub(crate) fn describe(cx: &Ctx, s: &TableSchema) -> TableReply {
    let (earliest_ms, latest_ms) = pitr_window(s, cx.now_ms).unwrap_or((0, 0));
    TableReply::ContinuousBackups(Box::new(ContinuousBackups {
        pitr: s.pitr.clone(),
        earliest_ms,
        latest_ms,
    }))
}

/// UpdateContinuousBackups: logged as a `TableUpdated`; enabling again keeps the window's
/// start and changes only the period.
pub(crate) fn update(
    cx: &Ctx,
    log: &mut Log,
    c: UpdateContinuousBackups,
) -> Result<TableReply, Error> {
    let mut s = log.live()?.clone();
    let pitr = match (c.enabled, s.pitr.take()) {
        (false, _) => None,
        (true, Some(old)) => Some(Pitr {
            since_ms: old.since_ms,
            recovery_days: c.recovery_days.unwrap_or(old.recovery_days),
        }),
        (true, None) => Some(Pitr {
            since_ms: cx.now_ms,
            recovery_days: c.recovery_days.unwrap_or(MAX_RECOVERY_DAYS),
        }),
    };
    if pitr != log.live()?.pitr {
        s.pitr = pitr;
        let schema_json = serde_json::to_string(&s).map_err(Error::bug)?;
        log.commit(cx.sql, cx.now_ms, Event::TableUpdated { schema_json })?;
    }
    Ok(describe(cx, log.live()?))
}

/// A restore from this table to `at_ms` (`None`: the latest restorable time).
pub(crate) fn point(cx: &Ctx, s: &TableSchema, at_ms: Option<i64>) -> Result<TableReply, Error> {
    let Some((earliest, latest)) = pitr_window(s, cx.now_ms) else {
        return Err(ApiError::new(
            ErrorKind::PointInTimeRecoveryUnavailable,
            format!(
                "Point in time recovery is not enabled for table '{}'",
                s.name
            ),
        )
        .into());
    };
    let at = at_ms.unwrap_or(latest);
    if at < earliest || at > latest {
        return Err(ApiError::new(
            ErrorKind::InvalidRestoreTime,
            format!(
                "RestoreDateTime '{}' must be within EarliestRestorableDateTime '{}' and LatestRestorableDateTime '{}'",
                iso_millis(at),
                iso_millis(earliest),
                iso_millis(latest)
            ),
        )
        .into());
    }
    Ok(TableReply::PitrPoint(Box::new(PitrPoint {
        at_ms: at,
        schema: s.clone(),
    })))
}

/// What a restore to `at_ms` reads, and the last LSN it needs in the object store.
pub(crate) fn plan(cx: &Ctx, at_ms: i64) -> Result<(RestorePlan, u64), Error> {
    let needed = LogStore::last_lsn_at(cx.sql, at_ms)?.unwrap_or(0);
    let archived = archive::archived_upto(cx.sql)?;
    let plan = RestorePlan {
        ready: archived >= needed,
        snapshots: archive::snapshots(cx.sql)?,
        segments: archive::segments(cx.sql)?,
    };
    Ok((plan, needed))
}
