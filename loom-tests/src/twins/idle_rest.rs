//! Broken twin of the monitor's rest (idle rule 6 in
//! `runtime/src/sched/idle.rs`): the monitor decides to rest from a relaxed
//! look at the state word and marks itself resting without taking the
//! sleepers lock. Nothing then orders its decision against a worker's
//! wake-up: the monitor can read the count from before the worker woke
//! while the worker reads the mark from before the monitor set it, and the
//! monitor rests with a worker running. Loom reports the deadlock.
//!
//! Only the parts of `Idle` that rule 6 touches are kept (the unparked
//! count, the sleepers list with its wake-up count, the resting mark).

#![allow(dead_code)]

use loom::sync::Mutex;
use loom::sync::atomic::Ordering::{Relaxed, SeqCst};
use loom::sync::atomic::{AtomicBool, AtomicUsize};

/// Rule 6's slice of the idle bookkeeping.
pub struct IdleRest {
    unparked: AtomicUsize,
    sleepers: Mutex<(Vec<usize>, u64)>,
    monitor_resting: AtomicBool,
}

impl IdleRest {
    /// All workers start unparked.
    pub fn new(num_workers: usize) -> IdleRest {
        IdleRest {
            unparked: AtomicUsize::new(num_workers),
            sleepers: Mutex::new((Vec::new(), 0)),
            monitor_resting: AtomicBool::new(false),
        }
    }

    /// As the real one.
    pub fn transition_worker_to_parked(&self, worker: usize, _is_searching: bool) -> bool {
        let mut sleepers = self.sleepers.lock().unwrap();
        self.unparked.fetch_sub(1, SeqCst);
        sleepers.0.push(worker);
        false
    }

    /// As the real one.
    pub fn transition_worker_from_parked(&self, worker: usize) -> bool {
        let mut sleepers = self.sleepers.lock().unwrap();
        sleepers.1 += 1;
        match sleepers.0.iter().position(|&w| w == worker) {
            Some(i) => {
                sleepers.0.swap_remove(i);
                self.unparked.fetch_add(1, SeqCst);
                false
            }
            None => true,
        }
    }

    /// BROKEN: the decision and the mark are made outside the sleepers
    /// lock (the wake-up count is not consulted either).
    pub fn monitor_may_rest(&self, _seen: &mut u64) -> bool {
        let quiet = self.unparked.load(Relaxed) == 0;
        if quiet {
            self.monitor_resting.store(true, Relaxed);
        }
        quiet
    }

    /// As the real one.
    pub fn monitor_resting(&self) -> bool {
        self.monitor_resting.load(Relaxed)
    }

    /// As the real one.
    pub fn monitor_woke(&self) {
        let _sleepers = self.sleepers.lock().unwrap();
        self.monitor_resting.store(false, Relaxed);
    }

    /// As the real one.
    pub fn take_monitor_wake(&self) -> bool {
        if !self.monitor_resting.load(Relaxed) {
            return false;
        }
        let _sleepers = self.sleepers.lock().unwrap();
        self.monitor_resting.swap(false, Relaxed)
    }
}
