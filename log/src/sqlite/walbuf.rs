//! A VFS over SQLite's default one that gathers a commit's WAL writes into one `pwrite`.
//!
//! SQLite writes each WAL frame with two system calls (its 24-byte header, then the page), so
//! a group commit of 16 new items (about 25 dirty pages) makes some 50 `pwrite`s, and under
//! PutItem of new keys they were 31 % of the table thread's time (docs/benchmarks.md, "The
//! write path"). The frames of one commit are contiguous in the file, so this VFS keeps them
//! in a buffer and writes the run with one call when SQLite next needs the file to hold them:
//! before it syncs, reads, truncates or sizes the WAL, asks a file control of it, or closes it,
//! and before any write that does not extend the run.
//!
//! Why that is enough: with `synchronous=FULL` every commit syncs the WAL after its last
//! frame and before it publishes the frames in the WAL index, which is when other
//! connections (the checkpointer) may read them, and before the commit returns. So what other
//! connections read and what an acknowledged write relies on is always in the file. The
//! exception would be SQLite padding a commit to a sector boundary, which writes after the
//! sync; it only does so on files without the power-safe-overwrite property, and those WAL
//! files are not buffered. Connections that do not sync every commit (`synchronous=NORMAL`)
//! must not use this VFS: nothing would flush their last commit before it is published.
//!
//! Files other than WALs pass straight through to the default VFS.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use rusqlite::ffi;

/// The name connections open with to get buffered WAL writes.
pub(crate) const NAME: &CStr = c"extenddo-walbuf";

/// A run is written out before it grows past this, so a commit of more pages makes more than
/// one `pwrite` (still far fewer than two per frame). The bound is the default VFS's: its
/// `unixWrite` writes at most 128 KiB − 1 bytes per call (it masks the length with
/// `0x1ffff`), and a longer write fails as SQLITE_FULL after writing part of it.
const MAX_RUN: usize = 124 << 10;

/// How many bytes of buffer all open files together keep between their writes. A table's
/// file stays open while the table is idle, and with a few hundred tables open (a test
/// suite's table per test) buffers of up to [`MAX_RUN`] each kept for good were 30 MB
/// (docs/benchmarks.md, "Many tables"); letting every buffer go after each write instead
/// cost `put` 2–7 % (a fresh allocation, and its page faults, per commit). A file keeps its
/// buffer if the budget has room when it writes, until it closes (an idle table's file
/// closes after `--idle-close-ms`); the others let theirs go after each write.
const KEPT_BUDGET: usize = 2 << 20;

/// The buffer bytes kept, over all files.
static KEPT: AtomicUsize = AtomicUsize::new(0);

/// The bytes written since the last flush: one contiguous run of the file.
#[derive(Default)]
struct Run {
    start: i64,
    bytes: Vec<u8>,
    /// The buffer capacity this file has counted in [`KEPT`].
    kept: usize,
    /// The length of the last run written: what the next one reserves once the buffer
    /// has been let go.
    last: usize,
}

impl Run {
    /// After a write: the buffer is emptied, and kept if the budget allows.
    fn written(&mut self) {
        self.last = self.bytes.len();
        self.bytes.clear();
        let capacity = self.bytes.capacity();
        if capacity == self.kept {
            return;
        }
        let extra = capacity - self.kept;
        let fits = KEPT
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |k| {
                (k + extra <= KEPT_BUDGET).then_some(k + extra)
            })
            .is_ok();
        if fits {
            self.kept = capacity;
        } else {
            KEPT.fetch_sub(self.kept, Ordering::Relaxed);
            self.kept = 0;
            self.bytes = Vec::new();
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        KEPT.fetch_sub(self.kept, Ordering::Relaxed);
    }
}

/// Our file: SQLite's file header (pointing at our methods), the run of a buffered WAL (null
/// for other files), and the default VFS's file right behind it.
#[repr(C)]
struct File {
    base: ffi::sqlite3_file,
    run: *mut Run,
}

/// Where the default VFS's file starts inside ours.
const INNER_OFFSET: usize = std::mem::size_of::<File>().next_multiple_of(16);

/// The default VFS, and ours (a copy of it with our `xOpen` and a larger file).
struct Vfs {
    inner: *mut ffi::sqlite3_vfs,
    ours: ffi::sqlite3_vfs,
}
// SAFETY: both are written once in `register` before any connection can use them and are
// only read afterwards (SQLite itself only reads a registered VFS).
unsafe impl Send for Vfs {}
unsafe impl Sync for Vfs {}

