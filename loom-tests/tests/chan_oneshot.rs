//! Loom model of `goro::chan::oneshot` (the state-word protocol in the
//! module header of `runtime/src/chan/oneshot.rs`), and its broken twin.
#![cfg(goro_loom)]

use goro::chan::oneshot;
use goro_loom_tests::harness::expect_model_failure;
use goro_loom_tests::twins;
use loom::future::block_on;
use loom::thread;

/// A sender on another thread races the receiver's first poll and waker
/// registration; the receiver must get the value exactly once, whatever the
/// interleaving.
#[test]
fn send_races_recv() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel::<Box<u32>>();
        let sender = thread::spawn(move || tx.send(Box::new(7)).unwrap());
        assert_eq!(*block_on(rx).unwrap(), 7);
        sender.join().unwrap();
    });
}

/// A sender dropped without sending wakes the receiver with an error.
#[test]
fn drop_races_recv() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel::<u32>();
        let sender = thread::spawn(move || drop(tx));
        assert_eq!(block_on(rx), Err(oneshot::RecvError));
        sender.join().unwrap();
    });
}

/// A receiver closing while the value is in flight: either the send fails
/// and returns the value, or the value is dropped with the channel; it is
/// never lost or duplicated.
#[test]
fn close_races_send() {
    loom::model(|| {
        let marker = loom::sync::Arc::new(());
        let (tx, mut rx) = oneshot::channel::<loom::sync::Arc<()>>();
        let m = marker.clone();
        let sender = thread::spawn(move || tx.send(m).err());
        rx.close();
        let got = rx.try_recv().ok();
        let returned = sender.join().unwrap();
        assert!(got.is_none() || returned.is_none(), "value delivered twice");
        drop((got, returned, rx));
        assert_eq!(loom::sync::Arc::strong_count(&marker), 1, "value leaked");
    });
}

/// The same race as `send_races_recv`, against the twin whose sender
/// publishes with `Relaxed`: loom must report the unordered cell access.
#[test]
fn broken_twin_is_caught() {
    let failure = expect_model_failure(|| {
        let (tx, rx) = twins::oneshot::channel::<Box<u32>>();
        let sender = thread::spawn(move || tx.send(Box::new(7)));
        assert_eq!(*block_on(rx), 7);
        sender.join().unwrap();
    });
    assert!(
        failure.contains("Causality violation") || failure.contains("causality"),
        "loom failed for another reason: {failure}"
    );
}
