//! The goro binding (feature `goro`, on by default): [`serve`] runs the
//! shared connection driver (`driver.rs`: handler slots, back-pressure, the
//! pumping of the sans-IO core) over a [`goro::net::TcpStream`], with
//! `goro::spawn` for handlers and `goro::time` for the core's timer.
//!
//! I/O is owned-buffer, so it is native on io_uring and emulated on epoll
//! (the runtime's `Builder::io_backend` or `GORO_IO_BACKEND` picks):
//! - one read is always in flight while the core wants bytes; it lives
//!   across the driver's waits (dropping it would lose what it read), and
//!   its 16 KiB buffer goes to the kernel and comes back;
//! - the frames of one turn (up to 64) go out in one vectored write of
//!   shared `Bytes` (`TcpStream::write_vectored_bytes`): frame heads and
//!   payloads under [`ZERO_COPY_MIN`] bytes are copied into one staging
//!   block, and larger payloads (response bodies) are sent from the
//!   handler's own `Bytes` without a copy; the op holds a reference to each
//!   while the kernel reads it.
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! use bytes::Bytes;
//! use goro_http2::server_goro::{ResponseBody, serve};
//! let rt = goro::Runtime::builder().worker_threads(2).build()?;
//! let served: std::io::Result<()> = rt.block_on(async {
//!     let listener = goro::net::TcpListener::bind("127.0.0.1:8080")?;
//!     loop {
//!         let (tcp, _) = listener.accept().await?;
//!         goro::spawn(serve(tcp, goro_http2::server::Builder::new(), |_req| async {
//!             http::Response::new(ResponseBody::Full(Bytes::from_static(b"hello")))
//!         }));
//!     }
//! });
//! served
//! # }
//! ```

use std::future::Future;
use std::io;
use std::net::Shutdown;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use goro::net::{IoFuture, TcpStream};
use http::{Request, Response};

pub use crate::body::{BodyChunk, BodyClosed, BodySender, BodyStream, RequestBody, ResponseBody};
use crate::driver::{self, Runtime, Transport};
use crate::frame::OutFrame;
use crate::server::Builder;
use crate::shutdown::{ShutdownSignal, Watch};
use crate::write_stall::Progress;

/// Bytes read per operation: one default-size frame. The buffer belongs
/// to the kernel while the read waits, so an idle connection holds this
/// much; bulk bodies take more reads instead.
const READ_BUF: usize = 16 * 1024;

/// Serves one h2c connection (prior knowledge, or HTTP/1.1 `Upgrade: h2c`
/// unless the builder turned it off) until it ends.
/// `handler` is called once per request; a future it returns that is not
/// ready at its first poll runs on its own goro task. At most
/// `max_concurrent_streams` handler futures run at once.
pub async fn serve<H, F>(tcp: TcpStream, builder: Builder, handler: H) -> io::Result<()>
where
    H: FnMut(Request<RequestBody>) -> F,
    F: Future<Output = Response<ResponseBody>> + Send + 'static,
{
    run(tcp, builder, None, handler).await
}

/// [`serve`], shut down gracefully by `signal`: when it is triggered the
/// connection sends GOAWAY, finishes the requests it has taken, refuses
/// new ones and closes (see [`ShutdownSignal`]). The connection counts in
/// [`ShutdownSignal::connections`] from this call, before the returned
/// future is first polled, until that future ends or is dropped.
///
/// ```no_run
/// # fn main() -> std::io::Result<()> {
/// use std::time::Duration;
/// use bytes::Bytes;
/// use goro_http2::server::Builder;
/// use goro_http2::server_goro::{ResponseBody, serve_with_shutdown};
/// use goro_http2::shutdown::ShutdownSignal;
/// let rt = goro::Runtime::builder().build()?;
/// rt.block_on(async {
///     let listener = goro::net::TcpListener::bind("127.0.0.1:8080")?;
///     let signal = ShutdownSignal::new();
///     let stop = signal.clone();
///     goro::spawn(async move {
///         goro::time::sleep(Duration::from_secs(60)).await; // or a SIGTERM
///         stop.shutdown_within(Duration::from_secs(30));
///     });
///     while !signal.is_shutdown() {
///         let (tcp, _) = listener.accept().await?; // a real server races this
///         goro::spawn(serve_with_shutdown(tcp, Builder::new(), &signal, |_req| async {
///             http::Response::new(ResponseBody::Full(Bytes::from_static(b"hello")))
///         }));
///     }
///     signal.drained().await;
///     Ok(())
/// })
/// # }
/// ```
pub fn serve_with_shutdown<H, F>(
    tcp: TcpStream,
    builder: Builder,
    signal: &ShutdownSignal,
    handler: H,
) -> impl Future<Output = io::Result<()>> + use<H, F>
where
    H: FnMut(Request<RequestBody>) -> F,
    F: Future<Output = Response<ResponseBody>> + Send + 'static,
{
    run(tcp, builder, Some(signal.watch()), handler)
}

