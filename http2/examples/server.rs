//! The issue's example server: goro-http2 on goro's runtime (h2c, prior
//! knowledge).
//!
//! - `GET /` → 200 "hello"
//! - `/echo` streams the request body (and trailers) back as it arrives
//! - `GET /debug/tasks` → the runtime's task dump (Go's
//!   `/debug/pprof/goroutine?debug=1`), one entry per live task
//! - `GET /metrics` → runtime metrics and the server's counters in the
//!   Prometheus text format
//!
//! ```text
//! cargo run --release -p goro-http2 --example server -- \
//!     --addr 127.0.0.1:8080 --workers 2 --backend uring
//! curl --http2-prior-knowledge http://127.0.0.1:8080/debug/tasks
//! ```
//!
//! `--backend` is `uring`, `epoll` or `auto` (the default: the
//! `GORO_IO_BACKEND` variable, else io_uring if the kernel allows it).
//!
//! SIGTERM or SIGINT (Ctrl-C) shuts down gracefully: the server stops
//! accepting, every connection gets GOAWAY and finishes the requests it
//! has taken, and the process exits 0 once all are closed, or after
//! [`GRACE`], when the rest are cut off. A second signal closes them at
//! once.

use std::fmt::Write as _;
use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use goro::net::TcpListener;
use goro_http2::server::Builder;
use goro_http2::server_goro::{BodyChunk, RequestBody, ResponseBody, serve_with_shutdown};
use goro_http2::shutdown::ShutdownSignal;
use http::{Request, Response, StatusCode};

/// Counters served by `/metrics`. Relaxed is enough: each is a lone
/// monotonic count (or a gauge) read for display, ordering nothing else.
#[derive(Default)]
struct Counters {
    connections_accepted: AtomicU64,
    connections_open: AtomicU64,
    connections_failed: AtomicU64,
    echo_bytes: AtomicU64,
    /// Requests by route, in the order of [`ROUTES`].
    requests: [AtomicU64; 5],
}

const ROUTES: [&str; 5] = ["/", "/echo", "/metrics", "/debug/tasks", "other"];

/// Writes one metric family: its HELP and TYPE lines, then its samples
/// (`labels` is `""` or `{k="v",...}`).
fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, u64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{labels} {value}");
    }
}

/// Reads one figure of a worker's metrics.
type PickWorker = fn(&goro::metrics::WorkerMetrics) -> u64;

