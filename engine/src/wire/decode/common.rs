//! What many operations' decoding shares: the table name, expression placeholders, the
//! enums of ReturnValues / ReturnConsumedCapacity / ReturnItemCollectionMetrics, and the
//! condition of a write.

use std::collections::HashMap;

use extenddo_log::{AttributeValue, Item};

use crate::api::capacity::ReturnCapacity;
use crate::api::command::{ReturnValues, WriteOptions};
use crate::error::{ApiError, ErrorKind};
use crate::expr::{Condition, Placeholders, Projection};
use crate::wire::legacy;
use crate::wire::params::{Constraints, Params};
use crate::wire::value::{decode_value_checked, ValueError, NESTING_DETAIL};

/// Checks a TableName member as AWS's front end does, adding failures to `c`.
pub fn check_table_name(c: &mut Constraints, name: Option<&str>, at: &str) {
    match name {
        None => c.fail(None, at, "Member must not be null"),
        Some(n) => {
            if n.len() < 3 {
                c.fail(
                    Some(n),
                    at,
                    "Member must have length greater than or equal to 3",
                );
            }
            if n.len() > 255 {
                c.fail(
                    Some(n),
                    at,
                    "Member must have length less than or equal to 255",
                );
            }
            if !n
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
            {
                c.fail(
                    Some(n),
                    at,
                    "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                );
            }
        }
    }
}

/// A `Limit` member: 1 to `max`.
pub fn check_limit(c: &mut Constraints, limit: Option<i64>, max: i64) {
    check_bounds(c, limit, "limit", 1, Some(max));
}

/// AWS's front end checks required members before any constraint.
pub fn required(p: &Params, member: &str) -> Result<(), ApiError> {
    if p.has(member) {
        return Ok(());
    }
    Err(ApiError::validation(format!(
        "The parameter '{member}' is required but was not present in the request"
    )))
}

/// The validated TableName of a request.
pub fn table_name(p: &Params) -> Result<String, ApiError> {
    required(p, "TableName")?;
    let name = p.str("TableName")?;
    let mut c = Constraints::default();
    check_table_name(&mut c, name, "tableName");
    c.check()?;
    Ok(name.unwrap_or_default().to_owned())
}

/// A member an item operation's front end checks before anything else; all of a request's
/// failures are reported together, in the order the operation lists them (AWS's order
/// differs per operation).
#[derive(Clone, Copy)]
pub enum FrontCheck {
    /// TableName of a data-plane operation: present and not empty.
    TableName,
    /// An item-valued member that must be present: (member, name in messages).
    Required(&'static str, &'static str),
    ReturnValues,
    ReturnConsumedCapacity,
    ReturnItemCollectionMetrics,
    ReturnValuesOnConditionCheckFailure,
    /// Query and Scan.
    Limit,
    Select,
    AttributesToGet,
    IndexName,
    Segment,
    TotalSegments,
    ConditionalOperator,
}

/// (member, name in messages, allowed values as AWS lists them) of the enum checks.
fn enum_check(check: FrontCheck) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match check {
        FrontCheck::ReturnValues => (
            "ReturnValues",
            "returnValues",
            "[ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
        ),
        FrontCheck::ReturnConsumedCapacity => (
            "ReturnConsumedCapacity",
            "returnConsumedCapacity",
            "[INDEXES, TOTAL, NONE]",
        ),
        FrontCheck::ReturnItemCollectionMetrics => (
            "ReturnItemCollectionMetrics",
            "returnItemCollectionMetrics",
            "[SIZE, NONE]",
        ),
        FrontCheck::ReturnValuesOnConditionCheckFailure => (
            "ReturnValuesOnConditionCheckFailure",
            "returnValuesOnConditionCheckFailure",
            "[ALL_OLD, NONE]",
        ),
        FrontCheck::Select => (
            "Select",
            "select",
            "[SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]",
        ),
        FrontCheck::ConditionalOperator => {
            ("ConditionalOperator", "conditionalOperator", "[OR, AND]")
        }
        _ => return None,
    })
}

