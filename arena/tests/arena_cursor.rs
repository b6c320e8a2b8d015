//! Unit tests of `Cursor`: alignment, no overlap with the arena's own
//! allocations, hand-over of the finger in both directions, chunk growth,
//! reset, the limit, zero-sized and huge requests, dedicated chunks, panics
//! and leaks.

use std::alloc::Layout;
use std::panic::{AssertUnwindSafe, catch_unwind};

use goro_arena::{AllocErrorKind, Arena};

fn addr<T: ?Sized>(r: &T) -> usize {
    (r as *const T).cast::<u8>().addr()
}

/// A block written with one byte value, checked later.
struct Block {
    ptr: *mut u8,
    size: usize,
    fill: u8,
}

impl Block {
    fn new(ptr: *mut u8, size: usize, fill: u8) -> Block {
        // SAFETY: callers pass a fresh block of `size` bytes.
        unsafe { ptr.write_bytes(fill, size) };
        Block { ptr, size, fill }
    }
}

/// Every block still holds its fill byte, and no two non-empty blocks
/// overlap.
fn check_intact_and_disjoint(blocks: &[Block]) {
    for b in blocks {
        // SAFETY: the arena holding the block was not reset.
        let bytes = unsafe { std::slice::from_raw_parts(b.ptr, b.size) };
        assert!(
            bytes.iter().all(|&x| x == b.fill),
            "block {:p} changed",
            b.ptr
        );
    }
    let mut spans: Vec<(usize, usize)> = blocks
        .iter()
        .filter(|b| b.size > 0)
        .map(|b| (b.ptr.addr(), b.ptr.addr() + b.size))
        .collect();
    spans.sort_unstable();
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "overlap: {:x?}", w);
    }
}

#[test]
fn every_size_and_alignment_is_aligned_disjoint_and_intact() {
    // Small chunks: the loop crosses many chunk switches and dedicated chunks.
    let mut arena = Arena::builder().chunk_size(512).build();
    let max_size = if cfg!(miri) { 24 } else { 300 };
    let mut blocks = Vec::new();
    let mut cursor = arena.cursor();
    for shift in 0..=12 {
        let align = 1usize << shift;
        for size in 0..max_size {
            let p = cursor.alloc_layout(Layout::from_size_align(size, align).unwrap());
            assert_eq!(p.as_ptr().addr() % align, 0, "size {size} align {align}");
            blocks.push(Block::new(p.as_ptr(), size, (size ^ shift) as u8));
        }
    }
    drop(cursor);
    check_intact_and_disjoint(&blocks);
}

#[test]
fn typed_allocations_keep_their_values_and_outlive_the_cursor() {
    #[repr(align(64))]
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Line([u8; 64]);
    let mut arena = Arena::new();
    let (a, b, c, d, s, xs, line);
    {
        let mut cursor = arena.cursor();
        a = cursor.alloc(1u8);
        b = cursor.alloc(2u64);
        c = cursor.alloc([3u32; 5]);
        d = cursor.alloc_with(|| (4u16, 5.0f64));
        s = cursor.alloc_str("hello");
        xs = cursor.alloc_slice_copy(&[1u32, 2, 3]);
        line = cursor.alloc(Line([9; 64]));
    }
    // The cursor is gone; its references live on (they borrow the arena).
    *a += 1;
    *b += 1;
    assert_eq!((*a, *b, *c, *d), (2, 3, [3; 5], (4, 5.0)));
    assert_eq!((&*s, &*xs), ("hello", &[1, 2, 3][..]));
    assert_eq!(addr(line) % 64, 0);
    assert_eq!(*line, Line([9; 64]));
}

/// Requests for [`cursor_and_alloc_make_the_same_decisions`]: small
/// objects, requests above the 4 KiB fast-path bound, over-aligned ones and
/// sizes that are large for a 1 KiB chunk (dedicated chunks).
fn mixed_sizes() -> Vec<Layout> {
    (0..if cfg!(miri) { 120 } else { 600 })
        .map(|i| match i % 11 {
            3 => (5000, 8),
            7 => (40, 64),
            9 => (i * 13 % 700, 1 << (i % 6)),
            _ => (8 + i % 24, 8),
        })
        .map(|(size, align)| Layout::from_size_align(size, align).unwrap())
        .collect()
}

