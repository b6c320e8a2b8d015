//! Unix streams, UDP, owned halves across tasks, and multishot receive
//! over the provided-buffer ring.

use std::net::Shutdown;

use goro::IoBackend;
use goro::net::{TcpListener, TcpStream, UdpSocket, UnixStream};

mod common;
use common::runtime;

fn unix_pair_echo_and_half_close(backend: IoBackend) {
    let rt = runtime(2, backend);
    rt.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let echo = goro::spawn(async move {
            loop {
                let (n, buf) = b.read(Vec::with_capacity(256)).await;
                if n.unwrap() == 0 {
                    return;
                }
                let (r, _) = b.write_all(buf).await;
                r.unwrap();
            }
        });
        for i in 0..100u32 {
            let msg = i.to_le_bytes().repeat(10);
            let (r, _) = a.write_all(msg.clone()).await;
            r.unwrap();
            let mut got = Vec::new();
            while got.len() < msg.len() {
                let (n, b) = a.read(Vec::with_capacity(64)).await;
                assert!(n.unwrap() > 0);
                got.extend_from_slice(&b);
            }
            assert_eq!(got, msg);
        }
        a.shutdown(Shutdown::Write).unwrap();
        echo.await.unwrap();
    });
}

fn unix_connect_to_listener_path(backend: IoBackend) {
    let dir = std::env::temp_dir().join(format!("goro-unix-{}-{backend:?}", std::process::id()));
    let _ = std::fs::remove_file(&dir);
    let listener = std::os::unix::net::UnixListener::bind(&dir).unwrap();
    let rt = runtime(1, backend);
    let path = dir.clone();
    rt.block_on(async move {
        let conn = UnixStream::connect(&path).unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        let (r, _) = conn.write_all(b"over a path".to_vec()).await;
        r.unwrap();
        let mut got = [0u8; 11];
        std::io::Read::read_exact(&mut peer, &mut got).unwrap();
        assert_eq!(&got, b"over a path");
    });
    std::fs::remove_file(&dir).unwrap();
}

fn udp_send_to_recv_from_and_connected(backend: IoBackend) {
    let rt = runtime(2, backend);
    rt.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        // recv_from waits (readiness) until the datagram comes.
        let receiver = goro::spawn(async move {
            let mut buf = [0u8; 64];
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&b"one"[..], a_addr));
            b.connect(a_addr).unwrap();
            let (n, buf) = b.recv(Vec::with_capacity(64)).await;
            assert_eq!(&buf[..n.unwrap()], b"two");
        });
        a.send_to(b"one", b_addr).await.unwrap();
        a.connect(b_addr).unwrap();
        // `two` may be sent before b connects; b's recv still gets it,
        // because it came from a_addr, the address b connects to.
        let (n, _) = a.send(b"two".to_vec()).await;
        assert_eq!(n.unwrap(), 3);
        receiver.await.unwrap();
    });
}

/// `recv_from` into a slice shorter than the datagram: the bytes that fit,
/// the rest of that datagram discarded, the next one whole; and IPv6
/// loopback senders reported as such (skipped if `::1` cannot be bound).
fn udp_truncation_and_ipv6(backend: IoBackend) {
    let rt = runtime(1, backend);
    rt.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        let big: Vec<u8> = (0..100u8).collect();
        a.send_to(&big, b.local_addr().unwrap()).await.unwrap();
        a.send_to(b"next", b.local_addr().unwrap()).await.unwrap();
        let mut small = [0u8; 10];
        let (n, from) = b.recv_from(&mut small).await.unwrap();
        assert_eq!(
            (n, &small[..], from),
            (10, &big[..10], a.local_addr().unwrap())
        );
        let mut buf = [0u8; 64];
        let (n, _) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"next", "the tail of the big one is gone");

        let (Ok(c), Ok(d)) = (UdpSocket::bind("[::1]:0"), UdpSocket::bind("[::1]:0")) else {
            eprintln!("skipping the IPv6 part: cannot bind UDP on ::1 here");
            return;
        };
        c.send_to(b"six", d.local_addr().unwrap()).await.unwrap();
        let (n, from) = d.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"six"[..], c.local_addr().unwrap()));
    });
}

