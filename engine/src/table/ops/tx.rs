//! Transactions on one table.
//!
//! - `transact`: a TransactWriteItems whose actions are all on this table, decided here in one
//!   SQL transaction: `TxPrepared` (no coordinator), the writes as ordinary item events,
//!   `TxResolved { commit }` — all or nothing, and nothing logged if it is cancelled.
//! - `prepare` / `resolve`: this table's part of a transaction over several tables. Prepare
//!   checks every condition against the state before the transaction, stages the writes and
//!   locks the items (`TxPrepared`, durable); resolve logs the outcome (`TxResolved`) and, on
//!   commit, applies the staged writes as ordinary item events, so Streams, indexes and TTL
//!   see each written item once.
//! - `get`: this table's part of a TransactGetItems.
//!
//! An item locked by a prepared transaction refuses other transactions (reason
//! `TransactionConflict`) and plain writes (`TransactionConflictException`); reads of
//! committed state never wait.

use std::collections::HashSet;

use extenddo_log::event::TxToken;
use extenddo_log::value::item_size;
use extenddo_log::{Event, Item};
use extenddo_projections::{items, tx, TableSchema};

use crate::api::capacity::{Consumed, ReadSource};
use crate::api::command::{Transact, TxGet, TxKind, TxResolve};
use crate::api::coordinator::{mismatch, TOKEN_WINDOW_MS};
use crate::api::reply::{TableReply, TxReadOutput, TxVote};
use crate::error::{ApiError, CancellationReason, Error};
use crate::table::capacity;
use crate::table::keys::{self, EncodedKey};
use crate::table::log::{Ctx, Log};
use crate::table::ops::items::{change_event, collection_metric};

fn duplicate_item() -> ApiError {
    ApiError::validation("Transaction request cannot include multiple operations on one item")
}

fn reason(code: &str, message: impl Into<String>) -> CancellationReason {
    CancellationReason {
        code: code.into(),
        message: Some(message.into()),
        item: None,
    }
}

/// The token's verdict: `Ok(true)` if the same request was done under it (nothing to do),
/// `Ok(false)` if it is new, a mismatch if it came with another request.
fn check_token(cx: &Ctx, token: Option<&TxToken>) -> Result<bool, Error> {
    let Some(t) = token else {
        return Ok(false);
    };
    match tx::token(cx.sql, &t.token)? {
        Some((request, _, ts)) if ts > cx.now_ms - TOKEN_WINDOW_MS => {
            if request == t.request {
                Ok(true)
            } else {
                Err(mismatch().into())
            }
        }
        _ => Ok(false),
    }
}

/// A transaction's actions on this table, checked and evaluated against the current state.
struct Evaluated {
    reasons: Vec<(usize, CancellationReason)>,
    locks: Vec<Item>,
    /// (key item, encoded key, new image) per write.
    writes: Vec<(Item, EncodedKey, Option<Item>)>,
    consumed: Consumed,
    partitions: Vec<Vec<u8>>,
}