/// Runs the requests in runs of 17, every other run through a cursor if
/// `cursor` is set; returns the addresses and, after each run, the arena's
/// chunk count, bytes and room left in the current chunk.
fn run_mixed(
    arena: &mut Arena,
    layouts: &[Layout],
    cursor: bool,
) -> (Vec<usize>, Vec<(usize, usize, usize)>) {
    let mut addrs = Vec::new();
    let mut stats = Vec::new();
    for (k, run) in layouts.chunks(17).enumerate() {
        if cursor && k % 2 == 0 {
            let mut c = arena.cursor();
            addrs.extend(run.iter().map(|&l| c.alloc_layout(l).as_ptr().addr()));
        } else {
            addrs.extend(run.iter().map(|&l| arena.alloc_layout(l).as_ptr().addr()));
        }
        stats.push((
            arena.chunk_count(),
            arena.allocated_bytes(),
            arena.chunk_capacity_left(),
        ));
    }
    (addrs, stats)
}

/// The cursor's slow path is the arena's, so the same requests through a
/// cursor and through `Arena::alloc_layout` must take the same decisions:
/// the same chunks at every step (twin arenas while they grow) and, once an
/// arena has settled, the very same addresses.
#[test]
fn cursor_and_alloc_make_the_same_decisions() {
    let layouts = mixed_sizes();
    // Chunks are 16-aligned, so padding for a larger alignment depends on
    // where the global allocator put them, which differs between two
    // arenas: the twins get at most 16-byte alignment.
    let layouts_16: Vec<Layout> = layouts
        .iter()
        .map(|l| Layout::from_size_align(l.size(), l.align().min(16)).unwrap())
        .collect();
    let build = || Arena::builder().chunk_size(1024).build();
    let (mut plain, mut mixed) = (build(), build());
    // Growing rounds: chunk switches, dedicated chunks, then merging.
    for round in 0..3 {
        let (_, want) = run_mixed(&mut plain, &layouts_16, false);
        let (_, got) = run_mixed(&mut mixed, &layouts_16, true);
        assert_eq!(got, want, "round {round}");
        plain.reset();
        mixed.reset();
    }
    // Settled: a round through the arena alone repeats exactly...
    let (first, _) = run_mixed(&mut mixed, &layouts, false);
    mixed.reset();
    let (again, _) = run_mixed(&mut mixed, &layouts, false);
    assert_eq!(again, first, "the test needs a settled arena");
    mixed.reset();
    // ...and so does one with cursors, address for address.
    let (with_cursor, _) = run_mixed(&mut mixed, &layouts, true);
    assert_eq!(with_cursor, first);
    mixed.reset();
    assert_eq!(run_mixed(&mut mixed, &layouts, false).0, first);
}

#[test]
fn the_arena_continues_exactly_where_the_cursor_left_off() {
    let mut arena = Arena::with_capacity(4096);
    let before = addr(arena.alloc(1u64));
    let mut cursor = arena.cursor();
    // The cursor starts where the arena stopped...
    let first = addr(cursor.alloc(2u64));
    assert_eq!(first, before - 8);
    let last = (0..10u64).map(|i| addr(cursor.alloc(i))).last().unwrap();
    assert_eq!(last, first - 80);
    drop(cursor);
    // ...and the arena where the cursor stopped.
    assert_eq!(addr(arena.alloc(3u64)), last - 8);

    // The same across a chunk switch inside the cursor: the arena continues
    // in the cursor's new chunk, without allocating another.
    let mut arena = Arena::builder().chunk_size(256).build();
    arena.alloc(0u64);
    let mut cursor = arena.cursor();
    let addrs: Vec<usize> = (0..100u64).map(|i| addr(cursor.alloc(i))).collect();
    let left = cursor.chunk_capacity_left();
    drop(cursor);
    assert!(arena.chunk_count() > 1, "the test needs a chunk switch");
    let chunks = arena.chunk_count();
    assert_eq!(arena.chunk_capacity_left(), left);
    assert_eq!(addr(arena.alloc(7u64)), addrs[99] - 8);
    assert_eq!(arena.chunk_count(), chunks);
}

