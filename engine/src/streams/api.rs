//! The Streams API as a table object answers it: DescribeStream, GetShardIterator,
//! GetRecords, and its own share of ListStreams.

use extenddo_log::{LogStore, Sql};
use extenddo_projections::streams::{ShardState, StreamState, Streams};
use extenddo_projections::TableSchema;
use serde_json::{json, Value};

use super::iter::ShardIterator;
use super::records::stream_record;
use super::{
    parse_sequence_number, parse_stream_arn, sequence_number, shard_visible, stream_arn, time,
    visible, ITERATOR_TTL_MS, RETENTION_MS,
};
use crate::error::{ApiError, ErrorKind};
use crate::op::Op;
use crate::table::TableObject;
use crate::table_def;
use crate::wire::{Constraints, Params};

/// GetRecords returns at most this many records...
pub const MAX_RECORDS: i64 = 1000;
/// ...and stops before the record that would take it past this much item data.
pub const MAX_BYTES: usize = 1 << 20;
/// Log records one GetRecords call looks at, at most (item events or not).
const MAX_SCAN: usize = 10_000;

pub(crate) fn stream_not_found(arn: &str) -> ApiError {
    ApiError::new(
        ErrorKind::ResourceNotFound,
        format!("Requested resource not found: Stream: {arn} not found"),
    )
}

pub(crate) fn invalid_iterator() -> ApiError {
    ApiError::validation("Invalid ShardIterator")
}

fn length(c: &mut Constraints, v: Option<&str>, at: &str, min: usize, max: usize, required: bool) {
    match v {
        None if required => c.fail(None, at, "Member must not be null"),
        None => {}
        Some(s) if s.len() < min => c.fail(
            Some(s),
            at,
            &format!("Member must have length greater than or equal to {min}"),
        ),
        Some(s) if s.len() > max => c.fail(
            Some(s),
            at,
            &format!("Member must have length less than or equal to {max}"),
        ),
        _ => {}
    }
}

fn limit(c: &mut Constraints, v: Option<i64>, max: i64) {
    match v {
        Some(l) if l < 1 => c.fail(
            Some(&l.to_string()),
            "limit",
            "Member must have value greater than or equal to 1",
        ),
        Some(l) if l > max => c.fail(
            Some(&l.to_string()),
            "limit",
            &format!("Member must have value less than or equal to {max}"),
        ),
        _ => {}
    }
}

/// Shape checks of DescribeStream and GetShardIterator; returns the StreamArn.
pub(crate) fn check_arn_members<'a>(op: Op, p: &Params<'a>) -> Result<&'a str, ApiError> {
    let arn = p.str("StreamArn")?;
    let mut c = Constraints::default();
    length(&mut c, arn, "streamArn", 37, 1024, true);
    match op {
        Op::GetShardIterator => {
            length(&mut c, p.str("ShardId")?, "shardId", 28, 65, true);
            match p.str("ShardIteratorType")? {
                None => c.fail(None, "shardIteratorType", "Member must not be null"),
                Some(t)
                    if !["TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"]
                        .contains(&t) =>
                {
                    c.fail(
                        Some(t),
                        "shardIteratorType",
                        "Member must satisfy enum value set: [TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER]",
                    )
                }
                _ => {}
            }
            length(
                &mut c,
                p.str("SequenceNumber")?,
                "sequenceNumber",
                21,
                40,
                false,
            );
        }
        _ => {
            limit(&mut c, p.int("Limit")?, 100);
            length(
                &mut c,
                p.str("ExclusiveStartShardId")?,
                "exclusiveStartShardId",
                28,
                65,
                false,
            );
        }
    }
    c.check()?;
    Ok(arn.unwrap_or_default())
}

/// GetRecords' ShardIterator, shape-checked.
pub(crate) fn iterator_member<'a>(p: &Params<'a>) -> Result<&'a str, ApiError> {
    let it = p.str("ShardIterator")?;
    let mut c = Constraints::default();
    length(&mut c, it, "shardIterator", 1, 2048, true);
    limit(&mut c, p.int("Limit")?, MAX_RECORDS);
    c.check()?;
    Ok(it.unwrap_or_default())
}

fn streams(t: &TableObject) -> Option<(&TableSchema, &Streams)> {
    let s = t.schema.as_ref()?;
    Some((s, s.stream.as_ref()?))
}

