//! Query and Scan: everything checked before the schema.

use crate::api::command::{KeyConditionSpec, Query, Read, Scan, Segment, Select};
use crate::error::ApiError;
use crate::expr::{Condition, KeyConditionExpr, Placeholders};
use crate::wire::decode::common::{
    front_checks, read_projection, return_capacity, ExprParams, FrontCheck,
};
use crate::wire::legacy;
use crate::wire::params::Params;

/// Limit, its bounds checked by the front checks.
fn limit(p: &Params) -> Result<Option<usize>, ApiError> {
    Ok(p.int("Limit")?.map(|l| l as usize))
}

/// The projection member a request used, as AWS names it in Select errors.
fn projection_member(p: &Params) -> &'static str {
    if p.has("ProjectionExpression") {
        "ProjectionExpression"
    } else {
        "AttributesToGet"
    }
}

/// What Query and Scan share: Select, ConsistentRead, ReturnConsumedCapacity, the filter
/// and the projection (the caller parses the key condition first).
fn read_options(
    p: &Params,
    ctx: &mut Placeholders<'_>,
    query: bool,
    limit: Option<usize>,
) -> Result<Read, ApiError> {
    let filter_param = if query { "QueryFilter" } else { "ScanFilter" };
    let mut lists = vec![
        ("AttributesToGet", "ProjectionExpression"),
        (filter_param, "FilterExpression"),
    ];
    if query {
        lists.push(("KeyConditions", "KeyConditionExpression"));
    }
    legacy::check_mixing(p, &lists)?;
    let select = match p.str("Select")? {
        None => None,
        Some("ALL_ATTRIBUTES") => Some(Select::All),
        Some("ALL_PROJECTED_ATTRIBUTES") => Some(Select::Projected),
        Some("SPECIFIC_ATTRIBUTES") => Some(Select::Specific),
        Some("COUNT") => Some(Select::Count),
        // The front checks refused any other value.
        Some(other) => {
            return Err(ApiError::internal(format!(
                "Select {other} passed the front checks"
            )))
        }
    };
    let consistent = p.bool("ConsistentRead")?.unwrap_or(false);
    let capacity = return_capacity(p)?;
    let filter = match (p.str("FilterExpression")?, query) {
        (Some(f), _) => Some(Condition::parse_filter(f, ctx)?),
        (None, true) if p.has("QueryFilter") || p.has("ConditionalOperator") => {
            Some(legacy::query_filter(p)?)
        }
        (None, false) if p.has("ScanFilter") || p.has("ConditionalOperator") => {
            Some(legacy::scan_filter(p)?)
        }
        _ => None,
    };
    let projection = read_projection(p, ctx)?;
    let select = match (select, &projection) {
        (Some(Select::Specific), None) => {
            return Err(ApiError::validation(
                "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
            ))
        }
        // AWS names the member the request used.
        (Some(Select::Count), Some(_)) => {
            return Err(ApiError::validation(format!(
                "Cannot specify the {} when choosing to get only the Count",
                projection_member(p)
            )))
        }
        (Some(Select::All), Some(_)) => {
            return Err(ApiError::validation(format!(
                "Cannot specify the {} when choosing to get ALL_ATTRIBUTES",
                projection_member(p)
            )))
        }
        (Some(Select::Projected), Some(_)) => {
            return Err(ApiError::validation(format!(
                "Cannot specify the {} when choosing to get ALL_PROJECTED_ATTRIBUTES",
                projection_member(p)
            )))
        }
        (Some(Select::Projected), _) if !p.has("IndexName") => {
            return Err(ApiError::validation(
                "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
            ))
        }
        (Some(s), _) => s,
        (None, Some(_)) => Select::Specific,
        // On an index, DynamoDB defaults to the projected attributes.
        (None, None) if p.has("IndexName") => Select::Projected,
        (None, None) => Select::All,
    };
    Ok(Read {
        index: None,
        filter,
        filter_expression: p.has("FilterExpression"),
        projection,
        select,
        consistent,
        capacity,
        limit,
        start_key: None,
    })
}

/// IndexName (its constraints checked by the front checks) and ExclusiveStartKey, read once
/// every expression is.
fn finish(p: &Params, read: &mut Read) -> Result<(), ApiError> {
    read.index = p.str("IndexName")?.map(str::to_owned);
    read.start_key = p.item("ExclusiveStartKey")?;
    Ok(())
}

/// Segment and TotalSegments of a parallel scan (their bounds checked by the front checks):
/// given together, Segment below TotalSegments.
fn segments(p: &Params) -> Result<Option<Segment>, ApiError> {
    let (seg, total) = (p.int("Segment")?, p.int("TotalSegments")?);
    match (seg, total) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(ApiError::validation(
            "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
        )),
        (None, Some(_)) => Err(ApiError::validation(
            "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
        )),
        (Some(s), Some(t)) if s >= t => Err(ApiError::validation(format!(
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
        ))),
        (Some(s), Some(t)) => Ok(Some(Segment {
            segment: s as u32,
            total: t as u32,
        })),
    }
}

pub fn scan(p: &Params) -> Result<(String, Scan), ApiError> {
    use FrontCheck::*;
    // dynalite test/scan.js (recorded against AWS) lists them in this order.
    let table = front_checks(
        p,
        &[
            Limit,
            TotalSegments,
            ReturnConsumedCapacity,
            AttributesToGet,
            Select,
            TableName,
            Segment,
            IndexName,
            ConditionalOperator,
        ],
    )?;
    let limit = limit(p)?;
    let segment = segments(p)?;
    let xp = ExprParams::from(p)?;
    let mut ctx = xp.context();
    let mut read = read_options(p, &mut ctx, false, limit)?;
    xp.check_used(&ctx, p)?;
    finish(p, &mut read)?;
    Ok((table, Scan { read, segment }))
}

pub fn query(p: &Params) -> Result<(String, Query), ApiError> {
    use FrontCheck::*;
    // dynalite test/query.js (recorded against AWS) lists them in this order.
    let table = front_checks(
        p,
        &[
            Limit,
            ReturnConsumedCapacity,
            AttributesToGet,
            Select,
            TableName,
            IndexName,
            ConditionalOperator,
        ],
    )?;
    let limit = limit(p)?;
    let forward = p.bool("ScanIndexForward")?.unwrap_or(true);
    let xp = ExprParams::from(p)?;
    let mut ctx = xp.context();
    let parsed = match p.str("KeyConditionExpression")? {
        Some(kce) => Some(KeyConditionExpr::parse(kce, &mut ctx)?),
        None if p.has("KeyConditions") => None,
        None => {
            return Err(ApiError::validation(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
            ))
        }
    };
    let mut read = read_options(p, &mut ctx, true, limit)?;
    xp.check_used(&ctx, p)?;
    // Legacy KeyConditions are checked on their own before the key schema is known.
    let key_condition = match parsed {
        Some(k) => KeyConditionSpec::Expression(k),
        None => KeyConditionSpec::Legacy(legacy::key_conditions(p)?),
    };
    finish(p, &mut read)?;
    Ok((
        table,
        Query {
            read,
            key_condition,
            forward,
        },
    ))
}
