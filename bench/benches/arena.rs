//! Criterion benches of goro-arena side by side with bumpalo, typed-arena
//! and one-heap-allocation-per-object (`Box`/`Vec` on glibc malloc through
//! `System`, and on mimalloc called directly), in one run. The shapes are
//! defined once in `src/shapes_arena.rs`, shared with the quick report and
//! with `benches/arena_mimalloc.rs` (the same shapes with mimalloc as the
//! global allocator).
//!
//! `cargo bench -p goro-bench --bench arena -- --warm-up-time 1 --measurement-time 3`

// criterion_group! expands to an undocumented public function.
#![allow(missing_docs)]

use std::alloc::{GlobalAlloc, Layout};
use std::ptr::NonNull;

use bumpalo::Bump;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use goro_arena::Arena;
use goro_arena::allocator_api2::alloc::{AllocError, Allocator, System};

#[path = "../src/shapes_arena.rs"]
#[allow(dead_code)]
mod shapes;

use shapes::*;

/// mimalloc called directly (not as the global allocator), so that "Box on
/// mimalloc" runs in the same process and the same criterion run.
#[derive(Clone, Copy)]
struct Mi;

// SAFETY: forwards to mimalloc's GlobalAlloc impl, which upholds the
// contract; zero-sized requests get a dangling, aligned pointer and are
// never passed to mimalloc.
unsafe impl Allocator for Mi {
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        if layout.size() == 0 {
            let p =
                NonNull::new(std::ptr::without_provenance_mut(layout.align())).ok_or(AllocError)?;
            return Ok(NonNull::slice_from_raw_parts(p, 0));
        }
        // SAFETY: non-zero size.
        let p = unsafe { mimalloc::MiMalloc.alloc(layout) };
        NonNull::new(p)
            .map(|p| NonNull::slice_from_raw_parts(p, layout.size()))
            .ok_or(AllocError)
    }

    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        if layout.size() != 0 {
            // SAFETY: allocated above with this layout.
            unsafe { mimalloc::MiMalloc.dealloc(ptr.as_ptr(), layout) }
        }
    }

    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        old: Layout,
        new: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        if old.size() == 0 || old.align() != new.align() {
            let block = self.allocate(new)?;
            // SAFETY: `old.size()` bytes are valid at `ptr`; blocks differ.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr.as_ptr(), block.as_ptr().cast(), old.size());
                self.deallocate(ptr, old);
            }
            return Ok(block);
        }
        // SAFETY: same alignment, block from `allocate` with `old`.
        let p = unsafe { mimalloc::MiMalloc.realloc(ptr.as_ptr(), old, new.size()) };
        NonNull::new(p)
            .map(|p| NonNull::slice_from_raw_parts(p, new.size()))
            .ok_or(AllocError)
    }
}

const N_1M: usize = 1 << 20;
const N_WARM: usize = 10_000;
const N_VEC: usize = 10_000;
const REQUESTS: u64 = 2_000;

fn bulk<T: Copy + 'static>(c: &mut Criterion, name: &str, make: fn(u64) -> T) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(N_1M as u64));
    g.sample_size(10);
    let mut seen = Vec::with_capacity(N_1M);
    let mut arena = Arena::new();
    g.bench_function("goro_arena", |b| {
        b.iter(|| bulk_goro(&mut arena, N_1M, make, &mut seen))
    });
    let mut bump = Bump::new();
    g.bench_function("bumpalo", |b| {
        b.iter(|| bulk_bumpalo(&mut bump, N_1M, make, &mut seen))
    });
    g.bench_function("typed_arena_fresh", |b| {
        b.iter(|| {
            seen.clear();
            let ta = typed_arena::Arena::new();
            for i in 0..N_1M {
                seen.push((ta.alloc(make(i as u64)) as *mut T).addr());
            }
            std::hint::black_box(&seen);
            N_1M as u64
        })
    });
    let mut held = Vec::with_capacity(N_1M);
    g.bench_function("box_system", |b| {
        b.iter(|| bulk_heap(&System, N_1M, make, &mut held))
    });
    let mut held = Vec::with_capacity(N_1M);
    g.bench_function("box_mimalloc", |b| {
        b.iter(|| bulk_heap(&Mi, N_1M, make, &mut held))
    });
    g.finish();
}

