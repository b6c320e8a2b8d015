//! Broken twin of `goro::chan::WaitGroup`: the waiter checks the count,
//! and if it is not zero registers its waker *without re-checking under the
//! lock*. A `done` that reaches zero between the check and the
//! registration finds no waker to wake, and the waiter sleeps forever.
//! Loom reports the deadlock.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::{AcqRel, Acquire};
use loom::sync::{Arc, Mutex};

/// The twin group.
#[derive(Clone)]
pub struct WaitGroup(Arc<(AtomicUsize, Mutex<Vec<Waker>>)>);

impl WaitGroup {
    /// A group with count `n`.
    pub fn new(n: usize) -> WaitGroup {
        WaitGroup(Arc::new((AtomicUsize::new(n), Mutex::new(Vec::new()))))
    }

    /// Decrements; at zero wakes the registered waiters.
    pub fn done(&self) {
        if self.0.0.fetch_sub(1, AcqRel) == 1 {
            for w in self.0.1.lock().unwrap().drain(..) {
                w.wake();
            }
        }
    }

    /// Waits for zero.
    pub fn wait(&self) -> Wait<'_> {
        Wait(self)
    }
}

/// The wait future.
pub struct Wait<'a>(&'a WaitGroup);

impl Future for Wait<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.0.0.load(Acquire) == 0 {
            return Poll::Ready(());
        }
        // THE BUG: no re-check of the count once the lock is held.
        self.0.0.1.lock().unwrap().push(cx.waker().clone());
        Poll::Pending
    }
}
