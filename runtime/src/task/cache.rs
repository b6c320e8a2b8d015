//! Recycled task-cell memory: a free list per P and size class (Go's
//! `p.gFree`).
//!
//! A spawn on a worker takes a cell of its size class from the worker's P
//! and a task freed on a worker gives its memory back to that worker's P,
//! so a steady stream of spawns and completions does not go through the
//! allocator at all. Off the workers (the `block_on` thread, the blocking
//! pool) the allocator is used as before.
//!
//! # Protocol
//!
//! 1. Only the thread holding a P touches that P's cache (the same rule as
//!    the owner end of its run queue, `queue.rs` rule 1). `context` says
//!    which P a thread holds; a P changes hands only across `block_in_place`
//!    (which clears it here first) or a thread spawn.
//! 2. A size class is a multiple of [`GRANULE`] bytes aligned to
//!    [`GRANULE`], up to [`LARGEST_CLASS`]. A cell's class is a pure function
//!    of its type's layout, so the memory of a cell allocated in class `c`
//!    goes back to class `c` or is freed with class `c`'s layout. Cells
//!    larger or more aligned than that use their own layout, uncached.
//! 3. A free block holds the link to the next one in its first word; it
//!    holds nothing else and is not a cell any more.
//! 4. A cache keeps at most [`MAX_PER_CLASS`] blocks per class and
//!    [`MAX_BYTES`] in all; beyond that, freed memory goes to the allocator.
//!    What it keeps is freed when the P is dropped with the runtime.

use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use std::cell::UnsafeCell;
use std::ptr::{self, NonNull};

/// Class granularity and alignment (what glibc's malloc rounds to anyway).
pub(crate) const GRANULE: usize = 16;
/// Number of size classes: cells up to `CLASSES * GRANULE` bytes.
const CLASSES: usize = 64;
/// The largest cached cell, in bytes.
pub(crate) const LARGEST_CLASS: usize = CLASSES * GRANULE;
/// Blocks kept per class (Go keeps 64 free Gs per P).
const MAX_PER_CLASS: usize = 64;
/// Bytes kept per P in all classes.
const MAX_BYTES: usize = 256 * 1024;

/// The size class of `layout`, if it has one (rule 2).
#[inline]
pub(crate) const fn class_of(layout: Layout) -> Option<usize> {
    if layout.size() == 0 || layout.size() > LARGEST_CLASS || layout.align() > GRANULE {
        None
    } else {
        Some((layout.size() - 1) / GRANULE)
    }
}

fn class_layout(class: usize) -> Layout {
    match Layout::from_size_align((class + 1) * GRANULE, GRANULE) {
        Ok(l) => l,
        Err(_) => unreachable!("class sizes are small multiples of the granule"),
    }
}

/// Rule 3: what a free block holds.
struct FreeBlock {
    next: *mut FreeBlock,
}

#[derive(Clone, Copy)]
struct FreeList {
    head: *mut FreeBlock,
    len: usize,
}

struct Lists {
    classes: [FreeList; CLASSES],
    bytes: usize,
}

/// One P's free lists.
pub(crate) struct CellCache {
    lists: UnsafeCell<Lists>,
}

// SAFETY: rule 1: the lists are touched only by the thread holding the P,
// and a P changes hands only with a happens-before edge (thread spawn, or
// `block_in_place` handing the P to a thread it starts).
unsafe impl Sync for CellCache {}
// SAFETY: the blocks are plain memory owned by the cache (rule 3).
unsafe impl Send for CellCache {}

impl CellCache {
    pub(crate) fn new() -> CellCache {
        CellCache {
            lists: UnsafeCell::new(Lists {
                classes: [FreeList {
                    head: ptr::null_mut(),
                    len: 0,
                }; CLASSES],
                bytes: 0,
            }),
        }
    }

