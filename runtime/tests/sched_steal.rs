//! Work stealing, runnext stealing, and sysmon's rescue of a stuck worker.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use goro::Runtime;

fn rt(workers: usize) -> Runtime {
    Runtime::builder().worker_threads(workers).build().unwrap()
}

/// Spins (without yielding to the scheduler) until `cond` holds; fails the
/// test after a generous bound instead of hanging.
fn spin_until(what: &str, cond: impl Fn() -> bool) {
    let give_up = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < give_up, "never happened: {what}");
        std::hint::spin_loop();
    }
}

#[test]
fn idle_worker_steals_from_busy_one() {
    let rt = rt(2);
    const N: usize = 200;
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    rt.block_on(async move {
        goro::spawn(async move {
            for _ in 0..N {
                let r = r.clone();
                goro::spawn(async move {
                    r.fetch_add(1, SeqCst);
                });
            }
            // This task never yields, so the spawned tasks can only run if
            // the other worker steals them.
            spin_until("tasks stolen and run", || r.load(SeqCst) == N);
        })
        .await
        .unwrap();
    });
    assert_eq!(ran.load(SeqCst), N);
    let m = rt.handle().metrics();
    assert!(m.total_steals() > 0, "no steals recorded: {m:?}");
}

#[test]
fn runnext_of_blocked_worker_runs_elsewhere() {
    let rt = rt(2);
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    rt.block_on(async move {
        goro::spawn(async move {
            let r2 = r.clone();
            // Goes to this worker's runnext slot (empty before: no wake-up
            // is sent for it), then this worker blocks in the poll.
            goro::spawn(async move { r2.store(true, SeqCst) });
            spin_until("runnext task ran on another worker", || r.load(SeqCst));
        })
        .await
        .unwrap();
    });
    assert!(ran.load(SeqCst));
}

#[test]
fn sysmon_reports_stuck_poll() {
    let rt = rt(2);
    let release = Arc::new(AtomicBool::new(false));
    let rel = release.clone();
    let h = rt.spawn(async move {
        spin_until("released", || rel.load(SeqCst));
    });
    let handle = rt.handle().clone();
    spin_until("sysmon counted a stuck poll", || {
        handle.metrics().stuck_polls >= 1
    });
    release.store(true, SeqCst);
    rt.block_on(h).unwrap();
}

#[test]
fn local_overflow_goes_to_global_queue() {
    let rt = rt(1);
    let n = rt.block_on(async {
        goro::spawn(async {
            // More than the 256-slot ring, spawned without yielding.
            let hs: Vec<_> = (0..1000u32)
                .map(|i| goro::spawn(async move { i }))
                .collect();
            let mut n = 0;
            for h in hs {
                n += h.await.unwrap();
            }
            n
        })
        .await
        .unwrap()
    });
    assert_eq!(n, 999 * 500);
    assert!(rt.handle().metrics().workers[0].overflows > 0);
}
