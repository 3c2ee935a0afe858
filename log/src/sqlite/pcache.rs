//! SQLite's own page cache, wrapped to skip a page-cache scan it does at every commit.
//!
//! When a B-tree split leaves its new pages out of page-number order, SQLite swaps them
//! through a temporary page number, the lock page (`PENDING_BYTE / page size + 1`: page
//! 262,145 for 4 KB pages). The default cache (`pcache1`) remembers the largest page number
//! it has seen, and every commit asks it to drop pages beyond the end of the database; from
//! then on that request walks the cache's whole hash table (one bucket per cached page,
//! 8,192 for our 32 MB cache) while the database is smaller than 1 GB. Random inserts split
//! pages all the time, so under PutItem of new keys that walk was 8 % of the server's CPU
//! (docs/benchmarks.md, "The write path").
//!
//! The wrapper forwards every call to the default cache and keeps its own bound on the
//! largest page number held, in which a page parked at the lock page only counts while it
//! is there. A truncation that cannot drop anything is not forwarded. The bound only ever
//! overestimates (pages the default cache recycles on its own are still counted), so a
//! truncation that could drop a page always reaches the cache.

use std::ffi::{c_int, c_uint, c_void};
use std::sync::Once;

use rusqlite::ffi;

/// SQLite's default `PENDING_BYTE` (only a test build moves it).
const PENDING_BYTE: u32 = 0x4000_0000;

/// One cache: the default cache's handle and what the wrapper knows about its keys.
struct Wrapped {
    inner: *mut ffi::sqlite3_pcache,
    lock_page: u32,
    /// No page number above this is in the cache (the lock page aside).
    max_key: u32,
    /// Pages currently parked at the lock page (during a split's renumbering).
    at_lock: u32,
}

/// The default methods, captured before ours are installed.
struct Inner(ffi::sqlite3_pcache_methods2);
// SAFETY: the struct is only function pointers and SQLite's `pArg` (null for pcache1),
// written once before any connection exists and read-only afterwards.
unsafe impl Sync for Inner {}
unsafe impl Send for Inner {}

static INNER: std::sync::OnceLock<Inner> = std::sync::OnceLock::new();

fn inner() -> &'static ffi::sqlite3_pcache_methods2 {
    &INNER.get().expect("methods captured before install").0
}

/// Installs the wrapper once per process, before SQLite initialises. If SQLite is already
/// running (a connection was opened some other way first), the default cache stays.
pub(crate) fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config is called before the first connection; it refuses
        // (SQLITE_MISUSE) once SQLite is initialised, and then nothing is changed.
        unsafe {
            let mut default: ffi::sqlite3_pcache_methods2 = std::mem::zeroed();
            let rc = ffi::sqlite3_config(
                ffi::SQLITE_CONFIG_GETPCACHE2,
                &mut default as *mut ffi::sqlite3_pcache_methods2,
            );
            if rc != ffi::SQLITE_OK || default.xCreate.is_none() {
                return;
            }
            if INNER.set(Inner(default)).is_err() {
                return;
            }
            let ours = ffi::sqlite3_pcache_methods2 {
                iVersion: 1,
                pArg: std::ptr::null_mut(),
                xInit: Some(x_init),
                xShutdown: Some(x_shutdown),
                xCreate: Some(x_create),
                xCachesize: Some(x_cachesize),
                xPagecount: Some(x_pagecount),
                xFetch: Some(x_fetch),
                xUnpin: Some(x_unpin),
                xRekey: Some(x_rekey),
                xTruncate: Some(x_truncate),
                xDestroy: Some(x_destroy),
                xShrink: Some(x_shrink),
            };
            // Refused only if SQLite started in between; the default cache then stays.
            let _ = ffi::sqlite3_config(
                ffi::SQLITE_CONFIG_PCACHE2,
                &ours as *const ffi::sqlite3_pcache_methods2,
            );
        }
    });
}

/// SAFETY (all callbacks): SQLite hands back the pointer `x_create` returned, and calls one
/// cache from one connection at a time.
unsafe fn wrapped<'a>(p: *mut ffi::sqlite3_pcache) -> &'a mut Wrapped {
    unsafe { &mut *(p as *mut Wrapped) }
}

unsafe extern "C" fn x_init(_: *mut c_void) -> c_int {
    let i = inner();
    match i.xInit {
        Some(f) => unsafe { f(i.pArg) },
        None => ffi::SQLITE_OK,
    }
}

unsafe extern "C" fn x_shutdown(_: *mut c_void) {
    let i = inner();
    if let Some(f) = i.xShutdown {
        unsafe { f(i.pArg) }
    }
}

unsafe extern "C" fn x_create(
    sz_page: c_int,
    sz_extra: c_int,
    purgeable: c_int,
) -> *mut ffi::sqlite3_pcache {
    let Some(create) = inner().xCreate else {
        return std::ptr::null_mut();
    };
    let cache = unsafe { create(sz_page, sz_extra, purgeable) };
    if cache.is_null() {
        return cache;
    }
    let lock_page = PENDING_BYTE / (sz_page.max(512) as u32) + 1;
    Box::into_raw(Box::new(Wrapped {
        inner: cache,
        lock_page,
        max_key: 0,
        at_lock: 0,
    })) as *mut ffi::sqlite3_pcache
}

unsafe extern "C" fn x_cachesize(p: *mut ffi::sqlite3_pcache, n: c_int) {
    if let Some(f) = inner().xCachesize {
        unsafe { f(wrapped(p).inner, n) }
    }
}

