//! The tokio binding against the `h2` crate's client over loopback TCP.
#![cfg(feature = "tokio")]

use bytes::Bytes;
use goro_http2::server::Builder;
use goro_http2::server_tokio::{BodyChunk, RequestBody, ResponseBody, serve};
use http::{HeaderMap, Request, Response};
use tokio::net::{TcpListener, TcpStream};

async fn handler(mut req: Request<RequestBody>) -> Response<ResponseBody> {
    match req.uri().path() {
        "/" => Response::new(ResponseBody::Full(Bytes::from_static(b"hello"))),
        "/echo" => {
            // Stream the body back chunk by chunk, then echo the trailers.
            let (tx, body) = ResponseBody::channel(2);
            tokio::spawn(async move {
                let body_in = req.body_mut();
                while let Some(Ok(chunk)) = body_in.data().await {
                    if tx.send(BodyChunk::Data(chunk)).await.is_err() {
                        return;
                    }
                }
                if let Some(t) = body_in.trailers() {
                    let _ = tx.send(BodyChunk::Trailers(t.clone())).await;
                }
            });
            Response::new(body)
        }
        _ => {
            let mut r = Response::new(ResponseBody::Empty);
            *r.status_mut() = http::StatusCode::NOT_FOUND;
            r
        }
    }
}

async fn start() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            tokio::spawn(serve(tcp, Builder::new(), handler));
        }
    });
    addr
}

async fn client(addr: std::net::SocketAddr) -> h2::client::SendRequest<Bytes> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (client, conn) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

async fn read_body(body: &mut h2::RecvStream) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.unwrap();
        body.flow_control().release_capacity(chunk.len()).unwrap();
        out.extend_from_slice(&chunk);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_client_gets_hello_many_times_concurrently() {
    let addr = start().await;
    let client = client(addr).await;
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let mut client = client.clone();
        tasks.push(tokio::spawn(async move {
            client = client.ready().await.unwrap();
            let req = Request::get("http://localhost/").body(()).unwrap();
            let (resp, _) = client.send_request(req, true).unwrap();
            let resp = resp.await.unwrap();
            assert_eq!(resp.status(), 200);
            read_body(&mut resp.into_body()).await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), b"hello");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_client_streams_a_large_body_and_trailers_through_echo() {
    let addr = start().await;
    let mut client = client(addr).await.ready().await.unwrap();
    let req = Request::post("http://localhost/echo").body(()).unwrap();
    let (resp, mut send) = client.send_request(req, false).unwrap();
    // 1 MiB: more than every default window, so flow control must cycle.
    let payload: Vec<u8> = (0..(1 << 20)).map(|i| (i % 251) as u8).collect();
    let sender = {
        let payload = payload.clone();
        tokio::spawn(async move {
            for chunk in payload.chunks(50_000) {
                send.reserve_capacity(chunk.len());
                send.send_data(Bytes::copy_from_slice(chunk), false)
                    .unwrap();
            }
            let mut t = HeaderMap::new();
            t.insert("x-sum", "ok".parse().unwrap());
            send.send_trailers(t).unwrap();
        })
    };
    let resp = resp.await.unwrap();
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    let got = read_body(&mut body).await;
    assert_eq!(got.len(), payload.len());
    assert!(got == payload, "echoed body differs");
    let trailers = body.trailers().await.unwrap().expect("trailers echoed");
    assert_eq!(trailers["x-sum"], "ok");
    sender.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_path_is_404_without_body() {
    let addr = start().await;
    let mut client = client(addr).await.ready().await.unwrap();
    let req = Request::get("http://localhost/nope").body(()).unwrap();
    let (resp, _) = client.send_request(req, true).unwrap();
    let resp = resp.await.unwrap();
    assert_eq!(resp.status(), 404);
    assert!(resp.into_body().is_end_stream());
}

/// Go's rapid-reset defence: a reset frees the stream slot at once, but its
/// handler keeps its slot until it finishes, so resetting accepted requests
/// cannot make more than `max_concurrent_streams` handlers run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_of_reset_streams_still_count_against_the_limit() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::sync::Semaphore;

    const LIMIT: usize = 4;
    let running = Arc::new(AtomicUsize::new(0));
    let max_seen = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Semaphore::new(0));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    {
        let (running, max_seen, gate) = (running.clone(), max_seen.clone(), gate.clone());
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let builder = Builder::new().max_concurrent_streams(LIMIT as u32);
            serve(tcp, builder, move |_req: Request<RequestBody>| {
                // Counted when the handler is called, i.e. when it takes a slot.
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                max_seen.fetch_max(now, Ordering::SeqCst);
                let (running, gate) = (running.clone(), gate.clone());
                async move {
                    gate.acquire().await.unwrap().forget();
                    running.fetch_sub(1, Ordering::SeqCst);
                    Response::new(ResponseBody::Empty)
                }
            })
            .await
            .unwrap();
        });
    }
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (client, mut conn) = h2::client::handshake(tcp).await.unwrap();
    let mut pinger = conn.ping_pong().expect("ping handle");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut client = client.ready().await.unwrap();
    // Four requests take the four slots.
    let mut first = Vec::new();
    for _ in 0..LIMIT {
        client = client.ready().await.unwrap();
        let req = Request::get("http://x/").body(()).unwrap();
        first.push(client.send_request(req, false).unwrap());
    }
    round_trip(&mut pinger).await;
    assert_eq!(running.load(Ordering::SeqCst), LIMIT);
    // The client resets them all: their handlers keep running.
    for (_, send) in &mut first {
        send.send_reset(h2::Reason::CANCEL);
    }
    round_trip(&mut pinger).await;

    // Four new requests: the streams are free again, the handlers are not.
    let mut second = Vec::new();
    for _ in 0..LIMIT {
        client = client.ready().await.unwrap();
        let (resp, _) = client
            .send_request(Request::get("http://x/").body(()).unwrap(), true)
            .unwrap();
        second.push(resp);
    }
    round_trip(&mut pinger).await;
    assert_eq!(
        max_seen.load(Ordering::SeqCst),
        LIMIT,
        "a reset handed its handler slot to a new request"
    );

    // Let every handler finish: the waiting requests run and are answered.
    gate.add_permits(2 * LIMIT);
    for resp in second {
        assert_eq!(resp.await.unwrap().status(), 200);
    }
    assert_eq!(max_seen.load(Ordering::SeqCst), LIMIT);
}

