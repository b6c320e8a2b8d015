//! Per-request decoding in goro-http2: a header block becomes an
//! `http::Request`. Included by `benches/http2.rs` (group
//! `request_decode`), which times each variant and counts its heap
//! allocations per request with [`goro_bench::alloc_count::CountingAlloc`].
//!
//! Shapes, each one connection's worth of [`BLOCKS`] requests encoded by
//! goro's HPACK encoder (Huffman and indexing, as curl's and h2load's
//! nghttp2 encoder does), so the first block fills the dynamic table and
//! the rest are mostly indexed:
//! - `curl_get`: curl 7.88's `GET /` (6 fields);
//! - `h2load_get`: h2load 1.52's `GET /` (6 fields);
//! - `browser_15`: a browser fetching a page's scripts (15 fields, 6 of
//!   them names outside HPACK's static table; the path changes per
//!   request).
//!
//! Variants, from the same decoder to the same validation
//! (`goro_http2::proto::request_head`):
//! - `vec`: a fresh `Vec<Header>` per block, the server's path until the
//!   per-request allocation work;
//! - `pooled`: one `Vec<Header>` per connection, cleared and reused;
//! - `arena`: the field list in a `goro_arena::Vec` inside a
//!   per-connection `goro_arena::Arena`, reset after every block;
//! - `connection`: the whole sans-IO core as the server runs it
//!   (HEADERS frame → `Connection::recv` → `Event::Request`, then the
//!   client's RST_STREAM closes the stream), whatever list it keeps.

use std::time::Instant;

use bytes::Bytes;
use goro_http2::frame::{Frame, Settings, StreamId};
use goro_http2::hpack::{Decoder, Encoder, Header};
use goro_http2::proto::{PREFACE, RequestHead, request_head};
use goro_http2::{Connection, Event, Reason};

use goro_bench::alloc_count::allocation_calls;

/// Requests per connection.
pub const BLOCKS: usize = 100;

/// The decoder's header-list limit (the server's default).
const LIST_LIMIT: usize = 64 << 10;

type Fields = Vec<(String, String)>;

fn f(n: &str, v: impl Into<String>) -> (String, String) {
    (n.to_owned(), v.into())
}

/// The field list of a shape's request `i`.
pub type Shape = fn(usize) -> Fields;

/// The shapes, by name.
pub fn shapes() -> [(&'static str, Shape); 3] {
    [
        ("curl_get", curl_get),
        ("h2load_get", h2load_get),
        ("browser_15", browser_15),
    ]
}

fn curl_get(_: usize) -> Fields {
    vec![
        f(":method", "GET"),
        f(":path", "/"),
        f(":scheme", "http"),
        f(":authority", "127.0.0.1:8080"),
        f("user-agent", "curl/7.88.1"),
        f("accept", "*/*"),
    ]
}

fn h2load_get(_: usize) -> Fields {
    vec![
        f(":method", "GET"),
        f(":path", "/"),
        f(":scheme", "http"),
        f(":authority", "127.0.0.1:8080"),
        f("accept-encoding", "gzip, deflate"),
        f("user-agent", "h2load nghttp2/1.52.0"),
    ]
}

fn browser_15(i: usize) -> Fields {
    vec![
        f(":method", "GET"),
        f(":authority", "www.example.com"),
        f(":scheme", "https"),
        f(":path", format!("/assets/js/chunk-{i}.js?v=3f9a{}", i * 7)),
        f(
            "sec-ch-ua",
            "\"Chromium\";v=\"120\", \"Not?A_Brand\";v=\"24\"",
        ),
        f("sec-ch-ua-mobile", "?0"),
        f(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        ),
        f("sec-ch-ua-platform", "\"Linux\""),
        f("accept", "*/*"),
        f("sec-fetch-site", "same-origin"),
        f("sec-fetch-mode", "no-cors"),
        f("sec-fetch-dest", "script"),
        f("referer", "https://www.example.com/"),
        f("accept-encoding", "gzip, deflate, br, zstd"),
        f("accept-language", "en-US,en;q=0.9"),
    ]
}

/// One connection's header blocks for `shape`.
pub fn blocks(shape: Shape) -> Vec<Bytes> {
    let mut enc = Encoder::default();
    (0..BLOCKS)
        .map(|i| {
            let mut b = Vec::new();
            let fields = shape(i);
            enc.encode(
                fields
                    .iter()
                    .map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)),
                &mut b,
            );
            Bytes::from(b)
        })
        .collect()
}

/// The variants compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// A fresh `Vec<Header>` per block.
    Vec,
    /// One `Vec<Header>` per connection, cleared per block.
    Pooled,
    /// The field list in a per-connection arena, reset per block.
    Arena,
    /// The whole core: `Connection::recv` of the HEADERS frame.
    Connection,
}

impl Variant {
    /// Every variant, in table order.
    pub const ALL: [Variant; 4] = [
        Variant::Vec,
        Variant::Pooled,
        Variant::Arena,
        Variant::Connection,
    ];

