//! The `Sql` port over rusqlite (feature `rusqlite`), for the native host and for tests.

use std::cell::Cell;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

mod pcache;
mod walbuf;

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
    reads: HeldReads,
}

/// A read transaction kept open between read-only batches.
///
/// Starting and ending a read transaction takes and drops a lock in the WAL index (two
/// `fcntl` calls) and runs `BEGIN` and `COMMIT`: for a GetItem answered alone, a good part of
/// what the read itself costs. A connection that is the only writer of its file (what every
/// read-write connection here is: one per object; the checkpointer's connections only copy)
/// can keep the read transaction of a read-only batch open for the next one: nothing can
/// commit between them except this connection, and it ends the held transaction before
/// anything else runs on it — a write transaction, a statement outside a read batch, a
/// checkpoint. So a held snapshot is always the latest state.
#[derive(Default)]
struct HeldReads {
    /// A read transaction is open between batches.
    held: Cell<bool>,
    /// A read-only batch is running (inside the held transaction).
    in_batch: Cell<bool>,
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
        // Only a connection that syncs every commit may buffer its WAL writes (walbuf.rs).
        let conn = if durability == Durability::Full && walbuf::register() {
            Connection::open_with_flags_and_vfs(path, flags, walbuf::NAME)
        } else {
            Connection::open_with_flags(path, flags)
        }
        .map_err(backend)?;
        let sync = match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        conn.execute_batch(&format!(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous={sync}; PRAGMA busy_timeout=5000; PRAGMA cache_size=-32768; PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES};"
        ))
        .map_err(backend)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Sqlite {
            conn,
            wal: None,
            reads: HeldReads::default(),
        })
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
        Ok(Sqlite {
            conn,
            wal: None,
            reads: HeldReads::default(),
        })
    }

    pub fn in_memory() -> Result<Sqlite, SqlError> {
        pcache::install();
        Ok(Sqlite {
            conn: Connection::open_in_memory().map_err(backend)?,
            wal: None,
            reads: HeldReads::default(),
        })
    }
}

impl Sql for Sqlite {
    fn exec(&self, sql: &str, params: &[SqlValue]) -> Result<(), SqlError> {
        self.release_reads()?;
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
        stmt.execute(rusqlite::params_from_iter(params.iter().map(Param)))
            .map_err(backend)?;
        Ok(())
    }

    fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, SqlError> {
        self.release_reads()?;
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
        let held_between_batches = self.reads.held.get() && !self.reads.in_batch.get();
        !self.conn.is_autocommit() && !held_between_batches
    }

    fn transaction(&self, body: &mut dyn FnMut() -> Result<(), SqlError>) -> Result<(), SqlError> {
        self.release_reads()?;
        self.run_transaction("BEGIN IMMEDIATE", body)
    }

    fn read_transaction(
        &self,
        body: &mut dyn FnMut() -> Result<(), SqlError>,
    ) -> Result<(), SqlError> {
        if self.reads.in_batch.get() {
            return body();
        }
        if !self.reads.held.get() {
            // Deferred: no WAL write lock to take and release, and no write-transaction end
            // (the page-cache truncation) unless the body does write after all.
            self.step("BEGIN DEFERRED")?;
            self.reads.held.set(true);
        }
        self.reads.in_batch.set(true);
        let r = body();
        self.reads.in_batch.set(false);
        let end = match &r {
            Err(_) => Some("ROLLBACK"),
            // The body wrote after all: that is committed now, like any write.
            Ok(()) if self.writing() => Some("COMMIT"),
            Ok(()) => None,
        };
        if let Some(end) = end {
            self.reads.held.set(false);
            if let Err(e) = self.step(end) {
                let _ = self.step("ROLLBACK");
                return r.and(Err(e));
            }
        }
        r
    }
}

