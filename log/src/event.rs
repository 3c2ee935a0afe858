//! Versioned log events. The bincode encoding of these enums is the log format: variants
//! and fields are only ever appended, and golden-byte tests pin every kind.

use serde::{Deserialize, Serialize};

use crate::value::Item;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// A table came into being. The schema is JSON so that later schema fields do not
    /// change the framing of old records.
    TableCreated { schema_json: String },
    /// The table was deleted; every projection becomes empty.
    TableDeleted,
    /// An item was written. `old` is the image it replaced, if any.
    ItemPut { old: Option<Item>, new: Item },
    /// An item was deleted; `old` is its last image.
    ItemDeleted { old: Item },
    /// The table's schema changed (UpdateTable, UpdateTimeToLive, index lifecycle): the
    /// whole new schema, as JSON.
    TableUpdated { schema_json: String },
    /// The TTL sweeper deleted an expired item (a service deletion, not a client's).
    ItemExpired { old: Item },
    /// A slice of a new index's backfill: items whose scan position lies in
    /// `(after, upto]` were indexed from the table's state at this point of the log.
    /// Positions are encoded `(partition hash, partition key, sort key)`; `None` is the
    /// start (for `after`) or the end (for `upto`) of the table. The slice ending at the end
    /// of the table makes the index ACTIVE.
    IndexBackfilled {
        index: String,
        after: Option<ScanPosition>,
        upto: Option<ScanPosition>,
    },
    /// A table's part of a transaction is prepared: its conditions held against the state
    /// before the transaction, its writes are staged, and the items it touches are locked
    /// until the transaction's `TxResolved`. `coordinator` is the coordinator shard that
    /// decides it (`None`: the table decides itself, a single-table transaction).
    TxPrepared {
        txid: String,
        coordinator: Option<u32>,
        token: Option<TxToken>,
        /// The keys of every item the transaction touches here (condition checks included).
        locks: Vec<Item>,
        /// The writes to apply on commit: an item's key and its new image (`None`: delete).
        writes: Vec<(Item, Option<Item>)>,
    },
    /// The transaction is decided: its locks go and, if `commit`, its staged writes follow as
    /// ordinary `ItemPut` / `ItemDeleted` records.
    TxResolved { txid: String, commit: bool },
    /// Coordinator log: a transaction over several tables began (`participants` are table ids).
    TxIntent {
        txid: String,
        token: Option<TxToken>,
        participants: Vec<String>,
    },
    /// Coordinator log: the transaction's one outcome.
    TxDecided { txid: String, commit: bool },
    /// Coordinator log: every participant applied the outcome.
    TxCompleted { txid: String },
    /// More staged writes of the `TxPrepared` just before it (same transaction), when they
    /// are too many bytes for one record: a host may limit the size of a stored row (a
    /// Durable Object's SQLite to 2 MB).
    TxStaged {
        txid: String,
        writes: Vec<(Item, Option<Item>)>,
    },
    /// The records `first ..= last` are sealed into the segment stored under `key` in the
    /// object store (and the store confirmed it).
    SegmentArchived { first: u64, last: u64, key: String },
    /// A snapshot of the table through record `lsn` (written at `ts_ms`) is stored under
    /// `key` in the object store (and the store confirmed it).
    SnapshotArchived { lsn: u64, ts_ms: i64, key: String },
    /// The records up to `upto` were deleted from the local log: they are in archived
    /// segments, and the snapshot through `upto` holds their state.
    LogTrimmed { upto: u64 },
}

/// A ClientRequestToken and a fingerprint of the request it came with, for idempotency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxToken {
    pub token: String,
    /// 32 hex digits identifying the request's content.
    pub request: String,
}

/// A position in a table's scan order: (partition hash, encoded partition key, encoded
/// sort key).
pub type ScanPosition = (i64, Vec<u8>, Vec<u8>);

impl Event {
    /// A stable name for tooling and the `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::TableCreated { .. } => "TableCreated",
            Event::TableDeleted => "TableDeleted",
            Event::ItemPut { .. } => "ItemPut",
            Event::ItemDeleted { .. } => "ItemDeleted",
            Event::TableUpdated { .. } => "TableUpdated",
            Event::ItemExpired { .. } => "ItemExpired",
            Event::IndexBackfilled { .. } => "IndexBackfilled",
            Event::TxPrepared { .. } => "TxPrepared",
            Event::TxResolved { .. } => "TxResolved",
            Event::TxIntent { .. } => "TxIntent",
            Event::TxDecided { .. } => "TxDecided",
            Event::TxCompleted { .. } => "TxCompleted",
            Event::TxStaged { .. } => "TxStaged",
            Event::SegmentArchived { .. } => "SegmentArchived",
            Event::SnapshotArchived { .. } => "SnapshotArchived",
            Event::LogTrimmed { .. } => "LogTrimmed",
        }
    }
}
