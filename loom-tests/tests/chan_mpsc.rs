//! Loom models of `goro::chan::mpsc` and its broken twin.
#![cfg(goro_loom)]

use goro::chan::mpsc;
use goro_loom_tests::harness::expect_model_failure;
use goro_loom_tests::twins;
use loom::future::block_on;
use loom::thread;

/// A bounded channel of capacity 1: the sender must wait for the receiver
/// between its two sends; both values arrive, in order, and the channel
/// then reports closed.
#[test]
fn bounded_send_waits_for_room() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        let sender = thread::spawn(move || {
            block_on(async move {
                tx.send(1).await.unwrap();
                tx.send(2).await.unwrap();
            })
        });
        let got = block_on(async {
            let a = rx.recv().await;
            let b = rx.recv().await;
            let c = rx.recv().await;
            (a, b, c)
        });
        assert_eq!(got, (Some(1), Some(2), None));
        sender.join().unwrap();
    });
}

/// Unbounded: two producers, one consumer; all values arrive.
#[test]
fn unbounded_two_producers() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
        let tx2 = tx.clone();
        let a = thread::spawn(move || tx.send(1).unwrap());
        let b = thread::spawn(move || tx2.send(2).unwrap());
        let mut got = block_on(async {
            let mut v = Vec::new();
            while let Some(x) = rx.recv().await {
                v.push(x);
            }
            v
        });
        a.join().unwrap();
        b.join().unwrap();
        got.sort();
        assert_eq!(got, [1, 2]);
    });
}

/// The twin's receiver checks and registers in two critical sections: a
/// send in between is never noticed (the receiver stays pending, unwoken).
#[test]
fn broken_twin_is_caught() {
    let failure = expect_model_failure(|| {
        let (tx, mut rx) = twins::mpsc::channel::<u32>();
        let sender = thread::spawn(move || tx.send(5));
        let mut recv = std::pin::pin!(rx.recv());
        let (ready, wakes) = poll_once_counting(recv.as_mut());
        sender.join().unwrap();
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