/// Every action checked against the schema first (a request error fails the whole request),
/// then against the state before the transaction (a failure cancels it, with a reason).
fn evaluate(cx: &Ctx, log: &Log, s: &TableSchema, c: &Transact) -> Result<Evaluated, Error> {
    // 1. The request, against the schema. A key of the wrong shape or type cancels the
    // transaction with a `ValidationError` reason (the first such action only, as AWS
    // reports it); the other problems fail the whole request.
    let mut keys_seen = HashSet::new();
    let mut encoded = Vec::with_capacity(c.actions.len());
    for a in &c.actions {
        let subject = a.kind.subject();
        keys::check_key_values(&s.key, subject)?;
        let key = match &a.kind {
            TxKind::Put(item) => keys::item_key(&s.key, item),
            _ => keys::key_member(&s.key, subject),
        };
        let key = match key {
            Ok(key) => key,
            Err(Error::Client(e)) => {
                let message = e.message.unwrap_or_default();
                return Ok(Evaluated {
                    reasons: vec![(a.index, reason("ValidationError", message))],
                    locks: Vec::new(),
                    writes: Vec::new(),
                    consumed: Consumed::default(),
                    partitions: Vec::new(),
                });
            }
            Err(e) => return Err(e),
        };
        let key_item = match &a.kind {
            TxKind::Put(item) => {
                keys::check_index_keys(s, item)?;
                keys::check_item_size(item)?;
                keys::key_of(&s.key, item)
            }
            TxKind::Update { key, update } => {
                let key_attrs = keys::key_of(&s.key, key);
                if let Some(attr) = update
                    .top_level_attributes()
                    .into_iter()
                    .find(|a| key_attrs.contains_key(a))
                {
                    return Err(ApiError::invalid_param(format!(
                        "Cannot update attribute {attr}. This attribute is part of the key"
                    ))
                    .into());
                }
                key.clone()
            }
            TxKind::Delete(key) | TxKind::ConditionCheck(key) => key.clone(),
        };
        if !keys_seen.insert(key.clone()) {
            return Err(duplicate_item().into());
        }
        encoded.push((key_item, key));
    }
    // 2. The state before the transaction.
    let mut out = Evaluated {
        reasons: Vec::new(),
        locks: Vec::with_capacity(c.actions.len()),
        writes: Vec::new(),
        consumed: Consumed::default(),
        partitions: Vec::new(),
    };
    for (a, (key_item, key)) in c.actions.iter().zip(encoded) {
        if log.has_locks() {
            if let Some(holder) = tx::lock_holder(cx.sql, &key.0, &key.1)? {
                if holder != c.txid {
                    out.reasons.push((
                        a.index,
                        reason("TransactionConflict", "Transaction is ongoing for the item"),
                    ));
                    continue;
                }
            }
        }
        let old = items::get(cx.sql, &key.0, &key.1)?;
        if let Some(cond) = &a.condition {
            let empty = Item::new();
            if !cond.eval(old.as_ref().unwrap_or(&empty)) {
                let mut r = reason("ConditionalCheckFailed", "The conditional request failed");
                if a.old_on_failure {
                    r.item = old.clone();
                }
                out.reasons.push((a.index, r));
                continue;
            }
        }
        let new = match &a.kind {
            TxKind::Put(item) => Some(item.clone()),
            TxKind::Delete(_) => None,
            TxKind::ConditionCheck(_) => {
                // Billed as a write of the item it reads; it writes nothing.
                let size = old.as_ref().map_or(0, item_size);
                out.consumed
                    .add(Consumed::table(capacity::write_units(size, 0)));
                out.locks.push(key_item);
                continue;
            }
            TxKind::Update { update, .. } if old.is_none() && update.only_removes() => None,
            TxKind::Update { update, .. } => {
                let base = old.clone().unwrap_or_else(|| key_item.clone());
                let new = match update.apply(&base) {
                    Ok(n) => n,
                    Err(e) => {
                        out.reasons
                            .push((a.index, reason("ValidationError", e.to_string())));
                        continue;
                    }
                };
                if let Err(e) = keys::check_index_keys(s, &new) {
                    let msg = e.message.unwrap_or_default();
                    out.reasons.push((a.index, reason("ValidationError", msg)));
                    continue;
                }
                if item_size(&new) > keys::MAX_ITEM_BYTES {
                    out.reasons.push((
                        a.index,
                        reason(
                            "ValidationError",
                            "Item size to update has exceeded the maximum allowed size",
                        ),
                    ));
                    continue;
                }
                Some(new)
            }
        };
        out.consumed
            .add(capacity::write_consumed(s, old.as_ref(), new.as_ref()));
        out.partitions.push(key.0.clone());
        out.locks.push(key_item.clone());
        out.writes.push((key_item, key, new));
    }
    // Transactional writes cost twice what plain ones do.
    out.consumed.table *= 2.0;
    for (_, u) in out
        .consumed
        .global
        .iter_mut()
        .chain(out.consumed.local.iter_mut())
    {
        *u *= 2.0;
    }
    Ok(out)
}

/// The answer of a table that went ahead: capacity and, with item collection metrics asked
/// for, the sizes of the collections written.
fn vote(cx: &Ctx, log: &Log, c: &Transact, ev: &Evaluated) -> Result<TxVote, Error> {
    let s = log.live()?;
    let mut metrics = Vec::new();
    let mut seen = HashSet::new();
    for pk in &ev.partitions {
        if seen.insert(pk.clone()) {
            if let Some(m) = collection_metric(cx.sql, s, c.metrics, pk)? {
                metrics.push(m);
            }
        }
    }
    Ok(TxVote {
        reasons: Vec::new(),
        duplicate: false,
        consumed: c.capacity.consumed(&s.name, &ev.consumed),
        metrics,
    })
}

/// Applies staged writes as ordinary item events.
fn apply_writes(
    cx: &Ctx,
    log: &mut Log,
    writes: Vec<(EncodedKey, Option<Item>)>,
) -> Result<(), Error> {
    for ((pk, sk), new) in writes {
        let old = items::get(cx.sql, &pk, &sk)?;
        if let Some(event) = change_event(old, new) {
            log.commit(cx.sql, cx.now_ms, event)?;
        }
    }
    Ok(())
}

