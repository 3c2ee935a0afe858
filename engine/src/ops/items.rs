//! PutItem, UpdateItem, DeleteItem and GetItem: read the current item, check the condition,
//! compute the new item, commit one log record if anything changed, answer.

use extenddo_log::value::item_size;
use extenddo_log::{Event, Item, Sql};
use extenddo_projections::items;
use serde_json::{json, Map, Value};

use super::{return_values, schema, ExprParams};
use crate::capacity::{self, Consumed, ReturnCapacity};
use crate::error::{ApiError, ErrorKind};
use crate::expr::{Condition, Placeholders, Projection, UpdateExpr};
use crate::keys;
use crate::legacy;
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

/// The condition of a write: ConditionExpression, or the legacy Expected/ConditionalOperator.
pub(crate) fn write_condition(
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

/// Which of ReturnValuesOnConditionCheckFailure's values was asked for.
fn return_old_on_failure(p: &Params) -> Result<bool, ApiError> {
    match p.str("ReturnValuesOnConditionCheckFailure")? {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(other) => {
            let mut c = Constraints::default();
            c.fail(
                Some(other),
                "returnValuesOnConditionCheckFailure",
                "Member must satisfy enum value set: [ALL_OLD, NONE]",
            );
            c.check()?;
            Ok(false)
        }
    }
}

/// Everything a single-item write checks and returns besides the item itself.
struct WriteOptions {
    condition: Option<Condition>,
    old_on_failure: bool,
    capacity: ReturnCapacity,
}

impl WriteOptions {
    fn check(&self, old: Option<&Item>) -> Result<(), ApiError> {
        let Some(cond) = &self.condition else {
            return Ok(());
        };
        let empty = Item::new();
        if cond.eval(old.unwrap_or(&empty)) {
            return Ok(());
        }
        let mut e = ApiError::new(
            ErrorKind::ConditionalCheckFailed,
            "The conditional request failed",
        );
        if let (true, Some(old)) = (self.old_on_failure, old) {
            e.extra.insert("Item".into(), encode_item(old));
        }
        Err(e)
    }

    fn respond(&self, table: &str, mut out: Map<String, Value>, consumed: &Consumed) -> Value {
        if let Some(c) = self.capacity.render_consumed(table, consumed) {
            out.insert("ConsumedCapacity".into(), c);
        }
        Value::Object(out)
    }
}

fn write_options(p: &Params, ctx: &mut Placeholders<'_>) -> Result<WriteOptions, ApiError> {
    let condition = write_condition(p, ctx)?;
    Ok(WriteOptions {
        condition,
        old_on_failure: return_old_on_failure(p)?,
        capacity: ReturnCapacity::from(p)?,
    })
}

/// Commits the change from `old` to `new` (either may be absent) unless it changes nothing.
fn commit_change(
    t: &mut TableObject,
    sql: &dyn Sql,
    now_ms: i64,
    old: Option<Item>,
    new: Option<Item>,
) -> Result<(), ApiError> {
    let event = match (old, new) {
        (old, Some(new)) if old.as_ref() != Some(&new) => Event::ItemPut { old, new },
        (Some(old), None) => Event::ItemDeleted { old },
        _ => return Ok(()),
    };
    t.commit(sql, now_ms, event)
}

/// ItemCollectionMetrics for a write to a table with local indexes, when asked for.
fn collection_metrics(
    sql: &dyn Sql,
    s: &extenddo_projections::TableSchema,
    asked: bool,
    pk: &[u8],
    out: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    if let Some(m) = collection_metric(sql, s, asked, pk)? {
        out.insert("ItemCollectionMetrics".into(), m);
    }
    Ok(())
}

/// The ItemCollectionMetrics of the item collection keyed `pk`, when asked for and the table
/// has local indexes (only they make item collections).
pub(super) fn collection_metric(
    sql: &dyn Sql,
    s: &extenddo_projections::TableSchema,
    asked: bool,
    pk: &[u8],
) -> Result<Option<Value>, ApiError> {
    use extenddo_projections::schema::IndexKind;
    let locals: Vec<&str> = s
        .indexes
        .iter()
        .filter(|i| i.kind == IndexKind::Local)
        .map(|i| i.name.as_str())
        .collect();
    if !asked || locals.is_empty() {
        return Ok(None);
    }
    let bytes = extenddo_projections::indexes::collection_bytes(sql, pk, &locals)?;
    let gb = bytes as f64 / (1u64 << 30) as f64;
    // The collection key is the partition key, decoded from its stored form.
    let mut key = Item::new();
    if let Some(v) = extenddo_projections::keycode::decode(s.key.hash.ty, pk) {
        key.insert(s.key.hash.name.clone(), v);
    }
    Ok(Some(serde_json::json!({
        "ItemCollectionKey": encode_item(&key),
        "SizeEstimateRangeGB": [gb.floor(), gb.floor() + 1.0],
    })))
}

fn attributes(out: &mut Map<String, Value>, item: Option<&Item>) {
    if let Some(item) = item.filter(|i| !i.is_empty()) {
        out.insert("Attributes".into(), encode_item(item));
    }
}

/// What PutItem and DeleteItem share, validated in AWS's order: the table, the `Item` or
/// `Key`, ReturnValues (ALL_OLD or NONE) and the write options.
struct SimpleWrite {
    table: String,
    subject: Item,
    all_old: bool,
    opts: WriteOptions,
    metrics: bool,
}

fn simple_write(p: &Params, member: &str, at: &str) -> Result<SimpleWrite, ApiError> {
    let table = table_def::table_name(p)?;
    let subject = required_item(p, member, at)?;
    legacy::check_mixing(p, &[("Expected", "ConditionExpression")])?;
    let rv = return_values(
        p,
        &["NONE", "ALL_OLD"],
        "ReturnValues can only be ALL_OLD or NONE",
    )?;
    let xp = ExprParams::from(p)?;
    let mut ctx = xp.context();
    let opts = write_options(p, &mut ctx)?;
    xp.check_used(&ctx, p)?;
    let metrics = capacity::item_collection_metrics(p)?;
    Ok(SimpleWrite {
        table,
        subject,
        all_old: rv == "ALL_OLD",
        opts,
        metrics,
    })
}

pub(super) fn put(
    t: &mut TableObject,
    sql: &dyn Sql,
    p: &Params,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let SimpleWrite {
        table,
        subject: item,
        all_old,
        opts,
        metrics,
    } = simple_write(p, "Item", "item")?;
    let s = schema(t)?;
    let (pk, sk) = keys::item_key(&s.key, &item)?;
    keys::check_index_keys(s, &item)?;
    keys::check_item_size(&item)?;
    let old = items::get(sql, &pk, &sk)?;
    opts.check(old.as_ref())?;
    let mut out = Map::new();
    if all_old {
        attributes(&mut out, old.as_ref());
    }
    let consumed = capacity::write_consumed(s, old.as_ref(), Some(&item));
    commit_change(t, sql, now_ms, old, Some(item))?;
    collection_metrics(sql, schema(t)?, metrics, &pk, &mut out)?;
    Ok(opts.respond(&table, out, &consumed))
}

pub(super) fn update(
    t: &mut TableObject,
    sql: &dyn Sql,
    p: &Params,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let table = table_def::table_name(p)?;
    let key = required_item(p, "Key", "key")?;
    legacy::check_mixing(
        p,
        &[
            ("Expected", "ConditionExpression"),
            ("AttributeUpdates", "UpdateExpression"),
        ],
    )?;
    let rv = return_values(
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
    let opts = write_options(p, &mut ctx)?;
    xp.check_used(&ctx, p)?;
    let metrics = capacity::item_collection_metrics(p)?;
    let s = schema(t)?;
    let (pk, sk) = keys::key_member(&s.key, &key)?;
    if let Some(u) = &update {
        let key_attrs = keys::key_of(&s.key, &key);
        if let Some(attr) = u
            .top_level_attributes()
            .into_iter()
            .find(|a| key_attrs.contains_key(a))
        {
            return Err(ApiError::invalid_param(format!(
                "Cannot update attribute {attr}. This attribute is part of the key"
            )));
        }
    }
    let old = items::get(sql, &pk, &sk)?;
    opts.check(old.as_ref())?;
    // An update of a missing item starts from its key (upsert).
    let base = old.clone().unwrap_or_else(|| key.clone());
    let new = match &update {
        Some(u) => u.apply(&base)?,
        None => base,
    };
    keys::check_index_keys(s, &new)?;
    // UpdateItem words the size error its own way (AWS: ITEM_UPD_TOO_LARGE).
    if item_size(&new) > keys::MAX_ITEM_BYTES {
        return Err(ApiError::validation(
            "Item size to update has exceeded the maximum allowed size",
        ));
    }
    let mut out = Map::new();
    match rv.as_str() {
        "ALL_OLD" => attributes(&mut out, old.as_ref()),
        "ALL_NEW" => attributes(&mut out, Some(&new)),
        "UPDATED_OLD" => attributes(
            &mut out,
            old.as_ref()
                .zip(update.as_ref())
                .map(|(o, u)| u.project_updated(o))
                .as_ref(),
        ),
        "UPDATED_NEW" => attributes(
            &mut out,
            update.as_ref().map(|u| u.project_updated(&new)).as_ref(),
        ),
        _ => {}
    }
    let consumed = capacity::write_consumed(s, old.as_ref(), Some(&new));
    commit_change(t, sql, now_ms, old, Some(new))?;
    collection_metrics(sql, schema(t)?, metrics, &pk, &mut out)?;
    Ok(opts.respond(&table, out, &consumed))
}

pub(super) fn delete(
    t: &mut TableObject,
    sql: &dyn Sql,
    p: &Params,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let SimpleWrite {
        table,
        subject: key,
        all_old,
        opts,
        metrics,
    } = simple_write(p, "Key", "key")?;
    let s = schema(t)?;
    let (pk, sk) = keys::key_member(&s.key, &key)?;
    let old = items::get(sql, &pk, &sk)?;
    opts.check(old.as_ref())?;
    let mut out = Map::new();
    if all_old {
        attributes(&mut out, old.as_ref());
    }
    let consumed = capacity::write_consumed(s, old.as_ref(), None);
    commit_change(t, sql, now_ms, old, None)?;
    collection_metrics(sql, schema(t)?, metrics, &pk, &mut out)?;
    Ok(opts.respond(&table, out, &consumed))
}

/// ProjectionExpression, or the legacy AttributesToGet.
pub(crate) fn read_projection(
    p: &Params,
    ctx: &mut Placeholders<'_>,
) -> Result<Option<Projection>, ApiError> {
    match (p.str("ProjectionExpression")?, p.has("AttributesToGet")) {
        (Some(e), _) => Ok(Some(Projection::parse(e, ctx)?)),
        (None, true) => Ok(Some(legacy::attributes_to_get(p)?)),
        (None, false) => Ok(None),
    }
}

pub(super) fn get(t: &TableObject, sql: &dyn Sql, p: &Params) -> Result<Value, ApiError> {
    let table = table_def::table_name(p)?;
    let key = required_item(p, "Key", "key")?;
    legacy::check_mixing(p, &[("AttributesToGet", "ProjectionExpression")])?;
    let consistent = p.bool("ConsistentRead")?.unwrap_or(false);
    let capacity = ReturnCapacity::from(p)?;
    let xp = ExprParams::from(p)?;
    let mut ctx = xp.context();
    let projection = read_projection(p, &mut ctx)?;
    xp.check_used(&ctx, p)?;
    let s = schema(t)?;
    let (pk, sk) = keys::key_member(&s.key, &key)?;
    let item = items::get(sql, &pk, &sk)?;
    let size = item.as_ref().map_or(0, item_size);
    let mut out = Map::new();
    if let Some(item) = item {
        let item = match &projection {
            Some(pr) => pr.apply(&item),
            None => item,
        };
        out.insert("Item".into(), encode_item(&item));
    }
    if let Some(c) = capacity.render(&table, capacity::read_units(size, consistent)) {
        out.insert("ConsumedCapacity".into(), c);
    }
    Ok(json!(out))
}
