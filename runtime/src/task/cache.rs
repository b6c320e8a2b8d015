//! Recycled task-cell memory: a free list per P and size class (Go's
//! `p.gFree`).
//!
//! A spawn on a worker takes a cell of its size class from the worker's P
//! and a task freed on a worker gives its memory back to that worker's P,
//! so a steady stream of spawns and completions does not go through the
//! allocator at all.
//!
//! Behind the P lists sits the runtime's [`Depot`] (Go's `sched.gFree`): a
//! P whose list of a class is full moves half of it there in one locked
//! splice, and a P whose list is empty refills half a list from it. A
//! thread running `block_on` has a cache of its own for the call, backed by
//! the depot the same way (`cache/thread.rs`); other threads without a P
//! (the blocking pool) take and give single blocks there. Remote spawns
//! thus reuse the cells their tasks freed instead of going to the allocator
//! on one thread and freeing on another (which cost glibc about 330
//! instructions a task in `spawn_many_local`).
//!
//! # Protocol
//!
//! 1. Only the thread holding a P touches that P's cache (the same rule as
//!    the owner end of its run queue, `queue.rs` rule 1). `context` says
//!    which P a thread holds; a P changes hands only across `block_in_place`
//!    (which clears it here first) or a thread spawn. A thread's own cache
//!    (`cache/thread.rs`) is touched only by that thread.
//! 2. A size class is a multiple of [`GRANULE`] bytes aligned to
//!    [`GRANULE`], up to [`LARGEST_CLASS`]. A cell's class is a pure function
//!    of its type's layout, so the memory of a cell allocated in class `c`
//!    goes back to class `c` or is freed with class `c`'s layout. Cells
//!    larger or more aligned than that use their own layout, uncached.
//! 3. A free block holds the link to the next one in its first word; it
//!    holds nothing else and is not a cell any more.
//! 4. A cache keeps at most [`MAX_PER_CLASS`] blocks per class and
//!    [`MAX_BYTES`] in all, and the depot at most [`DEPOT_MAX_BYTES`];
//!    beyond that, freed memory goes to the allocator. A full depot first
//!    makes room by freeing blocks of the class that holds the most bytes
//!    (never the incoming one), so its contents follow the classes in use
//!    now rather than the first burst that filled it. What they keep is
//!    freed when the runtime is dropped.
//! 5. The depot's lists are touched only under its mutex, which also
//!    orders a block's last use by one thread before its reuse by another.

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
/// Blocks moved between a P and the depot at once: half a full list.
const BATCH: usize = MAX_PER_CLASS / 2;
/// Bytes kept in the depot, all classes (per runtime): about 14k idle-task
/// cells, what a burst of remote spawns hands back.
const DEPOT_MAX_BYTES: usize = 2 * 1024 * 1024;

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

impl Lists {
    const fn new() -> Lists {
        Lists {
            classes: [FreeList {
                head: ptr::null_mut(),
                len: 0,
            }; CLASSES],
            bytes: 0,
        }
    }

    /// Frees every block (rule 2: each with its class layout).
    fn free_all(&mut self) {
        for (class, list) in self.classes.iter_mut().enumerate() {
            // SAFETY: whoever calls this owns the lists (rules 1 and 5), so
            // the cut blocks are ours, all of `class`.
            if let Some(chain) = unsafe { cut(list, usize::MAX) } {
                // SAFETY: as above.
                unsafe { free_chain(class, chain) };
            }
        }
        self.bytes = 0;
    }
}

/// A chain of free blocks of one class, linked through their first words.
struct Chain {
    head: *mut FreeBlock,
    tail: *mut FreeBlock,
    len: usize,
}

