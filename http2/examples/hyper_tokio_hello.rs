//! hyper's HTTP/2 server on tokio (through hyper-util's `TokioIo` and
//! `TokioExecutor`, the usual way): the baseline for `hyper_goro_hello`,
//! the same hyper code on goro. GET any path answers `hello`.
//!
//! `cargo run --release -p goro-http2 --features tokio --example hyper_tokio_hello -- 127.0.0.1:18094 1`
//! (a third argument `current_thread` runs tokio's current-thread runtime
//! instead of a multi-thread one with that many workers).

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};

async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"hello"))))
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:18094".into());
    let workers: usize = args.next().and_then(|w| w.parse().ok()).unwrap_or(1);
    let rt = match args.next().as_deref() {
        Some("current_thread") => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        _ => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()?,
    };
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        eprintln!("hyper (tokio) listening on {addr}");
        loop {
            let (tcp, _) = listener.accept().await?;
            tcp.set_nodelay(true)?;
            tokio::spawn(async move {
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .max_header_list_size(64 << 10)
                    .serve_connection(TokioIo::new(tcp), service_fn(hello))
                    .await;
            });
        }
    })
}
