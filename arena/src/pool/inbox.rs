//! The cross-thread hand-off: a lock-free multi-producer, single-consumer
//! stack of pool nodes.
//!
//! # Protocol
//!
//! 1. A node belongs to exactly one party at a time: a user (inside a
//!    `Pooled` or `Batch`), the owner's local free list, or this inbox.
//! 2. **Push** (any thread, Treiber 1986): write `last.next = head`, then
//!    `compare_exchange(head, first)` with **Release** on success. Until the
//!    CAS succeeds the chain is still the pusher's, so rewriting `last.next`
//!    on a retry races with nobody. Release publishes everything the pusher
//!    wrote to the nodes — the `next` links and the recycled values.
//! 3. **Take** (owner thread only): `swap(head, null)` with **Acquire** takes
//!    the whole chain at once. It synchronises with the Release CAS of the
//!    last push, and through the release sequence (every later push is an
//!    RMW on `head`) with all earlier ones, so the consumer sees every
//!    node's writes.
//! 4. There is no single-node pop, so there is no ABA: a node cannot leave
//!    and re-enter the list between a pusher's load and its CAS, because only
//!    the consumer removes nodes and it removes them all.
//! 5. `len` only bounds the retained count: a pusher reserves its count
//!    *before* its CAS (`fetch_add`) and the consumer subtracts what it took
//!    after the swap, so `len` never undercounts the nodes in the list.
//!
//! The model in `loom-tests/tests/arena_pool.rs` checks this hand-off; its
//! broken twin (push with `Relaxed`) is caught as a causality violation.

use core::ptr::{self, NonNull};

use crate::sync::UnsafeCell;
use crate::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// A pooled object and its link.
pub(crate) struct Node<T> {
    pub(crate) value: UnsafeCell<T>,
    pub(crate) next: UnsafeCell<*mut Node<T>>,
}

impl<T> Node<T> {
    /// A fresh heap node.
    pub(crate) fn boxed(value: T) -> NonNull<Node<T>> {
        let node = Box::new(Node {
            value: UnsafeCell::new(value),
            next: UnsafeCell::new(ptr::null_mut()),
        });
        NonNull::from(Box::leak(node))
    }

    /// Frees a node and its value.
    ///
    /// # Safety
    ///
    /// `node` came from [`Node::boxed`] and the caller owns it (rule 1).
    pub(crate) unsafe fn free(node: NonNull<Node<T>>) {
        // SAFETY: the caller's contract.
        drop(unsafe { Box::from_raw(node.as_ptr()) });
    }

    /// Reads the link.
    ///
    /// # Safety
    ///
    /// The caller owns the node (rule 1).
    #[inline]
    pub(crate) unsafe fn next(node: NonNull<Node<T>>) -> *mut Node<T> {
        // SAFETY: the caller owns the node, so no one writes the cell.
        unsafe { (*node.as_ptr()).next.with(|n| *n) }
    }

    /// Writes the link.
    ///
    /// # Safety
    ///
    /// The caller owns the node (rule 1).
    #[inline]
    pub(crate) unsafe fn set_next(node: NonNull<Node<T>>, next: *mut Node<T>) {
        // SAFETY: the caller owns the node, so the access is unique.
        unsafe { (*node.as_ptr()).next.with_mut(|n| *n = next) }
    }
}

/// Frees every node of a chain.
///
/// # Safety
///
/// The caller owns the whole chain (rule 1).
pub(crate) unsafe fn free_chain<T>(mut head: *mut Node<T>) {
    while let Some(node) = NonNull::new(head) {
        // SAFETY: the caller owns the chain.
        unsafe {
            head = Node::next(node);
            Node::free(node);
        }
    }
}

/// The MPSC stack.
pub(crate) struct Inbox<T> {
    head: AtomicPtr<Node<T>>,
    len: AtomicUsize,
}

impl<T> Inbox<T> {
    pub(crate) fn new() -> Self {
        Inbox {
            head: AtomicPtr::new(ptr::null_mut()),
            len: AtomicUsize::new(0),
        }
    }

    /// Pushes the chain `first ..= last` of `n` nodes, unless that would take
    /// the inbox past `max` nodes; then the chain is handed back.
    ///
    /// # Safety
    ///
    /// The caller owns the chain, `last` is its last node and `n` its length.
    pub(crate) unsafe fn push_chain(
        &self,
        first: NonNull<Node<T>>,
        last: NonNull<Node<T>>,
        n: usize,
        max: usize,
    ) -> Result<(), NonNull<Node<T>>> {
        // Rule 5: reserve before publishing.
        if self.len.fetch_add(n, Ordering::Relaxed) + n > max {
            self.len.fetch_sub(n, Ordering::Relaxed);
            return Err(first);
        }
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            // SAFETY: rule 2: the chain is ours until the CAS succeeds.
            unsafe { Node::set_next(last, head) };
            match self.head.compare_exchange_weak(
                head,
                first.as_ptr(),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => head = actual,
            }
        }
    }

    /// Takes every node (owner thread only); returns the chain and its length.
    pub(crate) fn take_all(&self) -> (*mut Node<T>, usize) {
        if self.head.load(Ordering::Relaxed).is_null() {
            return (ptr::null_mut(), 0);
        }
        // Rule 3.
        let head = self.head.swap(ptr::null_mut(), Ordering::Acquire);
        let mut n = 0;
        let mut cur = head;
        while let Some(node) = NonNull::new(cur) {
            n += 1;
            // SAFETY: the swap made the chain ours.
            cur = unsafe { Node::next(node) };
        }
        self.len.fetch_sub(n, Ordering::Relaxed);
        (head, n)
    }
}

impl<T> Drop for Inbox<T> {
    fn drop(&mut self) {
        let (head, _) = self.take_all();
        // SAFETY: `&mut self`: no pusher is left; the chain is ours.
        unsafe { free_chain(head) };
    }
}