impl Sqlite {
    /// Ends the read transaction held between read-only batches, if any (see [`HeldReads`]).
    pub fn release_reads(&self) -> Result<(), SqlError> {
        if self.reads.held.get() && !self.reads.in_batch.get() {
            self.reads.held.set(false);
            self.step("COMMIT")?;
        }
        Ok(())
    }

    /// Whether the open transaction has written.
    fn writing(&self) -> bool {
        // SAFETY: a valid connection handle; a null schema asks about every database.
        let state =
            unsafe { rusqlite::ffi::sqlite3_txn_state(self.conn.handle(), std::ptr::null()) };
        state == rusqlite::ffi::SQLITE_TXN_WRITE
    }

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

/// A directory of its own for one test's database files (the test removes it).
#[cfg(test)]
fn test_dir(label: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("extenddo-{label}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(sql: &Sqlite) -> i64 {
        let mut n = 0;
        crate::sql::in_read_transaction(sql, || -> Result<(), SqlError> {
            n = sql.query("SELECT count(*) FROM t", &[])?[0].int(0)?;
            Ok(())
        })
        .unwrap();
        n
    }

    /// A read transaction held between read-only batches never hides a commit, never keeps a
    /// write uncommitted, and never stands in the way of a checkpoint.
    #[test]
    fn held_reads_see_every_commit_and_let_checkpoints_finish() {
        let dir = crate::sqlite::test_dir("reads");
        let path = dir.join("t.sqlite");
        let sql = Sqlite::open(&path, Durability::Normal).unwrap();
        sql.exec("CREATE TABLE t (k INTEGER PRIMARY KEY)", &[])
            .unwrap();
        assert_eq!(count(&sql), 0);
        // Held between batches, and not reported as a transaction there.
        assert!(!sql.conn.is_autocommit());
        assert!(!sql.in_transaction());

        let insert = |k: i64| {
            sql.transaction(&mut || sql.exec("INSERT INTO t VALUES (?1)", &[SqlValue::Integer(k)]))
        };
        for k in 0..10 {
            insert(k).unwrap();
            assert_eq!(count(&sql), k + 1, "a read after a commit sees it");
        }

        // A statement outside any batch ends the held transaction first, so its write
        // commits on its own.
        sql.exec("INSERT INTO t VALUES (100)", &[]).unwrap();
        assert!(sql.conn.is_autocommit());
        let other = Sqlite::open(&path, Durability::Normal).unwrap();
        assert_eq!(
            other.query("SELECT count(*) FROM t", &[]).unwrap()[0]
                .int(0)
                .unwrap(),
            11
        );

        // A read batch that writes after all is committed when it ends.
        count(&sql);
        crate::sql::in_read_transaction(&sql, || sql.exec("INSERT INTO t VALUES (101)", &[]))
            .unwrap();
        assert!(sql.conn.is_autocommit());
        assert_eq!(
            other.query("SELECT count(*) FROM t", &[]).unwrap()[0]
                .int(0)
                .unwrap(),
            12
        );

        // A failed read batch is rolled back, not held.
        count(&sql);
        let failed = crate::sql::in_read_transaction(&sql, || {
            sql.query("SELECT nothing FROM nowhere", &[]).map(|_| ())
        });
        assert!(failed.is_err());
        assert!(sql.conn.is_autocommit());

        // Another connection copies the whole WAL while this one holds a read…
        count(&sql);
        assert!(!sql.conn.is_autocommit());
        let c = other.checkpoint().unwrap();
        assert_eq!(c.copied, c.frames);
        // …and this connection's own checkpoint ends the held read, so the WAL can start over.
        let rows = sql.query("PRAGMA wal_checkpoint(TRUNCATE)", &[]).unwrap();
        assert_eq!(rows[0].int(0).unwrap(), 0, "the checkpoint was not blocked");
        assert_eq!(
            std::fs::metadata(dir.join("t.sqlite-wal")).unwrap().len(),
            0
        );
        assert_eq!(count(&sql), 12);
        drop((sql, other));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
