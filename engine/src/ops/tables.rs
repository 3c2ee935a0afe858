//! CreateTable, DescribeTable and DeleteTable as a table object sees them.

use extenddo_log::{Event, Sql};
use extenddo_projections::schema::{IndexKind, IndexStatus, Throughput};
use extenddo_projections::{KeyAttr, KeyType, TableSchema};
use serde_json::{json, Value};

use crate::error::{ApiError, ErrorKind};
use crate::table::TableObject;
use crate::table_def::{self, Live};
use crate::wire::{Constraints, Params};

pub(super) fn live(sql: &dyn Sql, s: &TableSchema, status: &'static str) -> Result<Live, ApiError> {
    let (item_count, size_bytes) = extenddo_projections::items::stats(sql)?;
    let indexes = s
        .indexes
        .iter()
        .map(|ix| {
            let (c, b) = extenddo_projections::indexes::stats(sql, &ix.name)?;
            Ok((ix.name.clone(), c, b))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(Live {
        status,
        item_count,
        size_bytes,
        indexes,
    })
}

pub(super) fn create(
    t: &mut TableObject,
    sql: &dyn Sql,
    p: &Params,
    id: Option<String>,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let name = p.str("TableName")?.unwrap_or_default().to_owned();
    let id = id.unwrap_or_else(|| table_def::table_id(&name, now_ms));
    let mut schema = table_def::parse_create_table(p, id, now_ms)?;
    crate::streams::on_create(p, &mut schema, t.next_lsn(), now_ms)?;
    if t.schema.is_some() {
        return Err(ApiError::new(
            ErrorKind::ResourceInUse,
            format!("Table already exists: {name}"),
        ));
    }
    let schema_json = serde_json::to_string(&schema).map_err(ApiError::internal)?;
    t.commit(sql, now_ms, Event::TableCreated { schema_json })?;
    Ok(
        json!({ "TableDescription": table_def::describe(&t.cfg, &schema, &Live { status: "ACTIVE", item_count: 0, size_bytes: 0, indexes: Vec::new() }) }),
    )
}

pub(super) fn describe(t: &TableObject, sql: &dyn Sql, p: &Params) -> Result<Value, ApiError> {
    let name = table_def::table_name(p)?;
    let s = t
        .schema
        .as_ref()
        .ok_or_else(|| ApiError::table_not_found(&name))?;
    Ok(json!({ "Table": table_def::describe(&t.cfg, s, &live(sql, s, "ACTIVE")?) }))
}

pub(super) fn delete(
    t: &mut TableObject,
    sql: &dyn Sql,
    p: &Params,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let name = table_def::table_name(p)?;
    let s = t
        .schema
        .clone()
        .ok_or_else(|| ApiError::table_not_found(&name))?;
    let description = table_def::describe(&t.cfg, &s, &live(sql, &s, "DELETING")?);
    t.commit(sql, now_ms, Event::TableDeleted)?;
    Ok(json!({ "TableDescription": description }))
}

/// Members of UpdateTable that ask for a change, as AWS lists them when none is given.
const UPDATE_MEMBERS: [&str; 13] = [
    "ProvisionedThroughput",
    "BillingMode",
    "StreamSpecification",
    "GlobalSecondaryIndexUpdates",
    "SSESpecification",
    "ReplicaUpdates",
    "MultiAccountReplicaReady",
    "ReplicaTransitRoleArn",
    "MultiRegionConsistency",
    "DeletionProtectionEnabled",
    "OnDemandThroughput",
    "WarmThroughput",
    "TableClass",
];

fn throughput(raw: &Value, at: &str) -> Result<Throughput, ApiError> {
    let t = Params::new(raw)?;
    let (r, w) = (t.int("ReadCapacityUnits")?, t.int("WriteCapacityUnits")?);
    let mut c = Constraints::default();
    for (v, m) in [(r, "readCapacityUnits"), (w, "writeCapacityUnits")] {
        match v {
            None => c.fail(None, &format!("{at}.{m}"), "Member must not be null"),
            Some(v) if v < 1 => c.fail(
                Some(&v.to_string()),
                &format!("{at}.{m}"),
                "Member must have value greater than or equal to 1",
            ),
            _ => {}
        }
    }
    c.check()?;
    Ok(Throughput {
        read: r.unwrap_or(1),
        write: w.unwrap_or(1),
    })
}

/// UpdateTable: billing and throughput, new attribute definitions, and global secondary
/// index creation (backfilled in the background), deletion and throughput updates. The new
/// schema is logged as one `TableUpdated` record.
pub(super) fn update(
    t: &mut TableObject,
    sql: &dyn Sql,
    p: &Params,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let name = table_def::table_name(p)?;
    if !UPDATE_MEMBERS.iter().any(|m| p.has(m)) {
        return Err(ApiError::validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required",
        ));
    }
    let billing = p.str("BillingMode")?;
    if let Some(b) = billing.filter(|b| *b != "PROVISIONED" && *b != "PAY_PER_REQUEST") {
        let mut c = Constraints::default();
        c.fail(
            Some(b),
            "billingMode",
            "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]",
        );
        c.check()?;
    }
    let requested_tp = p
        .raw("ProvisionedThroughput")
        .map(|r| throughput(r, "provisionedThroughput"))
        .transpose()?;
    let mut new_defs = Vec::new();
    for (i, d) in p
        .array("AttributeDefinitions")?
        .into_iter()
        .flatten()
        .enumerate()
    {
        let d = Params::new(d)?;
        let (n, ty) = (d.str("AttributeName")?, d.str("AttributeType")?);
        let ty = match ty {
            Some("S") => KeyType::S,
            Some("N") => KeyType::N,
            Some("B") => KeyType::B,
            other => {
                let mut c = Constraints::default();
                c.fail(
                    other,
                    &format!("attributeDefinitions.{}.member.attributeType", i + 1),
                    "Member must satisfy enum value set: [B, N, S]",
                );
                c.check()?;
                KeyType::S
            }
        };
        new_defs.push(KeyAttr {
            name: n.unwrap_or_default().to_owned(),
            ty,
        });
    }
    let old = t
        .schema
        .clone()
        .ok_or_else(|| ApiError::table_not_found(&name))?;
    let mut s = old.clone();

    // Billing mode and table throughput.
    let mode = billing.unwrap_or(&old.billing_mode).to_owned();
    match (mode.as_str(), requested_tp) {
        ("PAY_PER_REQUEST", Some(_)) => {
            return Err(ApiError::invalid_param(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ))
        }
        ("PAY_PER_REQUEST", None) => s.throughput = None,
        (_, Some(tp)) => {
            if billing.is_none() && old.throughput.as_ref() == Some(&tp) {
                return Err(ApiError::validation(format!(
                    "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                    tp.read, tp.read, tp.write, tp.write
                )));
            }
            s.throughput = Some(tp);
        }
        (_, None) if old.billing_mode != "PROVISIONED" => {
            return Err(ApiError::invalid_param(
                "ProvisionedThroughput must be specified when BillingMode is PROVISIONED",
            ))
        }
        _ => {}
    }
    s.billing_mode = mode;

    // Definitions: the old ones plus the request's (a request may not retype one in use).
    for d in new_defs {
        match s.attributes.iter().find(|a| a.name == d.name) {
            Some(a) if a.ty != d.ty => {
                return Err(ApiError::invalid_param(format!(
                    "Cannot change the type of existing attribute {} from {} to {}",
                    d.name,
                    a.ty.as_str(),
                    d.ty.as_str()
                )))
            }
            Some(_) => {}
            None => s.attributes.push(d),
        }
    }

    if let Some(updates) = p.array("GlobalSecondaryIndexUpdates")? {
        if updates.is_empty() {
            return Err(ApiError::invalid_param(
                "List of GlobalSecondaryIndexUpdates is empty",
            ));
        }
        let mut touched: Vec<String> = Vec::new();
        for (i, u) in updates.iter().enumerate() {
            let up = Params::new(u)?;
            let actions = ["Create", "Update", "Delete"]
                .iter()
                .filter(|a| up.has(a))
                .count();
            if actions == 0 {
                return Err(ApiError::invalid_param(
                    "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null",
                ));
            }
            if actions > 1 {
                return Err(ApiError::invalid_param(
                    "Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object",
                ));
            }
            let ix_name = |raw: &Value| {
                Params::new(raw)
                    .and_then(|x| Ok(x.str("IndexName")?.unwrap_or_default().to_owned()))
            };
            if let Some(raw) = up.raw("Create") {
                let mut ix = table_def::parse_index(raw, IndexKind::Global, i, &s.billing_mode)?;
                if s.index(&ix.name).is_some() {
                    return Err(ApiError::validation(
                        "Attempting to create an index which already exists",
                    ));
                }
                for a in ix.hash.iter_mut().chain(ix.range.iter_mut()) {
                    match s.attributes.iter().find(|d| d.name == a.name) {
                        Some(d) => a.ty = d.ty,
                        None => {
                            return Err(ApiError::invalid_param(format!(
                                "AttributeDefinitions is not specified for index: {}",
                                ix.name
                            )))
                        }
                    }
                }
                if s.indexes
                    .iter()
                    .filter(|i| i.kind == IndexKind::Global)
                    .count()
                    >= table_def::MAX_GSIS
                {
                    return Err(ApiError::new(
                        ErrorKind::LimitExceeded,
                        format!("Subscriber limit exceeded: Number of global secondary indexes exceeds the per-table limit of {}", table_def::MAX_GSIS),
                    ));
                }
                ix.status = IndexStatus::Creating;
                touched.push(ix.name.clone());
                s.indexes.push(ix);
            } else if let Some(raw) = up.raw("Delete") {
                let n = ix_name(raw)?;
                match s.index(&n).map(|i| i.kind) {
                    None => {
                        return Err(ApiError::new(
                            ErrorKind::ResourceNotFound,
                            format!("Requested resource not found: Index: {n} not found"),
                        ))
                    }
                    Some(IndexKind::Local) => {
                        return Err(ApiError::validation(format!(
                            "Cannot delete an index that is not a GlobalSecondaryIndex: {n}"
                        )))
                    }
                    Some(IndexKind::Global) => s.indexes.retain(|i| i.name != n),
                }
                touched.push(n);
            } else if let Some(raw) = up.raw("Update") {
                let n = ix_name(raw)?;
                let up = Params::new(raw)?;
                let tp = up
                    .raw("ProvisionedThroughput")
                    .map(|r| {
                        throughput(
                            r,
                            "globalSecondaryIndexUpdates.member.update.provisionedThroughput",
                        )
                    })
                    .transpose()?;
                let billing = s.billing_mode.clone();
                let ix = s.index_mut(&n).ok_or_else(|| {
                    ApiError::new(
                        ErrorKind::ResourceNotFound,
                        format!("Requested resource not found: Index: {n} not found"),
                    )
                })?;
                if ix.kind == IndexKind::Local {
                    return Err(ApiError::validation(format!(
                        "Cannot update an index that is not a GlobalSecondaryIndex: {n}"
                    )));
                }
                match (billing.as_str(), tp) {
                    ("PAY_PER_REQUEST", Some(_)) => {
                        return Err(ApiError::invalid_param(format!(
                            "The only Updates for index: {n} when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput"
                        )))
                    }
                    (_, Some(tp)) => ix.throughput = Some(tp),
                    (_, None) => {
                        return Err(ApiError::invalid_param(format!("ProvisionedThroughput must be specified for index: {n}")))
                    }
                }
                touched.push(n);
            }
        }
        if let Some(dup) = touched
            .iter()
            .enumerate()
            .find(|(i, n)| touched[..*i].contains(n))
        {
            return Err(ApiError::invalid_param(format!(
                "Only one global secondary index update per index is allowed simultaneously. Index: {}",
                dup.1
            )));
        }
    }
    // StreamSpecification: enabling opens a new stream whose shard starts after this
    // update's record; disabling closes it (see streams::update_table).
    if crate::streams::update_table(p, &mut s, t.next_lsn(), now_ms)?
        && p.has("GlobalSecondaryIndexUpdates")
    {
        return Err(ApiError::invalid_param(
            "You cannot create or delete index while changing stream status",
        ));
    }
    // Switching to provisioned billing needs throughput for every global index too.
    if s.billing_mode == "PROVISIONED" && old.billing_mode != "PROVISIONED" {
        if let Some(ix) = s
            .indexes
            .iter()
            .find(|i| i.kind == IndexKind::Global && i.throughput.is_none())
        {
            return Err(ApiError::invalid_param(format!(
                "ProvisionedThroughput must be specified for index: {}",
                ix.name
            )));
        }
    }
    if s.billing_mode == "PAY_PER_REQUEST" {
        for ix in &mut s.indexes {
            ix.throughput = None;
        }
    }
    // Only definitions some key still uses are kept.
    let used: Vec<String> = std::iter::once(s.key.hash.name.clone())
        .chain(s.key.range.iter().map(|r| r.name.clone()))
        .chain(
            s.indexes
                .iter()
                .flat_map(|i| i.key_names().map(str::to_owned).collect::<Vec<_>>()),
        )
        .collect();
    s.attributes.retain(|a| used.contains(&a.name));

    let creating = s.indexes.iter().any(|i| i.status == IndexStatus::Creating);
    if s != old {
        let schema_json = serde_json::to_string(&s).map_err(ApiError::internal)?;
        t.commit(sql, now_ms, Event::TableUpdated { schema_json })?;
    }
    let status = if creating { "UPDATING" } else { "ACTIVE" };
    Ok(json!({ "TableDescription": table_def::describe(&t.cfg, &s, &live(sql, &s, status)?) }))
}
