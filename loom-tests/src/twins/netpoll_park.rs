//! Broken twin of goro's reactor claim (`runtime/src/io/claim.rs`): the
//! parker consumes its `notified` token *before* it claims the reactor.
//! An unpark that stores the token after that swap and reads `blocker`
//! before the claim neither is seen by the parker nor breaks the reactor:
//! the worker blocks in `epoll_wait` past its unpark.

use loom::sync::atomic::Ordering::SeqCst;
use loom::sync::atomic::{AtomicBool, AtomicUsize};

const NOBODY: usize = 0;

/// What a parker got (as the real `Claimed`).
#[derive(Debug, PartialEq, Eq)]
pub enum Claimed {
    /// Another worker blocks.
    Lost,
    /// A token was pending: do not block.
    Notified,
    /// Block, then release.
    Block,
}

/// The claim with the broken `try_block`.
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

    /// THE BUG: the token is consumed before the claim is published.
    pub fn try_block(&self, me: usize, notified: &AtomicBool) -> Claimed {
        if notified.swap(false, SeqCst) {
            return Claimed::Notified;
        }
        if self
            .blocker
            .compare_exchange(NOBODY, me, SeqCst, SeqCst)
            .is_err()
        {
            return Claimed::Lost;
        }
        Claimed::Block
    }

    /// As in the real claim.
    pub fn release(&self) {
        self.blocker.store(NOBODY, SeqCst);
    }

    /// As in the real claim.
    pub fn must_break(&self, me: usize) -> bool {
        self.blocker.fetch_add(0, SeqCst) == me
    }
}
