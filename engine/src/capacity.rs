//! Consumed capacity, computed as DynamoDB bills it, and its response shapes.

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::wire::{Constraints, Params};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnCapacity {
    None,
    Total,
    Indexes,
}

impl ReturnCapacity {
    pub fn from(p: &Params) -> Result<ReturnCapacity, ApiError> {
        Ok(match p.str("ReturnConsumedCapacity")? {
            None | Some("NONE") => ReturnCapacity::None,
            Some("TOTAL") => ReturnCapacity::Total,
            Some("INDEXES") => ReturnCapacity::Indexes,
            Some(other) => {
                let mut c = Constraints::default();
                c.fail(
                    Some(other),
                    "returnConsumedCapacity",
                    "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
                );
                c.check()?;
                ReturnCapacity::None
            }
        })
    }

    /// The `ConsumedCapacity` member for `units` consumed on `table`, if one was asked for.
    pub fn render(self, table: &str, units: f64) -> Option<Value> {
        match self {
            ReturnCapacity::None => None,
            ReturnCapacity::Total => Some(json!({ "TableName": table, "CapacityUnits": units })),
            ReturnCapacity::Indexes => Some(json!({
                "TableName": table,
                "CapacityUnits": units,
                "Table": { "CapacityUnits": units },
            })),
        }
    }
}

/// Write units: one per KB of the larger of the old and new item, at least one.
pub fn write_units(old_size: usize, new_size: usize) -> f64 {
    (old_size.max(new_size).div_ceil(1024)).max(1) as f64
}

/// Read units for `bytes` read in one operation: one per 4 KB (at least one), halved for
/// eventually consistent reads.
pub fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

/// Checks ReturnItemCollectionMetrics (item collections exist only with local indexes).
pub fn item_collection_metrics(p: &Params) -> Result<bool, ApiError> {
    match p.str("ReturnItemCollectionMetrics")? {
        None | Some("NONE") => Ok(false),
        Some("SIZE") => Ok(true),
        Some(other) => {
            let mut c = Constraints::default();
            c.fail(
                Some(other),
                "returnItemCollectionMetrics",
                "Member must satisfy enum value set: [SIZE, NONE]",
            );
            c.check()?;
            Ok(false)
        }
    }
}
