//! Broken twin of `goro_netpoll::WakeState` (the waker coalescing protocol
//! in `netpoll/src/waker.rs`): `rearm` clears `pending` with a plain release
//! *store* instead of an acquire-release *swap*. The poller then does not
//! synchronise with a waker whose wake was coalesced into the signal it just
//! drained, may miss that waker's work, and sleeps on an eventfd nobody
//! will write again. The model's invariant check reports the lost wake.

use loom::sync::atomic::AtomicBool;
use loom::sync::atomic::Ordering::{AcqRel, Release};

/// The coalescing flag, with the broken `rearm`.
#[derive(Debug, Default)]
pub struct WakeState {
    pending: AtomicBool,
}

impl WakeState {
    /// No wake pending.
    pub fn new() -> WakeState {
        WakeState {
            pending: AtomicBool::new(false),
        }
    }

    /// As in the real protocol: `true` if the caller must signal.
    pub fn begin_wake(&self) -> bool {
        !self.pending.swap(true, AcqRel)
    }

    /// THE BUG: a store cannot acquire what the coalesced wakers published.
    pub fn rearm(&self) {
        self.pending.store(false, Release);
    }
}
