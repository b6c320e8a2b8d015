//! hyper's HTTP/2 server on goro (the `hyper` feature: goro's sockets are
//! hyper's I/O, `GoroExecutor` runs its stream tasks): the runtime
//! comparison for `hyper_tokio_hello`, the same hyper code on tokio. GET
//! any path answers `hello`, like the other example servers.
//!
//! `cargo run --release -p goro-http2 --example hyper_goro_hello -- 127.0.0.1:18093 1 uring`

use std::convert::Infallible;

use bytes::Bytes;
use goro::hyper::GoroExecutor;
use goro::net::TcpListener;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};

async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"hello"))))
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:18093".into());
    let workers: usize = args.next().and_then(|w| w.parse().ok()).unwrap_or(1);
    let backend = match args.next().as_deref() {
        Some("epoll") => goro::IoBackend::Epoll,
        Some("uring") => goro::IoBackend::IoUring,
        _ => goro::IoBackend::Auto,
    };
    let rt = goro::Runtime::builder()
        .worker_threads(workers)
        .io_backend(backend)
        .build()?;
    rt.block_on(async move {
        let listener = TcpListener::bind(&addr)?;
        eprintln!("hyper (goro) listening on {addr}");
        loop {
            let (conn, _) = listener.accept().await?;
            conn.set_nodelay(true)?;
            goro::spawn(async move {
                // A client that goes away mid-request ends only its
                // connection.
                let _ = hyper::server::conn::http2::Builder::new(GoroExecutor::new())
                    .max_header_list_size(64 << 10)
                    .serve_connection(conn, service_fn(hello))
                    .await;
            });
        }
    })
}
