//! The `hyper` feature: hyper's HTTP/1 and HTTP/2 connections straight on
//! goro sockets (`hyper::rt::Read`/`Write`), with `GoroExecutor` and
//! `GoroTimer`, on both I/O backends; and curl against hyper on goro.
//!
//! Run with `cargo test -p goro --features hyper --test net_hyper`.
#![cfg(feature = "hyper")]

use std::convert::Infallible;
use std::time::{Duration, Instant};

use bytes::Bytes;
use goro::IoBackend;
use goro::hyper::{GoroExecutor, GoroTimer};
use goro::net::{TcpListener, TcpStream, UnixStream};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};

mod common;
use common::runtime;

fn pattern(seed: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i + seed) as u64).wrapping_mul(0x9E37_79B9) as u8 ^ (i >> 11) as u8)
        .collect()
}

/// Answers every request with its own body, its path in `x-path` and the
/// body's length in `x-len`.
async fn echo(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let body = req.into_body().collect().await.map(|b| b.to_bytes());
    let body = body.unwrap_or_default();
    let resp = Response::builder()
        .header("x-path", path)
        .header("x-len", body.len().to_string())
        .body(Full::new(body))
        .unwrap();
    Ok(resp)
}

/// Accepts connections forever, serving each with hyper's HTTP/1 (`h2`
/// false) or HTTP/2 server.
fn serve(listener: TcpListener, h2: bool) {
    goro::spawn(async move {
        loop {
            let Ok((conn, _)) = listener.accept().await else {
                return;
            };
            goro::spawn(async move {
                let svc = service_fn(echo);
                let r = if h2 {
                    hyper::server::conn::http2::Builder::new(GoroExecutor::new())
                        .timer(GoroTimer::new())
                        .serve_connection(conn, svc)
                        .await
                } else {
                    hyper::server::conn::http1::Builder::new()
                        .timer(GoroTimer::new())
                        .serve_connection(conn, svc)
                        .await
                };
                // A client that goes away mid-request is not a failure here.
                drop(r);
            });
        }
    });
}

fn http1_keep_alive_and_large_bodies(backend: IoBackend) {
    let rt = runtime(2, backend);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        serve(listener, false);
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut client, conn) = hyper::client::conn::http1::handshake(stream).await.unwrap();
        let driver = goro::spawn(conn);
        // One connection, many requests (keep-alive), bodies from empty to
        // several MiB, each checked byte for byte.
        for (i, len) in [0usize, 1, 1_000, 64 << 10, 3 << 20, 17]
            .into_iter()
            .enumerate()
        {
            let body = pattern(i, len);
            let req = Request::post(format!("/r{i}"))
                .header("host", "goro.test")
                .body(Full::new(Bytes::from(body.clone())))
                .unwrap();
            // HTTP/1 carries one request at a time: wait until the
            // connection has finished the previous exchange.
            client.ready().await.unwrap();
            let resp = client.send_request(req).await.unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.headers()["x-path"], format!("/r{i}").as_str());
            assert_eq!(resp.headers()["x-len"], len.to_string().as_str());
            let got = resp.into_body().collect().await.unwrap().to_bytes();
            assert!(got == body, "request {i}: {len} bytes echoed wrongly");
        }
        drop(client);
        // The client side ends cleanly once its sender is gone.
        driver.await.unwrap().unwrap();
    });
}

