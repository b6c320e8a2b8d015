//! HTTP/2 rows of the quick report: HPACK encode and decode, ns per header
//! block, goro-http2 against the `hpack` crate (h2 keeps its HPACK module
//! private, so it cannot be called on its own), medians of alternating
//! rounds. Then the h2load tables: whole servers as child processes
//! (`crate::h2load`), goro-http2 on tokio against h2 on tokio and nghttpd.

use bytes::Bytes;
use goro_http2::hpack::{Decoder, Encoder};

use crate::h2load::{self, Load, Server};

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

/// The h2load tables: server CPU µs/request first, then req/s and p99.
/// Columns: goro-http2 on tokio, h2 on tokio, nghttpd, and goro-http2 on
/// goro's runtime (not built yet: goro has no I/O layer).
pub fn server_tables() -> Vec<Table> {
    let n = h2load_requests();
    let loads = [
        Load {
            requests: n,
            clients: 64,
            streams: 16,
        },
        Load {
            requests: n,
            clients: 1,
            streams: 1,
        },
    ];
    let servers = [Server::GoroTokio, Server::H2Tokio, Server::Nghttpd];
    let mut columns: Vec<String> = servers.iter().map(|s| s.name().to_string()).collect();
    columns.push("goro-http2 + goro".into());
    let command = format!(
        "`h2load -t 1 -n {n} -c C -m M --log-file=F http://127.0.0.1:PORT/`, GET / → \"hello\"; \
         servers are child processes with 1 worker thread (nghttpd: `--no-tls`, its default single thread); \
         median of {H2LOAD_ROUNDS} alternating rounds after a warm-up run."
    );
    let result = h2load::compare(&servers, &loads, H2LOAD_ROUNDS);
    let metric = |title: &str, unit: &str, pick: fn(&h2load::Sample) -> f64, how: &str| {
        let mut notes = vec![command.clone(), how.to_string()];
        let rows = match &result {
            Err(e) => {
                notes.push(format!("not measured: {e}"));
                loads
                    .iter()
                    .map(|l| Row {
                        shape: format!("{} (not measured: {e})", l.shape()),
                        cells: vec![
                            Cell::NotApplicable,
                            Cell::NotApplicable,
                            Cell::NotApplicable,
                            Cell::NotBuilt,
                        ],
                    })
                    .collect()
            }
            Ok(comparisons) => comparisons
                .iter()
                .map(|c| {
                    let mut cells: Vec<Cell> = c
                        .per_server
                        .iter()
                        .map(|(s, r)| match r {
                            Ok(sample) => {
                                if sample.failed > 0 {
                                    notes.push(format!(
                                        "{}: {} on {}: {} requests failed",
                                        c.load.shape(),
                                        s.name(),
                                        title,
                                        sample.failed
                                    ));
                                }
                                Cell::Value(pick(sample))
                            }
                            Err(e) => {
                                notes.push(format!(
                                    "{} not measured on {}: {e}",
                                    s.name(),
                                    c.load.shape()
                                ));
                                Cell::NotApplicable
                            }
                        })
                        .collect();
                    cells.push(Cell::NotBuilt);
                    Row {
                        shape: c.load.shape(),
                        cells,
                    }
                })
                .collect(),
        };
        notes.dedup();
        Table {
            title: title.into(),
            unit: unit.into(),
            columns: columns.clone(),
            ratios: vec![(0, 1), (0, 2), (3, 1)],
            rows,
            notes,
        }
    };
    vec![
        metric(
            "HTTP/2 server CPU per request (h2load)",
            "server CPU µs/req, lower is better",
            |s| s.cpu_us_per_req,
            "Server process CPU (all threads: on-CPU ns from /proc/PID/task/*/schedstat, \
             utime+stime of /proc/PID/stat where schedstat is missing), delta over the run ÷ requests.",
        ),
        metric(
            "HTTP/2 server throughput (h2load)",
            "req/s, higher is better",
            |s| s.req_per_s,
            "h2load's own req/s; h2load and the server share 2 cores, so this is bounded by the client too.",
        ),
        metric(
            "HTTP/2 request latency p99 (h2load)",
            "µs, lower is better",
            |s| s.p99_us,
            "p99 of the per-request times in h2load's --log-file (request start to response end); \
             h2load itself prints only min/max/mean/sd.",
        ),
    ]
}
