//! The runtime's depot of free cell memory (Go's `sched.gFree`): the
//! lists behind the per-P caches, for threads without a P and for P lists
//! that run full or empty (rules 4 and 5 of `cache.rs`).

use std::ptr::{self, NonNull};

use super::{
    BATCH, CLASSES, Chain, DEPOT_MAX_BYTES, FreeBlock, Lists, class_layout, cut, free_chain, splice,
};
use crate::sync::Mutex;

/// What [`make_room`] found.
enum Room {
    /// The blocks fit as they are.
    Fits,
    /// They fit once this chain of the given class (cut off the lists) is
    /// freed; the caller frees it after unlocking.
    Evicted(usize, Chain),
    /// No single other class can make room: refuse the blocks.
    Full,
}

/// Rule 4: if `bytes` more do not fit in the depot's `lists`, cuts enough
/// blocks (at least a batch, if it has them) off the class other than
/// `incoming` that holds the most bytes. Without it a depot filled by one
/// workload (14k 128-byte cells after a ping-pong burst, measured) refuses
/// every block of the classes in use afterwards, and their spawns and frees
/// go to the allocator for good.
fn make_room(lists: &mut Lists, incoming: usize, bytes: usize) -> Room {
    let need = (lists.bytes + bytes).saturating_sub(DEPOT_MAX_BYTES);
    if need == 0 {
        return Room::Fits;
    }
    // The common full depot holds one class only (a burst of one task
    // type): refuse at once, without a scan under the lock.
    let own = lists.classes[incoming].len * class_layout(incoming).size();
    if lists.bytes <= own {
        return Room::Full;
    }
    let Some(victim) = (0..CLASSES)
        .filter(|&c| c != incoming)
        .max_by_key(|&c| lists.classes[c].len * class_layout(c).size())
    else {
        return Room::Full;
    };
    let size = class_layout(victim).size();
    let (held, needed) = (lists.classes[victim].len, need.div_ceil(size));
    if held < needed {
        return Room::Full;
    }
    // A batch at a time, so that the scan above runs once per batch of
    // puts rather than on each.
    // SAFETY: rule 5: the caller holds the lists.
    match unsafe { cut(&mut lists.classes[victim], needed.max(BATCH.min(held))) } {
        Some(chain) => {
            lists.bytes -= chain.len * size;
            Room::Evicted(victim, chain)
        }
        None => Room::Full,
    }
}

/// The runtime's shared store of free blocks (rules 4 and 5).
pub(crate) struct Depot {
    pub(super) lists: Mutex<DepotLists>,
}

pub(super) struct DepotLists(pub(super) Lists);

// SAFETY: the lists hold plain memory owned by whoever holds the lists
// (rule 3); the mutex hands them between threads (rule 5).
unsafe impl Send for DepotLists {}

impl Depot {
    pub(crate) fn new() -> Depot {
        Depot {
            lists: Mutex::new(DepotLists(Lists::new())),
        }
    }

    /// One block of `class`, for a thread without a P.
    pub(super) fn take_one(&self, class: usize) -> Option<NonNull<u8>> {
        let mut guard = self.lists.lock();
        let lists = &mut guard.0;
        // SAFETY: rule 5: we hold the lists.
        let chain = unsafe { cut(&mut lists.classes[class], 1) }?;
        lists.bytes -= class_layout(class).size();
        NonNull::new(chain.head.cast())
    }

    /// Keeps one block of `class` from a thread without a P; false if full.
    ///
    /// # Safety
    /// `block` is an unused allocation of `class_layout(class)`.
    pub(super) unsafe fn put_one(&self, class: usize, block: NonNull<u8>) -> bool {
        let block = block.cast::<FreeBlock>().as_ptr();
        // SAFETY: the block is ours and fits a `FreeBlock` (rule 3).
        unsafe {
            block.write(FreeBlock {
                next: ptr::null_mut(),
            })
        };
        let chain = Chain {
            head: block,
            tail: block,
            len: 1,
        };
        self.put_chain(class, chain).is_ok()
    }

    /// Takes a chain of up to `max` blocks of `class`.
    pub(super) fn take_chain(&self, class: usize, max: usize) -> Option<Chain> {
        let mut guard = self.lists.lock();
        let lists = &mut guard.0;
        // SAFETY: rule 5.
        let chain = unsafe { cut(&mut lists.classes[class], max) }?;
        lists.bytes -= chain.len * class_layout(class).size();
        Some(chain)
    }

    /// Keeps `chain` of `class`, or gives it back if the depot is full.
    pub(super) fn put_chain(&self, class: usize, chain: Chain) -> Result<(), Chain> {
        let bytes = chain.len * class_layout(class).size();
        let mut guard = self.lists.lock();
        let lists = &mut guard.0;
        let room = make_room(lists, class, bytes);
        if let Room::Full = room {
            return Err(chain);
        }
        // SAFETY: rule 5, and the chain's blocks are ours.
        unsafe { splice(&mut lists.classes[class], chain) };
        lists.bytes += bytes;
        drop(guard);
        if let Room::Evicted(victim, evicted) = room {
            // SAFETY: `make_room` cut these blocks of `victim` off our lists.
            unsafe { free_chain(victim, evicted) };
        }
        Ok(())
    }

    /// Blocks and bytes held now (for tests).
    #[cfg(test)]
    pub(crate) fn held(&self) -> (usize, usize) {
        let guard = self.lists.lock();
        (guard.0.classes.iter().map(|l| l.len).sum(), guard.0.bytes)
    }
}

impl Drop for Depot {
    fn drop(&mut self) {
        self.lists.lock().0.free_all();
    }
}
