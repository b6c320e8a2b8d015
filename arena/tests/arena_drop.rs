//! The drop policy: `alloc` refuses drop glue at compile time (see the
//! `compile_fail` doctest on `Arena`); `alloc_owned` records destructors that
//! run on reset and on drop.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use goro_arena::Arena;

/// Records its id in a shared log when dropped.
struct Noisy(u32, Arc<Mutex<Vec<u32>>>);

impl Drop for Noisy {
    fn drop(&mut self) {
        self.1.lock().unwrap().push(self.0);
    }
}

#[test]
fn owned_values_drop_on_reset_newest_first() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut arena = Arena::new();
    for i in 0..5 {
        arena.alloc_owned(Noisy(i, log.clone()));
    }
    assert_eq!(arena.pending_drops(), 5);
    assert!(log.lock().unwrap().is_empty());
    arena.reset();
    assert_eq!(*log.lock().unwrap(), vec![4, 3, 2, 1, 0]);
    assert_eq!(arena.pending_drops(), 0);
    // A second reset runs nothing twice.
    arena.reset();
    assert_eq!(log.lock().unwrap().len(), 5);
}

#[test]
fn owned_values_drop_with_the_arena() {
    let log = Arc::new(Mutex::new(Vec::new()));
    {
        let arena = Arena::new();
        let n = arena.alloc_owned(Noisy(7, log.clone()));
        n.0 = 8;
        let v = arena.alloc_owned(vec![1, 2, 3]);
        v.push(4);
    }
    assert_eq!(*log.lock().unwrap(), vec![8]);
}

#[test]
fn types_without_drop_glue_record_nothing() {
    let arena = Arena::new();
    arena.alloc_owned(5u64);
    arena.alloc_owned([1u8; 3]);
    assert_eq!(arena.pending_drops(), 0);
}

#[test]
fn heap_memory_of_owned_values_is_released() {
    // Under Miri, a leaked String would be reported at exit.
    let mut arena = Arena::new();
    for i in 0..10 {
        arena.alloc_owned(format!("string number {i}"));
    }
    arena.reset();
}

#[test]
fn a_panicking_destructor_leaves_the_rest_for_later() {
    thread_local!(static DROPPED: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) });
    struct Bomb(u32);
    impl Drop for Bomb {
        fn drop(&mut self) {
            DROPPED.with(|d| d.borrow_mut().push(self.0));
            if self.0 == 2 {
                panic!("boom");
            }
        }
    }
    let mut arena = Arena::new();
    for i in 0..4 {
        arena.alloc_owned(Bomb(i));
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| arena.reset()));
    assert!(outcome.is_err());
    assert_eq!(DROPPED.with(|d| d.borrow().clone()), vec![3, 2]);
    assert_eq!(arena.pending_drops(), 2);
    arena.reset();
    assert_eq!(DROPPED.with(|d| d.borrow().clone()), vec![3, 2, 1, 0]);
}

#[test]
fn arena_vec_drops_its_elements() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let arena = Arena::new();
    let mut v = goro_arena::Vec::new_in(&arena);
    for i in 0..3 {
        v.push(Noisy(i, log.clone()));
    }
    drop(v.pop());
    assert_eq!(*log.lock().unwrap(), vec![2]);
    drop(v);
    assert_eq!(*log.lock().unwrap(), vec![2, 0, 1]);
}
