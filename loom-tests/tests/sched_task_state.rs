//! Loom models of the task state word (`runtime/src/task/state.rs`): wake
//! while running, wake after completion, abort against completion, and
//! the join handle's drop and waker races; plus the broken twin.
#![cfg(goro_loom)]

use goro::__loom::{State, ToIdle, ToRunning, WakeByVal};
use goro_loom_tests::harness::expect_model_failure;
use goro_loom_tests::twins;
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::sync::atomic::AtomicBool;
use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::{Acquire, Release, SeqCst};
use loom::thread;

/// A task about to be polled (its one run-queue entry held by the poller)
/// races a waker that signals an event and wakes it by reference. Either
/// the poll saw the event, or exactly one new queue entry exists (the
/// poller's re-queue or the waker's submit), so the event is never missed
/// and the task is never queued twice.
#[test]
fn wake_while_running() {
    loom::model(|| {
        let state = Arc::new(State::new(1));
        let event = Arc::new(AtomicBool::new(false));
        let (s2, e2) = (state.clone(), event.clone());
        let waker = thread::spawn(move || {
            e2.store(true, Release);
            usize::from(s2.transition_to_notified_by_ref())
        });
        assert_eq!(state.transition_to_running(), ToRunning::Poll);
        let saw = event.load(Acquire);
        let requeued = match state.transition_to_idle() {
            ToIdle::Requeue => 1,
            ToIdle::Idle => 0,
            ToIdle::Cancel => unreachable!(),
        };
        let submitted = waker.join().unwrap();
        assert!(requeued + submitted <= 1, "queued twice");
        assert!(saw || requeued + submitted == 1, "wake lost");
        let snap = state.load();
        assert_eq!(snap.ref_count(), 1 + submitted, "reference count drifted");
    });
}

/// A by-value wake racing completion: the waker's reference is released
/// exactly once and nothing is queued for a complete task.
#[test]
fn wake_after_completion() {
    loom::model(|| {
        // References: the poller's entry and one waker.
        let state = Arc::new(State::new(2));
        let s2 = state.clone();
        let waker = thread::spawn(move || s2.transition_to_notified_by_val());
        let mut queued = 0;
        if state.transition_to_running() == ToRunning::Poll {
            state.transition_to_complete();
        }
        match waker.join().unwrap() {
            WakeByVal::Submit => queued += 1,
            WakeByVal::Done => {}
            WakeByVal::Dealloc => panic!("the poller still holds a reference"),
        }
        let snap = state.load();
        assert!(snap.is_complete());
        if queued == 1 {
            // Only possible if the wake came before the poll started; then
            // the entry runs later and finds the task complete.
            assert_eq!(state.transition_to_running(), ToRunning::Skip);
        }
        // The poller drops its entry: exactly the waker's fate remains.
        assert!(!state.ref_dec() || queued == 0);
    });
}

/// `abort` racing a task that completes: exactly one completion, and no
/// queue entry is created for an already complete task.
#[test]
fn abort_against_completion() {
    loom::model(|| {
        let state = Arc::new(State::new(1));
        let s2 = state.clone();
        let aborter = thread::spawn(move || s2.transition_to_notified_and_cancel());
        let completions = match state.transition_to_running() {
            ToRunning::Poll | ToRunning::Cancel => {
                state.transition_to_complete();
                1
            }
            ToRunning::Skip => 0,
        };
        let submitted = aborter.join().unwrap();
        assert_eq!(completions, 1);
        assert!(
            !submitted,
            "abort queued a task that was queued, running or done"
        );
        assert!(state.load().is_complete());
    });
}

/// The join handle is dropped while the task completes: the output is
/// dropped exactly once, by whichever side rule 3 names.
#[test]
fn join_handle_drop_races_completion() {
    loom::model(|| {
        let state = Arc::new(State::new(2));
        let output = Arc::new(UnsafeCell::new(None::<Arc<()>>));
        let marker = Arc::new(());
        let (s2, o2, m2) = (state.clone(), output.clone(), marker.clone());
        let completer = thread::spawn(move || {
            assert_eq!(s2.transition_to_running(), ToRunning::Poll);
            // SAFETY: (model) RUNNING gives the stage to this thread.
            o2.with_mut(|o| unsafe { *o = Some(m2) });
            let prev = s2.transition_to_complete();
            if !prev.is_join_interested() {
                // SAFETY: (model) rule 3: nobody will read the output.
                o2.with_mut(|o| unsafe { (*o).take() });
            }
        });
        if state.unset_join_interested().is_err() {
            // SAFETY: (model) rule 3: complete while interested: ours.
            output.with_mut(|o| unsafe { (*o).take() });
        }
        completer.join().unwrap();
        assert_eq!(Arc::strong_count(&marker), 1, "output leaked");
    });
}

/// The join handle publishes its waker while the task completes: either
/// the handle sees completion itself, or the completer sees the waker and
/// wakes it. The waker cell is never accessed concurrently.
#[test]
fn join_waker_races_completion() {
    loom::model(|| {
        let state = Arc::new(State::new(2));
        let waker_cell = Arc::new(UnsafeCell::new(None::<Arc<AtomicUsize>>));
        let woken = Arc::new(AtomicUsize::new(0));
        let (s2, w2) = (state.clone(), waker_cell.clone());
        let completer = thread::spawn(move || {
            assert_eq!(s2.transition_to_running(), ToRunning::Poll);
            let prev = s2.transition_to_complete();
            if prev.is_join_waker_set() {
                // SAFETY: (model) rule 4: published before our transition.
                w2.with(|w| unsafe {
                    (*w).as_ref().unwrap().fetch_add(1, SeqCst);
                });
            }
        });
        let mut saw_complete = state.load().is_complete();
        if !saw_complete {
            // SAFETY: (model) rule 4: both bits clear: the cell is ours.
            waker_cell.with_mut(|w| unsafe { *w = Some(woken.clone()) });
            saw_complete = state.set_join_waker().is_err();
        }
        completer.join().unwrap();
        assert!(
            saw_complete || woken.load(SeqCst) == 1,
            "join handle neither saw completion nor was woken"
        );
    });
}

/// The twin's non-atomic by-reference wake loses the wake-up when it races
/// the end of a poll.
#[test]
fn broken_twin_is_caught() {
    let failure = expect_model_failure(|| {
        use twins::task_state::{State, ToIdle, ToRunning};
        let state = Arc::new(State::new(1));
        let event = Arc::new(AtomicBool::new(false));
        let (s2, e2) = (state.clone(), event.clone());
        let waker = thread::spawn(move || {
            e2.store(true, Release);
            usize::from(s2.transition_to_notified_by_ref())
        });
        assert_eq!(state.transition_to_running(), ToRunning::Poll);
        let saw = event.load(Acquire);
        let requeued = usize::from(state.transition_to_idle() == ToIdle::Requeue);
        let submitted = waker.join().unwrap();
        assert!(saw || requeued + submitted == 1, "wake lost");
    });
    assert!(
        failure.contains("wake lost"),
        "loom failed for another reason: {failure}"
    );
}
