//! The cooperative budget: each task poll may make 128 progress steps on
//! goro's own resources (channel receives, joins, timers) before they start
//! returning `Pending` and re-waking the task, so one hot task cannot keep
//! its worker from the rest of the queue (tokio's `coop`, same constant).
//!
//! Go preempts instead (sysmon, 10 ms slices); a library cannot interrupt
//! a running future, so the budget is the lever, plus sysmon's rescue of a
//! stuck worker's queue.

use std::cell::Cell;
use std::task::Context;

/// Steps per task poll.
pub(crate) const BUDGET: u8 = 128;
const UNCONSTRAINED: u8 = u8::MAX;

thread_local! {
    static LEFT: Cell<u8> = const { Cell::new(UNCONSTRAINED) };
    static FORCED: Cell<u64> = const { Cell::new(0) };
}

/// Runs one task poll with a fresh budget; returns `f`'s result and
/// whether the budget forced a yield.
pub(crate) fn with_budget<R>(f: impl FnOnce() -> R) -> (R, bool) {
    let prev = LEFT.with(|c| c.replace(BUDGET));
    let forced_before = FORCED.with(|c| c.get());
    let r = f();
    LEFT.with(|c| c.set(prev));
    let forced = FORCED.with(|c| c.get()) != forced_before;
    (r, forced)
}

/// Spends one step. Returns false (after waking the task, so it is
/// re-queued behind the others) when the budget is exhausted.
#[inline]
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> bool {
    LEFT.with(|c| {
        let left = c.get();
        if left == UNCONSTRAINED {
            return true;
        }
        if left == 0 {
            FORCED.with(|f| f.set(f.get() + 1));
            cx.waker().wake_by_ref();
            return false;
        }
        c.set(left - 1);
        true
    })
}
