//! TCP through the runtime's poller: echo at 1..1,000 connections, 64 MiB
//! byte-exact, half-close, reset by peer, accept storm (multishot accept),
//! timeouts, cancel, shutdown with open connections.
//!
//! Every test runs on the backend `GORO_IO_BACKEND` selects (io_uring by
//! default here); CI runs the file again with `GORO_IO_BACKEND=epoll`.

use std::future::Future;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use goro::net::{TcpListener, TcpStream, is_cancelled};
use goro::{IoBackend, Runtime};

mod common;
use common::runtime;

/// An echo server task: every accepted connection echoes until EOF.
async fn echo_server(listener: TcpListener) {
    loop {
        let Ok((conn, _)) = listener.accept().await else {
            return;
        };
        goro::spawn(async move {
            let mut buf = Vec::with_capacity(4096);
            loop {
                buf.clear();
                let (n, b) = conn.read(buf).await;
                match n {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let (r, b) = conn.write_all(b).await;
                if r.is_err() {
                    return;
                }
                buf = b;
            }
        });
    }
}

fn start_echo(rt: &Runtime) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(echo_server(listener));
    addr
}

async fn round_trips(addr: SocketAddr, id: usize, rounds: usize) {
    let conn = TcpStream::connect(addr).await.unwrap();
    conn.set_nodelay(true).unwrap();
    let mut buf = Vec::with_capacity(64);
    for round in 0..rounds {
        let msg = format!("conn {id} round {round}").into_bytes();
        let (r, _) = conn.write_all(msg.clone()).await;
        r.unwrap();
        buf.clear();
        while buf.len() < msg.len() {
            let (n, b) = conn.read(buf).await;
            assert!(n.unwrap() > 0, "echo closed early");
            buf = b;
        }
        assert_eq!(buf, msg);
    }
}

fn echo_conns(conns: usize, rounds: usize, backend: IoBackend) {
    let rt = runtime(2, backend);
    let addr = start_echo(&rt);
    rt.block_on(async move {
        let clients: Vec<_> = (0..conns)
            .map(|i| goro::spawn(round_trips(addr, i, rounds)))
            .collect();
        for c in clients {
            c.await.unwrap();
        }
    });
}

fn echo_1_connection(backend: IoBackend) {
    echo_conns(1, 200, backend);
}

fn echo_100_connections(backend: IoBackend) {
    echo_conns(100, 20, backend);
}

fn echo_1000_connections(backend: IoBackend) {
    echo_conns(1000, 3, backend);
}

/// A byte pattern no short period can fake.
fn pattern(at: usize, len: usize) -> Vec<u8> {
    (at..at + len)
        .map(|i| (i as u64).wrapping_mul(0x9E37_79B9) as u8 ^ (i >> 13) as u8)
        .collect()
}

fn transfer_64_mib_byte_exact(backend: IoBackend) {
    const TOTAL: usize = 64 << 20;
    const CHUNK: usize = 256 << 10;
    let rt = runtime(2, backend);
    let addr = start_echo(&rt);
    rt.block_on(async move {
        let (rd, wr) = TcpStream::connect(addr).await.unwrap().into_split();
        let writer = goro::spawn(async move {
            let mut at = 0;
            while at < TOTAL {
                let (r, _) = wr.write_all(pattern(at, CHUNK)).await;
                r.unwrap();
                at += CHUNK;
            }
            wr.shutdown().unwrap();
        });
        let mut got = 0;
        let mut buf = Vec::with_capacity(64 << 10);
        loop {
            buf.clear();
            let (n, b) = rd.read(buf).await;
            let n = n.unwrap();
            if n == 0 {
                break;
            }
            assert!(b == pattern(got, n), "mismatch in bytes {got}..{}", got + n);
            got += n;
            buf = b;
        }
        assert_eq!(got, TOTAL);
        writer.await.unwrap();
    });
}

fn half_close_then_reply(backend: IoBackend) {
    let rt = runtime(2, backend);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    rt.block_on(async move {
        let server = goro::spawn(async move {
            let (conn, _) = listener.accept().await.unwrap();
            let mut all = Vec::new();
            loop {
                let (n, b) = conn.read(Vec::with_capacity(1024)).await;
                if n.unwrap() == 0 {
                    break;
                }
                all.extend_from_slice(&b);
            }
            // The client's FIN did not close our sending side.
            let (r, _) = conn
                .write_all(format!("got {}", all.len()).into_bytes())
                .await;
            r.unwrap();
        });
        let conn = TcpStream::connect(addr).await.unwrap();
        let (r, _) = conn.write_all(vec![7u8; 10_000]).await;
        r.unwrap();
        conn.shutdown(Shutdown::Write).unwrap();
        let mut reply = Vec::new();
        loop {
            let (n, b) = conn.read(Vec::with_capacity(64)).await;
            if n.unwrap() == 0 {
                break;
            }
            reply.extend_from_slice(&b);
        }
        assert_eq!(reply, b"got 10000");
        server.await.unwrap();
    });
}

