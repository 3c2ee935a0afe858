//! One table's share of BatchGetItem and BatchWriteItem. Every write is its own log record,
//! exactly as if it had come as a single PutItem or DeleteItem.

use std::collections::HashSet;

use extenddo_log::value::item_size;
use extenddo_log::{Event, Sql};
use extenddo_projections::items;
use serde_json::{Map, Value};

use super::items::{collection_metric, read_projection};
use super::{schema, ExprParams};
use crate::capacity::{self, Consumed, ReturnCapacity};
use crate::error::ApiError;
use crate::keys;
use crate::legacy;
use crate::table::TableObject;
use crate::table_def;
use crate::wire::{decode_item, encode_item, Params};

fn duplicates() -> ApiError {
    ApiError::validation("Provided list of item keys contains duplicates")
}

pub(super) fn get(
    t: &TableObject,
    sql: &dyn Sql,
    p: &Params,
    budget: Option<u64>,
) -> Result<Value, ApiError> {
    let table = table_def::table_name(p)?;
    legacy::check_mixing(p, &[("AttributesToGet", "ProjectionExpression")])?;
    let consistent = p.bool("ConsistentRead")?.unwrap_or(false);
    let capacity = ReturnCapacity::from(p)?;
    let xp = ExprParams::from(p)?;
    let mut ctx = xp.context();
    let projection = read_projection(p, &mut ctx)?;
    xp.check_used(&ctx, p)?;
    let raw_keys = p.array("Keys")?.cloned().unwrap_or_default();
    let decoded = raw_keys
        .iter()
        .map(decode_item)
        .collect::<Result<Vec<_>, _>>()?;
    let s = schema(t)?;
    let mut seen = HashSet::new();
    let mut encoded = Vec::with_capacity(decoded.len());
    for k in &decoded {
        let key = keys::key_member(&s.key, k)?;
        if !seen.insert(key.clone()) {
            return Err(duplicates());
        }
        encoded.push(key);
    }
    let mut found = Vec::new();
    let mut units = 0.0;
    let (mut bytes, budget) = (0u64, budget.unwrap_or(u64::MAX));
    let mut unprocessed = Vec::new();
    for (i, (pk, sk)) in encoded.iter().enumerate() {
        if bytes >= budget {
            unprocessed.push(raw_keys[i].clone());
            continue;
        }
        let item = items::get(sql, pk, sk)?;
        let size = item.as_ref().map_or(0, item_size);
        if bytes + size as u64 > budget {
            // Past the response limit: this key and the rest are retried by the client.
            unprocessed.push(raw_keys[i].clone());
            bytes = budget;
            continue;
        }
        bytes += size as u64;
        units += capacity::read_units(size, consistent);
        if let Some(item) = item {
            found.push(encode_item(&match &projection {
                Some(pr) => pr.apply(&item),
                None => item,
            }));
        }
    }
    let mut out = Map::new();
    out.insert("Items".into(), Value::Array(found));
    out.insert(
        crate::batch::RESPONSE_BYTES.into(),
        Value::from(bytes.min(budget)),
    );
    if !unprocessed.is_empty() {
        // The retry carries the table's read options with the keys, as AWS returns them.
        let mut again = Map::new();
        again.insert("Keys".into(), Value::Array(unprocessed));
        for member in [
            "ProjectionExpression",
            "ExpressionAttributeNames",
            "ConsistentRead",
            "AttributesToGet",
        ] {
            if let Some(v) = p.raw(member) {
                again.insert(member.into(), v.clone());
            }
        }
        out.insert("UnprocessedKeys".into(), Value::Object(again));
    }
    if let Some(c) = capacity.render(&table, units) {
        out.insert("ConsumedCapacity".into(), c);
    }
    Ok(Value::Object(out))
}

enum Write {
    Put(extenddo_log::Item, keys::EncodedKey),
    Delete(keys::EncodedKey),
}

