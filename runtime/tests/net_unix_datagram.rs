//! `UnixDatagram` on both I/O backends: pairs, bound sockets with peer
//! paths, connected and unbound senders, and truncation of datagrams
//! larger than the buffer.

use std::os::linux::net::SocketAddrExt;
use std::path::PathBuf;

use goro::IoBackend;
use goro::net::UnixDatagram;

mod common;
use common::runtime;

/// A fresh socket path, unique to this test, process and backend.
fn temp_path(name: &str, backend: IoBackend) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "goro-dgram-{name}-{}-{backend:?}",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

fn pair_round_trip(backend: IoBackend) {
    let rt = runtime(2, backend);
    rt.block_on(async {
        let (a, b) = UnixDatagram::pair().unwrap();
        // b waits before anything is sent, so the wait path is exercised.
        let echo = goro::spawn(async move {
            for _ in 0..100 {
                let (n, buf) = b.recv(Vec::with_capacity(64)).await;
                assert!(n.unwrap() > 0);
                let (r, _) = b.send(buf).await;
                r.unwrap();
            }
            b
        });
        for i in 0..100u32 {
            let msg = i.to_le_bytes().repeat(i as usize % 8 + 1);
            let (n, _) = a.send(msg.clone()).await;
            assert_eq!(n.unwrap(), msg.len());
            // Datagrams keep their boundaries: one recv, one message.
            let (n, buf) = a.recv(Vec::with_capacity(64)).await;
            assert_eq!(n.unwrap(), msg.len());
            assert_eq!(buf, msg);
        }
        let b = echo.await.unwrap();
        // A pair's peer has no name.
        let (r, _) = b.send(b"last".to_vec()).await;
        r.unwrap();
        let (r, buf) = a.recv_from(Vec::with_capacity(16)).await;
        let (n, from) = r.unwrap();
        assert_eq!(&buf[..n], b"last");
        assert!(from.is_unnamed(), "pair peer address: {from:?}");
    });
}

fn bound_send_to_recv_from_with_peer_path(backend: IoBackend) {
    let (pa, pb) = (temp_path("a", backend), temp_path("b", backend));
    let rt = runtime(2, backend);
    let (qa, qb) = (pa.clone(), pb.clone());
    rt.block_on(async move {
        let a = UnixDatagram::bind(&qa).unwrap();
        let b = UnixDatagram::bind(&qb).unwrap();
        assert_eq!(b.local_addr().unwrap().as_pathname(), Some(qb.as_path()));
        // b answers whoever wrote, at the address recv_from reports.
        let server = goro::spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..3 {
                let (r, buf) = b.recv_from(Vec::with_capacity(64)).await;
                let (n, from) = r.unwrap();
                seen.push(from.clone());
                if from.is_unnamed() {
                    assert_eq!(&buf[..n], b"anon");
                    continue; // nowhere to answer
                }
                let reply = [b"re:".as_slice(), &buf[..n]].concat();
                let (r, _) = b.send_to_addr(reply, &from).await;
                r.unwrap();
            }
            seen
        });
        let (n, _) = a.send_to(b"from a".to_vec(), &qb).await;
        assert_eq!(n.unwrap(), 6);
        let (r, buf) = a.recv_from(Vec::with_capacity(64)).await;
        let (n, from) = r.unwrap();
        assert_eq!(&buf[..n], b"re:from a");
        assert_eq!(from.as_pathname(), Some(qb.as_path()));

        // An unbound sender is unnamed to the receiver (b gets no reply
        // address, so it sends nothing back).
        let anon = UnixDatagram::unbound().unwrap();
        let (n, _) = anon.send_to(b"anon".to_vec(), &qb).await;
        assert_eq!(n.unwrap(), 4);

        // An abstract-namespace sender shows up by its name.
        let name = format!("goro-dgram-abstract-{}-{backend:?}", std::process::id());
        let abs_addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let abs =
            UnixDatagram::from_std(std::os::unix::net::UnixDatagram::bind_addr(&abs_addr).unwrap())
                .unwrap();
        let (r, _) = abs.send_to(b"abstract".to_vec(), &qb).await;
        r.unwrap();
        let (r, buf) = abs.recv_from(Vec::with_capacity(64)).await;
        let (n, from) = r.unwrap();
        assert_eq!(&buf[..n], b"re:abstract");
        assert_eq!(from.as_pathname(), Some(qb.as_path()));
        // What b saw: a's path, an unnamed sender, the abstract name.
        let seen = server.await.unwrap();
        assert_eq!(seen[0].as_pathname(), Some(qa.as_path()));
        assert!(seen[1].is_unnamed());
        assert_eq!(seen[2].as_abstract_name(), Some(name.as_bytes()));

        // connect + send/recv: the ring's ops, to and from the connected peer.
        let c = UnixDatagram::unbound().unwrap();
        c.connect(&qa).unwrap();
        assert_eq!(c.peer_addr().unwrap().as_pathname(), Some(qa.as_path()));
        let (n, _) = c.send(b"connected".to_vec()).await;
        assert_eq!(n.unwrap(), 9);
        let (n, buf) = a.recv(Vec::with_capacity(64)).await;
        assert_eq!(&buf[..n.unwrap()], b"connected");
    });
    std::fs::remove_file(&pa).unwrap();
    std::fs::remove_file(&pb).unwrap();
}

