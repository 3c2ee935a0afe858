//! Stream shard rollover: an open shard that holds records and is older than
//! `Config::stream_shard_rollover_ms` is closed and a child shard opened, as one logged
//! `TableUpdated` (DynamoDB rolls shards over about every four hours).

use crate::error::Error;
use crate::table::log::{Ctx, Log};
use crate::table::streams::{new_shard, prune};

/// When the open shard of the enabled stream is due to roll over, if ever.
pub(crate) fn due(cx_rollover_ms: i64, log: &Log) -> Option<i64> {
    let s = log.live().ok()?;
    let st = s.stream.as_ref()?.enabled()?;
    let sh = st.open_shard()?;
    // An empty shard is not rolled over; a write makes it due.
    (log.next_lsn() > sh.first_lsn).then(|| sh.created_ms.saturating_add(cx_rollover_ms.max(1)))
}

/// Closes the open shard and opens its child, as one logged `TableUpdated`.
pub(crate) fn step(cx: &Ctx, log: &mut Log) -> Result<(), Error> {
    let Ok(s) = log.live() else {
        return Ok(());
    };
    let mut s = s.clone();
    let lsn = log.next_lsn();
    let table_id = s.id.clone();
    let Some(streams) = s.stream.as_mut() else {
        return Ok(());
    };
    let Some(st) = streams.streams.last_mut().filter(|st| st.enabled()) else {
        return Ok(());
    };
    let Some(parent) = st.open_shard().map(|sh| sh.id.clone()) else {
        return Ok(());
    };
    if let Some(sh) = st.shards.last_mut() {
        sh.close(lsn, cx.now_ms);
    }
    let child = new_shard(&table_id, &st.label, Some(parent), lsn, cx.now_ms);
    st.shards.push(child);
    prune(streams, cx.now_ms);
    let schema_json = serde_json::to_string(&s).map_err(Error::bug)?;
    log.commit(
        cx.sql,
        cx.now_ms,
        extenddo_log::Event::TableUpdated { schema_json },
    )
}
