//! Frees from a thread without a P, gathered while [`super::batch_frees`] runs and
//! handed to the depot at its end: a lock per class and batch instead of
//! one per cell. The monitor thread's registry sweep frees thousands of
//! cells at a time, and taking the depot's lock for each one bounced its
//! cache line against the `block_on` thread spawning from the same depot.
//! Not under loom, whose models never sweep.

use std::cell::RefCell;
use std::ptr::NonNull;

use super::{BATCH, CLASSES, Depot, FreeBlock, Lists, cut, free_chain};

thread_local! {
    /// `Some` while a [`super::batch_frees`] scope runs on this thread.
    static PENDING: RefCell<Option<Lists>> = const { RefCell::new(None) };
}

/// Opens a scope on this thread; false if one is open already.
pub(super) fn open() -> bool {
    PENDING
        .try_with(|p| {
            let mut p = p.borrow_mut();
            if p.is_some() {
                false
            } else {
                *p = Some(Lists::new());
                true
            }
        })
        .unwrap_or(false)
}

/// Keeps `block` of `class` in the open scope; false if none is open.
///
/// # Safety
/// `block` is an unused allocation of `class_layout(class)`.
pub(super) unsafe fn keep(class: usize, block: NonNull<u8>) -> bool {
    PENDING
        .try_with(|p| {
            let mut p = p.borrow_mut();
            let Some(lists) = p.as_mut() else {
                return false;
            };
            let list = &mut lists.classes[class];
            let block = block.cast::<FreeBlock>();
            // SAFETY: the block is ours and fits a `FreeBlock` (rule 3).
            unsafe { block.as_ptr().write(FreeBlock { next: list.head }) };
            list.head = block.as_ptr();
            list.len += 1;
            true
        })
        .unwrap_or(false)
}

/// Closes the scope: its blocks go to `depot` in chains of [`BATCH`];
/// what the depot has no room for goes back to the allocator.
pub(super) fn close(depot: &Depot) {
    let Some(mut lists) = PENDING.try_with(|p| p.borrow_mut().take()).ok().flatten() else {
        return;
    };
    for class in 0..CLASSES {
        let list = &mut lists.classes[class];
        // SAFETY: rule 3: every block we listed holds its link.
        while let Some(chain) = unsafe { cut(list, BATCH) } {
            if let Err(refused) = depot.put_chain(class, chain) {
                // SAFETY: the refused blocks are ours, of `class`.
                unsafe { free_chain(class, refused) };
            }
        }
    }
}
