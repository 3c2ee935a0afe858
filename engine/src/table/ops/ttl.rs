//! UpdateTimeToLive and DescribeTimeToLive. The TTL setting is part of the table schema (a
//! logged `TableUpdated`); the schedule is a projection (`extenddo_projections::ttl`), and
//! the sweeper is background work (`table::background`).

use extenddo_log::Event;
use extenddo_projections::streams::TtlState;
use extenddo_projections::TableSchema;

use crate::api::command::UpdateTimeToLive;
use crate::api::reply::TableReply;
use crate::error::{ApiError, Error};
use crate::table::log::{Ctx, Log};

pub(crate) fn update(cx: &Ctx, log: &mut Log, c: UpdateTimeToLive) -> Result<TableReply, Error> {
    let mut s = log.live()?.clone();
    match (&s.ttl, c.enabled) {
        (Some(_), true) => return Err(ApiError::validation("TimeToLive is already enabled").into()),
        (None, false) => return Err(ApiError::validation("TimeToLive is already disabled").into()),
        (Some(cur), false) if cur.attribute != c.attribute => {
            return Err(ApiError::validation(format!(
                "TimeToLive is active on a different AttributeName: current AttributeName is {}",
                cur.attribute
            ))
            .into())
        }
        _ => {}
    }
    s.ttl = c.enabled.then(|| TtlState {
        attribute: c.attribute.clone(),
    });
    let schema_json = serde_json::to_string(&s).map_err(Error::bug)?;
    log.commit(cx.sql, cx.now_ms, Event::TableUpdated { schema_json })?;
    Ok(TableReply::TimeToLiveUpdated {
        enabled: c.enabled,
        attribute: c.attribute,
    })
}

pub(crate) fn describe(s: &TableSchema) -> TableReply {
    TableReply::TimeToLive(s.ttl.as_ref().map(|t| t.attribute.clone()))
}