pub(super) fn write(
    t: &mut TableObject,
    sql: &dyn Sql,
    p: &Params,
    dry_run: bool,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let table = table_def::table_name(p)?;
    let capacity = ReturnCapacity::from(p)?;
    let metrics_asked = capacity::item_collection_metrics(p)?;
    let requests = p.array("Requests")?.cloned().unwrap_or_default();
    let mut parsed = Vec::with_capacity(requests.len());
    for r in &requests {
        let r = Params::new(r)?;
        match (r.object("PutRequest")?, r.object("DeleteRequest")?) {
            (Some(_), None) => {
                let put = Params::new(r.raw("PutRequest").unwrap_or(&Value::Null))?;
                // BatchWriteItem refuses a too deep item without the validation envelope.
                let item = put.item("Item").map_err(|mut e| {
                    if e.message.as_deref() == Some(crate::wire::NESTING_ERROR) {
                        e.message = Some(
                            crate::wire::NESTING_ERROR["1 validation error detected: ".len()..]
                                .to_owned(),
                        );
                    }
                    e
                })?;
                parsed.push((true, item.unwrap_or_default()));
            }
            (None, Some(_)) => {
                let del = Params::new(r.raw("DeleteRequest").unwrap_or(&Value::Null))?;
                parsed.push((false, del.item("Key")?.unwrap_or_default()));
            }
            _ => {
                return Err(ApiError::validation(
                    "Supplied WriteRequest must contain exactly one of PutRequest or DeleteRequest",
                ))
            }
        }
    }
    let s = schema(t)?;
    let mut seen = HashSet::new();
    let mut writes = Vec::with_capacity(parsed.len());
    for (is_put, item) in parsed {
        let w = if is_put {
            // BatchWriteItem reports a missing or mistyped key attribute of a PutRequest as
            // a schema mismatch, not with PutItem's wording.
            let key_ok = std::iter::once(&s.key.hash)
                .chain(s.key.range.as_ref())
                .all(|a| {
                    item.get(&a.name)
                        .is_some_and(|v| v.type_name() == a.ty.as_str())
                });
            if !key_ok {
                return Err(ApiError::validation(
                    "The provided key element does not match the schema",
                ));
            }
            let key = keys::item_key(&s.key, &item)?;
            keys::check_index_keys(s, &item)?;
            keys::check_item_size(&item)?;
            Write::Put(item, key)
        } else {
            Write::Delete(keys::key_member(&s.key, &item)?)
        };
        let key = match &w {
            Write::Put(_, k) | Write::Delete(k) => k.clone(),
        };
        if !seen.insert(key) {
            return Err(duplicates());
        }
        writes.push(w);
    }
    let mut out = Map::new();
    if dry_run {
        return Ok(Value::Object(out));
    }
    let mut consumed = Consumed::default();
    let mut metrics = Vec::new();
    for w in writes {
        let ((pk, sk), new) = match w {
            Write::Put(item, key) => (key, Some(item)),
            Write::Delete(key) => (key, None),
        };
        let old = items::get(sql, &pk, &sk)?;
        consumed.add(capacity::write_consumed(
            schema(t)?,
            old.as_ref(),
            new.as_ref(),
        ));
        let event = match (old, new) {
            (old, Some(new)) if old.as_ref() != Some(&new) => Some(Event::ItemPut { old, new }),
            (Some(old), None) => Some(Event::ItemDeleted { old }),
            _ => None,
        };
        if let Some(event) = event {
            t.commit(sql, now_ms, event)?;
        }
        if let Some(m) = collection_metric(sql, schema(t)?, metrics_asked, &pk)? {
            metrics.push(m);
        }
    }
    if let Some(c) = capacity.render_consumed(&table, &consumed) {
        out.insert("ConsumedCapacity".into(), c);
    }
    if !metrics.is_empty() {
        out.insert("ItemCollectionMetrics".into(), Value::Array(metrics));
    }
    Ok(Value::Object(out))
}