unsafe extern "C" fn x_pagecount(p: *mut ffi::sqlite3_pcache) -> c_int {
    match inner().xPagecount {
        Some(f) => unsafe { f(wrapped(p).inner) },
        None => 0,
    }
}

unsafe extern "C" fn x_fetch(
    p: *mut ffi::sqlite3_pcache,
    key: c_uint,
    create: c_int,
) -> *mut ffi::sqlite3_pcache_page {
    let Some(f) = inner().xFetch else {
        return std::ptr::null_mut();
    };
    let w = unsafe { wrapped(p) };
    let page = unsafe { f(w.inner, key, create) };
    if create != 0 && !page.is_null() && key > w.max_key {
        // The lock page is fetched too (SQLite then refuses it as corrupt): counting it in
        // `max_key` only makes the bound looser.
        w.max_key = key;
    }
    page
}

unsafe extern "C" fn x_unpin(
    p: *mut ffi::sqlite3_pcache,
    page: *mut ffi::sqlite3_pcache_page,
    discard: c_int,
) {
    if let Some(f) = inner().xUnpin {
        unsafe { f(wrapped(p).inner, page, discard) }
    }
}

unsafe extern "C" fn x_rekey(
    p: *mut ffi::sqlite3_pcache,
    page: *mut ffi::sqlite3_pcache_page,
    old: c_uint,
    new: c_uint,
) {
    let w = unsafe { wrapped(p) };
    if let Some(f) = inner().xRekey {
        unsafe { f(w.inner, page, old, new) }
    }
    if old == w.lock_page {
        w.at_lock = w.at_lock.saturating_sub(1);
    }
    if new == w.lock_page {
        w.at_lock += 1;
        #[cfg(test)]
        tests::PARKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    } else if new > w.max_key {
        w.max_key = new;
    }
}

unsafe extern "C" fn x_truncate(p: *mut ffi::sqlite3_pcache, limit: c_uint) {
    let w = unsafe { wrapped(p) };
    let held = if w.at_lock > 0 {
        w.max_key.max(w.lock_page)
    } else {
        w.max_key
    };
    if limit > held {
        return; // nothing at or above `limit` can be in the cache
    }
    if let Some(f) = inner().xTruncate {
        unsafe { f(w.inner, limit) }
    }
    #[cfg(test)]
    tests::FORWARDED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    w.max_key = w.max_key.min(limit.saturating_sub(1));
    if w.lock_page >= limit {
        w.at_lock = 0;
    }
}

unsafe extern "C" fn x_destroy(p: *mut ffi::sqlite3_pcache) {
    let w = unsafe { Box::from_raw(p as *mut Wrapped) };
    if let Some(f) = inner().xDestroy {
        unsafe { f(w.inner) }
    }
}

unsafe extern "C" fn x_shrink(p: *mut ffi::sqlite3_pcache) {
    if let Some(f) = inner().xShrink {
        unsafe { f(wrapped(p).inner) }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use crate::sql::{RowExt, Sql, SqlError, SqlValue};
    use crate::sqlite::{Durability, Sqlite};

    /// Pages renumbered through the lock page, and truncations passed on to the cache.
    pub(super) static PARKED: AtomicU64 = AtomicU64::new(0);
    pub(super) static FORWARDED: AtomicU64 = AtomicU64::new(0);

    /// Random inserts (splits that renumber pages through the lock page) interleaved with
    /// rolled-back transactions that grew the file (whose pages the cache must drop): the
    /// database stays intact and holds exactly the committed rows.
    #[test]
    fn random_inserts_and_rollbacks_keep_the_database_intact() {
        let dir = crate::sqlite::test_dir("pcache");
        let path = dir.join("t.sqlite");
        let db = Sqlite::open(&path, Durability::Normal).unwrap();
        assert!(super::INNER.get().is_some(), "the wrapper is installed");
        db.exec(
            "CREATE TABLE t (h INTEGER, k BLOB, v BLOB, PRIMARY KEY (h, k)) WITHOUT ROWID",
            &[],
        )
        .unwrap();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut committed = 0i64;
        for round in 0..600 {
            let rows: Vec<u64> = (0..8)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x
                })
                .collect();
            let roll_back = round % 10 == 9;
            let insert = |h: i64, k: Vec<u8>, v: Vec<u8>| {
                db.exec(
                    "INSERT INTO t VALUES (?1, ?2, ?3)",
                    &[SqlValue::Integer(h), SqlValue::Blob(k), SqlValue::Blob(v)],
                )
            };
            let outcome = db.transaction(&mut || {
                for r in &rows {
                    insert((r >> 32) as i64, r.to_le_bytes().to_vec(), vec![7; 200])?;
                }
                if roll_back {
                    for i in 0..100 {
                        insert(-1 - i, vec![1], vec![9; 3000])?;
                    }
                    return Err(SqlError::Aborted);
                }
                Ok(())
            });
            if roll_back {
                assert!(outcome.is_err());
            } else {
                outcome.unwrap();
                committed += 8;
            }
        }
        let one = |q: &str| db.query(q, &[]).unwrap()[0].clone();
        assert_eq!(one("PRAGMA integrity_check").text(0).unwrap(), "ok");
        assert_eq!(one("SELECT count(*) FROM t").int(0).unwrap(), committed);
        assert_eq!(one("SELECT count(*) FROM t WHERE h < 0").int(0).unwrap(), 0);
        assert!(
            PARKED.load(Ordering::Relaxed) > 0,
            "no split renumbered pages"
        );
        assert!(
            FORWARDED.load(Ordering::Relaxed) > 0,
            "no truncation reached the cache"
        );
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