    /// Takes a block of `class`.
    ///
    /// # Safety
    /// Rule 1: the caller holds this cache's P.
    #[inline]
    unsafe fn pop(&self, class: usize) -> Option<NonNull<u8>> {
        // SAFETY: rule 1: no other thread touches the lists now.
        let lists = unsafe { &mut *self.lists.get() };
        let list = &mut lists.classes[class];
        let block = NonNull::new(list.head)?;
        // SAFETY: rule 3: a listed block holds its link.
        list.head = unsafe { block.as_ptr().read().next };
        list.len -= 1;
        lists.bytes -= class_layout(class).size();
        Some(block.cast())
    }

    /// Keeps a block of `class`; false if the cache is full (rule 4).
    ///
    /// # Safety
    /// Rule 1, and `block` is an unused allocation of `class_layout(class)`.
    #[inline]
    unsafe fn push(&self, class: usize, block: NonNull<u8>) -> bool {
        // SAFETY: rule 1.
        let lists = unsafe { &mut *self.lists.get() };
        let size = class_layout(class).size();
        let list = &mut lists.classes[class];
        if list.len >= MAX_PER_CLASS || lists.bytes + size > MAX_BYTES {
            return false;
        }
        let block = block.cast::<FreeBlock>();
        // SAFETY: the block is ours, at least GRANULE bytes and aligned to
        // it, which fits a `FreeBlock` (rule 3).
        unsafe { block.as_ptr().write(FreeBlock { next: list.head }) };
        list.head = block.as_ptr();
        list.len += 1;
        lists.bytes += size;
        true
    }

    /// Blocks and bytes held now (for tests).
    #[cfg(test)]
    pub(crate) fn held(&self) -> (usize, usize) {
        // SAFETY: tests call this with the runtime idle or gone; no holder
        // touches the lists meanwhile.
        let lists = unsafe { &*self.lists.get() };
        (lists.classes.iter().map(|l| l.len).sum(), lists.bytes)
    }
}

impl Drop for CellCache {
    fn drop(&mut self) {
        let lists = self.lists.get_mut();
        for (class, list) in lists.classes.iter_mut().enumerate() {
            let mut next = list.head;
            while let Some(block) = NonNull::new(next) {
                // SAFETY: rule 3: a listed block holds its link, and rule 2:
                // it was allocated with its class layout.
                unsafe {
                    next = block.as_ptr().read().next;
                    dealloc(block.as_ptr().cast(), class_layout(class));
                }
            }
            list.head = ptr::null_mut();
            list.len = 0;
        }
        lists.bytes = 0;
    }
}

/// Memory for a cell of `layout`: from `cache` if the caller holds its P
/// and it has a block of the class, else from the allocator.
///
/// # Safety
/// If `cache` is `Some`, the caller holds its P (rule 1).
#[inline]
pub(crate) unsafe fn alloc_cell(cache: Option<&CellCache>, layout: Layout) -> NonNull<u8> {
    let layout = match class_of(layout) {
        Some(class) => {
            if let Some(cache) = cache {
                // SAFETY: forwarded from the caller.
                if let Some(block) = unsafe { cache.pop(class) } {
                    return block;
                }
            }
            class_layout(class)
        }
        None => layout,
    };
    // SAFETY: cell layouts are never zero-sized (a cell has a header).
    let raw = unsafe { alloc(layout) };
    match NonNull::new(raw) {
        Some(p) => p,
        None => handle_alloc_error(layout),
    }
}

/// Gives back the memory of a dropped cell of `layout`.
///
/// # Safety
/// `block` came from [`alloc_cell`] with the same `layout`, its cell has
/// been dropped, and if `cache` is `Some` the caller holds its P.
#[inline]
pub(crate) unsafe fn free_cell(cache: Option<&CellCache>, block: NonNull<u8>, layout: Layout) {
    let Some(class) = class_of(layout) else {
        // SAFETY: allocated with this very layout (rule 2).
        unsafe { dealloc(block.as_ptr(), layout) };
        return;
    };
    if let Some(cache) = cache {
        // SAFETY: forwarded from the caller; rule 2: same class.
        if unsafe { cache.push(class, block) } {
            return;
        }
    }
    // SAFETY: allocated with the class layout (rule 2).
    unsafe { dealloc(block.as_ptr(), class_layout(class)) };
}

