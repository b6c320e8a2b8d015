//! `Op::keep_open`: an abandoned op holds its descriptor open until it
//! ends, so the number cannot go to another socket while the op may still
//! reach the kernel. On io_uring an SQE names its descriptor by number and
//! the kernel resolves it only at the next `io_uring_enter`: a receive
//! abandoned and its socket closed before then would otherwise run on
//! whatever socket got the number next, and take its bytes.
//!
//! One test, both backends in turn: it watches which numbers new sockets
//! get, so nothing else may open descriptors meanwhile.

mod common;

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use goro_netpoll::{Backend, Op, SharedFd};

/// What is waiting in `s` now (the pair's sockets are non-blocking): one
/// read takes a 4-byte message whole, and nothing waiting reads as empty.
fn waiting(s: &mut UnixStream) -> Vec<u8> {
    let mut buf = [0; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    buf[..n].to_vec()
}

/// True while `number` names an open descriptor of this process.
fn is_open(number: i32) -> bool {
    // SAFETY: F_GETFD only reads the descriptor's flags; a closed number
    // fails with EBADF and touches nothing.
    unsafe { libc::fcntl(number, libc::F_GETFD) != -1 }
}

fn an_abandoned_receive_keeps_its_descriptor_until_it_ends(backend: Backend) {
    let Some(mut p) = common::poller(backend) else {
        return;
    };
    let (a, _a_peer) = common::pair();
    let fd = SharedFd::from(OwnedFd::from(a));
    let number = fd.as_raw_fd();
    let op = Op::recv(number, Vec::with_capacity(64)).keep_open(fd.clone());
    let id = p.submit(op, 1).unwrap();
    p.abandon(id);
    // The owner's way out, on either backend: release, then drop.
    p.release_fd(number);
    drop(fd);
    if backend == Backend::IoUring {
        // The receive is still queued for the kernel: its socket must be.
        assert!(is_open(number), "closed under a queued receive");
    }
    let (mut b, mut c) = common::pair();
    b.write_all(b"to c").unwrap();
    c.write_all(b"to b").unwrap();
    let start = Instant::now();
    let mut out = Vec::new();
    while p.in_flight() > 0 {
        p.poll(&mut out, Some(Duration::from_millis(10))).unwrap();
        assert!(
            start.elapsed() < common::LIMIT,
            "the abandoned op never ended"
        );
    }
    assert!(out.is_empty(), "an abandoned op reported: {out:?}");
    if ![b.as_raw_fd(), c.as_raw_fd()].contains(&number) {
        assert!(!is_open(number), "still open after the op ended");
    }
    assert_eq!(
        (waiting(&mut b), waiting(&mut c)),
        (b"to b".to_vec(), b"to c".to_vec()),
        "bytes of sockets opened after the drop went missing"
    );
}

#[test]
fn an_abandoned_receive_keeps_its_descriptor_until_it_ends_on_both_backends() {
    an_abandoned_receive_keeps_its_descriptor_until_it_ends(Backend::IoUring);
    an_abandoned_receive_keeps_its_descriptor_until_it_ends(Backend::Epoll);
}
