//! The synchronous SQL port every host implements.
//!
//! Both hosts expose SQLite: rusqlite natively, `SqlStorage` inside a Durable Object. The port
//! is synchronous because Durable Object SQL is, and because a write must append its log
//! record and update every projection inside one transaction with no await point in between.

use thiserror::Error;

/// A value bound to or read from SQL, SQLite's five storage classes.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

pub type Row = Vec<SqlValue>;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum SqlError {
    #[error("sql: {0}")]
    Backend(String),
    #[error("sql: column {index} of the result is not {expected}")]
    Type {
        index: usize,
        expected: &'static str,
    },
    /// Returned by a transaction body to roll back; the real reason travels beside it.
    #[error("transaction aborted")]
    Aborted,
}

/// One SQLite database, owned by a single writer.
pub trait Sql {
    /// Runs a statement that returns no rows.
    fn exec(&self, sql: &str, params: &[SqlValue]) -> Result<(), SqlError>;
    /// Runs a statement and returns all its rows.
    fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, SqlError>;
    /// Runs `body` in one transaction: committed when it returns `Ok`, rolled back otherwise.
    /// Transactions never nest.
    fn transaction(&self, body: &mut dyn FnMut() -> Result<(), SqlError>) -> Result<(), SqlError>;
    /// [`Sql::transaction`] for a body expected only to read: a backend may start it without
    /// taking the write lock (it still may write, at the cost of taking the lock then), and
    /// may keep it open for the next one as long as nothing else can have committed.
    fn read_transaction(
        &self,
        body: &mut dyn FnMut() -> Result<(), SqlError>,
    ) -> Result<(), SqlError> {
        self.transaction(body)
    }
    /// Whether a transaction is open (writers assert it before they append to the log).
    fn in_transaction(&self) -> bool;
}

/// Runs `f` in one transaction of `sql`, carrying any error type through the rollback.
pub fn in_transaction<T, E: From<SqlError>>(
    sql: &dyn Sql,
    f: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    run_in(sql, false, f)
}

/// [`in_transaction`] for a body that only reads ([`Sql::read_transaction`]).
pub fn in_read_transaction<T, E: From<SqlError>>(
    sql: &dyn Sql,
    f: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    run_in(sql, true, f)
}

fn run_in<T, E: From<SqlError>>(
    sql: &dyn Sql,
    read_only: bool,
    f: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    let mut f = Some(f);
    let mut out: Option<Result<T, E>> = None;
    let mut body = || {
        let f = f.take().ok_or(SqlError::Aborted)?;
        let r = f();
        let failed = r.is_err();
        out = Some(r);
        if failed {
            Err(SqlError::Aborted)
        } else {
            Ok(())
        }
    };
    let outcome = if read_only {
        sql.read_transaction(&mut body)
    } else {
        sql.transaction(&mut body)
    };
    match (outcome, out) {
        (Ok(()), Some(r @ Ok(_))) => r,
        (_, Some(Err(e))) => Err(e),
        (Err(e), _) => Err(e.into()),
        (Ok(()), _) => Err(SqlError::Backend("transaction body did not run".into()).into()),
    }
}

/// Typed column access for result rows.
pub trait RowExt {
    fn int(&self, index: usize) -> Result<i64, SqlError>;
    fn blob(&self, index: usize) -> Result<&[u8], SqlError>;
    fn text(&self, index: usize) -> Result<&str, SqlError>;
    fn opt_blob(&self, index: usize) -> Result<Option<&[u8]>, SqlError>;
}

impl RowExt for [SqlValue] {
    fn int(&self, index: usize) -> Result<i64, SqlError> {
        match self.get(index) {
            Some(SqlValue::Integer(v)) => Ok(*v),
            _ => Err(SqlError::Type {
                index,
                expected: "an integer",
            }),
        }
    }
    fn blob(&self, index: usize) -> Result<&[u8], SqlError> {
        match self.get(index) {
            Some(SqlValue::Blob(v)) => Ok(v),
            // Durable Object SQL returns an empty BLOB as an empty ArrayBuffer, but some
            // paths hand back NULL for zero-length blobs; both mean "no bytes".
            Some(SqlValue::Null) => Ok(&[]),
            _ => Err(SqlError::Type {
                index,
                expected: "a blob",
            }),
        }
    }
    fn text(&self, index: usize) -> Result<&str, SqlError> {
        match self.get(index) {
            Some(SqlValue::Text(v)) => Ok(v),
            _ => Err(SqlError::Type {
                index,
                expected: "text",
            }),
        }
    }
    fn opt_blob(&self, index: usize) -> Result<Option<&[u8]>, SqlError> {
        match self.get(index) {
            Some(SqlValue::Blob(v)) => Ok(Some(v)),
            Some(SqlValue::Null) => Ok(None),
            _ => Err(SqlError::Type {
                index,
                expected: "a blob or NULL",
            }),
        }
    }
}