#[test]
fn no_overlap_with_allocations_before_and_after_the_cursor() {
    let n = if cfg!(miri) { 60 } else { 2000 };
    let mut arena = Arena::builder().chunk_size(512).build();
    let mut blocks = Vec::new();
    let mut fill = 0u8;
    let mut next = || {
        fill = fill.wrapping_add(1);
        fill
    };
    for i in 0..n {
        let p = arena.alloc_layout(Layout::from_size_align(1 + i % 40, 8).unwrap());
        blocks.push(Block::new(p.as_ptr(), 1 + i % 40, next()));
    }
    // A collection buffer (bumped up from `low`) before the cursor.
    let (vec_ptr, vec_len) = {
        let mut v = goro_arena::Vec::new_in(&arena);
        v.extend(0..n as u32);
        let s = v.into_bump_slice();
        (s.as_mut_ptr().cast::<u8>(), s.len())
    };
    blocks.push(Block::new(vec_ptr, vec_len * 4, next()));
    let mut cursor = arena.cursor();
    for i in 0..n {
        let size = 1 + i % 56;
        let p = cursor.alloc_layout(Layout::from_size_align(size, 1 << (i % 5)).unwrap());
        blocks.push(Block::new(p.as_ptr(), size, next()));
    }
    drop(cursor);
    // Objects and a growing vector after it.
    let mut w = goro_arena::Vec::new_in(&arena);
    for i in 0..n {
        let p = arena.alloc_layout(Layout::from_size_align(8, 8).unwrap());
        blocks.push(Block::new(p.as_ptr(), 8, next()));
        w.push(i as u64);
    }
    let w = w.into_bump_slice();
    assert!(w.iter().enumerate().all(|(i, &x)| x == i as u64));
    blocks.push(Block::new(w.as_mut_ptr().cast(), w.len() * 8, next()));
    check_intact_and_disjoint(&blocks);
}

#[test]
fn reset_after_a_cursor_reuses_the_same_memory() {
    let mut arena = Arena::builder().chunk_size(256).build();
    let n = if cfg!(miri) { 300 } else { 5000 };
    let round = |arena: &mut Arena| -> Vec<usize> {
        let mut cursor = arena.cursor();
        (0..n as u64).map(|i| addr(cursor.alloc([i, i]))).collect()
    };
    round(&mut arena);
    assert!(arena.chunk_count() > 2, "the test needs several chunks");
    arena.reset();
    // Merged into one chunk: from now on the same addresses, no new memory.
    let second = round(&mut arena);
    let bytes = arena.allocated_bytes();
    assert_eq!(arena.chunk_count(), 1);
    for _ in 0..3 {
        arena.reset();
        assert_eq!(round(&mut arena), second);
        assert_eq!(arena.allocated_bytes(), bytes);
        assert_eq!(arena.chunk_count(), 1);
    }
}

#[test]
fn the_limit_is_honoured_through_the_cursor() {
    let build = || {
        Arena::builder()
            .chunk_size(1024)
            .allocation_limit(Some(8192))
            .build()
    };
    // How far the arena itself gets.
    let plain = build();
    let mut expected = 0usize;
    while plain.try_alloc([0u64; 4]).is_ok() {
        expected += 1;
    }
    let mut arena = build();
    let mut cursor = arena.cursor();
    let mut count = 0usize;
    let err = loop {
        match cursor.try_alloc([0u64; 4]) {
            Ok(_) => count += 1,
            Err(e) => break e,
        }
        assert!(count < 10_000, "limit never hit");
    };
    assert_eq!(err.kind(), AllocErrorKind::LimitReached);
    assert_eq!(count, expected);
    // A failed request leaves the fingers alone; every fallible entry point
    // reports the error instead of panicking.
    let left = cursor.chunk_capacity_left();
    assert!(cursor.try_alloc_slice_copy(&[0u8; 9000]).is_err());
    assert!(cursor.try_alloc_str(&"x".repeat(9000)).is_err());
    assert!(
        cursor
            .try_alloc_layout(Layout::new::<[u8; 9000]>())
            .is_err()
    );
    assert!(cursor.try_alloc_with(|| [0u8; 9000]).is_err());
    assert_eq!(cursor.chunk_capacity_left(), left);
    drop(cursor);
    assert!(arena.allocated_bytes() <= 8192);
    assert_eq!(arena.allocated_bytes(), plain.allocated_bytes());
}

#[test]
#[should_panic(expected = "arena allocation limit reached")]
fn infallible_cursor_alloc_panics_at_the_limit() {
    let mut arena = Arena::new();
    arena.set_allocation_limit(Some(0));
    arena.cursor().alloc(1u8);
}

