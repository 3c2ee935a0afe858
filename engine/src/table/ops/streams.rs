//! The Streams API as a table object answers it: DescribeStream, GetShardIterator,
//! GetRecords, and its own share of ListStreams. A deleted table answers them too, for its
//! streams' retention period.
//!
//! A stream record is a view of one log record:
//!
//! | log event | eventName | images (if the view type carries them) | userIdentity |
//! |---|---|---|---|
//! | `ItemPut { old: None, new }` | INSERT | NewImage | — |
//! | `ItemPut { old: Some, new }` | MODIFY | NewImage, OldImage | — |
//! | `ItemDeleted { old }` | REMOVE | OldImage | — |
//! | `ItemExpired { old }` | REMOVE | OldImage | Service `dynamodb.amazonaws.com` |
//!
//! Every other event (schema changes, index backfill) has no stream record. A write that
//! changes nothing is not logged, so it has none either.

use extenddo_log::value::item_size;
use extenddo_log::{Event, LogStore, Record, Sql};
use extenddo_projections::streams::{ShardState, StreamState, StreamViewType};
use extenddo_projections::TableSchema;

use crate::api::command::{DescribeStream, GetRecords, GetShardIterator, IteratorType};
use crate::api::iterator::ShardIterator;
use crate::api::reply::{RecordKind, RecordsOutput, StreamDescription, StreamRecord, TableReply};
use crate::api::streams::{
    parse_sequence_number, parse_stream_arn, stream_arn, stream_not_found, ITERATOR_TTL_MS,
    RETENTION_MS,
};
use crate::api::time;
use crate::error::{ApiError, Error, ErrorKind};
use crate::table::keys::key_of;
use crate::table::log::Ctx;
use crate::table::streams::{shard_visible, visible};

/// GetRecords stops before the record that would take it past this much item data.
pub const MAX_BYTES: usize = 1 << 20;
/// Log records one GetRecords call looks at, at most (item events or not).
const MAX_SCAN: usize = 10_000;

/// The stream an ARN names, if this table has it and it is still visible.
fn find_stream<'t>(cx: &Ctx, s: &'t TableSchema, arn: &str) -> Result<&'t StreamState, ApiError> {
    let not_found = || stream_not_found(arn);
    let all = s.stream.as_ref().ok_or_else(not_found)?;
    let (_, label) = parse_stream_arn(arn).ok_or_else(not_found)?;
    if stream_arn(cx.cfg, &s.name, label) != arn {
        return Err(not_found());
    }
    all.by_label(label)
        .filter(|st| visible(st, cx.now_ms))
        .ok_or_else(not_found)
}

pub(crate) fn describe_stream(
    cx: &Ctx,
    s: &TableSchema,
    c: &DescribeStream,
) -> Result<TableReply, Error> {
    let st = find_stream(cx, s, &c.arn)?;
    let shards: Vec<&ShardState> = st
        .shards
        .iter()
        .filter(|sh| shard_visible(sh, cx.now_ms))
        .filter(|sh| {
            c.children_of
                .as_ref()
                .is_none_or(|parent| sh.parent.as_ref() == Some(parent))
        })
        .collect();
    let from = c
        .exclusive_start_shard_id
        .as_deref()
        .and_then(|id| shards.iter().position(|sh| sh.id == id))
        .map_or(0, |i| i + 1);
    let page: Vec<ShardState> = shards
        .iter()
        .skip(from)
        .take(c.limit)
        .map(|sh| (*sh).clone())
        .collect();
    let last_evaluated_shard_id = (from + page.len() < shards.len())
        .then(|| page.last().map(|sh| sh.id.clone()))
        .flatten();
    Ok(TableReply::StreamDescription(Box::new(StreamDescription {
        arn: c.arn.clone(),
        label: st.label.clone(),
        enabled: st.enabled(),
        view: st.view_type,
        created_ms: st.created_ms,
        table: s.name.clone(),
        key: s.key.clone(),
        shards: page,
        last_evaluated_shard_id,
    })))
}

