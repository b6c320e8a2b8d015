//! A global allocator that counts live heap bytes and allocating calls, for
//! the memory shapes and the per-request allocation counts.
//!
//! A binary opts in with
//! `#[global_allocator] static A: CountingAlloc = CountingAlloc;`; then
//! [`live_bytes`] reports what is allocated and not yet freed, and
//! [`allocation_calls`] how many allocating calls were made.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

static LIVE: AtomicU64 = AtomicU64::new(0);
static CALLS: AtomicU64 = AtomicU64::new(0);

/// The system allocator, counting live bytes and allocating calls
/// (`alloc`, `alloc_zeroed`, `realloc`).
pub struct CountingAlloc;

// SAFETY: every call forwards to `System` with the caller's arguments, so the
// `GlobalAlloc` contract holds as it does for `System`; the counter is only
// bookkeeping.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as u64, Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from `alloc` with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as u64, Relaxed);
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as u64, Relaxed);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        // SAFETY: forwarded unchanged; `ptr` came from us with `layout`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size() as u64, Relaxed);
            LIVE.fetch_add(new_size as u64, Relaxed);
        }
        p
    }
}

/// Heap bytes allocated through [`CountingAlloc`] and not yet freed (zero
/// when the binary did not install it).
pub fn live_bytes() -> u64 {
    LIVE.load(Relaxed)
}

/// Allocating calls made through [`CountingAlloc`] so far (zero when the
/// binary did not install it).
pub fn allocation_calls() -> u64 {
    CALLS.load(Relaxed)
}
