//! PutItem, UpdateItem, DeleteItem and GetItem: read the current item, check the condition,
//! compute the new item, commit one log record if anything changed, answer.

use extenddo_log::value::item_size;
use extenddo_log::{Event, Item, Sql};
use extenddo_projections::schema::IndexKind;
use extenddo_projections::{items, TableSchema};

use crate::api::capacity::{CollectionMetrics, ReadSource};
use crate::api::command::{DeleteItem, GetItem, PutItem, ReturnValues, UpdateItem, WriteOptions};
use crate::api::reply::{GetOutput, TableReply, WriteOutput};
use crate::error::{ApiError, Error, ErrorKind};
use crate::table::capacity;
use crate::table::keys;
use crate::table::log::{Ctx, Log};

/// Fails a write whose condition does not hold on `old` (the item before the write).
pub(crate) fn check_condition(opts: &WriteOptions, old: Option<&Item>) -> Result<(), ApiError> {
    let Some(cond) = &opts.condition else {
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
    if opts.old_on_failure {
        e.item = old.cloned();
    }
    Err(e)
}

/// The log event of a change from `old` to `new` (either may be absent), if it changes
/// anything.
pub(crate) fn change_event(old: Option<Item>, new: Option<Item>) -> Option<Event> {
    match (old, new) {
        (old, Some(new)) if old.as_ref() != Some(&new) => Some(Event::ItemPut { old, new }),
        (Some(old), None) => Some(Event::ItemDeleted { old }),
        _ => None,
    }
}

/// Commits the change from `old` to `new` unless it changes nothing.
fn commit_change(
    cx: &Ctx,
    log: &mut Log,
    old: Option<Item>,
    new: Option<Item>,
) -> Result<(), Error> {
    match change_event(old, new) {
        Some(event) => log.commit(cx.sql, cx.now_ms, event),
        None => Ok(()),
    }
}

/// The ItemCollectionMetrics of the item collection keyed `pk`, when asked for and the table
/// has local indexes (only they make item collections).
pub(crate) fn collection_metric(
    sql: &dyn Sql,
    s: &TableSchema,
    asked: bool,
    pk: &[u8],
) -> Result<Option<CollectionMetrics>, Error> {
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
    Ok(Some(CollectionMetrics {
        key,
        size_gb: (gb.floor(), gb.floor() + 1.0),
    }))
}

/// The reply of a single-item write, after its commit.
fn written(
    cx: &Ctx,
    log: &Log,
    opts: &WriteOptions,
    attributes: Option<Item>,
    consumed: crate::api::capacity::Consumed,
    pk: &[u8],
) -> Result<TableReply, Error> {
    let s = log.live()?;
    Ok(TableReply::Write(Box::new(WriteOutput {
        attributes,
        consumed: opts.capacity.consumed(&s.name, &consumed),
        metrics: collection_metric(cx.sql, s, opts.metrics, pk)?,
    })))
}

pub(crate) fn put(cx: &Ctx, log: &mut Log, c: PutItem) -> Result<TableReply, Error> {
    let PutItem {
        item,
        return_values,
        options,
    } = c;
    let s = log.live()?;
    let (pk, sk) = keys::item_key(&s.key, &item)?;
    keys::check_index_keys(s, &item)?;
    keys::check_item_size(&item)?;
    log.check_unlocked(cx.sql, &(pk.clone(), sk.clone()))?;
    let old = items::get(cx.sql, &pk, &sk)?;
    check_condition(&options, old.as_ref())?;
    let attributes = match return_values {
        ReturnValues::AllOld => old.clone(),
        _ => None,
    };
    let consumed = capacity::write_consumed(s, old.as_ref(), Some(&item));
    commit_change(cx, log, old, Some(item))?;
    written(cx, log, &options, attributes, consumed, &pk)
}

pub(crate) fn delete(cx: &Ctx, log: &mut Log, c: DeleteItem) -> Result<TableReply, Error> {
    let DeleteItem {
        key,
        return_values,
        options,
    } = c;
    let s = log.live()?;
    let (pk, sk) = keys::key_member(&s.key, &key)?;
    log.check_unlocked(cx.sql, &(pk.clone(), sk.clone()))?;
    let old = items::get(cx.sql, &pk, &sk)?;
    check_condition(&options, old.as_ref())?;
    let attributes = match return_values {
        ReturnValues::AllOld => old.clone(),
        _ => None,
    };
    let consumed = capacity::write_consumed(s, old.as_ref(), None);
    commit_change(cx, log, old, None)?;
    written(cx, log, &options, attributes, consumed, &pk)
}

pub(crate) fn update(cx: &Ctx, log: &mut Log, c: UpdateItem) -> Result<TableReply, Error> {
    let UpdateItem {
        key,
        update,
        return_values,
        options,
    } = c;
    let s = log.live()?;
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
            ))
            .into());
        }
    }
    log.check_unlocked(cx.sql, &(pk.clone(), sk.clone()))?;
    let old = items::get(cx.sql, &pk, &sk)?;
    check_condition(&options, old.as_ref())?;
    let new = match (&old, &update) {
        // Removing from a missing item leaves nothing to create.
        (None, Some(u)) if u.only_removes() => None,
        // An update of a missing item starts from its key (upsert).
        _ => {
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
                )
                .into());
            }
            Some(new)
        }
    };
    let attributes = match return_values {
        ReturnValues::None => None,
        ReturnValues::AllOld => old.clone(),
        ReturnValues::AllNew => new.clone(),
        ReturnValues::UpdatedOld => old
            .as_ref()
            .zip(update.as_ref())
            .map(|(o, u)| u.project_updated(o)),
        ReturnValues::UpdatedNew => new
            .as_ref()
            .zip(update.as_ref())
            .map(|(n, u)| u.project_updated(n)),
    };
    let consumed = capacity::write_consumed(s, old.as_ref(), new.as_ref());
    commit_change(cx, log, old, new)?;
    written(cx, log, &options, attributes, consumed, &pk)
}

pub(crate) fn get(cx: &Ctx, s: &TableSchema, c: GetItem) -> Result<TableReply, Error> {
    let (pk, sk) = keys::key_member(&s.key, &c.key)?;
    let item = items::get(cx.sql, &pk, &sk)?;
    let size = item.as_ref().map_or(0, item_size);
    let item = match (&c.projection, item) {
        (Some(pr), Some(item)) => Some(pr.apply(&item)),
        (None, item) => item,
        (Some(_), None) => None,
    };
    Ok(TableReply::Item(Box::new(GetOutput {
        item,
        consumed: c.capacity.read(
            &s.name,
            capacity::read_units(size, c.consistent),
            ReadSource::Table,
        ),
    })))
}
