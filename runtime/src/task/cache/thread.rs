//! A cell cache for a thread without a P, fully open while
//! [`super::thread_cache`] runs on it (the whole of a `block_on` call).
//!
//! A `block_on` future that spawns and joins tasks allocates a cell per
//! spawn and, since completion releases the registry's reference at once,
//! frees it when it drops the `JoinHandle`. Without a cache of its own each
//! of those took the depot's lock once. With one, the thread keeps its own
//! lists under the same caps as a P (rule 4), refills and spills them in
//! batches of [`super::BATCH`] through the depot, and hands everything
//! back to the depot when the scope closes, so no blocks sit in a thread
//! that stopped using the runtime.
//!
//! Outside a scope the cache only serves allocations: a thread that spawns
//! onto a runtime from outside (`Handle::spawn`) takes a batch from the
//! depot under one lock and spawns from it, while its frees go straight to
//! the depot. So such a thread keeps at most one batch per size class
//! (what is left of its last refill), freed to the allocator when the
//! thread exits. Not under loom, whose models have no thread-locals of
//! this kind.

use std::cell::Cell;

use super::{CellCache, Depot};

struct ThreadCache {
    /// True while a scope runs on this thread.
    open: Cell<bool>,
    cache: CellCache,
}

thread_local! {
    static THREAD: ThreadCache = const {
        ThreadCache {
            open: Cell::new(false),
            cache: CellCache::new(),
        }
    };
}

/// Opens a scope on this thread; false if one is open already.
pub(super) fn open() -> bool {
    THREAD.try_with(|t| !t.open.replace(true)).unwrap_or(false)
}

/// Closes the scope: the cache's blocks go to `depot` (or, if it is full,
/// to the allocator).
pub(super) fn close(depot: &Depot) {
    let _ = THREAD.try_with(|t| {
        t.open.set(false);
        // SAFETY: rule 1: a thread's own cache, touched only by it and
        // never re-entered (no user code runs inside the cache).
        unsafe { t.cache.flush(depot) };
    });
}

/// Runs `f` on this thread's cache, scope or not (allocations).
///
/// `f` receives the cache under rule 1, as in [`with`].
#[inline]
pub(super) fn with_any<R>(f: impl FnOnce(&CellCache) -> R) -> Option<R> {
    THREAD.try_with(|t| f(&t.cache)).ok()
}

/// Runs `f` on this thread's cache if a scope is open (frees).
///
/// `f` receives the cache under rule 1: only this thread touches it, and
/// `f` must not call back into the cache functions.
#[inline]
pub(super) fn with<R>(f: impl FnOnce(&CellCache) -> R) -> Option<R> {
    THREAD
        .try_with(|t| t.open.get().then(|| f(&t.cache)))
        .ok()
        .flatten()
}
