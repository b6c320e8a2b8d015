//! mpsc, Notify and WaitGroup on a running runtime.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use goro::Runtime;
use goro::chan::{Notify, WaitGroup, mpsc};

fn rt() -> Runtime {
    Runtime::builder().worker_threads(2).build().unwrap()
}

#[test]
fn bounded_many_producers_in_order_per_producer() {
    let rt = rt();
    let got = rt.block_on(async {
        let (tx, mut rx) = mpsc::channel::<(u32, u32)>(4);
        for p in 0..4 {
            let tx = tx.clone();
            goro::spawn(async move {
                for i in 0..500 {
                    tx.send((p, i)).await.unwrap();
                }
            });
        }
        drop(tx);
        let mut last = [None::<u32>; 4];
        let mut n = 0;
        while let Some((p, i)) = rx.recv().await {
            assert!(last[p as usize].is_none_or(|l| l + 1 == i), "out of order");
            last[p as usize] = Some(i);
            n += 1;
        }
        n
    });
    assert_eq!(got, 2000);
}

#[test]
fn bounded_try_send_full_and_closed() {
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    tx.try_send(1).unwrap();
    assert_eq!(tx.try_send(2), Err(mpsc::TrySendError::Full(2)));
    assert_eq!(rx.try_recv(), Ok(1));
    rx.close();
    assert_eq!(tx.try_send(3), Err(mpsc::TrySendError::Closed(3)));
    drop(tx);
    assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Disconnected));
}

#[test]
fn unbounded_and_receiver_drop() {
    let rt = rt();
    let (tx, rx) = mpsc::unbounded_channel::<Vec<u8>>();
    for _ in 0..100 {
        tx.send(vec![0; 16]).unwrap();
    }
    drop(rx);
    assert!(tx.send(vec![]).is_err());
    assert!(tx.is_closed());
    let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
    let sum = rt.block_on(async move {
        goro::spawn(async move {
            for i in 0..100 {
                tx.send(i).unwrap();
            }
        });
        let mut s = 0;
        while let Some(v) = rx.recv().await {
            s += v;
        }
        s
    });
    assert_eq!(sum, 4950);
}

#[test]
fn dropped_send_future_passes_its_turn_on() {
    let rt = rt();
    rt.block_on(async {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        tx.send(0).await.unwrap();
        // A send that gives up while waiting must not strand the next one.
        let r = goro::time::timeout(std::time::Duration::from_millis(5), tx.send(1)).await;
        assert!(r.is_err());
        let tx2 = tx.clone();
        let waiter = goro::spawn(async move { tx2.send(2).await.unwrap() });
        assert_eq!(rx.recv().await, Some(0));
        waiter.await.unwrap();
        assert_eq!(rx.recv().await, Some(2));
    });
}

#[test]
fn notify_one_stores_a_permit() {
    let rt = rt();
    rt.block_on(async {
        let n = Notify::new();
        n.notify_one();
        n.notified().await; // consumes the permit without waiting
    });
}

#[test]
fn notify_waiters_wakes_everyone_waiting() {
    let rt = rt();
    let woke = Arc::new(AtomicUsize::new(0));
    let w = woke.clone();
    rt.block_on(async move {
        let notify = Arc::new(Notify::new());
        let registered = WaitGroup::new();
        let mut hs = Vec::new();
        for _ in 0..50 {
            let n = notify.clone();
            let w = w.clone();
            registered.add(1);
            let reg = registered.clone();
            hs.push(goro::spawn(async move {
                let fut = n.notified();
                reg.done();
                fut.await;
                w.fetch_add(1, SeqCst);
            }));
        }
        registered.wait().await;
        notify.notify_waiters();
        for h in hs {
            h.await.unwrap();
        }
    });
    assert_eq!(woke.load(SeqCst), 50);
}

#[test]
fn waitgroup_waits_for_all() {
    let rt = rt();
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    rt.block_on(async move {
        let wg = WaitGroup::new();
        for _ in 0..100 {
            wg.add(1);
            let wg = wg.clone();
            let d = d.clone();
            goro::spawn(async move {
                goro::yield_now().await;
                d.fetch_add(1, SeqCst);
                wg.done();
            });
        }
        wg.wait().await;
        assert_eq!(d.load(SeqCst), 100);
    });
    assert_eq!(done.load(SeqCst), 100);
}

#[test]
#[should_panic(expected = "more times than add")]
fn waitgroup_negative_panics() {
    WaitGroup::new().done();
}
