//! Resource tags: what a tag request names (a table or one of its streams, by ARN) and
//! AWS's rules for keys, values, counts and sizes. The rules live once here: TagResource,
//! UntagResource and CreateTable's `Tags` all apply them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorKind};

/// Tags a resource may have.
pub const MAX_TAGS: usize = 50;
/// Key length, in Unicode characters.
pub const MAX_KEY_CHARS: usize = 128;
/// Value length, in Unicode characters.
pub const MAX_VALUE_CHARS: usize = 256;
/// The bytes of every key and value of a resource together.
pub const MAX_TAG_SET_BYTES: usize = 10240;

pub type TagSet = BTreeMap<String, String>;

/// A change to a resource's tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TagChange {
    /// TagResource: set these (a key already present takes the new value).
    Set(Vec<(String, String)>),
    /// UntagResource: remove these keys (a key not present is no error).
    Remove(Vec<String>),
}

/// A well-formed ResourceArn: `arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME` or
/// `…:table/NAME/stream/LABEL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagResource {
    pub arn: String,
    pub region: String,
    pub account: String,
    pub table: String,
    /// The stream's label, for a stream ARN.
    pub stream: Option<String>,
}

fn invalid(message: String) -> ApiError {
    ApiError::invalid_param(message)
}

/// Parses a ResourceArn as DynamoDB's tagging front end does.
pub fn parse_arn(arn: &str) -> Result<TagResource, ApiError> {
    if !arn.starts_with("arn:") {
        return Err(invalid(format!("ARNs must start with 'arn:': {arn}")));
    }
    let not_dynamodb = || {
        invalid(format!(
            "Provided Arn is not a DynamoDB resource arn: {arn}"
        ))
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, partition, service, region, account, resource] = parts[..] else {
        return Err(not_dynamodb());
    };
    if partition.is_empty() || service != "dynamodb" || region.is_empty() || account.is_empty() {
        return Err(not_dynamodb());
    }
    let Some(path) = resource.strip_prefix("table/") else {
        return Err(not_dynamodb());
    };
    let segments: Vec<&str> = path.split('/').collect();
    let (table, stream) = match segments[..] {
        [table] => (table, None),
        [table, "stream", label] if !label.is_empty() => (table, Some(label)),
        [_, "backup", _] | [_, "export", _] | [_, "import", _] => return Err(not_dynamodb()),
        _ => {
            return Err(invalid(format!(
                "Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}"
            )))
        }
    };
    if table.len() < 3
        || table.len() > 255
        || !table
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return Err(invalid_table_arn(arn));
    }
    Ok(TagResource {
        arn: arn.to_owned(),
        region: region.to_owned(),
        account: account.to_owned(),
        table: table.to_owned(),
        stream: stream.map(str::to_owned),
    })
}

/// A table ARN this endpoint cannot hold (another region, a name no table can have).
pub fn invalid_table_arn(arn: &str) -> ApiError {
    ApiError::validation(format!(
        "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
    ))
}

/// A well-formed ARN of another account's resource.
pub fn foreign_account() -> ApiError {
    ApiError::new(ErrorKind::AccessDenied, "Access is denied")
}

/// A well-formed ARN of a table (or stream) that does not exist.
pub fn resource_not_found(arn: &str) -> ApiError {
    ApiError::new(
        ErrorKind::ResourceNotFound,
        format!("Requested resource not found: ResourceArn: {arn} not found"),
    )
}

/// A character of AWS's tag alphabet: letters, digits and spaces of any script, and
/// `_ . : / = + - @`.
fn allowed(c: char) -> bool {
    c.is_alphabetic()
        || c.is_numeric()
        || (c.is_whitespace() && !c.is_control())
        || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
}

/// Checks one tag key (`None`: the member was missing).
pub fn check_key(key: Option<&str>) -> Result<&str, ApiError> {
    let Some(k) = key else {
        return Err(invalid_key("null"));
    };
    let chars = k.chars().count();
    if chars == 0 || chars > MAX_KEY_CHARS || !k.chars().all(allowed) {
        return Err(invalid_key(k));
    }
    if k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Err(ApiError::validation(format!(
            "Tag Key cannot be prefixed with aws:, Key: {k}"
        )));
    }
    Ok(k)
}

fn invalid_key(k: &str) -> ApiError {
    ApiError::validation(format!("The Tag Key provided is invalid, Key: {k}"))
}

/// Checks one tag value (`None`: the member was missing).
pub fn check_value(value: Option<&str>) -> Result<&str, ApiError> {
    let Some(v) = value else {
        return Err(invalid_value("null"));
    };
    if v.chars().count() > MAX_VALUE_CHARS || !v.chars().all(allowed) {
        return Err(invalid_value(v));
    }
    Ok(v)
}

fn invalid_value(v: &str) -> ApiError {
    ApiError::validation(format!("The Tag Value provided is invalid, Value: {v}"))
}

/// Refuses a key given twice in one request.
pub fn check_duplicates<'a>(keys: impl Iterator<Item = &'a str>) -> Result<(), ApiError> {
    let mut seen = std::collections::BTreeSet::new();
    for k in keys {
        if !seen.insert(k) {
            return Err(ApiError::validation(format!(
                "Duplicate Tag Keys provided as input: Duplicate Tag Key found {k}"
            )));
        }
    }
    Ok(())
}

fn too_many() -> ApiError {
    ApiError::validation("Number of Tags exceed the current limit for the provided ResourceArn")
}

