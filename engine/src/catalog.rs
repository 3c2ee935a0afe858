//! The catalog: which tables exist in an account, for ListTables and table lifecycle.
//!
//! The data path never goes through the catalog; a table object holds its own schema.

use extenddo_log::sql::{in_transaction, RowExt};
use extenddo_log::{Sql, SqlValue};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::{ApiError, ErrorKind};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum CatalogRequest {
    /// Reserve a name for a table being created; fails if the name is taken.
    Register {
        name: String,
        id: String,
    },
    /// Forget a table (after its table object logged the deletion).
    Unregister {
        name: String,
    },
    List {
        start: Option<String>,
        limit: usize,
    },
    /// The id of a table, or not found. Hosts use it to find a table's storage.
    Lookup {
        name: String,
    },
}

pub struct Catalog;

impl Catalog {
    pub fn open(sql: &dyn Sql) -> Result<Catalog, ApiError> {
        sql.exec(
            "CREATE TABLE IF NOT EXISTS tables (
                name TEXT PRIMARY KEY,
                id TEXT NOT NULL,
                created_ms INTEGER NOT NULL
            )",
            &[],
        )?;
        Ok(Catalog)
    }

    pub fn handle(
        &self,
        sql: &dyn Sql,
        req: CatalogRequest,
        now_ms: i64,
    ) -> Result<Value, ApiError> {
        in_transaction(sql, || match req {
            CatalogRequest::Register { name, id } => {
                let taken = !sql
                    .query(
                        "SELECT 1 FROM tables WHERE name = ?1",
                        &[SqlValue::Text(name.clone())],
                    )?
                    .is_empty();
                if taken {
                    return Err(ApiError::new(
                        ErrorKind::ResourceInUse,
                        format!("Table already exists: {name}"),
                    ));
                }
                sql.exec(
                    "INSERT INTO tables (name, id, created_ms) VALUES (?1, ?2, ?3)",
                    &[
                        SqlValue::Text(name),
                        SqlValue::Text(id.clone()),
                        SqlValue::Integer(now_ms),
                    ],
                )?;
                Ok(json!({ "id": id }))
            }
            CatalogRequest::Unregister { name } => {
                sql.exec(
                    "DELETE FROM tables WHERE name = ?1",
                    &[SqlValue::Text(name)],
                )?;
                Ok(json!({}))
            }
            CatalogRequest::Lookup { name } => {
                let rows = sql.query(
                    "SELECT id FROM tables WHERE name = ?1",
                    &[SqlValue::Text(name.clone())],
                )?;
                match rows.first() {
                    Some(r) => Ok(json!({ "id": r.text(0)? })),
                    None => Err(ApiError::table_not_found(&name)),
                }
            }
            CatalogRequest::List { start, limit } => {
                // One extra row tells whether another page exists.
                let rows = sql.query(
                    "SELECT name FROM tables WHERE name > ?1 ORDER BY name LIMIT ?2",
                    &[
                        SqlValue::Text(start.unwrap_or_default()),
                        SqlValue::Integer(limit as i64 + 1),
                    ],
                )?;
                let mut names = rows
                    .iter()
                    .map(|r| r.text(0).map(str::to_owned))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut out = json!({});
                if names.len() > limit {
                    names.truncate(limit);
                    out["LastEvaluatedTableName"] = json!(names.last());
                }
                out["TableNames"] = json!(names);
                Ok(out)
            }
        })
    }

    /// Every (name, id) pair, for hosts that open table storage at start-up and for tools.
    pub fn all(sql: &dyn Sql) -> Result<Vec<(String, String)>, ApiError> {
        sql.query("SELECT name, id FROM tables ORDER BY name", &[])?
            .iter()
            .map(|r| Ok((r.text(0)?.to_owned(), r.text(1)?.to_owned())))
            .collect()
    }
}
