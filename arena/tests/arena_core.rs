//! Unit tests of `Arena`: alignment, reuse, limits, zero-sized and huge
//! requests, dedicated chunks, retention.

use std::alloc::Layout;

use goro_arena::{AllocErrorKind, Arena};

fn addr<T: ?Sized>(r: &T) -> usize {
    (r as *const T).cast::<u8>().addr()
}

#[test]
fn every_size_and_alignment_is_aligned() {
    let arena = Arena::new();
    let max_size = if cfg!(miri) { 40 } else { 300 };
    for shift in 0..=12 {
        let align = 1usize << shift;
        for size in 0..max_size {
            let layout = Layout::from_size_align(size, align).unwrap();
            let p = arena.alloc_layout(layout);
            assert_eq!(p.as_ptr().addr() % align, 0, "size {size} align {align}");
            // The block is writable over its whole length.
            // SAFETY: a fresh block of `size` bytes.
            unsafe { p.as_ptr().write_bytes(0xAB, size) };
        }
    }
}

#[test]
fn typed_allocations_keep_their_values() {
    let arena = Arena::new();
    let a = arena.alloc(1u8);
    let b = arena.alloc(2u64);
    let c = arena.alloc([3u32; 5]);
    let d = arena.alloc_with(|| (4u16, 5.0f64));
    let s = arena.alloc_str("hello");
    let xs = arena.alloc_slice_copy(&[1u32, 2, 3]);
    let ys = arena.alloc_slice_clone(&[7u8, 8]);
    let zs = arena.alloc_slice_fill_iter(0..4u32);
    let ws = arena.alloc_slice_fill_with(3, |i| i * 10);
    *a += 1;
    *b += 1;
    assert_eq!((*a, *b, *c, *d), (2, 3, [3; 5], (4, 5.0)));
    assert_eq!(&*s, "hello");
    assert_eq!(
        (&*xs, &*ys, &*zs, &*ws),
        (
            &[1, 2, 3][..],
            &[7, 8][..],
            &[0, 1, 2, 3][..],
            &[0usize, 10, 20][..]
        )
    );
}

#[test]
fn lying_exact_size_iterator_gives_a_shorter_slice() {
    struct Liar(u32);
    impl Iterator for Liar {
        type Item = u32;
        fn next(&mut self) -> Option<u32> {
            (self.0 < 2).then(|| {
                self.0 += 1;
                self.0
            })
        }
    }
    impl ExactSizeIterator for Liar {
        fn len(&self) -> usize {
            5
        }
    }
    let arena = Arena::new();
    assert_eq!(arena.alloc_slice_fill_iter(Liar(0)), &[1, 2]);
}

#[test]
fn reset_reuses_the_same_addresses() {
    let mut arena = Arena::new();
    let first: Vec<usize> = (0..50u64).map(|i| addr(arena.alloc(i))).collect();
    let bytes = arena.allocated_bytes();
    arena.reset();
    let second: Vec<usize> = (0..50u64).map(|i| addr(arena.alloc(i))).collect();
    assert_eq!(first, second);
    assert_eq!(arena.allocated_bytes(), bytes);
}

#[test]
fn reset_merges_a_spilled_round_then_reuses_the_same_addresses() {
    let mut arena = Arena::builder().chunk_size(256).build();
    let n = if cfg!(miri) { 400 } else { 5000 };
    let round = |arena: &Arena| -> Vec<usize> {
        let mut v = goro_arena::Vec::new_in(arena);
        let addrs: Vec<usize> = (0..n).map(|i| addr(arena.alloc(i as u64))).collect();
        v.extend(0..n as u32);
        let big = addr(arena.alloc([1u8; 100_000]));
        addrs.into_iter().chain([v.as_ptr().addr(), big]).collect()
    };
    round(&arena);
    assert!(arena.chunk_count() > 3, "the test needs several chunks");
    arena.reset();
    // One merged normal chunk (the round's total) plus the dedicated one.
    assert_eq!(arena.chunk_count(), 2);
    let second = round(&arena);
    let bytes = arena.allocated_bytes();
    assert_eq!(
        arena.chunk_count(),
        2,
        "the merged chunk holds the whole round"
    );
    for _ in 0..3 {
        arena.reset();
        // Same chunks, same decisions: the very same addresses, and zero
        // calls to the global allocator.
        assert_eq!(round(&arena), second);
        assert_eq!(arena.allocated_bytes(), bytes);
        assert_eq!(arena.chunk_count(), 2);
    }
}

