//! Loom model of the reactor's readiness protocol
//! (`goro_netpoll::Registration`, rules 2 and 3 in
//! `netpoll/src/reactor/scheduled.rs`): a task whose system call saw
//! `EAGAIN` clears the side with its snapshot and waits, while the kernel
//! makes the socket readable and the reactor delivers the edge. The
//! invariant: the task either reads the data or is woken. Also run against
//! the twin whose clear ignores the tick.
#![cfg(goro_loom)]

use std::task::{Context, Poll, Wake, Waker};

use goro_loom_tests::harness::expect_model_failure;
use goro_loom_tests::twins;
use goro_netpoll::Direction;
use loom::sync::atomic::Ordering::{Acquire, Release, SeqCst};
use loom::sync::atomic::{AtomicBool, AtomicUsize};
use loom::thread;

/// The task side and the reactor side of one registration.
trait Side: Send + Sync + 'static {
    type Event: Copy;
    fn snapshot(&self) -> Self::Event;
    fn clear(&self, ev: Self::Event);
    fn poll_ready(&self, cx: &mut Context<'_>) -> bool;
    fn deliver(&self) -> Vec<Waker>;
}

impl Side for goro_netpoll::Registration {
    type Event = goro_netpoll::ReadyEvent;
    fn snapshot(&self) -> Self::Event {
        self.ready_event(Direction::Read)
    }
    fn clear(&self, ev: Self::Event) {
        self.clear_readiness(ev)
    }
    fn poll_ready(&self, cx: &mut Context<'_>) -> bool {
        matches!(
            goro_netpoll::Registration::poll_ready(self, Direction::Read, cx),
            Poll::Ready(_)
        )
    }
    fn deliver(&self) -> Vec<Waker> {
        self.deliver_readable()
    }
}

impl Side for twins::netpoll_readiness::Registration {
    type Event = twins::netpoll_readiness::ReadyEvent;
    fn snapshot(&self) -> Self::Event {
        self.ready_event()
    }
    fn clear(&self, ev: Self::Event) {
        self.clear_readiness(ev)
    }
    fn poll_ready(&self, cx: &mut Context<'_>) -> bool {
        twins::netpoll_readiness::Registration::poll_ready(self, cx).is_ready()
    }
    fn deliver(&self) -> Vec<Waker> {
        self.deliver_readable()
    }
}

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, SeqCst);
    }
}

struct Shared<S> {
    reg: S,
    /// Bytes in the socket (the kernel's state).
    data: AtomicUsize,
}

/// One read attempt by the task while the peer's byte arrives.
fn read_race<S: Side>(reg: S) {
    let shared = std::sync::Arc::new(Shared {
        reg,
        data: AtomicUsize::new(0),
    });
    let kernel = {
        let shared = shared.clone();
        thread::spawn(move || {
            shared.data.store(1, Release); // the byte arrives
            for w in shared.reg.deliver() {
                w.wake(); // the reactor's edge
            }
        })
    };
    let flag = std::sync::Arc::new(Flag(AtomicBool::new(false)));
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    let mut got = false;
    // At most two tries: the first sees EAGAIN or the byte; a second runs
    // only if readiness says an edge came in between.
    for _ in 0..2 {
        let ev = shared.reg.snapshot();
        if shared.data.load(Acquire) == 1 {
            got = true;
            break;
        }
        shared.reg.clear(ev); // EAGAIN
        if !shared.reg.poll_ready(&mut cx) {
            break; // waiting: the waker must fire
        }
    }
    kernel.join().unwrap();
    assert!(
        got || flag.0.load(SeqCst),
        "lost wake-up: the task waits for an edge that already came"
    );
}

#[test]
fn no_edge_is_lost() {
    loom::model(|| read_race(goro_netpoll::Registration::unregistered()));
}

#[test]
fn broken_twin_is_caught() {
    let failure = expect_model_failure(|| read_race(twins::netpoll_readiness::Registration::new()));
    assert!(
        failure.contains("lost wake-up"),
        "loom failed for another reason: {failure}"
    );
}
