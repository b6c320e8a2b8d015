//! Timer duty: which parked worker sleeps with the next deadline as its
//! timeout, and the handshake that keeps a newly armed timer from being
//! slept through.
//!
//! The worker on duty takes it, sets `until` to `NONE` ("computing"),
//! reads every shard's earliest deadline, and publishes the minimum in
//! `until`. A thread arming a timer stores its shard's earliest deadline
//! first and then reads the duty holder and `until` (all SeqCst). Either
//! the worker's reads see the new timer, or the arming thread sees the
//! worker on duty with `until` still `NONE` or computed without the
//! timer: it unparks the worker when the new deadline is earlier, and a
//! later one is found when the worker wakes at its own deadline and looks
//! again. Without the `NONE` store, an arming thread could read a deadline
//! left over from an earlier duty and let the worker sleep forever (the
//! broken twin in `loom-tests`).

use super::shard::NONE;
use crate::sync::atomic::Ordering::{Relaxed, SeqCst};
use crate::sync::atomic::{AtomicU64, AtomicUsize};

/// No worker is on duty.
pub const NO_WORKER: usize = usize::MAX;

/// Whom a thread that armed a timer must wake.
#[derive(Debug, PartialEq, Eq)]
pub enum Nudge {
    /// Nobody: the worker on duty wakes before the new deadline anyway.
    Nobody,
    /// The worker on duty: it may sleep past the new deadline.
    Worker(usize),
    /// Nobody is on duty and the new deadline is the earliest: wake a
    /// parked worker, if any (busy workers fire timers as they go).
    AnyParked,
}

/// The duty holder and the deadline it sleeps until.
#[derive(Debug)]
pub struct TimerDuty {
    worker: AtomicUsize,
    until: AtomicU64,
}

impl Default for TimerDuty {
    fn default() -> Self {
        TimerDuty::new()
    }
}

impl TimerDuty {
    /// Nobody on duty.
    pub fn new() -> TimerDuty {
        TimerDuty {
            worker: AtomicUsize::new(NO_WORKER),
            until: AtomicU64::new(NONE),
        }
    }

    /// A parking worker tries to take duty; true if it now holds it.
    pub fn take(&self, worker: usize) -> bool {
        self.worker
            .compare_exchange(NO_WORKER, worker, SeqCst, SeqCst)
            .is_ok()
    }

    /// The holder computes the deadline it will sleep until (`earliest`
    /// reads every shard) and publishes it. Returns it (`NONE`: no timer).
    pub fn publish(&self, earliest: impl FnOnce() -> u64) -> u64 {
        self.until.store(NONE, SeqCst);
        let deadline = earliest();
        self.until.store(deadline, SeqCst);
        deadline
    }

    /// The holder woke up: duty is free again.
    pub fn release(&self) {
        self.worker.store(NO_WORKER, SeqCst);
    }

    /// True if nobody holds duty right now (a hint: it may change at once).
    pub fn is_free(&self) -> bool {
        self.worker.load(Relaxed) == NO_WORKER
    }

    /// Called after a timer due at `deadline` was stored in its shard.
    /// `before` is the earliest deadline of all shards before that store
    /// (read only when nobody is on duty; pass `NONE` otherwise).
    pub fn after_arm(&self, deadline: u64, before: u64) -> Nudge {
        match self.worker.load(SeqCst) {
            NO_WORKER if deadline < before => Nudge::AnyParked,
            NO_WORKER => Nudge::Nobody,
            w if deadline < self.until.load(SeqCst) => Nudge::Worker(w),
            _ => Nudge::Nobody,
        }
    }
}