fn http2_many_concurrent_streams(backend: IoBackend) {
    let rt = runtime(2, backend);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        serve(listener, true);
        let stream = TcpStream::connect(addr).await.unwrap();
        let (client, conn) = hyper::client::conn::http2::Builder::new(GoroExecutor::new())
            .timer(GoroTimer::new())
            .handshake(stream)
            .await
            .unwrap();
        goro::spawn(conn);
        // 200 streams at once on one connection, over both workers.
        let tasks: Vec<_> = (0..200usize)
            .map(|i| {
                let mut client = client.clone();
                goro::spawn(async move {
                    let body = pattern(i, i * 97);
                    let req = Request::post(format!("http://goro.test/s{i}"))
                        .body(Full::new(Bytes::from(body.clone())))
                        .unwrap();
                    let resp = client.send_request(req).await.unwrap();
                    assert_eq!(resp.version(), hyper::Version::HTTP_2);
                    assert_eq!(resp.headers()["x-path"], format!("/s{i}").as_str());
                    let got = resp.into_body().collect().await.unwrap().to_bytes();
                    assert!(got == body, "stream {i} echoed wrongly");
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
}

/// hyper's header read timeout runs on `GoroTimer`: a client that connects
/// and sends nothing is dropped after it. If the timer never fired, the
/// read below would wait for the 10 s watchdog and fail.
fn header_read_timeout_drops_a_silent_client(backend: IoBackend) {
    let rt = runtime(2, backend);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = goro::spawn(async move {
            let (conn, _) = listener.accept().await.unwrap();
            hyper::server::conn::http1::Builder::new()
                .timer(GoroTimer::new())
                .header_read_timeout(Duration::from_millis(200))
                .serve_connection(conn, service_fn(echo))
                .await
        });
        let started = Instant::now();
        let silent = TcpStream::connect(addr).await.unwrap();
        let (n, _) = goro::time::timeout(Duration::from_secs(10), silent.read(vec![0u8; 64]))
            .await
            .expect("hyper's header read timeout never fired");
        // End of stream, or a reset, once the server gives up.
        assert!(matches!(n, Ok(0) | Err(_)), "unexpected data: {n:?}");
        assert!(started.elapsed() >= Duration::from_millis(200));
        let served = server.await.unwrap();
        assert!(
            served.is_err(),
            "serve_connection should report the timeout"
        );
    });
}

fn http1_over_a_unix_socket_pair(backend: IoBackend) {
    let rt = runtime(1, backend);
    rt.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        goro::spawn(async move {
            hyper::server::conn::http1::Builder::new()
                .serve_connection(a, service_fn(echo))
                .await
        });
        let (mut client, conn) = hyper::client::conn::http1::handshake(b).await.unwrap();
        goro::spawn(conn);
        let req = Request::post("/unix")
            .header("host", "local")
            .body(Full::new(Bytes::from_static(b"over a socketpair")))
            .unwrap();
        let resp = client.send_request(req).await.unwrap();
        let got = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&got[..], b"over a socketpair");
    });
}

on_both_backends!(
    http1_keep_alive_and_large_bodies,
    http2_many_concurrent_streams,
    header_read_timeout_drops_a_silent_client,
    http1_over_a_unix_socket_pair,
);

/// curl, a real client, against hyper on goro: HTTP/1.1 and HTTP/2 with
/// prior knowledge. Skipped with a message when curl is not installed,
/// unless `GORO_REQUIRE_TOOLS=1` (CI sets it).
#[test]
fn curl_against_hyper_on_goro() {
    let has_curl = std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_curl {
        assert!(
            std::env::var("GORO_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "curl is required (GORO_REQUIRE_TOOLS=1) but not installed"
        );
        eprintln!("skipped: curl is not installed");
        return;
    }
    let rt = runtime(2, IoBackend::Auto);
    let (h1, h2) = rt.block_on(async {
        let l1 = TcpListener::bind("127.0.0.1:0").unwrap();
        let l2 = TcpListener::bind("127.0.0.1:0").unwrap();
        let addrs = (l1.local_addr().unwrap(), l2.local_addr().unwrap());
        serve(l1, false);
        serve(l2, true);
        addrs
    });
    let curl = |extra: &[&str], url: String| {
        let out = std::process::Command::new("curl")
            .args([
                "-sS",
                "--max-time",
                "20",
                "-o",
                "-",
                "-w",
                "\n%{http_version}",
            ])
            .args(["--data-binary", "hello, hyper on goro"])
            .args(extra)
            .arg(url)
            .output()
            .expect("curl runs");
        assert!(out.status.success(), "curl failed: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    // The servers run on the runtime's workers while curl runs here.
    let one = curl(&["--http1.1"], format!("http://{h1}/one"));
    assert_eq!(one, "hello, hyper on goro\n1.1");
    let two = curl(&["--http2-prior-knowledge"], format!("http://{h2}/two"));
    assert_eq!(two, "hello, hyper on goro\n2");
    drop(rt);
}
