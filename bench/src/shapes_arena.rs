//! The arena shapes, written once: used by `benches/arena.rs`,
//! `benches/arena_mimalloc.rs` and the quick report (`quick/arena.rs`).
//!
//! Every function runs one iteration of a shape and returns the number of
//! operations it did (allocations, requests or pushes), so callers divide
//! time by it. Contenders:
//!
//! * `goro_*`: a reused [`goro_arena::Arena`], `reset` at the end;
//! * `goro_cursor_*`: the same arena, allocating through a
//!   [`goro_arena::Cursor`] (the finger in a register) instead of
//!   `Arena::alloc`; the harness around each allocation is unchanged;
//! * `bumpalo_*`: a reused `bumpalo::Bump`, `reset` at the end;
//! * `heap_*`: one heap allocation per object, freed at the end — through an
//!   explicit `Allocator` (`System` for glibc malloc, or a mimalloc wrapper),
//!   so a counting global allocator in the quick report does not tax it;
//! * `std_*`: plain `Box`/`Vec`/`String` on the *global* allocator (the
//!   mimalloc binary installs mimalloc as the global allocator).
//!
//! Objects are kept alive until the end of the iteration and their
//! addresses recorded in a reused scratch vector, the same for every
//! contender, so each shape really is "allocate all, then free all".
//! Object constructors are generic (`impl Fn`), not `fn` pointers, so they
//! inline: an indirect call per object would be common overhead that hides
//! the allocators' own cost.

use std::hint::black_box;

use bumpalo::Bump;
use goro_arena::Arena;
use goro_arena::allocator_api2::alloc::{Allocator, System};
use goro_arena::allocator_api2::boxed::Box as ABox;
use goro_arena::allocator_api2::vec::Vec as AVec;

/// A 16-byte object.
pub type Obj16 = [u64; 2];
/// A 64-byte object.
pub type Obj64 = [u64; 8];

/// Builds a 16-byte object from `i`.
#[inline(always)]
pub fn obj16(i: u64) -> Obj16 {
    [i, i ^ 0x5555]
}

/// Builds a 64-byte object from `i`.
#[inline(always)]
pub fn obj64(i: u64) -> Obj64 {
    [i, i + 1, i + 2, i + 3, i + 4, i + 5, i + 6, i + 7]
}

// ----- alloc_16b_1m / alloc_64b_1m: n objects, then free all ---------------

/// Allocates `n` objects in the arena, then resets it.
#[inline(never)]
pub fn bulk_goro<T: Copy>(
    arena: &mut Arena,
    n: usize,
    make: impl Fn(u64) -> T,
    seen: &mut Vec<usize>,
) -> u64 {
    seen.clear();
    for i in 0..n {
        seen.push((arena.alloc(make(i as u64)) as *mut T).addr());
    }
    black_box(&seen);
    arena.reset();
    n as u64
}

/// [`bulk_goro`] through a [`goro_arena::Cursor`]: the same `seen.push`
/// of every address, the same `reset`.
#[inline(never)]
pub fn bulk_goro_cursor<T: Copy>(
    arena: &mut Arena,
    n: usize,
    make: impl Fn(u64) -> T,
    seen: &mut Vec<usize>,
) -> u64 {
    seen.clear();
    {
        let mut cursor = arena.cursor();
        for i in 0..n {
            seen.push((cursor.alloc(make(i as u64)) as *mut T).addr());
        }
    }
    black_box(&seen);
    arena.reset();
    n as u64
}

/// Allocates `n` objects in the bump, then resets it.
#[inline(never)]
pub fn bulk_bumpalo<T: Copy>(
    bump: &mut Bump,
    n: usize,
    make: impl Fn(u64) -> T,
    seen: &mut Vec<usize>,
) -> u64 {
    seen.clear();
    for i in 0..n {
        seen.push((bump.alloc(make(i as u64)) as *mut T).addr());
    }
    black_box(&seen);
    bump.reset();
    n as u64
}

