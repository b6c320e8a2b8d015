//! HTTP/2 rows of the quick report: HPACK encode and decode, ns per header
//! block, goro-http2 against the `hpack` crate (h2 keeps its HPACK module
//! private, so it cannot be called on its own), medians of alternating
//! rounds. Then the h2load tables: whole servers as child processes
//! (`crate::h2load`): goro-http2 on goro's runtime and on tokio against h2
//! on tokio and nghttpd.

use bytes::Bytes;
use goro_http2::hpack::{Decoder, Encoder};

use crate::h2load;

use super::{Cell, Contender, Row, Table, alternate};

/// Timed rounds per shape (after one warm-up iteration each).
pub const ROUNDS: usize = 9;
/// Header blocks per iteration: one connection's worth of requests.
pub const BLOCKS: usize = 100;

type Fields = Vec<(Vec<u8>, Vec<u8>)>;

fn f(n: &str, v: impl Into<String>) -> (Vec<u8>, Vec<u8>) {
    (n.as_bytes().to_vec(), v.into().into_bytes())
}

/// Browser-like requests for images of one page: the same headers with a
/// changing path and a few cookies, as a real connection carries them.
pub fn request_lists(n: usize) -> Vec<Fields> {
    (0..n)
        .map(|i| {
            vec![
                f(":method", "GET"),
                f(":scheme", "https"),
                f(":authority", "www.example.com"),
                f(":path", format!("/assets/img/{i}.png?v={}", i * 7)),
                f(
                    "user-agent",
                    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
                ),
                f("accept", "image/avif,image/webp,image/apng,*/*;q=0.8"),
                f("accept-encoding", "gzip, deflate, br"),
                f("accept-language", "en-US,en;q=0.9"),
                f("referer", "https://www.example.com/"),
                f("cookie", format!("session=abc{}; theme=dark", i % 4)),
            ]
        })
        .collect()
}

/// The matching responses.
pub fn response_lists(n: usize) -> Vec<Fields> {
    (0..n)
        .map(|i| {
            vec![
                f(":status", "200"),
                f("content-type", "image/png"),
                f("content-length", format!("{}", 1000 + i * 13)),
                f("cache-control", "public, max-age=31536000"),
                f("date", "Fri, 27 Nov 2026 08:00:00 GMT"),
                f("server", "goro"),
                f("etag", format!("\"{i:x}-{}\"", i * 31)),
            ]
        })
        .collect()
}

/// One connection's blocks encoded by goro's encoder (Huffman and indexing).
pub fn goro_wire(lists: &[Fields]) -> Vec<Bytes> {
    let mut enc = Encoder::default();
    lists
        .iter()
        .map(|l| {
            let mut b = Vec::new();
            enc.encode(l.iter().map(|(n, v)| (&n[..], &v[..], false)), &mut b);
            Bytes::from(b)
        })
        .collect()
}

/// Decodes every block with a fresh goro decoder; returns the block count.
pub fn goro_decode(wire: &[Bytes]) -> u64 {
    let mut dec = Decoder::new(4096);
    let mut fields = 0;
    for b in wire {
        let mut out = Vec::with_capacity(16);
        dec.decode(b, 64 << 10, |h| out.push(h))
            .expect("goro decodes its own wire");
        fields += out.len();
    }
    std::hint::black_box(fields);
    wire.len() as u64
}

/// Decodes every block with a fresh `hpack` crate decoder.
pub fn hpack_decode(wire: &[Bytes]) -> u64 {
    let mut dec = hpack::Decoder::new();
    let mut fields = 0;
    for b in wire {
        fields += dec.decode(b).expect("hpack decodes goro's wire").len();
    }
    std::hint::black_box(fields);
    wire.len() as u64
}

/// Encodes every list with a fresh goro encoder.
pub fn goro_encode(lists: &[Fields]) -> u64 {
    let mut enc = Encoder::default();
    let mut bytes = 0;
    for l in lists {
        let mut b = Vec::with_capacity(256);
        enc.encode(l.iter().map(|(n, v)| (&n[..], &v[..], false)), &mut b);
        bytes += b.len();
    }
    std::hint::black_box(bytes);
    lists.len() as u64
}

