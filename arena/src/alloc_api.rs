//! `&Arena` as an [`allocator_api2`] allocator, so std-like collections
//! (`allocator_api2::vec::Vec`, `hashbrown::HashMap`, ...) can live in an
//! arena.
//!
//! Blocks are bumped *up*, like [`Vec`](crate::Vec)'s buffers: `grow` of the
//! last block is done in place, `deallocate`/`shrink` of the last block give
//! the bytes back, and any other block stays until [`Arena::reset`] — which
//! needs `&mut Arena` and so cannot run while a collection borrows it.

use core::alloc::Layout;
use core::ptr::{self, NonNull};

use allocator_api2::alloc::{AllocError, Allocator};

use crate::arena::Arena;

#[inline]
fn is_aligned(ptr: NonNull<u8>, align: usize) -> bool {
    ptr.as_ptr().addr() & (align - 1) == 0
}

// SAFETY: blocks come from the arena's chunks, which stay allocated while the
// `&'a Arena` borrow lives (reset and drop need `&mut`/ownership); a block is
// never handed out twice, since the fingers only move past it or give back the
// last block once it is deallocated; grow/shrink keep the contents, as below.
unsafe impl Allocator for &Arena {
    #[inline]
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        let p = self.try_alloc_up(layout).map_err(|_| AllocError)?;
        Ok(NonNull::slice_from_raw_parts(p, layout.size()))
    }

    #[inline]
    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        self.shrink_up_in_place(ptr, layout.size(), 0);
    }

    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        if is_aligned(ptr, new_layout.align())
            && self.grow_up_in_place(ptr, old_layout.size(), new_layout.size())
        {
            return Ok(NonNull::slice_from_raw_parts(ptr, new_layout.size()));
        }
        let new = self.allocate(new_layout)?;
        // SAFETY: the caller guarantees `ptr` holds `old_layout.size()` bytes
        // and `new_layout.size() >= old_layout.size()`; the new block is fresh.
        unsafe {
            ptr::copy_nonoverlapping(ptr.as_ptr(), new.as_ptr().cast::<u8>(), old_layout.size());
            self.deallocate(ptr, old_layout);
        }
        Ok(new)
    }

    unsafe fn grow_zeroed(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: forwarded caller contract.
        let new = unsafe { self.grow(ptr, old_layout, new_layout)? };
        // SAFETY: the block holds `new_layout.size()` bytes.
        unsafe {
            new.as_ptr()
                .cast::<u8>()
                .add(old_layout.size())
                .write_bytes(0, new_layout.size() - old_layout.size());
        }
        Ok(new)
    }

    unsafe fn shrink(
        &self,
        ptr: NonNull<u8>,
        old_layout: Layout,
        new_layout: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        if is_aligned(ptr, new_layout.align()) {
            self.shrink_up_in_place(ptr, old_layout.size(), new_layout.size());
            return Ok(NonNull::slice_from_raw_parts(ptr, new_layout.size()));
        }
        let new = self.allocate(new_layout)?;
        // SAFETY: `new_layout.size() <= old_layout.size()` bytes are valid at
        // `ptr` (caller); the new block is fresh.
        unsafe {
            ptr::copy_nonoverlapping(ptr.as_ptr(), new.as_ptr().cast::<u8>(), new_layout.size());
        }
        Ok(new)
    }
}
