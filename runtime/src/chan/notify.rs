//! `Notify`: wake one task (with a stored permit if none waits) or all
//! waiting tasks.
//!
//! Protocol: one mutex guards the permit, the generation and the waiter
//! list. A `Notified` future records the generation when created; a
//! `notify_waiters` bumps it, so futures created before the call complete
//! even if they had not been polled yet. `notify_one` hands the wake to the
//! oldest waiter, or stores one permit when nobody waits; a waiter checks
//! the permit and registers in one critical section, so the wake cannot
//! slip between its check and its registration (the broken twin in
//! `loom-tests` checks outside the lock and loses it).
//!
//! ```
//! use std::sync::Arc;
//! let rt = goro::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let notify = Arc::new(goro::chan::Notify::new());
//!     let n = notify.clone();
//!     let waiter = goro::spawn(async move { n.notified().await });
//!     notify.notify_one();
//!     waiter.await.unwrap();
//! });
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::waiters::Waiters;
use crate::sync::Mutex;

/// Wakes tasks waiting in [`notified`](Notify::notified).
pub struct Notify {
    inner: Mutex<Inner>,
}

struct Inner {
    permit: bool,
    /// Bumped by `notify_waiters`; wraps (only equality is compared, and a
    /// future would have to wait through 2^32 broadcasts to be confused).
    generation: u32,
    waiters: Waiters,
}

impl Notify {
    /// A `Notify` with no permit and no waiters.
    pub fn new() -> Notify {
        Notify {
            inner: Mutex::new(Inner {
                permit: false,
                generation: 0,
                waiters: Waiters::default(),
            }),
        }
    }

    /// Wakes the oldest waiter, or stores a permit for the next one.
    pub fn notify_one(&self) {
        let mut inner = self.inner.lock();
        if !inner.waiters.notify_one() {
            inner.permit = true;
        }
    }

    /// Wakes every task waiting now, and every `Notified` created before
    /// this call. Stores no permit.
    pub fn notify_waiters(&self) {
        let mut inner = self.inner.lock();
        inner.generation = inner.generation.wrapping_add(1);
        inner.waiters.notify_all();
    }

    /// A future that completes on a notification.
    pub fn notified(&self) -> Notified<'_> {
        let generation = self.inner.lock().generation;
        Notified {
            notify: self,
            generation,
            id: NO_ID,
            done: false,
        }
    }
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

impl std::fmt::Debug for Notify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notify").finish_non_exhaustive()
    }
}

/// The future returned by [`Notify::notified`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Notified<'a> {
    notify: &'a Notify,
    /// Waiter id, `NO_ID` if not registered (ids are never 0: generations
    /// start at 1). A plain `u64` (not an `Option`) and a 32-bit broadcast
    /// generation keep the future at 24 bytes: it lives inside every task
    /// that waits on a `Notify`.
    id: u64,
    generation: u32,
    done: bool,
}

const NO_ID: u64 = 0;

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(());
        }
        if !crate::coop::poll_proceed(cx) {
            return Poll::Pending;
        }
        let mut inner = this.notify.inner.lock();
        let ready = (this.id != NO_ID && inner.waiters.take_notified(this.id))
            || inner.generation != this.generation;
        if ready {
            let id = std::mem::replace(&mut this.id, NO_ID);
            if id != NO_ID {
                inner.waiters.remove(id);
            }
            this.done = true;
            return Poll::Ready(());
        }
        if this.id != NO_ID {
            inner.waiters.update(this.id, cx.waker());
        } else if inner.permit {
            inner.permit = false;
            this.done = true;
            return Poll::Ready(());
        } else {
            this.id = inner.waiters.push(cx.waker());
        }
        Poll::Pending
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let id = std::mem::replace(&mut self.id, NO_ID);
        if id != NO_ID {
            let mut inner = self.notify.inner.lock();
            if inner.waiters.remove(id) && !inner.waiters.notify_one() {
                // We were picked by `notify_one` but never consumed it.
                inner.permit = true;
            }
        }
    }
}
