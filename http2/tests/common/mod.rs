//! Shared by the `interop_*` tests: an in-process server on loopback, the
//! check that an external tool is installed, and a child-process runner
//! with a deadline.
//!
//! A missing tool makes a test print a loud `SKIP` line and return, unless
//! `GORO_REQUIRE_TOOLS=1`, when it panics (CI sets it once the tools are
//! installed, so that a skip cannot pass silently).
#![allow(dead_code)] // each interop test file uses a different part

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use goro_http2::body::{BodyChunk, RequestBody, ResponseBody};
use goro_http2::server::Builder;
use goro_http2::shutdown::ShutdownSignal;
use http::{Request, Response, StatusCode};

/// How each external tool is installed on Debian/Ubuntu.
const INSTALL: &[(&str, &str)] = &[
    ("curl", "apt-get install curl"),
    ("nghttp", "apt-get install nghttp2-client"),
    ("h2load", "apt-get install nghttp2-client"),
    (
        "python3-h2",
        "apt-get install python3-h2 (or pip install h2)",
    ),
];

fn require_tools() -> bool {
    std::env::var("GORO_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

fn skip(tool: &str) -> bool {
    let hint = INSTALL
        .iter()
        .find(|(t, _)| *t == tool)
        .map_or("see docs/http2.md", |(_, h)| h);
    let msg = format!("SKIP (tool {tool} not installed; install with `{hint}`)");
    if require_tools() {
        panic!("{msg}, and GORO_REQUIRE_TOOLS=1");
    }
    eprintln!("\n*** {msg} ***\n");
    false
}

/// True if `tool --version` runs; otherwise prints SKIP (or panics under
/// `GORO_REQUIRE_TOOLS=1`) and returns false.
pub fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok || skip(tool)
}

/// True if `python3` can `import h2`; otherwise SKIP as in [`have`].
pub fn have_python_h2() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import h2, hyperframe, hpack"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok || skip("python3-h2")
}

/// Runs `cmd` to completion, killing it if it is still running after
/// `limit`. Panics on a timeout, so a hung client fails the test instead of
/// hanging it.
pub fn run(cmd: &mut Command, limit: Duration) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("wait for child"),
        Err(_) => {
            // The waiting thread owns the Child; kill it by pid.
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("{cmd:?} still running after {limit:?}; killed pid {pid}");
        }
    }
}

/// Panics with the child's output unless it exited with status 0.
pub fn check(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
}

