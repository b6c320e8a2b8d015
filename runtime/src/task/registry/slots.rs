//! The registry's slot table: every live task holds one slot, and gives it
//! up the moment it completes.
//!
//! A slot is an `AtomicPtr` in a shard's table; an occupied slot holds the
//! task (and with it one task reference, "the registry's reference"), a
//! free one holds null. Each thread claims slots in its own shard (one per
//! worker, one for threads without a worker), so claims do not contend;
//! completion clears the slot wherever the task ran, and no list is
//! unlinked, so neither end takes a lock. Tokio's `OwnedTasks` instead
//! locks a sharded list on spawn and on completion; goro's first registry
//! pushed onto a list and unlinked completed tasks later in a sweep, which
//! kept every completed cell alive (and out of the cell caches) until the
//! sweep came round.
//!
//! # Protocol
//!
//! 1. **Claim.** A claimer scans its shard from the shard's cursor for a
//!    null slot and takes it with a compare-exchange (null → task,
//!    release), so two claimers of the remote shard never take one slot.
//!    The release publishes the task's initialised header to walkers.
//! 2. **Growth.** A shard's table is a list of segments, segment `k`
//!    holding `BASE << k` slots; segments never move or shrink while the
//!    table lives, so a slot's address stays valid. A scan that reaches
//!    the end of the table after skipping more than half of it (or finds
//!    no free slot at all) adds a segment, under `grow`, so claims scan
//!    about two slots each, amortised.
//! 3. **Release.** The task's completion (or the shutdown that takes it)
//!    clears the slot with a compare-exchange (task → null); whoever wins
//!    owns the registry's reference. Completion loses only to
//!    [`Slots::take_all`], which then owns it; a slot is never cleared by a
//!    task that does not hold it, even after reuse.
//! 4. **Walks pin.** A walk reads tasks out of slots and looks at them, so
//!    a task must not be freed under it. Before it looks, the walker tags
//!    the slot (task → task|1, a compare-exchange); after, it puts the
//!    plain task back. A completer that finds its task tagged replaces the
//!    tag with [`RELEASED`] instead of clearing the slot, and leaves the
//!    reference alone: the walker, finding `RELEASED` where it left its
//!    tag, clears the slot and releases the reference itself (after its
//!    lock, since a release may run user `Drop` code). Every step is a
//!    read-modify-write on the slot itself, so the hand-over needs no
//!    store-load fence on the completion path (a walker count checked by
//!    each completer would: Dekker's pattern). Claimers skip tagged and
//!    `RELEASED` slots, which are not null.
//! 5. Walks and [`Slots::take_all`] hold `lock`, so at most one walker
//!    tags slots, and a take (which releases what it takes) never frees a
//!    task a walk is looking at.
//!
//! Slots are never returned to the allocator while the table lives: a
//! shard keeps room for its peak of live tasks (8 bytes each), as Go keeps
//! every G it ever made in `allgs`.

use std::ptr::{self, NonNull};

use crate::sync::Mutex;
use crate::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use crate::sync::atomic::{AtomicPtr, AtomicUsize};

/// Slots in a shard's first segment (rule 2). Under loom, 2, so models
/// reach growth with a handful of tasks; the logic is unchanged.
#[cfg(not(goro_loom))]
const BASE: usize = 64;
#[cfg(goro_loom)]
const BASE: usize = 2;
/// Segments per shard: `BASE << 40` slots in all, more than any machine
/// can hold tasks for. Under loom, 8 (fewer modelled atomics).
#[cfg(not(goro_loom))]
const SEGMENTS: usize = 40;
#[cfg(goro_loom)]
const SEGMENTS: usize = 8;

struct Shard<T> {
    /// Segment `k`: `BASE << k` slots, or null until the shard grows to it.
    segments: Box<[AtomicPtr<AtomicPtr<T>>]>,
    /// Slots in the allocated segments.
    cap: AtomicUsize,
    /// Where the next claim starts scanning (a hint).
    cursor: AtomicUsize,
    /// Occupied slots skipped by claims since the scan last wrapped.
    skipped: AtomicUsize,
    grow: Mutex<()>,
}

