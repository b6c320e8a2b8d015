//! Fairness: runnext cannot starve the ring, the global queue is served
//! under saturation, the cooperative budget forces yields.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use goro::Runtime;
use goro::chan::mpsc;

fn rt(workers: usize) -> Runtime {
    Runtime::builder().worker_threads(workers).build().unwrap()
}

/// Two tasks bounce a message through channels of capacity 1, so each wake
/// puts the partner in runnext. A third task that became ready at the same
/// time must run after only a few round trips (runnext streak cap of 3),
/// not after the pair finishes. One worker makes it deterministic; the
/// time to the third task is also bounded by 1 ms.
#[test]
fn ping_pong_through_runnext_does_not_starve_third_task() {
    let rt = rt(1);
    let (rounds_before_third, delay) = rt.block_on(async {
        goro::spawn(async {
            let rounds = Arc::new(AtomicU64::new(0));
            let third_ran = Arc::new(AtomicBool::new(false));
            let (a_tx, mut a_rx) = mpsc::channel::<u32>(1);
            let (b_tx, mut b_rx) = mpsc::channel::<u32>(1);
            let r = rounds.clone();
            let t = third_ran.clone();
            let ping = goro::spawn(async move {
                for i in 0..10_000u32 {
                    a_tx.send(i).await.unwrap();
                    b_rx.recv().await.unwrap();
                    r.fetch_add(1, SeqCst);
                    if t.load(SeqCst) {
                        break;
                    }
                }
                drop(a_tx);
            });
            let pong = goro::spawn(async move {
                while let Some(v) = a_rx.recv().await {
                    if b_tx.send(v).await.is_err() {
                        break;
                    }
                }
            });
            let start = Instant::now();
            let rs = rounds.clone();
            let third = goro::spawn(async move {
                third_ran.store(true, SeqCst);
                (rs.load(SeqCst), start.elapsed())
            });
            let out = third.await.unwrap();
            ping.await.unwrap();
            pong.await.unwrap();
            out
        })
        .await
        .unwrap()
    });
    assert!(
        rounds_before_third <= 8,
        "third task waited {rounds_before_third} round trips"
    );
    assert!(
        delay < Duration::from_millis(1),
        "third task waited {delay:?}"
    );
}

/// Tasks that keep yielding saturate both workers; remotely spawned tasks
/// must still run, each after a bounded number of polls (the global queue
/// is looked at every 61 ticks and drained in batches).
#[test]
fn global_queue_served_under_saturation() {
    let rt = rt(2);
    let stop = Arc::new(AtomicBool::new(false));
    let mut busy = Vec::new();
    for _ in 0..8 {
        let stop = stop.clone();
        busy.push(rt.spawn(async move {
            while !stop.load(SeqCst) {
                goro::yield_now().await;
            }
        }));
    }
    let handle = rt.handle().clone();
    let polls =
        |h: &goro::Handle| -> Vec<u64> { h.metrics().workers.iter().map(|w| w.polls).collect() };
    // Counted in the polls of the least busy worker: every worker looks at
    // the global queue every 61 of its own ticks, so whichever took the
    // task polled at most ~61 times meanwhile, however long the OS kept the
    // other worker (or this one) off the CPU.
    let waited_once = || {
        let before = polls(&handle);
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let s = seen.clone();
        let h2 = handle.clone();
        let j = rt.spawn(async move { *s.lock().unwrap() = polls(&h2) });
        rt.block_on(j).unwrap();
        let after = seen.lock().unwrap().clone();
        before
            .iter()
            .zip(&after)
            .map(|(b, a)| a.saturating_sub(*b))
            .min()
            .unwrap()
    };
    let mut worst = 0;
    for _ in 0..50 {
        // The polls between the metrics read and the spawn count too, and
        // the OS may stop this thread right there (two busy workers on a
        // 2-core machine): a sample counts as slow only if three in a row
        // are. A scheduler that really leaves remote tasks behind fails
        // every time.
        let waited = (0..3).map(|_| waited_once()).min().unwrap();
        worst = worst.max(waited);
    }
    stop.store(true, SeqCst);
    for b in busy {
        rt.block_on(b).unwrap();
    }
    // A look every 61 ticks, plus slack for the polls between the metrics
    // reads.
    assert!(worst < 200, "a remote task waited {worst} polls");
}

/// A task that never runs out of ready work on goro's own channel is
/// forced to yield by the budget, so another task on the same worker runs.
#[test]
fn budget_forces_yield() {
    let rt = rt(1);
    let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
    for i in 0..10_000 {
        tx.send(i).unwrap();
    }
    let other_ran = Arc::new(AtomicUsize::new(0));
    let o = other_ran.clone();
    let drained_before_other = rt.block_on(async move {
        goro::spawn(async move {
            let o2 = o.clone();
            goro::spawn(async move { o2.store(1, SeqCst) });
            let mut n = 0;
            while o.load(SeqCst) == 0 {
                rx.recv().await.unwrap();
                n += 1;
            }
            n
        })
        .await
        .unwrap()
    });
    assert!(
        drained_before_other <= 200,
        "drained {drained_before_other}"
    );
    assert!(rt.handle().metrics().workers[0].budget_forced_yields > 0);
    drop(tx);
}