/// The stream an ARN names, if it exists and is still visible.
fn find_stream<'t>(
    t: &'t TableObject,
    arn: &str,
    now_ms: i64,
) -> Result<(&'t TableSchema, &'t StreamState), ApiError> {
    let not_found = || stream_not_found(arn);
    let (s, all) = streams(t).ok_or_else(not_found)?;
    let (_, label) = parse_stream_arn(arn).ok_or_else(not_found)?;
    if stream_arn(&t.cfg, &s.name, label) != arn {
        return Err(not_found());
    }
    let st = all
        .by_label(label)
        .filter(|st| visible(st, now_ms))
        .ok_or_else(not_found)?;
    Ok((s, st))
}

fn key_schema(s: &TableSchema) -> Value {
    let mut k = vec![json!({"AttributeName": s.key.hash.name, "KeyType": "HASH"})];
    if let Some(r) = &s.key.range {
        k.push(json!({"AttributeName": r.name, "KeyType": "RANGE"}));
    }
    Value::Array(k)
}

fn shard_json(sh: &ShardState) -> Value {
    let mut range = json!({ "StartingSequenceNumber": sequence_number(sh.first_lsn) });
    if let Some(last) = sh.last_lsn {
        // An empty closed shard ends where it starts.
        range["EndingSequenceNumber"] = json!(sequence_number(last.max(sh.first_lsn)));
    }
    let mut v = json!({ "ShardId": sh.id, "SequenceNumberRange": range });
    if let Some(parent) = &sh.parent {
        v["ParentShardId"] = json!(parent);
    }
    v
}

pub(crate) fn describe_stream(t: &TableObject, p: &Params, now_ms: i64) -> Result<Value, ApiError> {
    let arn = check_arn_members(Op::DescribeStream, p)?;
    let limit = p.int("Limit")?.unwrap_or(100) as usize;
    let start = p.str("ExclusiveStartShardId")?;
    let (s, st) = find_stream(t, arn, now_ms)?;
    let shards: Vec<&ShardState> = st
        .shards
        .iter()
        .filter(|sh| shard_visible(sh, now_ms))
        .collect();
    let from = start
        .and_then(|id| shards.iter().position(|sh| sh.id == id))
        .map_or(0, |i| i + 1);
    let page: Vec<&ShardState> = shards.iter().skip(from).take(limit).copied().collect();
    let mut d = json!({
        "StreamArn": arn,
        "StreamLabel": st.label,
        "StreamStatus": if st.enabled() { "ENABLED" } else { "DISABLED" },
        "StreamViewType": st.view_type.as_str(),
        "CreationRequestDateTime": st.created_ms as f64 / 1000.0,
        "TableName": s.name,
        "KeySchema": key_schema(s),
        "Shards": page.iter().map(|sh| shard_json(sh)).collect::<Vec<_>>(),
    });
    if from + page.len() < shards.len() {
        if let Some(last) = page.last() {
            d["LastEvaluatedShardId"] = json!(last.id);
        }
    }
    Ok(json!({ "StreamDescription": d }))
}

/// The time of log record `lsn`, if it exists.
fn ts_at(sql: &dyn Sql, lsn: u64) -> Result<Option<i64>, ApiError> {
    Ok(LogStore::read(sql, lsn, 1)?
        .into_iter()
        .next()
        .filter(|r| r.lsn == lsn)
        .map(|r| r.ts_ms))
}

/// The first LSN in `lo ..= hi` whose record is not older than `cutoff` (`hi + 1` if none),
/// by binary search (record times do not decrease along the log).
fn first_untrimmed(sql: &dyn Sql, lo: u64, hi: u64, cutoff: i64) -> Result<u64, ApiError> {
    let fresh =
        |lsn| -> Result<bool, ApiError> { Ok(ts_at(sql, lsn)?.is_none_or(|ts| ts >= cutoff)) };
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
    t: &TableObject,
    sql: &dyn Sql,
    p: &Params,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let arn = check_arn_members(Op::GetShardIterator, p)?;
    let shard_id = p.str("ShardId")?.unwrap_or_default();
    let ty = p.str("ShardIteratorType")?.unwrap_or_default();
    let seq = p.str("SequenceNumber")?;
    let (_, st) = find_stream(t, arn, now_ms)?;
    let sh = find_shard(st, shard_id, now_ms).ok_or_else(|| {
        ApiError::new(
            ErrorKind::ResourceNotFound,
            format!("Requested resource not found: Shard: {shard_id} in Stream: {arn} not found"),
        )
    })?;
    let next = t.next_lsn();
    // The last LSN the shard holds so far.
    let hi = sh.last_lsn.unwrap_or(next - 1);
    let cutoff = now_ms - RETENTION_MS;
    let position = match ty {
        "TRIM_HORIZON" => first_untrimmed(sql, sh.first_lsn, hi, cutoff)?,
        "LATEST" => (hi + 1).max(sh.first_lsn),
        _ => {
            let seq = seq.ok_or_else(|| {
                ApiError::validation(format!(
                    "SequenceNumber must be specified when ShardIteratorType is {ty}"
                ))
            })?;
            let lsn = parse_sequence_number(seq)
                .filter(|l| (sh.first_lsn..=hi).contains(l))
                .ok_or_else(|| {
                    ApiError::validation(format!(
                        "Invalid SequenceNumber {seq}: it is not a sequence number of shard {shard_id}"
                    ))
                })?;
            if ts_at(sql, lsn)?.is_some_and(|ts| ts < cutoff) {
                return Err(trimmed());
            }
            if ty == "AT_SEQUENCE_NUMBER" {
                lsn
            } else {
                lsn + 1
            }
        }
    };
    let it = ShardIterator {
        stream_arn: arn.to_owned(),
        shard_id: sh.id.clone(),
        position,
        issued_ms: now_ms,
    };
    Ok(json!({ "ShardIterator": it.encode() }))
}

