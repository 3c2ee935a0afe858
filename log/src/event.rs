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
        }
    }
}