/// Cuts up to `max` blocks off the front of `list` (`size` bytes each).
///
/// # Safety
/// The caller owns `list` (rule 1 or rule 5).
unsafe fn cut(list: &mut FreeList, max: usize) -> Option<Chain> {
    let head = list.head;
    if head.is_null() || max == 0 {
        return None;
    }
    let mut tail = head;
    let mut len = 1;
    // SAFETY: rule 3: every listed block holds its link.
    unsafe {
        while len < max && !(*tail).next.is_null() {
            tail = (*tail).next;
            len += 1;
        }
        list.head = (*tail).next;
        (*tail).next = ptr::null_mut();
    }
    list.len -= len;
    Some(Chain { head, tail, len })
}

/// Gives every block of `chain` back to the allocator.
///
/// # Safety
/// The caller owns the chain's blocks, all of `class` (rules 2 and 3).
unsafe fn free_chain(class: usize, chain: Chain) {
    let mut next = chain.head;
    while let Some(block) = NonNull::new(next) {
        // SAFETY: rule 3 for the link; rule 2: allocated with its class
        // layout.
        unsafe {
            next = block.as_ptr().read().next;
            dealloc(block.as_ptr().cast(), class_layout(class));
        }
    }
}

/// Puts `chain` in front of `list`.
///
/// # Safety
/// The caller owns `list` and the chain's blocks.
unsafe fn splice(list: &mut FreeList, chain: Chain) {
    // SAFETY: the chain's tail is one of its blocks (rule 3).
    unsafe { (*chain.tail).next = list.head };
    list.head = chain.head;
    list.len += chain.len;
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
    pub(crate) const fn new() -> CellCache {
        CellCache {
            lists: UnsafeCell::new(Lists::new()),
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

    /// Refills an empty list of `class` with up to half a list from the
    /// depot and takes one block.
    ///
    /// # Safety
    /// Rule 1: the caller holds this cache's P.
    #[cold]
    unsafe fn refill(&self, class: usize, depot: &Depot) -> Option<NonNull<u8>> {
        // SAFETY: rule 1.
        let lists = unsafe { &mut *self.lists.get() };
        let size = class_layout(class).size();
        let room = (MAX_BYTES - lists.bytes) / size;
        let chain = depot.take_chain(class, BATCH.min(room))?;
        lists.bytes += chain.len * size;
        // SAFETY: rule 1; the chain's blocks are ours now.
        unsafe { splice(&mut lists.classes[class], chain) };
        // SAFETY: rule 1.
        unsafe { self.pop(class) }
    }

    /// Moves half the list of `class` to the depot (the list is full).
    /// False if the depot is full too.
    ///
    /// # Safety
    /// Rule 1.
    #[cold]
    unsafe fn spill(&self, class: usize, depot: &Depot) -> bool {
        // SAFETY: rule 1.
        let lists = unsafe { &mut *self.lists.get() };
        // SAFETY: rule 1.
        let Some(chain) = (unsafe { cut(&mut lists.classes[class], BATCH) }) else {
            return false;
        };
        let bytes = chain.len * class_layout(class).size();
        match depot.put_chain(class, chain) {
            Ok(()) => {
                lists.bytes -= bytes;
                true
            }
            Err(chain) => {
                // SAFETY: rule 1: back where it came from.
                unsafe { splice(&mut lists.classes[class], chain) };
                false
            }
        }
    }

    /// Keeps a block of `class`, moving half the list to the depot when it
    /// is full; false if both are full (rule 4).
    ///
    /// # Safety
    /// Rule 1, and `block` is an unused allocation of `class_layout(class)`.
    #[inline]
    unsafe fn push(&self, class: usize, block: NonNull<u8>, depot: &Depot) -> bool {
        let size = class_layout(class).size();
        let full = {
            // SAFETY: rule 1.
            let lists = unsafe { &*self.lists.get() };
            lists.classes[class].len >= MAX_PER_CLASS || lists.bytes + size > MAX_BYTES
        };
        // SAFETY: rule 1.
        if full && !unsafe { self.spill(class, depot) } {
            return false;
        }
        // SAFETY: rule 1.
        let lists = unsafe { &mut *self.lists.get() };
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

    /// Moves every block to the depot in chains of [`BATCH`]; what the
    /// depot refuses goes back to the allocator.
    ///
    /// # Safety
    /// Rule 1.
    #[cfg_attr(goro_loom, allow(dead_code))]
    unsafe fn flush(&self, depot: &Depot) {
        // SAFETY: rule 1.
        let lists = unsafe { &mut *self.lists.get() };
        for class in 0..CLASSES {
            // SAFETY: rule 1; rule 3: every listed block holds its link.
            while let Some(chain) = unsafe { cut(&mut lists.classes[class], BATCH) } {
                lists.bytes -= chain.len * class_layout(class).size();
                if let Err(refused) = depot.put_chain(class, chain) {
                    // SAFETY: the refused blocks are ours, of `class`.
                    unsafe { free_chain(class, refused) };
                }
            }
        }
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
        self.lists.get_mut().free_all();
    }
}

mod depot;
pub(crate) use depot::Depot;

/// A cache for a thread without a P (`cache/thread.rs`).
#[cfg(not(goro_loom))]
mod thread;

/// Runs `f` with a cell cache of this thread's own, for a thread without a
/// P that spawns and frees many tasks (a `block_on` call). Its blocks go to
/// `depot` when `f` returns (or unwinds). A nested call just runs `f`
/// inside the outer scope.
pub(crate) fn thread_cache<R>(depot: &Depot, f: impl FnOnce() -> R) -> R {
    #[cfg(not(goro_loom))]
    {
        struct Close<'a>(&'a Depot);
        impl Drop for Close<'_> {
            fn drop(&mut self) {
                thread::close(self.0);
            }
        }
        let _close = thread::open().then(|| Close(depot));
        f()
    }
    #[cfg(goro_loom)]
    {
        let _ = depot;
        f()
    }
}

/// Runs `f` on this thread's own cache, if a [`thread_cache`] scope is
/// open, or (`any`) in any case.
#[inline]
fn with_thread_cache<R>(any: bool, f: impl FnOnce(&CellCache) -> R) -> Option<R> {
    #[cfg(not(goro_loom))]
    {
        if any {
            thread::with_any(f)
        } else {
            thread::with(f)
        }
    }
    #[cfg(goro_loom)]
    {
        let _ = (any, f);
        None
    }
}

/// Memory for a cell of `layout`: from `cache` if the caller holds its P
/// (refilled from `depot` when empty), from `depot` if it holds none, else
/// from the allocator.
///
/// # Safety
/// If `cache` is `Some`, the caller holds its P (rule 1).
#[inline]
pub(crate) unsafe fn alloc_cell(
    cache: Option<&CellCache>,
    depot: &Depot,
    layout: Layout,
) -> NonNull<u8> {
    let layout = match class_of(layout) {
        Some(class) => {
            let reused = match cache {
                // SAFETY: forwarded from the caller.
                Some(cache) => unsafe { cache.pop(class).or_else(|| cache.refill(class, depot)) },
                None => with_thread_cache(true, |cache| {
                    // SAFETY: rule 1: this thread's own cache.
                    unsafe { cache.pop(class).or_else(|| cache.refill(class, depot)) }
                })
                .unwrap_or_else(|| depot.take_one(class)),
            };
            if let Some(block) = reused {
                return block;
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
pub(crate) unsafe fn free_cell(
    cache: Option<&CellCache>,
    depot: &Depot,
    block: NonNull<u8>,
    layout: Layout,
) {
    let Some(class) = class_of(layout) else {
        // SAFETY: allocated with this very layout (rule 2).
        unsafe { dealloc(block.as_ptr(), layout) };
        return;
    };
    let kept = match cache {
        // SAFETY: forwarded from the caller; rule 2: same class.
        Some(cache) => unsafe { cache.push(class, block, depot) },
        None => with_thread_cache(false, |cache| {
            // SAFETY: rule 1: this thread's own cache; the block as above.
            unsafe { cache.push(class, block, depot) }
        })
        // SAFETY: as above.
        .unwrap_or_else(|| unsafe { depot.put_one(class, block) }),
    };
    if kept {
        return;
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

    /// A depot that keeps nothing: the per-P tests see their cache alone.
    fn no_depot() -> Depot {
        let depot = Depot::new();
        depot.lists.lock().0.bytes = DEPOT_MAX_BYTES;
        depot
    }

    fn take(cache: &CellCache, l: Layout) -> NonNull<u8> {
        // SAFETY: each test is the only user of its cache (rule 1).
        unsafe { alloc_cell(Some(cache), &no_depot(), l) }
    }

    /// Tests free every block once, with the layout it was taken with.
    fn give(cache: Option<&CellCache>, block: NonNull<u8>, l: Layout) {
        // SAFETY: as in `take`, and by the tests' discipline above.
        unsafe { free_cell(cache, &no_depot(), block, l) }
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

    #[test]
    fn a_full_list_spills_half_to_the_depot_and_an_empty_one_refills() {
        let depot = Depot::new();
        let cache = CellCache::new();
        let l = layout(144, 8);
        let n = MAX_PER_CLASS + 1;
        // SAFETY: this test is the only user of the cache (rule 1).
        let take = || unsafe { alloc_cell(Some(&cache), &depot, l) };
        // SAFETY: as above; every block is given back once, with its layout.
        let give = |b| unsafe { free_cell(Some(&cache), &depot, b, l) };
        let blocks: Vec<_> = (0..n).map(|_| take()).collect();
        for b in &blocks {
            give(*b);
        }
        // The 65th free found the list full: half went to the depot.
        let kept = MAX_PER_CLASS - BATCH + 1;
        assert_eq!(cache.held(), (kept, kept * 144));
        assert_eq!(depot.held(), (BATCH, BATCH * 144));
        // Drain the list, then take one more: a refill of half a list.
        let mut out: Vec<_> = (0..kept).map(|_| take()).collect();
        assert_eq!(cache.held(), (0, 0));
        out.push(take());
        assert_eq!(cache.held(), (BATCH - 1, (BATCH - 1) * 144));
        assert_eq!(depot.held(), (0, 0));
        // Reused memory only: nothing new was allocated.
        assert!(out.iter().all(|b| blocks.contains(b)));
        for b in out {
            give(b);
        }
        // The drops free what is kept (Miri checks for leaks).
        drop(cache);
        drop(depot);
    }

    #[test]
    fn threads_without_a_p_use_the_depot_one_block_at_a_time() {
        let depot = Depot::new();
        let l = layout(100, 8);
        // SAFETY: no cache; the depot is shared by design.
        let a = unsafe { alloc_cell(None, &depot, l) };
        // SAFETY: given back once, with its layout.
        unsafe { free_cell(None, &depot, a, l) };
        assert_eq!(depot.held(), (1, 112));
        // SAFETY: as above.
        let b = unsafe { alloc_cell(None, &depot, l) };
        assert_eq!(a, b);
        assert_eq!(depot.held(), (0, 0));
        // A full depot frees to the allocator.
        depot.lists.lock().0.bytes = DEPOT_MAX_BYTES;
        // SAFETY: as above.
        unsafe { free_cell(None, &depot, b, l) };
        assert_eq!(depot.held(), (0, DEPOT_MAX_BYTES));
        depot.lists.lock().0.bytes = 0;
    }

    #[test]
    fn a_thread_cache_serves_its_own_frees_and_empties_into_the_depot() {
        let depot = Depot::new();
        let l = layout(100, 8);
        // SAFETY: no cache; the depot is shared by design.
        let blocks: Vec<_> = (0..70)
            .map(|_| unsafe { alloc_cell(None, &depot, l) })
            .collect();
        let first = blocks[0];
        thread_cache(&depot, || {
            // A free and the next allocation meet in the thread's cache.
            // SAFETY: given back once, with its layout; then taken again.
            let again = unsafe {
                free_cell(None, &depot, first, l);
                alloc_cell(None, &depot, l)
            };
            assert_eq!(again, first);
            assert_eq!(depot.held(), (0, 0));
            for b in blocks {
                // SAFETY: each given back once, with its layout.
                unsafe { free_cell(None, &depot, b, l) };
            }
            // The list filled at 64 and spilled a batch of 32.
            assert_eq!(depot.held(), (BATCH, BATCH * 112));
            // A nested scope does not close the outer one.
            thread_cache(&depot, || {});
            assert_eq!(depot.held(), (BATCH, BATCH * 112));
        });
        // Closing hands everything to the depot; nothing was lost.
        assert_eq!(depot.held(), (70, 70 * 112));
        let again = thread_cache(&depot, || {
            // SAFETY: as above.
            let again: Vec<_> = (0..70)
                .map(|_| unsafe { alloc_cell(None, &depot, l) })
                .collect();
            assert_eq!(depot.held(), (0, 0));
            again
        });
        assert!(again.contains(&first));
        for b in again {
            // SAFETY: as above, outside any scope: one at a time.
            unsafe { free_cell(None, &depot, b, l) };
        }
        assert_eq!(depot.held(), (70, 70 * 112));
    }

    #[test]
    fn a_full_depot_evicts_the_largest_other_class_never_the_incoming_one() {
        let depot = Depot::new();
        let (old, new) = (layout(128, 16), layout(100, 8));
        // SAFETY: no cache; each block is given back once, with its layout.
        let olds: Vec<_> = (0..2)
            .map(|_| unsafe { alloc_cell(None, &depot, old) })
            .collect();
        // SAFETY: as above.
        let news: Vec<_> = (0..3)
            .map(|_| unsafe { alloc_cell(None, &depot, new) })
            .collect();
        // All but two 128-byte blocks' worth is taken (by blocks not listed).
        depot.lists.lock().0.bytes = DEPOT_MAX_BYTES - 256;
        for b in olds {
            // SAFETY: as above.
            unsafe { free_cell(None, &depot, b, old) };
        }
        assert_eq!(depot.held(), (2, DEPOT_MAX_BYTES));
        // The depot is full of an earlier workload's class: a block of the
        // class in use now displaces them (a batch at a time, here both).
        // SAFETY: as above.
        unsafe { free_cell(None, &depot, news[0], new) };
        assert_eq!(depot.held(), (1, DEPOT_MAX_BYTES - 256 + 112));
        // SAFETY: as above.
        unsafe { free_cell(None, &depot, news[1], new) };
        assert_eq!(depot.held(), (2, DEPOT_MAX_BYTES - 256 + 224));
        // No other class has blocks left: the incoming class is refused
        // rather than evicting its own, and goes to the allocator.
        depot.lists.lock().0.bytes = DEPOT_MAX_BYTES;
        // SAFETY: as above.
        unsafe { free_cell(None, &depot, news[2], new) };
        assert_eq!(depot.held(), (2, DEPOT_MAX_BYTES));
        // The two kept blocks are the new class's, reused first.
        // SAFETY: as above.
        let again = unsafe { alloc_cell(None, &depot, new) };
        assert!(again == news[1] || again == news[0]);
        // SAFETY: as above.
        unsafe { dealloc(again.as_ptr(), class_layout(class_of(new).unwrap())) };
    }

    #[test]
    fn a_thread_cache_closing_on_a_full_depot_frees_to_the_allocator() {
        let depot = no_depot();
        let l = layout(100, 8);
        // SAFETY: as in the test above.
        let blocks: Vec<_> = (0..40)
            .map(|_| unsafe { alloc_cell(None, &depot, l) })
            .collect();
        thread_cache(&depot, || {
            for b in blocks {
                // SAFETY: as above.
                unsafe { free_cell(None, &depot, b, l) };
            }
        });
        // Nothing kept; Miri reports a leak if a block went nowhere.
        assert_eq!(depot.held(), (0, DEPOT_MAX_BYTES));
        depot.lists.lock().0.bytes = 0;
    }
}
