//! CreateTable, DescribeTable and DeleteTable as a table object sees them.

use extenddo_log::{Event, Sql};
use serde_json::{json, Value};

use crate::error::{ApiError, ErrorKind};
use crate::table::TableObject;
use crate::table_def::{self, Live};
use crate::wire::Params;

fn live(sql: &dyn Sql, status: &'static str) -> Result<Live, ApiError> {
    let (item_count, size_bytes) = extenddo_projections::items::stats(sql)?;
    Ok(Live {
        status,
        item_count,
        size_bytes,
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
    let schema = table_def::parse_create_table(p, id, now_ms)?;
    if t.schema.is_some() {
        return Err(ApiError::new(
            ErrorKind::ResourceInUse,
            format!("Table already exists: {name}"),
        ));
    }
    let schema_json = serde_json::to_string(&schema).map_err(ApiError::internal)?;
    t.commit(sql, now_ms, Event::TableCreated { schema_json })?;
    Ok(
        json!({ "TableDescription": table_def::describe(&t.cfg, &schema, &Live { status: "ACTIVE", item_count: 0, size_bytes: 0 }) }),
    )
}

pub(super) fn describe(t: &TableObject, sql: &dyn Sql, p: &Params) -> Result<Value, ApiError> {
    let name = table_def::table_name(p)?;
    let s = t
        .schema
        .as_ref()
        .ok_or_else(|| ApiError::table_not_found(&name))?;
    Ok(json!({ "Table": table_def::describe(&t.cfg, s, &live(sql, "ACTIVE")?) }))
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
    let description = table_def::describe(&t.cfg, &s, &live(sql, "DELETING")?);
    t.commit(sql, now_ms, Event::TableDeleted)?;
    Ok(json!({ "TableDescription": description }))
}
