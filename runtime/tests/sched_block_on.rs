//! With `block_on_runs_tasks(true)`, `block_on` runs queued tasks on its
//! own thread while its future waits and every worker is busy (Go's main
//! goroutine), and only then; by default it never does.

use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

/// Two workers, each held inside a task's poll until `release` gets one
/// message per worker. Returns once both are held.
struct HeldWorkers {
    release: mpsc::Sender<()>,
    holders: Vec<goro::JoinHandle<()>>,
}

impl HeldWorkers {
    fn hold(rt: &goro::Runtime) -> HeldWorkers {
        let (release, rx) = mpsc::channel::<()>();
        let rx = Arc::new(Mutex::new(rx));
        let started = Arc::new(Barrier::new(3));
        let holders = (0..2)
            .map(|_| {
                let (rx, started) = (rx.clone(), started.clone());
                rt.spawn(async move {
                    started.wait();
                    // Blocks this worker's thread on purpose: the worker is
                    // busy, as if running a long poll.
                    let _ = rx.lock().unwrap().recv();
                })
            })
            .collect();
        started.wait();
        HeldWorkers { release, holders }
    }

    /// Lets both workers go, from another thread after `after` unless
    /// `cancel` gets a message first (a watchdog). The returned sender
    /// cancels it.
    fn release_after(&self, after: Duration) -> mpsc::Sender<()> {
        let (cancel, cancelled) = mpsc::channel::<()>();
        let release = self.release.clone();
        thread::spawn(move || {
            if cancelled.recv_timeout(after).is_err() {
                let _ = release.send(());
                let _ = release.send(());
            }
        });
        cancel
    }

    fn release_and_join(self, rt: &goro::Runtime) {
        for _ in 0..2 {
            let _ = self.release.send(());
        }
        rt.block_on(async {
            for h in self.holders {
                h.await.unwrap();
            }
        });
    }
}

#[test]
fn block_on_runs_a_queued_task_when_every_worker_is_busy() {
    let rt = goro::Runtime::builder()
        .worker_threads(2)
        .block_on_runs_tasks(true)
        .build()
        .unwrap();
    let held = HeldWorkers::hold(&rt);
    // If block_on does not run the task, only this watchdog frees a worker
    // for it, and the assertion below fails instead of the test hanging.
    let watchdog = held.release_after(Duration::from_secs(20));
    let here = thread::current().id();
    let ran_on = rt.block_on(async { goro::spawn(async { thread::current().id() }).await });
    let _ = watchdog.send(());
    assert_eq!(
        ran_on.unwrap(),
        here,
        "the task waited for a worker while block_on slept"
    );
    assert!(rt.handle().metrics().block_on_polls >= 1);
    held.release_and_join(&rt);
}

/// Waits (bounded) until every worker has parked at least once: on a
/// fresh runtime with no tasks, all of them are then asleep.
fn wait_all_parked(rt: &goro::Runtime) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !rt.handle().metrics().workers.iter().all(|w| w.parks > 0) {
        assert!(
            std::time::Instant::now() < deadline,
            "the workers never parked"
        );
        thread::yield_now();
    }
}

#[test]
fn block_on_leaves_tasks_to_idle_workers() {
    let here = thread::current().id();
    for _ in 0..20 {
        // A runtime at rest: no worker is in a poll, so the task is left to
        // the worker its spawn wakes.
        let rt = goro::Runtime::builder()
            .worker_threads(2)
            .block_on_runs_tasks(true)
            .build()
            .unwrap();
        wait_all_parked(&rt);
        let ran_on = rt.block_on(async { goro::spawn(async { thread::current().id() }).await });
        assert_ne!(ran_on.unwrap(), here);
        assert_eq!(rt.handle().metrics().block_on_polls, 0);
    }
}

#[test]
fn block_on_runs_no_task_by_default() {
    let rt = goro::Runtime::builder().worker_threads(2).build().unwrap();
    let held = HeldWorkers::hold(&rt);
    // The workers come free later whatever happens; the task must wait for
    // them, however long that is.
    let _watchdog = held.release_after(Duration::from_millis(50));
    let here = thread::current().id();
    let ran_on = rt.block_on(async { goro::spawn(async { thread::current().id() }).await });
    assert_ne!(ran_on.unwrap(), here);
    assert_eq!(rt.handle().metrics().block_on_polls, 0);
    held.release_and_join(&rt);
}
