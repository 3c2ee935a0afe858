//! The TTL schedule projection: which items expire when, so a sweep finds expired items
//! without scanning the table. Maintained on every item mutation while TTL is enabled.
//!
//! ```sql
//! ttl (h, pk, sk, expires)   -- one row per item whose TTL attribute is a number
//! ```
//!
//! `expires` is the attribute's value in whole epoch seconds (a fraction is cut off; a
//! value beyond the range of an i64 is clamped). Items whose TTL attribute is missing or
//! not a number have no row: they never expire. The projection does not know the time:
//! the sweeper decides what is due (and skips expiry times more than five years in the
//! past, as DynamoDB does).

use extenddo_log::sql::RowExt;
use extenddo_log::{AttributeValue, Item, Sql, SqlError, SqlValue};

use crate::items::{partition_hash, scan_positions};
use crate::schema::TableSchema;

pub(crate) fn init(sql: &dyn Sql) -> Result<(), SqlError> {
    sql.exec(
        "CREATE TABLE IF NOT EXISTS ttl (
            h INTEGER NOT NULL,
            pk BLOB NOT NULL,
            sk BLOB NOT NULL,
            expires INTEGER NOT NULL,
            PRIMARY KEY (h, pk, sk)
        ) WITHOUT ROWID",
        &[],
    )?;
    sql.exec(
        "CREATE INDEX IF NOT EXISTS ttl_expires ON ttl (expires)",
        &[],
    )
}

pub(crate) fn drop(sql: &dyn Sql) -> Result<(), SqlError> {
    sql.exec("DROP TABLE IF EXISTS ttl", &[])
}

pub(crate) fn clear(sql: &dyn Sql) -> Result<(), SqlError> {
    sql.exec("DELETE FROM ttl", &[])
}

/// The expiry time (epoch seconds) an item's TTL attribute gives, if it is a number.
pub fn expiry(item: &Item, attribute: &str) -> Option<i64> {
    match item.get(attribute)? {
        AttributeValue::N(n) => {
            let f: f64 = n.to_string().parse().ok()?;
            // `as` saturates at the i64 range; a fraction of a second is cut off.
            Some(f.floor() as i64)
        }
        _ => None,
    }
}

fn key_params(key: &(Vec<u8>, Vec<u8>)) -> [SqlValue; 3] {
    [
        SqlValue::Integer(partition_hash(&key.0)),
        SqlValue::Blob(key.0.clone()),
        SqlValue::Blob(key.1.clone()),
    ]
}

fn set(sql: &dyn Sql, key: &(Vec<u8>, Vec<u8>), expires: i64) -> Result<(), SqlError> {
    let [h, pk, sk] = key_params(key);
    sql.exec(
        "INSERT OR REPLACE INTO ttl (h, pk, sk, expires) VALUES (?1, ?2, ?3, ?4)",
        &[h, pk, sk, SqlValue::Integer(expires)],
    )
}

fn unset(sql: &dyn Sql, key: &(Vec<u8>, Vec<u8>)) -> Result<(), SqlError> {
    sql.exec(
        "DELETE FROM ttl WHERE h = ?1 AND pk = ?2 AND sk = ?3",
        &key_params(key),
    )
}

/// An item was written (`old` → `new`) or deleted (`new` is `None`).
pub(crate) fn on_change(
    sql: &dyn Sql,
    schema: &TableSchema,
    key: &(Vec<u8>, Vec<u8>),
    old: Option<&Item>,
    new: Option<&Item>,
) -> Result<(), SqlError> {
    let Some(ttl) = &schema.ttl else {
        return Ok(());
    };
    let before = old.and_then(|i| expiry(i, &ttl.attribute));
    let after = new.and_then(|i| expiry(i, &ttl.attribute));
    match (before, after) {
        (b, a) if b == a => Ok(()),
        (_, Some(a)) => set(sql, key, a),
        (Some(_), None) => unset(sql, key),
        (None, None) => Ok(()),
    }
}

/// The schema changed (TTL enabled, disabled or moved to another attribute): the schedule is
/// rebuilt from the items.
pub(crate) fn on_schema(
    sql: &dyn Sql,
    old: Option<&TableSchema>,
    new: &TableSchema,
) -> Result<(), SqlError> {
    if old.map(|o| &o.ttl) == Some(&new.ttl) {
        return Ok(());
    }
    clear(sql)?;
    let Some(ttl) = &new.ttl else {
        return Ok(());
    };
    const PAGE: usize = 1024;
    let mut after = None;
    loop {
        let rows = scan_positions(sql, after.as_ref(), None, PAGE)?;
        for r in &rows {
            if let Some(e) = expiry(&r.item, &ttl.attribute) {
                set(sql, &(r.pk.clone(), r.sk.clone()), e)?;
            }
        }
        match rows.last() {
            Some(last) if rows.len() == PAGE => {
                after = Some((partition_hash(&last.pk), last.pk.clone(), last.sk.clone()))
            }
            _ => return Ok(()),
        }
    }
}

/// A scheduled item: `(encoded pk, encoded sk, expires)`.
pub type Scheduled = (Vec<u8>, Vec<u8>, i64);

/// Up to `limit` scheduled items whose expiry lies in `[from_s, upto_s]`, earliest first
/// (ties in scan order): `(pk, sk, expires)`.
pub fn due(
    sql: &dyn Sql,
    from_s: i64,
    upto_s: i64,
    limit: usize,
) -> Result<Vec<Scheduled>, SqlError> {
    sql.query(
        "SELECT pk, sk, expires FROM ttl WHERE expires >= ?1 AND expires <= ?2 ORDER BY expires, h, pk, sk LIMIT ?3",
        &[
            SqlValue::Integer(from_s),
            SqlValue::Integer(upto_s),
            SqlValue::Integer(limit.min(i64::MAX as usize) as i64),
        ],
    )?
    .iter()
    .map(|r| Ok((r.blob(0)?.to_vec(), r.blob(1)?.to_vec(), r.int(2)?)))
    .collect()
}

/// The earliest scheduled expiry at or after `from_s`, if any.
pub fn next_expiry(sql: &dyn Sql, from_s: i64) -> Result<Option<i64>, SqlError> {
    let rows = sql.query(
        "SELECT MIN(expires) FROM ttl WHERE expires >= ?1",
        &[SqlValue::Integer(from_s)],
    )?;
    Ok(match rows.first().and_then(|r| r.first()) {
        Some(SqlValue::Integer(v)) => Some(*v),
        _ => None,
    })
}

/// Every row in key order, for comparing a live projection with a rebuilt one.
pub fn dump(sql: &dyn Sql) -> Result<Vec<Scheduled>, SqlError> {
    sql.query("SELECT pk, sk, expires FROM ttl ORDER BY h, pk, sk", &[])?
        .iter()
        .map(|r| Ok((r.blob(0)?.to_vec(), r.blob(1)?.to_vec(), r.int(2)?)))
        .collect()
}
