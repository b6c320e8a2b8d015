//! Arena `Vec`/`String` (in-place growth), the allocator-api2 impl and the
//! per-thread request arena.

use goro_arena::{Arena, String, Vec, with_thread_arena};

#[test]
fn last_buffer_grows_in_place_even_with_objects_in_between() {
    let arena = Arena::with_capacity(1 << 16);
    let mut v = Vec::new_in(&arena);
    v.push(0u64);
    let start = v.as_ptr();
    let mut caps = std::vec::Vec::new();
    for i in 1..1000u64 {
        v.push(i);
        // Objects bumped down from the other end do not get in the way.
        arena.alloc(i);
        caps.push(v.capacity());
    }
    assert_eq!(v.as_ptr(), start, "the buffer moved");
    assert!(caps.windows(2).any(|w| w[1] > w[0]), "never grew");
    assert!(v.iter().copied().eq(0..1000));
}

#[test]
fn two_growing_vecs_copy_but_keep_contents() {
    let arena = Arena::new();
    let mut a = Vec::new_in(&arena);
    let mut b = Vec::new_in(&arena);
    for i in 0..500u32 {
        a.push(i);
        b.push(i * 2);
    }
    assert!(a.iter().copied().eq(0..500));
    assert!(b.iter().copied().eq((0..500).map(|i| i * 2)));
}

#[test]
fn dropping_the_last_buffer_gives_its_bytes_back() {
    let arena = Arena::with_capacity(4096);
    let before = arena.chunk_capacity_left();
    let mut v = Vec::with_capacity_in(100, &arena);
    v.push(1u8);
    assert!(arena.chunk_capacity_left() < before);
    drop(v);
    assert_eq!(arena.chunk_capacity_left(), before);
}

#[test]
fn vec_api() {
    let arena = Arena::new();
    let mut v = Vec::from_iter_in([3, 1, 2], &arena);
    v.insert(0, 9);
    assert_eq!(v.as_slice(), &[9, 3, 1, 2]);
    assert_eq!(v.remove(1), 3);
    assert_eq!(v.swap_remove(0), 9);
    assert_eq!(v.as_slice(), &[2, 1]);
    v.extend_from_slice(&[5, 6]);
    v.extend(&[7]);
    v.sort();
    assert_eq!(v.as_slice(), &[1, 2, 5, 6, 7]);
    v.truncate(2);
    assert_eq!(v.pop(), Some(2));
    v.clear();
    assert!(v.is_empty());
    assert_eq!(v.pop(), None);
    for x in &mut v {
        *x += 1;
    }
    let mut zst = Vec::new_in(&arena);
    for _ in 0..1000 {
        zst.push(());
    }
    assert_eq!(zst.len(), 1000);
    assert_eq!(arena.chunk_count(), 1);
    let frozen = Vec::from_iter_in(0..4u8, &arena).into_bump_slice();
    frozen[0] = 10;
    assert_eq!(frozen, &[10, 1, 2, 3]);
}

#[test]
fn string_api() {
    use std::fmt::Write;
    let arena = Arena::new();
    let mut s = String::new_in(&arena);
    s.push_str("héllo");
    s.push(' ');
    s.push('🦀');
    write!(s, " {}", 42).unwrap();
    assert_eq!(s, "héllo 🦀 42");
    assert_eq!(s.pop(), Some('2'));
    s.truncate(6);
    assert_eq!(s.as_str(), "héllo");
    assert_eq!(s.len(), 6);
    let copy = String::from_str_in("abc", &arena);
    let frozen: &str = copy.into_bump_str();
    assert_eq!(frozen, "abc");
    assert_eq!(format!("{s}|{s:?}"), "héllo|\"héllo\"");
}

#[test]
#[should_panic(expected = "truncate inside a character")]
fn string_truncate_checks_boundaries() {
    let arena = Arena::new();
    let mut s = String::from_str_in("é", &arena);
    s.truncate(1);
}

#[test]
fn allocator_api2_vec_lives_in_the_arena() {
    let arena = Arena::with_capacity(1 << 16);
    let before = arena.allocated_bytes();
    let mut v = allocator_api2::vec::Vec::new_in(&arena);
    let mut start = None;
    for i in 0..2000u32 {
        v.push(i);
        start.get_or_insert(v.as_ptr());
    }
    // Grown in place by `Allocator::grow`, inside the preallocated chunk.
    assert_eq!(Some(v.as_ptr()), start);
    assert_eq!(arena.allocated_bytes(), before);
    assert!(v.iter().copied().eq(0..2000));
    v.shrink_to_fit();
    assert_eq!(v.capacity(), 2000);
    let boxed = allocator_api2::boxed::Box::new_in([1u64; 4], &arena);
    assert_eq!(boxed.iter().sum::<u64>(), 4);
}

#[test]
fn hashbrown_map_lives_in_the_arena() {
    let arena = Arena::new();
    let mut map = hashbrown::HashMap::with_hasher_in(std::hash::RandomState::new(), &arena);
    let n = if cfg!(miri) { 50 } else { 1000 };
    for i in 0..n {
        map.insert(i, i * 2);
    }
    assert!((0..n).all(|i| map[&i] == i * 2));
    assert!(arena.allocated_bytes() > 0);
}

#[test]
fn thread_arena_is_reused_and_reset() {
    let first = with_thread_arena(|arena| {
        let x = arena.alloc(1u64);
        (x as *mut u64).addr()
    });
    for _ in 0..3 {
        let again = with_thread_arena(|arena| {
            let x = arena.alloc(2u64);
            (x as *mut u64).addr()
        });
        assert_eq!(again, first, "same memory after the reset");
    }
    // Nested: the inner call gets its own arena.
    with_thread_arena(|outer| {
        let a = outer.alloc(1u32);
        with_thread_arena(|inner| {
            let b = inner.alloc(2u32);
            assert_ne!((a as *mut u32).addr(), (b as *mut u32).addr());
        });
        assert_eq!(*a, 1);
    });
}

#[test]
fn thread_arena_survives_a_panic() {
    let caught = std::panic::catch_unwind(|| {
        with_thread_arena(|arena| {
            arena.alloc(1u8);
            panic!("request failed");
        })
    });
    assert!(caught.is_err());
    assert_eq!(with_thread_arena(|arena| *arena.alloc(7u8)), 7);
}
