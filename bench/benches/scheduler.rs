//! Criterion benches of the scheduler shapes: tokio multi_thread and std
//! baselines side by side in one run, 2 workers (goro joins when its
//! scheduler adapter exists). Shapes are defined once in
//! `goro_bench::sched_shapes`.

// criterion_group! expands to an undocumented public function.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use goro_bench::{sched_shapes, sched_std, tokio_shapes};

const WORKERS: usize = 2;

fn scheduler(c: &mut Criterion) {
    let tokio_rt = tokio_shapes::runtime(WORKERS);
    let pool = sched_std::MutexPool::new(WORKERS);

    let mut g = c.benchmark_group("spawn_many_local");
    g.throughput(Throughput::Elements(sched_shapes::NUM_SPAWN));
    g.bench_function("tokio", |b| {
        b.iter(|| tokio_shapes::spawn_many_local(&tokio_rt))
    });
    g.finish();

    let mut g = c.benchmark_group("spawn_many_from_worker");
    g.throughput(Throughput::Elements(sched_shapes::NUM_SPAWN));
    g.bench_function("tokio", |b| {
        b.iter(|| tokio_shapes::spawn_many_from_worker(&tokio_rt))
    });
    g.finish();

    let mut g = c.benchmark_group("spawn_many_remote_idle");
    g.throughput(Throughput::Elements(sched_shapes::NUM_SPAWN));
    g.bench_function("tokio", |b| {
        b.iter(|| tokio_shapes::spawn_many_remote_idle(&tokio_rt))
    });
    g.bench_function("std_mutex_pool", |b| {
        b.iter(|| pool.run_many(sched_shapes::NUM_SPAWN))
    });
    g.finish();

    let mut g = c.benchmark_group("spawn_many_remote_busy1");
    g.throughput(Throughput::Elements(sched_shapes::NUM_SPAWN));
    g.bench_function("tokio", |b| {
        b.iter(|| tokio_shapes::spawn_many_remote_busy1(&tokio_rt, WORKERS))
    });
    g.finish();

    let mut g = c.benchmark_group("spawn_many_remote_busy2");
    g.throughput(Throughput::Elements(sched_shapes::NUM_SPAWN_BUSY2));
    g.sample_size(10);
    g.bench_function("tokio", |b| {
        b.iter(|| tokio_shapes::spawn_many_remote_busy2(&tokio_rt, WORKERS))
    });
    g.finish();

    let mut g = c.benchmark_group("yield_many");
    g.throughput(Throughput::Elements(
        sched_shapes::NUM_YIELD_TASKS * sched_shapes::YIELDS_PER_TASK,
    ));
    g.bench_function("tokio", |b| b.iter(|| tokio_shapes::yield_many(&tokio_rt)));
    g.finish();

    let mut g = c.benchmark_group("ping_pong");
    g.throughput(Throughput::Elements(sched_shapes::NUM_PINGS));
    g.bench_function("tokio", |b| b.iter(|| tokio_shapes::ping_pong(&tokio_rt)));
    g.finish();

    let mut g = c.benchmark_group("ping_pong_serial");
    g.throughput(Throughput::Elements(sched_shapes::NUM_ROUND_TRIPS));
    g.bench_function("tokio", |b| {
        b.iter(|| tokio_shapes::ping_pong_serial(&tokio_rt))
    });
    g.bench_function("std_threads", |b| {
        b.iter(|| sched_std::ping_pong_serial(sched_shapes::NUM_ROUND_TRIPS))
    });
    g.finish();

    let mut g = c.benchmark_group("chained_spawn");
    g.throughput(Throughput::Elements(sched_shapes::CHAIN_DEPTH));
    g.bench_function("tokio", |b| {
        b.iter(|| tokio_shapes::chained_spawn(&tokio_rt))
    });
    g.finish();
}

criterion_group!(benches, scheduler);
criterion_main!(benches);
