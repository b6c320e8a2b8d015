//! Broken twin of goro's global queue (`runtime/src/sched/inject.rs`): `pop`
//! decrements the atomic length with a load and a store *outside* the
//! lock, racing a concurrent push's increment. The length can drop to zero
//! with a task still queued; the lock-free emptiness check then reports an
//! empty queue and the task is never run.

use std::collections::VecDeque;

use loom::sync::Mutex;
use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::{AcqRel, Acquire, Release};

/// The twin queue.
pub struct Inject<T> {
    items: Mutex<VecDeque<T>>,
    len: AtomicUsize,
}

impl<T> Default for Inject<T> {
    fn default() -> Self {
        Inject {
            items: Mutex::new(VecDeque::new()),
            len: AtomicUsize::new(0),
        }
    }
}

impl<T> Inject<T> {
    /// Appends one entry.
    pub fn push(&self, item: T) {
        self.items.lock().unwrap().push_back(item);
        self.len.fetch_add(1, AcqRel);
    }

    /// Takes the oldest entry, trusting the length hint.
    pub fn pop(&self) -> Option<T> {
        if self.len.load(Acquire) == 0 {
            return None;
        }
        let item = self.items.lock().unwrap().pop_front();
        if item.is_some() {
            // THE BUG: a read-modify-write split in two, outside the lock.
            let n = self.len.load(Acquire);
            self.len.store(n - 1, Release);
        }
        item
    }
}
