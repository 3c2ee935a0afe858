//! TransactWriteItems and TransactGetItems: everything checked before the schemas.
//!
//! Each action is decoded like the single-item operation it mirrors (its table name, its
//! `Item` or `Key`, its expressions and their placeholders); what needs a table's schema
//! (key types, one action per item) is checked by the table objects.

use serde_json::Value;

use crate::api::capacity::ReturnCapacity;
use crate::api::command::{TxAction, TxGetItem, TxKind};
use crate::error::ApiError;
use crate::expr::{Condition, UpdateExpr};
use crate::wire::decode::common::{
    item_collection_metrics, read_projection, required, required_item, return_capacity,
    return_old_on_failure, table_name, write_condition, ExprParams,
};
use crate::wire::params::{Constraints, Params};

/// At most this many actions (or gets) in one transaction.
pub const MAX_TRANSACT_ITEMS: usize = 100;
/// The items and values of one TransactWriteItems may total at most this much.
pub const MAX_TRANSACT_BYTES: usize = 4 * 1024 * 1024;
/// A ClientRequestToken is 1 to 36 characters.
pub const MAX_TOKEN_CHARS: usize = 36;

/// A TransactWriteItems request, decoded.
#[derive(Debug)]
pub struct TransactWrite {
    /// (table name, action) in request order.
    pub actions: Vec<(String, TxAction)>,
    pub token: Option<String>,
    /// 32 hex digits identifying the request's actions (for the token's idempotency).
    pub fingerprint: String,
    pub capacity: ReturnCapacity,
    pub metrics: bool,
}

/// A TransactGetItems request, decoded.
#[derive(Debug)]
pub struct TransactGet {
    pub gets: Vec<(String, TxGetItem)>,
    pub capacity: ReturnCapacity,
}

/// How AWS's front end prints a list it refuses (a Java `toString` of each element).
fn list_dump(kind: &str, n: usize) -> String {
    let parts: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "com.amazonaws.dynamodb.v20120810.{kind}@{:08x}",
                0x1000_0001 + i
            )
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// The `TransactItems` list: present, 1 to 100 elements.
fn transact_items<'a>(
    p: &Params<'a>,
    c: &mut Constraints,
    kind: &str,
) -> Result<&'a [Value], ApiError> {
    let items = p.array("TransactItems")?;
    match items {
        None => c.fail(None, "transactItems", "Member must not be null"),
        Some(v) if v.is_empty() => c.fail(
            Some("[]"),
            "transactItems",
            "Member must have length greater than or equal to 1",
        ),
        Some(v) if v.len() > MAX_TRANSACT_ITEMS => c.fail(
            Some(&list_dump(kind, v.len())),
            "transactItems",
            &format!("Member must have length less than or equal to {MAX_TRANSACT_ITEMS}"),
        ),
        Some(_) => {}
    }
    Ok(items.map_or(&[][..], Vec::as_slice))
}

/// 128-bit FNV-1a over the canonical JSON of the actions (object members are sorted).
fn fingerprint(items: &[Value]) -> String {
    let text = serde_json::to_string(items).unwrap_or_default();
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for b in text.bytes() {
        h ^= u128::from(b);
        h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
    }
    format!("{h:032x}")
}

/// The one action of a `TransactWriteItem`, and its name.
fn only_action(v: &Value) -> Result<(&'static str, &Value), ApiError> {
    const KINDS: [&str; 4] = ["ConditionCheck", "Put", "Delete", "Update"];
    let one_of = || {
        ApiError::validation("TransactItems can only contain one of Check, Put, Update or Delete")
    };
    let Value::Object(m) = v else {
        return Err(one_of());
    };
    let mut found = KINDS
        .iter()
        .filter_map(|k| m.get(*k).filter(|x| !x.is_null()).map(|x| (*k, x)));
    match (found.next(), found.next()) {
        (Some(one), None) => Ok(one),
        _ => Err(one_of()),
    }
}

/// Sizes that count against the 4 MB: items, keys and expression values.
fn payload_size(subject: &extenddo_log::Item, xp: &ExprParams) -> usize {
    let values = xp
        .values
        .as_ref()
        .map_or(0, |v| v.iter().map(|(k, v)| k.len() + v.size()).sum());
    extenddo_log::value::item_size(subject) + values
}