#[cfg(all(test, not(goro_loom)))]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    fn take(cache: &CellCache, l: Layout) -> NonNull<u8> {
        // SAFETY: each test is the only user of its cache (rule 1).
        unsafe { alloc_cell(Some(cache), l) }
    }

    /// Tests free every block once, with the layout it was taken with.
    fn give(cache: Option<&CellCache>, block: NonNull<u8>, l: Layout) {
        // SAFETY: as in `take`, and by the tests' discipline above.
        unsafe { free_cell(cache, block, l) }
    }

    #[test]
    fn classes_cover_small_cells_only() {
        assert_eq!(class_of(layout(1, 1)), Some(0));
        assert_eq!(class_of(layout(16, 8)), Some(0));
        assert_eq!(class_of(layout(17, 8)), Some(1));
        assert_eq!(class_of(layout(LARGEST_CLASS, 16)), Some(CLASSES - 1));
        assert_eq!(class_of(layout(LARGEST_CLASS + 1, 8)), None);
        assert_eq!(class_of(layout(64, 64)), None);
        for size in 1..=LARGEST_CLASS {
            let c = class_of(layout(size, 8)).unwrap();
            assert!(class_layout(c).size() >= size && class_layout(c).size() - size < GRANULE);
        }
    }

    #[test]
    fn freed_memory_is_reused_lifo_within_its_class() {
        let cache = CellCache::new();
        let l = layout(120, 8);
        let a = take(&cache, l);
        let b = take(&cache, l);
        assert_ne!(a, b);
        give(Some(&cache), a, l);
        give(Some(&cache), b, l);
        assert_eq!(cache.held(), (2, 256));
        assert_eq!(take(&cache, l), b);
        // Another size in the same class gets the other block.
        let l2 = layout(113, 16);
        assert_eq!(take(&cache, l2), a);
        assert_eq!(cache.held(), (0, 0));
        // A different class does not.
        let c = take(&cache, layout(64, 8));
        assert!(c != a && c != b);
        give(Some(&cache), a, l2);
        give(Some(&cache), b, l);
        give(None, c, layout(64, 8));
        assert_eq!(cache.held(), (2, 256));
        drop(cache); // frees the two kept blocks (Miri checks for leaks)
    }

    #[test]
    fn the_cache_is_bounded_per_class() {
        let cache = CellCache::new();
        let l = layout(48, 8);
        let n = MAX_PER_CLASS + 5;
        let blocks: Vec<_> = (0..n).map(|_| take(&cache, l)).collect();
        for b in blocks {
            give(Some(&cache), b, l);
        }
        assert_eq!(cache.held(), (MAX_PER_CLASS, MAX_PER_CLASS * 48));
    }

    #[test]
    fn the_cache_is_bounded_in_bytes() {
        let cache = CellCache::new();
        // Five full classes of the largest sizes would exceed the cap.
        let layouts: Vec<_> = (0..5)
            .map(|k| layout(LARGEST_CLASS - k * GRANULE, 16))
            .collect();
        let mut blocks = Vec::new();
        for &l in &layouts {
            for _ in 0..MAX_PER_CLASS {
                blocks.push((take(&cache, l), l));
            }
        }
        for (b, l) in blocks {
            give(Some(&cache), b, l);
        }
        let (_, bytes) = cache.held();
        assert!(
            bytes <= MAX_BYTES && bytes > MAX_BYTES - LARGEST_CLASS,
            "{bytes}"
        );
    }

    #[test]
    fn large_and_overaligned_cells_bypass_the_cache() {
        let cache = CellCache::new();
        for l in [layout(LARGEST_CLASS + 8, 8), layout(64, 64)] {
            let p = take(&cache, l);
            assert_eq!(p.as_ptr() as usize % l.align(), 0);
            give(Some(&cache), p, l);
            assert_eq!(cache.held(), (0, 0));
        }
    }
}