fn reset_by_peer(backend: IoBackend) {
    let rt = runtime(1, backend);
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    rt.block_on(async move {
        let conn = TcpStream::connect(addr).await.unwrap();
        let (peer, _) = std_listener.accept().unwrap();
        // SO_LINGER 0: close sends RST instead of FIN.
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: valid socket and a correctly sized option value.
        let r = unsafe {
            libc::setsockopt(
                std::os::fd::AsRawFd::as_raw_fd(&peer),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&raw const linger).cast(),
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            )
        };
        assert_eq!(r, 0);
        drop(peer);
        let (n, _) = conn.read(Vec::with_capacity(64)).await;
        let err = n.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
        // Writing after the reset fails too (EPIPE, no SIGPIPE).
        let (w, _) = conn.write_all(vec![1; 16]).await;
        assert!(w.is_err());
    });
}

fn accept_storm_multishot(backend: IoBackend) {
    const N: usize = 500;
    let rt = runtime(2, backend);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    rt.block_on(async move {
        let acceptor = goro::spawn(async move {
            let mut incoming = listener.incoming();
            let mut total = 0u64;
            for _ in 0..N {
                let conn = incoming.next().await.unwrap().unwrap();
                let (n, b) = conn.read(Vec::with_capacity(8)).await;
                assert_eq!(n.unwrap(), 8);
                total += u64::from_le_bytes(b[..8].try_into().unwrap());
            }
            total
        });
        let clients: Vec<_> = (0..N as u64)
            .map(|i| {
                goro::spawn(async move {
                    let c = TcpStream::connect(addr).await.unwrap();
                    let (r, _) = c.write_all(i.to_le_bytes().to_vec()).await;
                    r.unwrap();
                    c
                })
            })
            .collect();
        let mut keep = Vec::new();
        for c in clients {
            keep.push(c.await.unwrap());
        }
        assert_eq!(acceptor.await.unwrap(), (0..N as u64).sum::<u64>());
    });
}

fn timeout_around_read_then_reuse(backend: IoBackend) {
    let rt = runtime(2, backend);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    rt.block_on(async move {
        let conn = TcpStream::connect(addr).await.unwrap();
        let (peer, _) = listener.accept().await.unwrap();
        let timed =
            goro::time::timeout(Duration::from_millis(30), conn.read(Vec::with_capacity(64))).await;
        assert!(timed.is_err(), "a silent peer must time out");
        // The abandoned read must not eat later data.
        let (r, _) = peer.write_all(b"after".to_vec()).await;
        r.unwrap();
        let (n, b) = conn.read(Vec::with_capacity(64)).await;
        assert_eq!(&b[..n.unwrap()], b"after");
    });
}

fn cancel_pending_read_reports_cancelled(backend: IoBackend) {
    let rt = runtime(1, backend);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    rt.block_on(async move {
        let conn = TcpStream::connect(addr).await.unwrap();
        let (peer, _) = listener.accept().await.unwrap();
        let mut read = conn.read(Vec::with_capacity(64));
        // Start it (one poll), then cancel it mid-flight.
        let first = std::future::poll_fn(|cx| {
            std::task::Poll::Ready(std::pin::Pin::new(&mut read).poll(cx).is_pending())
        })
        .await;
        assert!(first, "nothing was sent, the read must be pending");
        read.cancel();
        let (n, buf) = read.await;
        let err = n.unwrap_err();
        assert!(is_cancelled(&err), "{err}");
        assert_eq!(buf.capacity(), 64);
        assert!(buf.is_empty());
        // The connection still works.
        let (r, _) = peer.write_all(b"x".to_vec()).await;
        r.unwrap();
        let (n, b) = conn.read(buf).await;
        assert_eq!((n.unwrap(), &b[..]), (1, &b"x"[..]));
    });
}

