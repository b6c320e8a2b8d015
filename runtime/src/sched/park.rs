//! How an idle thread sleeps: the `Park` seam.
//!
//! Today's implementation is a condvar with a three-state token (Go's
//! `note`, std's `thread::park`): an `unpark` that comes first makes the
//! next `park` return at once, so no wake-up is lost between a worker's
//! last queue check and its sleep. The netpoller issue plugs in a second
//! implementation with the same two methods: an idle worker then blocks in
//! `epoll_wait`/io_uring with the next timer as its timeout, and `unpark`
//! writes to an eventfd (Go's `netpollBreak`).

use std::time::{Duration, Instant};

use crate::sync::atomic::AtomicUsize;
use crate::sync::atomic::Ordering::{Relaxed, SeqCst};
use crate::sync::{Condvar, Mutex};

/// Something an idle thread can block on until unparked or timed out.
pub trait Park: Send + Sync {
    /// Blocks until `unpark` (or a prior, unconsumed `unpark`) or until
    /// `timeout` elapses. May return spuriously.
    fn park(&self, timeout: Option<Duration>);
    /// Wakes the parked thread, or makes its next `park` return at once.
    fn unpark(&self);
}

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;

/// The condvar parker.
#[derive(Debug, Default)]
pub struct CondvarPark {
    state: AtomicUsize,
    lock: Mutex<()>,
    cvar: Condvar,
}

impl CondvarPark {
    /// A parker with no pending token.
    pub fn new() -> CondvarPark {
        CondvarPark {
            state: AtomicUsize::new(EMPTY),
            lock: Mutex::new(()),
            cvar: Condvar::new(),
        }
    }

    /// Whether an `unpark` waits to be consumed by the next `park`.
    pub(crate) fn has_token(&self) -> bool {
        self.state.load(Relaxed) == NOTIFIED
    }
}

impl Park for CondvarPark {
    fn park(&self, timeout: Option<Duration>) {
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        if timeout == Some(Duration::ZERO) {
            return;
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut guard = self.lock.lock();
        if let Err(actual) = self.state.compare_exchange(EMPTY, PARKED, SeqCst, SeqCst) {
            debug_assert_eq!(actual, NOTIFIED);
            self.state.swap(EMPTY, SeqCst);
            return;
        }
        loop {
            guard = match deadline {
                None => self.cvar.wait(guard),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        // Timed out: leave, consuming a token that may have
                        // raced in.
                        self.state.swap(EMPTY, SeqCst);
                        return;
                    }
                    self.cvar.wait_timeout(guard, d - now)
                }
            };
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                .is_ok()
            {
                return;
            }
        }
    }

    fn unpark(&self) {
        match self.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            _ => {
                // Taking the lock orders us after the parker's switch to
                // PARKED and before its wait, so the notify is not missed.
                drop(self.lock.lock());
                self.cvar.notify_one();
            }
        }
    }
}
