//! Stream I/O on both backends, beyond the core suite (`poller_suite.rs`):
//! short receives and the end of stream (the epoll driver's drained-stream
//! rule), and vectored sends of shared `Bytes`.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::*;
use goro_netpoll::{Backend, BackendKind, Completion, Op, Output};

fn expect_buf(c: Completion) -> Vec<u8> {
    c.result.as_ref().expect("operation failed");
    c.output.into_buf().expect("no buffer returned")
}

/// A receive that fills less than its buffer drains a stream socket: the
/// next receive must still see bytes that arrive later (and, on epoll, it
/// waits for the edge without a wasted EAGAIN call: rule 9 of the epoll
/// driver). A datagram socket keeps trying first: one short datagram says
/// nothing about the next.
fn short_receive_then_more(backend: Backend) {
    let Some(mut p) = poller(backend) else { return };
    let mut stash = Vec::new();
    let (mut a, b) = pair();
    // Register the descriptor by making a receive wait once.
    p.submit(Op::recv(raw(&b), Vec::with_capacity(4096)), 1)
        .unwrap();
    a.write_all(b"first").unwrap();
    assert_eq!(expect_buf(wait_token(&mut p, 1, &mut stash)), b"first");
    for round in 0..20u8 {
        a.write_all(&[round; 3]).unwrap();
        p.submit(Op::recv(raw(&b), Vec::with_capacity(4096)), 2)
            .unwrap();
        assert_eq!(expect_buf(wait_token(&mut p, 2, &mut stash)), [round; 3]);
        // Drained by that short receive; the next one starts before data.
        let before = p.stats().syscalls;
        p.submit(Op::recv(raw(&b), Vec::with_capacity(4096)), 3)
            .unwrap();
        if p.backend().kind == BackendKind::Epoll {
            assert_eq!(
                p.stats().syscalls,
                before,
                "a drained stream was read again"
            );
        }
        a.write_all(b"later").unwrap();
        assert_eq!(expect_buf(wait_token(&mut p, 3, &mut stash)), b"later");
    }
    // The last bytes and the end of stream arrive together while a receive
    // waits: the short receive must not hide the end of stream behind it.
    p.submit(Op::recv(raw(&b), Vec::with_capacity(4096)), 6)
        .unwrap();
    a.write_all(b"tail").unwrap();
    a.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(expect_buf(wait_token(&mut p, 6, &mut stash)), b"tail");
    p.submit(Op::recv(raw(&b), Vec::with_capacity(4096)), 7)
        .unwrap();
    assert_eq!(wait_token(&mut p, 7, &mut stash).result.unwrap(), 0);
    // Datagrams: two queued before the first receive; both arrive.
    let u1 = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let u2 = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    u2.set_nonblocking(true).unwrap();
    u1.connect(u2.local_addr().unwrap()).unwrap();
    p.submit(Op::recv(raw(&u2), Vec::with_capacity(512)), 4)
        .unwrap();
    u1.send(b"d0").unwrap();
    assert_eq!(expect_buf(wait_token(&mut p, 4, &mut stash)), b"d0");
    u1.send(b"d1").unwrap();
    u1.send(b"d2").unwrap();
    for want in [b"d1", b"d2"] {
        p.submit(Op::recv(raw(&u2), Vec::with_capacity(512)), 5)
            .unwrap();
        assert_eq!(expect_buf(wait_token(&mut p, 5, &mut stash)), want);
    }
    assert_eq!(p.in_flight(), 0);
}

/// Shared `Bytes` go out in order without being copied; the caller's clone
/// and the ones handed back are the same memory, unchanged.
fn send_vectored_shared(backend: Backend) {
    let Some(mut p) = poller(backend) else { return };
    let (a, mut b) = pair();
    let body = bytes::Bytes::from(vec![7u8; 100_000]);
    let head = bytes::Bytes::from_static(b"head:");
    p.submit(
        Op::send_vectored_bytes(raw(&a), vec![head.clone(), body.slice(10..)]),
        1,
    )
    .unwrap();
    // The socket buffer may take less than all; read while waiting.
    let mut got = Vec::new();
    let mut stash = Vec::new();
    let c = loop {
        let mut chunk = [0u8; 65536];
        match b.read(&mut chunk) {
            Ok(n) => got.extend_from_slice(&chunk[..n]),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock),
        }
        let mut out = Vec::new();
        p.poll(&mut out, Some(Duration::from_millis(1))).unwrap();
        stash.extend(out);
        if let Some(i) = stash.iter().position(|c| c.token == 1) {
            break stash.remove(i);
        }
    };
    let n = c.result.unwrap();
    assert!(n > 0 && n <= 5 + 99_990);
    let Output::SharedBufs(back) = c.output else {
        panic!("shared buffers not returned")
    };
    assert_eq!(back.len(), 2);
    assert_eq!(back[0].as_ptr(), head.as_ptr(), "the head was copied");
    assert_eq!(back[1].as_ptr(), body[10..].as_ptr(), "the body was copied");
    while got.len() < n {
        let mut chunk = [0u8; 65536];
        if let Ok(k) = b.read(&mut chunk) {
            got.extend_from_slice(&chunk[..k]);
        }
    }
    let want: Vec<u8> = [&head[..], &body[10..]].concat();
    assert_eq!(got, want[..n]);
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod io_uring {
            $( #[test] fn $name() { super::$name(super::Backend::IoUring) } )*
        }
        mod epoll {
            $( #[test] fn $name() { super::$name(super::Backend::Epoll) } )*
        }
    };
}

both_backends!(short_receive_then_more, send_vectored_shared);
