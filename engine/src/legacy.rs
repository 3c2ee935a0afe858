//! DynamoDB's legacy (pre-expression) parameters: Expected + ConditionalOperator,
//! AttributesToGet, KeyConditions, QueryFilter, ScanFilter and AttributeUpdates. Each is
//! translated into the same expression trees the expression parameters produce, so there is
//! one evaluator.

use crate::error::ApiError;
use crate::expr::{Condition, KeyCondition, Projection, UpdateExpr};
use crate::wire::Params;

const LEGACY: [&str; 7] = [
    "AttributesToGet",
    "AttributeUpdates",
    "ConditionalOperator",
    "Expected",
    "KeyConditions",
    "QueryFilter",
    "ScanFilter",
];
const EXPRESSIONS: [&str; 5] = [
    "ConditionExpression",
    "FilterExpression",
    "KeyConditionExpression",
    "ProjectionExpression",
    "UpdateExpression",
];

/// AWS refuses a request that mixes legacy and expression parameters.
pub fn check_mixing(p: &Params, _pairs: &[(&str, &str)]) -> Result<(), ApiError> {
    let legacy: Vec<&str> = LEGACY.iter().copied().filter(|k| p.has(k)).collect();
    let expressions: Vec<&str> = EXPRESSIONS.iter().copied().filter(|k| p.has(k)).collect();
    if legacy.is_empty() || expressions.is_empty() {
        return Ok(());
    }
    Err(ApiError::validation(format!(
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
        legacy.join(", "),
        expressions.join(", ")
    )))
}

fn unsupported(what: &str) -> ApiError {
    ApiError::validation(format!(
        "{what} is not supported by this server yet; use expressions"
    ))
}

pub fn expected(_p: &Params) -> Result<Condition, ApiError> {
    Err(unsupported("Expected"))
}

pub fn attribute_updates(_p: &Params) -> Result<UpdateExpr, ApiError> {
    Err(unsupported("AttributeUpdates"))
}

pub fn attributes_to_get(_p: &Params) -> Result<Projection, ApiError> {
    Err(unsupported("AttributesToGet"))
}

pub fn query_filter(_p: &Params) -> Result<Condition, ApiError> {
    Err(unsupported("QueryFilter"))
}

pub fn scan_filter(_p: &Params) -> Result<Condition, ApiError> {
    Err(unsupported("ScanFilter"))
}

pub fn key_conditions(
    _p: &Params,
    _hash: &str,
    _range: Option<&str>,
) -> Result<KeyCondition, ApiError> {
    Err(unsupported("KeyConditions"))
}