/// A scratch directory for one test, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A fresh directory named after the test.
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("goro-h2-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `n` bytes that are not all alike, so a reordered or dropped chunk shows.
pub fn pattern(n: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// A task for the runtime under test (the echo route streams its body
/// from one).
pub type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The routes of the example server: `/` → "hello", `/echo` streams the
/// request body (and trailers) back from a task started with `spawn`,
/// anything else → 404. The body types are the same on every binding.
pub async fn handler(spawn: fn(Task), mut req: Request<RequestBody>) -> Response<ResponseBody> {
    match req.uri().path() {
        "/" => Response::new(ResponseBody::Full(Bytes::from_static(b"hello"))),
        "/echo" => {
            let (tx, body) = ResponseBody::channel(4);
            spawn(Box::pin(async move {
                let body_in = req.body_mut();
                while let Some(Ok(chunk)) = body_in.data().await {
                    if tx.send(BodyChunk::Data(chunk)).await.is_err() {
                        return;
                    }
                }
                if let Some(t) = body_in.trailers() {
                    let _ = tx.send(BodyChunk::Trailers(t.clone())).await;
                }
            }));
            Response::new(body)
        }
        _ => {
            let mut r = Response::new(ResponseBody::Empty);
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
    }
}

/// The server binding (and runtime) under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// `server_tokio` on a 2-worker tokio runtime.
    Tokio,
    /// `server_goro` on a 2-worker goro runtime, io_uring backend.
    GoroUring,
    /// `server_goro` on a 2-worker goro runtime, epoll backend.
    GoroEpoll,
}

/// Instantiates each named test function (`fn name(b: Binding)`) once per
/// binding, in modules `on_tokio`, `on_goro_uring` and `on_goro_epoll`
/// (`cargo test -p goro-http2 on_goro_epoll::` runs one binding).
#[allow(unused_macros)] // example_server.rs uses no binding
macro_rules! per_binding {
    ($($test:ident),* $(,)?) => {
        #[cfg(feature = "tokio")]
        mod on_tokio {
            $(#[test] fn $test() { super::$test(crate::common::Binding::Tokio) })*
        }
        #[cfg(feature = "goro")]
        mod on_goro_uring {
            $(#[test] fn $test() { super::$test(crate::common::Binding::GoroUring) })*
        }
        #[cfg(feature = "goro")]
        mod on_goro_epoll {
            $(#[test] fn $test() { super::$test(crate::common::Binding::GoroEpoll) })*
        }
    };
}

/// A request handler shared by every connection of a test server.
pub type App = Arc<
    dyn Fn(Request<RequestBody>) -> Pin<Box<dyn Future<Output = Response<ResponseBody>> + Send>>
        + Send
        + Sync,
>;

/// How [`Server::start_with`] serves: the builder, an optional shutdown
/// signal (then each connection is served with `serve_with_shutdown`),
/// and the handler (default: [`handler`]'s routes).
#[derive(Default)]
pub struct Options {
    /// Limits and timeouts.
    pub builder: Builder,
    /// Shuts the connections down when triggered.
    pub signal: Option<ShutdownSignal>,
    /// Replaces the example routes.
    pub app: Option<App>,
    /// `SO_RCVBUF` and `SO_SNDBUF` of the listening socket, which accepted
    /// sockets inherit: fixed buffers (the kernel doubles the value and no
    /// longer tunes it) bound how much a peer that does not read can take.
    pub socket_buffers: Option<usize>,
}

/// Sets `SO_RCVBUF` and `SO_SNDBUF` of `fd` to `bytes`. Keep `bytes` well
/// above loopback's 64 KiB segment: smaller buffers cannot open a window of
/// a whole segment, and TCP then crawls on zero-window probes.
#[allow(dead_code)] // not every test binary fixes buffers
pub fn set_socket_buffers(fd: std::os::fd::RawFd, bytes: usize) {
    let v = bytes as libc::c_int;
    for opt in [libc::SO_RCVBUF, libc::SO_SNDBUF] {
        // SAFETY: `fd` is an open socket owned by the caller, and `v` lives
        // across the call with the size passed.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                opt,
                (&v as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        assert_eq!(rc, 0, "setsockopt: {}", std::io::Error::last_os_error());
    }
}

enum Rt {
    #[cfg(feature = "tokio")]
    Tokio(tokio::runtime::Runtime),
    #[cfg(feature = "goro")]
    Goro(goro::Runtime),
}

/// [`handler`] served on 127.0.0.1 (port chosen by the OS) by one binding
/// on its own runtime; dropped with the value.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    rt: Option<Rt>,
}

impl Server {
    /// Binds and starts accepting; returns once the port is known.
    pub fn start(binding: Binding) -> Server {
        Server::start_with(binding, Options::default())
    }

    /// [`start`](Self::start) with a chosen builder, signal and handler.
    pub fn start_with(binding: Binding, opts: Options) -> Server {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = std_listener.local_addr().expect("local addr");
        std_listener.set_nonblocking(true).expect("nonblocking");
        if let Some(bytes) = opts.socket_buffers {
            use std::os::fd::AsRawFd;
            set_socket_buffers(std_listener.as_raw_fd(), bytes);
        }
        let rt = match binding {
            #[cfg(feature = "tokio")]
            Binding::Tokio => Rt::Tokio(start_tokio(std_listener, opts)),
            #[cfg(feature = "goro")]
            Binding::GoroUring => {
                Rt::Goro(start_goro(std_listener, goro::IoBackend::IoUring, opts))
            }
            #[cfg(feature = "goro")]
            Binding::GoroEpoll => Rt::Goro(start_goro(std_listener, goro::IoBackend::Epoll, opts)),
            #[allow(unreachable_patterns)]
            other => panic!("{other:?} is not built (feature off)"),
        };
        Server { addr, rt: Some(rt) }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

#[cfg(feature = "tokio")]
fn start_tokio(std_listener: std::net::TcpListener, opts: Options) -> tokio::runtime::Runtime {
    use goro_http2::server_tokio::{serve, serve_with_shutdown};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    fn spawn(t: Task) {
        drop(tokio::spawn(t));
    }
    let app = opts
        .app
        .unwrap_or_else(|| Arc::new(|req| Box::pin(handler(spawn, req))));
    let (builder, signal) = (opts.builder, opts.signal);
    rt.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(std_listener).expect("tokio listener");
        while let Ok((tcp, _)) = listener.accept().await {
            let _ = tcp.set_nodelay(true);
            let app = app.clone();
            let each = move |req| app(req);
            match &signal {
                Some(s) => drop(tokio::spawn(serve_with_shutdown(
                    tcp,
                    builder.clone(),
                    s,
                    each,
                ))),
                None => drop(tokio::spawn(serve(tcp, builder.clone(), each))),
            }
        }
    });
    rt
}

#[cfg(feature = "goro")]
fn start_goro(
    std_listener: std::net::TcpListener,
    backend: goro::IoBackend,
    opts: Options,
) -> goro::Runtime {
    use goro_http2::server_goro::{serve, serve_with_shutdown};
    let rt = goro::Runtime::builder()
        .worker_threads(2)
        .io_backend(backend)
        .build()
        .expect("goro runtime");
    fn spawn(t: Task) {
        drop(goro::spawn(t));
    }
    let app = opts
        .app
        .unwrap_or_else(|| Arc::new(|req| Box::pin(handler(spawn, req))));
    let (builder, signal) = (opts.builder, opts.signal);
    drop(rt.spawn(async move {
        let listener = goro::net::TcpListener::from_std(std_listener).expect("goro listener");
        let mut incoming = listener.incoming();
        while let Some(Ok(tcp)) = incoming.next().await {
            let _ = tcp.set_nodelay(true);
            let app = app.clone();
            let each = move |req| app(req);
            match &signal {
                Some(s) => drop(goro::spawn(serve_with_shutdown(
                    tcp,
                    builder.clone(),
                    s,
                    each,
                ))),
                None => drop(goro::spawn(serve(tcp, builder.clone(), each))),
            }
        }
    }));
    rt
}

impl Drop for Server {
    fn drop(&mut self) {
        match self.rt.take() {
            #[cfg(feature = "tokio")]
            Some(Rt::Tokio(rt)) => rt.shutdown_background(),
            #[cfg(feature = "goro")]
            Some(Rt::Goro(rt)) => rt.shutdown_timeout(std::time::Duration::from_secs(5)),
            None => {}
        }
    }
}
