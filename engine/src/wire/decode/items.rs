//! PutItem, UpdateItem, DeleteItem and GetItem: everything checked before the schema.

use crate::api::command::{DeleteItem, GetItem, PutItem, ReturnValues, UpdateItem, WriteOptions};
use crate::error::ApiError;
use crate::expr::UpdateExpr;
use crate::wire::decode::common::{
    front_checks, item_collection_metrics, read_projection, return_capacity, return_values,
    write_options, ExprParams, FrontCheck,
};
use crate::wire::legacy;
use crate::wire::params::Params;

/// What PutItem and DeleteItem share, validated in AWS's order: the table, the `Item` or
/// `Key`, ReturnValues (ALL_OLD or NONE) and the write options.
fn simple_write(
    p: &Params,
    member: &'static str,
    at: &'static str,
) -> Result<(String, extenddo_log::Item, ReturnValues, WriteOptions), ApiError> {
    use FrontCheck::*;
    // AWS's order for PutItem and DeleteItem (us-east-1, 2026-06 captures; dynalite
    // test/putItem.js).
    let table = front_checks(
        p,
        &[
            ReturnValues,
            ReturnConsumedCapacity,
            ReturnItemCollectionMetrics,
            ReturnValuesOnConditionCheckFailure,
            TableName,
            Required(member, at),
        ],
    )?;
    let subject = p.item(member)?.unwrap_or_default();
    legacy::check_mixing(p, &[("Expected", "ConditionExpression")])?;
    let rv = return_values(
        p,
        &["NONE", "ALL_OLD"],
        "ReturnValues can only be ALL_OLD or NONE",
    )?;
    let xp = ExprParams::from(p)?;
    let mut ctx = xp.context();
    let mut options = write_options(p, &mut ctx)?;
    xp.check_used(&ctx, p)?;
    options.metrics = item_collection_metrics(p)?;
    Ok((table, subject, rv, options))
}

pub fn put(p: &Params) -> Result<(String, PutItem), ApiError> {
    let (table, item, return_values, options) = simple_write(p, "Item", "item")?;
    Ok((
        table,
        PutItem {
            item,
            return_values,
            options,
        },
    ))
}

pub fn delete(p: &Params) -> Result<(String, DeleteItem), ApiError> {
    let (table, key, return_values, options) = simple_write(p, "Key", "key")?;
    Ok((
        table,
        DeleteItem {
            key,
            return_values,
            options,
        },
    ))
}

pub fn update(p: &Params) -> Result<(String, UpdateItem), ApiError> {
    use FrontCheck::*;
    let table = front_checks(
        p,
        &[
            ReturnConsumedCapacity,
            ReturnValues,
            ReturnItemCollectionMetrics,
            ReturnValuesOnConditionCheckFailure,
            TableName,
            Required("Key", "key"),
        ],
    )?;
    let key = p.item("Key")?.unwrap_or_default();
    legacy::check_mixing(
        p,
        &[
            ("Expected", "ConditionExpression"),
            ("AttributeUpdates", "UpdateExpression"),
        ],
    )?;
    let return_values = return_values(
        p,
        &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"],
        "",
    )?;
    let xp = ExprParams::from(p)?;
    if !p.has("UpdateExpression") && !p.has("ConditionExpression") {
        // UpdateItem names the expressions that are missing.
        for (member, given) in [
            ("ExpressionAttributeNames", xp.names.is_some()),
            ("ExpressionAttributeValues", xp.values.is_some()),
        ] {
            if given {
                return Err(ApiError::validation(format!(
                    "{member} can only be specified when using expressions: UpdateExpression and ConditionExpression are null"
                )));
            }
        }
    }
    let mut ctx = xp.context();
    let update = match (p.str("UpdateExpression")?, p.has("AttributeUpdates")) {
        (Some(u), _) => Some(UpdateExpr::parse(u, &mut ctx)?),
        (None, true) => Some(legacy::attribute_updates(p)?),
        (None, false) => None,
    };
    let mut options = write_options(p, &mut ctx)?;
    xp.check_used(&ctx, p)?;
    options.metrics = item_collection_metrics(p)?;
    Ok((
        table,
        UpdateItem {
            key,
            update,
            return_values,
            options,
        },
    ))
}

pub fn get(p: &Params) -> Result<(String, GetItem), ApiError> {
    use FrontCheck::*;
    let table = front_checks(
        p,
        &[ReturnConsumedCapacity, TableName, Required("Key", "key")],
    )?;
    let key = p.item("Key")?.unwrap_or_default();
    legacy::check_mixing(p, &[("AttributesToGet", "ProjectionExpression")])?;
    let consistent = p.bool("ConsistentRead")?.unwrap_or(false);
    let capacity = return_capacity(p)?;
    let xp = ExprParams::from(p)?;
    let mut ctx = xp.context();
    let projection = read_projection(p, &mut ctx)?;
    xp.check_used(&ctx, p)?;
    Ok((
        table,
        GetItem {
            key,
            projection,
            consistent,
            capacity,
        },
    ))
}