/// A PING round trip: everything sent before it has been processed by the
/// server, including the synchronous part of handler calls.
async fn round_trip(pinger: &mut h2::PingPong) {
    pinger.ping(h2::Ping::opaque()).await.unwrap();
}

/// The `h2` crate's client through a graceful shutdown: it answers the
/// shutdown PING itself, its request in flight still gets its whole
/// response, `drained` completes once the connection is gone, and the
/// client then refuses new requests. (Whether a stream opened during the
/// drain is ignored is checked frame by frame in `binding_shutdown.rs`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_client_sees_a_graceful_shutdown_finish_its_request() {
    use goro_http2::server_tokio::serve_with_shutdown;
    use goro_http2::shutdown::ShutdownSignal;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::sync::{Notify, mpsc};

    let limit = Duration::from_secs(20);
    let signal = ShutdownSignal::new();
    let gate = Arc::new(Notify::new());
    let (entered_tx, mut entered) = mpsc::unbounded_channel::<()>();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server_signal = signal.clone();
    let server_gate = gate.clone();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let handler = move |_req| {
            let (gate, entered) = (server_gate.clone(), entered_tx.clone());
            async move {
                let _ = entered.send(());
                gate.notified().await;
                Response::new(ResponseBody::Full(Bytes::from_static(b"slow done")))
            }
        };
        serve_with_shutdown(tcp, Builder::new(), &server_signal, handler).await
    });
    let mut client = client(addr).await;
    let req = Request::get("http://localhost/slow").body(()).unwrap();
    let (resp, _) = client.send_request(req, true).unwrap();
    tokio::time::timeout(limit, entered.recv())
        .await
        .expect("handler entered");
    assert_eq!(signal.connections(), 1);
    signal.shutdown();
    gate.notify_one();
    let resp = tokio::time::timeout(limit, resp)
        .await
        .expect("response in time")
        .expect("the in-flight request completes");
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    assert_eq!(read_body(&mut body).await, b"slow done");
    tokio::time::timeout(limit, signal.drained())
        .await
        .expect("drained in time");
    // The connection ended with GOAWAY: the client refuses new requests.
    let refused = match client.clone().ready().await {
        Err(e) => Some(e),
        Ok(mut c) => {
            let req = Request::get("http://localhost/").body(()).unwrap();
            c.send_request(req, true).err()
        }
    };
    let refused = refused.expect("a new request after GOAWAY must fail");
    assert!(refused.is_go_away() || refused.is_io(), "{refused:?}");
    assert_eq!(signal.connections(), 0);
}
