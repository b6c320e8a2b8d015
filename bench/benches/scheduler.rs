//! Criterion benches of the scheduler shapes: goro, tokio multi_thread and
//! std baselines side by side in one run, 2 workers. Shapes are defined
//! once in `goro_bench::sched_shapes`; goro's adapter is
//! `bench/src/sched_goro.rs`.
//!
//! `cargo bench -p goro-bench --bench scheduler -- --warm-up-time 1 --measurement-time 3`

// criterion_group! expands to an undocumented public function.
#![allow(missing_docs)]

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use goro_bench::{goro_shapes, sched_shapes, sched_std, tokio_shapes};

const WORKERS: usize = 2;

type Group<'a> = BenchmarkGroup<'a, criterion::measurement::WallTime>;

/// One group per shape: goro first, then tokio, then any std baseline.
fn group<'a>(c: &'a mut Criterion, name: &str, elements: u64) -> Group<'a> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(elements));
    g
}

fn scheduler(c: &mut Criterion) {
    let goro_rt = goro_shapes::runtime(WORKERS);
    let tokio_rt = tokio_shapes::runtime(WORKERS);
    let pool = sched_std::MutexPool::new(WORKERS);

    let mut g = group(c, "spawn_many_local", sched_shapes::NUM_SPAWN);
    g.bench_function("goro", |b| {
        b.iter(|| goro_shapes::spawn_many_local(&goro_rt))
    });
    g.bench_function("tokio", |b| {
        b.iter(|| tokio_shapes::spawn_many_local(&tokio_rt))
    });
    g.finish();

    let mut g = group(c, "spawn_many_from_worker", sched_shapes::NUM_SPAWN);
    g.bench_function("goro", |b| {
        b.iter(|| goro_shapes::spawn_many_from_worker(&goro_rt))
    });
    g.bench_function("tokio", |b| {
        b.iter(|| tokio_shapes::spawn_many_from_worker(&tokio_rt))
    });
    g.finish();

    let mut g = group(c, "spawn_many_remote_idle", sched_shapes::NUM_SPAWN);
    g.bench_function("goro", |b| {
        b.iter(|| goro_shapes::spawn_many_remote_idle(&goro_rt))
    });
    g.bench_function("tokio", |b| {
        b.iter(|| tokio_shapes::spawn_many_remote_idle(&tokio_rt))
    });
    g.bench_function("std_mutex_pool", |b| {
        b.iter(|| pool.run_many(sched_shapes::NUM_SPAWN))
    });
    g.finish();

    let mut g = group(c, "spawn_many_remote_busy1", sched_shapes::NUM_SPAWN);
    g.bench_function("goro", |b| {
        b.iter(|| goro_shapes::spawn_many_remote_busy1(&goro_rt, WORKERS))
    });
    g.bench_function("tokio", |b| {
        b.iter(|| tokio_shapes::spawn_many_remote_busy1(&tokio_rt, WORKERS))
    });
    g.finish();

    let mut g = group(c, "spawn_many_remote_busy2", sched_shapes::NUM_SPAWN_BUSY2);
    g.sample_size(10);
    g.bench_function("goro", |b| {
        b.iter(|| goro_shapes::spawn_many_remote_busy2(&goro_rt, WORKERS))
    });
    g.bench_function("tokio", |b| {
        b.iter(|| tokio_shapes::spawn_many_remote_busy2(&tokio_rt, WORKERS))
    });
    g.finish();

    let mut g = group(
        c,
        "yield_many",
        sched_shapes::NUM_YIELD_TASKS * sched_shapes::YIELDS_PER_TASK,
    );
    g.bench_function("goro", |b| b.iter(|| goro_shapes::yield_many(&goro_rt)));
    g.bench_function("tokio", |b| b.iter(|| tokio_shapes::yield_many(&tokio_rt)));
    g.finish();

    let mut g = group(c, "ping_pong", sched_shapes::NUM_PINGS);
    g.bench_function("goro", |b| b.iter(|| goro_shapes::ping_pong(&goro_rt)));
    g.bench_function("tokio", |b| b.iter(|| tokio_shapes::ping_pong(&tokio_rt)));
    g.finish();

    let mut g = group(c, "ping_pong_serial", sched_shapes::NUM_ROUND_TRIPS);
    g.bench_function("goro", |b| {
        b.iter(|| goro_shapes::ping_pong_serial(&goro_rt))
    });
    g.bench_function("tokio", |b| {
        b.iter(|| tokio_shapes::ping_pong_serial(&tokio_rt))
    });
    g.bench_function("std_threads", |b| {
        b.iter(|| sched_std::ping_pong_serial(sched_shapes::NUM_ROUND_TRIPS))
    });
    g.finish();

    let mut g = group(
        c,
        "timeout_churn",
        sched_shapes::NUM_TIMEOUT_TASKS * sched_shapes::TIMEOUTS_PER_TASK,
    );
    g.bench_function("goro", |b| b.iter(|| goro_shapes::timeout_churn(&goro_rt)));
    g.bench_function("tokio", |b| {
        b.iter(|| tokio_shapes::timeout_churn(&tokio_rt))
    });
    g.finish();

    let mut g = group(c, "chained_spawn", sched_shapes::CHAIN_DEPTH);
    g.bench_function("goro", |b| b.iter(|| goro_shapes::chained_spawn(&goro_rt)));
    g.bench_function("tokio", |b| {
        b.iter(|| tokio_shapes::chained_spawn(&tokio_rt))
    });
    g.bench_function("std_threads", |b| b.iter(sched_std::chained_spawn));
    g.finish();
}

criterion_group!(benches, scheduler);
criterion_main!(benches);