static VFS: OnceLock<Option<Box<Vfs>>> = OnceLock::new();

/// Registers the VFS once per process (not as the default); false if it could not be.
pub(crate) fn register() -> bool {
    VFS.get_or_init(|| {
        // SAFETY: sqlite3_vfs_find(NULL) returns the default VFS, which lives as long as
        // the process; the copy keeps every method and `pAppData` of the default (its
        // methods only use fields that are copied), except `xOpen`, which hands the
        // default's `xOpen` the default's own VFS pointer.
        unsafe {
            let inner = ffi::sqlite3_vfs_find(std::ptr::null());
            if inner.is_null() || (*inner).xOpen.is_none() {
                return None;
            }
            let mut ours = *inner;
            ours.pNext = std::ptr::null_mut();
            ours.zName = NAME.as_ptr();
            ours.szOsFile = (INNER_OFFSET as c_int).checked_add((*inner).szOsFile)?;
            ours.xOpen = Some(x_open);
            let mut vfs = Box::new(Vfs { inner, ours });
            // The box does not move again, so SQLite may keep the pointer.
            if ffi::sqlite3_vfs_register(&mut vfs.ours, 0) != ffi::SQLITE_OK {
                return None;
            }
            Some(vfs)
        }
    })
    .is_some()
}

fn inner_vfs() -> *mut ffi::sqlite3_vfs {
    VFS.get()
        .and_then(|v| v.as_ref())
        .expect("registered before any file is opened")
        .inner
}

/// SAFETY (for the helpers below): `f` is a file opened by [`x_open`].
unsafe fn file<'a>(f: *mut ffi::sqlite3_file) -> &'a mut File {
    unsafe { &mut *(f as *mut File) }
}

unsafe fn inner(f: *mut ffi::sqlite3_file) -> *mut ffi::sqlite3_file {
    unsafe { (f as *mut u8).add(INNER_OFFSET) as *mut ffi::sqlite3_file }
}

unsafe fn methods<'a>(f: *mut ffi::sqlite3_file) -> &'a ffi::sqlite3_io_methods {
    unsafe { &*(*inner(f)).pMethods }
}

/// Writes the buffered run, if any, to the file.
unsafe fn flush(f: *mut ffi::sqlite3_file) -> c_int {
    let run = unsafe { file(f).run };
    if run.is_null() {
        return ffi::SQLITE_OK;
    }
    let run = unsafe { &mut *run };
    if run.bytes.is_empty() {
        return ffi::SQLITE_OK;
    }
    let write = unsafe { methods(f).xWrite.expect("every VFS writes") };
    #[cfg(test)]
    tests::WRITTEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // The run never exceeds MAX_RUN, so its length fits a c_int.
    let rc = unsafe {
        write(
            inner(f),
            run.bytes.as_ptr() as *const c_void,
            run.bytes.len() as c_int,
            run.start,
        )
    };
    // Written or failed, the bytes are the file's now: a failed write fails the commit that
    // needed it, and SQLite rewrites whatever it still wants.
    run.written();
    rc
}

/// Runs `call` on the file once the buffered run is in it (or returns the flush's error).
unsafe fn flushed(f: *mut ffi::sqlite3_file, call: impl FnOnce() -> c_int) -> c_int {
    match unsafe { flush(f) } {
        ffi::SQLITE_OK => call(),
        rc => rc,
    }
}

unsafe extern "C" fn x_open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    f: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let inner_vfs = inner_vfs();
    // SAFETY: SQLite hands us `szOsFile` bytes at `f`: our header, then room for the
    // default's file at INNER_OFFSET.
    unsafe {
        let ours = f as *mut File;
        (*ours).base.pMethods = std::ptr::null();
        (*ours).run = std::ptr::null_mut();
        let in_f = inner(f);
        (*in_f).pMethods = std::ptr::null();
        let open = (*inner_vfs).xOpen.expect("checked in register");
        let rc = open(inner_vfs, name, in_f, flags, out_flags);
        if rc != ffi::SQLITE_OK {
            // SQLite does not close a file whose open failed (our pMethods stays null), so
            // the default's file is closed here if it got that far.
            if let Some(close) = (*in_f).pMethods.as_ref().and_then(|m| m.xClose) {
                close(in_f);
            }
            return rc;
        }
        if flags & ffi::SQLITE_OPEN_WAL != 0 {
            let caps = methods(f).xDeviceCharacteristics.map_or(0, |dc| dc(in_f));
            if caps & ffi::SQLITE_IOCAP_POWERSAFE_OVERWRITE != 0 {
                (*ours).run = Box::into_raw(Box::default());
            }
        }
        (*ours).base.pMethods = &METHODS;
        ffi::SQLITE_OK
    }
}

