//! Property tests: random allocation sequences never misalign, never
//! overlap, and never disturb earlier contents, across chunk growth and
//! reset. Case counts shrink under Miri.

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

/// One allocation request: a size and an alignment exponent, or a push onto
/// one of two growing vectors.
#[derive(Clone, Debug)]
enum Op {
    Layout { size: usize, align_shift: u32 },
    Push { which: bool, value: u32 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..600, 0u32..8).prop_map(|(size, align_shift)| Op::Layout { size, align_shift }),
        1 => (any::<bool>(), any::<u32>()).prop_map(|(which, value)| Op::Push { which, value }),
    ]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(op(), 0..if cfg!(miri) { 40 } else { 300 })
}

/// Runs `ops` once, checking alignment, overlap and contents.
fn run(arena: &Arena, ops: &[Op]) -> Vec<usize> {
    let mut blocks: Vec<(*mut u8, usize, u8)> = Vec::new();
    let mut a = goro_arena::Vec::new_in(arena);
    let mut b = goro_arena::Vec::new_in(arena);
    let mut model_a = Vec::new();
    let mut model_b = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        match *op {
            Op::Layout { size, align_shift } => {
                let align = 1usize << align_shift;
                let p = arena.alloc_layout(Layout::from_size_align(size, align).unwrap());
                assert_eq!(p.as_ptr().addr() % align, 0);
                let fill = i as u8;
                // SAFETY: a fresh block of `size` bytes.
                unsafe { p.as_ptr().write_bytes(fill, size) };
                blocks.push((p.as_ptr(), size, fill));
            }
            Op::Push { which, value } => {
                if which {
                    a.push(value);
                    model_a.push(value);
                } else {
                    b.push(value);
                    model_b.push(value);
                }
            }
        }
    }
    // Contents intact after every later allocation and chunk change.
    for &(p, size, fill) in &blocks {
        // SAFETY: the block is still allocated (no reset happened).
        let bytes = unsafe { std::slice::from_raw_parts(p, size) };
        assert!(bytes.iter().all(|&x| x == fill));
    }
    assert_eq!(a.as_slice(), &model_a[..]);
    assert_eq!(b.as_slice(), &model_b[..]);
    // No two non-empty blocks overlap (vector buffers included).
    let mut spans: Vec<(usize, usize)> = blocks
        .iter()
        .filter(|b| b.1 > 0)
        .map(|&(p, size, _)| (p.addr(), p.addr() + size))
        .collect();
    for v in [&a, &b] {
        if v.capacity() > 0 {
            let start = v.as_ptr().addr();
            spans.push((start, start + v.capacity() * 4));
        }
    }
    spans.sort_unstable();
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "overlap: {:x?}", w);
    }
    blocks.iter().map(|b| b.0.addr()).collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn allocations_are_aligned_disjoint_and_intact(ops in ops(), chunk in 128usize..4096) {
        let mut arena = Arena::builder().chunk_size(chunk).build();
        let first = run(&arena, &ops);
        let first_bytes = arena.allocated_bytes();
        // Reset merges a multi-chunk round into one chunk and drops idle
        // dedicated chunks, so the memory held settles within a few rounds;
        // from then on a repeated workload allocates nothing and lands at the
        // very same addresses.
        let mut prev = (first, first_bytes);
        let mut settled = None;
        for round in 1..=6 {
            arena.reset();
            let now = (run(&arena, &ops), arena.allocated_bytes());
            if now == prev {
                settled = Some(round);
                break;
            }
            prev = now;
        }
        prop_assert!(settled.is_some(), "still changing after 6 resets");
        for _ in 0..2 {
            arena.reset();
            let now = (run(&arena, &ops), arena.allocated_bytes());
            prop_assert_eq!(&now, &prev);
        }
        // Bounded: at most the first round's chunks merged, plus one more
        // generation of growth.
        prop_assert!(prev.1 <= 3 * first_bytes + 8192, "{} -> {}", first_bytes, prev.1);
    }

    #[test]
    fn limit_is_never_exceeded(sizes in proptest::collection::vec(1usize..3000, 1..50), limit in 0usize..20_000) {
        let arena = Arena::builder().chunk_size(512).allocation_limit(Some(limit)).build();
        for size in sizes {
            let _ = arena.try_alloc_layout(Layout::from_size_align(size, 8).unwrap());
            prop_assert!(arena.allocated_bytes() <= limit);
        }
    }

    #[test]
    fn vec_matches_std(values in proptest::collection::vec(any::<u16>(), 0..200), interleave in any::<bool>()) {
        let arena = Arena::builder().chunk_size(256).build();
        let mut v = goro_arena::Vec::new_in(&arena);
        let mut s = goro_arena::String::new_in(&arena);
        let mut model = String::new();
        for (i, &x) in values.iter().enumerate() {
            v.push(x);
            if interleave {
                arena.alloc(i as u32);
            }
            let c = char::from_u32(u32::from(x) % 0x800 + 32).unwrap_or('?');
            s.push(c);
            model.push(c);
        }
        prop_assert_eq!(v.as_slice(), &values[..]);
        prop_assert_eq!(s.as_str(), model.as_str());
    }
}