/// A whole-number member within `min ..= max` (`max`: `None` for no upper bound).
fn check_bounds(c: &mut Constraints, v: Option<i64>, at: &str, min: i64, max: Option<i64>) {
    match v {
        Some(v) if v < min => c.fail(
            Some(&v.to_string()),
            at,
            &format!("Member must have value greater than or equal to {min}"),
        ),
        Some(v) if max.is_some_and(|m| v > m) => c.fail(
            Some(&v.to_string()),
            at,
            &format!(
                "Member must have value less than or equal to {}",
                max.unwrap_or_default()
            ),
        ),
        _ => {}
    }
}

/// An enum member's value outside its set, as AWS words it.
fn invalid_enum(check: FrontCheck, value: &str) -> ApiError {
    let mut c = Constraints::default();
    if let Some((_, at, allowed)) = enum_check(check) {
        c.fail(
            Some(value),
            at,
            &format!("Member must satisfy enum value set: {allowed}"),
        );
    }
    c.check()
        .err()
        .unwrap_or_else(|| ApiError::internal("not an enum member"))
}

/// Runs the front end's checks of an item operation, Query or Scan, failing with every
/// failure at once; returns the TableName they validated.
pub fn front_checks(p: &Params, checks: &[FrontCheck]) -> Result<String, ApiError> {
    let mut c = Constraints::default();
    for &check in checks {
        match check {
            FrontCheck::TableName => match p.str("TableName")? {
                // An empty name fails only its length (AWS, 2026-06).
                Some("") => c.fail(
                    Some(""),
                    "tableName",
                    "Member must have length greater than or equal to 1",
                ),
                name => check_table_name(&mut c, name, "tableName"),
            },
            FrontCheck::IndexName => {
                if let Some(name) = p.str("IndexName")? {
                    check_table_name(&mut c, Some(name), "indexName");
                }
            }
            FrontCheck::Required(member, at) => {
                if !p.has(member) {
                    c.fail(None, at, "Member must not be null");
                }
            }
            FrontCheck::Limit => check_bounds(&mut c, p.int("Limit")?, "limit", 1, None),
            FrontCheck::AttributesToGet => {
                if p.array("AttributesToGet")?.is_some_and(Vec::is_empty) {
                    c.fail(
                        Some("[]"),
                        "attributesToGet",
                        "Member must have length greater than or equal to 1",
                    );
                }
            }
            FrontCheck::Segment => {
                check_bounds(&mut c, p.int("Segment")?, "segment", 0, Some(999_999))
            }
            FrontCheck::TotalSegments => check_bounds(
                &mut c,
                p.int("TotalSegments")?,
                "totalSegments",
                1,
                Some(1_000_000),
            ),
            _ => {
                let Some((member, at, allowed)) = enum_check(check) else {
                    continue;
                };
                if let Some(v) = p.str(member)? {
                    if !allowed
                        .trim_matches(|c| c == '[' || c == ']')
                        .split(", ")
                        .any(|a| a == v)
                    {
                        c.fail(
                            Some(v),
                            at,
                            &format!("Member must satisfy enum value set: {allowed}"),
                        );
                    }
                }
            }
        }
    }
    c.check()?;
    Ok(p.str("TableName")?.unwrap_or_default().to_owned())
}

/// An item-valued member that must be present (`Item`, `Key`).
pub fn required_item(p: &Params, member: &str, at: &str) -> Result<Item, ApiError> {
    let item = p.item(member)?;
    let mut c = Constraints::default();
    if item.is_none() {
        c.fail(None, at, "Member must not be null");
    }
    c.check()?;
    Ok(item.unwrap_or_default())
}

/// A request's ExpressionAttributeNames and ExpressionAttributeValues, decoded.
pub struct ExprParams {
    pub names: Option<HashMap<String, String>>,
    pub values: Option<HashMap<String, AttributeValue>>,
}

