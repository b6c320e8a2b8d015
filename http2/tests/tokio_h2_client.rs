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