fn alloc_16b_1m(c: &mut Criterion) {
    bulk(c, "alloc_16b_1m", obj16);
}

fn alloc_64b_1m(c: &mut Criterion) {
    bulk(c, "alloc_64b_1m", obj64);
}

fn alloc_u64_warm(c: &mut Criterion) {
    let mut g = c.benchmark_group("alloc_u64_warm");
    g.throughput(Throughput::Elements(N_WARM as u64));
    let mut arena = Arena::new();
    g.bench_function("goro_arena", |b| b.iter(|| fast_goro(&mut arena, N_WARM)));
    let mut bump = Bump::new();
    g.bench_function("bumpalo", |b| b.iter(|| fast_bumpalo(&mut bump, N_WARM)));
    g.finish();
}

fn request_mixed(c: &mut Criterion) {
    let mut g = c.benchmark_group("request_mixed");
    g.throughput(Throughput::Elements(1));
    let mut seen = Vec::with_capacity(128);
    let mut arena = Arena::new();
    let mut seed = 0u64;
    g.bench_function("goro_arena", |b| {
        b.iter(|| {
            seed += 1;
            request_goro(&mut arena, seed, &mut seen)
        })
    });
    let mut bump = Bump::new();
    g.bench_function("bumpalo", |b| {
        b.iter(|| {
            seed += 1;
            request_bumpalo(&mut bump, seed, &mut seen)
        })
    });
    let mut held = HeapRequest::default();
    g.bench_function("box_system", |b| {
        b.iter(|| {
            seed += 1;
            request_heap(&System, seed, &mut held)
        })
    });
    let mut held = HeapRequest::default();
    g.bench_function("box_mimalloc", |b| {
        b.iter(|| {
            seed += 1;
            request_heap(&Mi, seed, &mut held)
        })
    });
    g.finish();
}

fn vec_u64_10k(c: &mut Criterion) {
    let mut g = c.benchmark_group("vec_u64_10k");
    g.throughput(Throughput::Elements(N_VEC as u64));
    let mut arena = Arena::new();
    g.bench_function("goro_arena", |b| b.iter(|| vec_goro(&mut arena, N_VEC)));
    let mut bump = Bump::new();
    g.bench_function("bumpalo", |b| b.iter(|| vec_bumpalo(&mut bump, N_VEC)));
    g.bench_function("std_vec_system", |b| b.iter(|| vec_std(N_VEC)));
    g.bench_function("std_vec_mimalloc", |b| b.iter(|| vec_heap(&Mi, N_VEC)));
    g.finish();
}

fn two_threads_request(c: &mut Criterion) {
    let mut g = c.benchmark_group("two_threads_request");
    // Wall time per request per thread: equal for 1 and 2 threads if the
    // threads share nothing and the machine has two idle cores.
    g.throughput(Throughput::Elements(REQUESTS));
    g.sample_size(20);
    for threads in [1usize, 2] {
        let team = Team::new(threads);
        g.bench_function(format!("goro_arena_{threads}t"), |b| {
            b.iter(|| team.run(REQUESTS, request_thread_arena))
        });
        g.bench_function(format!("bumpalo_{threads}t"), |b| {
            b.iter(|| team.run(REQUESTS, request_thread_bumpalo))
        });
        g.bench_function(format!("box_system_{threads}t"), |b| {
            b.iter(|| team.run(REQUESTS, request_thread_heap))
        });
    }
    g.finish();
}

fn pool_buffer_4k(c: &mut Criterion) {
    let mut g = c.benchmark_group("pool_buffer_4k");
    g.throughput(Throughput::Elements(1000));
    let pool = goro_arena::Pool::new(|| Vec::<u8>::with_capacity(4096));
    let local = pool.local();
    g.bench_function("goro_pool", |b| b.iter(|| pool_goro(&local, 1000)));
    g.bench_function("fresh_vec_system", |b| b.iter(|| pool_fresh(1000)));
    g.finish();
}

criterion_group!(
    benches,
    alloc_16b_1m,
    alloc_64b_1m,
    alloc_u64_warm,
    request_mixed,
    vec_u64_10k,
    two_threads_request,
    pool_buffer_4k
);
criterion_main!(benches);
