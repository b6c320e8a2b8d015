//! The arena's chunk management: the cold slow path (new, spare and
//! dedicated chunks) and `reset` (drop list, retain budget, merging). The
//! lists and steps are described in the header of the parent module.

use core::alloc::Layout;
use core::ptr::NonNull;

use super::{
    Arena, CHUNK_ALIGN, Dir, LOW_FLOOR, MAX_CHUNK_SIZE, MIN_ALIGN, chunk_bytes_for, empty_finger,
    round_up,
};
use crate::chunk::{self, ChunkHeader};
use crate::error::{AllocError, AllocErrorKind};
use crate::huge_pages::{self, HUGE_CHUNK_MIN, HUGE_PAGE};

impl Arena {
    /// Runs the drop list, then makes every chunk free for reuse.
    ///
    /// The largest chunks that fit the retain budget together are kept; the
    /// rest go back to the global allocator. A round that needed several
    /// chunks gets them merged into one (one allocation, in this call); after
    /// that, a workload that fit before fits again, at the same addresses,
    /// without calling the global allocator. See the module docs for the
    /// steps.
    pub fn reset(&mut self) {
        // SAFETY: `&mut self`: no reference into the arena is alive.
        unsafe { self.drops.run() };
        self.current.set(None);
        self.top.set(empty_finger());
        self.low.set(empty_finger());
        if self.allocated.get() > self.retain {
            self.trim_to(self.retain);
        }
        // Dedicated chunks that sat idle for a whole round go back.
        let idle_big = self.spare_big.take();
        // SAFETY: spare chunks are live and unused.
        unsafe { self.free_list(idle_big) };
        // Split the chunks used this round by kind. `used` is newest first;
        // reversing restores the order of first use.
        let mut normal: Option<NonNull<ChunkHeader>> = None;
        let mut big: Option<NonNull<ChunkHeader>> = None;
        let mut normal_count = 0usize;
        let mut normal_bytes = 0usize;
        let mut cur = self.used.take();
        while let Some(c) = cur {
            // SAFETY: every chunk on our lists is live; we relink as we go.
            unsafe {
                cur = chunk::next(c);
                if chunk::is_dedicated(c) {
                    chunk::set_next(c, big);
                    big = Some(c);
                } else {
                    normal_count += 1;
                    normal_bytes += chunk::size_of_chunk(c);
                    chunk::set_next(c, normal);
                    normal = Some(c);
                }
            }
        }
        // Normal spares left unused this round stay behind the used ones.
        let spare = self.spare.take();
        // SAFETY: live, disjoint lists.
        let mut normal = unsafe { append(normal, spare) };
        let mut c = spare;
        while let Some(s) = c {
            // SAFETY: live chunk.
            unsafe {
                normal_count += 1;
                normal_bytes += chunk::size_of_chunk(s);
                c = chunk::next(s);
            }
        }
        if normal_count > 1 {
            // The round spilled over several chunks: replace them with one
            // chunk of their total size, so the next round bumps (and grows
            // its vectors) in one block, with no chunk switch and no copy.
            // SAFETY: live chunks, unused (`&mut self`).
            unsafe { self.free_list(normal) };
            // Out of memory: start the next round empty instead.
            normal = self
                .new_chunk(normal_bytes, normal_bytes, CHUNK_ALIGN, false)
                .ok();
        }
        self.spare.set(normal);
        self.spare_big.set(big);
        // The round starts like the first one, with no current chunk: the
        // first allocation takes the slow path once and picks up the spare.
        // Every later slow-path decision sees the same state as in the
        // previous round, so a repeated workload lands at the same addresses
        // (tests/arena_props.rs checks this).
    }

    /// Frees every chunk of a list.
    ///
    /// # Safety
    ///
    /// The chunks are live, on no other list, and unused.
    unsafe fn free_list(&self, mut list: Option<NonNull<ChunkHeader>>) {
        while let Some(c) = list {
            // SAFETY: the caller's contract.
            unsafe {
                list = chunk::next(c);
                self.allocated
                    .set(self.allocated.get() - chunk::size_of_chunk(c));
                self.chunks.set(self.chunks.get() - 1);
                chunk::free_chunk(c);
            }
        }
    }