fn write_action(
    index: usize,
    kind: &str,
    body: &Value,
) -> Result<(String, TxAction, usize), ApiError> {
    let p = Params::new(body)?;
    let table = table_name(&p)?;
    let (member, at) = if kind == "Put" {
        ("Item", "item")
    } else {
        ("Key", "key")
    };
    let subject = required_item(&p, member, at)?;
    if kind == "Update" {
        required(&p, "UpdateExpression")?;
    }
    if kind == "ConditionCheck" {
        required(&p, "ConditionExpression")?;
    }
    let xp = ExprParams::from(&p)?;
    let mut ctx = xp.context();
    let update = match p.str("UpdateExpression")? {
        Some(u) if kind == "Update" => Some(UpdateExpr::parse(u, &mut ctx)?),
        _ => None,
    };
    let condition: Option<Condition> = write_condition(&p, &mut ctx)?;
    let old_on_failure = return_old_on_failure(&p)?;
    xp.check_used(&ctx, &p)?;
    let size = payload_size(&subject, &xp);
    let kind = match (kind, update) {
        ("Put", _) => TxKind::Put(subject),
        ("Delete", _) => TxKind::Delete(subject),
        ("ConditionCheck", _) => TxKind::ConditionCheck(subject),
        (_, Some(update)) => TxKind::Update {
            key: subject,
            update,
        },
        (_, None) => {
            return Err(ApiError::validation(
                "Invalid UpdateExpression: The expression can not be empty;",
            ))
        }
    };
    Ok((
        table,
        TxAction {
            index,
            kind,
            condition,
            old_on_failure,
        },
        size,
    ))
}

/// The request-wide members, checked together as AWS's front end does.
fn request_members<'a>(
    p: &Params<'a>,
    kind: &str,
) -> Result<(&'a [Value], Option<String>), ApiError> {
    let mut c = Constraints::default();
    let items = transact_items(p, &mut c, kind)?;
    let token = p.str("ClientRequestToken")?;
    if let Some(t) = token {
        let n = t.chars().count();
        if n == 0 {
            c.fail(
                Some(t),
                "clientRequestToken",
                "Member must have length greater than or equal to 1",
            );
        } else if n > MAX_TOKEN_CHARS {
            c.fail(
                Some(t),
                "clientRequestToken",
                &format!("Member must have length less than or equal to {MAX_TOKEN_CHARS}"),
            );
        }
    }
    c.check()?;
    Ok((items, token.map(str::to_owned)))
}

pub fn transact_write(p: &Params) -> Result<TransactWrite, ApiError> {
    let (items, token) = request_members(p, "TransactWriteItem")?;
    let capacity = return_capacity(p)?;
    let metrics = item_collection_metrics(p)?;
    let mut actions = Vec::with_capacity(items.len());
    let mut total = 0usize;
    for (i, v) in items.iter().enumerate() {
        let (kind, body) = only_action(v)?;
        let (table, action, size) = write_action(i, kind, body)?;
        total += size;
        actions.push((table, action));
    }
    if total > MAX_TRANSACT_BYTES {
        return Err(ApiError::validation(format!(
            "Transaction payload size cannot exceed 4MB. Payload Size: {total}"
        )));
    }
    Ok(TransactWrite {
        actions,
        token,
        fingerprint: fingerprint(items),
        capacity,
        metrics,
    })
}

pub fn transact_get(p: &Params) -> Result<TransactGet, ApiError> {
    let (items, _) = request_members(p, "TransactGetItem")?;
    let capacity = return_capacity(p)?;
    let mut gets = Vec::with_capacity(items.len());
    for (index, v) in items.iter().enumerate() {
        let get = match v {
            Value::Object(m) => m.get("Get").filter(|g| !g.is_null()),
            _ => None,
        };
        let Some(get) = get else {
            return Err(ApiError::validation(
                "1 validation error detected: Value null at 'transactItems.1.member.get' failed to satisfy constraint: Member must not be null"
                    .replace(".1.", &format!(".{}.", index + 1)),
            ));
        };
        let p = Params::new(get)?;
        let table = table_name(&p)?;
        let key = required_item(&p, "Key", "key")?;
        let xp = ExprParams::from(&p)?;
        let mut ctx = xp.context();
        let projection = read_projection(&p, &mut ctx)?;
        xp.check_used(&ctx, &p)?;
        gets.push((
            table,
            TxGetItem {
                index,
                key,
                projection,
            },
        ));
    }
    Ok(TransactGet { gets, capacity })
}