/// A task that keeps re-spawning itself sits in runnext while the global
/// queue holds a large backlog of remote spawns. The global queue's turns
/// (a batch of at most 128 per round) must leave runnext a turn every
/// round, so the chain keeps moving while the backlog drains.
#[test]
fn runnext_chain_moves_while_a_global_backlog_drains() {
    const BACKLOG: u64 = 100_000;
    let rt = rt(1);
    let stop = Arc::new(AtomicBool::new(false));
    let hops = Arc::new(AtomicU64::new(0));
    fn hop(stop: Arc<AtomicBool>, hops: Arc<AtomicU64>) {
        drop(goro::spawn(async move {
            if !stop.load(SeqCst) {
                hops.fetch_add(1, SeqCst);
                hop(stop, hops);
            }
        }));
    }
    // The only worker is held in a task while this thread fills the global
    // queue; released, the task puts the chain in runnext. (Had it done so
    // before, sysmon would have moved the chain to the global queue: the
    // held task looks stuck.)
    let gate = Arc::new(AtomicBool::new(false));
    let held = Arc::new(AtomicBool::new(false));
    let (s, h, g, hd) = (stop.clone(), hops.clone(), gate.clone(), held.clone());
    drop(rt.spawn(async move {
        hd.store(true, SeqCst);
        while !g.load(SeqCst) {
            std::hint::spin_loop();
        }
        hop(s, h);
    }));
    while !held.load(SeqCst) {
        std::thread::yield_now();
    }
    let (done_tx, done_rx) = std::sync::mpsc::channel::<u64>();
    let ran = Arc::new(AtomicU64::new(0));
    for _ in 0..BACKLOG {
        let (h, r, tx) = (hops.clone(), ran.clone(), done_tx.clone());
        drop(rt.spawn(async move {
            if r.fetch_add(1, SeqCst) + 1 == BACKLOG {
                let _ = tx.send(h.load(SeqCst));
            }
        }));
    }
    gate.store(true, SeqCst);
    let hops_when_drained = done_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the backlog never drained");
    stop.store(true, SeqCst);
    let moved = hops_when_drained;
    assert!(
        moved >= BACKLOG / 128 / 2,
        "the runnext chain moved {moved} times while {BACKLOG} remote tasks ran"
    );
}

/// Go's `Gosched`: a task that yields while the global queue holds tasks
/// goes behind them, so a backlog of remote spawns is not held up by tasks
/// that keep yielding (`spawn_many_remote_busy1`). With the yield kept on
/// the worker's own queue, the task resumed before the remote one.
#[test]
fn yield_goes_behind_the_global_backlog() {
    let rt = rt(1);
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let started = Arc::new(AtomicBool::new(false));
    let go = Arc::new(AtomicBool::new(false));
    let (l, s, g) = (log.clone(), started.clone(), go.clone());
    let yielder = rt.spawn(async move {
        s.store(true, SeqCst);
        // Holds the only worker until the remote task is queued.
        while !g.load(SeqCst) {
            std::hint::spin_loop();
        }
        goro::yield_now().await;
        l.lock().unwrap().push("yielder");
    });
    while !started.load(SeqCst) {
        std::thread::yield_now();
    }
    let l = log.clone();
    let remote = rt.spawn(async move { l.lock().unwrap().push("remote") });
    go.store(true, SeqCst);
    rt.block_on(yielder).unwrap();
    rt.block_on(remote).unwrap();
    assert_eq!(*log.lock().unwrap(), ["remote", "yielder"]);
}

/// A task on the only worker spawns more tasks than its ring holds (256),
/// so the ring overflows and sheds its older half to the global queue
/// several times. The shed tasks are the oldest and must run first (rule
/// 5 in `sched/worker.rs`): each task runs within a few places of its
/// spawn order. Without the rule the shed tasks waited behind the newer
/// ones still in the ring, some ~250 places late.
#[test]
fn overflowed_tasks_run_before_newer_ones() {
    const N: usize = 700;
    let rt = rt(1);
    let order = Arc::new(std::sync::Mutex::new(Vec::with_capacity(N)));
    let o = order.clone();
    let spawner = rt.spawn(async move {
        (0..N)
            .map(|i| {
                let o = o.clone();
                goro::spawn(async move { o.lock().unwrap().push(i) })
            })
            .collect::<Vec<_>>()
    });
    let children = rt.block_on(spawner).unwrap();
    rt.block_on(async {
        for child in children {
            child.await.unwrap();
        }
    });
    assert!(
        rt.handle().metrics().workers[0].overflows >= 2,
        "the ring must overflow for this test to mean anything"
    );
    let order = order.lock().unwrap();
    assert_eq!(order.len(), N);
    let late = order
        .iter()
        .enumerate()
        .map(|(place, &i)| place.saturating_sub(i))
        .max()
        .unwrap();
    assert!(late <= 8, "a task ran {late} places after its spawn order");
}

/// Spawns `fillers` logging tasks and then one more, all from a task on
/// the only worker, and returns the place at which the last one ran.
fn place_of_last_spawn(fillers: usize) -> usize {
    let rt = rt(1);
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let o = order.clone();
    let spawner = rt.spawn(async move {
        let mut all: Vec<_> = (0..fillers)
            .map(|i| {
                let o = o.clone();
                goro::spawn(async move { o.lock().unwrap().push(i) })
            })
            .collect();
        let o = o.clone();
        all.push(goro::spawn(
            async move { o.lock().unwrap().push(usize::MAX) },
        ));
        all
    });
    let children = rt.block_on(spawner).unwrap();
    rt.block_on(async {
        for child in children {
            child.await.unwrap();
        }
    });
    let order = order.lock().unwrap();
    order.iter().position(|&i| i == usize::MAX).unwrap()
}

/// Rule 6 in `sched/worker.rs`: a spawn takes runnext (runs next, as Go's
/// `newproc` does) while the ring is short, but behind a backlog of more
/// than 32 tasks it queues at the back like everyone else.
#[test]
fn runnext_is_skipped_behind_a_backlog() {
    assert_eq!(
        place_of_last_spawn(4),
        0,
        "a short ring: the newest runs next"
    );
    assert_eq!(
        place_of_last_spawn(100),
        100,
        "behind a backlog: the newest runs last"
    );
}
