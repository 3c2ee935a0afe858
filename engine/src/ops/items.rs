//! PutItem, GetItem and DeleteItem.

use extenddo_log::{Event, Item, Sql};
use extenddo_projections::items;
use serde_json::{json, Map, Value};

use super::{return_values, schema};
use crate::error::ApiError;
use crate::keys;
use crate::table::TableObject;
use crate::table_def;
use crate::wire::{encode_item, Constraints, Params};

fn required_item(p: &Params, member: &str, at: &str) -> Result<Item, ApiError> {
    let item = p.item(member)?;
    let mut c = Constraints::default();
    if item.is_none() {
        c.fail(None, at, "Member must not be null");
    }
    c.check()?;
    Ok(item.unwrap_or_default())
}

fn with_attributes(old: Option<Item>, rv: &str) -> Value {
    let mut out = Map::new();
    if let (Some(old), "ALL_OLD") = (old, rv) {
        out.insert("Attributes".into(), encode_item(&old));
    }
    Value::Object(out)
}

pub(super) fn put(
    t: &mut TableObject,
    sql: &dyn Sql,
    p: &Params,
    now_ms: i64,
) -> Result<Value, ApiError> {
    table_def::table_name(p)?;
    let item = required_item(p, "Item", "item")?;
    let rv = return_values(
        p,
        &["NONE", "ALL_OLD"],
        "ReturnValues can only be ALL_OLD or NONE",
    )?;
    let s = schema(t)?;
    let (pk, sk) = keys::item_key(&s.key, &item)?;
    keys::check_item_size(&item)?;
    let old = items::get(sql, &pk, &sk)?;
    // A write that changes nothing is not a mutation: no log record, no stream record.
    if old.as_ref() != Some(&item) {
        t.commit(
            sql,
            now_ms,
            Event::ItemPut {
                old: old.clone(),
                new: item,
            },
        )?;
    }
    Ok(with_attributes(old, &rv))
}

pub(super) fn get(t: &TableObject, sql: &dyn Sql, p: &Params) -> Result<Value, ApiError> {
    table_def::table_name(p)?;
    let key = required_item(p, "Key", "key")?;
    p.bool("ConsistentRead")?;
    let s = schema(t)?;
    let (pk, sk) = keys::key_member(&s.key, &key)?;
    Ok(match items::get(sql, &pk, &sk)? {
        Some(item) => json!({ "Item": encode_item(&item) }),
        None => json!({}),
    })
}

pub(super) fn delete(
    t: &mut TableObject,
    sql: &dyn Sql,
    p: &Params,
    now_ms: i64,
) -> Result<Value, ApiError> {
    table_def::table_name(p)?;
    let key = required_item(p, "Key", "key")?;
    let rv = return_values(
        p,
        &["NONE", "ALL_OLD"],
        "ReturnValues can only be ALL_OLD or NONE",
    )?;
    let s = schema(t)?;
    let (pk, sk) = keys::key_member(&s.key, &key)?;
    let old = items::get(sql, &pk, &sk)?;
    if let Some(old) = &old {
        t.commit(sql, now_ms, Event::ItemDeleted { old: old.clone() })?;
    }
    Ok(with_attributes(old, &rv))
}
