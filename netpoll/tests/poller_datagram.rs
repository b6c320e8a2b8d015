//! Address-carrying datagram ops (`Op::send_to`, `Op::send_to_unix`,
//! `Op::recv_from`), written once and run on both backends as in
//! `poller_suite.rs`: `IORING_OP_SENDMSG`/`RECVMSG` with a name on io_uring,
//! `sendmsg`/`recvmsg` then readiness on epoll.

#[macro_use]
mod common;

use std::net::{SocketAddr, UdpSocket};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr as UnixAddr, UnixDatagram};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::*;
use goro_netpoll::{Backend, Completion, Op, Output, PeerAddr, Poller};

fn udp(addr: &str) -> std::io::Result<UdpSocket> {
    let s = UdpSocket::bind(addr)?;
    s.set_nonblocking(true)?;
    Ok(s)
}

fn unix_dgram(addr: &UnixAddr) -> UnixDatagram {
    let s = UnixDatagram::bind_addr(addr).unwrap();
    s.set_nonblocking(true).unwrap();
    s
}

/// A fresh socket path, unique to this test, process and backend.
fn temp_path(name: &str, backend: Backend) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "goro-netpoll-dgram-{name}-{}-{backend:?}",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

/// The bytes and the sender of a successful `recv_from`.
fn datagram(c: Completion) -> (Vec<u8>, PeerAddr) {
    let n = c.result.expect("recv_from failed");
    let Output::Datagram(buf, from) = c.output else {
        panic!("recv_from gave {:?}", c.output)
    };
    assert_eq!(n, buf.len());
    (buf, from)
}

/// `recv_from` submitted first (so on io_uring it waits in the kernel),
/// then `send_to`: the bytes arrive whole with the sender's address, and
/// `send_to` hands its buffer back.
fn udp_round_trip_on(backend: Backend, a: UdpSocket, b: UdpSocket) {
    let Some(mut p) = poller(backend) else { return };
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    let mut stash = Vec::new();
    for round in 0..20u64 {
        let msg = format!("datagram {round}").into_bytes();
        p.submit(Op::recv_from(raw(&b), Vec::with_capacity(64)), 1)
            .unwrap();
        p.poll(&mut stash, Some(Duration::ZERO)).unwrap();
        p.submit(Op::send_to(raw(&a), msg.clone(), b_addr), 2)
            .unwrap();
        let sent = wait_token(&mut p, 2, &mut stash);
        assert_eq!(sent.result.unwrap(), msg.len());
        assert_eq!(sent.output.into_buf().unwrap(), msg, "buffer back");
        let (got, from) = datagram(wait_token(&mut p, 1, &mut stash));
        assert_eq!(got, msg);
        assert_eq!(from.as_inet(), Some(a_addr));
        assert!(from.as_unix().is_none());
    }
    assert_eq!(p.in_flight(), 0);
}

fn udp_v4_round_trip(backend: Backend) {
    udp_round_trip_on(
        backend,
        udp("127.0.0.1:0").unwrap(),
        udp("127.0.0.1:0").unwrap(),
    );
}

fn udp_v6_round_trip(backend: Backend) {
    let (a, b) = match (udp("[::1]:0"), udp("[::1]:0")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("skipping: cannot bind UDP on ::1 here ({e})");
            return;
        }
    };
    udp_round_trip_on(backend, a, b);
}

/// A datagram longer than the room is cut to it, bytes already in the
/// buffer are kept, and the next receive gets the next datagram whole.
fn truncation(backend: Backend) {
    let Some(mut p) = poller(backend) else { return };
    let (a, b) = (udp("127.0.0.1:0").unwrap(), udp("127.0.0.1:0").unwrap());
    let big: Vec<u8> = (0..100u8).collect();
    for msg in [big.clone(), b"next".to_vec()] {
        a.send_to(&msg, b.local_addr().unwrap()).unwrap();
    }
    let mut stash = Vec::new();
    let mut buf = Vec::with_capacity(14);
    buf.extend_from_slice(b"old:");
    p.submit(Op::recv_from(raw(&b), buf), 1).unwrap();
    let c = wait_token(&mut p, 1, &mut stash);
    assert_eq!(*c.result.as_ref().unwrap(), 10);
    let Output::Datagram(buf, from) = c.output else {
        panic!("no datagram")
    };
    assert_eq!(&buf[..4], b"old:");
    assert_eq!(&buf[4..], &big[..10]);
    assert_eq!(from.as_inet(), Some(a.local_addr().unwrap()));
    p.submit(Op::recv_from(raw(&b), Vec::with_capacity(64)), 2)
        .unwrap();
    let (got, _) = datagram(wait_token(&mut p, 2, &mut stash));
    assert_eq!(got, b"next", "the tail of the big one is gone");
}

