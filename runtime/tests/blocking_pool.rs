//! spawn_blocking and block_in_place.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use goro::Runtime;

#[test]
fn spawn_blocking_runs_and_returns() {
    let rt = Runtime::builder().worker_threads(1).build().unwrap();
    let v = rt.block_on(async {
        let hs: Vec<_> = (0..16u32)
            .map(|i| goro::spawn_blocking(move || i + 1))
            .collect();
        let mut s = 0;
        for h in hs {
            s += h.await.unwrap();
        }
        s
    });
    assert_eq!(v, (1..=16).sum::<u32>());
    assert!(rt.handle().metrics().blocking_threads >= 1);
}

#[test]
fn blocking_pool_is_capped() {
    let rt = Runtime::builder()
        .worker_threads(1)
        .max_blocking_threads(2)
        .build()
        .unwrap();
    let (tx, rx) = mpsc::channel::<()>();
    let rx = Arc::new(std::sync::Mutex::new(rx));
    let hs: Vec<_> = (0..6)
        .map(|_| {
            let rx = rx.clone();
            rt.handle().spawn_blocking(move || {
                let _ = rx.lock().unwrap().recv_timeout(Duration::from_secs(10));
            })
        })
        .collect();
    // Six jobs, cap two: never more than two threads.
    for _ in 0..6 {
        assert!(rt.handle().metrics().blocking_threads <= 2);
        tx.send(()).unwrap();
    }
    for h in hs {
        rt.block_on(h).unwrap();
    }
}

#[test]
fn spawn_blocking_panic_is_reported() {
    let rt = Runtime::new().unwrap();
    let e = rt.block_on(async {
        goro::spawn_blocking(|| panic!("blocking boom"))
            .await
            .unwrap_err()
    });
    assert!(e.is_panic());
}

/// One worker. A task queued behind the blocking one (in runnext) can only
/// run if `block_in_place` hands the worker's P to another thread.
#[test]
fn block_in_place_hands_off_the_queue() {
    let rt = Runtime::builder().worker_threads(1).build().unwrap();
    let ok = rt.block_on(async {
        goro::spawn(async {
            let (tx, rx) = mpsc::channel();
            let other_ran = Arc::new(AtomicBool::new(false));
            let o = other_ran.clone();
            goro::spawn(async move {
                o.store(true, SeqCst);
                tx.send(()).unwrap();
            });
            goro::block_in_place(|| rx.recv_timeout(Duration::from_secs(20)).is_ok())
                && other_ran.load(SeqCst)
        })
        .await
        .unwrap()
    });
    assert!(ok, "the queued task did not run while its worker blocked");
    // The runtime keeps working with the P on its new thread.
    assert_eq!(
        rt.block_on(async { goro::spawn(async { 4 }).await.unwrap() }),
        4
    );
}

#[test]
fn block_in_place_inside_block_on_does_not_deadlock() {
    let rt = Runtime::builder().worker_threads(1).build().unwrap();
    let v = rt.block_on(async {
        let h = goro::spawn(async { 10 });
        let x = goro::block_in_place(|| 5);
        x + h.await.unwrap()
    });
    assert_eq!(v, 15);
}

/// A short `block_in_place` returns before the pool thread starts the P:
/// the thread takes its P back and stays the worker (Go's `exitsyscall`
/// fast path), so the task's next poll runs on the same worker thread.
/// Without the reclaim the worker thread leaves and the pool thread that
/// took the P runs it. Each trial is a fresh one-worker runtime (a pool
/// thread that once took a P could otherwise pick up a later hand-off job
/// itself and look like a reclaim); the pool thread may win a race now and
/// then, so one trial kept out of 20 shows the path works.
#[test]
fn short_block_in_place_takes_the_p_back() {
    let mut kept = 0;
    for _ in 0..20 {
        let rt = Runtime::builder().worker_threads(1).build().unwrap();
        let same = rt.block_on(async {
            goro::spawn(async {
                let worker = std::thread::current().id();
                assert_eq!(goro::block_in_place(|| 7), 7);
                goro::yield_now().await;
                std::thread::current().id() == worker
            })
            .await
            .unwrap()
        });
        kept += usize::from(same);
        // The runtime keeps working either way.
        assert_eq!(
            rt.block_on(async { goro::spawn(async { 4 }).await.unwrap() }),
            4
        );
    }
    assert!(kept >= 1, "the P was never taken back");
}