    /// Its name in the bench ids and tables.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Vec => "vec",
            Variant::Pooled => "pooled",
            Variant::Arena => "arena",
            Variant::Connection => "connection",
        }
    }
}

/// One connection's state for a variant; [`Decode::request`] turns the
/// next block into a request.
pub struct Decode {
    variant: Variant,
    dec: Decoder,
    pooled: Vec<Header>,
    arena: goro_arena::Arena,
    conn: Connection,
    stream: u32,
}

impl Decode {
    /// A fresh connection (decoder, list, arena; or a core connection
    /// past its preface and SETTINGS).
    pub fn new(variant: Variant) -> Decode {
        let mut conn = goro_http2::server::Builder::new().connection(Instant::now());
        if variant == Variant::Connection {
            let mut wire = PREFACE.to_vec();
            Frame::Settings(Settings::default())
                .encode()
                .write_to(&mut wire);
            conn.recv(&wire);
            while conn.poll_transmit().is_some() {}
        }
        Decode {
            variant,
            dec: Decoder::new(4096),
            pooled: Vec::with_capacity(16),
            arena: goro_arena::Arena::new(),
            conn,
            stream: 1,
        }
    }

    /// The HEADERS frame a client sends for `block` on the next stream,
    /// for [`Variant::Connection`] (built outside the timed code).
    pub fn frames(blocks: &[Bytes]) -> Vec<(Vec<u8>, Vec<u8>)> {
        blocks
            .iter()
            .enumerate()
            .map(|(i, block)| {
                let stream = StreamId(2 * i as u32 + 1);
                let mut headers = Vec::new();
                Frame::Headers {
                    stream,
                    fragment: block.clone(),
                    end_stream: true,
                    end_headers: true,
                    priority: None,
                }
                .encode()
                .write_to(&mut headers);
                let mut reset = Vec::new();
                Frame::RstStream {
                    stream,
                    reason: Reason::CANCEL,
                }
                .encode()
                .write_to(&mut reset);
                (headers, reset)
            })
            .collect()
    }

    /// Decodes the next request: `block` for the list variants, or the
    /// HEADERS frame of `frame` (then its RST_STREAM) for the core.
    pub fn request(&mut self, block: &Bytes, frame: &(Vec<u8>, Vec<u8>)) -> RequestHead {
        let head = match self.variant {
            Variant::Vec => {
                let mut fields = Vec::with_capacity(16);
                self.dec
                    .decode(block, LIST_LIMIT, |h| fields.push(h))
                    .expect("decodes");
                request_head(fields)
            }
            Variant::Pooled => {
                let fields = &mut self.pooled;
                self.dec
                    .decode(block, LIST_LIMIT, |h| fields.push(h))
                    .expect("decodes");
                request_head(fields.drain(..))
            }
            Variant::Arena => {
                let head = {
                    let mut fields = goro_arena::Vec::with_capacity_in(16, &self.arena);
                    self.dec
                        .decode(block, LIST_LIMIT, |h| fields.push(h))
                        .expect("decodes");
                    // Moved out field by field: an empty `Bytes` is static.
                    request_head(fields.iter_mut().map(|h| Header {
                        name: std::mem::take(&mut h.name),
                        value: std::mem::take(&mut h.value),
                        sensitive: h.sensitive,
                    }))
                };
                self.arena.reset();
                head
            }
            Variant::Connection => {
                self.conn.recv(&frame.0);
                let Some(Event::Request {
                    stream, request, ..
                }) = self.conn.poll_event()
                else {
                    panic!("no request for stream {}", self.stream);
                };
                assert_eq!(stream.0, self.stream);
                self.stream += 2;
                self.conn.recv(&frame.1);
                while self.conn.poll_event().is_some() {}
                return RequestHead {
                    request,
                    content_length: None,
                };
            }
        };
        head.expect("a valid request")
    }
}

/// Decodes one connection's worth with a fresh state; returns the blocks.
pub fn run(variant: Variant, blocks: &[Bytes], frames: &[(Vec<u8>, Vec<u8>)]) -> u64 {
    let mut d = Decode::new(variant);
    for (b, f) in blocks.iter().zip(frames) {
        std::hint::black_box(d.request(b, f));
    }
    blocks.len() as u64
}

/// Allocating calls for the first request of a connection and the mean
/// over the others (the request dropped before the next), with
/// [`goro_bench::alloc_count::CountingAlloc`] installed.
pub fn allocs(variant: Variant, blocks: &[Bytes], frames: &[(Vec<u8>, Vec<u8>)]) -> (u64, f64) {
    let mut d = Decode::new(variant);
    let mut per = Vec::with_capacity(blocks.len());
    for (b, f) in blocks.iter().zip(frames) {
        let before = allocation_calls();
        drop(std::hint::black_box(d.request(b, f)));
        per.push(allocation_calls() - before);
    }
    let rest = &per[1..];
    (per[0], rest.iter().sum::<u64>() as f64 / rest.len() as f64)
}