/// Cancel hands the buffer back untouched; abandon reports nothing, and
/// the buffer, header and name storage outlive the kernel (a canary check
/// as in `poller_suite.rs`: a premature free would let the kernel write the
/// datagram, or the sender's address, into a same-sized canary).
fn cancel_and_abandon_pending_recv_from(backend: Backend) {
    for single_issuer in [false, true] {
        let builder = Poller::builder()
            .backend(backend)
            .single_issuer(single_issuer);
        let Some(mut p) = poller_with(builder) else {
            return;
        };
        let (a, b) = (udp("127.0.0.1:0").unwrap(), udp("127.0.0.1:0").unwrap());
        let mut stash = Vec::new();
        let id = p
            .submit(Op::recv_from(raw(&b), Vec::with_capacity(4096)), 1)
            .unwrap();
        p.poll(&mut stash, Some(Duration::ZERO)).unwrap(); // now in the kernel
        p.cancel(id);
        let c = wait_token(&mut p, 1, &mut stash);
        assert_eq!(c.result.unwrap_err().raw_os_error(), Some(libc::ECANCELED));
        let Output::Buf(buf) = c.output else {
            panic!("a cancelled recv_from gives its buffer back alone")
        };
        assert_eq!((buf.len(), buf.capacity()), (0, 4096));

        let receivers: Vec<UdpSocket> = (0..8).map(|_| udp("127.0.0.1:0").unwrap()).collect();
        for (i, r) in receivers.iter().enumerate() {
            let id = p
                .submit(
                    Op::recv_from(raw(r), Vec::with_capacity(4096)),
                    10 + i as u64,
                )
                .unwrap();
            p.poll(&mut stash, Some(Duration::ZERO)).unwrap();
            p.abandon(id);
        }
        let canaries: Vec<Vec<u8>> = (0..256).map(|_| vec![0xAA; 4096]).collect();
        let small: Vec<Box<[u8; 136]>> = (0..256).map(|_| Box::new([0xAA; 136])).collect();
        for r in &receivers {
            a.send_to(&[0x55; 4096], r.local_addr().unwrap()).unwrap();
        }
        let start = Instant::now();
        while p.in_flight() > 0 {
            p.poll(&mut stash, Some(Duration::from_millis(10))).unwrap();
            assert!(start.elapsed() < LIMIT);
        }
        assert!(stash.is_empty(), "abandoned ops reported: {stash:?}");
        assert!(
            canaries.iter().all(|c| c.iter().all(|&x| x == 0xAA)),
            "the kernel wrote a datagram into freed memory"
        );
        assert!(
            small.iter().all(|c| c.iter().all(|&x| x == 0xAA)),
            "the kernel wrote an address into freed memory"
        );
    }
}

