//! The runtime clock (real or paused) and the timer heap.

use std::ops::{Add, Sub};
use std::time::Duration;

use super::duty::{Nudge, TimerDuty};
pub(crate) use super::shard::Entry;
use super::shard::{NONE, Shard};
use crate::sched::Shared;
use crate::sched::park::Park;
use crate::sync::Arc;
use crate::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use crate::sync::atomic::{AtomicBool, AtomicU64};

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

/// The clock, the timer heaps (one per P, plus one for timers armed off
/// the workers), and the coarse clock for task ages.
///
/// Arming goes to the arming thread's own shard, so the hot path (a
/// request's `timeout`, armed and cancelled on the worker that runs it)
/// takes a lock no other core touches. Firing looks at every shard's
/// earliest deadline (one atomic load each) and takes what is due from any
/// of them, so a P busy in a long poll does not hold its timers back
/// (Go's `stealWork` runs other Ps' timers too); what is due at once fires
/// in deadline order across shards.
///
/// One parked worker is on timer duty: it sleeps with the next deadline
/// as its timeout, and an arming thread unparks it when the new deadline
/// is earlier (`duty.rs`).
pub(crate) struct Timers {
    shards: Box<[Shard]>,
    duty: TimerDuty,
    epoch: std::time::Instant,
    paused: AtomicBool,
    frozen_ns: AtomicU64,
    coarse_ms: AtomicU64,
}

impl Timers {
    /// Timers for `workers` Ps.
    pub(crate) fn new(workers: usize) -> Timers {
        Timers {
            shards: (0..=workers).map(|_| Shard::new()).collect(),
            duty: TimerDuty::new(),
            epoch: std::time::Instant::now(),
            paused: AtomicBool::new(false),
            frozen_ns: AtomicU64::new(0),
            coarse_ms: AtomicU64::new(0),
        }
    }