/// A table of task slots (see the module header).
pub struct Slots<T> {
    shards: Box<[Shard<T>]>,
    /// Held by walks and takes (rule 5).
    lock: Mutex<()>,
    /// Gives up one reference to an item (the registry's).
    release: unsafe fn(NonNull<T>),
}

/// An item pointer that may cross threads (the table's items are `Sync`).
struct Item<T>(NonNull<T>);

// SAFETY: items are tasks, shared across threads by design; the table only
// moves the pointer and its reference.
unsafe impl<T: Sync> Send for Item<T> {}

/// What a completer leaves in a slot a walker has tagged (rule 4): not
/// null (claimers skip it) and never a task's address (tasks are aligned).
fn released<T>() -> *mut T {
    ptr::without_provenance_mut(1)
}

/// `item` with the walker's tag (rule 4).
fn tagged<T>(item: *mut T) -> *mut T {
    item.map_addr(|a| a | 1)
}

// SAFETY: every field is an atomic, a mutex or immutable; the raw items
// belong to threads only as rules 3 to 5 say.
unsafe impl<T: Sync> Sync for Slots<T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Send for Slots<T> {}

/// Segment and offset of slot `index` (rule 2: segment `k` starts at
/// `BASE * (2^k - 1)`).
#[inline]
fn locate(index: usize) -> (usize, usize) {
    let unit = index / BASE + 1;
    let segment = (usize::BITS - 1 - unit.leading_zeros()) as usize;
    (segment, index - BASE * ((1 << segment) - 1))
}

impl<T> Shard<T> {
    fn new() -> Shard<T> {
        Shard {
            segments: (0..SEGMENTS)
                .map(|_| AtomicPtr::new(ptr::null_mut()))
                .collect(),
            cap: AtomicUsize::new(0),
            cursor: AtomicUsize::new(0),
            skipped: AtomicUsize::new(0),
            grow: Mutex::new(()),
        }
    }

    /// Slot `index`, which is below a `cap` this thread has loaded.
    #[inline]
    fn slot(&self, index: usize) -> &AtomicPtr<T> {
        let (segment, offset) = locate(index);
        let base = self.segments[segment].load(Acquire);
        // SAFETY: rule 2: `index < cap`, and `cap` is published (release)
        // after the segment holding it, which lives as long as the table.
        unsafe { &*base.add(offset) }
    }

    /// Adds a segment if the table still has `seen` slots (rule 2).
    #[cold]
    fn grow(&self, seen: usize) {
        let _guard = self.grow.lock();
        let cap = self.cap.load(Relaxed);
        if cap != seen {
            return;
        }
        let (segment, _) = locate(cap);
        let slots: Box<[AtomicPtr<T>]> = (0..BASE << segment)
            .map(|_| AtomicPtr::new(ptr::null_mut()))
            .collect();
        let base = Box::into_raw(slots).cast::<AtomicPtr<T>>();
        self.segments[segment].store(base, Release);
        self.cap.store(cap + (BASE << segment), Release);
    }

    fn allocated(&self) -> usize {
        self.cap.load(Acquire)
    }
}

impl<T> Drop for Shard<T> {
    fn drop(&mut self) {
        for (k, segment) in self.segments.iter_mut().enumerate() {
            let base = segment.load(Relaxed);
            if base.is_null() {
                continue;
            }
            let slice = ptr::slice_from_raw_parts_mut(base, BASE << k);
            // SAFETY: made by `Box::into_raw` in `grow` with this length;
            // the table is being dropped, so nobody holds a slot.
            drop(unsafe { Box::from_raw(slice) });
        }
    }
}