    /// Keeps the largest chunks that fit in `budget` bytes together and
    /// frees the others. Only called from `reset` when over budget (a rare,
    /// already slow path, so it may use a temporary `Vec`).
    fn trim_to(&mut self, budget: usize) {
        let lists = [&self.used, &self.spare, &self.spare_big];
        let mut all = std::vec::Vec::with_capacity(self.chunks.get());
        for list in lists {
            let mut cur = list.get();
            while let Some(c) = cur {
                // SAFETY: live chunk.
                unsafe {
                    all.push((chunk::size_of_chunk(c), c));
                    cur = chunk::next(c);
                }
            }
        }
        all.sort_unstable_by_key(|&(size, _)| core::cmp::Reverse(size));
        let mut kept = 0usize;
        all.retain(|&(size, _)| {
            let keep = size <= budget - kept;
            if keep {
                kept += size;
            }
            !keep
        });
        // `all` now lists the chunks to free; unlink them from their lists.
        for list in lists {
            let mut prev: Option<NonNull<ChunkHeader>> = None;
            let mut cur = list.get();
            while let Some(c) = cur {
                // SAFETY: live chunk; a freed chunk is unlinked first and
                // nothing points into it (`&mut self`, drop list already run).
                unsafe {
                    cur = chunk::next(c);
                    if let Some(i) = all.iter().position(|&(_, d)| d == c) {
                        let (size, _) = all.swap_remove(i);
                        match prev {
                            Some(p) => chunk::set_next(p, cur),
                            None => list.set(cur),
                        }
                        chunk::free_chunk(c);
                        self.allocated.set(self.allocated.get() - size);
                        self.chunks.set(self.chunks.get() - 1);
                    } else {
                        prev = Some(c);
                    }
                }
            }
        }
    }

    /// Points the fingers at `chunk` and puts it on the used list.
    pub(super) fn make_current(&self, chunk: NonNull<ChunkHeader>) {
        // SAFETY: a live chunk that is on no list.
        unsafe {
            chunk::set_next(chunk, self.used.get());
            self.low.set(chunk::data_start(chunk));
            self.top.set(chunk::data_end(chunk));
        }
        self.used.set(Some(chunk));
        self.current.set(Some(chunk));
    }

