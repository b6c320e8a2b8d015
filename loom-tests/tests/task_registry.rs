//! Loom models of the registry's slot table (`runtime/src/task/registry/
//! slots.rs`): a walk racing a completion never looks at a released task;
//! a shutdown take racing a completion releases the task exactly once;
//! claimers racing on one shard (through its growth) never share a slot.
//! Plus the broken twin, whose completion ignores walkers.
#![cfg(goro_loom)]

use std::ptr::NonNull;

use goro::__loom::Slots;
use goro_loom_tests::harness::expect_model_failure;
use goro_loom_tests::twins;
use loom::sync::Arc;
use loom::sync::atomic::Ordering::{AcqRel, Acquire, Release};
use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize};
use loom::thread;

/// A stand-in task: a reference count and a "freed" flag set by the last
/// release (the memory itself stays, so a late look is detected, not UB).
struct Task {
    refs: AtomicUsize,
    freed: AtomicBool,
}

impl Task {
    fn new(refs: usize) -> Arc<Task> {
        Arc::new(Task {
            refs: AtomicUsize::new(refs),
            freed: AtomicBool::new(false),
        })
    }

    fn look(&self) {
        assert!(!self.freed.load(Acquire), "walker looked at a freed task");
    }
}

unsafe fn release(task: NonNull<Task>) {
    // SAFETY: the model keeps every task alive (an `Arc`) to its end.
    let task = unsafe { task.as_ref() };
    let prev = task.refs.fetch_sub(1, AcqRel);
    assert!(prev > 0, "a reference was released twice");
    if prev == 1 {
        task.freed.store(true, Release);
    }
}

fn ptr(task: &Arc<Task>) -> NonNull<Task> {
    NonNull::from(&**task)
}

/// A claimed slot, carried to another model thread.
struct Slot(NonNull<AtomicPtr<Task>>);
// SAFETY: slots are shared atomics by design (the table is `Sync`).
unsafe impl Send for Slot {}

fn table(shards: usize) -> Arc<Slots<Task>> {
    Arc::new(Slots::new(shards, release))
}

/// A thread that completes `task`: clears its slot, then drops its own
/// reference.
fn completer(slots: &Arc<Slots<Task>>, task: &Arc<Task>, slot: Slot) -> thread::JoinHandle<()> {
    let (slots, task) = (slots.clone(), task.clone());
    thread::spawn(move || {
        let slot = slot;
        // SAFETY: claimed for this task; we hold our reference.
        unsafe { slots.release(slot.0, ptr(&task)) };
        // SAFETY: the completer's own reference.
        unsafe { release(ptr(&task)) };
    })
}

#[test]
fn a_walk_never_sees_a_released_task() {
    loom::model(|| {
        // The registry's reference and the completer's own.
        let task = Task::new(2);
        let slots = table(1);
        let slot = Slot(slots.claim(0, ptr(&task)));
        let completer = completer(&slots, &task, slot);
        slots.walk(Task::look);
        completer.join().unwrap();
        assert!(task.freed.load(Acquire), "the task was never released");
        assert!(slots.is_empty());
    });
}

#[test]
fn a_take_and_a_completion_release_the_task_once() {
    loom::model(|| {
        let task = Task::new(2);
        let slots = table(1);
        let slot = Slot(slots.claim(0, ptr(&task)));
        let completer = completer(&slots, &task, slot);
        // SAFETY: the take hands over the registry's reference.
        slots.take_all(|t| unsafe { release(t) });
        completer.join().unwrap();
        assert_eq!(task.refs.load(Acquire), 0);
        assert!(task.freed.load(Acquire));
    });
}

#[test]
fn racing_claimers_through_growth_never_share_a_slot() {
    loom::model(|| {
        // Three claims on one shard whose first segment has two slots.
        let tasks: Vec<_> = (0..3).map(|_| Task::new(1)).collect();
        let slots = table(1);
        let claimers: Vec<_> = tasks[1..]
            .iter()
            .map(|t| {
                let (slots, t) = (slots.clone(), t.clone());
                thread::spawn(move || Slot(slots.claim(0, ptr(&t))))
            })
            .collect();
        let mut claimed = vec![slots.claim(0, ptr(&tasks[0]))];
        claimed.extend(claimers.into_iter().map(|c| c.join().unwrap().0));
        assert_eq!(slots.len(), 3);
        for (slot, task) in claimed.iter().zip(&tasks) {
            // SAFETY: each slot was claimed for its task; the model holds
            // the tasks.
            unsafe { slots.release(*slot, ptr(task)) };
        }
        assert!(slots.is_empty());
        assert!(tasks.iter().all(|t| t.freed.load(Acquire)));
    });
}

/// The twin releases under a walker, which then looks at a freed task.
#[test]
fn broken_twin_is_caught() {
    let failure = expect_model_failure(|| {
        let task = Task::new(2);
        let slots = Arc::new(twins::registry_slots::Slots::new(1, release));
        let slot = slots.claim(ptr(&task));
        let completer = {
            let (slots, task) = (slots.clone(), task.clone());
            thread::spawn(move || {
                // SAFETY: as in the real model.
                unsafe { slots.release(slot, ptr(&task)) };
                // SAFETY: as above.
                unsafe { release(ptr(&task)) };
            })
        };
        slots.walk(Task::look);
        completer.join().unwrap();
    });
    assert!(
        failure.contains("freed task"),
        "loom failed for another reason: {failure}"
    );
}
