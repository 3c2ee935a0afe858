//! WAL checkpoints off the request path.
//!
//! SQLite copies its WAL into the database file from the commit that makes the WAL long
//! enough, on the committing thread: under a 50/50 GetItem/PutItem load that copy was the
//! whole p99 (2.8 ms with a copy every 256 pages, 1.2 ms with none, docs/benchmarks.md).
//! Here an object's actor stops SQLite's own checkpoints ([`Sqlite::take_over_checkpoints`])
//! and one checkpointer thread, with a connection of its own per file, copies the WAL while
//! the actor goes on committing.
//!
//! A copy that runs beside a busy writer never reaches the WAL's last frame, and SQLite
//! starts a WAL over only once every frame is copied. So the actor finishes the job itself,
//! between two batches, once the WAL is long and the checkpointer idle: what is left then is
//! the few frames written since the checkpointer's last pass, a short copy and a sync. If
//! the checkpointer cannot keep up, the actor copies everything itself once the WAL reaches
//! [`Policy::must_copy`], which bounds the WAL whatever happens.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

use extenddo_log::sqlite::{Durability, Sqlite};

/// When copies start and when the actor steps in (WAL frames, one page each).
#[derive(Debug)]
pub struct Policy {
    /// The checkpointer is asked to copy whenever this many frames wait (a new table's
    /// creation and first items are about 20: copied once, when it closes).
    pub chunk: u32,
    /// The actor finishes the copy (so the WAL starts over) once the WAL is this long…
    pub finish_at: u32,
    /// …if no more than this many frames are left to copy by then, or a 32nd of the WAL,
    /// whichever is more (a writer that outpaces the checkpointer still finishes early).
    pub finish_max: u32,
    /// The actor copies everything itself, waiting for the checkpointer if need be.
    pub must_copy: u32,
}

/// Measured under a 50/50 GetItem/PutItem load (docs/benchmarks.md): the smaller the
/// actor's own share (`finish_max`), the lower the p99, as long as the checkpointer is asked
/// often enough (`chunk`) to leave that little.
pub const POLICY: Policy = Policy {
    chunk: 64,
    finish_at: 1024,
    finish_max: 32,
    must_copy: 16_384,
};

/// At most this many files have a checkpoint connection open at once (two descriptors
/// each: the database and its WAL; the shared-memory index is shared in the process).
const OPEN_CONNECTIONS: usize = 4;

/// What an actor and the checkpointer share about one file.
struct Shared {
    path: PathBuf,
    durability: Durability,
    /// Held while either copies, so neither ever waits on SQLite's checkpoint lock.
    copying: Mutex<()>,
    /// A pass is queued or running.
    queued: AtomicBool,
    /// Frames copied by the checkpointer's last pass (of the WAL as it was then).
    copied: AtomicU32,
    /// The actor has closed the file: no more passes.
    closed: AtomicBool,
}

enum Job {
    /// Copy what the WAL holds.
    Pass(Arc<Shared>),
    /// The file was closed: drop its connection (and with it the descriptors).
    Forget(PathBuf),
}

/// The one checkpointer thread.
pub struct Checkpointer {
    queue: Sender<Job>,
}

impl Checkpointer {
    pub fn start() -> std::io::Result<Arc<Checkpointer>> {
        let (tx, rx) = channel();
        std::thread::Builder::new()
            .name("checkpointer".into())
            .spawn(move || run(rx))?;
        Ok(Arc::new(Checkpointer { queue: tx }))
    }

    /// Takes over the checkpoints of `sql`, the file at `path`.
    pub fn attach(
        self: &Arc<Self>,
        sql: &mut Sqlite,
        path: PathBuf,
        durability: Durability,
    ) -> Wal {
        Wal {
            frames: sql.take_over_checkpoints(),
            shared: Arc::new(Shared {
                path,
                durability,
                copying: Mutex::new(()),
                queued: AtomicBool::new(false),
                copied: AtomicU32::new(0),
                closed: AtomicBool::new(false),
            }),
            checkpointer: self.clone(),
        }
    }

    fn request(&self, shared: &Arc<Shared>) {
        if shared.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        if self.queue.send(Job::Pass(shared.clone())).is_err() {
            shared.queued.store(false, Ordering::Release);
        }
    }
}

/// An actor's side: called after each batch it commits.
pub struct Wal {
    frames: Arc<AtomicU32>,
    shared: Arc<Shared>,
    checkpointer: Arc<Checkpointer>,
}

