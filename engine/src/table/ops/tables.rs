//! CreateTable, DescribeTable, UpdateTable and DeleteTable as a table object sees them, and
//! the retirement of a deleted table's storage.

use extenddo_log::{Event, Sql};
use extenddo_projections::schema::{IndexKind, IndexStatus};
use extenddo_projections::streams::Streams;
use extenddo_projections::TableSchema;

use crate::api::command::{CreateTable, IndexUpdate, StreamChange, UpdateTable};
use crate::api::reply::{Description, Live, TableReply, TableStatus};
use crate::api::rules::{check_index_billing, MAX_GSIS};
use crate::error::{ApiError, Error, ErrorKind};
use crate::table::log::{Ctx, Log};
use crate::table::streams;

fn live(sql: &dyn Sql, s: &TableSchema, status: TableStatus) -> Result<Live, Error> {
    let (item_count, size_bytes) = extenddo_projections::items::stats(sql)?;
    let indexes = s
        .indexes
        .iter()
        .map(|ix| {
            let (c, b) = extenddo_projections::indexes::stats(sql, &ix.name)?;
            Ok((ix.name.clone(), c, b))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Live {
        status,
        item_count,
        size_bytes,
        indexes,
    })
}

fn description(
    sql: &dyn Sql,
    s: &TableSchema,
    status: TableStatus,
) -> Result<Box<Description>, Error> {
    Ok(Box::new(Description {
        schema: s.clone(),
        live: live(sql, s, status)?,
    }))
}

/// ACTIVE, or CREATING while a restore or an import loads the table.
pub(crate) fn status_of(s: &TableSchema) -> TableStatus {
    if s.is_loading() {
        TableStatus::Creating
    } else {
        TableStatus::Active
    }
}

fn schema_json(s: &TableSchema) -> Result<String, Error> {
    serde_json::to_string(s).map_err(Error::bug)
}

/// CreateTable. Creating the same incarnation again (a creation rolled forward after a
/// crash) answers its description and logs nothing.
pub(crate) fn create(
    cx: &Ctx,
    log: &mut Log,
    id: &str,
    c: CreateTable,
) -> Result<TableReply, Error> {
    let CreateTable { mut schema, stream } = c;
    if schema.id != id {
        return Err(Error::bug(format!(
            "table object {id} asked to create table {}",
            schema.id
        )));
    }
    if let Some(existing) = log.schema() {
        if existing.id == schema.id && !existing.is_deleted() {
            return Ok(TableReply::Description(description(
                cx.sql,
                existing,
                status_of(existing),
            )?));
        }
        return Err(ApiError::new(
            ErrorKind::ResourceInUse,
            format!("Table already exists: {}", schema.name),
        )
        .into());
    }
    if let Some(view) = stream {
        streams::open(&mut schema, view, log.next_lsn(), cx.now_ms);
    }
    let schema_json = schema_json(&schema)?;
    log.commit(cx.sql, cx.now_ms, Event::TableCreated { schema_json })?;
    let status = status_of(&schema);
    Ok(TableReply::Description(Box::new(Description {
        schema,
        live: Live {
            status,
            item_count: 0,
            size_bytes: 0,
            indexes: Vec::new(),
        },
    })))
}

pub(crate) fn describe(cx: &Ctx, s: &TableSchema) -> Result<TableReply, Error> {
    Ok(TableReply::Description(description(
        cx.sql,
        s,
        status_of(s),
    )?))
}

/// Until when a deleted table keeps its storage: its streams stay readable this long.
/// A table deleted with point-in-time recovery on keeps its storage for its recovery period
/// too: it may still be restored to a time before its deletion.
pub(crate) fn retain_until(cx: &Ctx, s: &TableSchema) -> Option<i64> {
    let pitr = s.pitr.as_ref().map_or(0, |p| {
        i64::from(p.recovery_days) * crate::api::backup::DAY_MS
    });
    s.deleted_ms
        .map(|d| d.saturating_add(cx.cfg.deleted_table_retention_ms.max(0).max(pitr)))
}

pub(crate) fn delete(cx: &Ctx, log: &mut Log) -> Result<TableReply, Error> {
    let s = log.live()?;
    let description = description(cx.sql, s, TableStatus::Deleting)?;
    log.commit(cx.sql, cx.now_ms, Event::TableDeleted)?;
    let until = log
        .schema()
        .and_then(|s| retain_until(cx, s))
        .ok_or_else(|| Error::bug("a deleted table without its deletion time"))?;
    Ok(TableReply::Deleted {
        description,
        deleted_ms: cx.now_ms,
        retain_until_ms: until,
    })
}

/// Retire: whether the retention rule lets the storage go now. `Ok(true)`: the caller
/// retires it.
pub(crate) fn may_retire(cx: &Ctx, log: &Log) -> Result<Result<(), i64>, Error> {
    match log.schema() {
        // Nothing left (never created here, or already retired).
        None => Ok(Ok(())),
        Some(s) => match retain_until(cx, s) {
            None => Err(Error::bug(format!(
                "the catalog asked table {} to retire while it exists",
                s.id
            ))),
            Some(until) if cx.now_ms >= until => Ok(Ok(())),
            Some(until) => Ok(Err(until)),
        },
    }
}

/// UpdateTable: billing and throughput, new attribute definitions, global secondary index
/// creation (backfilled in the background), deletion and throughput updates, and the
/// stream. The new schema is logged as one `TableUpdated` record.
pub(crate) fn update(cx: &Ctx, log: &mut Log, c: UpdateTable) -> Result<TableReply, Error> {
    let old = log.live()?.clone();
    let mut s = old.clone();

    // Billing mode and table throughput.
    let mode = c
        .billing_mode
        .clone()
        .unwrap_or_else(|| old.billing_mode.clone());
    match (mode.as_str(), c.throughput.clone()) {
        ("PAY_PER_REQUEST", Some(_)) => {
            return Err(ApiError::invalid_param(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            )
            .into())
        }
        ("PAY_PER_REQUEST", None) => s.throughput = None,
        (_, Some(tp)) => {
            if c.billing_mode.is_none() && old.throughput.as_ref() == Some(&tp) {
                return Err(ApiError::validation(format!(
                    "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                    tp.read, tp.read, tp.write, tp.write
                ))
                .into());
            }
            s.throughput = Some(tp);
        }
        (_, None) if old.billing_mode != "PROVISIONED" => {
            return Err(ApiError::invalid_param(
                "ProvisionedThroughput must be specified when BillingMode is PROVISIONED",
            )
            .into())
        }
        _ => {}
    }
    s.billing_mode = mode;

    // Definitions: the old ones plus the request's new ones. A definition that retypes a
    // known attribute is ignored, unless an index being created keys on it (below).
    for d in &c.attribute_definitions {
        if !s.attributes.iter().any(|a| a.name == d.name) {
            s.attributes.push(d.clone());
        }
    }

    if let Some(updates) = &c.index_updates {
        // One index at a time is created or deleted online, as on AWS.
        let online = updates
            .iter()
            .filter(|u| matches!(u, IndexUpdate::Create(_) | IndexUpdate::Delete { .. }))
            .count();
        let building = s.indexes.iter().any(|i| i.status == IndexStatus::Creating);
        if online > 1 || (online == 1 && building) {
            return Err(ApiError::new(
                ErrorKind::LimitExceeded,
                "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
            )
            .into());
        }
        let mut touched: Vec<String> = Vec::new();
        for u in updates {
            match u {
                IndexUpdate::Create(ix) => {
                    let mut ix = ix.clone();
                    check_index_billing(&ix, &s.billing_mode)?;
                    if s.index(&ix.name).is_some() {
                        return Err(ApiError::validation(
                            "Attempting to create an index which already exists",
                        )
                        .into());
                    }
                    // A new index's key attributes are defined by the request itself.
                    let hashes = ix.hash.len();
                    for (i, a) in ix.hash.iter_mut().chain(ix.range.iter_mut()).enumerate() {
                        let Some(d) = c.attribute_definitions.iter().find(|d| d.name == a.name)
                        else {
                            return Err(ApiError::invalid_param(format!(
                                "AttributeDefinitions is not specified for index: {}",
                                ix.name
                            ))
                            .into());
                        };
                        if let Some(known) = s.attributes.iter().find(|k| k.name == d.name) {
                            if known.ty != d.ty {
                                let role = if i < hashes { "HASH" } else { "RANGE" };
                                return Err(ApiError::invalid_param(format!(
                                    "Attributes cannot be redefined. Please check that your attribute has the same type as previously defined. Existing schema: Schema:[SchemaElement: key{{{}:{}:{role}}}] New schema: Schema:[SchemaElement: key{{{}:{}:{role}}}]",
                                    d.name,
                                    known.ty.as_str(),
                                    d.name,
                                    d.ty.as_str()
                                ))
                                .into());
                            }
                        }
                        a.ty = d.ty;
                    }
                    if s.indexes
                        .iter()
                        .filter(|i| i.kind == IndexKind::Global)
                        .count()
                        >= MAX_GSIS
                    {
                        return Err(ApiError::new(
                            ErrorKind::LimitExceeded,
                            format!("Subscriber limit exceeded: Number of global secondary indexes exceeds the per-table limit of {MAX_GSIS}"),
                        )
                        .into());
                    }
                    ix.status = IndexStatus::Creating;
                    touched.push(ix.name.clone());
                    s.indexes.push(ix);
                }
                IndexUpdate::Delete { name } => {
                    match s.index(name).map(|i| i.kind) {
                        None => {
                            return Err(ApiError::new(
                                ErrorKind::ResourceNotFound,
                                format!("Requested resource not found: Index: {name} not found"),
                            )
                            .into())
                        }
                        Some(IndexKind::Local) => {
                            return Err(ApiError::validation(format!(
                                "Cannot delete an index that is not a GlobalSecondaryIndex: {name}"
                            ))
                            .into())
                        }
                        Some(IndexKind::Global) => s.indexes.retain(|i| &i.name != name),
                    }
                    touched.push(name.clone());
                }
                IndexUpdate::Update { name, throughput } => {
                    let billing = s.billing_mode.clone();
                    // AWS's wording for an Update of an unknown index (ACK's live probe).
                    let table = s.name.clone();
                    let ix = s.index_mut(name).ok_or_else(|| {
                        ApiError::new(
                            ErrorKind::ResourceNotFound,
                            format!("Requested resource not found: Index {name} for table {table}"),
                        )
                    })?;
                    if ix.kind == IndexKind::Local {
                        return Err(ApiError::validation(format!(
                            "Cannot update an index that is not a GlobalSecondaryIndex: {name}"
                        ))
                        .into());
                    }
                    match (billing.as_str(), throughput) {
                        ("PAY_PER_REQUEST", Some(_)) => {
                            return Err(ApiError::invalid_param(format!(
                                "The only Updates for index: {name} when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput"
                            ))
                            .into())
                        }
                        (_, Some(tp)) => ix.throughput = Some(tp.clone()),
                        (_, None) => {
                            return Err(ApiError::invalid_param(format!(
                                "ProvisionedThroughput must be specified for index: {name}"
                            ))
                            .into())
                        }
                    }
                    touched.push(name.clone());
                }
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
            ))
            .into());
        }
    }
    // StreamSpecification: enabling opens a new stream whose shard starts after this
    // update's record; disabling closes it.
    if let Some(change) = c.stream {
        let has_enabled = s.stream.as_ref().and_then(Streams::enabled).is_some();
        match change {
            StreamChange::Enable(_) if has_enabled => {
                return Err(ApiError::validation(format!(
                    "Table already has an enabled stream: TableName: {}",
                    s.name
                ))
                .into())
            }
            StreamChange::Disable if !has_enabled => {
                return Err(ApiError::validation(format!(
                    "Table has no stream to disable: TableName: {}",
                    s.name
                ))
                .into())
            }
            StreamChange::Enable(view) => streams::open(&mut s, view, log.next_lsn(), cx.now_ms),
            StreamChange::Disable => streams::close(&mut s, log.next_lsn(), cx.now_ms),
        }
        if c.index_updates.is_some() {
            return Err(ApiError::invalid_param(
                "You cannot create or delete index while changing stream status",
            )
            .into());
        }
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
            ))
            .into());
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
        let schema_json = schema_json(&s)?;
        log.commit(cx.sql, cx.now_ms, Event::TableUpdated { schema_json })?;
    }
    let status = if creating {
        TableStatus::Updating
    } else {
        TableStatus::Active
    };
    Ok(TableReply::Description(description(cx.sql, &s, status)?))
}
