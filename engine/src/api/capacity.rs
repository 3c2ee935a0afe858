//! Consumed capacity and item collection metrics, as replies carry them.

use extenddo_log::Item;
use serde::{Deserialize, Serialize};

/// What `ReturnConsumedCapacity` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ReturnCapacity {
    #[default]
    None,
    Total,
    Indexes,
}

/// Capacity consumed by one request: on the table and on each index it touched.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
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

    pub fn total(&self) -> f64 {
        self.table
            + self
                .global
                .iter()
                .chain(&self.local)
                .map(|(_, u)| u)
                .sum::<f64>()
    }
}

/// A `ConsumedCapacity` structure: `TableName`, `CapacityUnits` and, for INDEXES, the
/// `Table` / `GlobalSecondaryIndexes` / `LocalSecondaryIndexes` breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsumedCapacity {
    pub table_name: String,
    pub capacity_units: f64,
    pub table: Option<f64>,
    pub global: Vec<(String, f64)>,
    pub local: Vec<(String, f64)>,
}

/// Which index a read went to, for the INDEXES breakdown of its capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadSource<'a> {
    Table,
    Global(&'a str),
    Local(&'a str),
}

impl ReturnCapacity {
    /// What a write that consumed `c` on `table` reports, if anything was asked.
    pub fn consumed(self, table: &str, c: &Consumed) -> Option<ConsumedCapacity> {
        let mut out = ConsumedCapacity {
            table_name: table.to_owned(),
            capacity_units: c.total(),
            table: None,
            global: Vec::new(),
            local: Vec::new(),
        };
        match self {
            ReturnCapacity::None => return None,
            ReturnCapacity::Total => {}
            ReturnCapacity::Indexes => {
                out.table = Some(c.table);
                out.global = c.global.clone();
                out.local = c.local.clone();
            }
        }
        Some(out)
    }

    /// What a read of `units` from `source` reports, if anything was asked. On an index,
    /// INDEXES charges the index and shows the table at 0 (dynalite's captures of AWS).
    pub fn read(self, table: &str, units: f64, source: ReadSource) -> Option<ConsumedCapacity> {
        let mut out = ConsumedCapacity {
            table_name: table.to_owned(),
            capacity_units: units,
            table: None,
            global: Vec::new(),
            local: Vec::new(),
        };
        match (self, source) {
            (ReturnCapacity::None, _) => return None,
            (ReturnCapacity::Total, _) => {}
            (ReturnCapacity::Indexes, ReadSource::Table) => out.table = Some(units),
            (ReturnCapacity::Indexes, ReadSource::Global(ix)) => {
                out.table = Some(0.0);
                out.global = vec![(ix.to_owned(), units)]
            }
            (ReturnCapacity::Indexes, ReadSource::Local(ix)) => {
                out.table = Some(0.0);
                out.local = vec![(ix.to_owned(), units)]
            }
        }
        Some(out)
    }
}

/// ItemCollectionMetrics of one item collection (tables with local indexes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectionMetrics {
    /// The collection's partition key, as `{name: value}`.
    pub key: Item,
    /// `SizeEstimateRangeGB`.
    pub size_gb: (f64, f64),
}