impl<T: Sync> Slots<T> {
    /// A table with `shards` shards; `release` gives up the reference a
    /// slot holds.
    pub fn new(shards: usize, release: unsafe fn(NonNull<T>)) -> Slots<T> {
        Slots {
            shards: (0..shards).map(|_| Shard::new()).collect(),
            lock: Mutex::new(()),
            release,
        }
    }

    /// Puts `item` (with the reference it brings) in a free slot of
    /// `shard` (rules 1 and 2) and returns the slot, for [`Slots::release`].
    ///
    /// # Panics
    /// If `shard` is not below the table's shard count.
    pub fn claim(&self, shard: usize, item: NonNull<T>) -> NonNull<AtomicPtr<T>> {
        debug_assert!(item.as_ptr().addr() & 1 == 0, "rule 4 needs the low bit");
        let sh = &self.shards[shard];
        loop {
            let cap = sh.allocated();
            if cap == 0 {
                sh.grow(0);
                continue;
            }
            let mut index = sh.cursor.load(Relaxed);
            let mut skipped = 0;
            let mut grown = false;
            for _ in 0..cap {
                if index >= cap {
                    // The scan wraps: grow if the lap found the table more
                    // than half full, and claim in the new segment.
                    let lap = sh.skipped.swap(0, Relaxed) + skipped;
                    skipped = 0;
                    if lap > cap / 2 {
                        sh.grow(cap);
                        grown = true;
                        break;
                    }
                    index = 0;
                }
                let slot = sh.slot(index);
                index += 1;
                if slot.load(Relaxed).is_null()
                    && slot
                        .compare_exchange(ptr::null_mut(), item.as_ptr(), Release, Relaxed)
                        .is_ok()
                {
                    sh.cursor.store(index, Relaxed);
                    if skipped > 0 {
                        sh.skipped.fetch_add(skipped, Relaxed);
                    }
                    return NonNull::from(slot);
                }
                skipped += 1;
            }
            if !grown {
                // A whole lap without a free slot.
                sh.grow(cap);
            }
            sh.cursor.store(cap, Relaxed);
        }
    }

    /// Completion: clears `item`'s `slot` and gives up the registry's
    /// reference, or leaves it to the walker looking at the task (rules 3
    /// and 4). Nothing happens if a take got there first.
    ///
    /// # Safety
    /// `slot` came from [`Slots::claim`] for `item` on this table, and the
    /// caller holds a reference to `item` of its own for this call.
    #[inline]
    pub unsafe fn release(&self, slot: NonNull<AtomicPtr<T>>, item: NonNull<T>) {
        // SAFETY: rule 2: slots live as long as the table.
        let slot = unsafe { slot.as_ref() };
        let plain = item.as_ptr();
        let mut expected = plain;
        loop {
            // A plain slot is cleared; a tagged one gets the marker.
            let new = if expected == plain {
                ptr::null_mut()
            } else {
                released()
            };
            match slot.compare_exchange(expected, new, AcqRel, Acquire) {
                Ok(_) if new.is_null() => {
                    // SAFETY: rule 3: clearing the slot gave us the
                    // reference, and no walker has the task tagged.
                    unsafe { (self.release)(item) };
                    return;
                }
                // Rule 4: the walker releases it.
                Ok(_) => return,
                // The walker tagged or untagged it meanwhile: try again.
                Err(now) if now == plain || now == tagged(plain) => expected = now,
                // Rule 3: a take owns it (the slot may hold another task
                // by now).
                Err(_) => return,
            }
        }
    }

