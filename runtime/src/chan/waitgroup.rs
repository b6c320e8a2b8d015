//! `WaitGroup`: Go's `sync.WaitGroup` for tasks.
//!
//! Protocol: an atomic counter and a waiter list under a mutex. `done`
//! decrements with acquire-release ordering and, on reaching zero, takes
//! the lock and wakes every waiter. A waiter re-reads the counter under the
//! lock before registering, so either it sees zero or it is registered
//! before `done` takes the lock (the broken twin reads it before locking
//! and sleeps forever).
//!
//! ```
//! let rt = goro::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let wg = goro::chan::WaitGroup::new();
//!     for _ in 0..4 {
//!         wg.add(1);
//!         let wg = wg.clone();
//!         goro::spawn(async move { wg.done() });
//!     }
//!     wg.wait().await;
//! });
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::waiters::Waiters;
use crate::sync::atomic::AtomicUsize;
use crate::sync::atomic::Ordering::{AcqRel, Acquire};
use crate::sync::{Arc, Mutex};

/// Counts outstanding work; [`wait`](WaitGroup::wait) completes at zero.
/// Clones share the count.
#[derive(Clone)]
pub struct WaitGroup {
    inner: Arc<Inner>,
}

struct Inner {
    count: AtomicUsize,
    waiters: Mutex<Waiters>,
}

impl WaitGroup {
    /// A group with a count of zero.
    pub fn new() -> WaitGroup {
        WaitGroup {
            inner: Arc::new(Inner {
                count: AtomicUsize::new(0),
                waiters: Mutex::new(Waiters::default()),
            }),
        }
    }

    /// Adds `n` to the count.
    pub fn add(&self, n: usize) {
        self.inner.count.fetch_add(n, AcqRel);
    }

    /// Subtracts one; at zero, wakes the waiters.
    ///
    /// # Panics
    /// If the count is already zero (as Go does).
    pub fn done(&self) {
        let prev = self.inner.count.fetch_sub(1, AcqRel);
        assert!(prev > 0, "WaitGroup::done called more times than add");
        if prev == 1 {
            self.inner.waiters.lock().notify_all();
        }
    }

    /// The current count.
    pub fn count(&self) -> usize {
        self.inner.count.load(Acquire)
    }

    /// Waits until the count is zero.
    pub fn wait(&self) -> Wait<'_> {
        Wait {
            group: self,
            id: None,
        }
    }
}

impl Default for WaitGroup {
    fn default() -> Self {
        WaitGroup::new()
    }
}

impl std::fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitGroup")
            .field("count", &self.count())
            .finish()
    }
}

/// The future returned by [`WaitGroup::wait`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<'a> {
    group: &'a WaitGroup,
    id: Option<u64>,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.group.count() == 0 {
            return Poll::Ready(());
        }
        let mut waiters = this.group.inner.waiters.lock();
        if this.group.count() == 0 {
            return Poll::Ready(());
        }
        match this.id {
            Some(id) if waiters.take_notified(id) => {
                // Woken at zero, but the count went up again since (a new
                // round, which Go allows): wait for that one too.
                this.id = Some(waiters.push(cx.waker()));
            }
            Some(id) => waiters.update(id, cx.waker()),
            None => this.id = Some(waiters.push(cx.waker())),
        }
        Poll::Pending
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            self.group.inner.waiters.lock().remove(id);
        }
    }
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner").finish_non_exhaustive()
    }
}