fn cancel_after_completion_keeps_the_data(backend: IoBackend) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Wake, Waker};

    struct Flag(AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let rt = runtime(1, backend);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    rt.block_on(async move {
        let conn = TcpStream::connect(addr).await.unwrap();
        let (peer, _) = listener.accept().await.unwrap();
        let mut read = conn.read(Vec::with_capacity(64));
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(flag.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(std::pin::Pin::new(&mut read).poll(&mut cx).is_pending());
        let (r, _) = peer.write_all(b"data".to_vec()).await;
        r.unwrap();
        // The read's waker fires when its completion has arrived.
        while !flag.0.load(Ordering::SeqCst) {
            goro::yield_now().await;
        }
        read.cancel();
        let (n, buf) = read.await;
        assert_eq!(n.unwrap(), 4, "completed before the cancel: real result");
        assert_eq!(buf, b"data");
    });
}

fn shutdown_with_open_connections(backend: IoBackend) {
    const N: usize = 50;
    let rt = runtime(2, backend);
    let addr = start_echo(&rt);
    // Clients from plain threads: the server side is parked in reads.
    let mut clients: Vec<std::net::TcpStream> = (0..N)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    for c in &mut clients {
        c.write_all(b"ping").unwrap();
        let mut b = [0u8; 4];
        c.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"ping");
    }
    // Dropping the runtime cancels the server tasks, which closes their
    // sockets: every client then reads end of stream.
    drop(rt);
    for c in &mut clients {
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut b = [0u8; 4];
        assert_eq!(c.read(&mut b).unwrap(), 0);
    }
}

fn vectored_write_and_readiness_style(backend: IoBackend) {
    let rt = runtime(2, backend);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    rt.block_on(async move {
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let (n, bufs) = client
            .write_vectored(vec![b"head".to_vec(), b"-".to_vec(), b"body".to_vec()])
            .await;
        assert_eq!(n.unwrap(), 9);
        assert_eq!(bufs.len(), 3);
        server.readable().await.unwrap();
        let mut got = [0u8; 9];
        let mut have = 0;
        while have < 9 {
            have += std::future::poll_fn(|cx| server.poll_read(cx, &mut got[have..]))
                .await
                .unwrap();
        }
        assert_eq!(&got, b"head-body");
        client.writable().await.unwrap();
        let n = std::future::poll_fn(|cx| client.poll_write(cx, b"pw"))
            .await
            .unwrap();
        assert_eq!(n, 2);
        let (n, b) = server.read(Vec::with_capacity(8)).await;
        assert_eq!(&b[..n.unwrap()], b"pw");
    });
}

/// `connect` by name and by string: every resolved address is tried in
/// turn ("localhost" may give `::1` first, where nothing listens), a name
/// is looked up inside a task that runs on a worker, and a refused or
/// empty target is an error.
fn connect_by_name_and_string(backend: IoBackend) {
    let rt = runtime(1, backend);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = rt.spawn(async move {
        let targets = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
        for target in &targets {
            let client = TcpStream::connect(target).await.unwrap();
            let (server, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, client.local_addr().unwrap(), "{target}");
            let (r, _) = client.write_all(b"hi".to_vec()).await;
            r.unwrap();
            let (n, b) = server.read(Vec::with_capacity(4)).await;
            assert_eq!(&b[..n.unwrap()], b"hi", "{target}");
        }
        let client = TcpStream::connect(("localhost", port)).await.unwrap();
        drop(listener.accept().await.unwrap());
        drop(client);
        drop(listener);
        let refused = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
        // The first address refuses (nothing listens there any more): the
        // second is tried and connects.
        let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let refusing = gone.local_addr().unwrap();
        drop(gone);
        let second = TcpListener::bind("127.0.0.1:0").unwrap();
        let good = second.local_addr().unwrap();
        let client = TcpStream::connect(&[refusing, good][..]).await.unwrap();
        let (_server, peer) = second.accept().await.unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        let none: &[SocketAddr] = &[];
        let empty = TcpStream::connect(none).await.unwrap_err();
        assert_eq!(empty.kind(), std::io::ErrorKind::InvalidInput);
    });
    rt.block_on(task).unwrap();
}

on_both_backends!(
    connect_by_name_and_string,
    echo_1_connection,
    echo_100_connections,
    echo_1000_connections,
    transfer_64_mib_byte_exact,
    half_close_then_reply,
    reset_by_peer,
    accept_storm_multishot,
    timeout_around_read_then_reuse,
    cancel_pending_read_reports_cancelled,
    cancel_after_completion_keeps_the_data,
    shutdown_with_open_connections,
    vectored_write_and_readiness_style,
);
