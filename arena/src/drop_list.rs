//! The drop list: destructors the arena owes, run on `reset` and on drop.
//!
//! Only [`Arena::alloc_owned`](crate::Arena::alloc_owned) adds to it. Each
//! entry lives in the arena itself, right next to its value, so recording a
//! destructor costs one extra bump and one pointer store; types without drop
//! glue never reach this module.
//!
//! Entries form an intrusive LIFO list, so destructors run in reverse
//! allocation order. An entry is unlinked *before* its destructor runs: if a
//! destructor panics, the remaining entries stay on the list and run at the
//! next `reset` or when the arena is dropped; none runs twice.

use core::cell::Cell;
use core::ptr::NonNull;

/// One owed destructor.
pub(crate) struct DropEntry {
    next: Option<NonNull<DropEntry>>,
    drop_fn: unsafe fn(NonNull<u8>),
    value: NonNull<u8>,
}

impl DropEntry {
    /// An entry that will drop the `T` at `value`.
    pub(crate) fn new<T>(value: NonNull<T>) -> Self {
        DropEntry {
            next: None,
            drop_fn: drop_value::<T>,
            value: value.cast(),
        }
    }
}

/// Type-erased `drop_in_place::<T>`.
///
/// # Safety
///
/// `value` points to a live, initialised `T` that nothing uses afterwards.
unsafe fn drop_value<T>(value: NonNull<u8>) {
    // SAFETY: the caller's contract.
    unsafe { core::ptr::drop_in_place(value.cast::<T>().as_ptr()) }
}

/// Head of the intrusive list.
#[derive(Default)]
pub(crate) struct DropList {
    head: Cell<Option<NonNull<DropEntry>>>,
}

impl DropList {
    /// Pushes `entry`, which must already sit in arena memory.
    ///
    /// # Safety
    ///
    /// `entry` is initialised, stays valid until the list runs, and the
    /// value it names stays valid and unused once the list runs.
    #[inline]
    pub(crate) unsafe fn push(&self, entry: NonNull<DropEntry>) {
        // SAFETY: the entry is ours to link (caller).
        unsafe { (*entry.as_ptr()).next = self.head.get() };
        self.head.set(Some(entry));
    }

    /// Number of owed destructors (walks the list; for stats and tests).
    pub(crate) fn len(&self) -> usize {
        let mut n = 0;
        let mut cur = self.head.get();
        while let Some(e) = cur {
            n += 1;
            // SAFETY: entries stay valid while on the list (push contract).
            cur = unsafe { (*e.as_ptr()).next };
        }
        n
    }

    /// Runs every owed destructor, newest first.
    ///
    /// # Safety
    ///
    /// No reference to any listed value is alive (the arena holds `&mut`).
    pub(crate) unsafe fn run(&self) {
        while let Some(entry) = self.head.get() {
            // SAFETY: entries stay valid while on the list (push contract).
            let DropEntry {
                next,
                drop_fn,
                value,
            } = unsafe { entry.as_ptr().read() };
            // Unlink first: a panicking destructor leaves the rest listed.
            self.head.set(next);
            // SAFETY: the value is live and unused (caller), and its entry is
            // gone from the list, so it is dropped exactly once.
            unsafe { drop_fn(value) };
        }
    }
}
