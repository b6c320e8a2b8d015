//! Property tests of `Cursor`: random runs of requests alternate between a
//! cursor, the arena's own `alloc_layout` and growing collections; every
//! block is aligned, disjoint from every other and intact at the end, across
//! chunk growth and resets, and a twin arena doing the same requests
//! without a cursor takes the same decisions. Case counts shrink under Miri.

use std::alloc::Layout;

use goro_arena::Arena;
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: if cfg!(miri) { 3 } else { 256 },
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// One run of requests: (size, alignment exponent) pairs through a cursor
/// or through the arena, or a collection grown from empty.
#[derive(Clone, Debug)]
enum Seg {
    Cursor(Vec<(usize, u32)>),
    Arena(Vec<(usize, u32)>),
    Vec(usize),
}

fn requests() -> impl Strategy<Value = Vec<(usize, u32)>> {
    let size = prop_oneof![8 => 0usize..100, 2 => 100usize..1200, 1 => 4000usize..6000];
    proptest::collection::vec((size, 0u32..8), 0..if cfg!(miri) { 8 } else { 40 })
}

fn segs() -> impl Strategy<Value = Vec<Seg>> {
    let seg = prop_oneof![
        3 => requests().prop_map(Seg::Cursor),
        2 => requests().prop_map(Seg::Arena),
        1 => (0usize..200).prop_map(Seg::Vec),
    ];
    proptest::collection::vec(seg, 0..if cfg!(miri) { 5 } else { 12 })
}

fn layout(size: usize, shift: u32, max_align: usize) -> Layout {
    Layout::from_size_align(size, (1usize << shift).min(max_align)).unwrap()
}

/// Runs `segs` on `arena` (cursor segments through the arena instead when
/// `use_cursor` is false). Checks alignment, overlap and contents; returns
/// the chunk count, bytes and room left after each segment.
fn run(
    arena: &mut Arena,
    segs: &[Seg],
    use_cursor: bool,
    max_align: usize,
) -> Vec<(usize, usize, usize)> {
    let mut blocks: Vec<(*mut u8, usize, u8)> = Vec::new();
    let mut stats = Vec::new();
    let mut fill = 0u8;
    let mut record = |blocks: &mut Vec<(*mut u8, usize, u8)>, p: *mut u8, size: usize| {
        fill = fill.wrapping_add(1);
        // SAFETY: a fresh block of `size` bytes.
        unsafe { p.write_bytes(fill, size) };
        blocks.push((p, size, fill));
    };
    for seg in segs {
        match seg {
            Seg::Cursor(reqs) if use_cursor => {
                let mut cursor = arena.cursor();
                for &(size, shift) in reqs {
                    let l = layout(size, shift, max_align);
                    let p = cursor.alloc_layout(l).as_ptr();
                    assert_eq!(p.addr() % l.align(), 0, "{l:?}");
                    record(&mut blocks, p, size);
                }
            }
            Seg::Cursor(reqs) | Seg::Arena(reqs) => {
                for &(size, shift) in reqs {
                    let l = layout(size, shift, max_align);
                    let p = arena.alloc_layout(l).as_ptr();
                    assert_eq!(p.addr() % l.align(), 0, "{l:?}");
                    record(&mut blocks, p, size);
                }
            }
            &Seg::Vec(n) => {
                let mut v = goro_arena::Vec::new_in(&*arena);
                v.extend(0..n as u64);
                let s = v.into_bump_slice();
                assert!(s.iter().enumerate().all(|(i, &x)| x == i as u64));
                record(&mut blocks, s.as_mut_ptr().cast(), n * 8);
            }
        }
        stats.push((
            arena.chunk_count(),
            arena.allocated_bytes(),
            arena.chunk_capacity_left(),
        ));
    }
    for &(p, size, fill) in &blocks {
        // SAFETY: the block is still allocated (no reset happened).
        let bytes = unsafe { std::slice::from_raw_parts(p, size) };
        assert!(bytes.iter().all(|&x| x == fill), "block {p:p} changed");
    }
    let mut spans: Vec<(usize, usize)> = blocks
        .iter()
        .filter(|b| b.1 > 0)
        .map(|&(p, size, _)| (p.addr(), p.addr() + size))
        .collect();
    spans.sort_unstable();
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "overlap: {:x?}", w);
    }
    stats
}

proptest! {
    #![proptest_config(config())]

    /// Aligned, disjoint, intact with any alignment up to 128, round after
    /// round.
    #[test]
    fn cursor_blocks_are_aligned_disjoint_and_intact(segs in segs(), chunk in 128usize..4096) {
        let mut arena = Arena::builder().chunk_size(chunk).build();
        for _ in 0..3 {
            run(&mut arena, &segs, true, 128);
            arena.reset();
        }
    }

    /// A twin arena without a cursor holds the same chunks after every
    /// segment, with the same room left in the current one (alignment at
    /// most 16, so padding does not depend on where each chunk was put).
    #[test]
    fn cursor_takes_the_arena_decisions(segs in segs(), chunk in 128usize..4096) {
        let build = || Arena::builder().chunk_size(chunk).build();
        let (mut plain, mut mixed) = (build(), build());
        for _ in 0..3 {
            let want = run(&mut plain, &segs, false, 16);
            let got = run(&mut mixed, &segs, true, 16);
            prop_assert_eq!(got, want);
            plain.reset();
            mixed.reset();
        }
    }

    /// Through a cursor the limit is never exceeded, and every request
    /// succeeds or fails exactly as it does on the arena.
    #[test]
    fn cursor_honours_the_limit(
        reqs in proptest::collection::vec((1usize..3000, 0u32..5), 1..50),
        limit in 0usize..20_000,
    ) {
        let build = || Arena::builder().chunk_size(512).allocation_limit(Some(limit)).build();
        let (plain, mut arena) = (build(), build());
        let mut cursor = arena.cursor();
        for &(size, shift) in &reqs {
            let l = layout(size, shift, 16);
            let want = plain.try_alloc_layout(l).map(|_| ()).map_err(|e| e.kind());
            let got = cursor.try_alloc_layout(l).map(|_| ()).map_err(|e| e.kind());
            prop_assert_eq!(got, want);
        }
        drop(cursor);
        prop_assert!(arena.allocated_bytes() <= limit);
        prop_assert_eq!(arena.allocated_bytes(), plain.allocated_bytes());
    }
}