/// `IORING_OP_RECVMSG`, as the kernel numbers it in fdinfo's `PollList`.
const OP_RECVMSG: u32 = 10;

/// The opcodes of requests armed (waiting for readiness) in this process's
/// io_uring instances, from `/proc/self/fdinfo`; `None` if no ring's
/// fdinfo listed them this time (no `PollList:` section: old kernels, or
/// newer ones while the ring's lock is held).
fn armed_uring_opcodes() -> Option<Vec<u32>> {
    let mut ops = Vec::new();
    let mut listed = false;
    for fd in std::fs::read_dir("/proc/self/fd").ok()?.flatten() {
        let is_ring = std::fs::read_link(fd.path())
            .is_ok_and(|target| target.to_string_lossy().contains("io_uring"));
        if !is_ring {
            continue;
        }
        let info = std::fs::read_to_string(format!(
            "/proc/self/fdinfo/{}",
            fd.file_name().to_string_lossy()
        ));
        let Ok(info) = info else { continue };
        let Some((_, polls)) = info.split_once("PollList:") else {
            continue;
        };
        listed = true;
        ops.extend(polls.lines().filter_map(|l| {
            l.trim()
                .strip_prefix("op=")?
                .split(',')
                .next()?
                .parse::<u32>()
                .ok()
        }));
    }
    listed.then_some(ops)
}

/// Proof that `UdpSocket::recv_from` is the native op on io_uring, not a
/// system call plus a readiness wait: while it waits for a datagram, the
/// kernel lists a `RECVMSG` (not a `POLL_ADD`) armed in a ring. Needs no
/// tracing, only the ring's fdinfo; skipped (with a message) if the
/// kernel's fdinfo never lists armed requests within the deadline.
#[test]
fn udp_recv_from_is_native_on_io_uring() {
    let rt = runtime(1, IoBackend::IoUring);
    // `GORO_IO_BACKEND=epoll` overrides the builder: nothing to prove then.
    // Workers build their rings as they start: wait for the first one.
    let started = std::time::Instant::now();
    let info = loop {
        if let Some(info) = rt.handle().metrics().io_backend {
            break info;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "no worker built its ring within 10 s"
        );
        std::thread::yield_now();
    };
    if info.kind != goro_netpoll::BackendKind::IoUring {
        eprintln!("skipping: the runtime runs {info}, not io_uring");
        return;
    }
    rt.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b_addr = b.local_addr().unwrap();
        let receiver = goro::spawn(async move {
            let mut buf = [0u8; 16];
            let (n, _) = b.recv_from(&mut buf).await.unwrap();
            buf[..n].to_vec()
        });
        // Watch from a blocking thread until the receive is armed (or the
        // deadline passes); nothing is sent until then, so it must wait.
        let seen = goro::spawn_blocking(|| {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            let mut listed = false;
            loop {
                match armed_uring_opcodes() {
                    Some(ops) if ops.contains(&OP_RECVMSG) => return Some(true),
                    Some(_) => listed = true,
                    // The kernel skips the listing while the ring's lock is
                    // held: try again.
                    None => {}
                }
                if std::time::Instant::now() > deadline {
                    return listed.then_some(false);
                }
                std::thread::yield_now();
            }
        })
        .await
        .unwrap();
        a.send_to(b"native", b_addr).await.unwrap();
        assert_eq!(receiver.await.unwrap(), b"native");
        match seen {
            Some(found) => assert!(found, "no RECVMSG armed while recv_from waited"),
            None => eprintln!("skipping: this kernel's io_uring fdinfo lists no PollList"),
        }
    });
}

