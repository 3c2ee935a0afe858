//! Typed commands for a table object: a client request after the request-level validation
//! `wire::decode` does (shapes, enums, lengths, expressions parsed), and before the checks
//! that need the table's schema, which the table object makes.

use extenddo_log::Item;
use extenddo_projections::schema::{IndexSchema, Throughput};
use extenddo_projections::streams::StreamViewType;
use extenddo_projections::{KeyAttr, TableSchema};
use serde::{Deserialize, Serialize};

use crate::api::capacity::ReturnCapacity;
use crate::api::iterator::ShardIterator;
use crate::expr::{Condition, KeyConditionExpr, KeyConditions, Projection, UpdateExpr};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TableCommand {
    CreateTable(Box<CreateTable>),
    DescribeTable,
    UpdateTable(Box<UpdateTable>),
    DeleteTable,
    PutItem(Box<PutItem>),
    UpdateItem(Box<UpdateItem>),
    DeleteItem(Box<DeleteItem>),
    GetItem(Box<GetItem>),
    Query(Box<Query>),
    Scan(Box<Scan>),
    /// One table's share of a BatchGetItem.
    BatchGet(Box<BatchGet>),
    /// One table's share of a BatchWriteItem.
    BatchWrite(Box<BatchWrite>),
    UpdateTimeToLive(UpdateTimeToLive),
    DescribeTimeToLive,
    /// The table's own share of ListStreams: its visible streams.
    ListStreams,
    DescribeStream(DescribeStream),
    GetShardIterator(GetShardIterator),
    GetRecords(GetRecords),
    /// From the catalog: retire this deleted table's storage, if the retention rule allows.
    Retire,
    /// A TransactWriteItems whose every action is on this table: decided here, in one
    /// transaction.
    Transact(Box<Transact>),
    /// This table's part of a transaction over several tables: check, stage and lock.
    TxPrepare(Box<Transact>),
    /// The outcome of a prepared transaction: apply (commit) or drop (abort) its writes.
    TxResolve(TxResolve),
    /// This table's part of a TransactGetItems: read, and say which items are locked; with
    /// `expect`, check the items are still what an earlier read saw.
    TxGet(Box<TxGet>),
    /// CreateBackup: snapshot the table now, store the snapshot and its manifest, then tell
    /// the catalog the backup is available.
    TakeBackup(Box<TakeBackup>),
    DescribeContinuousBackups,
    UpdateContinuousBackups(UpdateContinuousBackups),
    /// A point-in-time restore from this table: check the instant against the recovery
    /// window (`None`: the latest restorable time).
    PitrPoint {
        at_ms: Option<i64>,
    },
    /// From a table being restored from this one: what to read from the object store to
    /// rebuild this table at `at_ms` (and archive what is not there yet).
    RestorePlan {
        at_ms: i64,
    },
    /// ExportTableToPointInTime: check the request against the table and its recovery
    /// window, fix the log positions, and write the export in the background. From the
    /// catalog again (`resume`) for an export cut short: write it again unless it is running.
    StartExport {
        record: Box<crate::api::transfer::ExportRecord>,
        resume: bool,
    },
    /// From the catalog: the import filling this table, as it stands.
    ImportStatus,
    /// An export this table is writing, as it stands (progress for operators' tools).
    ExportStatus {
        arn: String,
    },
    /// TagResource, UntagResource: change the tags of the table, or of its stream labelled
    /// `stream`.
    Tag {
        arn: String,
        stream: Option<String>,
        change: crate::api::tags::TagChange,
    },
    /// ListTagsOfResource.
    ListTags {
        arn: String,
        stream: Option<String>,
    },
}

impl TableCommand {
    /// Whether the command reads or writes items (refused while a restore loads the table).
    pub fn is_data(&self) -> bool {
        matches!(
            self,
            TableCommand::PutItem(_)
                | TableCommand::UpdateItem(_)
                | TableCommand::DeleteItem(_)
                | TableCommand::GetItem(_)
                | TableCommand::Query(_)
                | TableCommand::Scan(_)
                | TableCommand::BatchGet(_)
                | TableCommand::BatchWrite(_)
                | TableCommand::Transact(_)
                | TableCommand::TxPrepare(_)
                | TableCommand::TxGet(_)
        )
    }

