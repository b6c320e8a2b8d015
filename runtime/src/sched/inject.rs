//! The global run queue (Go's `sched.runq`): remote spawns, wakes from
//! threads that are not workers, and local overflow land here.
//!
//! A mutex-protected deque with an atomic length so that `is_empty` costs
//! one load and no lock (tokio's inject queue does the same). The remote
//! path pays one uncontended lock per task; Go's pays `sched.lock`.
//! Workers take from it in batches (see `worker.rs`), so under saturation a
//! remotely spawned task waits for batches, not for one pop every 61 ticks.

use std::collections::VecDeque;

use crate::sync::Mutex;
use crate::sync::atomic::AtomicUsize;
use crate::sync::atomic::Ordering::{Acquire, Release};

/// The queue; `T` is a run-queue entry (a task in the runtime, anything in
/// the loom models).
pub struct Inject<T> {
    synced: Mutex<Synced<T>>,
    len: AtomicUsize,
}

struct Synced<T> {
    items: VecDeque<T>,
    closed: bool,
}

/// Entries of capacity an empty queue keeps (8 KiB).
const RETAINED: usize = 1024;

impl<T> Synced<T> {
    /// Once a burst has drained, gives back the capacity it grew to: 100k
    /// remote spawns would otherwise pin 1 MiB for the runtime's lifetime.
    fn trim(&mut self) {
        if self.items.is_empty() && self.items.capacity() > 4 * RETAINED {
            self.items.shrink_to(RETAINED);
        }
    }
}

impl<T> Default for Inject<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Inject<T> {
    /// An empty, open queue.
    pub fn new() -> Inject<T> {
        Inject {
            synced: Mutex::new(Synced {
                items: VecDeque::new(),
                closed: false,
            }),
            len: AtomicUsize::new(0),
        }
    }

    /// Queued entries (a hint; exact under the lock).
    pub fn len(&self) -> usize {
        self.len.load(Acquire)
    }

    /// True if nothing is queued. The length is stored while the lock is
    /// held, after the push, so a reader that sees `0` after a push's
    /// release may only be early, never lose the entry: pushers notify a
    /// worker after pushing, and the last searcher re-checks.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends one entry; gives it back if the queue is closed.
    pub fn push(&self, item: T) -> Result<(), T> {
        let mut synced = self.synced.lock();
        if synced.closed {
            return Err(item);
        }
        synced.items.push_back(item);
        self.len.store(synced.items.len(), Release);
        Ok(())
    }

    /// Appends a batch; gives it back if the queue is closed.
    pub fn push_batch(&self, batch: Vec<T>) -> Result<(), Vec<T>> {
        let mut synced = self.synced.lock();
        if synced.closed {
            return Err(batch);
        }
        synced.items.extend(batch);
        self.len.store(synced.items.len(), Release);
        Ok(())
    }

    /// Takes the oldest entry.
    #[cfg_attr(not(goro_loom), allow(dead_code))] // used by the loom models
    pub fn pop(&self) -> Option<T> {
        if self.is_empty() {
            return None;
        }
        let mut synced = self.synced.lock();
        let item = synced.items.pop_front();
        synced.trim();
        self.len.store(synced.items.len(), Release);
        item
    }

    /// Takes up to `max` entries, oldest first, into `out`.
    pub fn pop_batch(&self, max: usize, out: &mut Vec<T>) {
        if self.is_empty() || max == 0 {
            return;
        }
        let mut synced = self.synced.lock();
        let n = max.min(synced.items.len());
        out.extend(synced.items.drain(..n));
        synced.trim();
        self.len.store(synced.items.len(), Release);
    }

    /// Closes the queue (later pushes fail) and returns what was queued.
    pub fn close(&self) -> Vec<T> {
        let mut synced = self.synced.lock();
        synced.closed = true;
        let items: Vec<T> = synced.items.drain(..).collect();
        self.len.store(0, Release);
        items
    }

    /// True once closed.
    #[cfg_attr(not(goro_loom), allow(dead_code))] // used by the loom models
    pub fn is_closed(&self) -> bool {
        self.synced.lock().closed
    }
}

#[cfg(all(test, not(goro_loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_drained_burst_gives_its_capacity_back() {
        let q = Inject::new();
        for i in 0..20 * RETAINED {
            q.push(i).unwrap();
        }
        let mut out = Vec::new();
        q.pop_batch(20 * RETAINED - 1, &mut out);
        // One left: the capacity stays while the queue holds work.
        assert!(q.synced.lock().items.capacity() >= 20 * RETAINED);
        assert_eq!(q.pop(), Some(20 * RETAINED - 1));
        assert!(q.synced.lock().items.capacity() <= 4 * RETAINED);
        assert!(q.is_empty());
        assert_eq!(out.len(), 20 * RETAINED - 1);
    }
}
