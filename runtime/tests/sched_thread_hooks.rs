//! `Builder::on_thread_start` / `on_thread_stop`: every thread that runs
//! tasks or blocking work has run the start hook before its first piece of
//! work, including a thread a `block_in_place` hand-off gave a P to, and
//! every such thread runs the stop hook before the runtime's drop returns.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use goro::Runtime;

thread_local!(static HOOKED: Cell<bool> = const { Cell::new(false) });

fn hooked() -> bool {
    HOOKED.with(Cell::get)
}

struct Seen {
    started: Mutex<BTreeSet<String>>,
    starts: AtomicUsize,
    stops: AtomicUsize,
}

fn runtime(workers: usize, seen: &Arc<Seen>) -> Runtime {
    let (a, b) = (seen.clone(), seen.clone());
    Runtime::builder()
        .worker_threads(workers)
        .thread_name("hk")
        .on_thread_start(move || {
            HOOKED.with(|c| c.set(true));
            let name = std::thread::current().name().unwrap_or("").to_string();
            a.started.lock().unwrap().insert(name);
            a.starts.fetch_add(1, SeqCst);
        })
        .on_thread_stop(move || {
            assert!(
                hooked(),
                "stop hook on a thread the start hook never ran on"
            );
            b.stops.fetch_add(1, SeqCst);
        })
        .build()
        .unwrap()
}

fn seen() -> Arc<Seen> {
    Arc::new(Seen {
        started: Mutex::new(BTreeSet::new()),
        starts: AtomicUsize::new(0),
        stops: AtomicUsize::new(0),
    })
}

#[test]
fn tasks_and_blocking_closures_run_on_hooked_threads() {
    let seen = seen();
    let rt = runtime(2, &seen);
    let all_hooked = rt.block_on(async {
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                goro::spawn(async {
                    goro::yield_now().await;
                    hooked()
                })
            })
            .collect();
        let mut ok = true;
        for t in tasks {
            ok &= t.await.unwrap();
        }
        ok &= goro::spawn_blocking(hooked).await.unwrap();
        ok
    });
    assert!(
        all_hooked,
        "a task or a blocking closure ran on a thread without the start hook"
    );
    // The caller's own thread is not a runtime thread.
    assert!(!hooked());
    let names = seen.started.lock().unwrap().clone();
    assert!(
        names.iter().any(|n| n.starts_with("hk-blocking-")),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.contains("sysmon")), "{names:?}");
    drop(rt);
    let (starts, stops) = (seen.starts.load(SeqCst), seen.stops.load(SeqCst));
    assert!(starts >= 2, "{starts} starts");
    assert_eq!(
        starts, stops,
        "every hooked thread stops before the drop returns"
    );
}

#[test]
fn a_p_handed_off_by_block_in_place_runs_on_a_hooked_thread() {
    let seen = seen();
    let rt = runtime(1, &seen);
    let (tx, rx) = std::sync::mpsc::channel::<bool>();
    let out = rt.block_on(async move {
        goro::spawn(async move {
            // Queued behind the blocking section on this worker's P: it can
            // only run once the P moves to another thread.
            let probe = goro::spawn(async move {
                let _ = tx.send(hooked());
            });
            let from_probe = goro::block_in_place(|| rx.recv_timeout(Duration::from_secs(20)));
            probe.await.unwrap();
            from_probe
        })
        .await
        .unwrap()
    });
    assert_eq!(
        out,
        Ok(true),
        "the P's new thread ran a task before (or without) the start hook"
    );
    drop(rt);
    assert_eq!(seen.starts.load(SeqCst), seen.stops.load(SeqCst));
}
