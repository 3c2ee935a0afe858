//! How DynamoDB Streams are named: stream ARNs, sequence numbers and retention periods.
//!
//! A stream record is a view of one log record; a shard is a span of LSNs kept in the table's
//! schema (see `extenddo_projections::streams`). Sequence numbers are LSNs written as 21-digit,
//! zero-padded decimal strings, so they are strictly increasing and stable across restarts.

use crate::config::Config;
use crate::error::{ApiError, ErrorKind};

pub use crate::config::STREAM_RETENTION_MS as RETENTION_MS;
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

pub fn table_arn(cfg: &Config, name: &str) -> String {
    format!(
        "arn:aws:dynamodb:{}:{}:table/{}",
        cfg.region, cfg.account_id, name
    )
}

pub fn stream_arn(cfg: &Config, table: &str, label: &str) -> String {
    format!("{}/stream/{label}", table_arn(cfg, table))
}

/// What follows `table/` in `arn:aws:dynamodb:REGION:ACCOUNT:table/…` (the table's name, and
/// for its streams, backups and indexes more after it).
pub fn table_resource(arn: &str) -> Option<&str> {
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
    resource.strip_prefix("table/")
}

/// `(table name, label)` of `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL`.
pub fn parse_stream_arn(arn: &str) -> Option<(&str, &str)> {
    let (name, label) = table_resource(arn)?.split_once("/stream/")?;
    (!name.is_empty() && !label.is_empty() && !label.contains('/')).then_some((name, label))
}

pub fn stream_not_found(arn: &str) -> ApiError {
    ApiError::new(
        ErrorKind::ResourceNotFound,
        format!("Requested resource not found: Stream: {arn} not found"),
    )
}

pub fn invalid_iterator() -> ApiError {
    ApiError::validation("Invalid ShardIterator")
}

/// A unique, stable event id: 32 hex digits from the table id and the LSN.
pub fn event_id(table_id: &str, lsn: u64) -> String {
    format!("{:08x}{:024x}", crc32fast::hash(table_id.as_bytes()), lsn)
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
}