/// A TransactWriteItems on this table alone, decided here.
pub(crate) fn transact(cx: &Ctx, log: &mut Log, c: Transact) -> Result<TableReply, Error> {
    let s = log.live()?.clone();
    if check_token(cx, c.token.as_ref())? {
        // AWS bills a replayed request as a transactional read of its items.
        let consumed = match get(cx, log, &s, TxGet::replay_of(&c.actions, c.capacity))? {
            TableReply::TxRead(r) => r.consumed,
            _ => None,
        };
        return Ok(TableReply::Transacted(Box::new(TxVote {
            duplicate: true,
            consumed,
            ..TxVote::default()
        })));
    }
    let ev = evaluate(cx, log, &s, &c)?;
    if !ev.reasons.is_empty() {
        return Ok(TableReply::Transacted(Box::new(TxVote {
            reasons: ev.reasons,
            ..TxVote::default()
        })));
    }
    // The writes follow as item events in this same SQL transaction: nothing is staged.
    log.commit(
        cx.sql,
        cx.now_ms,
        Event::TxPrepared {
            txid: c.txid.clone(),
            coordinator: None,
            token: c.token.clone(),
            locks: ev.locks.clone(),
            writes: Vec::new(),
        },
    )?;
    log.commit(
        cx.sql,
        cx.now_ms,
        Event::TxResolved {
            txid: c.txid.clone(),
            commit: true,
        },
    )?;
    let writes = ev
        .writes
        .iter()
        .map(|(_, k, n)| (k.clone(), n.clone()))
        .collect();
    apply_writes(cx, log, writes)?;
    // Collection sizes as they are after the writes.
    Ok(TableReply::Transacted(Box::new(vote(cx, log, &c, &ev)?)))
}

/// This table's part of a transaction over several tables.
pub(crate) fn prepare(cx: &Ctx, log: &mut Log, c: Transact) -> Result<TableReply, Error> {
    let s = log.live()?.clone();
    if tx::pending(cx.sql)?.iter().any(|p| p.0 == c.txid) {
        // A prepare delivered again: the first one stands.
        return Ok(TableReply::Transacted(Box::default()));
    }
    // The coordinator answers for the token of a transaction over several tables.
    let ev = evaluate(cx, log, &s, &c)?;
    if !ev.reasons.is_empty() {
        return Ok(TableReply::Transacted(Box::new(TxVote {
            reasons: ev.reasons,
            ..TxVote::default()
        })));
    }
    let v = vote(cx, log, &c, &ev)?;
    let mut chunks = staged_chunks(ev.writes.into_iter().map(|(k, _, n)| (k, n)).collect());
    let first = if chunks.is_empty() {
        Vec::new()
    } else {
        chunks.remove(0)
    };
    log.commit(
        cx.sql,
        cx.now_ms,
        Event::TxPrepared {
            txid: c.txid.clone(),
            coordinator: c.coordinator,
            token: c.token,
            locks: ev.locks,
            writes: first,
        },
    )?;
    for writes in chunks {
        log.commit(
            cx.sql,
            cx.now_ms,
            Event::TxStaged {
                txid: c.txid.clone(),
                writes,
            },
        )?;
    }
    Ok(TableReply::Transacted(Box::new(v)))
}

/// Staged writes per log record at most (by DynamoDB item size, keys and images): records
/// stay well under the 2 MB a Durable Object's SQLite stores in one row.
const STAGED_BYTES_PER_RECORD: usize = 1024 * 1024;

type Staged = Vec<(Item, Option<Item>)>;

/// The staged writes in runs of at most `STAGED_BYTES_PER_RECORD` (one write per run at
/// least: an item is at most 400 KB).
fn staged_chunks(writes: Staged) -> Vec<Staged> {
    let mut out: Vec<Staged> = Vec::new();
    let mut size = 0;
    for (key, new) in writes {
        let n = item_size(&key) + new.as_ref().map_or(0, item_size);
        match out.last_mut() {
            Some(run) if size + n <= STAGED_BYTES_PER_RECORD => {
                run.push((key, new));
                size += n;
            }
            _ => {
                out.push(vec![(key, new)]);
                size = n;
            }
        }
    }
    out
}

/// The staged writes of the transaction prepared at `lsn`: its `TxPrepared` and the
/// `TxStaged` records right after it.
fn staged_writes(sql: &dyn extenddo_log::Sql, txid: &str, lsn: u64) -> Result<Staged, Error> {
    let mut records = extenddo_log::LogStore::read(sql, lsn, 1)?.into_iter();
    let mut writes = match records.next() {
        Some(extenddo_log::Record {
            lsn: at,
            event: Event::TxPrepared { writes, .. },
            ..
        }) if at == lsn => writes,
        _ => {
            return Err(Error::bug(format!(
                "{txid} prepared at {lsn}, but that record is not its TxPrepared"
            )))
        }
    };
    let mut next = lsn + 1;
    loop {
        let batch = extenddo_log::LogStore::read(sql, next, 8)?;
        let len = batch.len();
        for rec in batch {
            match rec.event {
                Event::TxStaged { txid: t, writes: w } if t == txid && rec.lsn == next => {
                    writes.extend(w);
                    next += 1;
                }
                _ => return Ok(writes),
            }
        }
        if len == 0 {
            return Ok(writes);
        }
    }
}

