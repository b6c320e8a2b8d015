//! Loom model of goro's reactor claim (`runtime/src/io/claim.rs`, the
//! atomics of `runtime/src/io/netpoll.rs` rules 1–3): a worker parking in
//! the reactor races an unpark aimed at it. The break eventfd is a sticky
//! flag; the invariant: a worker that decides to block in `epoll_wait`
//! always finds a break pending, or the unpark came later and found it
//! blocking (then it broke the reactor). Also run against the twin that
//! consumes the token before claiming.
#![cfg(goro_loom)]

use goro::__loom::{NetpollClaim, NetpollClaimed};
use goro_loom_tests::harness::expect_model_failure;
use goro_loom_tests::twins::netpoll_park as twin;
use loom::sync::Arc;
use loom::sync::atomic::AtomicBool;
use loom::sync::atomic::Ordering::SeqCst;
use loom::thread;

/// What a parker decided.
#[derive(PartialEq, Eq)]
enum Decision {
    Lost,
    Notified,
    Block,
}

trait Claims: Send + Sync + 'static {
    fn try_block(&self, me: usize, notified: &AtomicBool) -> Decision;
    fn release(&self);
    fn must_break(&self, me: usize) -> bool;
}

impl Claims for NetpollClaim {
    fn try_block(&self, me: usize, notified: &AtomicBool) -> Decision {
        match NetpollClaim::try_block(self, me, notified) {
            NetpollClaimed::Lost => Decision::Lost,
            NetpollClaimed::Notified => Decision::Notified,
            NetpollClaimed::Block => Decision::Block,
        }
    }
    fn release(&self) {
        NetpollClaim::release(self)
    }
    fn must_break(&self, me: usize) -> bool {
        NetpollClaim::must_break(self, me)
    }
}

impl Claims for twin::Claim {
    fn try_block(&self, me: usize, notified: &AtomicBool) -> Decision {
        match twin::Claim::try_block(self, me, notified) {
            twin::Claimed::Lost => Decision::Lost,
            twin::Claimed::Notified => Decision::Notified,
            twin::Claimed::Block => Decision::Block,
        }
    }
    fn release(&self) {
        twin::Claim::release(self)
    }
    fn must_break(&self, me: usize) -> bool {
        twin::Claim::must_break(self, me)
    }
}

struct Shared<C> {
    claim: C,
    notified: AtomicBool,
    /// The break eventfd: sticky until a blocking poll drains it.
    broken: AtomicBool,
}

const ME: usize = 1;

fn park_vs_unpark<C: Claims>(claim: C) {
    let shared = Arc::new(Shared {
        claim,
        notified: AtomicBool::new(false),
        broken: AtomicBool::new(false),
    });
    let unparker = {
        let shared = shared.clone();
        thread::spawn(move || {
            shared.notified.swap(true, SeqCst); // IoPark::unpark
            if shared.claim.must_break(ME) {
                shared.broken.store(true, SeqCst);
            }
        })
    };
    let decision = shared.claim.try_block(ME, &shared.notified);
    if decision == Decision::Block {
        // The epoll_wait: it returns only if broken. Record, then leave.
        let broken_now = shared.broken.load(SeqCst);
        unparker.join().unwrap();
        let broken_later = shared.broken.load(SeqCst);
        // A break written after we started waiting also ends the wait; what
        // must not happen is an unpark that neither left a token we saw nor
        // broke the reactor.
        assert!(
            broken_now || broken_later,
            "worker blocked in epoll past its unpark"
        );
        shared.claim.release();
    } else {
        unparker.join().unwrap();
        assert!(decision == Decision::Notified || shared.notified.load(SeqCst));
    }
}

#[test]
fn unpark_is_never_slept_through() {
    loom::model(|| park_vs_unpark(NetpollClaim::new()));
}

#[test]
fn broken_twin_is_caught() {
    let failure = expect_model_failure(|| park_vs_unpark(twin::Claim::new()));
    assert!(
        failure.contains("blocked in epoll past its unpark"),
        "loom failed for another reason: {failure}"
    );
}
