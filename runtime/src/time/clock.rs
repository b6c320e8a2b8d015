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
    /// In the heap and not cancelled. Read and written only under the
    /// heap's lock (so Relaxed): it is what lets a cancel know whether
    /// its entry still takes a slot there.
    queued: AtomicBool,
}

impl Entry {
    pub(crate) fn new(deadline: u64, waker: Waker) -> Entry {
        Entry {
            deadline,
            fired: AtomicBool::new(false),
            waker: Mutex::new(Some(waker)),
            queued: AtomicBool::new(false),
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

/// The heap and its count of cancelled entries still in it.
struct Heap {
    entries: BinaryHeap<Reverse<Queued>>,
    cancelled: usize,
}

/// Cancelled entries tolerated before the heap is compacted: at least
/// this many, and at least as many as live ones, so a compaction (O(n))
/// is paid for by n/2 cancellations and the heap never holds more than
/// twice its live timers (plus this floor).
const COMPACT_FLOOR: usize = 64;

/// The heap, the clock, and the coarse clock for task ages.
///
/// A dropped `Sleep` cancels its entry: the entry stays in the heap,
/// counted as cancelled, until it comes due (and is skipped) or until
/// cancelled entries outnumber live ones, when the heap is rebuilt without
/// them. A server that wraps each request in a 30 s `timeout` and answers in
/// 1 ms thus holds about as many entries as requests in flight, not 30 s
/// worth of them.
pub(crate) struct Timers {
    heap: Mutex<Heap>,
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
            heap: Mutex::new(Heap {
                entries: BinaryHeap::new(),
                cancelled: 0,
            }),
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
            entry.queued.store(true, Relaxed);
            heap.entries.push(Reverse(Queued {
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
        // Workers call this every 61 ticks and before parking: with no
        // timer armed, do not pay for a clock read.
        let next = self.next.load(Acquire);
        if next == NONE {
            return 0;
        }
        let now = self.now_ns();
        if next > now {
            return 0;
        }
        let mut due = Vec::new();
        {
            let mut heap = self.heap.lock();
            while let Some(Reverse(top)) = heap.entries.peek() {
                if top.deadline > now {
                    break;
                }
                let Some(Reverse(q)) = heap.entries.pop() else {
                    break;
                };
                if q.entry.queued.swap(false, Relaxed) {
                    due.push(q.entry);
                } else {
                    heap.cancelled -= 1;
                }
            }
            let next = heap.entries.peek().map_or(NONE, |Reverse(q)| q.deadline);
            self.next.store(next, SeqCst);
        }
        let n = due.len();
        for e in due {
            e.fire();
        }
        n
    }

    /// A `Sleep` armed with `entry` was dropped before firing: its waker
    /// goes now, and its heap slot is reclaimed by a later compaction.
    pub(crate) fn cancel(&self, entry: &Entry) {
        let waker = {
            let mut heap = self.heap.lock();
            if entry.queued.swap(false, Relaxed) {
                heap.cancelled += 1;
                let live = heap.entries.len() - heap.cancelled;
                if heap.cancelled > COMPACT_FLOOR.max(live) {
                    heap.entries
                        .retain(|Reverse(q)| q.entry.queued.load(Relaxed));
                    heap.cancelled = 0;
                    let next = heap.entries.peek().map_or(NONE, |Reverse(q)| q.deadline);
                    self.next.store(next, SeqCst);
                }
            }
            entry.waker.lock().take()
        };
        // Dropped outside the heap lock: a waker's drop may run user code.
        drop(waker);
    }

    /// Entries in the heap and how many of them are cancelled (tests).
    #[cfg(test)]
    pub(crate) fn heap_counts(&self) -> (usize, usize) {
        let heap = self.heap.lock();
        (heap.entries.len(), heap.cancelled)
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
        let drained: Vec<_> = {
            let mut heap = self.heap.lock();
            heap.cancelled = 0;
            let drained: Vec<_> = heap.entries.drain().collect();
            // Out of the heap now: a later cancel must not count them.
            for Reverse(q) in &drained {
                q.entry.queued.store(false, Relaxed);
            }
            drained
        };
        self.next.store(NONE, SeqCst);
        drop(drained);
    }
}

#[cfg(all(test, not(goro_loom)))]
mod tests {
    use std::future::{Future, poll_fn};
    use std::pin::pin;
    use std::task::Poll;
    use std::time::Duration;

    use super::COMPACT_FLOOR;
    use crate::time::{advance, pause, sleep};

    fn heap_counts() -> (usize, usize) {
        crate::context::with_current(|s| s.expect("in a runtime").timers.heap_counts())
    }

    /// Arms a fresh hour-long sleep by polling it once, then drops it.
    async fn arm_and_drop() {
        let mut s = pin!(sleep(Duration::from_secs(3600)));
        poll_fn(|cx| {
            assert!(s.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
    }

    #[test]
    fn cancelled_sleeps_do_not_pile_up_in_the_heap() {
        let rt = crate::Runtime::builder().worker_threads(1).build().unwrap();
        rt.block_on(async {
            pause();
            let n = if cfg!(miri) { 200 } else { 5_000 };
            // Ten live timers among many cancelled ones.
            let live: Vec<_> = (0..10)
                .map(|i| crate::spawn(sleep(Duration::from_secs(60 + i))))
                .collect();
            crate::yield_now().await;
            while heap_counts().0 < 10 {
                crate::yield_now().await;
            }
            for _ in 0..n {
                arm_and_drop().await;
                let (len, cancelled) = heap_counts();
                assert!(len - cancelled >= 10);
                assert!(
                    cancelled <= COMPACT_FLOOR.max(len - cancelled) + 1,
                    "{len} {cancelled}"
                );
            }
            // The live ones still fire, and due cancelled ones are skipped.
            advance(Duration::from_secs(3600 * 2));
            for h in live {
                h.await.unwrap();
            }
            assert_eq!(heap_counts(), (0, 0));
        });
    }
}
