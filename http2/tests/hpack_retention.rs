//! Memory the HPACK dynamic table keeps alive, measured by this test
//! binary's allocator: live heap bytes per thread, so the tests may run in
//! parallel. The table's §4.1 size is bounded by what we advertise; these
//! tests check that the *heap* it holds is too, whatever the peer sends:
//! a small indexed field inside a huge header block must not keep the
//! block alive, and a Huffman string must not keep its decode buffer's
//! slack.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::Bytes;
use goro_http2::Event;
use goro_http2::frame::{Frame, StreamId};
use goro_http2::hpack::{Decoder, huffman};
use goro_http2::server::Builder;
use http::Response;
use support::peer::Peer;

thread_local! {
    // Const-initialised and without a destructor: usable from the allocator.
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn add_live(delta: isize) {
    // `try_with`: a thread being torn down may still free memory.
    let _ = LIVE.try_with(|l| l.set(l.get() + delta));
}

/// Heap bytes allocated minus freed on this thread so far.
fn live() -> isize {
    LIVE.with(Cell::get)
}

struct LiveBytes;

// SAFETY: every call forwards to `System` unchanged; the counter is only
// bookkeeping and allocates nothing.
unsafe impl GlobalAlloc for LiveBytes {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            add_live(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add_live(-(layout.size() as isize));
        // SAFETY: forwarded unchanged; `ptr` came from `alloc` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged; `ptr` came from us with `layout`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            add_live(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: LiveBytes = LiveBytes;

/// SETTINGS_HEADER_TABLE_SIZE in both tests (the HTTP/2 default).
const TABLE: usize = 4096;

/// What a full table may hold: its strings may keep alive twice its §4.1
/// size (`KEEP_FACTOR`), and per entry (at most `TABLE / 32` of them) a
/// slot in the entry list (72 octets) and up to two shared headers of
/// `Bytes` (24 octets each).
const BOUND: isize = (2 * TABLE + TABLE / 32 * 120) as isize;

/// An HPACK integer (§5.1) with `prefix` bits in a first octet holding `first`.
fn int(first: u8, prefix: u32, mut n: usize, out: &mut Vec<u8>) {
    let max = (1usize << prefix) - 1;
    if n < max {
        out.push(first | n as u8);
        return;
    }
    out.push(first | max as u8);
    n -= max;
    while n >= 128 {
        out.push((n % 128) as u8 | 0x80);
        n /= 128;
    }
    out.push(n as u8);
}

/// A literal with a new name (§6.2), neither string Huffman-coded.
fn literal(first: u8, prefix: u32, name: &[u8], value: &[u8], out: &mut Vec<u8>) {
    int(first, prefix, 0, out);
    int(0, 7, name.len(), out);
    out.extend_from_slice(name);
    int(0, 7, value.len(), out);
    out.extend_from_slice(value);
}

/// A GET whose block is about `pad` octets: one small field with
/// incremental indexing (`x-pin`, a 45-octet entry) and one large field
/// without indexing. Only the small one enters the table.
fn pinning_block(i: usize, pad: usize) -> Vec<u8> {
    // :method GET, :scheme http, :path / (static), :authority by literal.
    let mut b = vec![0x82, 0x86, 0x84];
    int(0x00, 4, 1, &mut b);
    int(0, 7, 11, &mut b);
    b.extend_from_slice(b"example.com");
    literal(0x40, 6, b"x-pin", format!("{i:08}").as_bytes(), &mut b);
    literal(0x00, 4, b"x-pad", &vec![b'a'; pad], &mut b);
    b
}

/// The decoder alone: 300 blocks of 60 KB, each inserting a 45-octet
/// entry. A table of 4096 holds 91 of them; if each kept its block alive
/// that would be 5.5 MB.
#[test]
fn table_keeps_no_header_block_alive() {
    let before = live();
    let mut dec = Decoder::new(TABLE);
    for i in 0..300 {
        let block = Bytes::from(pinning_block(i, 60_000));
        let mut fields = 0;
        dec.decode(&block, usize::MAX, |_| fields += 1).unwrap();
        assert_eq!(fields, 6);
    }
    assert_eq!(dec.table_size(), TABLE / 45 * 45);
    let held = live() - before;
    assert!(
        held <= BOUND,
        "a {TABLE}-octet table holds {held} heap bytes (bound {BOUND})"
    );
    drop(dec);
    assert_eq!(live(), before, "the decoder frees all it held");
}

/// One Huffman-coded value whose every octet has a 28-bit code: decoding
/// reserves 8/5 of the input, about 5.6 times the output. The table must
/// not keep that slack.
#[test]
fn table_keeps_no_huffman_slack() {
    let value = vec![0x16u8; 3000];
    let mut coded = Vec::new();
    huffman::encode(&value, &mut coded);
    assert!(coded.len() * 8 / 5 > 5 * value.len());
    let mut block = Vec::new();
    int(0x40, 6, 0, &mut block);
    int(0, 7, 5, &mut block);
    block.extend_from_slice(b"x-huf");
    int(0x80, 7, coded.len(), &mut block);
    block.extend_from_slice(&coded);
    let block = Bytes::from(block);

    let mut dec = Decoder::new(TABLE);
    let before = live();
    let mut got = Vec::new();
    dec.decode(&block, usize::MAX, |h| got.push(h)).unwrap();
    assert_eq!(&got[0].value[..], &value[..]);
    drop(got);
    let held = live() - before;
    let entry = (value.len() + 5 + 32) as isize;
    assert!(
        held <= entry + 1024,
        "one {entry}-octet entry holds {held} heap bytes (bound {})",
        entry + 1024
    );
}

/// The whole core: 300 requests on one connection, each block 60 KB in
/// four frames, each answered and finished. What the connection holds
/// after them grows by no more than its table's bound.
#[test]
fn connection_memory_stays_bounded_under_pinning_blocks() {
    let mut p = Peer::open(Builder::new());
    let serve = |p: &mut Peer, i: usize| {
        let stream = 2 * i as u32 + 1;
        let block = Bytes::from(pinning_block(i, 60_000));
        let chunks: Vec<Bytes> = (0..block.len())
            .step_by(16_384)
            .map(|s| block.slice(s..block.len().min(s + 16_384)))
            .collect();
        let last = chunks.len() - 1;
        for (n, fragment) in chunks.into_iter().enumerate() {
            p.send(if n == 0 {
                Frame::Headers {
                    stream: StreamId(stream),
                    fragment,
                    end_stream: true,
                    end_headers: n == last,
                    priority: None,
                }
            } else {
                Frame::Continuation {
                    stream: StreamId(stream),
                    fragment,
                    end_headers: n == last,
                }
            });
        }
        let Some(Event::Request { stream: s, .. }) = p.conn.poll_event() else {
            panic!("request {i} not delivered");
        };
        p.conn.send_response(s, Response::new(()), true).unwrap();
        while p.conn.poll_transmit().is_some() {}
        assert_eq!(p.conn.open_streams(), 0);
    };
    // Warm up: buffers and bookkeeping that any connection keeps.
    for i in 0..10 {
        serve(&mut p, i);
    }
    let before = live();
    for i in 10..310 {
        serve(&mut p, i);
    }
    let grown = live() - before;
    assert!(!p.conn.is_closed());
    assert!(
        grown <= BOUND,
        "the connection grew by {grown} heap bytes over 300 requests (bound {BOUND})"
    );
}
