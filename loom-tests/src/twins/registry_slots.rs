//! Broken twin of goro's registry slot table (`task/registry/slots.rs`):
//! the walk loads a task from its slot and looks at it *without tagging
//! the slot first* (rule 4 dropped), so a completion that clears the slot
//! meanwhile releases the registry's reference under the walker, which
//! then looks at a released task. One shard, no growth: the broken step is
//! the walk.

use std::ptr::{self, NonNull};

use loom::sync::Mutex;
use loom::sync::atomic::AtomicPtr;
use loom::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

/// The twin table: a fixed row of slots.
pub struct Slots<T> {
    slots: Vec<AtomicPtr<T>>,
    lock: Mutex<()>,
    release: unsafe fn(NonNull<T>),
}

// SAFETY: a test twin holding pointers to `Sync` items, as the real table.
unsafe impl<T: Sync> Sync for Slots<T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Send for Slots<T> {}

impl<T: Sync> Slots<T> {
    /// A table of `n` slots releasing references with `release`.
    pub fn new(n: usize, release: unsafe fn(NonNull<T>)) -> Slots<T> {
        Slots {
            slots: (0..n).map(|_| AtomicPtr::new(ptr::null_mut())).collect(),
            lock: Mutex::new(()),
            release,
        }
    }

    /// Claims the first free slot for `item`.
    pub fn claim(&self, item: NonNull<T>) -> usize {
        for (i, slot) in self.slots.iter().enumerate() {
            if slot
                .compare_exchange(ptr::null_mut(), item.as_ptr(), Release, Relaxed)
                .is_ok()
            {
                return i;
            }
        }
        panic!("twin table full");
    }

    /// Completion, as the real one when no walker has tagged the slot.
    ///
    /// # Safety
    /// As the real `Slots::release`.
    pub unsafe fn release(&self, slot: usize, item: NonNull<T>) {
        if self.slots[slot]
            .compare_exchange(item.as_ptr(), ptr::null_mut(), AcqRel, Acquire)
            .is_ok()
        {
            // SAFETY: clearing the slot gave us the reference.
            unsafe { (self.release)(item) };
        }
    }

    /// The broken walk: looks at each task without pinning it.
    pub fn walk(&self, mut f: impl FnMut(&T)) {
        let _guard = self.lock.lock().unwrap();
        for slot in &self.slots {
            // SAFETY: none here (the bug); the model's items stay in memory
            // and carry a "freed" flag, so the late look is detected.
            if let Some(item) = unsafe { slot.load(Acquire).as_ref() } {
                f(item);
            }
        }
    }
}
