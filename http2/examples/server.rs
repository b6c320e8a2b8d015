//! The issue's example server, on goro-http2's tokio binding (h2c, prior
//! knowledge):
//!
//! - `GET /` → 200 "hello"
//! - `/echo` streams the request body (and trailers) back as it arrives
//! - `GET /metrics` → the server's counters in Prometheus text format
//! - `GET /debug/tasks` → 501 until goro's runtime backs this server: the
//!   task dump needs goro's scheduler, and this example runs on tokio
//!
//! ```text
//! cargo run --release -p goro-http2 --features tokio --example server -- 127.0.0.1:8080
//! curl --http2-prior-knowledge http://127.0.0.1:8080/metrics
//! ```

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use bytes::Bytes;
use goro_http2::server::Builder;
use goro_http2::server_tokio::{BodyChunk, RequestBody, ResponseBody, serve};
use http::{Request, Response, StatusCode};

/// Counters served by `/metrics`. Relaxed is enough: each is a lone
/// monotonic count (or a gauge) read for display, ordering nothing else.
#[derive(Default)]
struct Metrics {
    connections_accepted: AtomicU64,
    connections_open: AtomicU64,
    connections_failed: AtomicU64,
    requests_hello: AtomicU64,
    requests_echo: AtomicU64,
    requests_metrics: AtomicU64,
    requests_debug_tasks: AtomicU64,
    requests_not_found: AtomicU64,
    echo_bytes: AtomicU64,
}

impl Metrics {
    fn render(&self) -> String {
        let mut out = String::new();
        let counters: [(&str, &str, &AtomicU64, &str); 4] = [
            (
                "goro_http2_connections_accepted_total",
                "TCP connections accepted.",
                &self.connections_accepted,
                "counter",
            ),
            (
                "goro_http2_connections_open",
                "Connections being served now.",
                &self.connections_open,
                "gauge",
            ),
            (
                "goro_http2_connections_failed_total",
                "Connections that ended with an I/O error.",
                &self.connections_failed,
                "counter",
            ),
            (
                "goro_http2_echo_bytes_total",
                "Request body bytes echoed by /echo.",
                &self.echo_bytes,
                "counter",
            ),
        ];
        for (name, help, value, kind) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            let _ = writeln!(out, "{name} {}", value.load(Relaxed));
        }
        let name = "goro_http2_requests_total";
        let _ = writeln!(
            out,
            "# HELP {name} Requests by route.\n# TYPE {name} counter"
        );
        for (route, value) in [
            ("/", &self.requests_hello),
            ("/echo", &self.requests_echo),
            ("/metrics", &self.requests_metrics),
            ("/debug/tasks", &self.requests_debug_tasks),
            ("other", &self.requests_not_found),
        ] {
            let _ = writeln!(out, "{name}{{route=\"{route}\"}} {}", value.load(Relaxed));
        }
        out
    }
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<ResponseBody> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .body(ResponseBody::Full(body.into()))
        .expect("static response parts")
}

async fn route(m: Arc<Metrics>, mut req: Request<RequestBody>) -> Response<ResponseBody> {
    match req.uri().path() {
        "/" => {
            m.requests_hello.fetch_add(1, Relaxed);
            text(StatusCode::OK, Bytes::from_static(b"hello"))
        }
        "/echo" => {
            m.requests_echo.fetch_add(1, Relaxed);
            let (tx, body) = ResponseBody::channel(4);
            tokio::spawn(async move {
                let body_in = req.body_mut();
                while let Some(Ok(chunk)) = body_in.data().await {
                    m.echo_bytes.fetch_add(chunk.len() as u64, Relaxed);
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
        "/metrics" => {
            m.requests_metrics.fetch_add(1, Relaxed);
            let mut r = text(StatusCode::OK, m.render());
            r.headers_mut().insert(
                "content-type",
                http::HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            r
        }
        "/debug/tasks" => {
            m.requests_debug_tasks.fetch_add(1, Relaxed);
            text(
                StatusCode::NOT_IMPLEMENTED,
                "/debug/tasks lists goro tasks, and this server runs on tokio: \
                 it will answer once goro's runtime has its I/O layer and serves HTTP/2\n",
            )
        }
        _ => {
            m.requests_not_found.fetch_add(1, Relaxed);
            text(StatusCode::NOT_FOUND, Bytes::from_static(b"not found\n"))
        }
    }
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".into());
    let workers: usize = args.next().and_then(|w| w.parse().ok()).unwrap_or(2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    let metrics = Arc::new(Metrics::default());
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        eprintln!("goro-http2 example server (tokio) on http://{addr}/ (h2c prior knowledge)");
        loop {
            let (tcp, _) = listener.accept().await?;
            tcp.set_nodelay(true)?;
            let m = metrics.clone();
            m.connections_accepted.fetch_add(1, Relaxed);
            m.connections_open.fetch_add(1, Relaxed);
            tokio::spawn(async move {
                let handler_metrics = m.clone();
                let result = serve(tcp, Builder::new(), move |req| {
                    route(handler_metrics.clone(), req)
                })
                .await;
                if result.is_err() {
                    m.connections_failed.fetch_add(1, Relaxed);
                }
                m.connections_open.fetch_sub(1, Relaxed);
            });
        }
    })
}
