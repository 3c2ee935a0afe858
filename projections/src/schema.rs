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
    #[serde(default)]
    pub indexes: Vec<IndexSchema>,
    /// DynamoDB Streams: the table's streams and their shards (`None`: never enabled).
    #[serde(default)]
    pub stream: Option<crate::streams::Streams>,
    /// Time to live (`None`: disabled).
    #[serde(default)]
    pub ttl: Option<crate::streams::TtlState>,
    /// When the table was deleted (`TableDeleted`): its items are gone, its streams are
    /// still readable for their retention period. Set by the projection; a logged schema
    /// always has `null` here.
    #[serde(default)]
    pub deleted_ms: Option<i64>,
    /// Point-in-time recovery (`None`: disabled).
    #[serde(default)]
    pub pitr: Option<Pitr>,
    /// The restore this table was made by, and how far it has got.
    #[serde(default)]
    pub restore: Option<Restore>,
    /// The import (ImportTable) this table was made by, and how far it has got.
    #[serde(default)]
    pub import: Option<Import>,
    /// The account the table belongs to (its ARNs carry it); absent in tables created
    /// before accounts, which belong to the host's configured account. (Always written:
    /// the schema also travels in bincode, which cannot skip a field.)
    #[serde(default)]
    pub account: Option<String>,
    /// The table's tags (TagResource, or CreateTable's `Tags`).
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    /// Each stream's own tags, by stream label (a stream ARN is a resource of its own).
    #[serde(default)]
    pub stream_tags: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
}

/// An import filling a new table: its record (the engine's, as JSON) and its progress
/// (every step of the import logs it, so an import cut short resumes where it was).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Import {
    /// The engine's import record (JSON): what to read, and what DescribeImport shows.
    pub record: String,
    /// The objects to read (listed once, at the start), with their sizes.
    #[serde(default)]
    pub objects: Option<Vec<(String, u64)>>,
    /// The object being read, and how many of its records were consumed.
    #[serde(default)]
    pub object: usize,
    #[serde(default)]
    pub records: u64,
    #[serde(default)]
    pub processed_bytes: u64,
    #[serde(default)]
    pub processed_items: u64,
    #[serde(default)]
    pub imported_items: u64,
    #[serde(default)]
    pub errors: u64,
    #[serde(default)]
    pub done: bool,
    /// Why the import failed: (FailureCode, FailureMessage).
    #[serde(default)]
    pub failed: Option<(String, String)>,
}

/// Point-in-time recovery is on: the table keeps its log in the object store (segments and
/// snapshots) and may be restored to any millisecond of the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pitr {
    /// When it was enabled: the window never reaches further back.
    pub since_ms: i64,
    /// RecoveryPeriodInDays (1–35).
    pub recovery_days: u32,
}

/// Where a restored table's items come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RestoreFrom {
    /// A backup: its manifest's key in the object store.
    Backup { manifest: String },
    /// The log of table incarnation `table_id` up to `at_ms` (RestoreTableToPointInTime).
    PointInTime { table_id: String, at_ms: i64 },
}

/// A restore: what DescribeTable shows as `RestoreSummary`, and the job's progress (every
/// step of the restore logs it, so a restore cut short resumes where it was).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restore {
    pub source_table_arn: String,
    #[serde(default)]
    pub source_backup_arn: Option<String>,
    pub restore_ms: i64,
    pub from: RestoreFrom,
    /// Whether the restore has chosen where it starts (`base`).
    #[serde(default)]
    pub based: bool,
    /// The snapshot the restore starts from, with the LSN of the source it holds (`None`
    /// once chosen: from the first record).
    #[serde(default)]
    pub base: Option<(String, u64)>,
    /// Items of the base snapshot loaded so far.
    #[serde(default)]
    pub loaded: u64,
    /// The source's records folded so far (every LSN up to this one).
    #[serde(default)]
    pub through: u64,
    #[serde(default)]
    pub done: bool,
    /// Why the restore cannot go on (a missing or corrupt object), naming it.
    #[serde(default)]
    pub failed: Option<String>,
}

impl TableSchema {
    pub fn index(&self, name: &str) -> Option<&IndexSchema> {
        self.indexes.iter().find(|i| i.name == name)
    }

    pub fn index_mut(&mut self, name: &str) -> Option<&mut IndexSchema> {
        self.indexes.iter_mut().find(|i| i.name == name)
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted_ms.is_some()
    }

    /// Whether a restore or an import is still loading the table (it is CREATING).
    pub fn is_loading(&self) -> bool {
        self.restore.as_ref().is_some_and(|r| !r.done)
            || self.import.as_ref().is_some_and(|i| !i.done)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexKind {
    Global,
    Local,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProjectionType {
    All,
    KeysOnly,
    Include,
}

impl ProjectionType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectionType::All => "ALL",
            ProjectionType::KeysOnly => "KEYS_ONLY",
            ProjectionType::Include => "INCLUDE",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexProjection {
    pub ty: ProjectionType,
    #[serde(default)]
    pub non_key: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexStatus {
    /// Maintained for new writes while the backfill walks the existing items.
    Creating,
    Active,
}

/// A secondary index. A global index's key may have up to four partition-key and four
/// sort-key attributes; a local index has the table's partition key and one sort key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexSchema {
    pub name: String,
    pub kind: IndexKind,
    pub hash: Vec<KeyAttr>,
    #[serde(default)]
    pub range: Vec<KeyAttr>,
    pub projection: IndexProjection,
    pub status: IndexStatus,
    /// How far the backfill has got, in scan order (`None`: not started).
    #[serde(default)]
    pub backfilled_upto: Option<extenddo_log::event::ScanPosition>,
    #[serde(default)]
    pub throughput: Option<Throughput>,
}

impl IndexSchema {
    /// Every key attribute name of the index.
    pub fn key_names(&self) -> impl Iterator<Item = &str> {
        self.hash.iter().chain(&self.range).map(|a| a.name.as_str())
    }
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