/// The outcome of a transaction this table prepared (or not: then there is nothing to do).
pub(crate) fn resolve(cx: &Ctx, log: &mut Log, r: TxResolve) -> Result<TableReply, Error> {
    let Some((_, _, lsn, _)) = tx::pending(cx.sql)?.into_iter().find(|p| p.0 == r.txid) else {
        return Ok(TableReply::TxResolved);
    };
    let writes = staged_writes(cx.sql, &r.txid, lsn)?;
    let s = log.live()?.clone();
    log.commit(
        cx.sql,
        cx.now_ms,
        Event::TxResolved {
            txid: r.txid,
            commit: r.commit,
        },
    )?;
    if r.commit {
        let writes = writes
            .into_iter()
            .map(|(k, n)| Ok((keys::key_member(&s.key, &k)?, n)))
            .collect::<Result<Vec<_>, Error>>()?;
        apply_writes(cx, log, writes)?;
    }
    Ok(TableReply::TxResolved)
}

/// What a read saw of an item, to tell later whether it changed.
pub(crate) fn fingerprint(item: Option<&Item>) -> u64 {
    match item {
        None => 0,
        Some(i) => {
            let bytes = extenddo_projections::items::encode_item(i);
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in bytes {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            h | 1
        }
    }
}

/// This table's part of a TransactGetItems.
pub(crate) fn get(cx: &Ctx, log: &Log, s: &TableSchema, g: TxGet) -> Result<TableReply, Error> {
    let mut out = TxReadOutput {
        items: Vec::with_capacity(g.gets.len()),
        conflicts: Vec::new(),
        consumed: None,
        invalid: Vec::new(),
    };
    // Empty key values fail the request; a key of the wrong shape or type cancels the read.
    let mut encoded = Vec::with_capacity(g.gets.len());
    for x in &g.gets {
        keys::check_key_values(&s.key, &x.key)?;
        let key;
        let key_item = if g.keys_of_items {
            key = keys::key_of(&s.key, &x.key);
            &key
        } else {
            &x.key
        };
        match keys::key_member(&s.key, key_item) {
            Ok(k) => encoded.push(Some(k)),
            Err(Error::Client(e)) => {
                out.invalid.push((x.index, e.message.unwrap_or_default()));
                encoded.push(None);
            }
            Err(e) => return Err(e),
        }
    }
    if !out.invalid.is_empty() {
        return Ok(TableReply::TxRead(Box::new(out)));
    }
    let mut units = 0.0;
    for (i, (x, (pk, sk))) in g.gets.iter().zip(encoded.into_iter().flatten()).enumerate() {
        if log.has_locks() && tx::lock_holder(cx.sql, &pk, &sk)?.is_some() {
            out.conflicts.push(x.index);
        }
        let item = items::get(cx.sql, &pk, &sk)?;
        let print = fingerprint(item.as_ref());
        if g.expect.as_ref().is_some_and(|e| e.get(i) != Some(&print)) {
            out.conflicts.push(x.index);
        }
        // Transactional reads cost twice a strongly consistent read.
        units += 2.0 * capacity::read_units(item.as_ref().map_or(0, item_size), true);
        let item = match (&x.projection, item) {
            (Some(p), Some(item)) => Some(p.apply(&item)),
            (_, item) => item,
        };
        out.items.push((x.index, item, print));
    }
    out.consumed = g.capacity.read(&s.name, units, ReadSource::Table);
    Ok(TableReply::TxRead(Box::new(out)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use extenddo_log::value::AttributeValue;

    fn write(pk: &str, bytes: usize) -> (Item, Option<Item>) {
        let key: Item = [("pk".to_string(), AttributeValue::S(pk.into()))].into();
        let mut new = key.clone();
        new.insert("v".into(), AttributeValue::S("x".repeat(bytes)));
        (key, Some(new))
    }

    #[test]
    fn staged_writes_are_split_into_records_of_at_most_a_mebibyte() {
        let writes: Staged = (0..7).map(|i| write(&format!("k{i}"), 390_000)).collect();
        let chunks = staged_chunks(writes.clone());
        assert_eq!(
            chunks.iter().map(Vec::len).collect::<Vec<_>>(),
            [2, 2, 2, 1]
        );
        assert!(chunks.iter().all(|c| c
            .iter()
            .map(|(k, n)| item_size(k) + n.as_ref().map_or(0, item_size))
            .sum::<usize>()
            <= STAGED_BYTES_PER_RECORD));
        assert_eq!(chunks.concat(), writes);
        let small: Staged = (0..100).map(|i| write(&format!("k{i}"), 10)).collect();
        assert_eq!(staged_chunks(small).len(), 1);
        assert!(staged_chunks(Vec::new()).is_empty());
    }
}