impl ExprParams {
    pub fn from(p: &Params) -> Result<ExprParams, ApiError> {
        let names = p.string_map("ExpressionAttributeNames")?;
        // AWS names the placeholder whose value is invalid; nesting is refused by its
        // request-level validator instead, in its own envelope.
        let values = p
            .object("ExpressionAttributeValues")?
            .map(|m| {
                m.iter()
                    .map(|(k, v)| match decode_value_checked(v) {
                        Ok(av) => Ok((k.clone(), av)),
                        Err(ValueError::TooDeep) => Err(ApiError::validation(format!(
                            "1 validation error detected: {NESTING_DETAIL}"
                        ))),
                        Err(ValueError::Invalid(e)) if e.kind == ErrorKind::Validation => {
                            Err(ApiError::validation(format!(
                                "ExpressionAttributeValues contains invalid value: {} for key {k}",
                                e.message.unwrap_or_default()
                            )))
                        }
                        // Not DynamoDB JSON at all: the deserializer's error, as it is.
                        Err(ValueError::Invalid(e)) => Err(e),
                    })
                    .collect::<Result<HashMap<_, _>, ApiError>>()
            })
            .transpose()?;
        if names.as_ref().is_some_and(|n| n.is_empty()) {
            return Err(ApiError::validation(
                "ExpressionAttributeNames must not be empty",
            ));
        }
        // An expression over the size limit is reported first, as its own error.
        let oversized = EXPRESSION_MEMBERS.iter().any(|m| {
            p.str(m)
                .ok()
                .flatten()
                .is_some_and(|e| e.len() > crate::expr::MAX_EXPRESSION_BYTES)
        });
        if !oversized {
            check_placeholder_maps(names.as_ref(), values.as_ref())?;
        }
        if values.as_ref().is_some_and(|v| v.is_empty()) {
            return Err(ApiError::validation(
                "ExpressionAttributeValues must not be empty",
            ));
        }
        Ok(ExprParams { names, values })
    }

    pub fn context(&self) -> Placeholders<'_> {
        Placeholders::new(self.names.as_ref(), self.values.as_ref())
    }

    /// After every expression of the request is parsed: placeholders given without any
    /// expression, and placeholders no expression used, are errors.
    pub fn check_used(&self, ctx: &Placeholders<'_>, p: &Params) -> Result<(), ApiError> {
        if !EXPRESSION_MEMBERS.iter().any(|e| p.has(e)) {
            if self.names.is_some() {
                return Err(ApiError::validation(
                    "ExpressionAttributeNames can only be specified when using expressions",
                ));
            }
            if self.values.is_some() {
                return Err(ApiError::validation(
                    "ExpressionAttributeValues can only be specified when using expressions",
                ));
            }
        }
        ctx.check_keys()?;
        ctx.check_unused()?;
        Ok(())
    }
}

/// The members of a request that hold expressions.
const EXPRESSION_MEMBERS: [&str; 5] = [
    "ConditionExpression",
    "FilterExpression",
    "KeyConditionExpression",
    "ProjectionExpression",
    "UpdateExpression",
];

/// The longest placeholder (`#name`, `:value`).
const MAX_PLACEHOLDER_BYTES: usize = 255;

/// What AWS checks of the placeholder maps before any expression is read: key lengths,
/// empty and over-long attribute names.
fn check_placeholder_maps(
    names: Option<&HashMap<String, String>>,
    values: Option<&HashMap<String, AttributeValue>>,
) -> Result<(), ApiError> {
    let mut sorted: Vec<(&String, &String)> = names.into_iter().flatten().collect();
    sorted.sort();
    for (k, v) in sorted {
        if k.len() > MAX_PLACEHOLDER_BYTES {
            return Err(ApiError::validation(format!(
                "ExpressionAttributeNames contains invalid key: The expression attribute map contains a key that is too long; size of key: {}",
                k.len()
            )));
        }
        if v.is_empty() {
            return Err(ApiError::validation(format!(
                "ExpressionAttributeNames contains invalid value: Empty attribute name for key {k}"
            )));
        }
        if v.len() > crate::formats::dynamodb_json::MAX_ATTRIBUTE_NAME_BYTES {
            return Err(ApiError::validation(
                "1 validation error detected: Attribute name is too large, must be less than 65536 bytes",
            ));
        }
    }
    if values
        .into_iter()
        .flatten()
        .any(|(k, _)| k.len() > MAX_PLACEHOLDER_BYTES)
    {
        return Err(ApiError::validation(
            "ExpressionAttributeValues contains invalid key: The expression attribute map contains a key that is too long;",
        ));
    }
    Ok(())
}