    /// Calls `f` on every task in a slot, pinning each while `f` looks at
    /// it (rules 4 and 5).
    pub fn walk(&self, mut f: impl FnMut(&T)) {
        let mut orphans = Vec::new();
        {
            let _guard = self.lock.lock();
            for sh in self.shards.iter() {
                for index in 0..sh.allocated() {
                    let slot = sh.slot(index);
                    let item = slot.load(Acquire);
                    if item.is_null() || item == released() {
                        continue;
                    }
                    // Rule 5: no other walker tags, so `item` is plain.
                    if slot
                        .compare_exchange(item, tagged(item), Acquire, Relaxed)
                        .is_err()
                    {
                        continue; // completed (or taken) just now
                    }
                    // SAFETY: rule 4: tagged, so its completion leaves the
                    // registry's reference to us: the task stays alive.
                    f(unsafe { &*item });
                    if slot
                        .compare_exchange(tagged(item), item, Release, Acquire)
                        .is_err()
                    {
                        // Rule 4: it completed while we looked (the slot
                        // holds `RELEASED`); the reference is ours.
                        slot.store(ptr::null_mut(), Release);
                        // SAFETY: `item` was in the slot, so not null.
                        orphans.push(Item(unsafe { NonNull::new_unchecked(item) }));
                    }
                }
            }
        }
        for Item(item) in orphans {
            // SAFETY: rule 4: handed to us by its completer.
            unsafe { (self.release)(item) };
        }
    }

    /// Empties every slot and hands each task, with the registry's
    /// reference, to `f` after the lock is released (rules 3 and 5).
    pub fn take_all(&self, mut f: impl FnMut(NonNull<T>)) {
        let mut taken = Vec::new();
        {
            let _guard = self.lock.lock();
            for sh in self.shards.iter() {
                for index in 0..sh.allocated() {
                    // Rule 5: no walk runs, so a slot is null or a task.
                    let item = sh.slot(index).swap(ptr::null_mut(), AcqRel);
                    if let Some(item) = NonNull::new(item) {
                        taken.push(Item(item));
                    }
                }
            }
        }
        for Item(item) in taken {
            f(item);
        }
    }

    /// Tasks in slots now (a walk that only counts).
    #[cfg(any(test, goro_loom))]
    pub fn len(&self) -> usize {
        let mut n = 0;
        self.walk(|_| n += 1);
        n
    }

    /// True if no slot holds a task.
    #[cfg(any(test, goro_loom))]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Slots allocated in all shards.
    #[cfg(any(test, goro_loom))]
    pub fn capacity(&self) -> usize {
        self.shards.iter().map(Shard::allocated).sum()
    }
}

impl<T> Drop for Slots<T> {
    fn drop(&mut self) {
        // Exclusive access: no walker, no completer. Release what is left.
        for sh in self.shards.iter() {
            for index in 0..sh.cap.load(Relaxed) {
                let item = sh.slot(index).swap(ptr::null_mut(), Relaxed);
                if let Some(item) = NonNull::new(item) {
                    // SAFETY: rule 3: an occupied slot holds a reference.
                    unsafe { (self.release)(item) };
                }
            }
        }
    }
}

#[cfg(all(test, not(goro_loom)))]
mod tests {
    use super::*;
    use crate::sync::atomic::AtomicUsize as Count;
    use crate::sync::atomic::Ordering::SeqCst as Sc;

    /// A test item: counts the releases it receives.
    #[derive(Default)]
    struct Item {
        released: Count,
    }

    unsafe fn count(item: NonNull<Item>) {
        // SAFETY: the tests keep every item alive for the table's life.
        unsafe { item.as_ref() }.released.fetch_add(1, Sc);
    }

    fn table(shards: usize) -> Slots<Item> {
        Slots::new(shards, count)
    }

    fn items(n: usize) -> Vec<Item> {
        (0..n).map(|_| Item::default()).collect()
    }

    #[test]
    fn locate_maps_every_index_to_its_segment() {
        let mut index = 0;
        for segment in 0..6 {
            for offset in 0..BASE << segment {
                assert_eq!(locate(index), (segment, offset));
                index += 1;
            }
        }
    }

