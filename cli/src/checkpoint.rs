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
//!
//! The checkpointer copies seldom and in large passes: a page written many times while the
//! WAL grew is copied once (under `put-new`, 1.6 page reads per insert instead of 2.3).
//! SQLite syncs the database file only after a pass that reaches the WAL's end as it stands
//! when the pass ends, which a pass beside a busy writer never does; so the checkpointer
//! syncs what it copied itself (a large amount a step at a time), and the actor's finishing
//! copy has little left to sync. The checkpointer runs at a lower priority ([`NICE`]): its
//! passes are long bursts of CPU that otherwise took the core from the table's thread and
//! the HTTP threads (docs/benchmarks.md has the numbers).

use std::collections::VecDeque;
use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

use extenddo_log::sqlite::{Durability, Sqlite};

/// When copies start and when the actor steps in (WAL frames, one page each).
#[derive(Debug)]
pub struct Policy {
    /// The checkpointer is asked to copy whenever this many frames wait (a new table's
    /// creation and first items are about 20: copied once, when it closes)…
    pub chunk: u32,
    /// …and whenever this many wait once the WAL is `finish_at` long, so that little is left
    /// for the actor.
    pub near_chunk: u32,
    /// The actor finishes the copy (so the WAL starts over) once the WAL is this long…
    pub finish_at: u32,
    /// …if no more than this many frames are left to copy by then; from twice `finish_at` on,
    /// if no more than this many or a 32nd of the WAL are left, whichever is more (a writer
    /// that outpaces the checkpointer still finishes early).
    pub finish_max: u32,
    /// The actor copies everything itself, waiting for the checkpointer if need be.
    pub must_copy: u32,
}

/// Measured under `put-new` and a 50/50 GetItem/PutItem load (docs/benchmarks.md): the
/// longer the passes (`chunk`) and the WAL's cycle (`finish_at`), the fewer pages are copied
/// and the fewer finishing copies stall the actor. The actor's own share (`finish_max`) is
/// a trade: a short finishing copy stalls the table less, but a pass near the end seldom
/// leaves as few as 32 frames, and a cycle that misses that ends with the actor's long copy
/// at twice the length; 128 did better than 32 and 256. A WAL under load reaches
/// 64 MiB (`finish_at` pages), 256 MiB at most (`must_copy`); it is truncated when the table
/// closes.
pub const POLICY: Policy = Policy {
    chunk: 4096,
    near_chunk: 64,
    finish_at: 16_384,
    finish_max: 128,
    must_copy: 65_536,
};

/// At most this many files have a checkpoint connection open at once (three descriptors
/// each: the database and its WAL for the connection, the database for the write-back; the
/// shared-memory index is shared in the process).
const OPEN_CONNECTIONS: usize = 4;

/// The checkpointer's thread runs at this nice value (the table and HTTP threads at 0).
const NICE: i32 = 10;

/// The write-back after a pass goes through the database file this much at a time (or in
/// `WRITE_BACK_STEPS` steps, if that is more), each step waiting for its writes: a pass's
/// few thousand pages reach the device in small pieces, between which the commits' own
/// syncs get through.
const WRITE_BACK_STEP: u64 = 256 << 10;
const WRITE_BACK_STEPS: u64 = 1024;

/// A pass syncs what it copied once this many frames are copied and not yet synced; the
/// actor's finishing copy syncs the rest. Near the end of a cycle the passes are short, and
/// what is left unsynced is what the actor's sync writes back while the table waits.
const WRITE_BACK_AT: u32 = 128;

