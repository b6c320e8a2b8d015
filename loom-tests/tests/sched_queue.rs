//! Loom models of goro's local run queue (`runtime/src/sched/queue.rs`,
//! capacity 4 under loom) and its broken twin.
#![cfg(goro_loom)]

use goro::__loom::{CAPACITY, Local, Overflow};
use goro_loom_tests::harness::expect_model_failure;
use goro_loom_tests::twins;
use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::SeqCst;
use loom::sync::{Arc, Mutex};
use loom::thread;

/// Collects overflow batches (the global queue in the runtime).
#[derive(Default)]
struct Spill(Mutex<Vec<usize>>);

impl Overflow<usize> for Spill {
    fn push_batch(&self, batch: Vec<usize>) {
        self.0.lock().unwrap().extend(batch);
    }
}

/// Every value pushed comes out exactly once: via the owner's pops, a
/// stealer, or the overflow.
fn check_all_once(seen: &[usize], n: usize) {
    let mut s = seen.to_vec();
    s.sort();
    assert_eq!(s, (0..n).collect::<Vec<_>>(), "lost or duplicated entries");
}

/// Owner pushes and pops while one stealer takes half.
#[test]
fn push_pop_steal() {
    loom::model(|| {
        let q = Arc::new(Local::<usize>::new());
        let spill = Arc::new(Spill::default());
        let thief_q = Local::<usize>::new();
        let victim = q.clone();
        let stealer = thread::spawn(move || {
            let mut got = Vec::new();
            if let Some(t) = victim.steal_into(&thief_q) {
                got.push(t);
                while let Some(t) = thief_q.pop() {
                    got.push(t);
                }
            }
            got
        });
        let mut seen = Vec::new();
        for i in 0..3 {
            q.push_back(i, &*spill);
        }
        if let Some(t) = q.pop() {
            seen.push(t);
        }
        q.push_back(3, &*spill);
        while let Some(t) = q.pop() {
            seen.push(t);
        }
        seen.extend(stealer.join().unwrap());
        seen.extend(spill.0.lock().unwrap().drain(..));
        check_all_once(&seen, 4);
    });
}

/// The owner overflows the ring (half goes to the overflow) while a
/// stealer is mid-steal.
#[test]
fn overflow_during_steal() {
    loom::model(|| {
        let q = Arc::new(Local::<usize>::new());
        let spill = Arc::new(Spill::default());
        let victim = q.clone();
        let stealer = thread::spawn(move || {
            let mine = Local::<usize>::new();
            let mut got = Vec::new();
            if let Some(t) = victim.steal_into(&mine) {
                got.push(t);
                while let Some(t) = mine.pop() {
                    got.push(t);
                }
            }
            got
        });
        let n = CAPACITY + 2;
        for i in 0..n {
            q.push_back(i, &*spill);
        }
        let mut seen = stealer.join().unwrap();
        while let Some(t) = q.pop() {
            seen.push(t);
        }
        seen.extend(spill.0.lock().unwrap().drain(..));
        check_all_once(&seen, n);
    });
}

/// Two stealers race each other and the owner.
#[test]
fn two_stealers() {
    loom::model(|| {
        let q = Arc::new(Local::<usize>::new());
        let spill = Spill::default();
        for i in 0..4 {
            q.push_back(i, &spill);
        }
        let taken = Arc::new(AtomicUsize::new(0));
        let thieves: Vec<_> = (0..2)
            .map(|_| {
                let victim = q.clone();
                let taken = taken.clone();
                thread::spawn(move || {
                    let mine = Local::<usize>::new();
                    let mut got = Vec::new();
                    if let Some(t) = victim.steal_into(&mine) {
                        got.push(t);
                        while let Some(t) = mine.pop() {
                            got.push(t);
                        }
                    }
                    taken.fetch_add(got.len(), SeqCst);
                    got
                })
            })
            .collect();
        let mut seen = Vec::new();
        if let Some(t) = q.pop() {
            seen.push(t);
        }
        for th in thieves {
            seen.extend(th.join().unwrap());
        }
        while let Some(t) = q.pop() {
            seen.push(t);
        }
        check_all_once(&seen, 4);
    });
}

/// The twin publishes `tail` with `Relaxed`: a stealer reads a slot whose
/// write it has no happens-before edge to.
#[test]
fn broken_twin_is_caught() {
    let failure = expect_model_failure(|| {
        let q = Arc::new(twins::queue::Local::<Box<usize>>::new());
        let victim = q.clone();
        let stealer = thread::spawn(move || {
            let mine = twins::queue::Local::<Box<usize>>::new();
            victim.steal_into(&mine).map(|b| *b)
        });
        struct Nowhere;
        impl Overflow<Box<usize>> for Nowhere {
            fn push_batch(&self, _: Vec<Box<usize>>) {}
        }
        q.push_back(Box::new(1), &Nowhere);
        let _ = stealer.join().unwrap();
    });
    assert!(
        failure.to_lowercase().contains("causality"),
        "loom failed for another reason: {failure}"
    );
}
