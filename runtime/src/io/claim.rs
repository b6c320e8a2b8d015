//! Which idle worker blocks in the reactor: the atomic half of
//! `netpoll.rs`'s protocol (rules 1–3), kept apart from the system calls
//! so that the loom model `loom-tests/tests/io_netpoll_park.rs` runs it.
//!
//! `blocker` names the parked worker that blocks in the reactor, or
//! `NOBODY`. A parker claims it (a CAS), *then* consumes its `notified`
//! token (a swap); an unparker sets the token (a swap), *then* reads
//! `blocker` (an RMW, `fetch_add(0)`) and breaks the reactor if it names
//! the target. Every access is a read-modify-write, so each reads the
//! latest value of its location: if the parker's swap found no token, it
//! came before the unparker's swap in the token's order, which then
//! acquires the parker's claim, and the unparker's read sees it (a Dekker
//! pair built from RMWs, which needs no store-load fence and which loom
//! models exactly; plain SeqCst loads and stores would be correct too, but
//! loom treats them as acquire/release and reports a false race). A worker
//! never blocks in `epoll_wait` past an unpark.

use crate::sync::atomic::Ordering::SeqCst;
use crate::sync::atomic::{AtomicBool, AtomicUsize};

const NOBODY: usize = 0;

/// What a parker got from [`Claim::try_block`].
#[derive(Debug, PartialEq, Eq)]
pub enum Claimed {
    /// Another worker blocks in the reactor: park elsewhere.
    Lost,
    /// Claimed, but a token was pending: do not block (release at once).
    Notified,
    /// Claimed: block in the reactor, then [`Claim::release`].
    Block,
}

/// The one-blocker claim.
#[derive(Debug)]
pub struct Claim {
    blocker: AtomicUsize,
}

impl Default for Claim {
    fn default() -> Self {
        Claim::new()
    }
}

impl Claim {
    /// Nobody blocks.
    pub fn new() -> Claim {
        Claim {
            blocker: AtomicUsize::new(NOBODY),
        }
    }

    /// The parker `me` (never 0) claims the reactor, then consumes its
    /// token.
    pub fn try_block(&self, me: usize, notified: &AtomicBool) -> Claimed {
        if self
            .blocker
            .compare_exchange(NOBODY, me, SeqCst, SeqCst)
            .is_err()
        {
            return Claimed::Lost;
        }
        if notified.swap(false, SeqCst) {
            self.release();
            return Claimed::Notified;
        }
        Claimed::Block
    }

    /// The blocker left the reactor.
    pub fn release(&self) {
        self.blocker.store(NOBODY, SeqCst);
    }

    /// For an unparker that set `me`'s token with a swap: must it break
    /// the reactor? (An RMW read; see the module header.)
    pub fn must_break(&self, me: usize) -> bool {
        self.blocker.fetch_add(0, SeqCst) == me
    }

    /// True if nobody blocks in the reactor (a non-blocking poll may be
    /// worth it).
    pub fn is_free(&self) -> bool {
        self.blocker.load(SeqCst) == NOBODY
    }
}
