//! Criterion benches of goro-netpoll: 64-byte echo round trips over a Unix
//! socketpair and loopback TCP, on io_uring and on epoll, side by side with
//! mio (edge-triggered readiness) as the baseline, in one run. The shapes
//! are defined once in `src/shapes_netpoll.rs`, shared with the quick
//! report.

// criterion_group! expands to an undocumented public function.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use goro_netpoll::Backend;

#[path = "../src/shapes_netpoll.rs"]
#[allow(dead_code)]
mod shapes;

use shapes::{GoroEcho, GoroEchoMany, MioEcho, MioEchoMany, PAIRS};

fn echo(c: &mut Criterion) {
    let mut g = c.benchmark_group("echo_64b_socketpair");
    g.throughput(Throughput::Elements(1));
    if let Ok(mut e) = GoroEcho::socketpair(Backend::IoUring) {
        g.bench_function("goro_io_uring", |b| b.iter(|| e.round_trips(1)));
    }
    let mut e = GoroEcho::socketpair(Backend::Epoll).unwrap();
    g.bench_function("goro_epoll", |b| b.iter(|| e.round_trips(1)));
    let mut m = MioEcho::socketpair().unwrap();
    g.bench_function("mio", |b| b.iter(|| m.round_trips(1)));
    g.finish();

    let mut g = c.benchmark_group("echo_64b_tcp");
    g.throughput(Throughput::Elements(1));
    if let Ok(mut e) = GoroEcho::tcp(Backend::IoUring) {
        g.bench_function("goro_io_uring", |b| b.iter(|| e.round_trips(1)));
    }
    let mut e = GoroEcho::tcp(Backend::Epoll).unwrap();
    g.bench_function("goro_epoll", |b| b.iter(|| e.round_trips(1)));
    let mut m = MioEcho::tcp().unwrap();
    g.bench_function("mio", |b| b.iter(|| m.round_trips(1)));
    g.finish();

    // Throughput per round trip: one iteration is PAIRS round trips.
    let mut g = c.benchmark_group("echo_64b_64pairs");
    g.throughput(Throughput::Elements(PAIRS as u64));
    if let Ok(mut e) = GoroEchoMany::socketpairs(Backend::IoUring) {
        g.bench_function("goro_io_uring", |b| b.iter(|| e.round_trips(PAIRS as u64)));
    }
    let mut e = GoroEchoMany::socketpairs(Backend::Epoll).unwrap();
    g.bench_function("goro_epoll", |b| b.iter(|| e.round_trips(PAIRS as u64)));
    let mut m = MioEchoMany::socketpairs().unwrap();
    g.bench_function("mio", |b| b.iter(|| m.round_trips(PAIRS as u64)));
    g.finish();
}

criterion_group!(benches, echo);
criterion_main!(benches);
