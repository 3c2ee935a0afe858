//! DynamoDB Streams, read straight from the change log.
//!
//! A stream record is a view of one log record (see [`records`]); nothing is stored for
//! streams besides their shape, which lives in the table's schema
//! ([`extenddo_projections::streams::Streams`]) and changes only through logged
//! `TableCreated` / `TableUpdated` events:
//!
//! - enabling a stream (CreateTable or UpdateTable) logs a new stream whose first shard
//!   starts at the LSN after that record; its parent is the table's previous shard, if any;
//! - disabling it closes the open shard at the LSN before the disabling record;
//! - a shard that holds records and is older than `Config::stream_shard_rollover_ms` is
//!   closed by the table's background tick and a child shard opened (again one logged
//!   `TableUpdated`).
//!
//! A shard is thus a span of LSNs; its records are the item events of the log in that span,
//! with the images its stream's view type promises. Sequence numbers are LSNs written as
//! 21-digit, zero-padded decimal strings, so they are strictly increasing and stable across
//! restarts. Retention (24 hours) is a rule of this view: the log itself is not trimmed.

mod api;
mod iter;
mod list;
mod records;
pub(crate) mod time;

use extenddo_log::Sql;
use extenddo_projections::streams::{ShardState, StreamState, StreamViewType, Streams};
use extenddo_projections::TableSchema;
use serde_json::{json, Value};

pub(crate) use api::{describe_stream, get_records, get_shard_iterator, list_streams};
pub use iter::ShardIterator;
pub(crate) use list::{ListStreams, Next as ListNext};
pub use records::event_id;

use crate::config::Config;
use crate::error::ApiError;
use crate::op::Op;
use crate::table::TableObject;
use crate::table_def;
use crate::wire::{Constraints, Params};

/// Stream records older than this are trimmed (not returned, not addressable).
pub const RETENTION_MS: i64 = 24 * 3600 * 1000;
/// A shard iterator is valid for this long after it was issued.
pub const ITERATOR_TTL_MS: i64 = 15 * 60 * 1000;

/// The sequence number of the stream record of log record `lsn`.
pub fn sequence_number(lsn: u64) -> String {
    format!("{lsn:021}")
}