impl Wal {
    /// Decides, after a commit, whether the checkpointer should copy, or the actor should
    /// finish the copy itself (on `sql`, its own connection).
    pub fn after_commit(&self, sql: &Sqlite) {
        let frames = self.frames.load(Ordering::Relaxed);
        let p = POLICY;
        if frames < p.chunk {
            return;
        }
        let left = frames.saturating_sub(self.shared.copied.load(Ordering::Relaxed));
        if left >= p.chunk {
            self.checkpointer.request(&self.shared);
        }
        let copying = if frames >= p.must_copy {
            Some(
                self.shared
                    .copying
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()),
            )
        } else if frames >= p.finish_at && left <= p.finish_max.max(frames / 32) {
            self.shared.copying.try_lock().ok()
        } else {
            None
        };
        if let Some(_copying) = copying {
            match sql.checkpoint() {
                // Everything is copied: the next commit starts the WAL over, and counts again.
                Ok(c) if c.copied == c.frames => {
                    self.shared.copied.store(0, Ordering::Relaxed);
                    self.frames.store(0, Ordering::Relaxed);
                }
                Ok(c) => self.shared.copied.store(c.copied, Ordering::Relaxed),
                Err(e) => tracing::warn!("{}: checkpoint: {e}", self.shared.path.display()),
            }
        }
    }

    /// The actor is closing the file: no pass starts after this returns, none is running,
    /// and the checkpointer lets go of the file.
    pub fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
        drop(
            self.shared
                .copying
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        let _ = self
            .checkpointer
            .queue
            .send(Job::Forget(self.shared.path.clone()));
    }
}

fn run(rx: Receiver<Job>) {
    // Connections by file, most recently used last.
    let mut open: VecDeque<(PathBuf, Sqlite)> = VecDeque::new();
    while let Ok(job) = rx.recv() {
        match job {
            Job::Pass(shared) => {
                pass(&shared, &mut open);
                shared.queued.store(false, Ordering::Release);
            }
            Job::Forget(path) => open.retain(|(p, _)| p != &path),
        }
    }
}

fn pass(shared: &Shared, open: &mut VecDeque<(PathBuf, Sqlite)>) {
    let _copying = shared.copying.lock().unwrap_or_else(|e| e.into_inner());
    if shared.closed.load(Ordering::Acquire) {
        return;
    }
    let sql = match open.iter().position(|(path, _)| path == &shared.path) {
        Some(i) => {
            let entry = open.remove(i).expect("position is in range");
            open.push_back(entry);
            &open.back().expect("just pushed").1
        }
        None => match Sqlite::open_existing(&shared.path, shared.durability) {
            Ok(sql) => {
                if open.len() >= OPEN_CONNECTIONS {
                    open.pop_front();
                }
                open.push_back((shared.path.clone(), sql));
                &open.back().expect("just pushed").1
            }
            Err(e) => {
                tracing::warn!("checkpointer: open {}: {e}", shared.path.display());
                return;
            }
        },
    };
    match sql.checkpoint() {
        Ok(c) => shared.copied.store(c.copied, Ordering::Relaxed),
        Err(e) => tracing::warn!("checkpointer: {}: {e}", shared.path.display()),
    }
}

#[cfg(test)]
mod tests {
    use extenddo_log::sql::{RowExt, Sql, SqlValue};

    use super::*;

    /// Commits as a busy table does, each followed by `after_commit`: the WAL keeps starting
    /// over (it stays short, although the actor never ran a whole copy itself), and every row
    /// is there, also for a connection opened afresh after the actor let go.
    #[test]
    fn a_busy_writer_keeps_its_wal_short_and_its_rows() {
        let dir = std::env::temp_dir().join(format!("extenddo-ckpt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.sqlite");
        let wal_path = dir.join("t.sqlite-wal");
        let checkpointer = Checkpointer::start().unwrap();
        let mut sql = Sqlite::open(&path, Durability::Normal).unwrap();
        let wal = checkpointer.attach(&mut sql, path.clone(), Durability::Normal);
        sql.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)", &[])
            .unwrap();
        let mut restarts = 0;
        let mut last = 0;
        for batch in 0..3_000i64 {
            sql.transaction(&mut || {
                for i in 0..8 {
                    // Keys spread over the table, so each commit writes several pages.
                    let k = (batch * 8 + i) * 7919 % 1_000_003;
                    sql.exec(
                        "INSERT INTO t VALUES (?1, ?2)",
                        &[SqlValue::Integer(k), SqlValue::Blob(vec![1; 300])],
                    )?;
                }
                Ok(())
            })
            .unwrap();
            let frames = wal.frames.load(Ordering::Relaxed);
            if frames < last {
                restarts += 1;
            }
            last = frames;
            wal.after_commit(&sql);
        }
        // ~27,000 frames written: without the actor's finishing copies the WAL would start
        // over once at most (at `must_copy`).
        assert!(restarts >= 5, "the WAL started over {restarts} times");
        let longest = std::fs::metadata(&wal_path).unwrap().len();
        assert!(
            longest < u64::from(POLICY.must_copy) * 4096,
            "the WAL reached {longest} bytes"
        );
        wal.close();
        drop(sql);
        let fresh = Sqlite::open(&path, Durability::Normal).unwrap();
        let n = fresh.query("SELECT count(*) FROM t", &[]).unwrap()[0]
            .int(0)
            .unwrap();
        assert_eq!(n, 24_000);
        let ok = fresh.query("PRAGMA integrity_check", &[]).unwrap();
        assert_eq!(ok[0].text(0).unwrap(), "ok");
        drop(fresh);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
