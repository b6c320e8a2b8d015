//! Broken twin of `goro_netpoll::Registration`'s readiness protocol
//! (`netpoll/src/reactor/scheduled.rs`, rules 2 and 3): `clear_readiness`
//! clears the side *without* comparing the tick. An edge the reactor
//! delivered between the task's snapshot and its clear is then wiped out;
//! the task stores its waker and waits for an edge that already came. The
//! model's invariant reports the lost wake-up.

use std::task::{Context, Poll, Waker};

use loom::sync::Mutex;
use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::{AcqRel, Acquire};

const READABLE: usize = 1;
const TICK_SHIFT: u32 = 16;

/// The readiness word and the read side's wakers.
#[derive(Debug)]
pub struct Registration {
    readiness: AtomicUsize,
    readers: Mutex<Vec<Waker>>,
}

impl Default for Registration {
    fn default() -> Self {
        Registration::new()
    }
}

/// A snapshot: the tick and whether the side was ready.
#[derive(Clone, Copy, Debug)]
pub struct ReadyEvent {
    /// The tick (unused by the broken clear: that is the bug).
    pub tick: usize,
    /// Whether the read side was ready.
    pub ready: bool,
}

impl Registration {
    /// Starts readable, as the real one does.
    pub fn new() -> Registration {
        Registration {
            readiness: AtomicUsize::new(READABLE),
            readers: Mutex::new(Vec::new()),
        }
    }

    /// As in the real protocol.
    pub fn ready_event(&self) -> ReadyEvent {
        let w = self.readiness.load(Acquire);
        ReadyEvent {
            tick: w >> TICK_SHIFT,
            ready: w & READABLE != 0,
        }
    }

    /// THE BUG: clears whatever arrived since the snapshot.
    pub fn clear_readiness(&self, _ev: ReadyEvent) {
        self.readiness.fetch_and(!READABLE, AcqRel);
    }

    /// As in the real protocol (check, store under the lock, re-check).
    pub fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<ReadyEvent> {
        let ev = self.ready_event();
        if ev.ready {
            return Poll::Ready(ev);
        }
        let mut readers = self.readers.lock().unwrap();
        let ev = self.ready_event();
        if ev.ready {
            return Poll::Ready(ev);
        }
        readers.push(cx.waker().clone());
        Poll::Pending
    }

    /// As in the real protocol: bits and tick first, then the wakers.
    pub fn deliver_readable(&self) -> Vec<Waker> {
        let mut cur = self.readiness.load(Acquire);
        loop {
            let new = (cur | READABLE) + (1 << TICK_SHIFT);
            match self.readiness.compare_exchange(cur, new, AcqRel, Acquire) {
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        std::mem::take(&mut *self.readers.lock().unwrap())
    }
}