/// Encodes every list with a fresh `hpack` crate encoder.
pub fn hpack_encode(lists: &[Fields]) -> u64 {
    let mut enc = hpack::Encoder::new();
    let mut bytes = 0;
    for l in lists {
        bytes += enc.encode(l.iter().map(|(n, v)| (&n[..], &v[..]))).len();
    }
    std::hint::black_box(bytes);
    lists.len() as u64
}

/// Both decoders must agree on the workload before anything is timed.
pub fn check(lists: &[Fields], wire: &[Bytes]) {
    let mut dec = hpack::Decoder::new();
    for (l, b) in lists.iter().zip(wire) {
        assert_eq!(&dec.decode(b).expect("hpack decodes goro's wire"), l);
    }
}

/// The HTTP/2 tables of the quick report.
pub fn tables() -> Vec<Table> {
    let requests = request_lists(BLOCKS);
    let responses = response_lists(BLOCKS);
    let req_wire = goro_wire(&requests);
    let resp_wire = goro_wire(&responses);
    check(&requests, &req_wire);
    check(&responses, &resp_wire);

    let mut rows = Vec::new();
    let shapes: [(&str, &[Fields], &[Bytes]); 2] = [
        ("request", &requests, &req_wire),
        ("response", &responses, &resp_wire),
    ];
    for (name, lists, wire) in shapes {
        let reps = 20;
        let decode = alternate(
            &mut [
                Contender {
                    name: "goro",
                    run: Box::new(|| (0..reps).map(|_| goro_decode(wire)).sum()),
                },
                Contender {
                    name: "hpack",
                    run: Box::new(|| (0..reps).map(|_| hpack_decode(wire)).sum()),
                },
            ],
            ROUNDS,
        );
        rows.push(Row {
            shape: format!("hpack_decode_{name}_block"),
            cells: decode.into_iter().map(Cell::Value).collect(),
        });
        let encode = alternate(
            &mut [
                Contender {
                    name: "goro",
                    run: Box::new(|| (0..reps).map(|_| goro_encode(lists)).sum()),
                },
                Contender {
                    name: "hpack",
                    run: Box::new(|| (0..reps).map(|_| hpack_encode(lists)).sum()),
                },
            ],
            ROUNDS,
        );
        rows.push(Row {
            shape: format!("hpack_encode_{name}_block"),
            cells: encode.into_iter().map(Cell::Value).collect(),
        });
    }
    let req_bytes: usize = req_wire.iter().map(Bytes::len).sum();
    let hpack_req_bytes: usize = {
        let mut enc = hpack::Encoder::new();
        requests
            .iter()
            .map(|l| enc.encode(l.iter().map(|(n, v)| (&n[..], &v[..]))).len())
            .sum()
    };
    let hpack_table = Table {
        title: "HPACK".into(),
        unit: "ns/header block".into(),
        columns: vec!["goro".into(), "hpack 0.3".into()],
        ratios: vec![(0, 1)],
        rows,
        notes: vec![
            format!(
                "{BLOCKS} blocks per connection (browser-like requests of 10 fields, responses of 7), \
                 fresh encoder/decoder per connection; median of {ROUNDS} alternating rounds."
            ),
            "Decoders read the same wire (goro's, Huffman-coded); each encoder writes its own."
                .into(),
            format!(
                "Request wire size: goro {req_bytes} B, hpack 0.3 {hpack_req_bytes} B \
                 (hpack 0.3 never Huffman-codes, so its encoder does less work)."
            ),
            "Baseline is the `hpack` crate: h2's HPACK module is private (`mod hpack`, \
             not exported even with its `unstable` feature)."
                .into(),
        ],
    };
    let mut tables = vec![hpack_table];
    tables.extend(server_tables());
    tables
}

/// Requests per h2load run: 20 000 in the quick report (all h2load runs
/// together take about 30 s), 200 000 with `GORO_H2LOAD_FULL=1`.
pub fn h2load_requests() -> u64 {
    if std::env::var_os("GORO_H2LOAD_FULL").is_some() {
        200_000
    } else {
        20_000
    }
}

/// Alternating rounds per h2load load.
pub const H2LOAD_ROUNDS: usize = 3;

/// The h2load tables: server CPU µs/request first, then req/s and p99,
/// for goro-http2 on goro (io_uring, epoll) and on tokio, h2 on tokio and
/// nghttpd; then start-up time and binary size (`crate::h2load::tables`).
pub fn server_tables() -> Vec<Table> {
    h2load::tables(h2load_requests(), H2LOAD_ROUNDS)
}
