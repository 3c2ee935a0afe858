//! `replay(log) == projections`, checked on a real table: the live projections compared with
//! ones rebuilt from the log, projection by projection, reporting the first difference.

use extenddo_log::Sql;

use crate::{archive, indexes, items, schema, ttl, tx, ProjectionError};

/// Which projection differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Projection {
    Schema,
    Items,
    Index(String),
    Ttl,
    Locks,
    Archive,
}

impl std::fmt::Display for Projection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Projection::Schema => f.write_str("schema"),
            Projection::Items => f.write_str("items"),
            Projection::Index(name) => write!(f, "index {name}"),
            Projection::Ttl => f.write_str("TTL schedule"),
            Projection::Locks => f.write_str("transaction locks"),
            Projection::Archive => f.write_str("archived segments"),
        }
    }
}

/// The first difference between a live projection and its replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub projection: Projection,
    /// The table key (encoded partition and sort key) of the row that differs.
    pub key: Option<(Vec<u8>, Vec<u8>)>,
    /// What differs: `missing` (in the live projection), `unexpected` (only live), or
    /// `changed`.
    pub what: &'static str,
}

/// The first of `live` and `replayed` (both sorted by `key`) that differ: its key and how.
fn first_diff<T: PartialEq, K: Ord + Clone>(
    live: &[T],
    replayed: &[T],
    key: impl Fn(&T) -> K,
) -> Option<(K, &'static str)> {
    let (mut i, mut j) = (0, 0);
    while i < live.len() || j < replayed.len() {
        match (live.get(i), replayed.get(j)) {
            (Some(a), Some(b)) => match key(a).cmp(&key(b)) {
                std::cmp::Ordering::Equal => {
                    if a != b {
                        return Some((key(a), "changed"));
                    }
                    i += 1;
                    j += 1;
                }
                std::cmp::Ordering::Less => return Some((key(a), "unexpected")),
                std::cmp::Ordering::Greater => return Some((key(b), "missing")),
            },
            (Some(a), None) => return Some((key(a), "unexpected")),
            (None, Some(b)) => return Some((key(b), "missing")),
            (None, None) => break,
        }
    }
    None
}

/// Compares every projection of `live` with the one replayed into `replayed`.
pub fn compare(live: &dyn Sql, replayed: &dyn Sql) -> Result<Option<Difference>, ProjectionError> {
    let (ls, rs) = (schema::load(live)?, schema::load(replayed)?);
    if ls != rs {
        return Ok(Some(Difference {
            projection: Projection::Schema,
            key: None,
            what: "changed",
        }));
    }
    // Items are compared in key order (the dump's order is the scan order: hash first).
    let mut li = items::dump(live)?;
    let mut ri = items::dump(replayed)?;
    li.sort();
    ri.sort();
    if let Some(((pk, sk), what)) = first_diff(&li, &ri, |r| (r.0.clone(), r.1.clone())) {
        return Ok(Some(Difference {
            projection: Projection::Items,
            key: Some((pk, sk)),
            what,
        }));
    }
    let mut lx = indexes::dump(live)?;
    let mut rx = indexes::dump(replayed)?;
    lx.sort();
    rx.sort();
    if let Some(((ix, tpk, tsk), what)) =
        first_diff(&lx, &rx, |r| (r.0.clone(), r.3.clone(), r.4.clone()))
    {
        return Ok(Some(Difference {
            projection: Projection::Index(ix),
            key: Some((tpk, tsk)),
            what,
        }));
    }
    let mut lt = ttl::dump(live)?;
    let mut rt = ttl::dump(replayed)?;
    lt.sort();
    rt.sort();
    if let Some(((pk, sk), what)) = first_diff(&lt, &rt, |r| (r.0.clone(), r.1.clone())) {
        return Ok(Some(Difference {
            projection: Projection::Ttl,
            key: Some((pk, sk)),
            what,
        }));
    }
    let (ll, rl) = (tx::dump_locks(live)?, tx::dump_locks(replayed)?);
    if let Some(((pk, sk), what)) = first_diff(&ll, &rl, |r| (r.0.clone(), r.1.clone())) {
        return Ok(Some(Difference {
            projection: Projection::Locks,
            key: Some((pk, sk)),
            what,
        }));
    }
    let (la, ra) = (archive::segments(live)?, archive::segments(replayed)?);
    if la != ra {
        return Ok(Some(Difference {
            projection: Projection::Archive,
            key: None,
            what: "changed",
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_difference_names_the_row_and_how() {
        let k = |r: &(u8, u8)| r.0;
        assert_eq!(first_diff(&[(1, 1), (2, 2)], &[(1, 1), (2, 2)], k), None);
        assert_eq!(
            first_diff(&[(1, 1), (2, 3)], &[(1, 1), (2, 2)], k),
            Some((2, "changed"))
        );
        assert_eq!(
            first_diff(&[(1, 1)], &[(1, 1), (2, 2)], k),
            Some((2, "missing"))
        );
        assert_eq!(
            first_diff(&[(1, 1), (2, 2)], &[(2, 2)], k),
            Some((1, "unexpected"))
        );
    }
}