unsafe extern "C" fn x_close(f: *mut ffi::sqlite3_file) -> c_int {
    unsafe {
        let flushed = flush(f);
        let rc = methods(f)
            .xClose
            .map_or(ffi::SQLITE_OK, |close| close(inner(f)));
        let ours = file(f);
        if !ours.run.is_null() {
            drop(Box::from_raw(ours.run));
            ours.run = std::ptr::null_mut();
        }
        if flushed != ffi::SQLITE_OK {
            flushed
        } else {
            rc
        }
    }
}

unsafe extern "C" fn x_write(
    f: *mut ffi::sqlite3_file,
    data: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    unsafe {
        let run = file(f).run;
        let write = methods(f).xWrite.expect("every VFS writes");
        if run.is_null() || amount <= 0 {
            return write(inner(f), data, amount, offset);
        }
        let run = &mut *run;
        let n = amount as usize;
        let extends = !run.bytes.is_empty()
            && offset == run.start + run.bytes.len() as i64
            && run.bytes.len() + n <= MAX_RUN;
        if !extends {
            // Anything else (the WAL header, a frame rewritten in place, a run grown to
            // its limit) first puts what is buffered in the file, so writes land in order.
            let rc = flush(f);
            if rc != ffi::SQLITE_OK {
                return rc;
            }
            if n > MAX_RUN {
                return write(inner(f), data, amount, offset);
            }
            run.start = offset;
            if run.bytes.capacity() == 0 {
                run.bytes.reserve(n.max(run.last));
            }
        }
        run.bytes
            .extend_from_slice(std::slice::from_raw_parts(data as *const u8, n));
        #[cfg(test)]
        tests::BUFFERED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        ffi::SQLITE_OK
    }
}

unsafe extern "C" fn x_read(
    f: *mut ffi::sqlite3_file,
    data: *mut c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    unsafe {
        flushed(f, || {
            methods(f).xRead.expect("every VFS reads")(inner(f), data, amount, offset)
        })
    }
}

unsafe extern "C" fn x_truncate(f: *mut ffi::sqlite3_file, size: i64) -> c_int {
    unsafe {
        flushed(f, || {
            methods(f).xTruncate.expect("every VFS truncates")(inner(f), size)
        })
    }
}

unsafe extern "C" fn x_sync(f: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    unsafe {
        flushed(f, || {
            methods(f).xSync.expect("every VFS syncs")(inner(f), flags)
        })
    }
}

unsafe extern "C" fn x_file_size(f: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    unsafe {
        flushed(f, || {
            methods(f).xFileSize.expect("every VFS sizes files")(inner(f), size)
        })
    }
}

unsafe extern "C" fn x_lock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    unsafe {
        methods(f)
            .xLock
            .map_or(ffi::SQLITE_OK, |m| m(inner(f), level))
    }
}

unsafe extern "C" fn x_unlock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    unsafe {
        methods(f)
            .xUnlock
            .map_or(ffi::SQLITE_OK, |m| m(inner(f), level))
    }
}

unsafe extern "C" fn x_check_reserved_lock(f: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    unsafe {
        methods(f)
            .xCheckReservedLock
            .map_or(ffi::SQLITE_OK, |m| m(inner(f), out))
    }
}

unsafe extern "C" fn x_file_control(
    f: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    unsafe {
        // Some file controls act on the file's contents (size hints, persisting the WAL);
        // none is frequent enough for the flush to matter.
        flushed(f, || {
            methods(f)
                .xFileControl
                .map_or(ffi::SQLITE_NOTFOUND, |m| m(inner(f), op, arg))
        })
    }
}

unsafe extern "C" fn x_sector_size(f: *mut ffi::sqlite3_file) -> c_int {
    unsafe { methods(f).xSectorSize.map_or(4096, |m| m(inner(f))) }
}

unsafe extern "C" fn x_device_characteristics(f: *mut ffi::sqlite3_file) -> c_int {
    unsafe { methods(f).xDeviceCharacteristics.map_or(0, |m| m(inner(f))) }
}

