//! Loom model of the timer-duty handshake (`runtime/src/time/duty.rs`,
//! composed as `time/clock.rs` and `sched/worker.rs` compose it) on a real
//! timer shard: a timer armed while the only worker takes duty and goes
//! to sleep is never slept through. Plus the broken twin.
#![cfg(goro_loom)]

use std::mem::ManuallyDrop;
use std::task::Waker;

use goro::__loom::{CondvarPark, NO_DEADLINE, Nudge, Park, TimerDuty, TimerEntry, TimerShard};
use goro_loom_tests::harness::expect_model_failure;
use goro_loom_tests::twins;
use loom::sync::Arc;
use loom::thread;

/// The protocol surface, so the same scenario runs against the real duty
/// and the twin.
trait DutyApi: Send + Sync + 'static {
    fn take(&self, w: usize) -> bool;
    fn publish(&self, earliest: &dyn Fn() -> u64) -> u64;
    fn release(&self);
    fn is_free(&self) -> bool;
    fn after_arm(&self, deadline: u64, before: u64) -> Nudge;
}

macro_rules! duty_api {
    ($t:ty) => {
        impl DutyApi for $t {
            fn take(&self, w: usize) -> bool {
                <$t>::take(self, w)
            }
            fn publish(&self, earliest: &dyn Fn() -> u64) -> u64 {
                <$t>::publish(self, earliest)
            }
            fn release(&self) {
                <$t>::release(self)
            }
            fn is_free(&self) -> bool {
                <$t>::is_free(self)
            }
            fn after_arm(&self, deadline: u64, before: u64) -> Nudge {
                <$t>::after_arm(self, deadline, before)
            }
        }
    };
}
duty_api!(TimerDuty);
duty_api!(twins::timer_duty::TimerDuty);

fn entry(deadline: u64) -> Arc<TimerEntry> {
    Arc::new(TimerEntry::new(deadline, 0, Waker::noop().clone()))
}

/// A parked worker's duty cycle, as `worker.rs::park`: take duty, compute
/// the deadline, sleep until it (a deadline means a timed sleep: it wakes
/// and looks again, so only a sleep without one can strand a timer).
fn worker_cycle<D: DutyApi>(duty: &D, shard: &TimerShard, park: &CondvarPark) {
    assert!(duty.take(0));
    let until = duty.publish(&|| shard.next());
    if until == NO_DEADLINE {
        park.park(None);
    }
    duty.release();
}

/// Arming, as `clock.rs::register`.
fn arm<D: DutyApi>(duty: &D, shard: &TimerShard, park: &CondvarPark, deadline: u64) {
    let before = if duty.is_free() {
        shard.next()
    } else {
        NO_DEADLINE
    };
    shard.push(entry(deadline));
    match duty.after_arm(deadline, before) {
        Nudge::Nobody => {}
        // One worker: either way it is the one to wake.
        Nudge::Worker(w) => {
            assert_eq!(w, 0);
            park.unpark();
        }
        Nudge::AnyParked => park.unpark(),
    }
}

fn scenario<D: DutyApi + Default>() {
    // Leaked if loom fails the run: the shard's entries hold loom objects,
    // whose drop during that panic's unwinding would abort the process.
    let duty = ManuallyDrop::new(Arc::new(D::default()));
    let shard = ManuallyDrop::new(Arc::new(TimerShard::new()));
    let park = ManuallyDrop::new(Arc::new(CondvarPark::new()));
    // An earlier duty slept until 3; that timer has fired since, so the
    // shard is empty and `until` still says 3.
    shard.push(entry(3));
    worker_cycle(&**duty, &shard, &park);
    let mut fired = Vec::new();
    assert_eq!(shard.take_due(3, &mut fired), 1);
    drop(fired);
    let (d2, s2, p2) = (Arc::clone(&duty), Arc::clone(&shard), Arc::clone(&park));
    let armer = thread::spawn(move || arm(&*d2, &s2, &p2, 5));
    worker_cycle(&**duty, &shard, &park);
    armer.join().unwrap();
    drop(ManuallyDrop::into_inner(duty));
    drop(ManuallyDrop::into_inner(shard));
    drop(ManuallyDrop::into_inner(park));
}

#[test]
fn arm_races_duty() {
    loom::model(scenario::<TimerDuty>);
}

/// Without the "computing" mark, the armer reads the stale 3, skips the
/// unpark, and the worker (which missed the timer) sleeps forever (loom:
/// deadlock).
#[test]
fn broken_twin_is_caught() {
    let failure = expect_model_failure(scenario::<twins::timer_duty::TimerDuty>);
    assert!(
        failure.to_lowercase().contains("deadlock"),
        "loom failed for another reason: {failure}"
    );
}