/// Allocates `n` boxed objects through `alloc`, then drops them all.
#[inline(never)]
pub fn bulk_heap<T: Copy, A: Allocator + Clone>(
    alloc: &A,
    n: usize,
    make: impl Fn(u64) -> T,
    held: &mut Vec<ABox<T, A>>,
) -> u64 {
    for i in 0..n {
        held.push(ABox::new_in(make(i as u64), alloc.clone()));
    }
    black_box(&held);
    held.clear();
    n as u64
}

/// Allocates `n` `std::boxed::Box`es (global allocator), then drops them.
#[inline(never)]
#[allow(clippy::vec_box)]
pub fn bulk_std<T: Copy>(n: usize, make: impl Fn(u64) -> T, held: &mut Vec<Box<T>>) -> u64 {
    for i in 0..n {
        held.push(Box::new(make(i as u64)));
    }
    black_box(&held);
    held.clear();
    n as u64
}

// ----- alloc_u64_warm: the fast path alone ---------------------------------

/// `n` single-`u64` allocations into a warm arena, each escaping.
#[inline(never)]
pub fn fast_goro(arena: &mut Arena, n: usize) -> u64 {
    for i in 0..n as u64 {
        black_box(arena.alloc(i));
    }
    arena.reset();
    n as u64
}

/// [`fast_goro`] through a [`goro_arena::Cursor`].
#[inline(never)]
pub fn fast_goro_cursor(arena: &mut Arena, n: usize) -> u64 {
    {
        let mut cursor = arena.cursor();
        for i in 0..n as u64 {
            black_box(cursor.alloc(i));
        }
    }
    arena.reset();
    n as u64
}

/// `n` single-`u64` allocations into a warm bump, each escaping.
#[inline(never)]
pub fn fast_bumpalo(bump: &mut Bump, n: usize) -> u64 {
    for i in 0..n as u64 {
        black_box(bump.alloc(i));
    }
    bump.reset();
    n as u64
}

// ----- alloc_u64_sum: the fast path, without an extra store per object -----

/// `n` single-`u64` allocations into a warm arena; the addresses are summed
/// instead of escaping one by one through `black_box`. Every allocation is
/// still used (its value written, its address consumed), but the loop does
/// two stores per allocation (the value, the finger) instead of three:
/// `alloc_u64_warm`'s extra `black_box` store puts both arenas on this
/// machine's one-store-per-cycle floor, which hides the allocator.
#[inline(never)]
pub fn fast_sum_goro(arena: &mut Arena, n: usize) -> u64 {
    let mut sum = 0usize;
    for i in 0..n as u64 {
        sum = sum.wrapping_add((arena.alloc(i) as *mut u64).addr());
    }
    black_box(sum);
    arena.reset();
    n as u64
}

/// [`fast_sum_goro`] through a [`goro_arena::Cursor`].
#[inline(never)]
pub fn fast_sum_goro_cursor(arena: &mut Arena, n: usize) -> u64 {
    let mut sum = 0usize;
    {
        let mut cursor = arena.cursor();
        for i in 0..n as u64 {
            sum = sum.wrapping_add((cursor.alloc(i) as *mut u64).addr());
        }
    }
    black_box(sum);
    arena.reset();
    n as u64
}

/// [`fast_sum_goro`] on a warm `bumpalo::Bump`.
#[inline(never)]
pub fn fast_sum_bumpalo(bump: &mut Bump, n: usize) -> u64 {
    let mut sum = 0usize;
    for i in 0..n as u64 {
        sum = sum.wrapping_add((bump.alloc(i) as *mut u64).addr());
    }
    black_box(sum);
    bump.reset();
    n as u64
}

/// [`fast_sum_goro`] with one heap allocation per `u64` through `alloc`,
/// kept until the end (the sum is taken before they are freed).
#[inline(never)]
pub fn fast_sum_heap<A: Allocator + Clone>(
    alloc: &A,
    n: usize,
    held: &mut Vec<ABox<u64, A>>,
) -> u64 {
    let mut sum = 0usize;
    for i in 0..n as u64 {
        let b = ABox::new_in(i, alloc.clone());
        sum = sum.wrapping_add((&*b as *const u64).addr());
        held.push(b);
    }
    black_box(sum);
    held.clear();
    n as u64
}

