//! The TTL schedule projection: which items expire when, so a sweep finds expired items
//! without scanning the table. Maintained on every item mutation while TTL is enabled.

use extenddo_log::{Item, Sql, SqlError};

use crate::schema::TableSchema;

pub(crate) fn init(_sql: &dyn Sql) -> Result<(), SqlError> {
    Ok(())
}

pub(crate) fn drop(_sql: &dyn Sql) -> Result<(), SqlError> {
    Ok(())
}

pub(crate) fn clear(_sql: &dyn Sql) -> Result<(), SqlError> {
    Ok(())
}

/// An item was written (`old` → `new`) or deleted (`new` is `None`).
pub(crate) fn on_change(
    _sql: &dyn Sql,
    _schema: &TableSchema,
    _key: &(Vec<u8>, Vec<u8>),
    _old: Option<&Item>,
    _new: Option<&Item>,
) -> Result<(), SqlError> {
    Ok(())
}

/// The schema changed (TTL enabled, disabled or moved to another attribute).
pub(crate) fn on_schema(
    _sql: &dyn Sql,
    _old: Option<&TableSchema>,
    _new: &TableSchema,
) -> Result<(), SqlError> {
    Ok(())
}