/// Checks a whole tag set against the count and size limits.
pub fn check_set(set: &TagSet) -> Result<(), ApiError> {
    if set.len() > MAX_TAGS {
        return Err(too_many());
    }
    let bytes: usize = set.iter().map(|(k, v)| k.len() + v.len()).sum();
    if bytes > MAX_TAG_SET_BYTES {
        return Err(ApiError::validation(format!(
            "Tag set size {bytes} bytes is above max size limit of {MAX_TAG_SET_BYTES} bytes"
        )));
    }
    Ok(())
}

/// Checks a change on its own (before the resource is known): UntagResource's key count.
pub fn check_change(change: &TagChange) -> Result<(), ApiError> {
    match change {
        TagChange::Remove(keys) if keys.len() > MAX_TAGS => Err(too_many()),
        TagChange::Set(tags) if tags.len() > MAX_TAGS => Err(too_many()),
        _ => Ok(()),
    }
}

/// The tag set after `change`, checked against the limits.
pub fn apply(current: &TagSet, change: &TagChange) -> Result<TagSet, ApiError> {
    let mut next = current.clone();
    match change {
        TagChange::Set(tags) => {
            for (k, v) in tags {
                next.insert(k.clone(), v.clone());
            }
        }
        TagChange::Remove(keys) => {
            for k in keys {
                next.remove(k);
            }
        }
    }
    check_set(&next)?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(e: ApiError) -> String {
        e.message.unwrap_or_default()
    }

    #[test]
    fn arns_are_parsed_as_the_tagging_front_end_does() {
        let t = parse_arn("arn:aws:dynamodb:us-east-1:123456789012:table/Music").unwrap();
        assert_eq!((t.table.as_str(), t.stream), ("Music", None));
        let s =
            parse_arn("arn:aws:dynamodb:eu-west-1:1:table/Music/stream/2026-01-01T00:00:00.000")
                .unwrap();
        assert_eq!(s.stream.as_deref(), Some("2026-01-01T00:00:00.000"));
        assert_eq!(s.region, "eu-west-1");
        assert_eq!(
            msg(parse_arn("Music").unwrap_err()),
            "One or more parameter values were invalid: ARNs must start with 'arn:': Music"
        );
        for arn in [
            "arn:aws:s3:::bucket",
            "arn:aws:dynamodb:us-east-1:1:tabl/x",
            "arn:aws:dynamodb:us-east-1:1:table/Music/backup/01795788000123-0a1b2c3d",
        ] {
            assert!(msg(parse_arn(arn).unwrap_err()).contains("is not a DynamoDB resource arn"));
        }
        let ix = "arn:aws:dynamodb:us-east-1:1:table/Music/index/ByYear";
        assert!(msg(parse_arn(ix).unwrap_err()).contains("only table or stream is accepted"));
        assert!(
            msg(parse_arn("arn:aws:dynamodb:us-east-1:1:table/ab").unwrap_err())
                .starts_with("Invalid TableArn")
        );
    }

    #[test]
    fn keys_and_values_follow_the_tag_alphabet_and_lengths() {
        assert!(check_key(Some("Team name_1.:/=+-@")).is_ok());
        assert!(check_key(Some("名前 ñ")).is_ok());
        assert!(check_key(Some(&"é".repeat(128))).is_ok());
        assert!(check_key(Some(&"é".repeat(129))).is_err());
        assert_eq!(
            msg(check_key(Some("")).unwrap_err()),
            "The Tag Key provided is invalid, Key: "
        );
        assert_eq!(
            msg(check_key(None).unwrap_err()),
            "The Tag Key provided is invalid, Key: null"
        );
        for bad in ["a#b", "a,b", "a*", "😀", "a\tb"] {
            assert!(check_key(Some(bad)).is_err(), "{bad}");
        }
        assert_eq!(
            msg(check_key(Some("AWS:x")).unwrap_err()),
            "Tag Key cannot be prefixed with aws:, Key: AWS:x"
        );
        assert!(check_key(Some("myaws:x")).is_ok());
        assert!(check_value(Some("")).is_ok());
        assert!(check_value(Some(&"v".repeat(256))).is_ok());
        assert_eq!(
            msg(check_value(Some(&"v".repeat(257))).unwrap_err()),
            format!(
                "The Tag Value provided is invalid, Value: {}",
                "v".repeat(257)
            )
        );
    }

    #[test]
    fn limits_are_checked_after_merging() {
        let full: TagSet = (0..50).map(|i| (format!("k{i}"), String::new())).collect();
        let again = TagChange::Set(vec![("k0".into(), "v".into())]);
        assert_eq!(apply(&full, &again).unwrap()["k0"], "v");
        let one_more = TagChange::Set(vec![("new".into(), String::new())]);
        assert_eq!(
            msg(apply(&full, &one_more).unwrap_err()),
            "Number of Tags exceed the current limit for the provided ResourceArn"
        );
        let big: TagSet = (0..40)
            .map(|i| (format!("{i:0>128}"), "v".repeat(200)))
            .collect();
        assert!(msg(check_set(&big).unwrap_err()).starts_with("Tag set size 13120 bytes"));
        let removed = apply(
            &full,
            &TagChange::Remove(vec!["k1".into(), "absent".into()]),
        );
        assert_eq!(removed.unwrap().len(), 49);
        assert!(check_duplicates(["a", "A", "a "].into_iter()).is_ok());
        assert_eq!(
            msg(check_duplicates(["a", "b", "a"].into_iter()).unwrap_err()),
            "Duplicate Tag Keys provided as input: Duplicate Tag Key found a"
        );
    }
}