/// With this many frames or more unsynced, the sync goes a step at a time
/// ([`write_back`]); with fewer, one `fdatasync` (stepping through the whole file for a few
/// pages made the short passes near the end of a cycle so slow that the actor seldom found
/// little left to copy).
const STEPPED_AT: u32 = 1024;

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
    /// Of those, the frames whose pages are synced in the database file.
    synced: AtomicU32,
    /// The actor copied the whole WAL, and has not committed since: the WAL starts over at
    /// its next commit, and a pass before that would report on the WAL that is ending.
    restarting: AtomicBool,
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
            .spawn(move || {
                lower_priority();
                run(rx)
            })?;
        Ok(Arc::new(Checkpointer { queue: tx }))
    }

    /// Takes over the checkpoints of `sql`, the file at `path`.
    pub fn attach(
        self: &Arc<Self>,
        sql: &mut Sqlite,
        path: PathBuf,
        durability: Durability,
    ) -> Wal {
        self.attach_with(sql, path, durability, &POLICY)
    }

    fn attach_with(
        self: &Arc<Self>,
        sql: &mut Sqlite,
        path: PathBuf,
        durability: Durability,
        policy: &'static Policy,
    ) -> Wal {
        Wal {
            frames: sql.take_over_checkpoints(),
            shared: Arc::new(Shared {
                path,
                durability,
                copying: Mutex::new(()),
                queued: AtomicBool::new(false),
                copied: AtomicU32::new(0),
                synced: AtomicU32::new(0),
                restarting: AtomicBool::new(false),
                closed: AtomicBool::new(false),
            }),
            checkpointer: self.clone(),
            policy,
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
    policy: &'static Policy,
}

impl Wal {
    /// Decides, after a commit, whether the checkpointer should copy, or the actor should
    /// finish the copy itself (on `sql`, its own connection).
    pub fn after_commit(&self, sql: &Sqlite) {
        let frames = self.frames.load(Ordering::Relaxed);
        let p = self.policy;
        if frames == 0 {
            return;
        }
        if self.shared.restarting.load(Ordering::Relaxed) {
            // This is the first commit since the actor copied everything: it started the WAL
            // over.
            self.shared.restarting.store(false, Ordering::Relaxed);
        }
        if frames < p.chunk.min(p.near_chunk) {
            return;
        }
        let copied = self.shared.copied.load(Ordering::Relaxed);
        let left = frames.saturating_sub(copied);
        let near = frames >= p.finish_at;
        if left >= if near { p.near_chunk } else { p.chunk } {
            self.checkpointer.request(&self.shared);
        }
        let copying = if frames >= p.must_copy {
            Some(
                self.shared
                    .copying
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()),
            )
        } else if near
            && (left <= p.finish_max
                || (frames >= 2 * p.finish_at && left <= p.finish_max.max(frames / 32)))
        {
            self.shared.copying.try_lock().ok()
        } else {
            None
        };
        if let Some(_copying) = copying {
            match sql.checkpoint() {
                // Everything is copied: the next commit starts the WAL over, and counts again.
                Ok(c) if c.copied == c.frames => {
                    self.shared.copied.store(0, Ordering::Relaxed);
                    self.shared.synced.store(0, Ordering::Relaxed);
                    self.shared.restarting.store(true, Ordering::Relaxed);
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

/// Lowers the calling thread's priority to [`NICE`] (on Linux `setpriority` with 0 names the
/// calling thread, not the process).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: a system call with plain integer arguments.
        let r = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, NICE) };
        if r != 0 {
            tracing::debug!(
                "checkpointer: setpriority: {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

/// A file the checkpointer copies into: its connection, and the database file opened again
/// for the write-back.
struct Open {
    path: PathBuf,
    sql: Sqlite,
    db: File,
}

impl Open {
    fn new(shared: &Shared) -> Result<Open, String> {
        Ok(Open {
            path: shared.path.clone(),
            sql: Sqlite::open_existing(&shared.path, shared.durability)
                .map_err(|e| e.to_string())?,
            db: File::open(&shared.path).map_err(|e| e.to_string())?,
        })
    }
}

fn run(rx: Receiver<Job>) {
    // Open files, most recently used last.
    let mut open: VecDeque<Open> = VecDeque::new();
    while let Ok(job) = rx.recv() {
        match job {
            Job::Pass(shared) => {
                pass(&shared, &mut open);
                shared.queued.store(false, Ordering::Release);
            }
            Job::Forget(path) => open.retain(|o| o.path != path),
        }
    }
}

fn pass(shared: &Shared, open: &mut VecDeque<Open>) {
    let _copying = shared.copying.lock().unwrap_or_else(|e| e.into_inner());
    if shared.closed.load(Ordering::Acquire) || shared.restarting.load(Ordering::Relaxed) {
        return;
    }
    let file = match open.iter().position(|o| o.path == shared.path) {
        Some(i) => {
            let entry = open.remove(i).expect("position is in range");
            open.push_back(entry);
            open.back().expect("just pushed")
        }
        None => match Open::new(shared) {
            Ok(file) => {
                if open.len() >= OPEN_CONNECTIONS {
                    open.pop_front();
                }
                open.push_back(file);
                open.back().expect("just pushed")
            }
            Err(e) => {
                tracing::warn!("checkpointer: open {}: {e}", shared.path.display());
                return;
            }
        },
    };
    match file.sql.checkpoint() {
        Ok(c) => {
            shared.copied.store(c.copied, Ordering::Relaxed);
            let unsynced = c
                .copied
                .saturating_sub(shared.synced.load(Ordering::Relaxed));
            if unsynced >= WRITE_BACK_AT {
                let synced = if unsynced >= STEPPED_AT {
                    write_back(&file.db)
                } else {
                    file.db.sync_data()
                };
                match synced {
                    Ok(()) => shared.synced.store(c.copied, Ordering::Relaxed),
                    Err(e) => {
                        tracing::warn!("checkpointer: sync {}: {e}", shared.path.display())
                    }
                }
            }
        }
        Err(e) => tracing::warn!("checkpointer: {}: {e}", shared.path.display()),
    }
}

/// Writes the database file's dirty pages back a step at a time, then syncs it. Only speed
/// depends on this: SQLite itself syncs the file before the WAL starts over.
fn write_back(db: &File) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let len = db.metadata()?.len();
        // A large file in at most WRITE_BACK_STEPS calls: the dirty pages are few and spread.
        let step = WRITE_BACK_STEP.max(len.div_ceil(WRITE_BACK_STEPS).next_multiple_of(4096));
        let mut offset = 0;
        while offset < len {
            // SAFETY: a system call on a descriptor this function borrows, with plain integers.
            let r = unsafe {
                libc::sync_file_range(
                    db.as_raw_fd(),
                    offset as libc::off64_t,
                    step as libc::off64_t,
                    libc::SYNC_FILE_RANGE_WAIT_BEFORE
                        | libc::SYNC_FILE_RANGE_WRITE
                        | libc::SYNC_FILE_RANGE_WAIT_AFTER,
                )
            };
            if r != 0 {
                return Err(std::io::Error::last_os_error());
            }
            offset += step;
        }
    }
    db.sync_data()
}

#[cfg(test)]
mod tests {
    use extenddo_log::sql::{RowExt, Sql, SqlValue};

    use super::*;

    /// The shipped policy's numbers scaled down, so a test sees many WAL cycles quickly.
    static SMALL: Policy = Policy {
        chunk: 256,
        near_chunk: 32,
        finish_at: 1024,
        finish_max: 32,
        must_copy: 16_384,
    };

    /// A fresh file `t.sqlite` in its own directory, with a table `t`, whose checkpoints a
    /// new checkpointer has taken over under [`SMALL`].
    fn attached(name: &str, durability: Durability) -> (PathBuf, Arc<Checkpointer>, Sqlite, Wal) {
        let dir = std::env::temp_dir().join(format!("extenddo-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.sqlite");
        let checkpointer = Checkpointer::start().unwrap();
        let mut sql = Sqlite::open(&path, durability).unwrap();
        let wal = checkpointer.attach_with(&mut sql, path, durability, &SMALL);
        sql.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)", &[])
            .unwrap();
        (dir, checkpointer, sql, wal)
    }

    /// Commits a batch of `n` rows spread over the table (so each commit writes several
    /// pages).
    fn commit(sql: &Sqlite, batch: i64, n: i64) {
        sql.transaction(&mut || {
            for i in 0..n {
                let k = (batch * n + i) * 7919 % 1_000_003;
                sql.exec(
                    "INSERT INTO t VALUES (?1, ?2)",
                    &[SqlValue::Integer(k), SqlValue::Blob(vec![1; 300])],
                )?;
            }
            Ok(())
        })
        .unwrap();
    }

    fn wait_idle(shared: &Shared) {
        for _ in 0..5_000 {
            if !shared.queued.load(Ordering::Acquire) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        panic!("the checkpointer's pass did not end");
    }

    /// Commits as a busy table does, each followed by `after_commit` and a short pause (a
    /// table's thread waits for requests between its batches): the WAL keeps starting over
    /// (it stays short, although the actor never ran a whole copy itself), and every row is
    /// there, also for a connection opened afresh after the actor let go. A writer that
    /// never pauses leaves the checkpointer (at a lower priority) behind; what bounds its WAL
    /// then is `must_copy`, which is asserted here too.
    #[test]
    fn a_busy_writer_keeps_its_wal_short_and_its_rows() {
        let (dir, _checkpointer, sql, wal) = attached("ckpt", Durability::Normal);
        let path = dir.join("t.sqlite");
        let wal_path = dir.join("t.sqlite-wal");
        let mut restarts = 0;
        let mut last = 0;
        for batch in 0..3_000i64 {
            commit(&sql, batch, 8);
            let frames = wal.frames.load(Ordering::Relaxed);
            if frames < last {
                restarts += 1;
            }
            last = frames;
            wal.after_commit(&sql);
            std::thread::sleep(std::time::Duration::from_micros(100));
        }
        // ~27,000 frames written: without the actor's finishing copies the WAL would start
        // over once at most (at `must_copy`).
        assert!(restarts >= 5, "the WAL started over {restarts} times");
        let longest = std::fs::metadata(&wal_path).unwrap().len();
        assert!(
            longest < u64::from(SMALL.must_copy) * 4096,
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

    /// A pass that leaves `WRITE_BACK_AT` frames or more unsynced syncs them (a step at a time
    /// from `STEPPED_AT` on), which is what lets the actor finish with a short copy and a
    /// short sync, and a shorter one does not;
    /// and a pass between the actor's whole copy and its next commit (which starts the
    /// WAL over) does nothing, since it would report on the WAL that is ending: with that
    /// report the actor once took a fresh WAL for copied and copied all of it itself.
    #[test]
    fn passes_sync_what_they_copy_and_skip_a_wal_that_is_ending() {
        let (dir, checkpointer, sql, wal) = attached("ckpt-sync", Durability::Full);
        let mut batch = 0;
        commit(&sql, batch, 8);
        batch += 1;
        checkpointer.request(&wal.shared);
        wait_idle(&wal.shared);
        let copied = wal.shared.copied.load(Ordering::Relaxed);
        assert!(
            copied > 0 && copied < WRITE_BACK_AT,
            "the pass copied {copied} frames"
        );
        assert_eq!(wal.shared.synced.load(Ordering::Relaxed), 0);
        // Enough for a sync, then (on top of that) enough for a stepped one.
        for more in [WRITE_BACK_AT, STEPPED_AT] {
            let from = wal.shared.copied.load(Ordering::Relaxed);
            while wal.frames.load(Ordering::Relaxed) < from + more + 8 {
                commit(&sql, batch, 8);
                batch += 1;
            }
            checkpointer.request(&wal.shared);
            wait_idle(&wal.shared);
            let copied = wal.shared.copied.load(Ordering::Relaxed);
            assert!(copied >= from + more, "the pass copied {copied} frames");
            assert_eq!(wal.shared.synced.load(Ordering::Relaxed), copied);
        }

        // The actor copies the rest itself (the WAL is not long yet, so by hand here).
        let c = sql.checkpoint().unwrap();
        assert_eq!(c.copied, c.frames);
        wal.shared.copied.store(0, Ordering::Relaxed);
        wal.shared.synced.store(0, Ordering::Relaxed);
        wal.shared.restarting.store(true, Ordering::Relaxed);
        wal.frames.store(0, Ordering::Relaxed);
        // A pass queued before that runs now: it must not report the old WAL's length.
        checkpointer.request(&wal.shared);
        wait_idle(&wal.shared);
        assert_eq!(wal.shared.copied.load(Ordering::Relaxed), 0);
        // The next commit starts the WAL over; from then on passes report again.
        commit(&sql, batch, 8);
        let frames = wal.frames.load(Ordering::Relaxed);
        assert!(
            frames < SMALL.chunk,
            "the WAL did not start over: {frames} frames"
        );
        wal.after_commit(&sql);
        assert!(!wal.shared.restarting.load(Ordering::Relaxed));
        checkpointer.request(&wal.shared);
        wait_idle(&wal.shared);
        assert_eq!(wal.shared.copied.load(Ordering::Relaxed), frames);
        assert_eq!(wal.shared.synced.load(Ordering::Relaxed), 0);

        wal.close();
        drop(sql);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