// ----- store floor: what the harness alone costs ----------------------------

/// `n` iterations of two stores to different cache lines and nothing else:
/// the floor of `alloc_u64_sum` (value + finger) on a core that retires one
/// store per cycle.
#[inline(never)]
pub fn store_floor_2(slots: &mut [u64; 64], n: usize) -> u64 {
    for i in 0..n as u64 {
        slots[0] = i;
        black_box(&mut slots[32]);
    }
    n as u64
}

/// Three stores per iteration: the floor of `alloc_u64_warm` (value, finger,
/// the `black_box` slot).
#[inline(never)]
pub fn store_floor_3(slots: &mut [u64; 64], n: usize) -> u64 {
    for i in 0..n as u64 {
        slots[0] = i;
        slots[16] = i;
        black_box(&mut slots[32]);
    }
    n as u64
}

// ----- request_mixed: one request's worth of objects and collections -------

/// Objects of each of the four kinds per request (100 in all).
pub const PER_KIND: u64 = 25;
/// Small vectors per request, and elements pushed into each (from empty).
pub const VECS: usize = 4;
/// Elements pushed into each small vector.
pub const VEC_LEN: u32 = 16;
/// Strings per request.
pub const STRINGS: usize = 2;

const PATH: &str = "/api/v1/items/12345?fields=name,price";

/// The body of one request in an arena: 100 mixed objects, 4 `Vec`s grown
/// from empty, 2 `String`s; returns a checksum.
#[inline(always)]
fn request_body_goro(a: &Arena, seed: u64, seen: &mut Vec<usize>) -> u64 {
    seen.clear();
    let mut sum = 0u64;
    for i in seed..seed + PER_KIND {
        let w = a.alloc(i);
        let x = a.alloc([i as u32; 6]);
        let y = a.alloc([i; 5]);
        let z = a.alloc((i, i as u16));
        sum += *w + u64::from(x[5]) + y[4] + z.0;
        seen.extend([
            (w as *mut u64).addr(),
            (x as *mut [u32; 6]).addr(),
            (y as *mut [u64; 5]).addr(),
            (z as *mut (u64, u16)).addr(),
        ]);
    }
    sum + request_collections_goro(a, seen)
}

/// [`request_body_goro`] with the 100 objects allocated through a
/// [`goro_arena::Cursor`], dropped before the collections (which need
/// `&Arena`) are grown.
#[inline(always)]
fn request_body_goro_cursor(a: &mut Arena, seed: u64, seen: &mut Vec<usize>) -> u64 {
    seen.clear();
    let mut sum = 0u64;
    {
        let mut c = a.cursor();
        for i in seed..seed + PER_KIND {
            let w = c.alloc(i);
            let x = c.alloc([i as u32; 6]);
            let y = c.alloc([i; 5]);
            let z = c.alloc((i, i as u16));
            sum += *w + u64::from(x[5]) + y[4] + z.0;
            seen.extend([
                (w as *mut u64).addr(),
                (x as *mut [u32; 6]).addr(),
                (y as *mut [u64; 5]).addr(),
                (z as *mut (u64, u16)).addr(),
            ]);
        }
    }
    sum + request_collections_goro(a, seen)
}

/// The collections of one request in an arena: 4 `Vec`s grown from empty,
/// 2 `String`s; returns their part of the checksum.
#[inline(always)]
fn request_collections_goro(a: &Arena, seen: &mut Vec<usize>) -> u64 {
    let mut sum = 0u64;
    for k in 0..VECS as u32 {
        let mut v = goro_arena::Vec::new_in(a);
        for j in 0..VEC_LEN {
            v.push(j ^ k);
        }
        sum += v.len() as u64;
        seen.push(v.as_ptr().addr());
        black_box(v.into_bump_slice());
    }
    for _ in 0..STRINGS {
        let mut s = goro_arena::String::new_in(a);
        s.push_str("GET ");
        s.push_str(PATH);
        s.push_str(" HTTP/2");
        sum += s.len() as u64;
        black_box(s.into_bump_str());
    }
    black_box(&seen);
    sum
}

