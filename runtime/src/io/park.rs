//! A worker's park that blocks in its ring: Go's `netpoll(delay)` in
//! `findRunnable`, with `unpark` as `netpollBreak`.
//!
//! # Protocol
//!
//! 1. A worker thread that owns a ring publishes the ring's netpoll `Waker`
//!    here when it starts running the P (`set_waker`).
//! 2. `unpark` always does both: the condvar token (for a thread without a
//!    ring) and a wake of the published ring. Both are sticky: an
//!    `unpark` that comes before `park` makes the next `park` return.
//! 3. `park` on a thread with a ring consumes a pending token first, then
//!    blocks in `Ring::turn(timeout)` — which returns on a completion, a
//!    remote request, the timeout, or the wake of rule 2 (the netpoll
//!    waker's protocol never loses a wake that lands before or during the
//!    wait) — and then clears the token it may have been woken by. Spurious
//!    returns are allowed by the `Park` contract.

use std::time::Duration;

use super::driver;
use crate::sched::park::{CondvarPark, Park};
use crate::sync::Mutex;
use crate::sync::atomic::AtomicBool;
use crate::sync::atomic::Ordering::SeqCst;

/// The P's parker: its ring when the thread has one, a condvar otherwise.
#[derive(Default)]
pub(crate) struct IoPark {
    condvar: CondvarPark,
    notified: AtomicBool,
    waker: Mutex<Option<goro_netpoll::Waker>>,
}

impl IoPark {
    pub(crate) fn new() -> IoPark {
        IoPark::default()
    }

    /// Rule 1.
    pub(crate) fn set_waker(&self, waker: Option<goro_netpoll::Waker>) {
        *self.waker.lock() = waker;
    }
}

impl Park for IoPark {
    fn park(&self, timeout: Option<Duration>) {
        if !driver::has_local_ring() {
            self.condvar.park(timeout);
            return;
        }
        if self.notified.swap(false, SeqCst) {
            return;
        }
        driver::turn_local(timeout);
        self.notified.store(false, SeqCst);
    }

    fn unpark(&self) {
        self.notified.store(true, SeqCst);
        self.condvar.unpark();
        if let Some(w) = self.waker.lock().as_ref() {
            // Fails only if the ring is gone, and then nobody waits on it.
            let _ = w.wake();
        }
    }
}