    /// Nanoseconds since the runtime started, on the real clock.
    pub(crate) fn real_ns(&self) -> u64 {
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

    /// The shard a timer armed on this thread goes to: its P's, or the
    /// shared one off the workers.
    pub(crate) fn shard_for(&self, shared: &Shared) -> usize {
        crate::context::current_p(shared).unwrap_or(self.shards.len() - 1)
    }

    /// The earliest deadline of all shards, `NONE` if no timer is armed.
    fn earliest(&self) -> u64 {
        self.shards.iter().map(Shard::next).min().unwrap_or(NONE)
    }

    /// Arms `entry` in its shard; wakes a worker if it may otherwise
    /// sleep past it (the handshake is in `duty.rs`).
    pub(crate) fn register(&self, shared: &Shared, entry: Arc<Entry>) {
        let deadline = entry.deadline;
        // Only this shard's earliest deadline, not every shard's: the other
        // shards' lines belong to other workers, and reading them on every
        // arm would pull each across cores. The answer only decides whether
        // a parked worker is woken while nobody is on duty (a latency hint:
        // busy workers fire timers as they go, and a worker that parks takes
        // duty and reads every shard).
        let shard = &self.shards[entry.shard];
        let before = if self.duty.is_free() {
            shard.next()
        } else {
            NONE
        };
        shard.push(entry);
        match self.duty.after_arm(deadline, before) {
            Nudge::Nobody => {}
            Nudge::Worker(w) => shared.ps[w].park.unpark(),
            Nudge::AnyParked => shared.notify_parked(),
        }
    }

    /// A parking worker tries to take timer duty (see `duty.rs`).
    pub(crate) fn take_duty(&self, worker: usize) -> bool {
        self.duty.take(worker)
    }

    /// The worker on duty woke up.
    pub(crate) fn release_duty(&self) {
        self.duty.release();
    }

    /// The worker on duty computes how long it may sleep: `None` = until
    /// unparked.
    pub(crate) fn duty_timeout(&self) -> Option<Duration> {
        let next = self.duty.publish(|| self.earliest());
        if self.paused.load(Acquire) || next == NONE {
            return None;
        }
        Some(Duration::from_nanos(next.saturating_sub(self.real_ns())))
    }

    /// Fires every due timer, from every shard, in deadline order; returns
    /// how many.
    pub(crate) fn fire_due(&self) -> usize {
        // Workers call this every 61 ticks and before parking: with no
        // timer due, do not pay for a clock read or a lock.
        let mut now = None;
        let mut due = Vec::new();
        let mut shards_hit = 0;
        for shard in self.shards.iter() {
            let next = shard.next();
            if next == NONE {
                continue;
            }
            let now = *now.get_or_insert_with(|| self.now_ns());
            if next <= now && shard.take_due(now, &mut due) > 0 {
                shards_hit += 1;
            }
        }
        if shards_hit > 1 {
            // Stable: equal deadlines keep their arming order within a
            // shard (across shards it is arbitrary).
            due.sort_by_key(|q| q.deadline);
        }
        let n = due.len();
        if n == 0 {
            return 0;
        }
        for q in due {
            q.entry.fire();
        }
        n
    }

    /// A `Sleep` armed with `entry` was dropped before firing: its waker
    /// goes now, and its heap slot is reclaimed by a later compaction.
    pub(crate) fn cancel(&self, entry: &Entry) {
        let waker = self.shards[entry.shard].cancel(entry);
        // Dropped outside the shard's lock: a waker's drop may run user code.
        drop(waker);
    }

    /// Entries in all heaps and how many of them are cancelled, and the
    /// entries per shard (tests).
    #[cfg(test)]
    pub(crate) fn heap_counts(&self) -> ((usize, usize), Vec<usize>) {
        let per: Vec<_> = self.shards.iter().map(Shard::counts).collect();
        let total = per.iter().fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
        (total, per.iter().map(|c| c.0).collect())
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

    pub(crate) fn advance(&self, by: Duration) {
        self.assert_paused();
        let ns = by.as_nanos() as u64;
        self.frozen_ns.fetch_add(ns, AcqRel);
        self.fire_due();
    }

    pub(crate) fn advance_to_next(&self) -> bool {
        self.assert_paused();
        let next = self.earliest();
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
        self.fire_due();
        true
    }

    /// Shutdown: drops every armed timer (and its waker).
    pub(crate) fn clear(&self) {
        for shard in self.shards.iter() {
            // Dropped outside the shard's lock.
            drop(shard.drain());
        }
    }
}

#[cfg(all(test, not(goro_loom)))]
mod tests {
    use std::future::{Future, poll_fn};
    use std::pin::pin;
    use std::task::Poll;
    use std::time::Duration;

    use super::super::shard::COMPACT_FLOOR;
    use crate::time::{advance, pause, sleep};

    fn heap_counts() -> (usize, usize) {
        crate::context::with_current(|s| s.expect("in a runtime").timers.heap_counts().0)
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

    /// A waker that records `id` when woken. std's `Arc` because
    /// `std::task::Wake` is implemented on it; the test is single-threaded
    /// (it fires on its own thread), so loom has nothing to see here.
    fn recorder(id: u64, log: &std::sync::Arc<std::sync::Mutex<Vec<u64>>>) -> std::task::Waker {
        struct Rec(u64, std::sync::Arc<std::sync::Mutex<Vec<u64>>>);
        impl std::task::Wake for Rec {
            fn wake(self: std::sync::Arc<Self>) {
                self.1.lock().unwrap().push(self.0);
            }
        }
        std::task::Waker::from(std::sync::Arc::new(Rec(id, log.clone())))
    }

    #[test]
    fn due_timers_fire_in_deadline_order_across_shards() {
        use super::super::shard::Entry;
        let timers = super::Timers::new(2);
        timers.pause();
        let base = timers.now_ns();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        // (shard, deadline ns); armed out of order, one per shard and two
        // in one.
        let armed = [(0, 30), (1, 10), (2, 20), (0, 5), (2, 40)];
        let entries: Vec<_> = armed
            .iter()
            .map(|&(shard, deadline)| {
                let at = base + deadline;
                let e = crate::sync::Arc::new(Entry::new(at, shard, recorder(deadline, &log)));
                timers.shards[shard].push(e.clone());
                e
            })
            .collect();
        assert_eq!(timers.earliest(), base + 5);
        timers.advance(Duration::from_nanos(35));
        assert_eq!(*log.lock().unwrap(), vec![5, 10, 20, 30]);
        assert_eq!(timers.earliest(), base + 40);
        assert!(
            entries
                .iter()
                .filter(|e| e.fired.load(std::sync::atomic::Ordering::Acquire))
                .count()
                == 4
        );
        assert!(timers.advance_to_next());
        assert_eq!(*log.lock().unwrap(), vec![5, 10, 20, 30, 40]);
        assert!(!timers.advance_to_next());
    }

    /// A timer armed on a worker goes to that worker's shard; one armed
    /// off the workers (here in `block_on`) to the shared last shard.
    #[test]
    fn timers_are_armed_in_the_arming_threads_shard() {
        let rt = crate::Runtime::builder().worker_threads(2).build().unwrap();
        let per_shard = || rt.handle().shared.timers.heap_counts().1;
        rt.block_on(async {
            let mut here = std::pin::pin!(sleep(Duration::from_secs(3600)));
            poll_fn(|cx| {
                assert!(here.as_mut().poll(cx).is_pending());
                Poll::Ready(())
            })
            .await;
            assert_eq!(per_shard(), vec![0, 0, 1]);
            let (worker, armed) = crate::spawn(async {
                let mut s = Box::pin(sleep(Duration::from_secs(3600)));
                poll_fn(|cx| {
                    assert!(s.as_mut().poll(cx).is_pending());
                    Poll::Ready(())
                })
                .await;
                let worker = crate::context::with_current(|c| {
                    crate::context::current_p(c.expect("on a worker")).expect("a P")
                });
                (worker, s)
            })
            .await
            .unwrap();
            let mut want = vec![0, 0, 1];
            want[worker] = 1;
            assert_eq!(per_shard(), want);
            drop(armed);
        });
    }
}
