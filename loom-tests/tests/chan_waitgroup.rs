//! Loom models of `goro::chan::WaitGroup` and its broken twin.
#![cfg(goro_loom)]

use goro::chan::WaitGroup;
use goro_loom_tests::harness::expect_model_failure;
use goro_loom_tests::twins;
use loom::future::block_on;
use loom::thread;

/// Two workers call `done` while the waiter waits: it completes, and only
/// once the count is zero.
#[test]
fn wait_for_two_done() {
    loom::model(|| {
        let wg = WaitGroup::new();
        wg.add(2);
        let ts: Vec<_> = (0..2)
            .map(|_| {
                let wg = wg.clone();
                thread::spawn(move || wg.done())
            })
            .collect();
        block_on(wg.wait());
        assert_eq!(wg.count(), 0);
        for t in ts {
            t.join().unwrap();
        }
    });
}

/// The twin registers without re-checking the count under the lock: a
/// `done` in between leaves the waiter pending and unwoken.
#[test]
fn broken_twin_is_caught() {
    let failure = expect_model_failure(|| {
        let wg = twins::waitgroup::WaitGroup::new(1);
        let wg2 = wg.clone();
        let t = thread::spawn(move || wg2.done());
        let mut fut = std::pin::pin!(wg.wait());
        let (ready, wakes) = poll_once_counting(fut.as_mut());
        t.join().unwrap();
        assert!(ready || wakes.get() > 0, "wake lost");
    });
    assert!(
        failure.contains("wake lost"),
        "loom failed for another reason: {failure}"
    );
}

/// Polls `fut` once with a waker that counts wakes; returns (ready, wakes).
/// The twins' lost wake-ups are checked this way rather than by blocking,
/// which would end in a deadlock that aborts the test process.
fn poll_once_counting<F: std::future::Future>(
    fut: std::pin::Pin<&mut F>,
) -> (bool, std::sync::Arc<CountWake>) {
    let count = std::sync::Arc::new(CountWake(loom::sync::atomic::AtomicUsize::new(0)));
    let waker = std::task::Waker::from(count.clone());
    let ready = fut
        .poll(&mut std::task::Context::from_waker(&waker))
        .is_ready();
    (ready, count)
}

struct CountWake(loom::sync::atomic::AtomicUsize);

impl CountWake {
    fn get(&self) -> usize {
        self.0.load(loom::sync::atomic::Ordering::SeqCst)
    }
}

impl std::task::Wake for CountWake {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, loom::sync::atomic::Ordering::SeqCst);
    }
}
