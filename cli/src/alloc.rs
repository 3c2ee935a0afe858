//! The allocator: jemalloc, with each thread's cache handed back when its thread goes idle.
//!
//! glibc's malloc/free were 12 % of GetItem's server time; jemalloc's per-thread caches
//! take that to a few percent (Query +30–70 %, GetItem +12 %, docs/benchmarks.md, "The
//! write path"). Those caches cost memory per thread, and every open table is a thread: 256
//! of them held ~50 MB more than glibc. An actor idle for a moment returns its cache
//! ([`release_thread_cache`]), which keeps a table per test within the memory bound.

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Returns the calling thread's cached free blocks to the shared arenas.
pub fn release_thread_cache() {
    // SAFETY: `thread.tcache.flush` takes and returns nothing; the name is NUL-terminated.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            c"thread.tcache.flush".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
    }
}
