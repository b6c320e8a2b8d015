//! The `futures-io` feature: goro's streams driven only through
//! `futures_io::AsyncRead` / `AsyncWrite` (wrapped in `poll_fn`, no
//! futures-util), on both I/O backends.
//!
//! Run with `cargo test -p goro --features futures-io --test net_futures_io`.
#![cfg(feature = "futures-io")]

use std::future::poll_fn;
use std::io::IoSlice;
use std::pin::Pin;
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};
use goro::IoBackend;
use goro::net::{TcpListener, TcpStream, UnixStream};

mod common;
use common::runtime;

async fn read_some<R: AsyncRead + Unpin>(r: &mut R, buf: &mut [u8]) -> usize {
    poll_fn(|cx| Pin::new(&mut *r).poll_read(cx, buf))
        .await
        .unwrap()
}

async fn write_all<W: AsyncWrite + Unpin>(w: &mut W, mut buf: &[u8]) {
    while !buf.is_empty() {
        let n = poll_fn(|cx| Pin::new(&mut *w).poll_write(cx, buf))
            .await
            .unwrap();
        assert!(n > 0, "poll_write wrote nothing");
        buf = &buf[n..];
    }
    poll_fn(|cx| Pin::new(&mut *w).poll_flush(cx))
        .await
        .unwrap();
}

/// Writes `a` then `b` with vectored writes, resuming after partial ones.
async fn write_all_vectored<W: AsyncWrite + Unpin>(w: &mut W, a: &[u8], b: &[u8]) {
    let mut done = 0;
    while done < a.len() + b.len() {
        let parts: Vec<IoSlice<'_>> = if done < a.len() {
            vec![IoSlice::new(&a[done..]), IoSlice::new(b)]
        } else {
            vec![IoSlice::new(&b[done - a.len()..])]
        };
        let n = poll_fn(|cx| Pin::new(&mut *w).poll_write_vectored(cx, &parts))
            .await
            .unwrap();
        assert!(n > 0, "poll_write_vectored wrote nothing");
        done += n;
    }
}

async fn close<W: AsyncWrite + Unpin>(w: &mut W) {
    poll_fn(|cx| Pin::new(&mut *w).poll_close(cx))
        .await
        .unwrap();
}

/// Reads until end of stream.
async fn read_to_end<R: AsyncRead + Unpin>(r: &mut R) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = read_some(r, &mut buf).await;
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Copies `rd` to `wr` until end of stream, then closes `wr`.
async fn echo<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(mut rd: R, mut wr: W) {
    let mut buf = vec![0u8; 16 << 10];
    loop {
        let n = read_some(&mut rd, &mut buf).await;
        if n == 0 {
            close(&mut wr).await;
            return;
        }
        write_all(&mut wr, &buf[..n]).await;
    }
}

fn pattern(at: usize, len: usize) -> Vec<u8> {
    (at..at + len)
        .map(|i| (i as u64).wrapping_mul(0x9E37_79B9) as u8 ^ (i >> 13) as u8)
        .collect()
}

/// A loopback echo server whose connections speak only through the traits.
fn start_echo(listener: TcpListener) {
    goro::spawn(async move {
        loop {
            let Ok((conn, _)) = listener.accept().await else {
                return;
            };
            let (rd, wr) = conn.into_split();
            goro::spawn(echo(rd, wr));
        }
    });
}

