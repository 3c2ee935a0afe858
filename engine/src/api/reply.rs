//! Typed replies of a table object; `wire::render` turns them into DynamoDB JSON.

use extenddo_log::Item;
use extenddo_projections::streams::{ShardState, StreamViewType};
use extenddo_projections::{KeySchema, TableSchema};
use serde::{Deserialize, Serialize};

use crate::api::capacity::{CollectionMetrics, ConsumedCapacity};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TableReply {
    /// CreateTable, DescribeTable, UpdateTable.
    Description(Box<Description>),
    /// DeleteTable: the last description, and until when the table object keeps what may
    /// still be read (its streams).
    Deleted {
        description: Box<Description>,
        deleted_ms: i64,
        retain_until_ms: i64,
    },
    /// PutItem, UpdateItem, DeleteItem.
    Write(Box<WriteOutput>),
    /// GetItem.
    Item(Box<GetOutput>),
    /// Query, Scan.
    Page(Box<PageOutput>),
    BatchGet(Box<BatchGetOutput>),
    BatchWrite(Box<BatchWriteOutput>),
    /// A dry run found nothing wrong.
    Checked,
    /// UpdateTimeToLive: the specification now in force.
    TimeToLiveUpdated {
        enabled: bool,
        attribute: String,
    },
    /// DescribeTimeToLive: the TTL attribute, if enabled.
    TimeToLive(Option<String>),
    /// The table's own share of ListStreams: (table name, stream label), oldest first.
    Streams(Vec<(String, String)>),
    StreamDescription(Box<StreamDescription>),
    ShardIterator(String),
    Records(Box<RecordsOutput>),
    /// Retire: the storage is gone.
    Retired,
    /// Retire: not yet; the table keeps its storage until then (ms).
    RetainUntil(i64),
    /// Transact (single table): done, or cancelled with reasons. TxPrepare: the vote.
    Transacted(Box<TxVote>),
    /// TxResolve: applied (or nothing to apply).
    TxResolved,
    /// TxGet: the items read.
    TxRead(Box<TxReadOutput>),
    /// TakeBackup: the backup as the catalog records it while it is being stored.
    BackupTaken(Box<crate::api::backup::BackupRecord>),
    ContinuousBackups(Box<crate::api::backup::ContinuousBackups>),
    PitrPoint(Box<crate::api::backup::PitrPoint>),
    RestorePlan(Box<crate::api::backup::RestorePlan>),
    Export(Box<crate::api::transfer::ExportRecord>),
    Import(Box<crate::api::transfer::ImportRecord>),
    /// TagResource, UntagResource: done.
    Tagged,
    /// ListTagsOfResource: every tag of the resource.
    Tags(Vec<(String, String)>),
}

/// A table's answer to its part of a transaction. No reasons: it went ahead (Transact) or
/// is prepared (TxPrepare); else the reasons of the actions that could not, by position.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TxVote {
    pub reasons: Vec<(usize, crate::error::CancellationReason)>,
    /// The request was done before under its ClientRequestToken: nothing was done now.
    pub duplicate: bool,
    pub consumed: Option<ConsumedCapacity>,
    pub metrics: Vec<CollectionMetrics>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TxReadOutput {
    /// (position, item if found, fingerprint of what was read) per get.
    pub items: Vec<(usize, Option<Item>, u64)>,
    /// Positions of the gets whose items a transaction holds, or that changed since `expect`.
    pub conflicts: Vec<usize>,
    pub consumed: Option<ConsumedCapacity>,
    /// Gets whose key does not fit the table's key schema: (position, message). The read
    /// is cancelled with a `ValidationError` reason, as AWS reports it.
    #[serde(default)]
    pub invalid: Vec<(usize, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TableStatus {
    /// A restore is loading the table.
    Creating,
    Active,
    Updating,
    Deleting,
}

impl TableStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TableStatus::Creating => "CREATING",
            TableStatus::Active => "ACTIVE",
            TableStatus::Updating => "UPDATING",
            TableStatus::Deleting => "DELETING",
        }
    }
}

/// Everything DescribeTable says that is not in the schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Live {
    pub status: TableStatus,
    pub item_count: i64,
    pub size_bytes: i64,
    /// (index name, item count, bytes) per index.
    pub indexes: Vec<(String, i64, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Description {
    pub schema: TableSchema,
    pub live: Live,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WriteOutput {
    pub attributes: Option<Item>,
    pub consumed: Option<ConsumedCapacity>,
    pub metrics: Option<CollectionMetrics>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetOutput {
    pub item: Option<Item>,
    pub consumed: Option<ConsumedCapacity>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageOutput {
    /// `None` for `Select: COUNT`.
    pub items: Option<Vec<Item>>,
    pub count: usize,
    pub scanned: usize,
    pub last_evaluated_key: Option<Item>,
    pub consumed: Option<ConsumedCapacity>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchGetOutput {
    pub items: Vec<Item>,
    /// Positions (in the share's `keys`) of the keys left for the client to retry.
    pub unprocessed: Vec<usize>,
    /// Item bytes this share returned.
    pub bytes: u64,
    pub consumed: Option<ConsumedCapacity>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchWriteOutput {
    pub consumed: Option<ConsumedCapacity>,
    pub metrics: Vec<CollectionMetrics>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamDescription {
    pub arn: String,
    pub label: String,
    pub enabled: bool,
    pub view: StreamViewType,
    pub created_ms: i64,
    pub table: String,
    pub key: KeySchema,
    pub shards: Vec<ShardState>,
    pub last_evaluated_shard_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordKind {
    Insert,
    Modify,
    Remove,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Insert => "INSERT",
            RecordKind::Modify => "MODIFY",
            RecordKind::Remove => "REMOVE",
        }
    }
}

/// One stream record: the view of one item event of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamRecord {
    pub lsn: u64,
    pub ts_ms: i64,
    pub kind: RecordKind,
    /// Deleted by the TTL sweeper (a service deletion).
    pub expired: bool,
    pub keys: Item,
    pub new_image: Option<Item>,
    pub old_image: Option<Item>,
    /// `SizeBytes`: keys plus the images carried.
    pub size: usize,
    pub view: StreamViewType,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordsOutput {
    pub table_id: String,
    pub records: Vec<StreamRecord>,
    pub next_iterator: Option<String>,
}