// The shared-memory and memory-map methods belong to database files (never buffered); they
// are forwarded when the default VFS has them.

fn has_v2(m: &ffi::sqlite3_io_methods) -> bool {
    m.iVersion >= 2
}

fn has_v3(m: &ffi::sqlite3_io_methods) -> bool {
    m.iVersion >= 3
}

unsafe extern "C" fn x_shm_map(
    f: *mut ffi::sqlite3_file,
    region: c_int,
    size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    unsafe {
        let m = methods(f);
        match m.xShmMap.filter(|_| has_v2(m)) {
            Some(map) => map(inner(f), region, size, extend, out),
            None => ffi::SQLITE_IOERR_SHMMAP,
        }
    }
}

unsafe extern "C" fn x_shm_lock(
    f: *mut ffi::sqlite3_file,
    offset: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    unsafe {
        let m = methods(f);
        match m.xShmLock.filter(|_| has_v2(m)) {
            Some(lock) => lock(inner(f), offset, n, flags),
            None => ffi::SQLITE_IOERR_SHMLOCK,
        }
    }
}

unsafe extern "C" fn x_shm_barrier(f: *mut ffi::sqlite3_file) {
    unsafe {
        let m = methods(f);
        if let Some(barrier) = m.xShmBarrier.filter(|_| has_v2(m)) {
            barrier(inner(f));
        }
    }
}

unsafe extern "C" fn x_shm_unmap(f: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    unsafe {
        let m = methods(f);
        match m.xShmUnmap.filter(|_| has_v2(m)) {
            Some(unmap) => unmap(inner(f), delete),
            None => ffi::SQLITE_OK,
        }
    }
}

unsafe extern "C" fn x_fetch(
    f: *mut ffi::sqlite3_file,
    offset: i64,
    amount: c_int,
    out: *mut *mut c_void,
) -> c_int {
    unsafe {
        flushed(f, || {
            let m = methods(f);
            match m.xFetch.filter(|_| has_v3(m)) {
                Some(fetch) => fetch(inner(f), offset, amount, out),
                None => {
                    *out = std::ptr::null_mut();
                    ffi::SQLITE_OK
                }
            }
        })
    }
}

