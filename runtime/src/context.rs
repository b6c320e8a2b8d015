//! The thread-local context: which runtime this thread serves and which
//! processor (P) it holds, if any.
//!
//! A worker thread holds a P; the `block_on` thread and blocking-pool
//! threads hold a runtime but no P (their spawns and wakes go to the global
//! queue). Holding P `i` is what entitles a thread to the owner-only
//! operations on P `i`'s run queue (`queue.rs` rule 1); `block_in_place`
//! gives the P away by clearing it here.

use std::cell::Cell;
use std::ptr;

use crate::sched::Shared;
use crate::sync::Arc;

const NO_P: usize = usize::MAX;

thread_local! {
    static SHARED: Cell<*const Arc<Shared>> = const { Cell::new(ptr::null()) };
    static P: Cell<usize> = const { Cell::new(NO_P) };
}

/// Restores the previous context on drop.
pub(crate) struct EnterGuard {
    prev_shared: *const Arc<Shared>,
    prev_p: usize,
}

/// Makes `shared` (and P `p`) current until the guard drops. `shared` must
/// outlive the guard (callers keep it on their stack).
pub(crate) fn enter(shared: &Arc<Shared>, p: Option<usize>) -> EnterGuard {
    let prev_shared = SHARED.with(|c| c.replace(shared as *const _));
    let prev_p = P.with(|c| c.replace(p.unwrap_or(NO_P)));
    EnterGuard {
        prev_shared,
        prev_p,
    }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        SHARED.with(|c| c.set(self.prev_shared));
        P.with(|c| c.set(self.prev_p));
    }
}

/// Runs `f` with the current runtime, if any.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Arc<Shared>>) -> R) -> R {
    let ptr = SHARED.with(|c| c.get());
    // SAFETY: `enter`'s contract: the pointee outlives the guard that set it,
    // and the guard restores the previous pointer when it drops.
    f(unsafe { ptr.as_ref() })
}

/// The P this thread holds, if it serves `shared`.
pub(crate) fn current_p(shared: &Shared) -> Option<usize> {
    let p = P.with(|c| c.get());
    if p == NO_P {
        return None;
    }
    with_current(|cur| match cur {
        Some(cur) if ptr::eq(&**cur, shared) => Some(p),
        _ => None,
    })
}

/// Takes P `p` back after a `block_in_place` whose hand-off had not started
/// (the thread is still inside that worker's loop and its `enter` guard).
pub(crate) fn reacquire_p(p: usize) {
    P.with(|c| c.set(p));
}

/// The P this thread holds, whatever the runtime.
pub(crate) fn raw_p() -> Option<usize> {
    let p = P.with(|c| c.get());
    (p != NO_P).then_some(p)
}

/// Gives up this thread's P (for `block_in_place`).
pub(crate) fn release_p() -> Option<usize> {
    let p = P.with(|c| c.replace(NO_P));
    (p != NO_P).then_some(p)
}
