//! The DynamoDB Streams API (`DynamoDBStreams_20120810.*`) and TTL: everything checked
//! before the table object is asked.

use serde_json::Value;

use crate::api::command::{
    DescribeStream, GetRecords, GetShardIterator, IteratorType, UpdateTimeToLive,
};
use crate::api::iterator::ShardIterator;
use crate::api::streams::{invalid_iterator, parse_stream_arn};
use crate::error::ApiError;
use crate::wire::decode::common::{check_table_name, table_name};
use crate::wire::params::{Constraints, Params};

/// GetRecords returns at most this many records.
pub const MAX_RECORDS: i64 = 1000;

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

/// A stream named by its ARN: `(table name, label)`. An ARN that is not a stream ARN at
/// all is invalid; a well-formed one of a stream that does not exist is not found (by the
/// table object).
fn route(arn: &str) -> Result<(String, String), ApiError> {
    parse_stream_arn(arn)
        .map(|(t, l)| (t.to_owned(), l.to_owned()))
        .ok_or_else(|| ApiError::validation("Invalid StreamArn"))
}

/// DescribeStream's ShardFilter: `{Type: CHILD_SHARDS, ShardId}`.
fn shard_filter(p: &Params, c: &mut Constraints) -> Result<Option<String>, ApiError> {
    let Some(raw) = p.raw("ShardFilter") else {
        return Ok(None);
    };
    let f = Params::new(raw)?;
    let ty = f.str("Type")?;
    let shard = f.str("ShardId")?;
    match ty {
        None => c.fail(None, "shardFilter.type", "Member must not be null"),
        Some("CHILD_SHARDS") => {}
        Some(t) => c.fail(
            Some(t),
            "shardFilter.type",
            "Member must satisfy enum value set: [CHILD_SHARDS]",
        ),
    }
    length(c, shard, "shardFilter.shardId", 28, 65, true);
    Ok(shard.map(str::to_owned))
}

/// DescribeStream: the command and the `(table name, label)` its ARN names.
pub fn describe_stream(p: &Params) -> Result<((String, String), DescribeStream), ApiError> {
    let arn = p.str("StreamArn")?;
    let lim = p.int("Limit")?;
    let start = p.str("ExclusiveStartShardId")?;
    let mut c = Constraints::default();
    length(&mut c, arn, "streamArn", 1, 1024, true);
    super::common::check_limit(&mut c, lim, 100);
    length(&mut c, start, "exclusiveStartShardId", 28, 65, false);
    let children_of = shard_filter(p, &mut c)?;
    c.check()?;
    let arn = arn.unwrap_or_default().to_owned();
    Ok((
        route(&arn)?,
        DescribeStream {
            arn,
            limit: lim.unwrap_or(100) as usize,
            exclusive_start_shard_id: start.map(str::to_owned),
            children_of,
        },
    ))
}

pub fn get_shard_iterator(p: &Params) -> Result<((String, String), GetShardIterator), ApiError> {
    let arn = p.str("StreamArn")?;
    let shard = p.str("ShardId")?;
    let ty = p.str("ShardIteratorType")?;
    let seq = p.str("SequenceNumber")?;
    let mut c = Constraints::default();
    length(&mut c, arn, "streamArn", 1, 1024, true);
    length(&mut c, shard, "shardId", 28, 65, true);
    let kind = match ty {
        None => {
            c.fail(None, "shardIteratorType", "Member must not be null");
            None
        }
        Some("TRIM_HORIZON") => Some(IteratorType::TrimHorizon),
        Some("LATEST") => Some(IteratorType::Latest),
        Some("AT_SEQUENCE_NUMBER") => Some(IteratorType::AtSequenceNumber),
        Some("AFTER_SEQUENCE_NUMBER") => Some(IteratorType::AfterSequenceNumber),
        Some(t) => {
            c.fail(
                Some(t),
                "shardIteratorType",
                "Member must satisfy enum value set: [TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER]",
            );
            None
        }
    };
    length(&mut c, seq, "sequenceNumber", 21, 40, false);
    c.check()?;
    let arn = arn.unwrap_or_default().to_owned();
    Ok((
        route(&arn)?,
        GetShardIterator {
            arn,
            shard_id: shard.unwrap_or_default().to_owned(),
            kind: kind.unwrap_or(IteratorType::Latest),
            sequence_number: seq.map(str::to_owned),
        },
    ))
}

/// GetRecords: the command, routed by the iterator to its table incarnation.
pub fn get_records(p: &Params) -> Result<GetRecords, ApiError> {
    let it = p.str("ShardIterator")?;
    let lim = p.int("Limit")?;
    let mut c = Constraints::default();
    length(&mut c, it, "shardIterator", 1, 2048, true);
    super::common::check_limit(&mut c, lim, MAX_RECORDS);
    c.check()?;
    let iterator = ShardIterator::decode(it.unwrap_or_default()).ok_or_else(invalid_iterator)?;
    if parse_stream_arn(&iterator.stream_arn).is_none() {
        return Err(invalid_iterator());
    }
    Ok(GetRecords {
        iterator,
        limit: lim.unwrap_or(MAX_RECORDS) as usize,
    })
}

/// ListStreams: `(TableName, Limit, ExclusiveStartStreamArn as (table, label))`.
pub type ListStreams = (Option<String>, usize, Option<(String, String)>);

pub fn list_streams(p: &Params) -> Result<ListStreams, ApiError> {
    let table = p.str("TableName")?;
    let lim = p.int("Limit")?;
    let start = p.str("ExclusiveStartStreamArn")?;
    let mut c = Constraints::default();
    if table.is_some() {
        check_table_name(&mut c, table, "tableName");
    }
    super::common::check_limit(&mut c, lim, 100);
    length(&mut c, start, "exclusiveStartStreamArn", 1, 1024, false);
    c.check()?;
    let after = start.map(route).transpose()?;
    Ok((table.map(str::to_owned), lim.unwrap_or(100) as usize, after))
}

pub fn update_time_to_live(p: &Params) -> Result<(String, UpdateTimeToLive), ApiError> {
    let name = table_name(p)?;
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
    Ok((
        name,
        UpdateTimeToLive {
            enabled: enabled.unwrap_or(false),
            attribute: attribute.unwrap_or_default().to_owned(),
        },
    ))
}
