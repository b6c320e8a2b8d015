//! The runtime's one readiness reactor (epoll backend), and which idle
//! worker blocks in it: Go's `netpoll` with `sched.lastpoll`.
//!
//! # Protocol
//!
//! 1. `blocker` names the one parked worker blocked in `epoll_wait` (its
//!    park's address), or `NOBODY`. A parking worker claims it with a CAS;
//!    a worker that loses parks on its condvar instead (Go: only one M
//!    blocks in netpoll, the others sleep on their notes).
//! 2. The claimant then consumes its `notified` token, and only if there
//!    was none blocks in the reactor, with its timer-duty deadline (if it
//!    holds duty) as the timeout; afterwards it clears `blocker`.
//! 3. `unpark` sets the token first, then reads `blocker`, and breaks the
//!    reactor if it names the target. All four accesses are RMWs, so in
//!    every interleaving either the parker's token swap (rule 2) sees the
//!    token, or `unpark`'s read sees the claim and the break is written
//!    (the break eventfd is sticky until a blocking poll drains it, so a
//!    break that lands before `epoll_wait` starts still ends it). The
//!    atomics are `claim.rs`, modelled in
//!    `loom-tests/tests/io_netpoll_park.rs`.
//! 4. A worker that runs dry polls without blocking before it steals, but
//!    only if some task waits on readiness and nobody is blocked in the
//!    reactor already (Go: `netpollAnyWaiters() && lastpoll != 0`); a busy
//!    worker does the same every 61 ticks.

use std::io;
use std::time::Duration;

use goro_netpoll::Reactor;

use super::claim::{Claim, Claimed};
use crate::sync::atomic::AtomicBool;

/// The reactor plus the one-blocker claim.
pub(crate) struct Netpoll {
    reactor: Reactor,
    claim: Claim,
}

impl Netpoll {
    pub(crate) fn new() -> io::Result<Netpoll> {
        Ok(Netpoll {
            reactor: Reactor::new()?,
            claim: Claim::new(),
        })
    }

    pub(crate) fn reactor(&self) -> &Reactor {
        &self.reactor
    }

    /// Rule 4: a non-blocking poll, when it can find anything; returns the
    /// number of descriptor events delivered.
    pub(crate) fn poll_now(&self) -> usize {
        if !self.reactor.has_waiters() || !self.claim.is_free() {
            return 0;
        }
        match self.reactor.poll(Some(Duration::ZERO)) {
            Ok(n) => n,
            Err(e) => {
                log::error!("goro: reactor poll failed: {e}");
                0
            }
        }
    }

    /// Rules 1 and 2. Returns false if another worker holds the reactor
    /// (the caller parks elsewhere).
    pub(crate) fn park(&self, me: usize, notified: &AtomicBool, timeout: Option<Duration>) -> bool {
        match self.claim.try_block(me, notified) {
            Claimed::Lost => false,
            Claimed::Notified => true,
            Claimed::Block => {
                if let Err(e) = self.reactor.poll(timeout) {
                    log::error!("goro: reactor poll failed: {e}");
                }
                self.claim.release();
                true
            }
        }
    }

    /// Rule 3 (the caller stored its token first).
    pub(crate) fn unpark(&self, me: usize) {
        if self.claim.must_break(me) {
            self.reactor.wake();
        }
    }
}