/// The time of log record `lsn`, if it exists.
fn ts_at(sql: &dyn Sql, lsn: u64) -> Result<Option<i64>, Error> {
    Ok(LogStore::read(sql, lsn, 1)?
        .into_iter()
        .next()
        .filter(|r| r.lsn == lsn)
        .map(|r| r.ts_ms))
}

/// The first LSN in `lo ..= hi` whose record is not older than `cutoff` (`hi + 1` if none),
/// by binary search (record times do not decrease along the log).
fn first_untrimmed(sql: &dyn Sql, lo: u64, hi: u64, cutoff: i64) -> Result<u64, Error> {
    let fresh = |lsn| -> Result<bool, Error> { Ok(ts_at(sql, lsn)?.is_none_or(|ts| ts >= cutoff)) };
    if lo > hi || fresh(lo)? {
        return Ok(lo);
    }
    // ts(a) < cutoff; b is the answer candidate.
    let (mut a, mut b) = (lo, hi + 1);
    while b - a > 1 {
        let m = a + (b - a) / 2;
        if fresh(m)? {
            b = m;
        } else {
            a = m;
        }
    }
    Ok(b)
}

fn trimmed() -> ApiError {
    ApiError::new(
        ErrorKind::TrimmedDataAccess,
        "The operation attempted to read past the oldest stream record in a shard.",
    )
}

fn find_shard<'s>(st: &'s StreamState, id: &str, now_ms: i64) -> Option<&'s ShardState> {
    st.shard(id).filter(|sh| shard_visible(sh, now_ms))
}

pub(crate) fn get_shard_iterator(
    cx: &Ctx,
    s: &TableSchema,
    next_lsn: u64,
    c: &GetShardIterator,
) -> Result<TableReply, Error> {
    let (arn, shard_id) = (c.arn.as_str(), c.shard_id.as_str());
    let st = find_stream(cx, s, arn)?;
    let sh = find_shard(st, shard_id, cx.now_ms).ok_or_else(|| {
        ApiError::new(
            ErrorKind::ResourceNotFound,
            format!("Requested resource not found: Shard: {shard_id} in Stream: {arn} not found"),
        )
    })?;
    // The last LSN the shard holds so far.
    let hi = sh.last_lsn.unwrap_or(next_lsn - 1);
    // An open shard with no record yet still has its starting sequence number.
    let at_most = hi.max(sh.first_lsn);
    let cutoff = cx.now_ms - RETENTION_MS;
    let position = match c.kind {
        IteratorType::TrimHorizon => first_untrimmed(cx.sql, sh.first_lsn, hi, cutoff)?,
        IteratorType::Latest => (hi + 1).max(sh.first_lsn),
        kind => {
            let ty = kind.as_str();
            let seq = c.sequence_number.as_deref().ok_or_else(|| {
                ApiError::validation(format!(
                    "SequenceNumber must be specified when ShardIteratorType is {ty}"
                ))
            })?;
            let lsn = parse_sequence_number(seq)
                .filter(|l| {
                    let last = if kind == IteratorType::AtSequenceNumber {
                        at_most
                    } else {
                        hi
                    };
                    (sh.first_lsn..=last).contains(l)
                })
                .ok_or_else(|| {
                    ApiError::validation(format!(
                        "Invalid SequenceNumber {seq}: it is not a sequence number of shard {shard_id}"
                    ))
                })?;
            if ts_at(cx.sql, lsn)?.is_some_and(|ts| ts < cutoff) {
                return Err(trimmed().into());
            }
            if kind == IteratorType::AtSequenceNumber {
                lsn
            } else {
                lsn + 1
            }
        }
    };
    let it = ShardIterator {
        stream_arn: arn.to_owned(),
        shard_id: sh.id.clone(),
        table_id: s.id.clone(),
        position,
        issued_ms: cx.now_ms,
    };
    Ok(TableReply::ShardIterator(it.encode()))
}

