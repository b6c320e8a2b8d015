//! The arena shapes with **mimalloc as the global allocator**: plain
//! `std::boxed::Box`, `Vec` and `String` on mimalloc — the "just switch the
//! global allocator" baseline the arena must beat — next to goro-arena and
//! bumpalo (whose chunks now also come from mimalloc). Shapes from
//! `src/shapes_arena.rs`.
//!
//! `cargo bench -p goro-bench --bench arena_mimalloc -- --warm-up-time 1 --measurement-time 3`

// criterion_group! expands to an undocumented public function.
#![allow(missing_docs)]

use bumpalo::Bump;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use goro_arena::Arena;

#[path = "../src/shapes_arena.rs"]
#[allow(dead_code)]
mod shapes;

use shapes::*;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const N_1M: usize = 1 << 20;
const N_VEC: usize = 10_000;

fn bulk<T: Copy + 'static>(c: &mut Criterion, name: &str, make: impl Fn(u64) -> T + Copy) {
    let mut g = c.benchmark_group(format!("mimalloc/{name}"));
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
    let mut held = Vec::with_capacity(N_1M);
    g.bench_function("box_mimalloc", |b| {
        b.iter(|| bulk_std(N_1M, make, &mut held))
    });
    g.finish();
}

fn alloc_16b_1m(c: &mut Criterion) {
    bulk(c, "alloc_16b_1m", obj16);
}

fn alloc_64b_1m(c: &mut Criterion) {
    bulk(c, "alloc_64b_1m", obj64);
}

fn request_mixed(c: &mut Criterion) {
    let mut g = c.benchmark_group("mimalloc/request_mixed");
    g.throughput(Throughput::Elements(1));
    let mut seen = Vec::with_capacity(128);
    let mut seed = 0u64;
    let mut arena = Arena::new();
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
    let mut held = StdRequest::default();
    g.bench_function("box_mimalloc", |b| {
        b.iter(|| {
            seed += 1;
            request_std(seed, &mut held)
        })
    });
    g.finish();
}

fn vec_u64_10k(c: &mut Criterion) {
    let mut g = c.benchmark_group("mimalloc/vec_u64_10k");
    g.throughput(Throughput::Elements(N_VEC as u64));
    let mut arena = Arena::new();
    g.bench_function("goro_arena", |b| b.iter(|| vec_goro(&mut arena, N_VEC)));
    g.bench_function("std_vec_mimalloc", |b| b.iter(|| vec_std(N_VEC)));
    g.finish();
}

criterion_group!(
    benches,
    alloc_16b_1m,
    alloc_64b_1m,
    request_mixed,
    vec_u64_10k
);
criterion_main!(benches);
