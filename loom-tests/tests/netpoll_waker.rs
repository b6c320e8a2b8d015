//! Loom model of the netpoll waker's coalescing protocol
//! (`goro_netpoll::WakeState`, protocol in `netpoll/src/waker.rs`), and its
//! broken twin.
//!
//! The eventfd is modelled by a mutex-protected counter and a condvar: a
//! write adds one and notifies; the poller blocks until the counter is
//! non-zero, then drains it (the kernel's eventfd read). Work published by a
//! waker is a relaxed counter, so only the protocol's own orderings make it
//! visible to the poller.
#![cfg(goro_loom)]

use goro_loom_tests::harness::expect_model_failure;
use goro_loom_tests::twins;
use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::Relaxed;
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

/// The two sides of the protocol, so one scenario drives the real state and
/// the twin alike.
trait Coalesce: Send + Sync + 'static {
    fn begin_wake(&self) -> bool;
    fn rearm(&self);
}

impl Coalesce for goro_netpoll::WakeState {
    fn begin_wake(&self) -> bool {
        goro_netpoll::WakeState::begin_wake(self)
    }
    fn rearm(&self) {
        goro_netpoll::WakeState::rearm(self)
    }
}

impl Coalesce for twins::netpoll_waker::WakeState {
    fn begin_wake(&self) -> bool {
        twins::netpoll_waker::WakeState::begin_wake(self)
    }
    fn rearm(&self) {
        twins::netpoll_waker::WakeState::rearm(self)
    }
}

#[derive(Default)]
struct EventFd {
    count: Mutex<u64>,
    ready: Condvar,
    writes: AtomicUsize,
}

impl EventFd {
    fn write(&self) {
        self.writes.fetch_add(1, Relaxed);
        *self.count.lock().unwrap() += 1;
        self.ready.notify_one();
    }

    /// Blocks until written, then drains (a blocking eventfd read).
    fn read(&self) {
        let mut count = self.count.lock().unwrap();
        while *count == 0 {
            count = self.ready.wait(count).unwrap();
        }
        *count = 0;
    }
}

struct Shared<S> {
    state: S,
    eventfd: EventFd,
    work: AtomicUsize,
}

/// Two wakers each publish one unit of work and wake; the poller sleeps,
/// drains, re-arms and looks at the work until it has seen both units. A
/// lost wake leaves the poller asleep forever, which loom reports.
fn wake_race<S: Coalesce>(state: S) {
    let shared = Arc::new(Shared {
        state,
        eventfd: EventFd::default(),
        work: AtomicUsize::new(0),
    });
    let wakers: Vec<_> = (0..2)
        .map(|_| {
            let shared = shared.clone();
            thread::spawn(move || {
                shared.work.fetch_add(1, Relaxed);
                if shared.state.begin_wake() {
                    shared.eventfd.write();
                }
            })
        })
        .collect();
    let mut seen = 0;
    while seen < 2 {
        shared.eventfd.read(); // the poll that a wake ends
        shared.state.rearm(); // protocol step 2, before looking at work
        seen = shared.work.load(Relaxed);
    }
    for w in wakers {
        w.join().unwrap();
    }
}

/// One poll cycle, then the protocol's invariant: when the poller goes
/// back to sleep, either it has seen every unit of work or a signal is
/// pending that will wake it again. (Checked after the fact rather than by
/// sleeping again, so a violation is an assertion, not a blocked thread.)
fn one_cycle<S: Coalesce>(state: S) {
    let shared = Arc::new(Shared {
        state,
        eventfd: EventFd::default(),
        work: AtomicUsize::new(0),
    });
    let wakers: Vec<_> = (0..2)
        .map(|_| {
            let shared = shared.clone();
            thread::spawn(move || {
                shared.work.fetch_add(1, Relaxed);
                if shared.state.begin_wake() {
                    shared.eventfd.write();
                }
            })
        })
        .collect();
    shared.eventfd.read();
    shared.state.rearm();
    let seen = shared.work.load(Relaxed);
    for w in wakers {
        w.join().unwrap();
    }
    let signalled = *shared.eventfd.count.lock().unwrap() > 0;
    assert!(
        seen == 2 || signalled,
        "lost wake: saw {seen} of 2 and no signal pending"
    );
}

#[test]
fn no_wake_is_lost_in_one_cycle() {
    loom::model(|| one_cycle(goro_netpoll::WakeState::new()));
}

#[test]
fn no_wake_is_lost() {
    loom::model(|| wake_race(goro_netpoll::WakeState::new()));
}

/// Wakes that find a signal pending cost no write: two wakes before the
/// poller runs make exactly one eventfd write.
#[test]
fn wakes_coalesce() {
    loom::model(|| {
        let shared = Arc::new(Shared {
            state: goro_netpoll::WakeState::new(),
            eventfd: EventFd::default(),
            work: AtomicUsize::new(0),
        });
        let wakers: Vec<_> = (0..2)
            .map(|_| {
                let shared = shared.clone();
                thread::spawn(move || {
                    if shared.state.begin_wake() {
                        shared.eventfd.write();
                    }
                })
            })
            .collect();
        for w in wakers {
            w.join().unwrap();
        }
        assert_eq!(shared.eventfd.writes.load(Relaxed), 1);
        shared.eventfd.read();
        shared.state.rearm();
        // After the re-arm the next wake writes again.
        assert!(shared.state.begin_wake());
    });
}

/// The same race against the twin whose `rearm` is a plain store: loom must
/// find the interleaving where the poller misses the coalesced waker's work
/// with no signal left to wake it.
#[test]
fn broken_twin_is_caught() {
    let failure = expect_model_failure(|| one_cycle(twins::netpoll_waker::WakeState::new()));
    assert!(
        failure.contains("lost wake"),
        "loom failed for another reason: {failure}"
    );
}
