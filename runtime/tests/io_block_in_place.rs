//! A read submitted on a worker's ring, then `block_in_place` hands that
//! worker's P to another thread: the read must still complete (the old
//! thread keeps its ring polled until its ops are done).

use std::future::Future;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use goro::net::TcpListener;

mod common;

fn read_survives_block_in_place_hand_off(backend: goro::IoBackend) {
    let rt = goro::Runtime::builder()
        .worker_threads(2)
        .io_backend(backend)
        .build()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut client = std::net::TcpStream::connect(addr).unwrap();
    let task = rt.spawn(async move {
        let (server, _) = listener.accept().await.unwrap();
        let mut total = Vec::new();
        for round in 0..5u8 {
            let mut read = server.read(Vec::with_capacity(16));
            // Submit it on this worker's ring (nothing to read yet).
            let pending =
                std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut read).poll(cx).is_pending()))
                    .await;
            assert!(pending);
            // Give the P away; the data arrives while this thread blocks.
            goro::block_in_place(|| client.write_all(&[round; 4]).unwrap());
            // A watchdog, so a stranded read fails the test instead of
            // hanging it.
            let (n, buf) = goro::time::timeout(Duration::from_secs(20), read)
                .await
                .expect("the read was stranded on a ring nobody polls");
            assert_eq!(n.unwrap(), 4);
            total.extend_from_slice(&buf);
        }
        (total, client)
    });
    let (total, _client) = rt.block_on(task).unwrap();
    let want: Vec<u8> = (0..5u8).flat_map(|r| [r; 4]).collect();
    assert_eq!(total, want);
}

/// The thread's kernel id, to watch it in `/proc/self/task`.
fn tid() -> i32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}

/// Sets the socket's `option` buffer to 64 KiB, which also turns off the
/// kernel's autotuning of it.
fn set_buffer(fd: std::os::fd::RawFd, option: libc::c_int) {
    let size: libc::c_int = 64 * 1024;
    // SAFETY: `fd` is an open socket; the value is a c_int of the size
    // passed.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            option,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "setsockopt: {}", std::io::Error::last_os_error());
}

/// Hands this worker's P to another thread with `block_in_place` and
/// runs `while_blocked` in the closure once that has happened: on a
/// one-worker runtime, a probe task can only run on the moved P. Returns
/// the thread that gave the P away.
async fn give_p_away(while_blocked: impl FnOnce()) -> i32 {
    let old = tid();
    let (ran_tx, ran_rx) = std::sync::mpsc::channel();
    let probe = goro::spawn(async move { ran_tx.send(tid()).unwrap() });
    let new = goro::block_in_place(|| {
        let new = ran_rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the P was not handed to another thread");
        while_blocked();
        new
    });
    assert_ne!(new, old);
    probe.await.unwrap();
    old
}

/// Waits (bounded) until thread `tid` of this process has exited.
async fn thread_exits(tid: i32, what: &str) {
    let path = format!("/proc/self/task/{tid}");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::path::Path::new(&path).exists() {
        assert!(std::time::Instant::now() < deadline, "{what}");
        goro::time::sleep(Duration::from_millis(2)).await;
    }
}

/// A multishot accept started on a worker's ring, then `block_in_place`
/// hands that worker's P away. The accept must go on serving connections,
/// and must not keep the thread that gave its P away alive: its ring
/// retires, and the accept starts again where its task runs now.
fn multishot_accept_moves_off_a_thread_that_gave_its_p_away(backend: goro::IoBackend) {
    // One worker, so that `give_p_away` can tell the hand-off happened.
    let rt = common::runtime(1, backend);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let task = rt.spawn(async move {
        let mut incoming = listener.incoming();
        // Submit the accept on this worker's ring (no connection yet).
        let pending =
            std::future::poll_fn(|cx| Poll::Ready(incoming.poll_next_fd(cx).is_pending())).await;
        assert!(pending);
        let old = give_p_away(|| {}).await;

        let mut clients = Vec::new();
        for round in 0..3 {
            clients.push(std::net::TcpStream::connect(addr).unwrap());
            let accepted = goro::time::timeout(Duration::from_secs(20), incoming.next())
                .await
                .expect("the accept was stranded")
                .expect("the accept ended")
                .unwrap();
            assert_eq!(
                accepted.peer_addr().unwrap(),
                clients[round].local_addr().unwrap()
            );
            if round == 0 {
                // With the accept still alive, the old thread has nothing
                // left on its ring and exits.
                thread_exits(old, "the thread that gave its P away still runs").await;
            }
        }
        drop(incoming);
        clients
    });
    let clients = rt.block_on(task).unwrap();
    assert_eq!(clients.len(), 3);
}

