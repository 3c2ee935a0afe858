//! One table's share of BatchGetItem and BatchWriteItem. Every write is its own log record,
//! exactly as if it had come as a single PutItem or DeleteItem.

use std::collections::HashSet;

use extenddo_log::value::item_size;
use extenddo_projections::{items, TableSchema};

use crate::api::capacity::{Consumed, ReadSource};
use crate::api::command::{BatchGet, BatchWrite, WriteRequest};
use crate::api::reply::{BatchGetOutput, BatchWriteOutput, TableReply};
use crate::error::{ApiError, Error};
use crate::table::capacity;
use crate::table::keys;
use crate::table::log::{Ctx, Log};
use crate::table::ops::items::{change_event, collection_metric};

fn duplicates() -> ApiError {
    ApiError::validation("Provided list of item keys contains duplicates")
}

pub(crate) fn get(cx: &Ctx, s: &TableSchema, c: BatchGet) -> Result<TableReply, Error> {
    let mut seen = HashSet::new();
    let mut encoded = Vec::with_capacity(c.keys.len());
    for k in &c.keys {
        let key = keys::key_member(&s.key, k)?;
        if !seen.insert(key.clone()) {
            return Err(duplicates().into());
        }
        encoded.push(key);
    }
    let mut found = Vec::new();
    let mut units = 0.0;
    let (mut bytes, budget) = (0u64, c.budget);
    let mut unprocessed = Vec::new();
    for (i, (pk, sk)) in encoded.iter().enumerate() {
        if bytes >= budget {
            unprocessed.push(i);
            continue;
        }
        let item = items::get(cx.sql, pk, sk)?;
        let size = item.as_ref().map_or(0, item_size);
        if bytes + size as u64 > budget {
            // Past the response limit: this key and the rest are retried by the client.
            unprocessed.push(i);
            bytes = budget;
            continue;
        }
        bytes += size as u64;
        units += capacity::read_units(size, c.consistent);
        if let Some(item) = item {
            found.push(match &c.projection {
                Some(pr) => pr.apply(&item),
                None => item,
            });
        }
    }
    Ok(TableReply::BatchGet(Box::new(BatchGetOutput {
        items: found,
        unprocessed,
        bytes: bytes.min(budget),
        consumed: c.capacity.read(&s.name, units, ReadSource::Table),
    })))
}

enum Write {
    Put(extenddo_log::Item, keys::EncodedKey),
    Delete(keys::EncodedKey),
}

pub(crate) fn write(cx: &Ctx, log: &mut Log, c: BatchWrite) -> Result<TableReply, Error> {
    let s = log.live()?;
    let mut seen = HashSet::new();
    let mut writes = Vec::with_capacity(c.writes.len());
    for w in c.writes {
        let w = match w {
            WriteRequest::Put(item) => {
                // BatchWriteItem reports a missing or mistyped key attribute of a PutRequest
                // as a schema mismatch, not with PutItem's wording.
                let key_ok = std::iter::once(&s.key.hash)
                    .chain(s.key.range.as_ref())
                    .all(|a| {
                        item.get(&a.name)
                            .is_some_and(|v| v.type_name() == a.ty.as_str())
                    });
                if !key_ok {
                    return Err(ApiError::validation(
                        "The provided key element does not match the schema",
                    )
                    .into());
                }
                let key = keys::item_key(&s.key, &item)?;
                keys::check_index_keys(s, &item)?;
                keys::check_item_size(&item)?;
                Write::Put(item, key)
            }
            WriteRequest::Delete(key) => Write::Delete(keys::key_member(&s.key, &key)?),
        };
        let key = match &w {
            Write::Put(_, k) | Write::Delete(k) => k.clone(),
        };
        if !seen.insert(key) {
            return Err(duplicates().into());
        }
        writes.push(w);
    }
    if c.dry_run {
        return Ok(TableReply::Checked);
    }
    for w in &writes {
        let (Write::Put(_, key) | Write::Delete(key)) = w;
        log.check_unlocked(cx.sql, key)?;
    }
    let name = s.name.clone();
    let mut consumed = Consumed::default();
    let mut metrics = Vec::new();
    for w in writes {
        let ((pk, sk), new) = match w {
            Write::Put(item, key) => (key, Some(item)),
            Write::Delete(key) => (key, None),
        };
        let old = items::get(cx.sql, &pk, &sk)?;
        consumed.add(capacity::write_consumed(
            log.live()?,
            old.as_ref(),
            new.as_ref(),
        ));
        if let Some(event) = change_event(old, new) {
            log.commit(cx.sql, cx.now_ms, event)?;
        }
        if let Some(m) = collection_metric(cx.sql, log.live()?, c.metrics, &pk)? {
            metrics.push(m);
        }
    }
    Ok(TableReply::BatchWrite(Box::new(BatchWriteOutput {
        consumed: c.capacity.consumed(&name, &consumed),
        metrics,
    })))
}
