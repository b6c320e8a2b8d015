//! Loom models of `goro::chan::Notify` and its broken twin.
#![cfg(goro_loom)]

use goro::chan::Notify;
use goro_loom_tests::harness::expect_model_failure;
use goro_loom_tests::twins;
use loom::future::block_on;
use loom::sync::Arc;
use loom::thread;

/// `notify_one` from another thread races the first poll of `notified`:
/// the waiter completes whether it found a permit or was woken.
#[test]
fn notify_one_races_wait() {
    loom::model(|| {
        let n = Arc::new(Notify::new());
        let n2 = n.clone();
        let t = thread::spawn(move || n2.notify_one());
        block_on(n.notified());
        t.join().unwrap();
    });
}

/// `notify_waiters` wakes a `Notified` created before it, polled or not.
#[test]
fn notify_waiters_reaches_created_future() {
    loom::model(|| {
        let n = Arc::new(Notify::new());
        let fut = n.notified();
        let n2 = n.clone();
        let t = thread::spawn(move || n2.notify_waiters());
        block_on(fut);
        t.join().unwrap();
    });
}

/// The twin checks the permit and registers in two critical sections: a
/// `notify_one` in between leaves the waiter pending and unwoken.
#[test]
fn broken_twin_is_caught() {
    let failure = expect_model_failure(|| {
        let n = Arc::new(twins::notify::Notify::default());
        let n2 = n.clone();
        let t = thread::spawn(move || n2.notify_one());
        let mut fut = std::pin::pin!(n.notified());
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