    /// Takes a chunk of `preferred` bytes (at least `min`) from the global
    /// allocator or, when large, a huge-page mapping; honours the limit and
    /// halves on refusal.
    pub(super) fn new_chunk(
        &self,
        preferred: usize,
        min: usize,
        align: usize,
        dedicated: bool,
    ) -> Result<NonNull<ChunkHeader>, AllocError> {
        let room = self.limit.saturating_sub(self.allocated.get());
        if min > room {
            return Err(AllocError::new(AllocErrorKind::LimitReached));
        }
        let mut size = preferred.min(room & !(CHUNK_ALIGN - 1)).max(min);
        loop {
            // A chunk big enough for huge pages is rounded up to whole ones
            // (when the limit has room), so that all it maps is usable. The
            // halving below works on the unrounded size, so it still ends.
            let huge = self.huge_pages
                && size >= HUGE_CHUNK_MIN
                && align <= HUGE_PAGE
                && size <= isize::MAX as usize - HUGE_PAGE
                && huge_pages::mapped_len(size) <= room;
            let len = if huge {
                huge_pages::mapped_len(size)
            } else {
                size
            };
            match chunk::alloc_chunk(len, align, dedicated, huge) {
                Ok(c) => {
                    self.allocated.set(self.allocated.get() + len);
                    self.chunks.set(self.chunks.get() + 1);
                    return Ok(c);
                }
                Err(e) if e.kind() == AllocErrorKind::OutOfMemory && size > min => {
                    size = round_up(size / 2, CHUNK_ALIGN).max(min);
                }
                Err(e) => return Err(e),
            }
        }
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn alloc_slow(&self, layout: Layout, dir: Dir) -> Result<NonNull<u8>, AllocError> {
        let overflow = AllocError::new(AllocErrorKind::CapacityOverflow);
        // The fast path takes only requests up to LOW_FLOOR; a larger one
        // may still fit the current chunk.
        if dir == Dir::Down && layout.size() > LOW_FLOOR {
            if let Some(p) = self.bump_down_any(layout.size(), layout.align()) {
                return Ok(p);
            }
        }
        // Worst case in an empty chunk, whose data start and end are 16-aligned.
        let pad = if layout.align() > MIN_ALIGN {
            layout.align()
        } else {
            0
        };
        let needed = round_up(layout.size(), MIN_ALIGN)
            .checked_add(pad)
            .ok_or(overflow)?;
        let min = chunk_bytes_for(needed)?;
        // "Large" is relative to the current chunk, or before the first one
        // to the chunk that would become current (the first spare, else a
        // new one of `next_size`). After a reset the same chunk plays that
        // role at the same point of a repeated workload, so the decision
        // repeats too.
        let chunk_size = match (self.current.get(), self.spare.get()) {
            // SAFETY: the current chunk and the spares are live.
            (Some(c), _) | (None, Some(c)) => unsafe { chunk::size_of_chunk(c) },
            (None, None) => self.next_size.get(),
        };
        if dir == Dir::Down && needed > chunk_size / 4 {
            return self.alloc_dedicated(layout, needed, min);
        }
        match self.spare.get() {
            // SAFETY: spare chunks are live.
            Some(s) if unsafe { chunk::capacity(s) } >= needed => {
                // SAFETY: as above; unlinking the head of the spare list.
                self.spare.set(unsafe { chunk::next(s) });
                self.make_current(s);
            }
            _ => {
                let preferred = self.next_size.get();
                let c = self.new_chunk(preferred.max(min), min, CHUNK_ALIGN, false)?;
                // SAFETY: just allocated.
                if unsafe { chunk::size_of_chunk(c) } >= preferred {
                    self.next_size.set((preferred * 2).min(MAX_CHUNK_SIZE));
                }
                self.make_current(c);
            }
        }
        let p = match dir {
            Dir::Down => self.bump_down_any(layout.size(), layout.align()),
            Dir::Up => self.bump_up(layout.size(), layout.align()),
        };
        // The new chunk holds at least `needed`, so this always succeeds.
        p.ok_or(overflow)
    }

    /// A large object: best-fit dedicated spare, or an exactly sized new
    /// chunk. The chunk joins the used list without becoming current.
    fn alloc_dedicated(
        &self,
        layout: Layout,
        needed: usize,
        min: usize,
    ) -> Result<NonNull<u8>, AllocError> {
        let mut best: Option<(Option<NonNull<ChunkHeader>>, NonNull<ChunkHeader>)> = None;
        let mut best_cap = usize::MAX;
        let mut prev = None;
        let mut cur = self.spare_big.get();
        while let Some(c) = cur {
            // SAFETY: spare chunks are live.
            unsafe {
                let cap = chunk::capacity(c);
                if cap >= needed && cap < best_cap {
                    best_cap = cap;
                    best = Some((prev, c));
                }
                prev = Some(c);
                cur = chunk::next(c);
            }
        }
        let c = match best {
            Some((before, c)) => {
                // SAFETY: unlinking a live chunk from the spare list.
                unsafe {
                    let after = chunk::next(c);
                    match before {
                        Some(b) => chunk::set_next(b, after),
                        None => self.spare_big.set(after),
                    }
                }
                c
            }
            None => self.new_chunk(min, min, layout.align(), true)?,
        };
        // SAFETY: `c` is live and on no list; the object goes at its top,
        // which holds `needed >= size + padding` bytes.
        unsafe {
            chunk::set_next(c, self.used.get());
            self.used.set(Some(c));
            let end = chunk::data_end(c);
            let addr = (end.as_ptr().addr() - layout.size()) & !(layout.align() - 1);
            Ok(NonNull::new_unchecked(end.as_ptr().with_addr(addr)))
        }
    }
}

/// Links list `b` after the last chunk of list `a`.
///
/// # Safety
///
/// Every chunk on both lists is live, and the lists are disjoint.
unsafe fn append(
    a: Option<NonNull<ChunkHeader>>,
    b: Option<NonNull<ChunkHeader>>,
) -> Option<NonNull<ChunkHeader>> {
    let Some(head) = a else { return b };
    let mut last = head;
    // SAFETY: live chunks (caller).
    unsafe {
        while let Some(n) = chunk::next(last) {
            last = n;
        }
        chunk::set_next(last, b);
    }
    Some(head)
}
