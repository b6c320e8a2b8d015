//! A client that sends its request and then closes its write side (TCP
//! half-close) still gets the response: the driver writes what is queued
//! before it ends the connection on end of stream. The request is an
//! upload to `/echo`, whose body streams back from a task of its own, so
//! the response is produced after the server has read end of stream.
//! Once per binding.

#[macro_use]
mod common;
mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use common::{Binding, Server};
use goro_http2::frame::{HEAD_LEN, Head, StreamId};
use goro_http2::proto::PREFACE;
use support::peer::raw_frame;

/// The HPACK block of `POST /echo` (RFC 7541 static table): indexed
/// `:method: POST` (3) and `:scheme: http` (6), then `:path: /echo` and
/// `:authority: a` as literals with incremental indexing of names 4 and 1.
const POST_ECHO: &[u8] = b"\x83\x86\x44\x05/echo\x41\x01a";

/// Preface, empty SETTINGS, then on stream 1 HEADERS (END_HEADERS) and
/// DATA "ping" (END_STREAM), in one buffer.
fn echo_request() -> Vec<u8> {
    let mut wire = PREFACE.to_vec();
    wire.extend(raw_frame(0x4, 0, 0, &[]));
    wire.extend(raw_frame(0x1, 0x4, 1, POST_ECHO));
    wire.extend(raw_frame(0x0, 0x1, 1, b"ping"));
    wire
}

fn half_closed_client_gets_its_response(b: Binding) {
    let server = Server::start(b);
    let mut tcp = TcpStream::connect(server.addr).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    tcp.write_all(&echo_request()).expect("send request");
    tcp.shutdown(Shutdown::Write).expect("half-close");
    let mut wire = Vec::new();
    tcp.read_to_end(&mut wire)
        .expect("read until the server closes");
    // Stream 1's DATA must carry "ping" and end with END_STREAM.
    let (mut body, mut ended, mut at) = (Vec::new(), false, 0);
    while let Some(head) = wire.get(at..at + HEAD_LEN) {
        let head = Head::parse(head.try_into().expect("9 octets"));
        let payload = &wire[at + HEAD_LEN..at + HEAD_LEN + head.len as usize];
        if head.stream == StreamId(1) && head.kind == 0 {
            body.extend_from_slice(payload);
            ended |= head.flags & 1 != 0;
        }
        at += HEAD_LEN + payload.len();
    }
    assert_eq!(at, wire.len(), "a partial frame at the end");
    assert_eq!(body, b"ping");
    assert!(ended, "the response did not end its stream");
}

per_binding!(half_closed_client_gets_its_response);
