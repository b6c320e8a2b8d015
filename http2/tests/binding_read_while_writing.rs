//! RFC 9113 §5.2.2: an endpoint must read and process frames as soon as
//! they arrive, even while its own writes are blocked, or two peers that
//! both write before they read wait on each other for ever.
//!
//! The client here is such a peer: in one blocking `write_all` it sends a
//! whole upload on sixteen `/echo` streams (4 MiB, within the server's
//! windows) and reads nothing until that write returns. Socket buffers are
//! fixed at 256 KiB on both sides (512 KiB once the kernel doubles them,
//! and no longer tuned), so the server's echo blocks after about 1 MiB,
//! and an upload that the server stops reading blocks after about 1 MiB
//! too. A server that stops reading while a write is blocked leaves the
//! client's `write_all` stuck: the test fails at the client's 10 s write
//! timeout (all three bindings did before the fix). A server that keeps
//! reading lets the upload finish, and every stream's echo then arrives
//! byte for byte. Once per binding.

#[macro_use]
mod common;
mod support;

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::Duration;

use common::{Binding, Options, Server, pattern, set_socket_buffers};
use goro_http2::frame::{HEAD_LEN, Head};
use goro_http2::proto::PREFACE;
use goro_http2::server::Builder;
use support::peer::raw_frame;

/// `POST /echo` (see `binding_half_close.rs`).
const POST_ECHO: &[u8] = b"\x83\x86\x44\x05/echo\x41\x01a";
const STREAMS: u32 = 16;
/// Per stream: the server's default stream window (256 KiB), opened in
/// full by the SETTINGS its preface sends (which the client acknowledges
/// blind); the connection window is raised to hold all streams.
const BODY: usize = 256 * 1024;
const CHUNK: usize = 16 * 1024;
const BUFFER: usize = 256 * 1024;

/// Preface; SETTINGS with the largest initial window, its ACK of the
/// server's SETTINGS (sent blind, as the client reads nothing yet), the
/// connection window opened in full; then every stream's HEADERS and its
/// DATA in turns of `CHUNK`, the last with END_STREAM.
fn upload() -> Vec<u8> {
    let mut wire = PREFACE.to_vec();
    let max_window = (1u32 << 31) - 1;
    let mut settings = vec![0, 4];
    settings.extend_from_slice(&max_window.to_be_bytes());
    wire.extend(raw_frame(0x4, 0, 0, &settings));
    wire.extend(raw_frame(0x4, 0x1, 0, &[]));
    wire.extend(raw_frame(0x8, 0, 0, &(max_window - 65_535).to_be_bytes()));
    let body = pattern(BODY);
    for s in 0..STREAMS {
        wire.extend(raw_frame(0x1, 0x4, 2 * s + 1, POST_ECHO));
    }
    for (i, chunk) in body.chunks(CHUNK).enumerate() {
        let last = (i + 1) * CHUNK >= BODY;
        for s in 0..STREAMS {
            wire.extend(raw_frame(0x0, u8::from(last), 2 * s + 1, chunk));
        }
    }
    wire
}

fn server_reads_while_its_write_is_blocked(b: Binding) {
    let server = Server::start_with(
        b,
        Options {
            builder: Builder::new().initial_connection_window(8 << 20),
            socket_buffers: Some(BUFFER),
            ..Options::default()
        },
    );
    let mut tcp = TcpStream::connect(server.addr).expect("connect");
    set_socket_buffers(tcp.as_raw_fd(), BUFFER);
    tcp.set_write_timeout(Some(Duration::from_secs(10)))
        .expect("write timeout");
    tcp.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("read timeout");
    if let Err(e) = tcp.write_all(&upload()) {
        panic!("the upload stalled ({e}): the server stopped reading while its write was blocked");
    }
    // Now read every stream's echo to its END_STREAM.
    let mut bodies: HashMap<u32, Vec<u8>> = HashMap::new();
    let mut ended = 0;
    let mut wire = Vec::new();
    let mut buf = vec![0; 64 * 1024];
    while ended < STREAMS {
        let n = match tcp.read(&mut buf) {
            // A signal for another thread of this process can interrupt a
            // read with a timeout (the kernel then does not restart it).
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            other => other.expect("read the echo"),
        };
        assert!(
            n > 0,
            "the server closed with {ended} of {STREAMS} streams ended"
        );
        wire.extend_from_slice(&buf[..n]);
        let mut at = 0;
        while let Some(head) = wire.get(at..at + HEAD_LEN) {
            let head = Head::parse(head.try_into().expect("9 octets"));
            let end = at + HEAD_LEN + head.len as usize;
            let Some(payload) = wire.get(at + HEAD_LEN..end) else {
                break;
            };
            match head.kind {
                0x0 => {
                    bodies
                        .entry(head.stream.0)
                        .or_default()
                        .extend_from_slice(payload);
                    ended += u32::from(head.flags & 0x1 != 0);
                }
                0x3 | 0x7 => panic!("the server reset the exchange: frame {head:?} {payload:?}"),
                _ => {}
            }
            at = end;
        }
        wire.drain(..at);
    }
    let expected = pattern(BODY);
    for s in 0..STREAMS {
        let body = bodies.get(&(2 * s + 1)).map_or(&[][..], |b| &b[..]);
        assert!(
            body == &expected[..],
            "stream {}: {} of {} octets echoed, or not the ones sent",
            2 * s + 1,
            body.len(),
            BODY
        );
    }
}

per_binding!(server_reads_while_its_write_is_blocked);
