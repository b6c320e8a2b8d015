//! Chunks: the blocks of memory an [`Arena`](crate::Arena) bumps through.
//!
//! ```text
//!  base (global allocator or huge-page mapping, align >= 16)         base + size
//!  |                                                                          |
//!  v                                                                          v
//!  +--------+----------------------------------------------------------------+
//!  | header |  free space ...                                                |
//!  +--------+----------------------------------------------------------------+
//!           ^ data start                                                     ^ end
//! ```
//!
//! A block comes from the global allocator, or for a large chunk from a
//! huge-page mapping of its own (see `huge_pages.rs`); `mapped` in the
//! header says which, so that it goes back the same way.
//!
//! The header sits at the *start* of the block and links chunks into
//! singly-linked lists (`next`). Every pointer the arena hands out is derived
//! from `base` with `with_addr`/`add`, so it carries the provenance of the
//! whole block (Miri's strict-provenance mode checks this).

use core::alloc::Layout;
use core::ptr::NonNull;

use crate::arena::LOW_FLOOR;
use crate::error::{AllocError, AllocErrorKind};
use crate::huge_pages::{self, HUGE_PAGE};

/// Header at the start of every chunk.
#[repr(C)]
pub(crate) struct ChunkHeader {
    /// Next chunk in whichever list this chunk is on (used or spare).
    pub(crate) next: Option<NonNull<ChunkHeader>>,
    /// Size in bytes of the whole block, header included (the layout size).
    pub(crate) size: usize,
    /// Alignment of the block's layout.
    pub(crate) align: usize,
    /// Made for one large object; reused only for large objects.
    pub(crate) dedicated: bool,
    /// Mapped by `huge_pages::map` rather than taken from the global
    /// allocator.
    pub(crate) mapped: bool,
}

/// Minimum alignment of a chunk block; also the header's rounded size.
pub(crate) const CHUNK_ALIGN: usize = 16;

/// Bytes taken by the header, rounded so that data starts 16-aligned.
pub(crate) const HEADER_SIZE: usize =
    (size_of::<ChunkHeader>() + CHUNK_ALIGN - 1) & !(CHUNK_ALIGN - 1);

/// Allocates a chunk of `size` bytes (header included): from a huge-page
/// mapping if `huge` is set and the system grants one (`size` is then a
/// multiple of [`HUGE_PAGE`] and `align` at most that), else from the
/// global allocator. A block placed below [`LOW_FLOOR`] is given back and
/// reported as out of memory (see there).
pub(crate) fn alloc_chunk(
    size: usize,
    align: usize,
    dedicated: bool,
    huge: bool,
) -> Result<NonNull<ChunkHeader>, AllocError> {
    debug_assert!(size > HEADER_SIZE);
    let align = align.max(CHUNK_ALIGN);
    let layout = Layout::from_size_align(size, align)
        .map_err(|_| AllocError::new(AllocErrorKind::CapacityOverflow))?;
    debug_assert!(!huge || (size % HUGE_PAGE == 0 && align <= HUGE_PAGE));
    let (base, mapped) = match huge.then(|| huge_pages::map(size)).flatten() {
        Some(base) => (base, true),
        None => {
            // SAFETY: `layout` has a non-zero size (it holds at least the
            // header).
            let base = unsafe { std::alloc::alloc(layout) };
            let base = NonNull::new(base).ok_or(AllocError::new(AllocErrorKind::OutOfMemory))?;
            (base, false)
        }
    };
    if base.as_ptr().addr() < LOW_FLOOR {
        // The fast path relies on no finger being below LOW_FLOOR. No
        // mainstream platform maps the first page; if one ever hands it out,
        // treat it as a failed allocation rather than break that bound.
        // SAFETY: just allocated with `layout` or mapped for `size`, not
        // shared.
        unsafe { release(base, layout, mapped) };
        return Err(AllocError::new(AllocErrorKind::OutOfMemory));
    }
    let header = base.cast::<ChunkHeader>();
    // SAFETY: `base` is a fresh block of `size >= HEADER_SIZE` bytes aligned
    // to at least 16, so the header fits and is aligned.
    unsafe {
        header.write(ChunkHeader {
            next: None,
            size,
            align,
            dedicated,
            mapped,
        })
    };
    Ok(header)
}