fn tcp_echo_through_traits(backend: IoBackend) {
    let rt = runtime(2, backend);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        start_echo(listener);
        let clients: Vec<_> = (0..8u32)
            .map(|id| {
                goro::spawn(async move {
                    let mut conn = TcpStream::connect(addr).await.unwrap();
                    for round in 0..50u32 {
                        let msg = [id.to_le_bytes(), round.to_le_bytes()].concat().repeat(20);
                        write_all(&mut conn, &msg).await;
                        let mut got = vec![0u8; msg.len()];
                        let mut have = 0;
                        while have < got.len() {
                            let n = read_some(&mut conn, &mut got[have..]).await;
                            assert!(n > 0, "echo ended early");
                            have += n;
                        }
                        assert_eq!(got, msg);
                    }
                    close(&mut conn).await;
                    // The server closes its side once it has seen ours.
                    assert_eq!(read_to_end(&mut conn).await, b"");
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
    });
}

fn tcp_4_mib_byte_exact_through_halves(backend: IoBackend) {
    const TOTAL: usize = 4 << 20;
    const CHUNK: usize = 96 << 10;
    let rt = runtime(2, backend);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        start_echo(listener);
        let (mut rd, mut wr) = TcpStream::connect(addr).await.unwrap().into_split();
        // Writer and reader run at once, so both directions hit a full
        // socket buffer and wait for readiness.
        let writer = goro::spawn(async move {
            let mut at = 0;
            while at < TOTAL {
                // Alternate plain and vectored writes (header + body split).
                let chunk = pattern(at, CHUNK.min(TOTAL - at));
                if (at / CHUNK) % 2 == 0 {
                    write_all(&mut wr, &chunk).await;
                } else {
                    let (head, body) = chunk.split_at(100);
                    write_all_vectored(&mut wr, head, body).await;
                }
                at += chunk.len();
            }
            close(&mut wr).await;
        });
        let got = read_to_end(&mut rd).await;
        writer.await.unwrap();
        assert_eq!(got.len(), TOTAL);
        let want = pattern(0, TOTAL);
        if let Some(at) = (0..TOTAL).find(|&i| got[i] != want[i]) {
            panic!("first wrong byte at {at}");
        }
    });
}

fn unix_4_mib_byte_exact(backend: IoBackend) {
    const TOTAL: usize = 4 << 20;
    let rt = runtime(2, backend);
    rt.block_on(async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let data = pattern(0, TOTAL);
        let sent = data.clone();
        let writer = goro::spawn(async move {
            for part in sent.chunks(200 << 10) {
                let (head, body) = part.split_at(part.len() / 3);
                write_all_vectored(&mut a, head, body).await;
            }
            close(&mut a).await;
        });
        let got = read_to_end(&mut b).await;
        writer.await.unwrap();
        assert_eq!(got.len(), TOTAL);
        assert!(got == data, "the bytes differ");
    });
}

fn close_gives_peer_eof_and_keeps_reading(backend: IoBackend) {
    let rt = runtime(2, backend);
    rt.block_on(async {
        // TCP, whole stream.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        write_all(&mut client, b"last words").await;
        close(&mut client).await;
        close(&mut client).await; // closing twice is fine
        assert_eq!(read_to_end(&mut server).await, b"last words");
        // The closer still reads: the peer answers after seeing EOF.
        write_all(&mut server, b"reply").await;
        close(&mut server).await;
        assert_eq!(read_to_end(&mut client).await, b"reply");

        // Unix, whole stream.
        let (mut a, mut b) = UnixStream::pair().unwrap();
        write_all(&mut a, b"unix").await;
        close(&mut a).await;
        assert_eq!(read_to_end(&mut b).await, b"unix");

        // A write half closed while its read half waits in another task.
        let (x, mut y) = UnixStream::pair().unwrap();
        let (mut xr, mut xw) = x.into_split();
        let reader = goro::spawn(async move { read_to_end(&mut xr).await });
        write_all(&mut xw, b"half").await;
        close(&mut xw).await;
        assert_eq!(read_to_end(&mut y).await, b"half");
        write_all(&mut y, b"back").await;
        close(&mut y).await;
        assert_eq!(reader.await.unwrap(), b"back");
    });
}

fn dropped_pending_read_loses_nothing(backend: IoBackend) {
    let rt = runtime(2, backend);
    rt.block_on(async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let mut buf = [0u8; 16];
        let timed = goro::time::timeout(
            Duration::from_millis(30),
            poll_fn(|cx| Pin::new(&mut a).poll_read(cx, &mut buf)),
        )
        .await;
        assert!(timed.is_err(), "a silent peer must time out");
        // The read waited for readiness only: nothing was taken from the
        // socket, and the next read sees the data.
        write_all(&mut b, b"after").await;
        let n = read_some(&mut a, &mut buf).await;
        assert_eq!(&buf[..n], b"after");
    });
}

on_both_backends!(
    tcp_echo_through_traits,
    tcp_4_mib_byte_exact_through_halves,
    unix_4_mib_byte_exact,
    close_gives_peer_eof_and_keeps_reading,
    dropped_pending_read_loses_nothing,
);