    /// Whether the command may change the table (and so must wait for a commit).
    pub fn is_write(&self) -> bool {
        // Exhaustive on purpose: a new command must be classified.
        match self {
            TableCommand::CreateTable(_)
            | TableCommand::UpdateTable(_)
            | TableCommand::DeleteTable
            | TableCommand::PutItem(_)
            | TableCommand::UpdateItem(_)
            | TableCommand::DeleteItem(_)
            | TableCommand::BatchWrite(_)
            | TableCommand::UpdateTimeToLive(_)
            | TableCommand::Retire
            | TableCommand::Transact(_)
            | TableCommand::TxPrepare(_)
            | TableCommand::TxResolve(_)
            | TableCommand::UpdateContinuousBackups(_)
            | TableCommand::Tag { .. } => true,
            TableCommand::DescribeTable
            | TableCommand::GetItem(_)
            | TableCommand::Query(_)
            | TableCommand::Scan(_)
            | TableCommand::BatchGet(_)
            | TableCommand::DescribeTimeToLive
            | TableCommand::ListStreams
            | TableCommand::DescribeStream(_)
            | TableCommand::GetShardIterator(_)
            | TableCommand::GetRecords(_)
            | TableCommand::TxGet(_)
            | TableCommand::TakeBackup(_)
            | TableCommand::DescribeContinuousBackups
            | TableCommand::PitrPoint { .. }
            | TableCommand::RestorePlan { .. }
            | TableCommand::StartExport { .. }
            | TableCommand::ImportStatus
            | TableCommand::ExportStatus { .. }
            | TableCommand::ListTags { .. } => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakeBackup {
    pub arn: String,
    pub name: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateContinuousBackups {
    pub enabled: bool,
    /// RecoveryPeriodInDays (1–35), if given.
    pub recovery_days: Option<u32>,
}

/// CreateTable: the validated schema (its id minted by the request flow) and the stream to
/// open, which the table object opens at the LSN of its `TableCreated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateTable {
    pub schema: TableSchema,
    pub stream: Option<StreamViewType>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateTable {
    pub billing_mode: Option<String>,
    pub throughput: Option<Throughput>,
    /// AttributeDefinitions, in the request's order.
    pub attribute_definitions: Vec<KeyAttr>,
    pub index_updates: Option<Vec<IndexUpdate>>,
    pub stream: Option<StreamChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum IndexUpdate {
    /// A new global index; its key attribute types come from the definitions.
    Create(IndexSchema),
    Update {
        name: String,
        throughput: Option<Throughput>,
    },
    Delete {
        name: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StreamChange {
    Enable(StreamViewType),
    Disable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ReturnValues {
    #[default]
    None,
    AllOld,
    UpdatedOld,
    AllNew,
    UpdatedNew,
}

/// What every single-item write checks and returns besides the item.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WriteOptions {
    pub condition: Option<Condition>,
    /// ReturnValuesOnConditionCheckFailure: ALL_OLD.
    pub old_on_failure: bool,
    pub capacity: ReturnCapacity,
    /// ReturnItemCollectionMetrics: SIZE.
    pub metrics: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PutItem {
    pub item: Item,
    /// NONE or ALL_OLD.
    pub return_values: ReturnValues,
    pub options: WriteOptions,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeleteItem {
    pub key: Item,
    /// NONE or ALL_OLD.
    pub return_values: ReturnValues,
    pub options: WriteOptions,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateItem {
    pub key: Item,
    /// UpdateExpression or legacy AttributeUpdates; `None` writes the key only.
    pub update: Option<UpdateExpr>,
    pub return_values: ReturnValues,
    pub options: WriteOptions,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetItem {
    pub key: Item,
    pub projection: Option<Projection>,
    pub consistent: bool,
    pub capacity: ReturnCapacity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Select {
    All,
    Projected,
    Specific,
    Count,
}

/// What Query and Scan share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Read {
    pub index: Option<String>,
    pub filter: Option<Condition>,
    /// The filter is a FilterExpression (not QueryFilter/ScanFilter): only such a filter
    /// may not name key attributes.
    pub filter_expression: bool,
    pub projection: Option<Projection>,
    pub select: Select,
    pub consistent: bool,
    pub capacity: ReturnCapacity,
    pub limit: Option<usize>,
    pub start_key: Option<Item>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum KeyConditionSpec {
    Expression(KeyConditionExpr),
    Legacy(KeyConditions),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    pub read: Read,
    pub key_condition: KeyConditionSpec,
    pub forward: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub segment: u32,
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scan {
    pub read: Read,
    pub segment: Option<Segment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchGet {
    pub keys: Vec<Item>,
    pub projection: Option<Projection>,
    pub consistent: bool,
    pub capacity: ReturnCapacity,
    /// Item bytes this share may still return before the response reaches DynamoDB's
    /// 16 MB limit (the rest become UnprocessedKeys).
    pub budget: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WriteRequest {
    Put(Item),
    Delete(Item),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchWrite {
    pub writes: Vec<WriteRequest>,
    pub capacity: ReturnCapacity,
    pub metrics: bool,
    /// Validate against the schema only; change nothing (the first pass of a batch write
    /// over several tables).
    pub dry_run: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateTimeToLive {
    pub enabled: bool,
    pub attribute: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribeStream {
    pub arn: String,
    pub limit: usize,
    pub exclusive_start_shard_id: Option<String>,
    /// ShardFilter CHILD_SHARDS: only the children of this shard.
    pub children_of: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IteratorType {
    TrimHorizon,
    Latest,
    AtSequenceNumber,
    AfterSequenceNumber,
}

impl IteratorType {
    pub fn as_str(self) -> &'static str {
        match self {
            IteratorType::TrimHorizon => "TRIM_HORIZON",
            IteratorType::Latest => "LATEST",
            IteratorType::AtSequenceNumber => "AT_SEQUENCE_NUMBER",
            IteratorType::AfterSequenceNumber => "AFTER_SEQUENCE_NUMBER",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetShardIterator {
    pub arn: String,
    pub shard_id: String,
    pub kind: IteratorType,
    pub sequence_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetRecords {
    pub iterator: ShardIterator,
    pub limit: usize,
}

/// One action of a TransactWriteItems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TxKind {
    Put(Item),
    Update { key: Item, update: UpdateExpr },
    Delete(Item),
    ConditionCheck(Item),
}

impl TxKind {
    /// The item a Put writes, or the key the other actions name.
    pub fn subject(&self) -> &Item {
        match self {
            TxKind::Put(item) => item,
            TxKind::Update { key, .. } | TxKind::Delete(key) | TxKind::ConditionCheck(key) => key,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TxAction {
    /// The action's position in the request (cancellation reasons are positional).
    pub index: usize,
    pub kind: TxKind,
    pub condition: Option<Condition>,
    /// ReturnValuesOnConditionCheckFailure: ALL_OLD.
    pub old_on_failure: bool,
}

/// A transaction's actions on one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transact {
    pub txid: String,
    /// The coordinator shard deciding the transaction (`TxPrepare` only).
    pub coordinator: Option<u32>,
    pub token: Option<extenddo_log::event::TxToken>,
    /// How many actions the whole request has (for positional reasons).
    pub total: usize,
    pub actions: Vec<TxAction>,
    pub capacity: ReturnCapacity,
    pub metrics: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxResolve {
    pub txid: String,
    pub commit: bool,
}

/// One Get of a TransactGetItems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TxGetItem {
    pub index: usize,
    pub key: Item,
    pub projection: Option<Projection>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TxGet {
    pub gets: Vec<TxGetItem>,
    pub capacity: ReturnCapacity,
    /// The fingerprint of each item (in `gets` order) an earlier read saw; the read fails
    /// with a conflict if any changed.
    pub expect: Option<Vec<u64>>,
    /// The `key`s are whole items (a replayed TransactWriteItems' Puts): read the items
    /// with their key attributes.
    #[serde(default)]
    pub keys_of_items: bool,
}

impl TxGet {
    /// The read that bills a replayed TransactWriteItems (one answered from its
    /// ClientRequestToken): its items, read as a transaction reads them.
    pub fn replay_of(actions: &[TxAction], capacity: ReturnCapacity) -> TxGet {
        TxGet {
            gets: actions
                .iter()
                .map(|a| TxGetItem {
                    index: a.index,
                    key: a.kind.subject().clone(),
                    projection: None,
                })
                .collect(),
            capacity,
            expect: None,
            keys_of_items: true,
        }
    }
}
