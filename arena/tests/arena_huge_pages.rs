//! Chunks of 4 MiB or more live on their own 2 MiB-aligned mappings marked
//! `MADV_HUGEPAGE` (unless the builder turns that off); smaller ones stay in
//! the global allocator. The kernel's view of each mapping is read from
//! `/proc/self/smaps`: the `hg` VmFlag is the madvise, which is
//! deterministic, unlike whether THP memory was available at fault time.
//!
//! Linux only, and not under Miri (no `mmap` there; the arena then uses the
//! global allocator for every chunk, which the other tests cover).
#![cfg(all(target_os = "linux", not(miri)))]

use std::sync::Mutex;

use goro_arena::Arena;

/// Held by every test, so that no other test maps memory while one reads
/// the maps (a freed range could otherwise be mapped again at once).
static MAPS: Mutex<()> = Mutex::new(());

const MIB: usize = 1 << 20;
const HUGE_PAGE: usize = 2 * MIB;

/// The smaps entry of the mapping holding `addr`: its start and end, and
/// whether its VmFlags include `hg`.
fn mapping_of(addr: usize) -> (usize, usize, bool) {
    try_mapping_of(addr).unwrap_or_else(|| panic!("no mapping holds {addr:#x}"))
}

fn try_mapping_of(addr: usize) -> Option<(usize, usize, bool)> {
    let smaps = std::fs::read_to_string("/proc/self/smaps").expect("smaps is readable");
    let mut found: Option<(usize, usize)> = None;
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if let Some((lo, hi)) = first.split_once('-') {
            if let (Ok(lo), Ok(hi)) = (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
            {
                found = (lo..hi).contains(&addr).then_some((lo, hi)).or(found);
                continue;
            }
        }
        if let (Some((lo, hi)), Some(flags)) = (found, line.strip_prefix("VmFlags:")) {
            if (lo..hi).contains(&addr) {
                return Some((lo, hi, flags.split_whitespace().any(|f| f == "hg")));
            }
        }
    }
    None
}

#[test]
fn a_large_chunk_is_its_own_huge_page_mapping() {
    let _maps = MAPS.lock();
    let arena = Arena::with_capacity(8 * MIB);
    let p = arena.alloc(7u64) as *mut u64 as usize;
    let (lo, hi, hg) = mapping_of(p);
    assert!(hg, "the chunk's mapping is marked MADV_HUGEPAGE");
    assert_eq!(lo % HUGE_PAGE, 0, "the mapping starts on a huge page");
    assert_eq!((hi - lo) % HUGE_PAGE, 0, "and is whole huge pages long");
    // The chunk is the whole mapping: rounded up, and all of it usable.
    assert_eq!(arena.allocated_bytes(), hi - lo);
    assert!(arena.allocated_bytes() >= 8 * MIB);
}

#[test]
fn turned_off_every_chunk_comes_from_the_global_allocator() {
    let _maps = MAPS.lock();
    let arena = Arena::builder().capacity(8 * MIB).huge_pages(false).build();
    let p = arena.alloc(7u64) as *mut u64 as usize;
    let (_, _, hg) = mapping_of(p);
    assert!(!hg, "no madvise without huge pages");
    // Sized as asked (header and rounding to 16 only), not to 2 MiB.
    assert!(arena.allocated_bytes() < 8 * MIB + 64);
}

#[test]
fn small_chunks_stay_in_the_global_allocator() {
    let _maps = MAPS.lock();
    let arena = Arena::with_capacity(MIB);
    let p = arena.alloc(7u64) as *mut u64 as usize;
    let (lo, hi, hg) = mapping_of(p);
    assert!(
        !hg || hi - lo > 4 * MIB,
        "a 1 MiB chunk is not mapped alone"
    );
    assert!(arena.allocated_bytes() < MIB + 64);
}

#[test]
fn the_merged_chunk_after_a_big_round_is_on_huge_pages_and_reused() {
    let _maps = MAPS.lock();
    let mut arena = Arena::new();
    let fill = |arena: &Arena| -> Vec<usize> {
        (0..200_000u64)
            .map(|i| arena.alloc([i; 8]) as *mut [u64; 8] as usize)
            .collect()
    };
    fill(&arena);
    arena.reset();
    // The round spilled over many chunks; reset merged them into one.
    assert_eq!(arena.chunk_count(), 1);
    let first = fill(&arena);
    let (lo, hi, hg) = mapping_of(first[0]);
    assert!(hg, "the merged chunk is on huge pages");
    assert!(first.iter().all(|&a| (lo..hi).contains(&a)), "one mapping");
    let bytes = arena.allocated_bytes();
    arena.reset();
    let second = fill(&arena);
    assert_eq!(first, second, "the next round lands at the same addresses");
    assert_eq!(arena.allocated_bytes(), bytes, "with no new chunk");
}

#[test]
fn rounding_up_never_crosses_the_allocation_limit() {
    let _maps = MAPS.lock();
    let limit = 5 * MIB;
    let arena = Arena::builder()
        .allocation_limit(Some(limit))
        .capacity(4 * MIB + 4096)
        .build();
    let p = arena.alloc(1u8) as *mut u8 as usize;
    // 6 MiB of whole huge pages would pass the limit: the chunk keeps its
    // size and comes from the global allocator.
    assert!(arena.allocated_bytes() <= limit);
    assert!(!mapping_of(p).2);
}

#[test]
fn dropping_and_resetting_unmaps_what_was_mapped() {
    let _maps = MAPS.lock();
    let mut arena = Arena::builder().retain_bytes(Some(0)).build();
    let big = arena.alloc_slice_fill_with(MIB, |i| i as u64).as_ptr() as usize;
    assert!(mapping_of(big).2, "an 8 MiB dedicated chunk is mapped");
    arena.reset();
    assert_eq!(arena.allocated_bytes(), 0, "a zero retain budget frees it");
    let after = try_mapping_of(big);
    assert!(
        after.is_none_or(|(_, _, hg)| !hg),
        "the huge-page mapping is gone: {after:x?}"
    );
}