pub(crate) fn get_records(
    t: &TableObject,
    sql: &dyn Sql,
    p: &Params,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let raw = iterator_member(p)?;
    let limit = p.int("Limit")?.unwrap_or(MAX_RECORDS) as usize;
    let it = ShardIterator::decode(raw).ok_or_else(invalid_iterator)?;
    if now_ms - it.issued_ms > ITERATOR_TTL_MS {
        return Err(ApiError::new(
            ErrorKind::ExpiredIterator,
            format!(
                "Iterator expired. The iterator was created at time {} while right now it is {} which is further in the future than the tolerated delay of {ITERATOR_TTL_MS} milliseconds.",
                time::java_date(it.issued_ms),
                time::java_date(now_ms)
            ),
        ));
    }
    let (s, st) = find_stream(t, &it.stream_arn, now_ms)?;
    let sh = find_shard(st, &it.shard_id, now_ms).ok_or_else(|| {
        ApiError::new(
            ErrorKind::ResourceNotFound,
            "Invalid ShardId in ShardIterator",
        )
    })?;
    let end = sh.last_lsn.unwrap_or(u64::MAX);
    let cutoff = now_ms - RETENTION_MS;
    let mut pos = it.position.max(sh.first_lsn);
    let mut records = Vec::new();
    let (mut bytes, mut scanned, mut first) = (0usize, 0usize, true);
    'read: while pos <= end && scanned < MAX_SCAN && records.len() < limit {
        let want = (limit - records.len() + 32).min(1024);
        let page = LogStore::read(sql, pos, want)?;
        if page.is_empty() {
            break;
        }
        for r in page {
            if r.lsn > end {
                break 'read;
            }
            if std::mem::take(&mut first) && r.ts_ms < cutoff {
                return Err(trimmed());
            }
            if let Some((v, size)) = stream_record(&t.cfg, s, st.view_type, &r) {
                if !records.is_empty() && bytes + size > MAX_BYTES {
                    break 'read;
                }
                bytes += size;
                records.push(v);
            }
            pos = r.lsn + 1;
            scanned += 1;
            if records.len() >= limit || scanned >= MAX_SCAN {
                break 'read;
            }
        }
    }
    let mut out = json!({ "Records": records });
    // A closed shard read to its end has no next iterator.
    if pos <= end {
        let next = ShardIterator {
            stream_arn: it.stream_arn.clone(),
            shard_id: it.shard_id.clone(),
            position: pos,
            issued_ms: now_ms,
        };
        out["NextShardIterator"] = json!(next.encode());
    }
    Ok(out)
}

/// One table's share of ListStreams: its visible streams, oldest first.
pub(crate) fn list_streams(t: &TableObject, p: &Params, now_ms: i64) -> Result<Value, ApiError> {
    let name = table_def::table_name(p)?;
    let s = t
        .schema
        .as_ref()
        .ok_or_else(|| ApiError::table_not_found(&name))?;
    let list: Vec<Value> = s
        .stream
        .iter()
        .flat_map(|all| all.streams.iter())
        .filter(|st| visible(st, now_ms))
        .map(|st| {
            json!({
                "StreamArn": stream_arn(&t.cfg, &s.name, &st.label),
                "TableName": s.name,
                "StreamLabel": st.label,
            })
        })
        .collect();
    Ok(json!({ "Streams": list }))
}