/// Gives a block back the way it came.
///
/// # Safety
///
/// `base` was allocated with `layout` (`mapped` false) or mapped by
/// `huge_pages::map(layout.size())` (`mapped` true), and is not used again.
unsafe fn release(base: NonNull<u8>, layout: Layout, mapped: bool) {
    if mapped {
        // SAFETY: mapped for this size (caller).
        unsafe { huge_pages::unmap(base, layout.size()) };
    } else {
        // SAFETY: allocated with this layout (caller).
        unsafe { std::alloc::dealloc(base.as_ptr(), layout) };
    }
}

/// Returns a chunk to the global allocator or unmaps it.
///
/// # Safety
///
/// `chunk` came from [`alloc_chunk`], is not on any list any more, and no
/// pointer into it is used afterwards.
pub(crate) unsafe fn free_chunk(chunk: NonNull<ChunkHeader>) {
    // SAFETY: the header is valid until the block is freed (caller).
    let ChunkHeader {
        size,
        align,
        mapped,
        ..
    } = unsafe { chunk.read() };
    // SAFETY: the same size and alignment `alloc_chunk` validated.
    let layout = unsafe { Layout::from_size_align_unchecked(size, align) };
    // SAFETY: the block came from `alloc_chunk` with this layout and
    // backing (caller).
    unsafe { release(chunk.cast(), layout, mapped) };
}

/// Reads a chunk's header fields.
///
/// # Safety
///
/// `chunk` is a live chunk from [`alloc_chunk`].
#[inline(always)]
pub(crate) unsafe fn size_of_chunk(chunk: NonNull<ChunkHeader>) -> usize {
    // SAFETY: live chunk (caller).
    unsafe { (*chunk.as_ptr()).size }
}

/// Whether the chunk was made for one large object.
///
/// # Safety
///
/// `chunk` is a live chunk from [`alloc_chunk`].
#[inline(always)]
pub(crate) unsafe fn is_dedicated(chunk: NonNull<ChunkHeader>) -> bool {
    // SAFETY: live chunk (caller).
    unsafe { (*chunk.as_ptr()).dedicated }
}

/// Usable bytes of a chunk (its size minus the header).
///
/// # Safety
///
/// `chunk` is a live chunk from [`alloc_chunk`].
#[inline(always)]
pub(crate) unsafe fn capacity(chunk: NonNull<ChunkHeader>) -> usize {
    // SAFETY: live chunk (caller).
    unsafe { size_of_chunk(chunk) - HEADER_SIZE }
}

/// The first byte after the header.
///
/// # Safety
///
/// `chunk` is a live chunk from [`alloc_chunk`].
#[inline(always)]
pub(crate) unsafe fn data_start(chunk: NonNull<ChunkHeader>) -> NonNull<u8> {
    // SAFETY: the block is larger than the header, so the result is in bounds.
    unsafe { chunk.cast::<u8>().add(HEADER_SIZE) }
}

/// One past the last byte of the block.
///
/// # Safety
///
/// `chunk` is a live chunk from [`alloc_chunk`].
#[inline(always)]
pub(crate) unsafe fn data_end(chunk: NonNull<ChunkHeader>) -> NonNull<u8> {
    // SAFETY: one-past-the-end of the block is a valid offset.
    unsafe { chunk.cast::<u8>().add(size_of_chunk(chunk)) }
}

/// Reads the `next` link.
///
/// # Safety
///
/// `chunk` is a live chunk from [`alloc_chunk`].
#[inline(always)]
pub(crate) unsafe fn next(chunk: NonNull<ChunkHeader>) -> Option<NonNull<ChunkHeader>> {
    // SAFETY: live chunk (caller).
    unsafe { (*chunk.as_ptr()).next }
}

/// Writes the `next` link.
///
/// # Safety
///
/// `chunk` is a live chunk from [`alloc_chunk`].
#[inline(always)]
pub(crate) unsafe fn set_next(chunk: NonNull<ChunkHeader>, next: Option<NonNull<ChunkHeader>>) {
    // SAFETY: live chunk (caller); nothing else references the header.
    unsafe { (*chunk.as_ptr()).next = next }
}
