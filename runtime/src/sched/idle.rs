//! Which workers are parked and which are searching for work.
//!
//! One state word counts searching workers (low 16 bits) and unparked
//! workers (the rest); `sleepers` lists the parked ones. Rules (tokio's
//! `idle.rs` and Go's `nmspinning`/`npidle`, see the top of Go's
//! `proc.go`):
//!
//! 1. A submitter first makes its work visible (queue push), then does an
//!    RMW on the state word (`fetch_add(0)`) and wakes a sleeper only if
//!    nobody is searching and someone is parked. Being an RMW, it is
//!    ordered against every other RMW on the word, and it reads the latest
//!    value, which a plain load (even SeqCst, under loom) does not promise.
//! 2. A worker about to park decrements the counts with an RMW, then, if it
//!    was the last searcher, re-checks every queue and wakes a sleeper if
//!    any holds work. Either the submitter's RMW comes after the parker's
//!    (and it sees no searcher, so it wakes someone), or before (and its
//!    push happens-before the parker's re-check, which sees it).
//! 3. A searcher that finds work and was the last searcher wakes another,
//!    in case more work is waiting (Go's `resetspinning` → `wakep`).
//! 4. At most half the workers search at once (Go: half the busy Ps;
//!    tokio: half of all workers).
//! 5. Waking a sleeper marks it unparked *and searching* before it runs,
//!    so concurrent submitters do not wake a second worker for one task.
//! 6. The monitor (sysmon) rests until woken only when, under the sleepers
//!    lock, every worker is parked and none has woken since its previous
//!    look; it marks itself resting under that lock. A worker coming out of
//!    a park takes the same lock first (rule 2's `transition_worker_from_parked`),
//!    so its look at the resting mark afterwards sees the mark if the
//!    monitor decided before it, and the monitor sees the worker awake if
//!    it decided after. The worker that sees the mark clears it under the
//!    lock and wakes the monitor (Go's `sysmonwait` and `sysmonnote`).

use crate::sync::Mutex;
use crate::sync::atomic::Ordering::{Relaxed, SeqCst};
use crate::sync::atomic::{AtomicBool, AtomicUsize};

const UNPARK_SHIFT: usize = 16;
const SEARCH_MASK: usize = (1 << UNPARK_SHIFT) - 1;

/// Idle bookkeeping for `num_workers` workers.
pub struct Idle {
    state: AtomicUsize,
    num_workers: usize,
    sleepers: Mutex<Sleepers>,
    /// Rule 6: the monitor rests. Written under `sleepers`' lock; read
    /// without it only after taking that lock once.
    monitor_resting: AtomicBool,
}

struct Sleepers {
    /// The parked workers.
    workers: Vec<usize>,
    /// Wake-ups so far (rule 6's "none has woken since").
    wakeups: u64,
}

impl Idle {
    /// All workers start unparked, none searching.
    pub fn new(num_workers: usize) -> Idle {
        assert!(num_workers < SEARCH_MASK, "too many workers");
        Idle {
            state: AtomicUsize::new(num_workers << UNPARK_SHIFT),
            num_workers,
            sleepers: Mutex::new(Sleepers {
                workers: Vec::with_capacity(num_workers),
                wakeups: 0,
            }),
            monitor_resting: AtomicBool::new(false),
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
        let (searching, unparked) = self.snapshot();
        searching == 0 && unparked < self.num_workers
    }

    /// (searching, unparked) from a relaxed load: for heuristics
    /// (`helper.rs`, `worker.rs`), never for the wake-up protocol.
    fn hint(&self) -> (usize, usize) {
        Self::counts(self.state.load(Relaxed))
    }

    /// Whether every worker is awake and none is searching: the runtime is
    /// saturated (Go: no idle P, no spinning M). A relaxed look.
    pub fn all_busy(&self) -> bool {
        self.hint() == (0, self.num_workers)
    }

    /// Parked workers, from a relaxed look.
    pub fn parked_hint(&self) -> usize {
        self.num_workers.saturating_sub(self.hint().1)
    }

    /// Rule 1: returns the worker to unpark, if one should be.
    pub fn worker_to_notify(&self) -> Option<usize> {
        if !self.should_wake() {
            return None;
        }
        let mut sleepers = self.sleepers.lock();
        if !self.should_wake() {
            return None;
        }
        let worker = sleepers.workers.pop()?;
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
        let mut sleepers = self.sleepers.lock();
        let dec = (1 << UNPARK_SHIFT) | usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, SeqCst);
        sleepers.workers.push(worker);
        is_searching && prev & SEARCH_MASK == 1
    }

    /// After a wake-up: if `worker` is still listed as a sleeper (a timeout
    /// or a direct unpark rather than rule 5), takes it off and counts it
    /// unparked; returns false. Returns true if it was woken by rule 5 and
    /// is therefore searching.
    pub fn transition_worker_from_parked(&self, worker: usize) -> bool {
        let mut sleepers = self.sleepers.lock();
        sleepers.wakeups += 1;
        match sleepers.workers.iter().position(|&w| w == worker) {
            Some(i) => {
                sleepers.workers.swap_remove(i);
                self.state.fetch_add(1 << UNPARK_SHIFT, SeqCst);
                false
            }
            None => true,
        }
    }

    /// Rule 6, the monitor's side: true (and marked resting) if every
    /// worker is parked and none has woken since the wake-up count in
    /// `seen`, which is brought up to date either way.
    pub fn monitor_may_rest(&self, seen: &mut u64) -> bool {
        let sleepers = self.sleepers.lock();
        let (_, unparked) = self.snapshot();
        let quiet = unparked == 0 && sleepers.wakeups == *seen;
        *seen = sleepers.wakeups;
        if quiet {
            self.monitor_resting.store(true, Relaxed);
        }
        quiet
    }

    /// Rule 6: whether the monitor is still marked resting (the monitor
    /// asks this under its own lock before each wait; the worker that
    /// clears the mark takes that lock to notify it).
    pub fn monitor_resting(&self) -> bool {
        self.monitor_resting.load(Relaxed)
    }

    /// Rule 6, the monitor's side: it woke (notified or timed out).
    pub fn monitor_woke(&self) {
        let _sleepers = self.sleepers.lock();
        self.monitor_resting.store(false, Relaxed);
    }

    /// Rule 6, a worker's side, called after `transition_worker_from_parked`:
    /// true if the monitor was resting, in which case the mark is cleared
    /// and the caller must wake it. One relaxed load when it is not.
    pub fn take_monitor_wake(&self) -> bool {
        if !self.monitor_resting.load(Relaxed) {
            return false;
        }
        let _sleepers = self.sleepers.lock();
        self.monitor_resting.swap(false, Relaxed)
    }

    /// Number of workers.
    #[cfg_attr(not(goro_loom), allow(dead_code))] // used by the loom models
    pub fn num_workers(&self) -> usize {
        self.num_workers
    }
}
