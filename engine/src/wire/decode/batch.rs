//! BatchGetItem and BatchWriteItem: the request as a whole, then each table's share, before
//! any schema is known.

use serde_json::{Map, Value};

use crate::api::command::{BatchGet, BatchWrite, WriteRequest};
use crate::error::ApiError;
use crate::wire::decode::common::{
    check_table_name, item_collection_metrics, read_projection, return_capacity, ExprParams,
};
use crate::wire::legacy;
use crate::wire::params::{Constraints, Params};
use crate::wire::value::{decode_item, decode_item_checked, ValueError, NESTING_DETAIL};

pub const MAX_GET_KEYS: usize = 100;
pub const MAX_WRITE_REQUESTS: usize = 25;
/// A BatchGetItem response holds at most this many bytes of items; the keys past it are
/// returned as UnprocessedKeys.
pub const MAX_GET_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// One table's share of a BatchGetItem, with what the response needs to hand keys back for
/// a retry: the keys as the client sent them, and its read options.
#[derive(Debug, Clone)]
pub struct GetShare {
    pub table: String,
    pub command: BatchGet,
    pub raw_keys: Vec<Value>,
    /// ProjectionExpression, ExpressionAttributeNames, ConsistentRead, AttributesToGet.
    pub retry_options: Map<String, Value>,
}

/// RequestItems, checked as a whole: present, not empty, table names valid. `op` names the
/// operation in the message for an empty map.
fn request_items<'a>(p: &Params<'a>, op: &str) -> Result<&'a Map<String, Value>, ApiError> {
    let items = p.object("RequestItems")?;
    let mut c = Constraints::default();
    match items {
        None => c.fail(None, "requestItems", "Member must not be null"),
        Some(m) if m.is_empty() => {
            return Err(ApiError::validation(format!(
                "The requestItems parameter is required for {op}"
            )))
        }
        Some(m) => {
            for name in m.keys() {
                let mut names = Constraints::default();
                check_table_name(&mut names, Some(name), "requestItems");
                if names.check().is_err() {
                    c.fail(
                        Some(name),
                        "requestItems",
                        "Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]",
                    );
                }
            }
        }
    }
    c.check()?;
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    Ok(items.unwrap_or_else(|| EMPTY.get_or_init(Map::new)))
}

fn wrong_section(other: &Value) -> ApiError {
    ApiError::serialization(format!(
        "Unexpected value type in payload: {}",
        if other.is_array() {
            "an array"
        } else {
            "not a structure or list"
        }
    ))
}

/// A table's section with the request-wide members it inherits.
fn section_params(section: &Map<String, Value>, p: &Params) -> Map<String, Value> {
    let mut body = section.clone();
    for member in ["ReturnConsumedCapacity", "ReturnItemCollectionMetrics"] {
        if let Some(v) = p.raw(member) {
            body.insert(member.into(), v.clone());
        }
    }
    body
}

pub fn batch_get(p: &Params) -> Result<Vec<GetShare>, ApiError> {
    let items = request_items(p, "BatchGetItem")?;
    let mut total = 0;
    let mut shares = Vec::with_capacity(items.len());
    for (table, section) in items {
        let Value::Object(s) = section else {
            return Err(wrong_section(section));
        };
        let n = s.get("Keys").and_then(Value::as_array).map_or(0, Vec::len);
        if n == 0 {
            let mut c = Constraints::default();
            c.fail(
                Some("[]"),
                &format!("requestItems.{table}.member.keys"),
                "Member must have length greater than or equal to 1",
            );
            c.check()?;
        }
        if n > MAX_GET_KEYS {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value at 'RequestItems.{table}.member.Keys' failed to satisfy constraint: Member must have length less than or equal to {MAX_GET_KEYS}"
            )));
        }
        total += n;
        let body = Value::Object(section_params(s, p));
        shares.push((table.clone(), body));
    }
    if total > MAX_GET_KEYS {
        return Err(ApiError::validation(
            "Too many items requested for the BatchGetItem call",
        ));
    }
    shares
        .into_iter()
        .map(|(table, body)| get_share(table, &body))
        .collect()
}

fn get_share(table: String, body: &Value) -> Result<GetShare, ApiError> {
    let p = Params::new(body)?;
    legacy::check_mixing(&p, &[("AttributesToGet", "ProjectionExpression")])?;
    let consistent = p.bool("ConsistentRead")?.unwrap_or(false);
    let capacity = return_capacity(&p)?;
    let xp = ExprParams::from(&p)?;
    let mut ctx = xp.context();
    let projection = read_projection(&p, &mut ctx)?;
    xp.check_used(&ctx, &p)?;
    let raw_keys = p.array("Keys")?.cloned().unwrap_or_default();
    let keys = raw_keys
        .iter()
        .map(decode_item)
        .collect::<Result<Vec<_>, _>>()?;
    let mut retry_options = Map::new();
    for member in [
        "ProjectionExpression",
        "ExpressionAttributeNames",
        "ConsistentRead",
        "AttributesToGet",
    ] {
        if let Some(v) = p.raw(member) {
            retry_options.insert(member.into(), v.clone());
        }
    }
    Ok(GetShare {
        table,
        command: BatchGet {
            keys,
            projection,
            consistent,
            capacity,
            budget: MAX_GET_RESPONSE_BYTES,
        },
        raw_keys,
        retry_options,
    })
}

pub fn batch_write(p: &Params) -> Result<Vec<(String, BatchWrite)>, ApiError> {
    let items = request_items(p, "BatchWriteItem")?;
    let mut total = 0;
    let mut sections = Vec::with_capacity(items.len());
    for (table, section) in items {
        let Value::Array(requests) = section else {
            return Err(wrong_section(section));
        };
        if requests.is_empty() || requests.len() > MAX_WRITE_REQUESTS {
            // AWS prints the whole request map as its Java model's toString.
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
                crate::wire::dump::request_items(items)
            )));
        }
        total += requests.len();
        sections.push((table, requests));
    }
    if total > MAX_WRITE_REQUESTS {
        return Err(ApiError::validation(
            "Too many items requested for the BatchWriteItem call",
        ));
    }
    let capacity = return_capacity(p)?;
    let metrics = item_collection_metrics(p)?;
    sections
        .into_iter()
        .map(|(table, requests)| {
            let writes = requests
                .iter()
                .map(write_request)
                .collect::<Result<Vec<_>, _>>()?;
            Ok((
                table.clone(),
                BatchWrite {
                    writes,
                    capacity,
                    metrics,
                    dry_run: false,
                },
            ))
        })
        .collect()
}

fn write_request(r: &Value) -> Result<WriteRequest, ApiError> {
    let r = Params::new(r)?;
    match (r.object("PutRequest")?, r.object("DeleteRequest")?) {
        (Some(_), None) => {
            let put = Params::new(r.raw("PutRequest").unwrap_or(&Value::Null))?;
            // BatchWriteItem refuses a too deep item without the validation envelope.
            let item = match put.raw("Item").map(decode_item_checked).transpose() {
                Ok(item) => item,
                Err(ValueError::TooDeep) => return Err(ApiError::validation(NESTING_DETAIL)),
                Err(ValueError::Invalid(e)) => return Err(e),
            };
            Ok(WriteRequest::Put(item.unwrap_or_default()))
        }
        (None, Some(_)) => {
            let del = Params::new(r.raw("DeleteRequest").unwrap_or(&Value::Null))?;
            Ok(WriteRequest::Delete(del.item("Key")?.unwrap_or_default()))
        }
        _ => Err(ApiError::validation(
            "Supplied WriteRequest must contain exactly one of PutRequest or DeleteRequest",
        )),
    }
}