#[test]
fn zero_sized_types() {
    #[repr(align(4096))]
    #[derive(Clone, Copy)]
    struct BigAlignZst;
    let mut arena = Arena::new();
    let mut cursor = arena.cursor();
    for _ in 0..10 {
        let unit = cursor.alloc(());
        *unit = ();
        let empty: &mut [u64; 0] = cursor.alloc([]);
        assert_eq!(addr(empty) % 8, 0);
        assert_eq!(cursor.alloc_slice_copy::<()>(&[(), (), ()]).len(), 3);
        assert_eq!(&*cursor.alloc_str(""), "");
        assert_eq!(addr(cursor.alloc(BigAlignZst)) % 4096, 0);
    }
    drop(cursor);
    // No chunk was needed for any of them.
    assert_eq!(arena.chunk_count(), 0);
    // A zero-sized request with more alignment than the empty finger has
    // takes the slow path and still succeeds.
    #[repr(align(8192))]
    #[derive(Clone, Copy)]
    struct HugeAlignZst;
    let z = arena.cursor().alloc(HugeAlignZst);
    assert_eq!(addr(z) % 8192, 0);
}

#[test]
fn huge_requests_return_errors() {
    let mut arena = Arena::new();
    let mut cursor = arena.cursor();
    // With the chunk header, this no longer fits in a Layout.
    let layout = Layout::from_size_align(isize::MAX as usize - 7, 8).unwrap();
    assert_eq!(
        cursor.try_alloc_layout(layout).unwrap_err().kind(),
        AllocErrorKind::CapacityOverflow
    );
    // Alignment padding that would overflow is caught too.
    let layout = Layout::from_size_align(isize::MAX as usize / 2 + 1, 1 << 62).unwrap();
    assert_eq!(
        cursor.try_alloc_layout(layout).unwrap_err().kind(),
        AllocErrorKind::CapacityOverflow
    );
    // The cursor and the arena are still fine.
    assert_eq!(*cursor.alloc(3u8), 3);
    drop(cursor);
    assert_eq!(*arena.alloc(4u8), 4);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "Miri aborts on a 1 TiB allocation instead of failing it"
)]
fn a_terabyte_is_out_of_memory() {
    let mut arena = Arena::new();
    let layout = Layout::from_size_align(1 << 40, 8).unwrap();
    assert_eq!(
        arena.cursor().try_alloc_layout(layout).unwrap_err().kind(),
        AllocErrorKind::OutOfMemory
    );
}

#[test]
fn large_objects_get_their_own_chunk() {
    let mut arena = Arena::builder().chunk_size(4096).build();
    let mut cursor = arena.cursor();
    cursor.alloc(1u64);
    let left = cursor.chunk_capacity_left();
    let big = cursor.alloc([7u8; 8192]);
    assert_eq!(big[8191], 7);
    // The current chunk was not abandoned for the big object...
    assert_eq!(cursor.chunk_capacity_left(), left);
    // ...and small allocations continue in it.
    cursor.alloc(2u64);
    assert_eq!(cursor.chunk_capacity_left(), left - 8);
    drop(cursor);
    assert_eq!(arena.chunk_count(), 2);
    assert_eq!(arena.chunk_capacity_left(), left - 8);
}

#[test]
fn a_panic_inside_alloc_with_hands_the_finger_back() {
    let mut arena = Arena::with_capacity(4096);
    let start = addr(arena.alloc(0u64));
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let mut cursor = arena.cursor();
        cursor.alloc(1u64);
        cursor.alloc_with(|| -> u64 { panic!("constructor failed") });
    }));
    assert!(caught.is_err());
    // The cursor was dropped during unwinding: the arena continues below the
    // two blocks it handed out (the second one was reserved before `f` ran).
    assert_eq!(addr(arena.alloc(2u64)), start - 24);
}

#[test]
fn a_leaked_cursor_leaves_the_arena_usable() {
    let mut arena = Arena::with_capacity(4096);
    let start = addr(arena.alloc(0u64));
    let mut cursor = arena.cursor();
    let leaked = addr(cursor.alloc(1u64));
    std::mem::forget(cursor);
    // The finger was never written back, so the arena hands the leaked
    // cursor's block out again; nothing can still refer to it (its
    // reference's lifetime ended with the cursor's borrow).
    let again = arena.alloc(2u64);
    assert_eq!(addr(again), leaked);
    assert_eq!(leaked, start - 8);
    *again += 1;
    assert_eq!(*again, 3);
}

#[test]
fn debug_shows_the_room_left() {
    let mut arena = Arena::with_capacity(4096);
    let cursor = arena.cursor();
    let text = format!("{cursor:?}");
    assert!(text.starts_with("Cursor { chunk_capacity_left: "), "{text}");
}
