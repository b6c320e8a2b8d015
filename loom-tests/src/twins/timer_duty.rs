//! Broken twin of goro's timer duty (`runtime/src/time/duty.rs`):
//! `publish` stores the new deadline without first marking `until` as
//! "computing" (`NONE`). A thread arming a timer while the worker on duty
//! computes can then read a deadline left over from an earlier duty, judge
//! its own timer later than that, and skip the unpark, while the worker,
//! whose read missed the timer, sleeps with no timeout.

use loom::sync::atomic::Ordering::SeqCst;
use loom::sync::atomic::{AtomicU64, AtomicUsize};

use goro::__loom::{NO_DEADLINE, NO_WORKER, Nudge};

/// The twin duty.
#[derive(Debug)]
pub struct TimerDuty {
    worker: AtomicUsize,
    until: AtomicU64,
}

impl Default for TimerDuty {
    fn default() -> Self {
        TimerDuty {
            worker: AtomicUsize::new(NO_WORKER),
            until: AtomicU64::new(NO_DEADLINE),
        }
    }
}

impl TimerDuty {
    /// As the real one.
    pub fn take(&self, worker: usize) -> bool {
        self.worker
            .compare_exchange(NO_WORKER, worker, SeqCst, SeqCst)
            .is_ok()
    }

    /// The bug: no `NONE` store before reading the shards.
    pub fn publish(&self, earliest: impl FnOnce() -> u64) -> u64 {
        let deadline = earliest();
        self.until.store(deadline, SeqCst);
        deadline
    }

    /// As the real one.
    pub fn release(&self) {
        self.worker.store(NO_WORKER, SeqCst);
    }

    /// As the real one.
    pub fn is_free(&self) -> bool {
        self.worker.load(SeqCst) == NO_WORKER
    }

    /// As the real one.
    pub fn after_arm(&self, deadline: u64, before: u64) -> Nudge {
        match self.worker.load(SeqCst) {
            NO_WORKER if deadline < before => Nudge::AnyParked,
            NO_WORKER => Nudge::Nobody,
            w if deadline < self.until.load(SeqCst) => Nudge::Worker(w),
            _ => Nudge::Nobody,
        }
    }
}
