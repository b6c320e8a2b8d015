//! An h2c (prior knowledge) server on goro-http2's tokio binding, with the
//! research note's routes: `GET /` → 200 "hello", `/echo` streams the
//! request body back. For h2load, curl and nghttp runs.
//!
//! `cargo run --release -p goro-http2 --features tokio --example tokio_hello -- 127.0.0.1:18090 1`
//! (address, worker threads).

use bytes::Bytes;
use goro_http2::server::Builder;
use goro_http2::server_tokio::{BodyChunk, RequestBody, ResponseBody, serve};
use http::{Request, Response};

async fn handler(mut req: Request<RequestBody>) -> Response<ResponseBody> {
    if req.uri().path() == "/echo" {
        let (tx, body) = ResponseBody::channel(4);
        tokio::spawn(async move {
            let body_in = req.body_mut();
            while let Some(Ok(chunk)) = body_in.data().await {
                if tx.send(BodyChunk::Data(chunk)).await.is_err() {
                    return;
                }
            }
        });
        return Response::new(body);
    }
    Response::builder()
        .header("content-type", "text/plain")
        .body(ResponseBody::Full(Bytes::from_static(b"hello")))
        .expect("static response")
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:18090".into());
    let workers: usize = args.next().and_then(|w| w.parse().ok()).unwrap_or(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        eprintln!("goro-http2 (tokio) listening on {addr}");
        loop {
            let (tcp, _) = listener.accept().await?;
            tcp.set_nodelay(true)?;
            tokio::spawn(serve(tcp, Builder::new(), handler));
        }
    })
}
