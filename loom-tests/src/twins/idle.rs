//! Broken twin of goro's idle bookkeeping (`runtime/src/sched/idle.rs`):
//! a submitter decides whether to wake a sleeper from a plain `Relaxed`
//! load of the state word instead of an RMW (rule 1), so it can read a
//! count from before the parker's decrement while the parker's re-check
//! reads the queue from before the push: both miss, the worker sleeps on a
//! queued task. Loom reports the deadlock.

#![allow(dead_code)]

use loom::sync::Mutex;
use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::{Relaxed, SeqCst};

const UNPARK_SHIFT: usize = 16;
const SEARCH_MASK: usize = (1 << UNPARK_SHIFT) - 1;

/// Idle bookkeeping for `num_workers` workers.
pub struct Idle {
    state: AtomicUsize,
    num_workers: usize,
    sleepers: Mutex<Vec<usize>>,
}

impl Idle {
    /// All workers start unparked, none searching.
    pub fn new(num_workers: usize) -> Idle {
        assert!(num_workers < SEARCH_MASK, "too many workers");
        Idle {
            state: AtomicUsize::new(num_workers << UNPARK_SHIFT),
            num_workers,
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
        }
    }

    fn counts(state: usize) -> (usize, usize) {
        (state & SEARCH_MASK, state >> UNPARK_SHIFT)
    }

    /// (searching, unparked) right now.
    pub fn snapshot(&self) -> (usize, usize) {
        Self::counts(self.state.fetch_add(0, SeqCst))
    }

    fn should_wake(&self) -> bool {
        // THE BUG: a plain load instead of the `fetch_add(0)` RMW.
        let (searching, unparked) = Self::counts(self.state.load(Relaxed));
        searching == 0 && unparked < self.num_workers
    }

    /// Rule 1: returns the worker to unpark, if one should be.
    pub fn worker_to_notify(&self) -> Option<usize> {
        if !self.should_wake() {
            return None;
        }
        let mut sleepers = self.sleepers.lock().unwrap();
        if !self.should_wake() {
            return None;
        }
        let worker = sleepers.pop()?;
        // Rule 5: one searching, one more unparked.
        self.state.fetch_add(1 | (1 << UNPARK_SHIFT), SeqCst);
        Some(worker)
    }

    /// Rule 4: may this worker start searching?
    pub fn transition_worker_to_searching(&self) -> bool {
        let (searching, _) = self.snapshot();
        if 2 * searching >= self.num_workers {
            return false;
        }
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// Rule 3: a searcher found work. True if it was the last searcher
    /// (the caller then wakes another worker).
    pub fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, SeqCst);
        prev & SEARCH_MASK == 1
    }

    /// Rule 2: the worker parks. True if it was the last searcher (the
    /// caller must then re-check every queue).
    pub fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) -> bool {
        let mut sleepers = self.sleepers.lock().unwrap();
        let dec = (1 << UNPARK_SHIFT) | usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, SeqCst);
        sleepers.push(worker);
        is_searching && prev & SEARCH_MASK == 1
    }

    /// After a wake-up: if `worker` is still listed as a sleeper (a timeout
    /// or a direct unpark rather than rule 5), takes it off and counts it
    /// unparked; returns false. Returns true if it was woken by rule 5 and
    /// is therefore searching.
    pub fn transition_worker_from_parked(&self, worker: usize) -> bool {
        let mut sleepers = self.sleepers.lock().unwrap();
        match sleepers.iter().position(|&w| w == worker) {
            Some(i) => {
                sleepers.swap_remove(i);
                self.state.fetch_add(1 << UNPARK_SHIFT, SeqCst);
                false
            }
            None => true,
        }
    }

    /// Number of workers.
    pub fn num_workers(&self) -> usize {
        self.num_workers
    }
}
