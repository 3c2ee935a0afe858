//! An export as its table sees it: the request checked against the table, its recovery
//! window and its log, and the log positions the export reads.

use extenddo_log::LogStore;
use extenddo_projections::archive;

use crate::api::time::iso_millis;
use crate::api::transfer::{ExportKind, ExportRecord, JobStatus};
use crate::config::INCREMENTAL_EXPORT_MAX_MS;
use crate::error::{ApiError, Error, ErrorKind};
use crate::table::log::{Ctx, Log};
use crate::table::ops::backup::pitr_window;

fn invalid_time(message: String) -> Error {
    ApiError::new(ErrorKind::InvalidExportTime, message).into()
}

/// ExportTableToPointInTime: the record of the export this table will write, its log
/// positions fixed (a full export: the last record at or before ExportTime; an incremental
/// one: the records from ExportFromTime, inclusive, to ExportToTime, exclusive).
pub(crate) fn start_export(
    cx: &Ctx,
    log: &Log,
    table_id: &str,
    mut r: ExportRecord,
) -> Result<ExportRecord, Error> {
    let s = log.live()?;
    let Some((earliest, _)) = pitr_window(s, cx.now_ms) else {
        return Err(ApiError::new(
            ErrorKind::PointInTimeRecoveryUnavailable,
            format!(
                "Point in time recovery is not enabled for table '{}'",
                s.name
            ),
        )
        .into());
    };
    let start_lsn = match r.kind {
        ExportKind::Full { at_ms } => {
            if at_ms > cx.now_ms || at_ms < earliest {
                return Err(invalid_time("Export Time is invalid".into()));
            }
            position_at(cx, at_ms)?
        }
        ExportKind::Incremental { from_ms, to_ms, .. } => {
            if from_ms < s.created_ms {
                return Err(invalid_time(format!(
                    "Incremental export period from time cannot be less than the table creation time : {}",
                    iso_millis(s.created_ms)
                )));
            }
            if from_ms < earliest {
                return Err(invalid_time(
                    "Point in Time Recovery is not available for specified export time".into(),
                ));
            }
            if to_ms > cx.now_ms {
                return Err(invalid_time(format!(
                    "Incremental export period to time cannot be greater than the current time : {}",
                    iso_millis(cx.now_ms)
                )));
            }
            if to_ms - from_ms < cx.cfg.incremental_export_min_ms {
                return Err(invalid_time(
                    "Difference between export period from time and export period to time is less than 15 minutes".into(),
                ));
            }
            if to_ms - from_ms > INCREMENTAL_EXPORT_MAX_MS {
                return Err(invalid_time(
                    "Difference between export period from time and export period to time is more than 24 hours".into(),
                ));
            }
            position_at(cx, from_ms - 1)?
        }
    };
    // Records trimmed from the local log are read from the archive, which must hold them.
    if start_lsn < archive::trimmed_upto(cx.sql)?
        && !archive::segments(cx.sql)?
            .iter()
            .any(|(first, last, _)| *first <= start_lsn + 1 && *last > start_lsn)
    {
        return Err(invalid_time(
            "Point in Time Recovery is not available for specified export time".into(),
        ));
    }
    r.table_id = crate::api::ids::TableId(table_id.to_owned());
    r.table_name = s.name.clone();
    r.status = JobStatus::InProgress;
    r.start_lsn = start_lsn;
    Ok(r)
}

/// A log position at or before the last record at or before `ms`: exactly that record's LSN
/// when the local log still holds it, else the newest stored snapshot at or before `ms`
/// (the export reads on from there through the archive, skipping records up to `ms`).
fn position_at(cx: &Ctx, ms: i64) -> Result<u64, Error> {
    let trimmed = archive::trimmed_upto(cx.sql)?;
    let first_local = LogStore::read(cx.sql, trimmed + 1, 1)?;
    if trimmed == 0 || first_local.first().is_some_and(|r| r.ts_ms <= ms) {
        return Ok(LogStore::last_lsn_at(cx.sql, ms)?.unwrap_or(0));
    }
    Ok(archive::snapshots(cx.sql)?
        .into_iter()
        .filter(|(lsn, ts, _)| *ts <= ms && *lsn <= trimmed)
        .map(|(lsn, ..)| lsn)
        .max()
        .unwrap_or(0))
}