/// The LSN a sequence number stands for (any decimal string of at most 40 digits that fits).
pub fn parse_sequence_number(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 40 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

pub fn stream_arn(cfg: &Config, table: &str, label: &str) -> String {
    format!("{}/stream/{label}", table_def::table_arn(cfg, table))
}

/// `(table name, label)` of `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL`.
pub fn parse_stream_arn(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (a, _partition, service, _region, _account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if a != "arn" || service != "dynamodb" {
        return None;
    }
    let (name, label) = resource.strip_prefix("table/")?.split_once("/stream/")?;
    (!name.is_empty() && !label.is_empty() && !label.contains('/')).then_some((name, label))
}

/// `shardId-<20-digit creation ms>-<8 hex>`, as AWS's shard ids look.
fn shard_id(table_id: &str, label: &str, first_lsn: u64, created_ms: i64) -> String {
    let mut h = crc32fast::Hasher::new();
    h.update(table_id.as_bytes());
    h.update(label.as_bytes());
    h.update(&first_lsn.to_le_bytes());
    format!("shardId-{:020}-{:08x}", created_ms.max(0), h.finalize())
}

fn new_shard(
    table_id: &str,
    label: &str,
    parent: Option<String>,
    lsn: u64,
    now_ms: i64,
) -> ShardState {
    ShardState {
        id: shard_id(table_id, label, lsn + 1, now_ms),
        parent,
        first_lsn: lsn + 1,
        last_lsn: None,
        created_ms: now_ms,
        closed_ms: None,
    }
}

/// Opens a new stream, by the schema record that will be logged as `lsn`.
fn open(s: &mut TableSchema, view: StreamViewType, lsn: u64, now_ms: i64) {
    let table_id = s.id.clone();
    let streams = s.stream.get_or_insert_with(Streams::default);
    let parent = streams
        .latest()
        .and_then(|st| st.shards.last())
        .map(|sh| sh.id.clone());
    // Labels must differ from every earlier one's.
    let created_ms = streams
        .latest()
        .map_or(now_ms, |l| now_ms.max(l.created_ms + 1));
    let label = time::iso_label(created_ms);
    let shard = new_shard(&table_id, &label, parent, lsn, now_ms);
    streams.streams.push(StreamState {
        label,
        created_ms,
        view_type: view,
        shards: vec![shard],
        disabled_ms: None,
    });
    prune(streams, now_ms);
}

fn close_open_shard(st: &mut StreamState, lsn: u64, now_ms: i64) {
    if let Some(sh) = st.shards.last_mut().filter(|sh| sh.last_lsn.is_none()) {
        sh.last_lsn = Some(lsn - 1);
        sh.closed_ms = Some(now_ms);
    }
}

/// Disables the enabled stream, by the schema record that will be logged as `lsn`.
fn close(s: &mut TableSchema, lsn: u64, now_ms: i64) {
    if let Some(streams) = s.stream.as_mut() {
        if let Some(st) = streams.streams.last_mut().filter(|st| st.enabled()) {
            close_open_shard(st, lsn, now_ms);
            st.disabled_ms = Some(now_ms);
        }
        prune(streams, now_ms);
    }
}

/// Forgets shards closed, and streams disabled, longer ago than the retention period (they
/// are invisible anyway); the latest stream is kept for DescribeTable.
fn prune(streams: &mut Streams, now_ms: i64) {
    let horizon = now_ms - RETENTION_MS;
    let n = streams.streams.len();
    let mut i = 0;
    streams.streams.retain(|st| {
        i += 1;
        i == n || st.disabled_ms.is_none_or(|d| d >= horizon)
    });
    for st in &mut streams.streams {
        st.shards
            .retain(|sh| sh.closed_ms.is_none_or(|c| c >= horizon));
    }
}

/// Whether a stream is still visible (enabled, or disabled within the retention period).
fn visible(st: &StreamState, now_ms: i64) -> bool {
    st.disabled_ms.is_none_or(|d| d >= now_ms - RETENTION_MS)
}

/// Whether a shard is still visible (open, or closed within the retention period).
fn shard_visible(sh: &ShardState, now_ms: i64) -> bool {
    sh.closed_ms.is_none_or(|c| c >= now_ms - RETENTION_MS)
}

const VIEW_TYPES: &str = "[NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]";

/// A StreamSpecification member, shape-checked: `(StreamEnabled, StreamViewType)`.
fn spec(p: &Params) -> Result<Option<(bool, Option<StreamViewType>)>, ApiError> {
    if p.object("StreamSpecification")?.is_none() {
        return Ok(None);
    }
    let sp = Params::new(p.raw("StreamSpecification").unwrap_or(&Value::Null))?;
    let enabled = sp.bool("StreamEnabled")?;
    let view = sp.str("StreamViewType")?;
    let mut c = Constraints::default();
    if enabled.is_none() {
        c.fail(
            None,
            "streamSpecification.streamEnabled",
            "Member must not be null",
        );
    }
    let parsed = view.map(|v| (v, StreamViewType::parse(v)));
    if let Some((v, None)) = parsed {
        c.fail(
            Some(v),
            "streamSpecification.streamViewType",
            &format!("Member must satisfy enum value set: {VIEW_TYPES}"),
        );
    }
    c.check()?;
    Ok(Some((
        enabled.unwrap_or(false),
        parsed.and_then(|(_, t)| t),
    )))
}

/// CreateTable's StreamSpecification, validated: the view type of a stream to enable.
pub(crate) fn create_spec(p: &Params) -> Result<Option<StreamViewType>, ApiError> {
    match spec(p)? {
        None | Some((false, None)) => Ok(None),
        Some((true, Some(view))) => Ok(Some(view)),
        Some((true, None)) => Err(ApiError::invalid_param(
            "Table is being created with a stream enabled, UpdateViewType is required",
        )),
        Some((false, Some(_))) => Err(ApiError::invalid_param(
            "Table is being created with a stream disabled, UpdateViewType should not be specified",
        )),
    }
}

/// CreateTable: opens the stream the request asks for in `s`, whose `TableCreated` record
/// will be logged as `lsn`.
pub(crate) fn on_create(
    p: &Params,
    s: &mut TableSchema,
    lsn: u64,
    now_ms: i64,
) -> Result<(), ApiError> {
    if let Some(view) = create_spec(p)? {
        open(s, view, lsn, now_ms);
    }
    Ok(())
}

/// UpdateTable's StreamSpecification: validates it (shape, then against the table) and
/// applies it to `s`, the new schema, whose `TableUpdated` record will be logged as `lsn`.
/// Returns whether the request had a StreamSpecification.
pub(crate) fn update_table(
    p: &Params,
    s: &mut TableSchema,
    lsn: u64,
    now_ms: i64,
) -> Result<bool, ApiError> {
    let Some((enabled, view)) = spec(p)? else {
        return Ok(false);
    };
    let has_enabled = s.stream.as_ref().and_then(Streams::enabled).is_some();
    match (enabled, view) {
        (true, None) => Err(ApiError::invalid_param(
            "If stream is being enabled then UpdateViewType is required",
        )),
        (false, Some(_)) => Err(ApiError::invalid_param(
            "If stream is being disabled, then UpdateViewType must not be specified",
        )),
        (true, Some(_)) if has_enabled => Err(ApiError::validation(format!(
            "Table already has an enabled stream: TableName: {}",
            s.name
        ))),
        (false, None) if !has_enabled => Err(ApiError::validation(format!(
            "Table has no stream to disable: TableName: {}",
            s.name
        ))),
        (true, Some(view)) => {
            open(s, view, lsn, now_ms);
            Ok(true)
        }
        (false, None) => {
            close(s, lsn, now_ms);
            Ok(true)
        }
    }
}

/// Adds StreamSpecification (while a stream is enabled), LatestStreamArn and
/// LatestStreamLabel (once a stream ever existed) to a TableDescription.
pub(crate) fn describe_into(cfg: &Config, s: &TableSchema, d: &mut Value) {
    let Some(latest) = s.stream.as_ref().and_then(Streams::latest) else {
        return;
    };
    if latest.enabled() {
        d["StreamSpecification"] =
            json!({ "StreamEnabled": true, "StreamViewType": latest.view_type.as_str() });
    }
    d["LatestStreamArn"] = json!(stream_arn(cfg, &s.name, &latest.label));
    d["LatestStreamLabel"] = json!(latest.label);
}

/// Background work: rolls the open shard of the enabled stream over once it is older than
/// the configured age and holds records. Returns when the next rollover is due.
pub(crate) fn rollover_due(t: &TableObject) -> Option<i64> {
    let st = t.schema.as_ref()?.stream.as_ref()?.enabled()?;
    let sh = st.open_shard()?;
    // An empty shard is not rolled over; a write will make the host tick again.
    (t.next_lsn() > sh.first_lsn).then(|| {
        sh.created_ms
            .saturating_add(t.cfg.stream_shard_rollover_ms.max(1))
    })
}

/// Closes the open shard and opens its child, as one logged `TableUpdated`.
pub(crate) fn rollover_step(
    t: &mut TableObject,
    sql: &dyn Sql,
    now_ms: i64,
) -> Result<(), ApiError> {
    let Some(mut s) = t.schema.clone() else {
        return Ok(());
    };
    let lsn = t.next_lsn();
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
    close_open_shard(st, lsn, now_ms);
    let child = new_shard(&table_id, &st.label, Some(parent), lsn, now_ms);
    st.shards.push(child);
    prune(streams, now_ms);
    let schema_json = serde_json::to_string(&s).map_err(ApiError::internal)?;
    t.commit(
        sql,
        now_ms,
        extenddo_log::Event::TableUpdated { schema_json },
    )
}

/// The table a Streams request is about (DescribeStream and GetShardIterator name it in
/// their StreamArn, GetRecords in its ShardIterator), after the checks AWS makes before it
/// looks anything up.
pub(crate) fn route(op: Op, p: &Params) -> Result<String, ApiError> {
    match op {
        Op::GetRecords => {
            let it = api::iterator_member(p)?;
            let decoded = ShardIterator::decode(it).ok_or_else(api::invalid_iterator)?;
            let (table, _) =
                parse_stream_arn(&decoded.stream_arn).ok_or_else(api::invalid_iterator)?;
            Ok(table.to_owned())
        }
        _ => {
            let arn = api::check_arn_members(op, p)?;
            parse_stream_arn(arn)
                .map(|(t, _)| t.to_owned())
                .ok_or_else(|| api::stream_not_found(arn))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers() {
        assert_eq!(sequence_number(7), "000000000000000000007");
        assert_eq!(parse_sequence_number("000000000000000000007"), Some(7));
        assert_eq!(parse_sequence_number("000000000000000000000"), Some(0));
        assert_eq!(parse_sequence_number("12a"), None);
        assert_eq!(parse_sequence_number(""), None);
        assert_eq!(parse_sequence_number(&"9".repeat(30)), None);
        assert!(sequence_number(9) < sequence_number(10));
    }

    #[test]
    fn arns() {
        let cfg = Config::default();
        let arn = stream_arn(&cfg, "Music", "2026-11-27T14:00:00.123");
        assert_eq!(
            arn,
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music/stream/2026-11-27T14:00:00.123"
        );
        assert_eq!(
            parse_stream_arn(&arn),
            Some(("Music", "2026-11-27T14:00:00.123"))
        );
        for bad in [
            "",
            "arn:aws:s3:::x",
            "arn:aws:dynamodb:r:a:table/Music",
            "arn:aws:dynamodb:r:a:table//stream/x",
        ] {
            assert_eq!(parse_stream_arn(bad), None, "{bad}");
        }
    }

    #[test]
    fn shard_ids_look_like_aws() {
        let id = shard_id("t", "l", 5, 1_795_788_000_123);
        assert_eq!(id.len(), "shardId-00000001550719748929-e0a2afc5".len());
        assert!(id.starts_with("shardId-00000001795788000123-"));
    }
}
