//! Every table-object operation: parse and validate the request, read projections, decide,
//! commit, respond.

mod batch;
mod items;
mod read;
mod tables;

use std::collections::HashMap;

use extenddo_log::{AttributeValue, Sql};
use extenddo_projections::TableSchema;
use serde_json::Value;

use crate::error::ApiError;
use crate::expr::Placeholders;
use crate::op::{Op, TableRequest};
use crate::table::TableObject;
use crate::wire::Params;

pub(crate) fn run(
    t: &mut TableObject,
    sql: &dyn Sql,
    req: TableRequest,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let p = Params::new(&req.body)?;
    match req.op {
        Op::CreateTable => tables::create(t, sql, &p, req.table_id, now_ms),
        Op::DescribeTable => tables::describe(t, sql, &p),
        Op::UpdateTable => tables::update(t, sql, &p, now_ms),
        Op::DeleteTable => tables::delete(t, sql, &p, now_ms),
        Op::PutItem => items::put(t, sql, &p, now_ms),
        Op::UpdateItem => items::update(t, sql, &p, now_ms),
        Op::GetItem => items::get(t, sql, &p),
        Op::DeleteItem => items::delete(t, sql, &p, now_ms),
        Op::Query => read::query(t, sql, &p),
        Op::Scan => read::scan(t, sql, &p),
        Op::BatchGetTable => batch::get(t, sql, &p, req.budget),
        Op::BatchWriteTable => batch::write(t, sql, &p, req.dry_run, now_ms),
        Op::UpdateTimeToLive => crate::ttl::update(t, sql, &p, now_ms),
        Op::DescribeTimeToLive => crate::ttl::describe(t, &p),
        Op::ListStreams => crate::streams::list_streams(t, &p, now_ms),
        Op::DescribeStream => crate::streams::describe_stream(t, &p, now_ms),
        Op::GetShardIterator => crate::streams::get_shard_iterator(t, sql, &p, now_ms),
        Op::GetRecords => crate::streams::get_records(t, sql, &p, now_ms),
        Op::ListTables
        | Op::BatchGetItem
        | Op::BatchWriteItem
        | Op::DescribeLimits
        | Op::DescribeEndpoints => Err(ApiError::internal(format!(
            "{:?} sent to a table object",
            req.op
        ))),
    }
}

/// The table's schema, or the not-found error data-plane operations give.
pub(crate) fn schema(t: &TableObject) -> Result<&TableSchema, ApiError> {
    t.schema.as_ref().ok_or_else(ApiError::not_found)
}

/// A request's ExpressionAttributeNames and ExpressionAttributeValues, decoded.
pub(crate) struct ExprParams {
    pub names: Option<HashMap<String, String>>,
    pub values: Option<HashMap<String, AttributeValue>>,
}

impl ExprParams {
    pub fn from(p: &Params) -> Result<ExprParams, ApiError> {
        let names = p.string_map("ExpressionAttributeNames")?;
        // AWS names the placeholder whose value is invalid.
        let values = p
            .object("ExpressionAttributeValues")?
            .map(|m| {
                m.iter()
                    .map(|(k, v)| match crate::wire::decode_value(v) {
                        Ok(av) => Ok((k.clone(), av)),
                        // Errors of AWS's request-level validator ("N validation error(s)
                        // detected: …", e.g. nesting depth) come unwrapped.
                        Err(e)
                            if e.kind == crate::error::ErrorKind::Validation
                                && !e
                                    .message
                                    .as_deref()
                                    .is_some_and(|m| m.contains(" validation error")) =>
                        {
                            Err(ApiError::validation(format!(
                                "ExpressionAttributeValues contains invalid value: {} for key {k}",
                                e.message.unwrap_or_default()
                            )))
                        }
                        Err(e) => Err(e),
                    })
                    .collect::<Result<HashMap<_, _>, ApiError>>()
            })
            .transpose()?;
        if names.as_ref().is_some_and(|n| n.is_empty()) {
            return Err(ApiError::validation(
                "ExpressionAttributeNames must not be empty",
            ));
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
        const EXPRESSIONS: [&str; 5] = [
            "ConditionExpression",
            "FilterExpression",
            "KeyConditionExpression",
            "ProjectionExpression",
            "UpdateExpression",
        ];
        if !EXPRESSIONS.iter().any(|e| p.has(e)) {
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

/// Checks a ReturnValues member against the values an operation allows.
pub(crate) fn return_values(p: &Params, allowed: &[&str], err: &str) -> Result<String, ApiError> {
    let rv = p.str("ReturnValues")?.unwrap_or("NONE");
    const ALL: [&str; 5] = ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"];
    if !ALL.contains(&rv) {
        let mut c = crate::wire::Constraints::default();
        c.fail(
            Some(rv),
            "returnValues",
            "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
        );
        c.check()?;
    }
    if !allowed.contains(&rv) {
        return Err(ApiError::validation(err));
    }
    Ok(rv.to_owned())
}