/// The stream record of `r` for a stream with view type `view`, or `None` if `r` is not an
/// item mutation.
fn stream_record(s: &TableSchema, view: StreamViewType, r: &Record) -> Option<StreamRecord> {
    let (old, new, expired) = match &r.event {
        Event::ItemPut { old, new } => (old.as_ref(), Some(new), false),
        Event::ItemDeleted { old } => (Some(old), None, false),
        Event::ItemExpired { old } => (Some(old), None, true),
        _ => return None,
    };
    let image = new.or(old)?;
    let keys = key_of(&s.key, image);
    let mut size = item_size(&keys);
    let new_image = new.filter(|_| view.new_image()).cloned();
    let old_image = old.filter(|_| view.old_image()).cloned();
    size += new_image.as_ref().map_or(0, item_size) + old_image.as_ref().map_or(0, item_size);
    let kind = match (old, new) {
        (None, Some(_)) => RecordKind::Insert,
        (Some(_), Some(_)) => RecordKind::Modify,
        _ => RecordKind::Remove,
    };
    Some(StreamRecord {
        lsn: r.lsn,
        ts_ms: r.ts_ms,
        kind,
        expired,
        keys,
        new_image,
        old_image,
        size,
        view,
    })
}

pub(crate) fn get_records(cx: &Ctx, s: &TableSchema, c: &GetRecords) -> Result<TableReply, Error> {
    let it = &c.iterator;
    if cx.now_ms - it.issued_ms > ITERATOR_TTL_MS {
        return Err(ApiError::new(
            ErrorKind::ExpiredIterator,
            format!(
                "Iterator expired. The iterator was created at time {} while right now it is {} which is further in the future than the tolerated delay of {ITERATOR_TTL_MS} milliseconds.",
                time::java_date(it.issued_ms),
                time::java_date(cx.now_ms)
            ),
        )
        .into());
    }
    let st = find_stream(cx, s, &it.stream_arn)?;
    let sh = find_shard(st, &it.shard_id, cx.now_ms).ok_or_else(|| {
        ApiError::new(
            ErrorKind::ResourceNotFound,
            "Invalid ShardId in ShardIterator",
        )
    })?;
    let end = sh.last_lsn.unwrap_or(u64::MAX);
    let cutoff = cx.now_ms - RETENTION_MS;
    let limit = c.limit;
    let mut pos = it.position.max(sh.first_lsn);
    let mut records = Vec::new();
    let (mut bytes, mut scanned, mut first) = (0usize, 0usize, true);
    'read: while pos <= end && scanned < MAX_SCAN && records.len() < limit {
        let want = (limit - records.len() + 32).min(1024);
        let page = LogStore::read(cx.sql, pos, want)?;
        if page.is_empty() {
            break;
        }
        for r in page {
            if r.lsn > end {
                break 'read;
            }
            if std::mem::take(&mut first) && r.ts_ms < cutoff {
                return Err(trimmed().into());
            }
            if let Some(rec) = stream_record(s, st.view_type, &r) {
                if !records.is_empty() && bytes + rec.size > MAX_BYTES {
                    break 'read;
                }
                bytes += rec.size;
                records.push(rec);
            }
            pos = r.lsn + 1;
            scanned += 1;
            if records.len() >= limit || scanned >= MAX_SCAN {
                break 'read;
            }
        }
    }
    // A closed shard read to its end has no next iterator.
    let next_iterator = (pos <= end).then(|| {
        ShardIterator {
            stream_arn: it.stream_arn.clone(),
            shard_id: it.shard_id.clone(),
            table_id: it.table_id.clone(),
            position: pos,
            issued_ms: cx.now_ms,
        }
        .encode()
    });
    Ok(TableReply::Records(Box::new(RecordsOutput {
        table_id: s.id.clone(),
        records,
        next_iterator,
    })))
}

/// One table's share of ListStreams: its visible streams, oldest first.
pub(crate) fn list_streams(cx: &Ctx, s: &TableSchema) -> TableReply {
    TableReply::Streams(
        s.stream
            .iter()
            .flat_map(|all| all.streams.iter())
            .filter(|st| visible(st, cx.now_ms))
            .map(|st| (s.name.clone(), st.label.clone()))
            .collect(),
    )
}
