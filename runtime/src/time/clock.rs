//! The runtime clock (real or paused) and the timer heap.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::{Add, Sub};
use std::task::Waker;
use std::time::Duration;

use crate::sched::park::Park;
use crate::sched::{NO_WORKER, Shared};
use crate::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use crate::sync::atomic::{AtomicBool, AtomicU64};
use crate::sync::{Arc, Mutex};

/// A point in time on the current runtime's clock: real time normally,
/// virtual time while the clock is [paused](super::pause).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(std::time::Instant);

impl Instant {
    /// Now, on the current runtime's clock (the real clock outside one).
    pub fn now() -> Instant {
        crate::context::with_current(|s| match s {
            Some(s) => s.timers.instant_at(s.timers.now_ns()),
            None => Instant(std::time::Instant::now()),
        })
    }

    /// Wraps a std instant.
    pub fn from_std(i: std::time::Instant) -> Instant {
        Instant(i)
    }

    /// The std instant.
    pub fn into_std(self) -> std::time::Instant {
        self.0
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }

    /// Time since this instant, on the runtime clock.
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0 + d)
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, other: Instant) -> Duration {
        self.saturating_duration_since(other)
    }
}

/// One armed timer: fired once, by whoever finds it due.
pub(crate) struct Entry {
    pub(crate) deadline: u64,
    pub(crate) fired: AtomicBool,
    pub(crate) waker: Mutex<Option<Waker>>,
}

impl Entry {
    pub(crate) fn new(deadline: u64, waker: Waker) -> Entry {
        Entry {
            deadline,
            fired: AtomicBool::new(false),
            waker: Mutex::new(Some(waker)),
        }
    }

    /// Marks the entry fired and wakes its task. `fired` is set before the
    /// waker is taken under the lock, so a poll that stores a new waker
    /// under the lock then re-checks `fired` never sleeps through it.
    pub(crate) fn fire(&self) {
        self.fired.store(true, Release);
        let waker = self.waker.lock().take();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

struct Queued {
    deadline: u64,
    seq: u64,
    entry: Arc<Entry>,
}

impl PartialEq for Queued {
    fn eq(&self, o: &Self) -> bool {
        (self.deadline, self.seq) == (o.deadline, o.seq)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Queued {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.deadline, self.seq).cmp(&(o.deadline, o.seq))
    }
}

const NONE: u64 = u64::MAX;

/// The heap, the clock, and the coarse clock for task ages.
pub(crate) struct Timers {
    heap: Mutex<BinaryHeap<Reverse<Queued>>>,
    /// Earliest deadline in the heap, `NONE` if empty.
    next: AtomicU64,
    seq: AtomicU64,
    epoch: std::time::Instant,
    paused: AtomicBool,
    frozen_ns: AtomicU64,
    coarse_ms: AtomicU64,
}

impl Timers {
    pub(crate) fn new() -> Timers {
        Timers {
            heap: Mutex::new(BinaryHeap::new()),
            next: AtomicU64::new(NONE),
            seq: AtomicU64::new(0),
            epoch: std::time::Instant::now(),
            paused: AtomicBool::new(false),
            frozen_ns: AtomicU64::new(0),
            coarse_ms: AtomicU64::new(0),
        }
    }

    fn real_ns(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    /// Nanoseconds since the runtime started, on its (maybe paused) clock.
    pub(crate) fn now_ns(&self) -> u64 {
        if self.paused.load(Acquire) {
            self.frozen_ns.load(Acquire)
        } else {
            self.real_ns()
        }
    }

    pub(crate) fn instant_at(&self, ns: u64) -> Instant {
        Instant(self.epoch + Duration::from_nanos(ns))
    }

    pub(crate) fn ns_of(&self, at: Instant) -> u64 {
        at.0.saturating_duration_since(self.epoch).as_nanos() as u64
    }

    /// Milliseconds since start, refreshed by sysmon (cheap to read on
    /// every poll; precise enough for a task dump).
    pub(crate) fn coarse_ms(&self) -> u64 {
        self.coarse_ms.load(Relaxed)
    }

    pub(crate) fn refresh_coarse(&self) {
        self.coarse_ms
            .store(self.epoch.elapsed().as_millis() as u64, Relaxed);
    }

    /// Arms `entry`; wakes a worker if it is now the earliest.
    pub(crate) fn register(&self, shared: &Shared, entry: Arc<Entry>) {
        let deadline = entry.deadline;
        let earlier = {
            let mut heap = self.heap.lock();
            let seq = self.seq.fetch_add(1, Relaxed);
            heap.push(Reverse(Queued {
                deadline,
                seq,
                entry,
            }));
            let earlier = deadline < self.next.load(Relaxed);
            if earlier {
                self.next.store(deadline, SeqCst);
            }
            earlier
        };
        if earlier {
            // The worker on duty computed its timeout from the old deadline.
            match shared.timer_duty.fetch_add(0, SeqCst) {
                NO_WORKER => shared.notify_parked(),
                w => shared.ps[w].park.unpark(),
            }
        }
    }

    /// Fires every due timer; returns how many.
    pub(crate) fn fire_due(&self, _shared: &Shared) -> usize {
        let now = self.now_ns();
        if self.next.load(Acquire) > now {
            return 0;
        }
        let mut due = Vec::new();
        {
            let mut heap = self.heap.lock();
            while let Some(Reverse(top)) = heap.peek() {
                if top.deadline > now {
                    break;
                }
                let Some(Reverse(q)) = heap.pop() else { break };
                due.push(q.entry);
            }
            let next = heap.peek().map_or(NONE, |Reverse(q)| q.deadline);
            self.next.store(next, SeqCst);
        }
        let n = due.len();
        for e in due {
            e.fire();
        }
        n
    }

    /// How long the worker on duty may sleep: `None` = until unparked.
    pub(crate) fn until_next(&self) -> Option<Duration> {
        if self.paused.load(Acquire) {
            return None;
        }
        match self.next.load(SeqCst) {
            NONE => None,
            d => Some(Duration::from_nanos(d.saturating_sub(self.real_ns()))),
        }
    }

    pub(crate) fn pause(&self) {
        self.frozen_ns.store(self.real_ns(), Release);
        self.paused.store(true, Release);
    }

    pub(crate) fn resume(&self) {
        self.paused.store(false, Release);
    }

    fn assert_paused(&self) {
        assert!(
            self.paused.load(Acquire),
            "goro::time::advance needs a paused clock (call goro::time::pause first)"
        );
    }

    pub(crate) fn advance(&self, shared: &Shared, by: Duration) {
        self.assert_paused();
        let ns = by.as_nanos() as u64;
        self.frozen_ns.fetch_add(ns, AcqRel);
        self.fire_due(shared);
    }

    pub(crate) fn advance_to_next(&self, shared: &Shared) -> bool {
        self.assert_paused();
        let next = self.next.load(Acquire);
        if next == NONE {
            return false;
        }
        if next > self.frozen_ns.load(Acquire) {
            self.frozen_ns.store(next, Release);
        }
        // A worker's own `fire_due` (every 61 ticks, and before it parks)
        // may take the timer between the store above and ours: it fired
        // all the same. Reporting "nothing fired" then made callers that
        // count steps wait forever for a step that had already happened.
        self.fire_due(shared);
        true
    }

    /// Shutdown: drops every armed timer (and its waker).
    pub(crate) fn clear(&self) {
        let drained: Vec<_> = self.heap.lock().drain().collect();
        self.next.store(NONE, SeqCst);
        drop(drained);
    }
}
