//! Large chunks on transparent huge pages (Linux).
//!
//! A chunk of [`HUGE_CHUNK_MIN`] bytes or more is mapped directly with
//! `mmap`, aligned to [`HUGE_PAGE`] (2 MiB) and marked `MADV_HUGEPAGE`, so
//! that the kernel backs it with 2 MiB pages where it can. Why: an arena
//! that large is walked end to end every round, and with 4 KiB pages every
//! 4 KiB of it costs a TLB miss and a page walk (a 64 MiB chunk is 16,384
//! pages against about 1,500 second-level TLB entries); with 2 MiB pages it
//! is 32 entries. bumpalo and the global allocators leave such blocks on
//! 4 KiB pages unless the whole machine runs THP in `always` mode.
//!
//! ```text
//!  mmap(len + 2 MiB)       aligned start                 aligned end
//!  |                       |                             |
//!  v                       v                             v
//!  [..head, unmapped..]    [ chunk: round_up(size, 2 MiB) ][..tail, unmapped..]
//! ```
//!
//! Costs, and why they are acceptable:
//!
//! * Memory is faulted in 2 MiB at a time, so a chunk's partly used huge
//!   page may hold up to 2 MiB that nothing uses yet (one at each end, as
//!   objects bump down from the end and buffers up from the start). Only
//!   chunks of at least 4 MiB are mapped this way, and the arena keeps its
//!   chunks across resets, so the next round uses that memory.
//! * With the kernel's default `defrag` setting (`madvise`), the first
//!   fault on a huge page may compact memory to find one. Again once per
//!   chunk; a retained chunk is faulted only in its first round.
//! * The memory does not come from the global allocator.
//!   [`ArenaBuilder::huge_pages(false)`](crate::ArenaBuilder::huge_pages)
//!   turns all of this off.
//!
//! If THP is unavailable (`madvise` fails) the mapping stays, on normal
//! pages; if `mmap` fails, the caller falls back to the global allocator.
//! Under Miri, and off Linux, [`map`] always declines.

use core::ptr::NonNull;

/// Size and alignment of a transparent huge page on x86-64 and arm64
/// (with 4 KiB base pages).
pub(crate) const HUGE_PAGE: usize = 2 << 20;

/// Chunks at least this large (header included) are mapped on huge pages:
/// two huge pages. The arena rounds such a chunk's size up to a whole
/// number of huge pages and uses the extra room, so nothing is mapped that
/// the chunk cannot use.
pub(crate) const HUGE_CHUNK_MIN: usize = 4 << 20;

/// Bytes actually mapped for a chunk of `size` bytes.
pub(crate) const fn mapped_len(size: usize) -> usize {
    (size + HUGE_PAGE - 1) & !(HUGE_PAGE - 1)
}

/// Maps `mapped_len(size)` bytes aligned to [`HUGE_PAGE`] and asks for huge
/// pages. `None` if the system refused the mapping (the caller then uses
/// the global allocator) or the size is too large to round up.
#[cfg(all(target_os = "linux", not(miri)))]
pub(crate) fn map(size: usize) -> Option<NonNull<u8>> {
    if size > isize::MAX as usize - 2 * HUGE_PAGE {
        return None;
    }
    let len = mapped_len(size);
    let reserve = len + HUGE_PAGE;
    // SAFETY: an anonymous private mapping at an address of the kernel's
    // choosing touches no existing memory.
    let raw = unsafe {
        libc::mmap(
            core::ptr::null_mut(),
            reserve,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if raw == libc::MAP_FAILED {
        return None;
    }
    let raw = raw.cast::<u8>();
    let head = raw.addr().next_multiple_of(HUGE_PAGE) - raw.addr();
    let tail = reserve - head - len;
    // SAFETY: `head <= HUGE_PAGE` and `head + len + tail == reserve`, so both
    // offsets stay inside the mapping just made.
    let (start, after) = unsafe { (raw.add(head), raw.add(head + len)) };
    // SAFETY: the head and tail are parts of our own fresh mapping that
    // nothing refers to; unmapping them leaves [start, start + len).
    unsafe {
        if head > 0 {
            libc::munmap(raw.cast(), head);
        }
        if tail > 0 {
            libc::munmap(after.cast(), tail);
        }
    }
    // SAFETY: [start, start + len) is our mapping. A failure (EINVAL on a
    // kernel built without THP) leaves it on normal pages, which is fine.
    unsafe { libc::madvise(start.cast(), len, libc::MADV_HUGEPAGE) };
    NonNull::new(start)
}

/// Off Linux and under Miri there is no huge-page mapping: every chunk
/// comes from the global allocator.
#[cfg(not(all(target_os = "linux", not(miri))))]
pub(crate) fn map(_size: usize) -> Option<NonNull<u8>> {
    None
}

/// Unmaps a chunk made by [`map`].
///
/// # Safety
///
/// `start` came from `map(size)` with this `size`, and nothing uses the
/// memory afterwards.
#[cfg(all(target_os = "linux", not(miri)))]
pub(crate) unsafe fn unmap(start: NonNull<u8>, size: usize) {
    // SAFETY: exactly the range `map` left mapped (caller).
    unsafe { libc::munmap(start.as_ptr().cast(), mapped_len(size)) };
}

/// Never called: [`map`] never succeeds here.
///
/// # Safety
///
/// As on Linux.
#[cfg(not(all(target_os = "linux", not(miri))))]
pub(crate) unsafe fn unmap(_start: NonNull<u8>, _size: usize) {
    unreachable!("no chunk is mapped without huge-page support")
}
