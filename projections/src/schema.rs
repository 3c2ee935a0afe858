//! The table's schema as the projections need it, and the `meta` projection that holds it.

use extenddo_log::{Sql, SqlError, SqlValue};
use serde::{Deserialize, Serialize};

use extenddo_log::sql::RowExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyType {
    S,
    N,
    B,
}

impl KeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::S => "S",
            KeyType::N => "N",
            KeyType::B => "B",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttr {
    pub name: String,
    pub ty: KeyType,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySchema {
    pub hash: KeyAttr,
    pub range: Option<KeyAttr>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Throughput {
    pub read: i64,
    pub write: i64,
}

/// Everything a table object knows about its table. Serialized as JSON into the
/// `TableCreated` event so fields can be added without changing the log framing: new fields
/// must be `#[serde(default)]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSchema {
    pub name: String,
    pub id: String,
    pub created_ms: i64,
    pub key: KeySchema,
    /// Every AttributeDefinition, in the order the client gave them.
    pub attributes: Vec<KeyAttr>,
    pub billing_mode: String,
    #[serde(default)]
    pub throughput: Option<Throughput>,
}

pub(crate) fn init(sql: &dyn Sql) -> Result<(), SqlError> {
    sql.exec(
        "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
        &[],
    )
}

pub(crate) fn store(sql: &dyn Sql, schema_json: &str) -> Result<(), SqlError> {
    sql.exec(
        "INSERT OR REPLACE INTO meta (k, v) VALUES ('schema', ?1)",
        &[SqlValue::Text(schema_json.to_owned())],
    )
}

pub(crate) fn clear(sql: &dyn Sql) -> Result<(), SqlError> {
    sql.exec("DELETE FROM meta WHERE k = 'schema'", &[])
}

pub(crate) fn drop(sql: &dyn Sql) -> Result<(), SqlError> {
    sql.exec("DROP TABLE IF EXISTS meta", &[])
}

/// The schema as currently projected, if the table exists.
pub fn load(sql: &dyn Sql) -> Result<Option<TableSchema>, SqlError> {
    let rows = sql.query("SELECT v FROM meta WHERE k = 'schema'", &[])?;
    match rows.first() {
        None => Ok(None),
        Some(row) => serde_json::from_str(row.text(0)?)
            .map(Some)
            .map_err(|e| SqlError::Backend(format!("stored schema: {e}"))),
    }
}
