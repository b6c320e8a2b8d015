//! [`ArenaBuilder`]: the arena's knobs, and building one.

use core::cell::Cell;

use super::{
    Arena, CHUNK_ALIGN, DEFAULT_CHUNK_SIZE, MIN_CHUNK_SIZE, alloc_failed, chunk_bytes_for,
    empty_finger, round_up,
};
use crate::drop_list::DropList;
use crate::error::AllocError;

/// Configures an [`Arena`]. Obtained from [`Arena::builder`].
#[derive(Clone, Debug)]
pub struct ArenaBuilder {
    chunk_size: usize,
    capacity: usize,
    limit: Option<usize>,
    retain: Option<usize>,
    huge_pages: bool,
}

impl ArenaBuilder {
    /// The defaults: 4 KiB first chunk, no capacity, no limit, every chunk
    /// retained, huge pages for large chunks.
    pub(super) fn new() -> Self {
        ArenaBuilder {
            chunk_size: DEFAULT_CHUNK_SIZE,
            capacity: 0,
            limit: None,
            retain: None,
            huge_pages: true,
        }
    }

    /// Size of the first chunk in bytes, header included (default 4 KiB;
    /// at least 128). Later chunks double, up to 4 MiB.
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_size = bytes.max(MIN_CHUNK_SIZE);
        self
    }

    /// Allocates one chunk with room for at least `bytes` up front.
    pub fn capacity(mut self, bytes: usize) -> Self {
        self.capacity = bytes;
        self
    }

    /// Caps the total size of the arena's chunks (see
    /// [`Arena::set_allocation_limit`]). Default: no limit.
    pub fn allocation_limit(mut self, bytes: Option<usize>) -> Self {
        self.limit = bytes;
        self
    }

    /// Caps the bytes of chunks kept across [`Arena::reset`]; `None` (the
    /// default) keeps every chunk. Larger chunks are kept first.
    pub fn retain_bytes(mut self, bytes: Option<usize>) -> Self {
        self.retain = bytes;
        self
    }

    /// Whether chunks of 4 MiB or more are mapped on transparent huge pages
    /// (default `true`; Linux only, a no-op elsewhere).
    ///
    /// Such a chunk gets an `mmap` of its own, aligned to 2 MiB and marked
    /// `MADV_HUGEPAGE`, instead of a block from the global allocator, so
    /// that walking it costs one TLB entry per 2 MiB rather than per 4 KiB.
    /// Smaller arenas never reach that size and are unaffected. Turn it off
    /// to keep every chunk in the global allocator (to account all memory
    /// there, for instance).
    ///
    /// ```
    /// let arena = goro_arena::Arena::builder()
    ///     .capacity(8 << 20)
    ///     .huge_pages(false)
    ///     .build();
    /// assert!(arena.chunk_capacity_left() >= 8 << 20);
    /// ```
    pub fn huge_pages(mut self, on: bool) -> Self {
        self.huge_pages = on;
        self
    }

    /// Builds the arena, allocating the requested capacity.
    ///
    /// # Panics
    ///
    /// If the capacity cannot be allocated; see [`try_build`](Self::try_build).
    pub fn build(self) -> Arena {
        self.try_build().unwrap_or_else(|e| alloc_failed(e))
    }

    /// Builds the arena, or reports why the requested capacity could not be
    /// allocated (the limit, or the global allocator).
    pub fn try_build(self) -> Result<Arena, AllocError> {
        let arena = Arena {
            top: Cell::new(empty_finger()),
            low: Cell::new(empty_finger()),
            current: Cell::new(None),
            used: Cell::new(None),
            spare: Cell::new(None),
            spare_big: Cell::new(None),
            drops: DropList::default(),
            allocated: Cell::new(0),
            chunks: Cell::new(0),
            next_size: Cell::new(round_up(self.chunk_size, CHUNK_ALIGN)),
            limit: self.limit.unwrap_or(usize::MAX),
            retain: self.retain.unwrap_or(usize::MAX),
            huge_pages: self.huge_pages,
        };
        if self.capacity > 0 {
            let min = chunk_bytes_for(self.capacity)?;
            let size = min.max(arena.next_size.get());
            let chunk = arena.new_chunk(size, min, CHUNK_ALIGN, false)?;
            arena.make_current(chunk);
        }
        Ok(arena)
    }
}