    #[test]
    fn claims_fill_a_segment_then_grow_and_completion_frees_for_reuse() {
        let all = items(BASE + 1);
        let t = table(1);
        let slots: Vec<_> = all[..BASE]
            .iter()
            .map(|i| t.claim(0, NonNull::from(i)))
            .collect();
        assert_eq!(t.capacity(), BASE);
        let extra = t.claim(0, NonNull::from(&all[BASE]));
        assert_eq!(t.capacity(), BASE + 2 * BASE);
        assert_eq!(t.len(), BASE + 1);
        // SAFETY: each slot was claimed for that item; the items outlive it.
        unsafe { t.release(slots[3], NonNull::from(&all[3])) };
        assert_eq!(all[3].released.load(Sc), 1);
        assert_eq!(t.len(), BASE);
        // A second release of the same item finds the slot cleared.
        // SAFETY: as above.
        unsafe { t.release(slots[3], NonNull::from(&all[3])) };
        assert_eq!(all[3].released.load(Sc), 1);
        // SAFETY: as above.
        unsafe { t.release(extra, NonNull::from(&all[BASE])) };
        assert_eq!(t.len(), BASE - 1);
    }

    #[test]
    fn a_release_during_a_walk_waits_for_the_walk_to_end() {
        let all = items(2);
        let t = table(2);
        let _a = t.claim(0, NonNull::from(&all[0]));
        let b = t.claim(1, NonNull::from(&all[1]));
        let mut seen = 0;
        t.walk(|item| {
            seen += 1;
            if std::ptr::eq(item, &all[1]) {
                // The task completes while the walk looks at it: its
                // reference is left to the walk (rule 4).
                // SAFETY: claimed for that item.
                unsafe { t.release(b, NonNull::from(&all[1])) };
                assert_eq!(all[1].released.load(Sc), 0);
            }
        });
        assert_eq!(seen, 2);
        assert_eq!(all[1].released.load(Sc), 1);
        assert_eq!(all[0].released.load(Sc), 0);
        assert_eq!(t.len(), 1);
        // The slot is free again (not left holding the marker).
        // SAFETY: slots live as long as the table.
        assert!(unsafe { b.as_ref() }.load(Relaxed).is_null());
    }

    #[test]
    fn take_all_owns_what_it_takes_and_a_late_completion_does_nothing() {
        let all = items(BASE);
        let fresh = items(1);
        let t = table(1);
        let slots: Vec<_> = all.iter().map(|i| t.claim(0, NonNull::from(i))).collect();
        let mut taken = 0;
        t.take_all(|item| {
            taken += 1;
            // SAFETY: the take handed over the reference.
            unsafe { count(item) };
        });
        assert_eq!(taken, BASE);
        assert!(t.is_empty());
        // SAFETY: claimed for that item.
        unsafe { t.release(slots[0], NonNull::from(&all[0])) };
        assert!(all.iter().all(|i| i.released.load(Sc) == 1));
        // The scan wraps to the first slot, cleared by the take; the old
        // item's completion then leaves the new one alone (rule 3).
        let again = t.claim(0, NonNull::from(&fresh[0]));
        assert_eq!(again, slots[0]);
        // SAFETY: claimed for `all[0]` earlier; the table compares items.
        unsafe { t.release(slots[0], NonNull::from(&all[0])) };
        assert_eq!(t.len(), 1);
        drop(t);
        assert_eq!(fresh[0].released.load(Sc), 1, "drop releases what is left");
    }

    #[test]
    fn churn_around_long_lived_items_keeps_the_table_small() {
        let long = items(300);
        let short = items(8);
        let t = table(1);
        for i in &long {
            t.claim(0, NonNull::from(i));
        }
        for round in 0..5_000 {
            let i = &short[round % short.len()];
            let slot = t.claim(0, NonNull::from(i));
            // SAFETY: just claimed for `i`.
            unsafe { t.release(slot, NonNull::from(i)) };
        }
        assert_eq!(t.len(), 300);
        // Peak 308 live: the table stays within a few doublings of it.
        assert!(t.capacity() <= 4 * 308, "capacity {}", t.capacity());
    }
}