#[test]
fn idle_dedicated_chunks_are_freed_after_a_round() {
    let mut arena = Arena::builder().chunk_size(1024).build();
    arena.alloc(0u64);
    arena.alloc([0u8; 5000]);
    assert_eq!(arena.chunk_count(), 2);
    arena.reset();
    // Kept for a round...
    assert_eq!(arena.chunk_count(), 2);
    arena.alloc(0u64);
    arena.reset();
    // ...and freed when that round did not use it.
    assert_eq!(arena.chunk_count(), 1);
}

#[test]
fn retain_budget_keeps_the_largest_chunks_that_fit() {
    let mut arena = Arena::builder()
        .chunk_size(256)
        .retain_bytes(Some(4096))
        .build();
    for i in 0..2000u64 {
        arena.alloc(i);
    }
    assert!(arena.allocated_bytes() > 4096);
    arena.reset();
    // Chunks of 256, 512, ..., 8192 bytes: the 8 KiB one does not fit, the
    // 4 KiB one does and fills the budget.
    assert_eq!(arena.allocated_bytes(), 4096);
    assert_eq!(arena.chunk_count(), 1);
    arena.set_retain_limit(Some(0));
    arena.reset();
    assert_eq!((arena.allocated_bytes(), arena.chunk_count()), (0, 0));
    // Still usable afterwards.
    assert_eq!(*arena.alloc(5u32), 5);
}

#[test]
fn limit_is_honoured_without_panicking() {
    let mut arena = Arena::builder().chunk_size(1024).build();
    arena.set_allocation_limit(Some(8192));
    assert_eq!(arena.allocation_limit(), Some(8192));
    let mut count = 0usize;
    let err = loop {
        match arena.try_alloc([0u64; 4]) {
            Ok(_) => count += 1,
            Err(e) => break e,
        }
        assert!(count < 10_000, "limit never hit");
    };
    assert_eq!(err.kind(), AllocErrorKind::LimitReached);
    assert!(arena.allocated_bytes() <= 8192);
    assert!(count * 32 > 4096, "limit stopped too early: {count}");
    // Every fallible entry point reports the error.
    assert!(arena.try_alloc_slice_copy(&[0u8; 9000]).is_err());
    assert!(arena.try_alloc_str(&"x".repeat(9000)).is_err());
    assert!(arena.try_alloc_layout(Layout::new::<[u8; 9000]>()).is_err());
    assert!(arena.try_alloc_owned(String::new()).is_ok() || arena.allocated_bytes() <= 8192);
    let mut v = goro_arena::Vec::<u8>::new_in(&arena);
    assert!(v.try_reserve(9000).is_err());
}

#[test]
fn limit_applies_to_with_capacity() {
    let err = Arena::builder()
        .capacity(1 << 20)
        .allocation_limit(Some(4096))
        .try_build()
        .unwrap_err();
    assert_eq!(err.kind(), AllocErrorKind::LimitReached);
}

#[test]
fn zero_sized_types() {
    let arena = Arena::new();
    for _ in 0..10 {
        let unit = arena.alloc(());
        *unit = ();
        let empty: &mut [u64; 0] = arena.alloc([]);
        assert_eq!(addr(empty) % 8, 0);
        let zs = arena.alloc_slice_copy::<()>(&[(), (), ()]);
        assert_eq!(zs.len(), 3);
        assert_eq!(&*arena.alloc_str(""), "");
    }
    // No chunk was needed for any of them.
    assert_eq!(arena.chunk_count(), 0);
    #[repr(align(4096))]
    #[derive(Clone, Copy)]
    struct BigAlignZst;
    let z = arena.alloc(BigAlignZst);
    assert_eq!(addr(z) % 4096, 0);
}

#[test]
fn huge_requests_return_errors() {
    let arena = Arena::new();
    // With the chunk header, this no longer fits in a Layout.
    let layout = Layout::from_size_align(isize::MAX as usize - 7, 8).unwrap();
    assert_eq!(
        arena.try_alloc_layout(layout).unwrap_err().kind(),
        AllocErrorKind::CapacityOverflow
    );
    // Alignment padding that would overflow is caught too.
    let layout = Layout::from_size_align(isize::MAX as usize / 2 + 1, 1 << 62).unwrap();
    assert_eq!(
        arena.try_alloc_layout(layout).unwrap_err().kind(),
        AllocErrorKind::CapacityOverflow
    );
    let mut v = goro_arena::Vec::<u64>::new_in(&arena);
    assert!(v.try_reserve(usize::MAX).is_err());
    assert!(v.try_reserve(usize::MAX / 8).is_err());
    // The arena is still fine.
    assert_eq!(*arena.alloc(3u8), 3);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "Miri aborts on a 1 TiB allocation instead of failing it"
)]
fn a_terabyte_is_out_of_memory() {
    let arena = Arena::new();
    let layout = Layout::from_size_align(1 << 40, 8).unwrap();
    assert_eq!(
        arena.try_alloc_layout(layout).unwrap_err().kind(),
        AllocErrorKind::OutOfMemory
    );
}

