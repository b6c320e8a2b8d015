//! A descriptor number closed by one socket and reused by the next must
//! never see an operation of the first. On io_uring an op is queued in the
//! worker's ring and reaches the kernel at the ring's next `io_uring_enter`,
//! which names the socket by number: if the socket were closed in between
//! (its read dropped, then the stream), that op would run on whatever
//! socket got the number next and take its bytes.
//!
//! One test, both backends in turn (not in parallel: it watches which
//! number the next socket of the process gets).

use std::future::{Future, poll_fn};
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::pin::pin;
use std::task::Poll;

use goro::IoBackend;
use goro::net::TcpStream;

mod common;
use common::runtime;

/// A connected pair: a goro stream and its std peer.
fn tcp_pair() -> (TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (ours, _) = listener.accept().unwrap();
    (TcpStream::from_std(ours).unwrap(), peer)
}

/// Everything that is waiting in `s` now, without blocking.
fn drain_now(s: &mut StdUnixStream) -> Vec<u8> {
    s.set_nonblocking(true).unwrap();
    let mut got = Vec::new();
    let mut buf = [0; 64];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return got,
            Err(e) => panic!("read: {e}"),
        }
    }
}

fn a_dropped_read_never_reaches_the_next_socket_with_its_number(backend: IoBackend) {
    let rt = runtime(1, backend);
    let task = rt.spawn(async {
        // Opened first, so that it cannot take the number under test: an
        // op on it that completes proves the ring entered the kernel since.
        let (probe, mut probe_peer) = tcp_pair();
        let (stream, _peer) = tcp_pair();
        let number = stream.as_raw_fd();
        {
            // Started (queued on this worker's ring), then dropped.
            let mut read = pin!(stream.read(Vec::with_capacity(64)));
            poll_fn(|cx| {
                assert!(read.as_mut().poll(cx).is_pending(), "nothing was sent");
                Poll::Ready(())
            })
            .await;
        }
        drop(stream);
        // The next sockets of the process: one of them gets `number` if it
        // is free. Bytes wait in both directions before the ring enters.
        let (mut a, mut b) = StdUnixStream::pair().unwrap();
        let reused = a.as_raw_fd() == number || b.as_raw_fd() == number;
        a.write_all(b"to b").unwrap();
        b.write_all(b"to a").unwrap();
        // Through the same ring: once it completes, everything queued
        // before it has been submitted.
        let (r, _) = probe.write_all(b"ping".to_vec()).await;
        r.unwrap();
        let mut ping = [0; 4];
        probe_peer.read_exact(&mut ping).unwrap();
        (reused, drain_now(&mut a), drain_now(&mut b))
    });
    let (reused, at_a, at_b) = rt.block_on(task).unwrap();
    assert_eq!(
        (&at_a[..], &at_b[..]),
        (&b"to a"[..], &b"to b"[..]),
        "bytes went missing from the sockets opened after the drop (the \
         dropped read's number {} reused by them)",
        if reused { "was" } else { "was not" }
    );
}

#[test]
fn a_dropped_read_never_reaches_the_next_socket_with_its_number_on_both_backends() {
    a_dropped_read_never_reaches_the_next_socket_with_its_number(IoBackend::IoUring);
    a_dropped_read_never_reaches_the_next_socket_with_its_number(IoBackend::Epoll);
}
