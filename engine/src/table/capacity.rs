//! Consumed capacity, computed as DynamoDB bills it.

use extenddo_log::value::item_size;
use extenddo_log::Item;
use extenddo_projections::indexes;
use extenddo_projections::schema::IndexKind;
use extenddo_projections::TableSchema;

use crate::api::capacity::Consumed;

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
