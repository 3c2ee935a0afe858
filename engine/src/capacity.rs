//! Consumed capacity, computed as DynamoDB bills it, and its response shapes.

use extenddo_log::value::item_size;
use extenddo_log::Item;
use extenddo_projections::indexes;
use extenddo_projections::schema::IndexKind;
use extenddo_projections::TableSchema;
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

/// Capacity consumed by one request: on the table and on each index it touched.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Consumed {
    pub table: f64,
    pub global: Vec<(String, f64)>,
    pub local: Vec<(String, f64)>,
}

impl Consumed {
    pub fn table(units: f64) -> Consumed {
        Consumed {
            table: units,
            ..Consumed::default()
        }
    }

    /// Adds another request's consumption (batch writes).
    pub fn add(&mut self, other: Consumed) {
        self.table += other.table;
        for (list, more) in [
            (&mut self.global, other.global),
            (&mut self.local, other.local),
        ] {
            for (name, units) in more {
                match list.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, u)) => *u += units,
                    None => list.push((name, units)),
                }
            }
        }
    }

    fn total(&self) -> f64 {
        self.table
            + self
                .global
                .iter()
                .chain(&self.local)
                .map(|(_, u)| u)
                .sum::<f64>()
    }
}

impl ReturnCapacity {
    /// The `ConsumedCapacity` member for a request that consumed `c` on `table`.
    pub fn render_consumed(self, table: &str, c: &Consumed) -> Option<Value> {
        let mut v = self.render(table, c.total())?;
        if self == ReturnCapacity::Indexes {
            v["Table"] = json!({ "CapacityUnits": c.table });
            for (member, list) in [
                ("GlobalSecondaryIndexes", &c.global),
                ("LocalSecondaryIndexes", &c.local),
            ] {
                if !list.is_empty() {
                    let m: serde_json::Map<String, Value> = list
                        .iter()
                        .map(|(n, u)| (n.clone(), json!({ "CapacityUnits": u })))
                        .collect();
                    v[member] = Value::Object(m);
                }
            }
        }
        Some(v)
    }
}

/// What a write of `old` → `new` (either may be absent) consumes, as AWS bills it: the
/// table's write, plus for each index the item enters, leaves or stays in, a write of its
/// projected entry — two (a delete and a put) when the item's index key changes.
pub fn write_consumed(s: &TableSchema, old: Option<&Item>, new: Option<&Item>) -> Consumed {
    let size = |i: Option<&Item>| i.map_or(0, item_size);
    let mut c = Consumed::table(write_units(size(old), size(new)));
    for ix in &s.indexes {
        let entry = |i: Option<&Item>| {
            i.and_then(|i| {
                indexes::entry_key(ix, i).map(|k| (k, item_size(&indexes::project(ix, &s.key, i))))
            })
        };
        let units = match (entry(old), entry(new)) {
            (None, None) => continue,
            (Some((ko, so)), Some((kn, sn))) if ko == kn => write_units(so, sn),
            (Some((_, so)), Some((_, sn))) => write_units(so, 0) + write_units(0, sn),
            (Some((_, so)), None) => write_units(so, 0),
            (None, Some((_, sn))) => write_units(0, sn),
        };
        let list = if ix.kind == IndexKind::Global {
            &mut c.global
        } else {
            &mut c.local
        };
        list.push((ix.name.clone(), units));
    }
    c
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