/// The whole `/metrics` page: the runtime's snapshot, then the server's.
fn render(c: &Counters) -> String {
    let m = goro::Handle::current().metrics();
    let mut out = String::new();
    let per_worker = |pick: PickWorker| -> Vec<(String, u64)> {
        m.workers
            .iter()
            .enumerate()
            .map(|(i, w)| (format!("{{worker=\"{i}\"}}"), pick(w)))
            .collect()
    };
    let worker_families: [(&str, &str, &str, PickWorker); 7] = [
        ("goro_worker_polls_total", "counter", "Task polls.", |w| {
            w.polls
        }),
        (
            "goro_worker_steals_total",
            "counter",
            "Successful steals.",
            |w| w.steals,
        ),
        (
            "goro_worker_parks_total",
            "counter",
            "Times the worker parked.",
            |w| w.parks,
        ),
        (
            "goro_worker_tasks_completed_total",
            "counter",
            "Tasks completed.",
            |w| w.completed,
        ),
        (
            "goro_worker_overflows_total",
            "counter",
            "Run-queue overflows to the global queue.",
            |w| w.overflows,
        ),
        (
            "goro_worker_budget_forced_yields_total",
            "counter",
            "Polls ended by the budget.",
            |w| w.budget_forced_yields,
        ),
        (
            "goro_worker_local_queue_depth",
            "gauge",
            "Tasks queued locally now.",
            |w| w.local_queue_depth as u64,
        ),
    ];
    for (name, kind, help, pick) in worker_families {
        family(&mut out, name, kind, help, &per_worker(pick));
    }
    let _ = writeln!(
        out,
        "# HELP goro_worker_busy_seconds_total Time the worker was not parked.\n\
         # TYPE goro_worker_busy_seconds_total counter"
    );
    for (i, w) in m.workers.iter().enumerate() {
        let busy = w.busy.as_secs_f64();
        let _ = writeln!(
            out,
            "goro_worker_busy_seconds_total{{worker=\"{i}\"}} {busy:.6}"
        );
    }
    let one = |v: u64| vec![(String::new(), v)];
    family(
        &mut out,
        "goro_workers",
        "gauge",
        "Worker threads.",
        &one(m.workers.len() as u64),
    );
    family(
        &mut out,
        "goro_global_queue_depth",
        "gauge",
        "Tasks in the global queue.",
        &one(m.global_queue_depth as u64),
    );
    family(
        &mut out,
        "goro_blocking_threads",
        "gauge",
        "Blocking-pool threads.",
        &one(m.blocking_threads as u64),
    );
    family(
        &mut out,
        "goro_stuck_polls_total",
        "counter",
        "Polls seen running over 10 ms.",
        &one(m.stuck_polls),
    );
    family(
        &mut out,
        "goro_sysmon_rests_total",
        "counter",
        "Times sysmon rested until woken because every worker was idle.",
        &one(m.sysmon_rests),
    );
    family(
        &mut out,
        "goro_block_on_polls_total",
        "counter",
        "Task polls run by block_on threads while the workers were saturated.",
        &one(m.block_on_polls),
    );
    let backend = m
        .io_backend
        .map_or_else(|| "none".to_string(), |b| b.to_string());
    let backend = backend.replace('\\', "\\\\").replace('"', "\\\"");
    family(
        &mut out,
        "goro_io_backend_info",
        "gauge",
        "The I/O backend the rings run.",
        &[(format!("{{backend=\"{backend}\"}}"), 1)],
    );
    let tasks = goro::Handle::current().dump().tasks.len() as u64;
    family(
        &mut out,
        "goro_tasks_live",
        "gauge",
        "Live tasks (from the task dump).",
        &one(tasks),
    );

    family(
        &mut out,
        "goro_http2_connections_accepted_total",
        "counter",
        "TCP connections accepted.",
        &one(c.connections_accepted.load(Relaxed)),
    );
    family(
        &mut out,
        "goro_http2_connections_open",
        "gauge",
        "Connections being served now.",
        &one(c.connections_open.load(Relaxed)),
    );
    family(
        &mut out,
        "goro_http2_connections_failed_total",
        "counter",
        "Connections that ended with an I/O error.",
        &one(c.connections_failed.load(Relaxed)),
    );
    family(
        &mut out,
        "goro_http2_echo_bytes_total",
        "counter",
        "Request body bytes echoed by /echo.",
        &one(c.echo_bytes.load(Relaxed)),
    );
    let by_route: Vec<(String, u64)> = ROUTES
        .iter()
        .zip(&c.requests)
        .map(|(r, v)| (format!("{{route=\"{r}\"}}"), v.load(Relaxed)))
        .collect();
    family(
        &mut out,
        "goro_http2_requests_total",
        "counter",
        "Requests by route.",
        &by_route,
    );
    out
}

fn text(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<ResponseBody> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(ResponseBody::Full(body.into()))
        .expect("static response parts")
}

const PLAIN: &str = "text/plain; charset=utf-8";