/// The same body on a `bumpalo::Bump` with bumpalo's collections.
#[inline(always)]
fn request_body_bumpalo(a: &Bump, seed: u64, seen: &mut Vec<usize>) -> u64 {
    seen.clear();
    let mut sum = 0u64;
    for i in seed..seed + PER_KIND {
        let w = a.alloc(i);
        let x = a.alloc([i as u32; 6]);
        let y = a.alloc([i; 5]);
        let z = a.alloc((i, i as u16));
        sum += *w + u64::from(x[5]) + y[4] + z.0;
        seen.extend([
            (w as *mut u64).addr(),
            (x as *mut [u32; 6]).addr(),
            (y as *mut [u64; 5]).addr(),
            (z as *mut (u64, u16)).addr(),
        ]);
    }
    for k in 0..VECS as u32 {
        let mut v = bumpalo::collections::Vec::new_in(a);
        for j in 0..VEC_LEN {
            v.push(j ^ k);
        }
        sum += v.len() as u64;
        seen.push(v.as_ptr().addr());
        black_box(v.into_bump_slice());
    }
    for _ in 0..STRINGS {
        let mut s = bumpalo::collections::String::new_in(a);
        s.push_str("GET ");
        s.push_str(PATH);
        s.push_str(" HTTP/2");
        sum += s.len() as u64;
        black_box(s.into_bump_str());
    }
    black_box(&seen);
    sum
}

/// One request on a reused arena, then `reset`.
#[inline(never)]
pub fn request_goro(arena: &mut Arena, seed: u64, seen: &mut Vec<usize>) -> u64 {
    black_box(request_body_goro(arena, seed, seen));
    arena.reset();
    1
}

/// [`request_goro`] with the objects allocated through a cursor.
#[inline(never)]
pub fn request_goro_cursor(arena: &mut Arena, seed: u64, seen: &mut Vec<usize>) -> u64 {
    black_box(request_body_goro_cursor(arena, seed, seen));
    arena.reset();
    1
}

/// One request on a reused `bumpalo::Bump`, then `reset`.
#[inline(never)]
pub fn request_bumpalo(bump: &mut Bump, seed: u64, seen: &mut Vec<usize>) -> u64 {
    black_box(request_body_bumpalo(bump, seed, seen));
    bump.reset();
    1
}

/// Heap objects of one request, kept until the request ends.
pub struct HeapRequest<A: Allocator> {
    w: Vec<ABox<u64, A>>,
    x: Vec<ABox<[u32; 6], A>>,
    y: Vec<ABox<[u64; 5], A>>,
    z: Vec<ABox<(u64, u16), A>>,
    vecs: Vec<AVec<u32, A>>,
    strings: Vec<AVec<u8, A>>,
}

impl<A: Allocator> Default for HeapRequest<A> {
    fn default() -> Self {
        HeapRequest {
            w: Vec::with_capacity(PER_KIND as usize),
            x: Vec::with_capacity(PER_KIND as usize),
            y: Vec::with_capacity(PER_KIND as usize),
            z: Vec::with_capacity(PER_KIND as usize),
            vecs: Vec::with_capacity(VECS),
            strings: Vec::with_capacity(STRINGS),
        }
    }
}

/// [`request_goro`] with one heap allocation per object and per buffer
/// through `alloc` (vectors grow from empty), all freed at the end.
#[inline(never)]
pub fn request_heap<A: Allocator + Clone>(alloc: &A, seed: u64, held: &mut HeapRequest<A>) -> u64 {
    let mut sum = 0u64;
    for i in seed..seed + PER_KIND {
        let w = ABox::new_in(i, alloc.clone());
        let x = ABox::new_in([i as u32; 6], alloc.clone());
        let y = ABox::new_in([i; 5], alloc.clone());
        let z = ABox::new_in((i, i as u16), alloc.clone());
        sum += *w + u64::from(x[5]) + y[4] + z.0;
        held.w.push(w);
        held.x.push(x);
        held.y.push(y);
        held.z.push(z);
    }
    for k in 0..VECS as u32 {
        let mut v = AVec::new_in(alloc.clone());
        for j in 0..VEC_LEN {
            v.push(j ^ k);
        }
        sum += v.len() as u64;
        held.vecs.push(v);
    }
    for _ in 0..STRINGS {
        let mut s = AVec::new_in(alloc.clone());
        s.extend_from_slice(b"GET ");
        s.extend_from_slice(PATH.as_bytes());
        s.extend_from_slice(b" HTTP/2");
        sum += s.len() as u64;
        held.strings.push(s);
    }
    black_box(&held);
    held.w.clear();
    held.x.clear();
    held.y.clear();
    held.z.clear();
    held.vecs.clear();
    held.strings.clear();
    black_box(sum);
    1
}