async fn run<H, F>(
    tcp: TcpStream,
    builder: Builder,
    watch: Option<Watch>,
    handler: H,
) -> io::Result<()>
where
    H: FnMut(Request<RequestBody>) -> F,
    F: Future<Output = Response<ResponseBody>> + Send + 'static,
{
    let io = GoroIo {
        tcp: &tcp,
        read: None,
        buf: Vec::with_capacity(READ_BUF),
        write: None,
        parts: Vec::new(),
        out: Vec::new(),
        stage: BytesMut::new(),
    };
    driver::serve::<_, Goro, _, _>(io, builder, watch, handler).await
}

type ReadOp<'a> = IoFuture<'a, (io::Result<usize>, Vec<u8>)>;
type WriteOp<'a> = IoFuture<'a, (io::Result<usize>, Vec<Bytes>)>;

struct GoroIo<'a> {
    tcp: &'a TcpStream,
    /// The read in flight, if any; it owns the read buffer meanwhile.
    read: Option<ReadOp<'a>>,
    /// The read buffer between reads; it holds the last read's bytes.
    buf: Vec<u8>,
    /// The vectored write in flight, if any; it owns `parts` meanwhile.
    write: Option<WriteOp<'a>>,
    /// What the current write has still to send (its list is reused).
    parts: Vec<Bytes>,
    /// The buffer of raw (HTTP/1.1) writes, reused.
    out: Vec<u8>,
    /// Where frame heads and small payloads are gathered.
    stage: BytesMut,
}

/// Payloads at least this long are written from their own `Bytes`; shorter
/// ones cost less to copy than a separate iovec and reference.
pub const ZERO_COPY_MIN: usize = 1024;

impl Transport for GoroIo<'_> {
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let tcp = self.tcp;
        let read = self.read.get_or_insert_with(|| {
            let mut buf = std::mem::take(&mut self.buf);
            buf.clear();
            tcp.read(buf)
        });
        let (result, buf) = match Pin::new(read).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(done) => done,
        };
        self.read = None;
        self.buf = buf;
        if self.buf.capacity() < READ_BUF {
            // A failed submit hands back an empty buffer.
            self.buf.reserve(READ_BUF);
        }
        Poll::Ready(result.map(|n| &self.buf[..n]))
    }

    fn start_write(&mut self, frames: &mut Vec<OutFrame>) {
        debug_assert!(self.write.is_none() && self.parts.is_empty());
        for f in frames.drain(..) {
            self.stage.extend_from_slice(&f.head);
            if f.payload.len() >= ZERO_COPY_MIN {
                self.parts.push(self.stage.split().freeze());
                self.parts.push(f.payload);
            } else {
                self.stage.extend_from_slice(&f.payload);
            }
        }
        if !self.stage.is_empty() {
            self.parts.push(self.stage.split().freeze());
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, progress: &Progress) -> Poll<io::Result<()>> {
        loop {
            let op = match &mut self.write {
                Some(op) => op,
                None if self.parts.is_empty() => return Poll::Ready(Ok(())),
                None => {
                    let parts = std::mem::take(&mut self.parts);
                    self.write.insert(self.tcp.write_vectored_bytes(parts))
                }
            };
            let (result, mut back) = match Pin::new(op).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(done) => done,
            };
            self.write = None;
            let mut n = match result {
                Ok(0) => Err(io::ErrorKind::WriteZero.into()),
                other => other,
            }
            .inspect_err(|_| {
                // The write is abandoned; keep the list for the next one.
                back.clear();
                self.parts = std::mem::take(&mut back);
            })?;
            progress.add(n);
            // Drop what went out whole; start the rest where the kernel
            // stopped (a cheap `Bytes` advance, no copy).
            let done = back
                .iter()
                .take_while(|b| {
                    let whole = n >= b.len();
                    if whole {
                        n -= b.len();
                    }
                    whole
                })
                .count();
            back.drain(..done);
            if let Some(first) = back.first_mut() {
                first.advance(n);
            }
            self.parts = back;
        }
    }

    async fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        out.extend_from_slice(bytes);
        let (result, out) = self.tcp.write_all(out).await;
        self.out = out;
        result
    }

    async fn shutdown(&mut self) {
        let _ = self.tcp.shutdown(Shutdown::Write);
    }
}

/// goro's spawn and timer.
struct Goro;

impl Runtime for Goro {
    type Sleep = goro::time::Sleep;

    fn sleep_until(deadline: Instant) -> Self::Sleep {
        goro::time::sleep_until(goro::time::Instant::from_std(deadline))
    }

    fn spawn(task: impl Future<Output = ()> + Send + 'static) {
        drop(goro::spawn(task));
    }
}
