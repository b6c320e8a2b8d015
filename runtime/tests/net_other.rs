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

on_both_backends!(
    unix_pair_echo_and_half_close,
    unix_connect_to_listener_path,
    udp_send_to_recv_from_and_connected,
    owned_halves_in_different_tasks,
    multishot_recv_over_buffer_ring,
);
