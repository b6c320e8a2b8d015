//! Loom model of the idle/park/unpark protocol (`runtime/src/sched/idle.rs`
//! and `park.rs`, composed as `worker.rs` composes them): a task submitted
//! to the global queue while the only worker is going to sleep is never
//! stranded. Plus the broken twin.
#![cfg(goro_loom)]

use goro::__loom::{CondvarPark, Idle, Inject, Park};
use goro_loom_tests::harness::expect_model_failure;
use goro_loom_tests::twins;
use loom::sync::Arc;
use loom::thread;

/// The protocol surface the worker needs, so the same worker loop runs
/// against the real `Idle` and the twin.
trait IdleApi: Send + Sync + 'static {
    fn enter_searching(&self) -> bool;
    fn leave_searching(&self) -> bool;
    fn enter_parked(&self, w: usize, searching: bool) -> bool;
    fn leave_parked(&self, w: usize) -> bool;
    fn to_notify(&self) -> Option<usize>;
}

macro_rules! idle_api {
    ($t:ty) => {
        impl IdleApi for $t {
            fn enter_searching(&self) -> bool {
                self.transition_worker_to_searching()
            }
            fn leave_searching(&self) -> bool {
                self.transition_worker_from_searching()
            }
            fn enter_parked(&self, w: usize, s: bool) -> bool {
                self.transition_worker_to_parked(w, s)
            }
            fn leave_parked(&self, w: usize) -> bool {
                self.transition_worker_from_parked(w)
            }
            fn to_notify(&self) -> Option<usize> {
                self.worker_to_notify()
            }
        }
    };
}
idle_api!(Idle);
idle_api!(twins::idle::Idle);

/// One worker's loop, as in `worker.rs`: look, search, park with the last
/// searcher's re-check, repeat until it has run `want` tasks.
fn worker<I: IdleApi>(idle: &I, inject: &Inject<u32>, park: &CondvarPark, want: usize) {
    let mut ran = 0;
    let mut searching = idle.enter_searching();
    while ran < want {
        if inject.pop().is_some() {
            if searching {
                searching = false;
                if idle.leave_searching() {
                    // Rule 3 would wake another worker; there is none.
                }
            }
            ran += 1;
            continue;
        }
        if idle.enter_parked(0, searching) && !inject.is_empty() {
            // Rule 2: the last searcher re-checks before sleeping.
            if let Some(w) = idle.to_notify() {
                assert_eq!(w, 0);
                park.unpark();
            }
        }
        park.park(None);
        searching = idle.leave_parked(0);
    }
}

fn submitter<I: IdleApi>(idle: &I, inject: &Inject<u32>, park: &CondvarPark) {
    inject.push(7).unwrap();
    if let Some(w) = idle.to_notify() {
        assert_eq!(w, 0);
        park.unpark();
    }
}

fn scenario<I: IdleApi>(idle: I) {
    let idle = Arc::new(idle);
    let inject = Arc::new(Inject::<u32>::new());
    let park = Arc::new(CondvarPark::new());
    let (i2, q2, p2) = (idle.clone(), inject.clone(), park.clone());
    let sub = thread::spawn(move || submitter(&*i2, &q2, &p2));
    worker(&*idle, &inject, &park, 1);
    sub.join().unwrap();
}

#[test]
fn submit_races_park() {
    loom::model(|| scenario(Idle::new(1)));
}

/// With a plain load in the submitter's check, the wake-up is lost and the
/// worker sleeps on a queued task (loom: deadlock).
#[test]
fn broken_twin_is_caught() {
    let failure = expect_model_failure(|| scenario(twins::idle::Idle::new(1)));
    assert!(
        failure.to_lowercase().contains("deadlock"),
        "loom failed for another reason: {failure}"
    );
}
