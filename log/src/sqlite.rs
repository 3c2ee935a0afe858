//! The `Sql` port over rusqlite (feature `rusqlite`), for the native host and for tests.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

mod pcache;

use crate::sql::{Row, RowExt, Sql, SqlError, SqlValue};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql};

/// How hard a commit pushes data to disk (SQLite's `synchronous` in WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync the WAL on every commit: an acknowledged write survives power loss.
    Full,
    /// No fsync per commit: an acknowledged write survives a crash of the process,
    /// but not necessarily of the machine.
    Normal,
}

/// The WAL is copied into the database file by the commit that makes it this long (pages).
/// The copy (pages scattered over the file, then an fsync) runs on the committing thread
/// while the requests queued behind that commit wait: SQLite's default of 1000 pages made
/// it a 10–15 ms stall, PutItem's p99 under load; a quarter of that bounds the stall to a
/// few ms for about the same total work (docs/benchmarks.md, "Write path"). A connection
/// whose owner takes over its checkpoints ([`Sqlite::take_over_checkpoints`]) copies none.
pub const WAL_AUTOCHECKPOINT_PAGES: u32 = 256;

pub struct Sqlite {
    // Declared first so that it closes (and stops calling the WAL hook) before `wal` goes.
    conn: Connection,
    wal: Option<Arc<AtomicU32>>,
}

/// What `PRAGMA wal_checkpoint` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpointed {
    /// Frames in the WAL.
    pub frames: u32,
    /// Of those, copied into the database file.
    pub copied: u32,
}

unsafe extern "C" fn wal_frames_hook(
    arg: *mut std::ffi::c_void,
    _db: *mut rusqlite::ffi::sqlite3,
    _name: *const std::ffi::c_char,
    frames: std::ffi::c_int,
) -> std::ffi::c_int {
    // SAFETY: `arg` is the `Arc<AtomicU32>` the connection's owner keeps alive until the
    // connection is closed (field order of `Sqlite`).
    let counter = unsafe { &*(arg as *const AtomicU32) };
    counter.store(frames.max(0) as u32, Ordering::Relaxed);
    rusqlite::ffi::SQLITE_OK
}

fn backend(e: rusqlite::Error) -> SqlError {
    SqlError::Backend(e.to_string())
}

struct Param<'a>(&'a SqlValue);

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            SqlValue::Null => ValueRef::Null,
            SqlValue::Integer(i) => ValueRef::Integer(*i),
            SqlValue::Real(f) => ValueRef::Real(*f),
            SqlValue::Text(s) => ValueRef::Text(s.as_bytes()),
            SqlValue::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

impl Sqlite {
    pub fn open(path: &Path, durability: Durability) -> Result<Sqlite, SqlError> {
        Self::open_with(path, durability, OpenFlags::default())
    }

    /// [`Sqlite::open`], refusing to create the file.
    pub fn open_existing(path: &Path, durability: Durability) -> Result<Sqlite, SqlError> {
        Self::open_with(
            path,
            durability,
            OpenFlags::default() - OpenFlags::SQLITE_OPEN_CREATE,
        )
    }

