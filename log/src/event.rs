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
}

impl Event {
    /// A stable name for tooling and the `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::TableCreated { .. } => "TableCreated",
            Event::TableDeleted => "TableDeleted",
            Event::ItemPut { .. } => "ItemPut",
            Event::ItemDeleted { .. } => "ItemDeleted",
        }
    }
}