#[test]
#[should_panic(expected = "arena allocation limit reached")]
fn infallible_alloc_panics_at_the_limit() {
    let mut arena = Arena::new();
    arena.set_allocation_limit(Some(0));
    arena.alloc(1u8);
}

#[test]
fn large_objects_get_their_own_chunk() {
    let arena = Arena::builder().chunk_size(4096).build();
    arena.alloc(1u64);
    let left = arena.chunk_capacity_left();
    let big = arena.alloc([7u8; 8192]);
    assert_eq!(big[8191], 7);
    // The current chunk was not abandoned for the big object...
    assert_eq!(arena.chunk_capacity_left(), left);
    assert_eq!(arena.chunk_count(), 2);
    // ...and small allocations continue in it.
    let before = arena.allocated_bytes();
    arena.alloc(2u64);
    assert_eq!(arena.allocated_bytes(), before);
    assert_eq!(arena.chunk_capacity_left(), left - 8);
}

#[test]
fn big_object_does_not_inflate_later_chunks() {
    let arena = Arena::builder().chunk_size(1024).build();
    arena.alloc([0u8; 1 << 16]);
    let after_big = arena.allocated_bytes();
    // Fill small chunks: the first normal chunk must be ~1 KiB, not 128 KiB.
    arena.alloc(0u64);
    assert!(arena.allocated_bytes() - after_big <= 1024);
}

#[test]
fn over_aligned_objects_across_chunks() {
    #[repr(align(256))]
    #[derive(Clone, Copy)]
    struct Page([u8; 256]);
    let arena = Arena::builder().chunk_size(512).build();
    let pages: Vec<&mut Page> = (0..20u8).map(|i| arena.alloc(Page([i; 256]))).collect();
    for (i, p) in pages.iter().enumerate() {
        assert_eq!(addr(*p) % 256, 0);
        assert!(p.0.iter().all(|&b| b as usize == i));
    }
}

#[test]
fn with_capacity_preallocates_one_chunk() {
    let arena = Arena::with_capacity(10_000);
    assert_eq!(arena.chunk_count(), 1);
    assert!(arena.chunk_capacity_left() >= 10_000);
    let bytes = arena.allocated_bytes();
    for i in 0..1000u64 {
        arena.alloc(i);
    }
    assert_eq!(arena.allocated_bytes(), bytes);
}

#[test]
fn arena_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let arena = Arena::new();
    assert_send(&arena);
    let arena = std::thread::scope(|s| {
        s.spawn(move || {
            arena.alloc(1u32);
            arena
        })
        .join()
        .unwrap()
    });
    assert_eq!(arena.chunk_count(), 1);
}

/// The fast path takes requests up to 4 KiB; a larger one goes through the
/// slow path, which must still bump into the current chunk when it fits
/// rather than start a new chunk. Both sides of the boundary, both align
/// branches.
#[test]
fn requests_around_the_fast_path_bound_share_the_current_chunk() {
    let arena = Arena::with_capacity(64 * 1024);
    for align in [8usize, 16, 64] {
        for size in [4088usize, 4096, 4104, 5000] {
            let before = arena.chunk_capacity_left();
            let layout = Layout::from_size_align(size, align).unwrap();
            let p = arena.alloc_layout(layout);
            assert_eq!(p.as_ptr().addr() % align, 0, "size {size} align {align}");
            // SAFETY: a fresh block of `size` bytes.
            unsafe { p.as_ptr().write_bytes(0xCD, size) };
            let used = before - arena.chunk_capacity_left();
            assert!(
                (size..size + align.max(8)).contains(&used),
                "size {size} align {align} used {used}"
            );
        }
    }
    assert_eq!(arena.chunk_count(), 1);
    // A dynamically sized copy over the bound lands in the same chunk too.
    let big = vec![7u8; 6000];
    let copy = arena.alloc_slice_copy(&big);
    assert_eq!(copy, &big[..]);
    assert_eq!(arena.chunk_count(), 1);
}

/// An arena with no chunk yet: a zero-sized request of any alignment up to
/// a page succeeds without allocating; the first real one allocates.
#[test]
fn empty_arena_serves_zero_sized_requests_on_the_fast_path() {
    let arena = Arena::new();
    for shift in 0..=12 {
        let layout = Layout::from_size_align(0, 1 << shift).unwrap();
        let p = arena.alloc_layout(layout);
        assert_eq!(p.as_ptr().addr() % (1 << shift), 0);
    }
    assert_eq!(arena.chunk_count(), 0);
    arena.alloc(1u8);
    assert_eq!(arena.chunk_count(), 1);
}