/// Std objects of one request (global allocator). The boxes are the point:
/// one heap allocation per object.
#[derive(Default)]
#[allow(clippy::vec_box)]
pub struct StdRequest {
    w: Vec<Box<u64>>,
    x: Vec<Box<[u32; 6]>>,
    y: Vec<Box<[u64; 5]>>,
    z: Vec<Box<(u64, u16)>>,
    vecs: Vec<Vec<u32>>,
    strings: Vec<String>,
}

/// [`request_heap`] with `std::boxed::Box`, `Vec` and `String` on the
/// global allocator.
#[inline(never)]
pub fn request_std(seed: u64, held: &mut StdRequest) -> u64 {
    let mut sum = 0u64;
    for i in seed..seed + PER_KIND {
        let w = Box::new(i);
        let x = Box::new([i as u32; 6]);
        let y = Box::new([i; 5]);
        let z = Box::new((i, i as u16));
        sum += *w + u64::from(x[5]) + y[4] + z.0;
        held.w.push(w);
        held.x.push(x);
        held.y.push(y);
        held.z.push(z);
    }
    for k in 0..VECS as u32 {
        let mut v = Vec::new();
        for j in 0..VEC_LEN {
            v.push(j ^ k);
        }
        sum += v.len() as u64;
        held.vecs.push(v);
    }
    for _ in 0..STRINGS {
        let mut s = String::new();
        s.push_str("GET ");
        s.push_str(PATH);
        s.push_str(" HTTP/2");
        sum += s.len() as u64;
        held.strings.push(s);
    }
    black_box(&held);
    held.w.clear();
    held.x.clear();
    held.y.clear();
    held.z.clear();
    held.vecs.clear();
    held.strings.clear();
    black_box(sum);
    1
}

// ----- vec_u64_10k: growth from empty ---------------------------------------

/// Pushes `n` `u64`s into a `goro_arena::Vec` from empty, then resets.
#[inline(never)]
pub fn vec_goro(arena: &mut Arena, n: usize) -> u64 {
    {
        let mut v = goro_arena::Vec::new_in(&*arena);
        for i in 0..n as u64 {
            v.push(i);
        }
        black_box(v.as_slice());
    }
    arena.reset();
    n as u64
}

/// Pushes `n` `u64`s into a `bumpalo::collections::Vec` from empty, then resets.
#[inline(never)]
pub fn vec_bumpalo(bump: &mut Bump, n: usize) -> u64 {
    {
        let mut v = bumpalo::collections::Vec::new_in(&*bump);
        for i in 0..n as u64 {
            v.push(i);
        }
        black_box(v.as_slice());
    }
    bump.reset();
    n as u64
}

/// Pushes `n` `u64`s into a std-like `Vec` on `alloc` from empty.
#[inline(never)]
pub fn vec_heap<A: Allocator + Clone>(alloc: &A, n: usize) -> u64 {
    let mut v = AVec::new_in(alloc.clone());
    for i in 0..n as u64 {
        v.push(i);
    }
    black_box(v.as_slice());
    n as u64
}

/// Pushes `n` `u64`s into a `std::vec::Vec` (global allocator) from empty.
#[inline(never)]
pub fn vec_std(n: usize) -> u64 {
    let mut v = Vec::new();
    for i in 0..n as u64 {
        v.push(i);
    }
    black_box(v.as_slice());
    n as u64
}

// ----- pool_buffer_4k: a request's buffer, pooled or fresh -------------------