/// The same for a multishot receive: bytes that arrive while the old
/// thread blocks, and after its ring retired, all come through, in order,
/// and the old thread exits while the receive lives on.
fn multishot_recv_moves_off_a_thread_that_gave_its_p_away(backend: goro::IoBackend) {
    let rt = common::runtime(1, backend);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut client = std::net::TcpStream::connect(addr).unwrap();
    let task = rt.spawn(async move {
        let (server, _) = listener.accept().await.unwrap();
        let mut chunks = server.recv_multi();
        let pending =
            std::future::poll_fn(|cx| Poll::Ready(chunks.poll_next(cx).is_pending())).await;
        assert!(pending);
        let old = give_p_away(|| client.write_all(b"before-").unwrap()).await;
        let mut got = Vec::new();
        let mut exited = false;
        while got.len() < b"before-after".len() {
            let chunk = goro::time::timeout(Duration::from_secs(20), chunks.next())
                .await
                .expect("the receive was stranded")
                .expect("the receive ended")
                .unwrap();
            got.extend_from_slice(&chunk);
            if got == b"before-" && !exited {
                thread_exits(old, "the thread that gave its P away still runs").await;
                exited = true;
                client.write_all(b"after").unwrap();
            }
        }
        assert!(exited);
        got
    });
    let got = rt.block_on(task).unwrap();
    assert_eq!(got, b"before-after");
}

/// One-shot ops that may wait indefinitely — a read on an idle connection,
/// an accept on a quiet listener, a datagram receive, a wait for
/// readability and a write to a peer that does not read — pending on a worker's ring when `block_in_place` hands its
/// P away: the old thread exits while they still wait, and they complete on
/// the thread their task runs on now.
fn pending_waits_move_off_a_thread_that_gave_its_p_away(backend: goro::IoBackend) {
    let rt = common::runtime(1, backend);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut client = std::net::TcpStream::connect(addr).unwrap();
    let mut watched = std::net::TcpStream::connect(addr).unwrap();
    let mut stuffed_peer = std::net::TcpStream::connect(addr).unwrap();
    let udp = goro::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let udp_peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.connect(udp_peer.local_addr().unwrap()).unwrap();
    udp_peer.connect(udp.local_addr().unwrap()).unwrap();
    let task = rt.spawn(async move {
        let (server, _) = listener.accept().await.unwrap();
        let (watched_server, _) = listener.accept().await.unwrap();
        let (stuffed, _) = listener.accept().await.unwrap();
        // Fixed small buffers on both ends (no autotuning to make room
        // later), then fill the socket towards a peer that does not read
        // yet, until a write has to wait.
        set_buffer(stuffed.as_raw_fd(), libc::SO_SNDBUF);
        set_buffer(stuffed_peer.as_raw_fd(), libc::SO_RCVBUF);
        // A write still waiting 50 ms after it started is blocked: the
        // peer reads nothing and the buffers cannot grow. (If the machine
        // is slow enough to misjudge one, the write completes anyway and
        // the test stays green: the check only gets weaker.)
        let mut sent = 0;
        let mut blocked_write = loop {
            let mut write = stuffed.write(vec![7u8; 1 << 20]);
            let mut patience = std::pin::pin!(goro::time::sleep(Duration::from_millis(50)));
            let done = std::future::poll_fn(|cx| match Pin::new(&mut write).poll(cx) {
                Poll::Ready((n, _)) => Poll::Ready(Some(n.unwrap())),
                Poll::Pending => patience.as_mut().poll(cx).map(|()| None),
            })
            .await;
            match done {
                Some(n) => sent += n,
                None => break write,
            }
        };
        let mut read = server.read(Vec::with_capacity(16));
        let mut accept = Box::pin(listener.accept());
        let mut datagram = udp.recv(Vec::with_capacity(16));
        let mut readable = watched_server.readable();
        let pending = std::future::poll_fn(|cx| {
            let read_pending = Pin::new(&mut read).poll(cx).is_pending();
            let accept_pending = accept.as_mut().poll(cx).is_pending();
            let datagram_pending = Pin::new(&mut datagram).poll(cx).is_pending();
            let readable_pending = Pin::new(&mut readable).poll(cx).is_pending();
            let write_pending = Pin::new(&mut blocked_write).poll(cx).is_pending();
            Poll::Ready(
                read_pending
                    && accept_pending
                    && datagram_pending
                    && readable_pending
                    && write_pending,
            )
        })
        .await;
        assert!(pending);
        let old = give_p_away(|| {}).await;
        // Let this poll end (the thread leaves the worker loop only then),
        // then wait for the old thread with both ops still pending.
        goro::yield_now().await;
        thread_exits(old, "the thread that gave its P away still runs").await;
        client.write_all(b"late").unwrap();
        let (n, buf) = goro::time::timeout(Duration::from_secs(20), read)
            .await
            .expect("the read was stranded");
        assert_eq!((n.unwrap(), &buf[..]), (4, &b"late"[..]));
        let second = std::net::TcpStream::connect(addr).unwrap();
        let (_accepted, peer) = goro::time::timeout(Duration::from_secs(20), accept)
            .await
            .expect("the accept was stranded")
            .unwrap();
        assert_eq!(peer, second.local_addr().unwrap());
        udp_peer.send(b"dgram").unwrap();
        let (n, buf) = goro::time::timeout(Duration::from_secs(20), datagram)
            .await
            .expect("the datagram receive was stranded");
        assert_eq!((n.unwrap(), &buf[..]), (5, &b"dgram"[..]));
        watched.write_all(b"x").unwrap();
        goro::time::timeout(Duration::from_secs(20), readable)
            .await
            .expect("the wait for readability was stranded")
            .unwrap();
        // The peer reads at last: the blocked write completes, once.
        let reader = std::thread::spawn(move || {
            let mut buf = vec![0u8; 1 << 16];
            let mut total = 0;
            loop {
                match stuffed_peer.read(&mut buf).unwrap() {
                    0 => return total,
                    n => total += n,
                }
            }
        });
        let (n, _) = goro::time::timeout(Duration::from_secs(20), blocked_write)
            .await
            .expect("the blocked write was stranded");
        sent += n.unwrap();
        drop(stuffed);
        let received = goro::spawn_blocking(move || reader.join().unwrap())
            .await
            .unwrap();
        assert_eq!(
            received, sent,
            "bytes lost or sent twice across the restart"
        );
        (client, second, watched, watched_server)
    });
    rt.block_on(task).unwrap();
}

