//! The start of a connection over real sockets, once per binding: what is
//! not HTTP/2 gets one HTTP/1.1 error response and a clean close (the
//! client reads it even when it sent more than the server read), and a
//! client that closes before deciding gets a close. curl and nghttp drive
//! the successful upgrades in `interop_curl.rs` and `interop_nghttp.rs`.

#[macro_use]
mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use common::{Binding, Server};

/// Sends `wire`, half-closes, and reads until the server closes.
fn exchange(server: &Server, wire: &[u8]) -> String {
    let mut tcp = TcpStream::connect(server.addr).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    tcp.write_all(wire).expect("send");
    tcp.shutdown(Shutdown::Write).expect("half-close");
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer)
        .expect("read until the server closes");
    String::from_utf8(answer).expect("an HTTP/1.1 answer is text")
}

fn garbage_gets_400_and_a_close(b: Binding) {
    let server = Server::start(b);
    let answer = exchange(&server, b"hello there\r\n\r\n");
    assert!(
        answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{answer}"
    );
    assert!(answer.contains("\r\nConnection: close\r\n"), "{answer}");
}

fn an_endless_head_gets_431_and_a_close(b: Binding) {
    let server = Server::start(b);
    // 100 KB of one field with no end: past the 64 KiB head limit.
    let mut wire = b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: ".to_vec();
    wire.resize(100_000, b'a');
    let answer = exchange(&server, &wire);
    assert!(
        answer.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        "{answer}"
    );
}

fn a_client_that_sends_nothing_is_closed(b: Binding) {
    let server = Server::start(b);
    assert_eq!(exchange(&server, b""), "");
}

per_binding!(
    garbage_gets_400_and_a_close,
    an_endless_head_gets_431_and_a_close,
    a_client_that_sends_nothing_is_closed,
);