fn owned_halves_in_different_tasks(backend: IoBackend) {
    let rt = runtime(2, backend);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    rt.block_on(async move {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let (srd, swr) = server.into_split();
        // Reader and writer of the same socket wait at the same time.
        let reader = goro::spawn(async move {
            let mut total = 0;
            loop {
                let (n, _) = srd.read(Vec::with_capacity(4096)).await;
                match n.unwrap() {
                    0 => return total,
                    n => total += n,
                }
            }
        });
        let writer = goro::spawn(async move {
            for _ in 0..100 {
                let (r, _) = swr.write_all(vec![1u8; 1000]).await;
                r.unwrap();
            }
            swr.shutdown().unwrap();
        });
        let (crd, cwr) = client.into_split();
        let sender = goro::spawn(async move {
            for _ in 0..50 {
                let (r, _) = cwr.write_all(vec![2u8; 2000]).await;
                r.unwrap();
            }
            cwr.shutdown().unwrap();
        });
        let mut got = 0;
        loop {
            let (n, _) = crd.read(Vec::with_capacity(4096)).await;
            match n.unwrap() {
                0 => break,
                n => got += n,
            }
        }
        assert_eq!(got, 100_000);
        sender.await.unwrap();
        writer.await.unwrap();
        assert_eq!(reader.await.unwrap(), 100_000);
    });
}

fn multishot_recv_over_buffer_ring(backend: IoBackend) {
    let rt = runtime(2, backend);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    rt.block_on(async move {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let reader = goro::spawn(async move {
            let mut chunks = server.recv_multi();
            let mut all = Vec::new();
            while let Some(chunk) = chunks.next().await {
                all.extend_from_slice(&chunk.unwrap());
            }
            all
        });
        // More than the ring holds (256 x 4 KiB), so buffers are recycled.
        let mut sent = Vec::new();
        for i in 0..64u32 {
            let msg = vec![i as u8; 32 * 1024];
            sent.extend_from_slice(&msg);
            let (r, _) = client.write_all(msg).await;
            r.unwrap();
        }
        client.shutdown(Shutdown::Write).unwrap();
        assert!(reader.await.unwrap() == sent);
    });
}

/// Datagrams queued before the receiver looks, each read short of its
/// buffer: every one arrives, through `recv` and `recv_from`. A short read
/// must not mark a datagram socket drained the way it marks a stream (on
/// epoll the socket's kind comes from its type, `SocketFd::datagram`).
/// The Unix datagram twin in net_unix_datagram.rs fails when a datagram
/// socket is registered as a stream; UDP's receives try the call before
/// any wait, so a wrong kind does not show here.
fn queued_datagrams_each_arrive(backend: IoBackend) {
    let rt = runtime(1, backend);
    rt.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        a.connect(b.local_addr().unwrap()).unwrap();
        b.connect(a.local_addr().unwrap()).unwrap();
        for word in ["one", "two", "three", "four"] {
            let (n, _) = a.send(word.as_bytes().to_vec()).await;
            assert_eq!(n.unwrap(), word.len());
        }
        let within = std::time::Duration::from_secs(10);
        for word in ["one", "two"] {
            let read = goro::time::timeout(within, b.recv(Vec::with_capacity(64)));
            let (n, buf) = read.await.expect("a queued datagram was never read");
            assert_eq!(&buf[..n.unwrap()], word.as_bytes());
        }
        let mut buf = [0u8; 64];
        for word in ["three", "four"] {
            let read = goro::time::timeout(within, b.recv_from(&mut buf));
            let (n, _) = read
                .await
                .expect("a queued datagram was never read")
                .unwrap();
            assert_eq!(&buf[..n], word.as_bytes());
        }
    });
}

on_both_backends!(
    queued_datagrams_each_arrive,
    unix_pair_echo_and_half_close,
    unix_connect_to_listener_path,
    udp_send_to_recv_from_and_connected,
    udp_truncation_and_ipv6,
    owned_halves_in_different_tasks,
    multishot_recv_over_buffer_ring,
);