async fn route(c: Arc<Counters>, mut req: Request<RequestBody>) -> Response<ResponseBody> {
    let path = req.uri().path();
    let i = ROUTES
        .iter()
        .position(|r| *r == path)
        .unwrap_or(ROUTES.len() - 1);
    c.requests[i].fetch_add(1, Relaxed);
    match path {
        "/" => text(StatusCode::OK, PLAIN, Bytes::from_static(b"hello")),
        "/echo" => {
            let (tx, body) = ResponseBody::channel(4);
            goro::spawn(async move {
                let body_in = req.body_mut();
                while let Some(Ok(chunk)) = body_in.data().await {
                    c.echo_bytes.fetch_add(chunk.len() as u64, Relaxed);
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
        "/metrics" => text(StatusCode::OK, "text/plain; version=0.0.4", render(&c)),
        "/debug/tasks" => {
            let dump = goro::Handle::current().dump();
            let head = format!("{} live tasks\n\n", dump.tasks.len());
            text(StatusCode::OK, PLAIN, head + &dump.to_string())
        }
        _ => text(
            StatusCode::NOT_FOUND,
            PLAIN,
            Bytes::from_static(b"not found\n"),
        ),
    }
}

/// How long connections may drain after the first SIGTERM or SIGINT.
const GRACE: Duration = Duration::from_secs(10);

/// Counts one connection around `served` (made in the accept loop, so it
/// counts in the shutdown signal from the moment it was accepted).
async fn connection(served: impl Future<Output = std::io::Result<()>>, c: Arc<Counters>) {
    c.connections_accepted.fetch_add(1, Relaxed);
    c.connections_open.fetch_add(1, Relaxed);
    if served.await.is_err() {
        c.connections_failed.fetch_add(1, Relaxed);
    }
    c.connections_open.fetch_sub(1, Relaxed);
}

struct Args {
    addr: SocketAddr,
    workers: usize,
    backend: goro::IoBackend,
}

/// `--flag value` pairs; any other shape is an error.
fn parse() -> Result<Args, String> {
    let words: Vec<String> = std::env::args().skip(1).collect();
    if words.len() % 2 == 1 {
        return Err(format!("{} needs a value", words[words.len() - 1]));
    }
    let mut args = Args {
        addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
        workers: 2,
        backend: goro::IoBackend::Auto,
    };
    for pair in words.chunks(2) {
        let (flag, value) = (pair[0].as_str(), pair[1].as_str());
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag {
            "--addr" => args.addr = value.parse().map_err(|e| bad(&e))?,
            "--workers" => args.workers = value.parse().map_err(|e| bad(&e))?,
            "--backend" => {
                const BACKENDS: [(&str, goro::IoBackend); 4] = [
                    ("uring", goro::IoBackend::IoUring),
                    ("io_uring", goro::IoBackend::IoUring),
                    ("epoll", goro::IoBackend::Epoll),
                    ("auto", goro::IoBackend::Auto),
                ];
                args.backend = BACKENDS
                    .iter()
                    .find(|(name, _)| *name == value)
                    .map(|(_, b)| *b)
                    .ok_or_else(|| bad(&"unknown backend"))?;
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(args)
}

/// Turns SIGTERM and SIGINT into `signal`'s shutdown: the first starts it
/// with [`GRACE`], a second closes what is left at once. Both signals are
/// blocked in the calling thread, so every thread started after it (the
/// runtime's workers) inherits the mask, and one thread of its own takes
/// them with `sigwait`: no handler runs in signal context.
fn shutdown_on_signals(signal: ShutdownSignal) -> std::io::Result<()> {
    // SAFETY: sigset_t is plain data, and sigemptyset initialises it
    // before any other use.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a live sigset_t of this frame; the calls only write
    // it, and cannot fail for these valid signal numbers.
    unsafe {
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
    }
    // SAFETY: `set` is initialised; a null old-mask pointer is allowed.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    if rc != 0 {
        return Err(std::io::Error::from_raw_os_error(rc));
    }
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for grace in [GRACE, Duration::ZERO] {
                let mut sig = 0;
                // SAFETY: `set` is initialised and blocked in this thread
                // (inherited from its spawner); `sig` is a valid out-pointer.
                if unsafe { libc::sigwait(&set, &mut sig) } != 0 {
                    return;
                }
                eprintln!("server: signal {sig}: shutting down, grace {grace:?}");
                signal.shutdown_within(grace);
            }
        })?;
    Ok(())
}

fn main() -> ExitCode {
    let served = parse().map(|args| {
        let signal = ShutdownSignal::new();
        shutdown_on_signals(signal.clone())
            .and_then(|()| {
                goro::Runtime::builder()
                    .worker_threads(args.workers)
                    .io_backend(args.backend)
                    .build()
            })
            .and_then(|rt| rt.block_on(accept(args, signal)))
    });
    match served {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("server: {e}");
            ExitCode::FAILURE
        }
        Err(why) => {
            eprintln!("server: {why}");
            eprintln!("usage: server [--addr IP:PORT] [--workers N] [--backend uring|epoll|auto]");
            ExitCode::from(2)
        }
    }
}

/// Binds, says where, and serves every connection on its own task until
/// the shutdown signal; then waits for the connections to drain.
async fn accept(args: Args, signal: ShutdownSignal) -> std::io::Result<()> {
    let listener = TcpListener::bind(args.addr)?;
    eprintln!(
        "goro-http2 example server on http://{}/ (h2c prior knowledge, {} workers)",
        listener.local_addr()?,
        args.workers
    );
    let counters = Arc::new(Counters::default());
    let mut incoming = listener.incoming();
    let mut stop = pin!(signal.triggered());
    loop {
        let next = {
            let mut accepted = pin!(incoming.next());
            poll_fn(|cx| match stop.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(None),
                Poll::Pending => accepted.as_mut().poll(cx).map(Some),
            })
            .await
        };
        match next {
            Some(Some(Ok(tcp))) => {
                let c = counters.clone();
                let served = match tcp.set_nodelay(true) {
                    Ok(()) => Ok(serve_with_shutdown(
                        tcp,
                        Builder::new(),
                        &signal,
                        move |req| route(c.clone(), req),
                    )),
                    Err(e) => Err(e),
                };
                let served = async move {
                    match served {
                        Ok(served) => served.await,
                        Err(e) => Err(e),
                    }
                };
                drop(goro::spawn(connection(served, counters.clone())));
            }
            Some(Some(Err(e))) => eprintln!("server: accept: {e}"),
            // The listener ended, or the shutdown was triggered.
            Some(None) | None => break,
        }
    }
    drop(incoming);
    drop(listener);
    eprintln!(
        "server: stopped accepting; draining {} connections",
        signal.connections()
    );
    signal.drained().await;
    eprintln!("server: all connections closed");
    Ok(())
}