/// Acquires a pooled 4 KiB buffer, fills 1 KiB, releases it (recycled:
/// cleared, capacity kept), `n` times.
#[inline(never)]
pub fn pool_goro(local: &goro_arena::Local<Vec<u8>>, n: usize) -> u64 {
    for i in 0..n {
        let mut buf = local.acquire();
        buf.resize(1024, i as u8);
        black_box(buf.as_slice());
    }
    n as u64
}

/// The same with a fresh `Vec::with_capacity(4096)` each time (global
/// allocator).
#[inline(never)]
pub fn pool_fresh(n: usize) -> u64 {
    for i in 0..n {
        let mut buf = Vec::<u8>::with_capacity(4096);
        buf.resize(1024, i as u8);
        black_box(buf.as_slice());
    }
    n as u64
}

// ----- two_threads_request: per-thread arenas ---------------------------------

/// A job for a [`Team`]: a request function and how many times to run it.
type Job = Option<(fn(u64) -> u64, u64)>;

/// Worker threads that stay alive across iterations, so that a timed
/// iteration measures requests, not thread start-up or cold thread-locals.
pub struct Team {
    workers: Vec<std::thread::JoinHandle<()>>,
    start: std::sync::Arc<std::sync::Barrier>,
    done: std::sync::Arc<std::sync::Barrier>,
    job: std::sync::Arc<std::sync::Mutex<Job>>,
}

impl Team {
    /// Starts `threads` idle workers.
    pub fn new(threads: usize) -> Team {
        let start = std::sync::Arc::new(std::sync::Barrier::new(threads + 1));
        let done = std::sync::Arc::new(std::sync::Barrier::new(threads + 1));
        let job: std::sync::Arc<std::sync::Mutex<Job>> = Default::default();
        let workers = (0..threads)
            .map(|_| {
                let (start, done, job) = (start.clone(), done.clone(), job.clone());
                std::thread::spawn(move || {
                    loop {
                        start.wait();
                        let Some((one, requests)) = *job.lock().unwrap() else {
                            return;
                        };
                        for r in 0..requests {
                            one(r);
                        }
                        done.wait();
                    }
                })
            })
            .collect();
        Team {
            workers,
            start,
            done,
            job,
        }
    }

    /// Runs `requests` requests on every worker at once and waits for all;
    /// returns the requests per worker (time ÷ result = wall time per
    /// request per thread, comparable across team sizes).
    pub fn run(&self, requests: u64, one: fn(u64) -> u64) -> u64 {
        *self.job.lock().unwrap() = Some((one, requests));
        self.start.wait();
        self.done.wait();
        requests
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        *self.job.lock().unwrap() = None;
        self.start.wait();
        for w in self.workers.drain(..) {
            w.join().unwrap();
        }
    }
}

std::thread_local! {
    static SEEN: std::cell::RefCell<Vec<usize>> = std::cell::RefCell::new(Vec::with_capacity(128));
    static BUMP: std::cell::RefCell<Bump> = std::cell::RefCell::new(Bump::new());
    static HELD: std::cell::RefCell<HeapRequest<System>> = std::cell::RefCell::new(HeapRequest::default());
}

/// One request on this thread's request arena
/// ([`goro_arena::with_thread_arena`], reset when the closure returns).
#[inline(never)]
pub fn request_thread_arena(seed: u64) -> u64 {
    SEEN.with(|seen| {
        let seen = &mut seen.borrow_mut();
        goro_arena::with_thread_arena(|a| black_box(request_body_goro(a, seed, seen)));
    });
    1
}

/// One request on a thread-local `bumpalo::Bump` (what bumpalo users do).
#[inline(never)]
pub fn request_thread_bumpalo(seed: u64) -> u64 {
    SEEN.with(|seen| {
        BUMP.with(|b| request_bumpalo(&mut b.borrow_mut(), seed, &mut seen.borrow_mut()))
    })
}

/// One request with heap allocations through glibc malloc (`System`).
#[inline(never)]
pub fn request_thread_heap(seed: u64) -> u64 {
    HELD.with(|held| request_heap(&System, seed, &mut held.borrow_mut()))
}