unsafe extern "C" fn x_unfetch(f: *mut ffi::sqlite3_file, offset: i64, p: *mut c_void) -> c_int {
    unsafe {
        let m = methods(f);
        match m.xUnfetch.filter(|_| has_v3(m)) {
            Some(unfetch) => unfetch(inner(f), offset, p),
            None => ffi::SQLITE_OK,
        }
    }
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_unlock),
    xCheckReservedLock: Some(x_check_reserved_lock),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device_characteristics),
    xShmMap: Some(x_shm_map),
    xShmLock: Some(x_shm_lock),
    xShmBarrier: Some(x_shm_barrier),
    xShmUnmap: Some(x_shm_unmap),
    xFetch: Some(x_fetch),
    xUnfetch: Some(x_unfetch),
};

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use crate::sql::{RowExt, Sql, SqlError, SqlValue};
    use crate::sqlite::{Durability, Sqlite};

    /// Writes SQLite asked for on buffered WAL files, and `pwrite`s they became.
    pub(super) static BUFFERED: AtomicU64 = AtomicU64::new(0);
    pub(super) static WRITTEN: AtomicU64 = AtomicU64::new(0);

    fn one(db: &Sqlite, q: &str) -> i64 {
        db.query(q, &[]).unwrap()[0].int(0).unwrap()
    }

    /// Every commit of a buffered connection is in the WAL file when it returns: another
    /// connection, reading the file through the default VFS, sees exactly the committed rows
    /// after each one — through small commits (one run), commits larger than a run, commits
    /// whose pages spill from a small cache (frames rewritten in place and read back before
    /// the commit), rollbacks, and a restart.
    #[test]
    fn every_commit_is_in_the_file_when_it_returns() {
        let dir = crate::sqlite::test_dir("walbuf");
        let path = dir.join("t.sqlite");
        let db = Sqlite::open(&path, Durability::Full).unwrap();
        assert!(super::register(), "the VFS is registered");
        db.exec(
            "CREATE TABLE t (h INTEGER, k INTEGER, v BLOB, PRIMARY KEY (h, k)) WITHOUT ROWID",
            &[],
        )
        .unwrap();
        // The default VFS, so it reads what is in the files.
        let other = Sqlite::open(&path, Durability::Normal).unwrap();

        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let (mut rows, mut bytes) = (0i64, 0i64);
        let mut small_commit_writes = Vec::new();
        for round in 0..300 {
            let (n, size) = match round % 10 {
                // Far more than a run (124 KiB) of pages.
                3 => (60, 3000),
                // More than the cache holds (set below): pages spill before the commit.
                7 => (400, 1000),
                _ => (16, 200),
            };
            let roll_back = round % 25 == 24;
            if round % 10 == 7 {
                db.exec("PRAGMA cache_size=8", &[]).unwrap();
            }
            let (b0, w0) = (
                BUFFERED.load(Ordering::Relaxed),
                WRITTEN.load(Ordering::Relaxed),
            );
            let keys: Vec<u64> = (0..n).map(|_| next()).collect();
            let outcome = db.transaction(&mut || {
                for k in &keys {
                    db.exec(
                        "INSERT INTO t VALUES (?1, ?2, ?3)",
                        &[
                            SqlValue::Integer((k >> 33) as i64),
                            SqlValue::Integer((*k as u32) as i64),
                            SqlValue::Blob(vec![(k & 0xff) as u8; size]),
                        ],
                    )?;
                }
                if roll_back {
                    return Err(SqlError::Aborted);
                }
                Ok(())
            });
            if round % 10 == 7 {
                db.exec("PRAGMA cache_size=-32768", &[]).unwrap();
            }
            if roll_back {
                assert!(outcome.is_err());
            } else {
                outcome.unwrap();
                rows += n as i64;
                bytes += (n * size) as i64;
            }
            if n == 16 && !roll_back {
                small_commit_writes.push((
                    BUFFERED.load(Ordering::Relaxed) - b0,
                    WRITTEN.load(Ordering::Relaxed) - w0,
                ));
            }
            assert_eq!(one(&other, "SELECT count(*) FROM t"), rows, "round {round}");
            assert_eq!(
                one(&other, "SELECT coalesce(sum(length(v)), 0) FROM t"),
                bytes,
                "round {round}"
            );
            if round % 50 == 49 {
                // The other connection copies the WAL into the database; the writer's WAL
                // starts over at its next commit (the WAL header, then frames).
                other.checkpoint().unwrap();
            }
        }
        // A small commit is two writes per frame from SQLite, a `pwrite` or two here (the
        // tests of this binary run in parallel, so this is a bound over all of them).
        let (buffered, written): (u64, u64) = small_commit_writes
            .iter()
            .fold((0, 0), |(b, w), (db, dw)| (b + db, w + dw));
        assert!(
            written > 0 && buffered >= 10 * written,
            "{buffered} writes became {written} pwrites"
        );

        assert_eq!(
            other.query("PRAGMA integrity_check", &[]).unwrap()[0]
                .text(0)
                .unwrap(),
            "ok"
        );
        drop((db, other));
        let reopened = Sqlite::open(&path, Durability::Full).unwrap();
        assert_eq!(one(&reopened, "SELECT count(*) FROM t"), rows);
        drop(reopened);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Buffers are kept between writes only within the budget: with more files than it
    /// holds, the first ones keep theirs and the rest let theirs go.
    #[test]
    fn kept_buffers_stay_within_the_budget() {
        use super::{Run, KEPT, KEPT_BUDGET, MAX_RUN};
        let files = KEPT_BUDGET / MAX_RUN + 8;
        let mut runs: Vec<Run> = (0..files).map(|_| Run::default()).collect();
        for run in &mut runs {
            run.bytes.extend(std::iter::repeat_n(7u8, MAX_RUN));
            run.written();
            assert!(run.bytes.is_empty());
            assert_eq!(run.last, MAX_RUN);
            assert!(KEPT.load(Ordering::Relaxed) <= KEPT_BUDGET);
        }
        let kept: Vec<usize> = runs.iter().map(|r| r.bytes.capacity()).collect();
        assert!(kept[0] >= MAX_RUN, "the first file keeps its buffer");
        assert!(
            kept.iter().filter(|&&c| c == 0).count() >= 8,
            "files past the budget let theirs go: {kept:?}"
        );
        for (run, &capacity) in runs.iter().zip(&kept) {
            assert_eq!(run.kept, capacity, "what a file counts is what it holds");
        }
        assert!(kept.iter().sum::<usize>() <= KEPT_BUDGET);
    }
}
