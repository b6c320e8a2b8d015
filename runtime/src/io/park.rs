//! A worker's park: Go's `netpoll(delay)` in `findRunnable`, with `unpark`
//! as `netpollBreak`.
//!
//! # Protocol
//!
//! 1. A worker thread publishes where it can park besides its condvar when
//!    it starts running the P (`set_waker`): its own ring (io_uring) or
//!    the runtime's reactor (epoll).
//! 2. `unpark` stores the `notified` token, unparks the condvar, and wakes
//!    the published ring, or breaks the reactor if this worker is the one
//!    blocked in it (`netpoll.rs` rule 3). All are sticky: an `unpark`
//!    that comes before `park` makes the next `park` return.
//! 3. `park` consumes a pending token first. With a ring it then blocks in
//!    `Ring::turn(timeout)`, which returns on a completion, a remote
//!    request, the timeout, or the wake of rule 2 (the netpoll waker's
//!    protocol never loses a wake that lands before or during the wait).
//!    With the reactor it blocks there if no other worker does
//!    (`netpoll.rs` rules 1–2), else on its condvar: only one idle worker
//!    sits in `epoll_wait`, the others sleep (Go's single netpoller). It
//!    then clears the token it may have been woken by. Spurious returns
//!    are allowed by the `Park` contract.

use std::time::Duration;

use super::driver::{self, ParkIo};
use crate::sched::park::{CondvarPark, Park};
use crate::sync::Mutex;
use crate::sync::atomic::AtomicBool;
use crate::sync::atomic::Ordering::SeqCst;

/// The P's parker: its ring, the reactor, or a condvar.
#[derive(Default)]
pub(crate) struct IoPark {
    condvar: CondvarPark,
    notified: AtomicBool,
    io: Mutex<Option<ParkIo>>,
}

impl IoPark {
    pub(crate) fn new() -> IoPark {
        IoPark::default()
    }

    /// Rule 1.
    pub(crate) fn set_waker(&self, io: Option<ParkIo>) {
        *self.io.lock() = io;
    }

    /// This park's name in the reactor's `blocker` claim (never 0).
    fn id(&self) -> usize {
        self as *const IoPark as usize
    }
}

impl Park for IoPark {
    fn park(&self, timeout: Option<Duration>) {
        let reactor = match &*self.io.lock() {
            Some(ParkIo::Reactor(np)) => Some(np.clone()),
            _ => None,
        };
        if let Some(np) = reactor {
            if self.notified.swap(false, SeqCst) {
                return;
            }
            if !np.park(self.id(), &self.notified, timeout) {
                self.condvar.park(timeout);
            }
            self.notified.store(false, SeqCst);
            return;
        }
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
        // A swap, not a store: `claim.rs` needs an RMW here.
        self.notified.swap(true, SeqCst);
        self.condvar.unpark();
        match self.io.lock().as_ref() {
            Some(ParkIo::Ring(w)) => {
                // Fails only if the ring is gone, and then nobody waits on it.
                let _ = w.wake();
            }
            Some(ParkIo::Reactor(np)) => np.unpark(self.id()),
            None => {}
        }
    }
}
