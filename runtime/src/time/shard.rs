//! One timer heap: a P's own timers (Go keeps a heap per P), or the heap
//! for timers armed off the workers.
//!
//! Entries are armed and cancelled under the shard's lock, which only the
//! shard's own worker takes on the hot path (a request's `timeout`, armed
//! and cancelled on the worker that runs the request). Anyone may fire a
//! due entry from any shard; `next` lets them skip a shard without taking
//! its lock.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::task::Waker;

use crate::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use crate::sync::atomic::{AtomicBool, AtomicU64};
use crate::sync::{Arc, Mutex};

/// No deadline: an empty heap.
pub const NONE: u64 = u64::MAX;

/// Cancelled entries tolerated before the heap is compacted: at least
/// this many, and at least as many as live ones, so a compaction (O(n))
/// is paid for by n/2 cancellations and the heap never holds more than
/// twice its live timers (plus this floor).
pub const COMPACT_FLOOR: usize = 64;

/// One armed timer: fired once, by whoever finds it due.
pub struct Entry {
    pub(crate) deadline: u64,
    /// The shard it was armed in (fixed: a cancel goes there too).
    pub(crate) shard: usize,
    pub(crate) fired: AtomicBool,
    pub(crate) waker: Mutex<Option<Waker>>,
    /// In the heap and not cancelled. Read and written only under the
    /// shard's lock (so Relaxed): it is what lets a cancel know whether
    /// its entry still takes a slot there.
    queued: AtomicBool,
}

impl Entry {
    /// An entry due at `deadline` (runtime nanoseconds), for `shard`.
    pub fn new(deadline: u64, shard: usize, waker: Waker) -> Entry {
        Entry {
            deadline,
            shard,
            fired: AtomicBool::new(false),
            waker: Mutex::new(Some(waker)),
            queued: AtomicBool::new(false),
        }
    }

    /// Marks the entry fired and wakes its task. `fired` is set before the
    /// waker is taken under the lock, so a poll that stores a new waker
    /// under the lock then re-checks `fired` never sleeps through it.
    pub fn fire(&self) {
        self.fired.store(true, Release);
        let waker = self.waker.lock().take();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// A heap slot; ordered by deadline, then by arming order.
pub struct Queued {
    pub(crate) deadline: u64,
    pub(crate) seq: u64,
    pub(crate) entry: Arc<Entry>,
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

/// The heap, its count of cancelled entries still in it, and the arming
/// counter that orders equal deadlines (per shard: a runtime-wide counter
/// would be one more cache line every worker writes on every arm).
struct Heap {
    entries: BinaryHeap<Reverse<Queued>>,
    cancelled: usize,
    seq: u64,
}

/// One heap, its lock, and its earliest deadline.
///
/// A dropped `Sleep` cancels its entry: the entry stays in the heap,
/// counted as cancelled, until it comes due (and is skipped) or until
/// cancelled entries outnumber live ones, when the heap is rebuilt without
/// them. A server that wraps each request in a 30 s `timeout` and answers in
/// 1 ms thus holds about as many entries as requests in flight, not 30 s
/// worth of them.
///
/// Aligned to 128 bytes (two cache lines, for the adjacent-line
/// prefetcher): the shards sit side by side in one slice, and each is
/// locked and written by its own worker; sharing a line would bounce it
/// between cores on every arm and cancel.
#[repr(align(128))]
pub struct Shard {
    heap: Mutex<Heap>,
    /// Earliest deadline in the heap (cancelled entries included), `NONE`
    /// if empty. Written under the lock, read without it.
    next: AtomicU64,
}

impl Shard {
    /// An empty heap.
    pub fn new() -> Shard {
        Shard {
            heap: Mutex::new(Heap {
                entries: BinaryHeap::new(),
                cancelled: 0,
                seq: 0,
            }),
            next: AtomicU64::new(NONE),
        }
    }

    /// The earliest deadline here, `NONE` if none. SeqCst: it is one side
    /// of the duty handshake (`clock.rs`).
    pub fn next(&self) -> u64 {
        self.next.load(SeqCst)
    }

    /// Adds `entry`; equal deadlines fire in arming order.
    pub fn push(&self, entry: Arc<Entry>) {
        let deadline = entry.deadline;
        let mut heap = self.heap.lock();
        let seq = heap.seq;
        heap.seq += 1;
        entry.queued.store(true, Relaxed);
        heap.entries.push(Reverse(Queued {
            deadline,
            seq,
            entry,
        }));
        if deadline < self.next.load(Relaxed) {
            self.next.store(deadline, SeqCst);
        }
    }

    /// Moves every live entry due at `now` into `due`; returns how many.
    pub fn take_due(&self, now: u64, due: &mut Vec<Queued>) -> usize {
        if self.next.load(Acquire) > now {
            return 0;
        }
        let before = due.len();
        let mut heap = self.heap.lock();
        while let Some(Reverse(top)) = heap.entries.peek() {
            if top.deadline > now {
                break;
            }
            let Some(Reverse(q)) = heap.entries.pop() else {
                break;
            };
            if q.entry.queued.swap(false, Relaxed) {
                due.push(q);
            } else {
                heap.cancelled -= 1;
            }
        }
        let next = heap.entries.peek().map_or(NONE, |Reverse(q)| q.deadline);
        self.next.store(next, SeqCst);
        due.len() - before
    }

    /// Disarms `entry` (armed here) and hands back its waker, to be
    /// dropped outside the lock (a waker's drop may run user code).
    pub fn cancel(&self, entry: &Entry) -> Option<Waker> {
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
    }

    /// Entries in the heap and how many of them are cancelled.
    #[cfg(test)]
    pub fn counts(&self) -> (usize, usize) {
        let heap = self.heap.lock();
        (heap.entries.len(), heap.cancelled)
    }

    /// Shutdown: takes every entry out (the caller drops them).
    pub fn drain(&self) -> Vec<Reverse<Queued>> {
        let mut heap = self.heap.lock();
        heap.cancelled = 0;
        let drained: Vec<_> = heap.entries.drain().collect();
        // Out of the heap now: a later cancel must not count them.
        for Reverse(q) in &drained {
            q.entry.queued.store(false, Relaxed);
        }
        self.next.store(NONE, SeqCst);
        drained
    }
}
