//! Broken twin of the hand-off inbox of `goro_arena::Pool`
//! (`arena/src/pool/inbox.rs`): the pusher publishes its node with a
//! `Relaxed` CAS instead of `Release`, so the owner's read of the recycled
//! value after `take_all` is not ordered after the pusher's write. Loom
//! reports it as a causality violation on the value cell.
//!
//! Only push and take-all are kept (no length bound): the scenario in
//! `tests/arena_pool.rs` exercises exactly that path.

use std::ptr;

use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicPtr;
use loom::sync::atomic::Ordering::{Acquire, Relaxed};

/// A pooled value and its link.
pub struct Node {
    /// The value the pusher recycles before handing the node over.
    pub value: UnsafeCell<u32>,
    next: UnsafeCell<*mut Node>,
}

impl Node {
    /// A fresh heap node holding `value`.
    pub fn boxed(value: u32) -> *mut Node {
        Box::into_raw(Box::new(Node {
            value: UnsafeCell::new(value),
            next: UnsafeCell::new(ptr::null_mut()),
        }))
    }
}

/// The broken MPSC stack.
pub struct Inbox {
    head: AtomicPtr<Node>,
}

// SAFETY: test twin; nodes move between threads through `head` only.
unsafe impl Send for Inbox {}
// SAFETY: as above.
unsafe impl Sync for Inbox {}

impl Default for Inbox {
    fn default() -> Self {
        Inbox {
            head: AtomicPtr::new(ptr::null_mut()),
        }
    }
}

impl Inbox {
    /// Pushes one node the caller owns.
    ///
    /// # Safety
    ///
    /// `node` came from [`Node::boxed`] and is owned by the caller.
    pub unsafe fn push(&self, node: *mut Node) {
        let mut head = self.head.load(Relaxed);
        loop {
            // SAFETY: the node is ours until the CAS succeeds.
            unsafe { (*node).next.with_mut(|n| *n = head) };
            // THE BUG: Relaxed on success does not publish the writes above
            // (nor the caller's write of the value).
            match self
                .head
                .compare_exchange_weak(head, node, Relaxed, Relaxed)
            {
                Ok(_) => return,
                Err(actual) => head = actual,
            }
        }
    }

    /// Takes every node (the owner's side, unchanged from the real code).
    pub fn take_all(&self) -> *mut Node {
        self.head.swap(ptr::null_mut(), Acquire)
    }
}
