//! A `block_on` thread that runs tasks while its future waits (Go's main
//! goroutine, whose thread runs other goroutines whenever main blocks), if
//! the runtime was built with `Builder::block_on_runs_tasks(true)`.
//!
//! Rules:
//! 1. Only while the runtime is saturated: every worker awake and none
//!    searching ([`Idle::all_busy`](super::idle::Idle::all_busy); Go: no
//!    idle P and no spinning M). An idle or searching worker was (or will
//!    be) woken for the global queue's work and takes it without
//!    contention; a saturated runtime leaves that work waiting, which is
//!    when the caller's thread, about to sleep anyway, is spare capacity.
//!    A relaxed look: a heuristic, not part of any wake-up protocol. A
//!    worker that has just finished a task and not yet looked for the next
//!    still counts as busy, so now and then a task runs here that a worker
//!    was about to take.
//! 2. One task at a time from the global queue, the same queue remote
//!    spawns and wakes from outside land in; each poll gets the usual
//!    budget. Between tasks the thread looks at its own parker: once its
//!    future has been woken it stops and polls it again.
//! 3. A task run here has no P: what it spawns or wakes goes to the global
//!    queue, a `block_in_place` in it runs inline, and sysmon does not watch
//!    its poll. Its polls count in
//!    [`RuntimeMetrics::block_on_polls`](crate::metrics::RuntimeMetrics::block_on_polls).
//!
//! No lost wake-ups: the thread still parks on its own parker when it stops
//! helping; a wake that came during a task leaves the parker's token, which
//! the next park consumes without sleeping.

use super::Shared;
use super::park::CondvarPark;
use crate::coop;
use crate::sync::atomic::Ordering::Relaxed;

/// Runs global-queue tasks on this thread until `park` holds a wake, the
/// runtime is not saturated (rule 1) or the queue is empty. The caller
/// parks next, which returns at once if its future was woken meanwhile.
pub(crate) fn run_while_waiting(shared: &Shared, park: &CondvarPark) {
    while !park.has_token() && !shared.is_shutdown() && shared.idle.all_busy() {
        let Some(task) = shared.inject.pop() else {
            return;
        };
        shared.block_on_polls.fetch_add(1, Relaxed);
        let ((), _) = coop::with_budget(|| task.run());
    }
}