/// Linux truncates a datagram to the room given and discards the rest of
/// it (no error, no second read of the tail); the next datagram is whole.
fn larger_datagram_is_truncated(backend: IoBackend) {
    let path = temp_path("trunc", backend);
    let rt = runtime(1, backend);
    let p = path.clone();
    rt.block_on(async move {
        let big: Vec<u8> = (0..100u8).collect();
        let (a, b) = UnixDatagram::pair().unwrap();
        for msg in [big.clone(), b"next".to_vec()] {
            let (r, _) = a.send(msg).await;
            r.unwrap();
        }
        // recv (the ring op): 10 bytes of room, existing bytes kept.
        let mut buf = Vec::with_capacity(14);
        buf.extend_from_slice(b"old:");
        let (n, buf) = b.recv(buf).await;
        assert_eq!(n.unwrap(), 10);
        assert_eq!(&buf[..4], b"old:");
        assert_eq!(&buf[4..], &big[..10]);
        let (n, buf) = b.recv(Vec::with_capacity(64)).await;
        assert_eq!(
            &buf[..n.unwrap()],
            b"next",
            "the tail of the big one is gone"
        );

        // recv_from (the RECVMSG-with-name op): the same truncation.
        let bound = UnixDatagram::bind(&p).unwrap();
        let sender = UnixDatagram::unbound().unwrap();
        for msg in [big.clone(), b"after".to_vec()] {
            let (r, _) = sender.send_to(msg, &p).await;
            r.unwrap();
        }
        let (r, buf) = bound.recv_from(Vec::with_capacity(7)).await;
        let (n, from) = r.unwrap();
        assert_eq!((n, &buf[..]), (7, &big[..7]));
        assert!(from.is_unnamed());
        let (r, buf) = bound.recv_from(Vec::with_capacity(128)).await;
        let (n, _) = r.unwrap();
        assert_eq!(&buf[..n], b"after", "the tail of the big one is gone");
    });
    std::fs::remove_file(&path).unwrap();
}

/// As net_other's `queued_datagrams_each_arrive`, on a Unix datagram pair.
fn queued_datagrams_each_arrive(backend: IoBackend) {
    let rt = runtime(1, backend);
    rt.block_on(async {
        let (a, b) = UnixDatagram::pair().unwrap();
        for word in ["one", "two", "three"] {
            let (n, _) = a.send(word.as_bytes().to_vec()).await;
            assert_eq!(n.unwrap(), word.len());
        }
        for word in ["one", "two", "three"] {
            let read = b.recv(Vec::with_capacity(64));
            let read = goro::time::timeout(std::time::Duration::from_secs(10), read);
            let (n, buf) = read.await.expect("a queued datagram was never read");
            assert_eq!(&buf[..n.unwrap()], word.as_bytes());
        }
    });
}

on_both_backends!(
    queued_datagrams_each_arrive,
    pair_round_trip,
    bound_send_to_recv_from_with_peer_path,
    larger_datagram_is_truncated,
);
