//! Observability: the task dump and the metrics snapshot.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::{Duration, Instant};

use goro::Runtime;
use goro::chan::Notify;
use goro::dump::TaskState;

fn spin_until(what: &str, cond: impl Fn() -> bool) {
    let give_up = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < give_up, "never happened: {what}");
        std::thread::yield_now();
    }
}

#[test]
fn dump_lists_live_tasks_with_location_name_and_state() {
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let notify = Arc::new(Notify::new());
    let n = notify.clone();
    let waiting = Arc::new(AtomicBool::new(false));
    let w = waiting.clone();
    let idle = rt.handle().spawn_named("idle-waiter", async move {
        w.store(true, SeqCst);
        n.notified().await;
    });
    let release = Arc::new(AtomicBool::new(false));
    let rel = release.clone();
    let running = rt.spawn(async move {
        while !rel.load(SeqCst) {
            std::hint::spin_loop();
        }
    });
    spin_until("waiter parked", || waiting.load(SeqCst));
    let handle = rt.handle().clone();
    spin_until("both tasks visible in their states", || {
        let d = handle.dump();
        let named = d.tasks.iter().find(|t| t.id == idle.id());
        let busy = d.tasks.iter().find(|t| t.id == running.id());
        matches!((named, busy), (Some(a), Some(b))
            if a.state == TaskState::Idle && b.state == TaskState::Running)
    });
    let dump = handle.dump();
    let named = dump.tasks.iter().find(|t| t.id == idle.id()).unwrap();
    assert_eq!(named.name.as_deref(), Some("idle-waiter"));
    assert!(
        named.location.file().ends_with("obs_dump.rs"),
        "{}",
        named.location
    );
    assert!(named.since_last_poll.is_some());
    let text = dump.to_string();
    assert!(
        text.contains("idle-waiter") && text.contains("obs_dump.rs"),
        "{text}"
    );

    release.store(true, SeqCst);
    notify.notify_one();
    rt.block_on(async move {
        idle.await.unwrap();
        running.await.unwrap();
    });
    // Finished tasks leave the dump.
    assert!(handle.dump().tasks.is_empty(), "{}", handle.dump());
}

#[test]
fn metrics_count_polls_parks_and_queues() {
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    rt.block_on(async {
        let hs: Vec<_> = (0..100)
            .map(|_| goro::spawn(async { goro::yield_now().await }))
            .collect();
        for h in hs {
            h.await.unwrap();
        }
    });
    // The runtime is idle now, so its workers park; how soon depends on
    // the machine (ring setup, a busy neighbour), so wait for the count.
    let parks = |m: &goro::metrics::RuntimeMetrics| m.workers.iter().map(|w| w.parks).sum::<u64>();
    spin_until("a worker parks", || parks(&rt.handle().metrics()) > 0);
    let m = rt.handle().metrics();
    assert_eq!(m.workers.len(), 2);
    assert!(m.total_polls() >= 200, "{m:?}");
    assert!(parks(&m) > 0, "{m:?}");
    assert_eq!(m.global_queue_depth, 0);
}

/// A P's busy time grows while a task holds it and stands still while it
/// is parked; the uptime bounds it.
#[test]
fn metrics_busy_time_follows_work_and_rest() {
    let rt = Runtime::builder().worker_threads(1).build().unwrap();
    let handle = rt.handle().clone();
    let busy = |h: &goro::Handle| h.metrics().workers[0].busy;
    // Wait for the worker's first park.
    spin_until("the worker parks", || handle.metrics().workers[0].parks > 0);
    spin_until("the worker is parked", || {
        let a = busy(&handle);
        std::thread::sleep(Duration::from_millis(5));
        busy(&handle) == a
    });
    // Parked: 100 ms of rest add nothing.
    let before = busy(&handle);
    std::thread::sleep(Duration::from_millis(100));
    let rested = busy(&handle) - before;
    assert!(
        rested < Duration::from_millis(20),
        "busy grew by {rested:?} while parked"
    );
    // A task that holds the worker for 100 ms of wall time: the spell under
    // way counts before the worker parks again.
    let before = busy(&handle);
    let release = Arc::new(AtomicBool::new(false));
    let rel = release.clone();
    let started = Arc::new(AtomicBool::new(false));
    let st = started.clone();
    let h = rt.spawn(async move {
        st.store(true, SeqCst);
        while !rel.load(SeqCst) {
            std::hint::spin_loop();
        }
    });
    spin_until("the task runs", || started.load(SeqCst));
    let held = Instant::now();
    while held.elapsed() < Duration::from_millis(100) {
        std::thread::yield_now();
    }
    let during = busy(&handle) - before;
    release.store(true, SeqCst);
    rt.block_on(h).unwrap();
    assert!(
        during >= Duration::from_millis(100),
        "busy grew by {during:?} in a 100 ms poll"
    );
    let m = handle.metrics();
    assert!(m.workers[0].busy <= m.uptime, "{m:?}");
}