/// Checks a ReturnValues member against the values an operation allows.
pub fn return_values(p: &Params, allowed: &[&str], err: &str) -> Result<ReturnValues, ApiError> {
    let rv = p.str("ReturnValues")?.unwrap_or("NONE");
    let parsed = match rv {
        "NONE" => ReturnValues::None,
        "ALL_OLD" => ReturnValues::AllOld,
        "UPDATED_OLD" => ReturnValues::UpdatedOld,
        "ALL_NEW" => ReturnValues::AllNew,
        "UPDATED_NEW" => ReturnValues::UpdatedNew,
        _ => return Err(invalid_enum(FrontCheck::ReturnValues, rv)),
    };
    if !allowed.contains(&rv) {
        return Err(ApiError::validation(err));
    }
    Ok(parsed)
}

pub fn return_capacity(p: &Params) -> Result<ReturnCapacity, ApiError> {
    Ok(match p.str("ReturnConsumedCapacity")? {
        None | Some("NONE") => ReturnCapacity::None,
        Some("TOTAL") => ReturnCapacity::Total,
        Some("INDEXES") => ReturnCapacity::Indexes,
        Some(other) => return Err(invalid_enum(FrontCheck::ReturnConsumedCapacity, other)),
    })
}

/// ReturnItemCollectionMetrics: whether SIZE was asked for.
pub fn item_collection_metrics(p: &Params) -> Result<bool, ApiError> {
    match p.str("ReturnItemCollectionMetrics")? {
        None | Some("NONE") => Ok(false),
        Some("SIZE") => Ok(true),
        Some(other) => Err(invalid_enum(FrontCheck::ReturnItemCollectionMetrics, other)),
    }
}

/// The condition of a write: ConditionExpression, or the legacy Expected/ConditionalOperator.
pub fn write_condition(
    p: &Params,
    ctx: &mut Placeholders<'_>,
) -> Result<Option<Condition>, ApiError> {
    match (p.str("ConditionExpression")?, p.has("Expected")) {
        (Some(c), _) => Ok(Some(Condition::parse_condition(c, ctx)?)),
        (None, true) => Ok(Some(legacy::expected(p)?)),
        (None, false) => {
            if p.has("ConditionalOperator") {
                return Err(legacy::lone_conditional_operator(p));
            }
            Ok(None)
        }
    }
}

/// ReturnValuesOnConditionCheckFailure: whether ALL_OLD was asked for.
pub fn return_old_on_failure(p: &Params) -> Result<bool, ApiError> {
    match p.str("ReturnValuesOnConditionCheckFailure")? {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(other) => Err(invalid_enum(
            FrontCheck::ReturnValuesOnConditionCheckFailure,
            other,
        )),
    }
}

/// The condition, failure return, and capacity options of a single-item write (metrics are
/// checked by the caller, after the placeholders).
pub fn write_options(p: &Params, ctx: &mut Placeholders<'_>) -> Result<WriteOptions, ApiError> {
    let condition = write_condition(p, ctx)?;
    Ok(WriteOptions {
        condition,
        old_on_failure: return_old_on_failure(p)?,
        capacity: return_capacity(p)?,
        metrics: false,
    })
}

/// ProjectionExpression, or the legacy AttributesToGet.
pub fn read_projection(
    p: &Params,
    ctx: &mut Placeholders<'_>,
) -> Result<Option<Projection>, ApiError> {
    match (p.str("ProjectionExpression")?, p.has("AttributesToGet")) {
        (Some(e), _) => Ok(Some(Projection::parse(e, ctx)?)),
        (None, true) => Ok(Some(legacy::attributes_to_get(p)?)),
        (None, false) => Ok(None),
    }
}
