//! The server connection state machine driven by arbitrary bytes, with the
//! application's side interleaved. The input is a script of operations; the
//! first byte chooses whether a valid preface and SETTINGS go first (so the
//! fuzzer reaches stream states quickly) and the limits used.
//!
//! Checked after every step, as `tests/conn_proptest.rs` does: no panic,
//! input buffered within one frame, and a connection error always queues
//! its GOAWAY.
#![no_main]

use std::time::{Duration, Instant};

use bytes::Bytes;
use goro_http2::frame::{Frame, HEAD_LEN, Head, Settings, StreamId};
use goro_http2::proto::PREFACE;
use goro_http2::server::Builder;
use goro_http2::{Connection, Event, Reason};
use libfuzzer_sys::fuzz_target;

/// Writes everything the connection queued and checks the invariants.
fn drain(conn: &mut Connection, goaway_seen: &mut bool) {
    // Bounded: each call pops one queued frame, and the queue is finite.
    for _ in 0..100_000 {
        let Some(f) = conn.poll_transmit() else { break };
        let head: Head = f.head();
        if head.kind == 0x7 {
            *goaway_seen = true;
        }
        // Every frame we write must be one a peer can parse.
        let mut wire = Vec::new();
        f.write_to(&mut wire);
        let h = Head::parse(wire[..HEAD_LEN].try_into().expect("9 bytes"));
        if h.kind <= 0x9 {
            Frame::parse(h, Bytes::copy_from_slice(&wire[HEAD_LEN..]))
                .expect("the server writes valid frames");
        }
    }
}

fn answer(conn: &mut Connection, events: &mut Vec<StreamId>) {
    for _ in 0..10_000 {
        let Some(ev) = conn.poll_event() else { break };
        match ev {
            Event::Request { stream, .. } => events.push(stream),
            Event::Data { stream, data, .. } => conn.release_capacity(stream, data.len()),
            Event::Trailers { .. } | Event::Reset { .. } => {}
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, mut script)) = data.split_first() else {
        return;
    };
    let start = Instant::now();
    let mut builder = Builder::new();
    if knobs & 2 != 0 {
        builder = builder
            .max_concurrent_streams(4)
            .max_header_list_size(256)
            .max_continuation_frames(2)
            .max_empty_frames(3)
            .max_queued_control_frames(8);
    }
    let mut conn = builder.connection(start);
    if knobs & 1 != 0 {
        let mut wire = PREFACE.to_vec();
        Frame::Settings(Settings::default()).encode().write_to(&mut wire);
        conn.recv(&wire);
    }
    let mut goaway_seen = false;
    let mut requests: Vec<StreamId> = Vec::new();
    let mut clock = start;
    // Bounded by the script: every operation consumes at least one byte.
    while let Some((&op, rest)) = script.split_first() {
        script = rest;
        match op % 8 {
            // Feed up to 255 bytes of wire.
            0..=3 => {
                let n = (op as usize >> 3).max(1).min(script.len());
                let (chunk, rest) = script.split_at(n);
                conn.recv(chunk);
                script = rest;
            }
            // The application takes events and answers requests.
            4 => {
                answer(&mut conn, &mut requests);
                if let Some(stream) = requests.pop() {
                    let end = op & 0x10 != 0;
                    if conn.send_response(stream, http::Response::new(()), end).is_ok() && !end {
                        let body = Bytes::from(vec![b'x'; (op as usize) * 300]);
                        let _ = conn.send_data(stream, body, op & 0x20 != 0);
                    }
                }
            }
            // The application resets a stream it holds.
            5 => {
                if let Some(stream) = requests.pop() {
                    conn.reset_stream(stream, Reason::CANCEL);
                }
            }
            // Time passes.
            6 => {
                clock += Duration::from_millis(u64::from(op) * 200);
                conn.handle_timeout(clock);
            }
            // Graceful shutdown.
            _ => conn.go_away(clock),
        }
        drain(&mut conn, &mut goaway_seen);
        assert!(conn.buffered_input() <= HEAD_LEN + 16_384);
        if conn.error().is_some() {
            assert!(goaway_seen, "connection error without GOAWAY");
        }
    }
});
