//! Sysmon rests while the whole runtime is idle (idle rule 6), and the
//! first worker to wake brings it back: a stuck poll after a rest is still
//! reported, and timers and I/O still run while it rests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::{Duration, Instant};

use goro::Runtime;

fn rt(workers: usize) -> Runtime {
    Runtime::builder().worker_threads(workers).build().unwrap()
}

/// Whether `cond` comes to hold within `within` (looking every 1 ms,
/// never sleeping as synchronisation: the condition decides).
fn holds_within(within: Duration, cond: impl Fn() -> bool) -> bool {
    let give_up = Instant::now() + within;
    while !cond() {
        if Instant::now() >= give_up {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

/// Waits until `cond` holds; fails after `within`.
fn wait_until(what: &str, within: Duration, cond: impl Fn() -> bool) {
    assert!(holds_within(within, cond), "never happened: {what}");
}

/// Shorter than sysmon's 10 s backstop (`REST_CAP`), so a monitor that
/// nobody wakes fails the test instead of passing late.
const SOON: Duration = Duration::from_secs(5);

fn stuck_poll_after_a_rest(workers: usize) {
    let rt = rt(workers);
    let handle = rt.handle().clone();
    wait_until("sysmon rested", Duration::from_secs(20), || {
        handle.metrics().sysmon_rests >= 1
    });
    let rests = handle.metrics().sysmon_rests;
    let release = Arc::new(AtomicBool::new(false));
    let rel = release.clone();
    // A spawn from outside wakes a worker, which wakes sysmon; the task
    // then holds its worker in one poll.
    let h = rt.spawn(async move {
        while !rel.load(SeqCst) {
            std::hint::spin_loop();
        }
    });
    // Not `wait_until`: the task must be released before a failure, or
    // the runtime's drop would wait on it for ever.
    let reported = holds_within(SOON, || handle.metrics().stuck_polls >= 1);
    release.store(true, SeqCst);
    rt.block_on(h).unwrap();
    assert!(
        reported,
        "a poll stuck after sysmon's rest went unreported for {SOON:?} \
         (rests before the spawn: {rests})"
    );
}

#[test]
fn a_stuck_poll_after_a_rest_is_reported_one_worker() {
    stuck_poll_after_a_rest(1);
}

#[test]
fn a_stuck_poll_after_a_rest_is_reported_two_workers() {
    stuck_poll_after_a_rest(2);
}

#[test]
fn an_idle_runtime_rests_again_after_work() {
    let rt = rt(2);
    let handle = rt.handle().clone();
    wait_until("sysmon rested", Duration::from_secs(20), || {
        handle.metrics().sysmon_rests >= 1
    });
    let before = handle.metrics().sysmon_rests;
    // Work, including a timer armed while the monitor rests.
    let out = rt.block_on(async {
        goro::time::sleep(Duration::from_millis(20)).await;
        goro::spawn(async { 7 }).await.unwrap()
    });
    assert_eq!(out, 7);
    wait_until("sysmon rested again", Duration::from_secs(20), || {
        handle.metrics().sysmon_rests > before
    });
}

#[test]
fn timers_fire_while_sysmon_rests() {
    let rt = rt(2);
    let handle = rt.handle().clone();
    let fired = Arc::new(AtomicBool::new(false));
    let f = fired.clone();
    // Armed before the runtime goes idle: only the worker on timer duty can
    // fire it while sysmon rests.
    let h = rt.spawn(async move {
        goro::time::sleep(Duration::from_secs(1)).await;
        f.store(true, SeqCst);
    });
    wait_until("sysmon rested", Duration::from_secs(20), || {
        handle.metrics().sysmon_rests >= 1 || fired.load(SeqCst)
    });
    assert!(
        !fired.load(SeqCst),
        "the machine was too slow for this test: sysmon did not rest within the timer's 1 s"
    );
    wait_until("the timer fired", SOON, || fired.load(SeqCst));
    rt.block_on(h).unwrap();
}
