//! Loom model of sysmon's rest (idle rule 6 in `runtime/src/sched/idle.rs`,
//! composed as `sysmon.rs` and `worker.rs` compose it): the monitor rests
//! only while every worker is parked, and a worker that wakes while it
//! rests wakes it, so the monitor never sleeps through a running worker.
//! Plus the broken twin.
#![cfg(goro_loom)]

use goro::__loom::Idle;
use goro_loom_tests::harness::expect_model_failure;
use goro_loom_tests::twins::idle_rest::IdleRest;
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;
use std::mem::ManuallyDrop;

/// The protocol surface the monitor and the worker use.
trait RestApi: Send + Sync + 'static {
    fn park(&self, w: usize);
    fn unpark(&self, w: usize);
    fn may_rest(&self, seen: &mut u64) -> bool;
    fn resting(&self) -> bool;
    fn woke(&self);
    fn take_wake(&self) -> bool;
}

macro_rules! rest_api {
    ($t:ty) => {
        impl RestApi for $t {
            fn park(&self, w: usize) {
                self.transition_worker_to_parked(w, false);
            }
            fn unpark(&self, w: usize) {
                self.transition_worker_from_parked(w);
            }
            fn may_rest(&self, seen: &mut u64) -> bool {
                self.monitor_may_rest(seen)
            }
            fn resting(&self) -> bool {
                self.monitor_resting()
            }
            fn woke(&self) {
                self.monitor_woke()
            }
            fn take_wake(&self) -> bool {
                self.take_monitor_wake()
            }
        }
    };
}
rest_api!(Idle);
rest_api!(IdleRest);

/// Sysmon's lock and condition variable (`Shared::sysmon_lock`/`_cvar`).
struct Monitor {
    lock: Mutex<()>,
    cvar: Condvar,
}

/// One look of sysmon (`sysmon::run` and `rest`): rest until the mark is
/// cleared. Without a wake the wait never ends and loom reports a deadlock
/// (the real monitor's 10 s backstop is left out on purpose).
fn monitor<I: RestApi>(idle: &I, m: &Monitor) {
    let mut seen = 0;
    for _ in 0..2 {
        if idle.may_rest(&mut seen) {
            let mut guard = m.lock.lock().unwrap();
            while idle.resting() {
                guard = m.cvar.wait(guard).unwrap();
            }
            drop(guard);
            idle.woke();
        }
    }
}

/// A worker parks, is woken (by I/O, a timer or a spawn, left out here),
/// then does what `worker::park` does after a wake-up.
fn worker<I: RestApi>(idle: &I, m: &Monitor) {
    idle.park(0);
    idle.unpark(0);
    if idle.take_wake() {
        let _guard = m.lock.lock().unwrap();
        m.cvar.notify_all();
    }
}

/// Drops its value unless the thread is unwinding: loom's deadlock report
/// unwinds the monitor's thread, and dropping loom objects during that
/// unwinding panics again, which aborts the process instead of failing
/// the model.
struct DropUnlessPanicking<T>(ManuallyDrop<T>);

impl<T> Drop for DropUnlessPanicking<T> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            // SAFETY: dropped once, here; the field is never used again.
            unsafe { ManuallyDrop::drop(&mut self.0) };
        }
    }
}

fn scenario<I: RestApi>(idle: I) {
    let idle = DropUnlessPanicking(ManuallyDrop::new(Arc::new(idle)));
    let m = DropUnlessPanicking(ManuallyDrop::new(Arc::new(Monitor {
        lock: Mutex::new(()),
        cvar: Condvar::new(),
    })));
    let (i2, m2) = ((*idle.0).clone(), (*m.0).clone());
    let w = thread::spawn(move || worker(&*i2, &m2));
    monitor(&**idle.0, &m.0);
    w.join().unwrap();
}

#[test]
fn monitor_rest_races_a_wake_up() {
    loom::model(|| scenario(Idle::new(1)));
}

/// Deciding outside the sleepers lock, the monitor can rest while the
/// worker runs, and nobody wakes it (loom: deadlock).
#[test]
fn broken_twin_is_caught() {
    let failure = expect_model_failure(|| scenario(IdleRest::new(1)));
    assert!(
        failure.to_lowercase().contains("deadlock"),
        "loom failed for another reason: {failure}"
    );
}
