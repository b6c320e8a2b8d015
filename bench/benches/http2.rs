//! Criterion benches of HPACK: goro-http2 against the `hpack` crate (h2's
//! HPACK module is private), ns per header block, on the quick report's
//! workload (`bench/src/quick/http2.rs`, included here so both measure the
//! same thing). Group `request_decode`: a header block to an
//! `http::Request`, with its allocations per request
//! (`bench/src/request_decode.rs`).
//!
//! Whole servers are not criterion material (the server is another
//! process); `GORO_H2LOAD=1` prints the h2load tables (`h2load::tables`:
//! goro-http2 on goro with io_uring and with epoll, on tokio, h2 on tokio,
//! nghttpd; then start-up time and binary size) here instead, and
//! `GORO_H2LOAD_FULL=1` runs them with 200 000 requests:
//! `GORO_H2LOAD_FULL=1 cargo bench -p goro-bench --bench http2 -- hpack_decode_request`.

// criterion_group! expands to an undocumented public function.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
// The included module reaches these through `super::` and `crate::`.
#[allow(unused_imports)]
use goro_bench::h2load;
#[allow(unused_imports)]
use goro_bench::quick::{Cell, Contender, Row, Table, alternate};

#[path = "../src/quick/http2.rs"]
#[allow(dead_code)]
mod workload;

#[path = "../src/request_decode.rs"]
mod request_decode;

// Counts allocating calls for `request_decode`'s table; a relaxed atomic
// add per allocation, the same for every contender.
#[global_allocator]
static ALLOC: goro_bench::alloc_count::CountingAlloc = goro_bench::alloc_count::CountingAlloc;

use workload::{
    BLOCKS, goro_decode, goro_encode, goro_wire, hpack_decode, hpack_encode, request_lists,
    response_lists,
};

fn hpack(c: &mut Criterion) {
    // GORO_HTTP2_QUICK=1 also prints the quick report's HTTP/2 tables, which
    // lets them be checked before bench/src/quick/mod.rs wires them in.
    if std::env::var_os("GORO_HTTP2_QUICK").is_some() {
        for t in workload::tables() {
            println!("{}", t.to_markdown());
        }
    } else if std::env::var_os("GORO_H2LOAD").is_some()
        || std::env::var_os("GORO_H2LOAD_FULL").is_some()
    {
        let tables = h2load::tables(workload::h2load_requests(), workload::H2LOAD_ROUNDS);
        for t in tables {
            println!("{}", t.to_markdown());
        }
    }
    for (name, lists) in [
        ("request", request_lists(BLOCKS)),
        ("response", response_lists(BLOCKS)),
    ] {
        let wire = goro_wire(&lists);
        workload::check(&lists, &wire);
        let mut g = c.benchmark_group(format!("hpack_decode_{name}_block"));
        g.throughput(Throughput::Elements(BLOCKS as u64));
        g.bench_function("goro", |b| b.iter(|| goro_decode(&wire)));
        g.bench_function("hpack", |b| b.iter(|| hpack_decode(&wire)));
        g.finish();

        let mut g = c.benchmark_group(format!("hpack_encode_{name}_block"));
        g.throughput(Throughput::Elements(BLOCKS as u64));
        g.bench_function("goro", |b| b.iter(|| goro_encode(&lists)));
        g.bench_function("hpack", |b| b.iter(|| hpack_encode(&lists)));
        g.finish();
    }
}

/// Header block → `http::Request`: the field-list variants and the whole
/// core (see `bench/src/request_decode.rs`), ns per request; first the
/// allocating calls per request of each.
fn request_decode(c: &mut Criterion) {
    use request_decode::{BLOCKS, Decode, Variant, allocs, blocks, run, shapes};
    println!(
        "allocating calls per request: first of a connection / mean of the other {}",
        BLOCKS - 1
    );
    let mut g = c.benchmark_group("request_decode");
    g.throughput(Throughput::Elements(BLOCKS as u64));
    for (shape, fields) in shapes() {
        let wire = blocks(fields);
        let frames = Decode::frames(&wire);
        // Medians of alternating rounds as well: on a loaded machine the
        // criterion runs, one after the other, differ by ±20 %.
        let (w, fr) = (&wire, &frames);
        let mut contenders: Vec<Contender<'_>> = Variant::ALL
            .iter()
            .map(|&v| Contender {
                name: v.name(),
                run: Box::new(move || run(v, w, fr)),
            })
            .collect();
        let medians = alternate(&mut contenders, 301);
        for (v, ns) in Variant::ALL.into_iter().zip(medians) {
            let (first, rest) = allocs(v, &wire, &frames);
            println!(
                "  {shape}/{}: {first} / {rest:.2} allocs, {ns:.0} ns per request (median of 301 alternating rounds)",
                v.name()
            );
        }
        for v in Variant::ALL {
            g.bench_function(format!("{shape}/{}", v.name()), |b| {
                b.iter(|| run(v, &wire, &frames))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, hpack, request_decode);
criterion_main!(benches);