/// Unix datagrams: a bound receiver sees a path sender, an abstract
/// sender and an unbound (unnamed) one; `send_to_unix` reaches a path and
/// an abstract name; an unnamed target is `EINVAL`.
fn unix_peers(backend: Backend) {
    let Some(mut p) = poller(backend) else { return };
    let mut stash = Vec::new();
    let (path_a, path_b) = (temp_path("a", backend), temp_path("b", backend));
    let addr_b = UnixAddr::from_pathname(&path_b).unwrap();
    let b = unix_dgram(&addr_b);
    let a = unix_dgram(&UnixAddr::from_pathname(&path_a).unwrap());
    let abs_name = format!("goro-netpoll-dgram-{}-{backend:?}", std::process::id());
    let abs_addr = UnixAddr::from_abstract_name(abs_name.as_bytes()).unwrap();
    let abs = unix_dgram(&abs_addr);
    let anon = UnixDatagram::unbound().unwrap();
    anon.set_nonblocking(true).unwrap();

    // b's receive waits first; each sender's name comes back as sent.
    for (token, sender) in [(1, &a), (2, &abs), (3, &anon)] {
        p.submit(Op::recv_from(raw(&b), Vec::with_capacity(64)), 100)
            .unwrap();
        p.poll(&mut stash, Some(Duration::ZERO)).unwrap();
        let msg = format!("from {token}").into_bytes();
        p.submit(Op::send_to_unix(raw(sender), msg.clone(), &addr_b), token)
            .unwrap();
        assert_eq!(
            wait_token(&mut p, token, &mut stash).result.unwrap(),
            msg.len()
        );
        let (got, from) = datagram(wait_token(&mut p, 100, &mut stash));
        assert_eq!(got, msg);
        assert!(from.as_inet().is_none());
        let from = from.as_unix().unwrap();
        match token {
            1 => assert_eq!(from.as_pathname(), Some(path_a.as_path())),
            2 => assert_eq!(from.as_abstract_name(), Some(abs_name.as_bytes())),
            _ => assert!(from.is_unnamed(), "unbound sender: {from:?}"),
        }
    }

    // Answer to an abstract name, and to a pair peer (unnamed to us).
    p.submit(
        Op::send_to_unix(raw(&b), b"to abstract".to_vec(), &abs_addr),
        4,
    )
    .unwrap();
    wait_token(&mut p, 4, &mut stash).result.unwrap();
    p.submit(Op::recv_from(raw(&abs), Vec::with_capacity(64)), 5)
        .unwrap();
    let (got, from) = datagram(wait_token(&mut p, 5, &mut stash));
    assert_eq!(got, b"to abstract");
    assert_eq!(
        from.as_unix().unwrap().as_pathname(),
        Some(path_b.as_path())
    );

    let (x, y) = UnixDatagram::pair().unwrap();
    y.set_nonblocking(true).unwrap();
    x.send(b"pair").unwrap();
    p.submit(Op::recv_from(raw(&y), Vec::with_capacity(64)), 6)
        .unwrap();
    let (got, from) = datagram(wait_token(&mut p, 6, &mut stash));
    assert_eq!(got, b"pair");
    assert!(from.as_unix().unwrap().is_unnamed());

    let unnamed = UnixAddr::from_pathname("").unwrap();
    p.submit(Op::send_to_unix(raw(&anon), b"x".to_vec(), &unnamed), 7)
        .unwrap();
    let c = wait_token(&mut p, 7, &mut stash);
    assert_eq!(c.result.unwrap_err().raw_os_error(), Some(libc::EINVAL));
    assert_eq!(c.output.into_buf().unwrap(), b"x", "buffer back on error");

    assert_eq!(p.in_flight(), 0);
    std::fs::remove_file(&path_a).unwrap();
    std::fs::remove_file(&path_b).unwrap();
}

/// A send to an address of the wrong family fails with the kernel's error
/// and still hands the buffer back.
fn send_to_wrong_family(backend: Backend) {
    let Some(mut p) = poller(backend) else { return };
    let a = udp("127.0.0.1:0").unwrap();
    let v6: SocketAddr = "[::1]:9".parse().unwrap();
    let mut stash = Vec::new();
    p.submit(Op::send_to(raw(&a), b"nope".to_vec(), v6), 1)
        .unwrap();
    let c = wait_token(&mut p, 1, &mut stash);
    assert!(c.result.is_err(), "a v4 socket sent to a v6 address");
    assert_eq!(c.output.into_buf().unwrap(), b"nope");
}

both_backends!(
    udp_v4_round_trip,
    udp_v6_round_trip,
    truncation,
    cancel_and_abandon_pending_recv_from,
    unix_peers,
    send_to_wrong_family,
);