/// A connect still in its handshake when `block_in_place` hands the P
/// away: the old thread exits while it waits, and the connect completes
/// where its task runs now (on io_uring the cancel leaves the kernel
/// connecting, and the restart waits for that same handshake).
fn pending_connect_moves_off_a_thread_that_gave_its_p_away(backend: goro::IoBackend) {
    let rt = common::runtime(1, backend);
    // An accept queue of one, filled: the next SYN is dropped, and retried
    // about a second later, until the queue has room.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: a bound TCP socket; listen(2) only changes its backlog.
    assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 0) }, 0);
    let addr = listener.local_addr().unwrap();
    let filler = std::net::TcpStream::connect(addr).unwrap();
    let task = rt.spawn(async move {
        let mut connect = Box::pin(goro::net::TcpStream::connect(addr));
        let pending =
            std::future::poll_fn(|cx| Poll::Ready(connect.as_mut().poll(cx).is_pending())).await;
        assert!(pending);
        let old = give_p_away(|| {}).await;
        goro::yield_now().await;
        thread_exits(old, "the thread that gave its P away still runs").await;
        // Room in the queue (the filler is queued, so this returns at once).
        drop(listener.accept().unwrap());
        let stream = goro::time::timeout(Duration::from_secs(20), connect)
            .await
            .expect("the connect was stranded")
            .unwrap();
        let (mut server, peer) = listener.accept().unwrap();
        assert_eq!(peer, stream.local_addr().unwrap());
        server.write_all(b"up").unwrap();
        let (n, buf) = stream.read(Vec::with_capacity(8)).await;
        assert_eq!((n.unwrap(), &buf[..]), (2, &b"up"[..]));
        filler
    });
    rt.block_on(task).unwrap();
}

on_both_backends!(
    pending_connect_moves_off_a_thread_that_gave_its_p_away,
    read_survives_block_in_place_hand_off,
    multishot_accept_moves_off_a_thread_that_gave_its_p_away,
    multishot_recv_moves_off_a_thread_that_gave_its_p_away,
    pending_waits_move_off_a_thread_that_gave_its_p_away,
);