    fn open_with(
        path: &Path,
        durability: Durability,
        flags: OpenFlags,
    ) -> Result<Sqlite, SqlError> {
        pcache::install();
        let conn = Connection::open_with_flags(path, flags).map_err(backend)?;
        let sync = match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        conn.execute_batch(&format!(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous={sync}; PRAGMA busy_timeout=5000; PRAGMA cache_size=-32768; PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES};"
        ))
        .map_err(backend)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Sqlite { conn, wal: None })
    }

    /// Stops checkpointing at commit: from now on the owner checkpoints (see
    /// [`Sqlite::checkpoint`], typically from another connection too), and reads how long the
    /// WAL is after each commit from the counter returned.
    pub fn take_over_checkpoints(&mut self) -> Arc<AtomicU32> {
        let counter = self
            .wal
            .get_or_insert_with(|| Arc::new(AtomicU32::new(0)))
            .clone();
        // SAFETY: the hook's argument outlives the connection (`Sqlite`'s field order); a
        // WAL hook replaces SQLite's own auto-checkpoint hook, which is the point.
        unsafe {
            rusqlite::ffi::sqlite3_wal_hook(
                self.conn.handle(),
                Some(wal_frames_hook),
                Arc::as_ptr(&counter) as *mut std::ffi::c_void,
            );
        }
        counter
    }

    /// Copies what it can of the WAL into the database file without waiting for anyone
    /// (`PASSIVE`), syncing as the connection's durability says.
    pub fn checkpoint(&self) -> Result<Checkpointed, SqlError> {
        let rows = self.query("PRAGMA wal_checkpoint(PASSIVE)", &[])?;
        let row = rows
            .first()
            .ok_or_else(|| SqlError::Backend("wal_checkpoint returned nothing".into()))?;
        let n = |i: usize| row.int(i).map(|v| v.max(0) as u32);
        // Columns: busy (another connection held a lock it needed), frames, copied.
        Ok(Checkpointed {
            frames: n(1)?,
            copied: n(2)?,
        })
    }

    pub fn open_read_only(path: &Path) -> Result<Sqlite, SqlError> {
        pcache::install();
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(backend)?;
        conn.execute_batch("PRAGMA busy_timeout=5000;")
            .map_err(backend)?;
        Ok(Sqlite { conn, wal: None })
    }

    pub fn in_memory() -> Result<Sqlite, SqlError> {
        pcache::install();
        Ok(Sqlite {
            conn: Connection::open_in_memory().map_err(backend)?,
            wal: None,
        })
    }
}

impl Sql for Sqlite {
    fn exec(&self, sql: &str, params: &[SqlValue]) -> Result<(), SqlError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
        stmt.execute(rusqlite::params_from_iter(params.iter().map(Param)))
            .map_err(backend)?;
        Ok(())
    }

    fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, SqlError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
        let n = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter().map(Param)))
            .map_err(backend)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(backend)? {
            let mut r = Vec::with_capacity(n);
            for i in 0..n {
                r.push(match row.get_ref(i).map_err(backend)? {
                    ValueRef::Null => SqlValue::Null,
                    ValueRef::Integer(v) => SqlValue::Integer(v),
                    ValueRef::Real(v) => SqlValue::Real(v),
                    ValueRef::Text(v) => SqlValue::Text(String::from_utf8_lossy(v).into_owned()),
                    ValueRef::Blob(v) => SqlValue::Blob(v.to_vec()),
                });
            }
            out.push(r);
        }
        Ok(out)
    }

    fn in_transaction(&self) -> bool {
        !self.conn.is_autocommit()
    }

    fn transaction(&self, body: &mut dyn FnMut() -> Result<(), SqlError>) -> Result<(), SqlError> {
        self.run_transaction("BEGIN IMMEDIATE", body)
    }

    fn read_transaction(
        &self,
        body: &mut dyn FnMut() -> Result<(), SqlError>,
    ) -> Result<(), SqlError> {
        // Deferred: no WAL write lock to take and release, and no write-transaction end
        // (the page-cache truncation) unless the body does write after all.
        self.run_transaction("BEGIN DEFERRED", body)
    }
}

impl Sqlite {
    fn run_transaction(
        &self,
        begin: &str,
        body: &mut dyn FnMut() -> Result<(), SqlError>,
    ) -> Result<(), SqlError> {
        self.step(begin)?;
        match body() {
            Ok(()) => match self.step("COMMIT") {
                Ok(()) => Ok(()),
                Err(e) => {
                    let _ = self.step("ROLLBACK");
                    Err(e)
                }
            },
            Err(e) => {
                self.step("ROLLBACK")?;
                Err(e)
            }
        }
    }

    /// One statement without parameters, from the statement cache (BEGIN and COMMIT run
    /// for every batch; preparing them each time was parse work per request).
    fn step(&self, statement: &str) -> Result<(), SqlError> {
        self.conn
            .prepare_cached(statement)
            .and_then(|mut s| s.execute([]))
            .map(|_| ())
            .map_err(backend)
    }
}
