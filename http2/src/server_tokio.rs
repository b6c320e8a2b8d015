//! The tokio binding (feature `tokio`): [`serve`] runs the shared
//! connection driver (`driver.rs`: handler slots, back-pressure, the
//! pumping of the sans-IO core) over any tokio `AsyncRead + AsyncWrite`,
//! with `tokio::spawn` for handlers and `tokio::time` for the core's timer.
//!
//! Frames go out as vectored writes of (head, payload) pairs, payloads
//! being the handler's `Bytes` without a copy.

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use ::tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use http::{Request, Response};

pub use crate::body::{BodyChunk, BodyClosed, BodySender, BodyStream, RequestBody, ResponseBody};
use crate::driver::{self, Runtime, Transport};
use crate::frame::OutFrame;
use crate::server::Builder;
use crate::shutdown::{ShutdownSignal, Watch};
use crate::write_stall::Progress;

/// Bytes read per system call.
const READ_BUF: usize = 64 * 1024;

/// Serves one HTTP/2 connection (h2c with prior knowledge or HTTP/1.1
/// `Upgrade: h2c`, or already-TLS: then turn `h2c_upgrade` off) until it
/// ends. `handler` is called once per request; a future it returns that
/// is not ready at its first poll runs on its own task. At most
/// `max_concurrent_streams` handler futures run at once.
pub async fn serve<IO, H, F>(io: IO, builder: Builder, handler: H) -> io::Result<()>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    H: FnMut(Request<RequestBody>) -> F,
    F: Future<Output = Response<ResponseBody>> + Send + 'static,
{
    run(io, builder, None, handler).await
}

/// [`serve`], shut down gracefully by `signal`: when it is triggered the
/// connection sends GOAWAY, finishes the requests it has taken, refuses
/// new ones and closes (see [`ShutdownSignal`]). The connection counts in
/// [`ShutdownSignal::connections`] from this call, before the returned
/// future is first polled, until that future ends or is dropped.
///
/// ```no_run
/// use std::time::Duration;
/// use bytes::Bytes;
/// use goro_http2::server::Builder;
/// use goro_http2::server_tokio::{ResponseBody, serve_with_shutdown};
/// use goro_http2::shutdown::ShutdownSignal;
/// # async fn run() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let signal = ShutdownSignal::new();
/// let stop = tokio::time::sleep(Duration::from_secs(60)); // or ctrl_c()
/// tokio::pin!(stop);
/// loop {
///     tokio::select! {
///         accepted = listener.accept() => {
///             let (tcp, _) = accepted?;
///             tokio::spawn(serve_with_shutdown(tcp, Builder::new(), &signal, |_req| async {
///                 http::Response::new(ResponseBody::Full(Bytes::from_static(b"hello")))
///             }));
///         }
///         _ = &mut stop => break,
///     }
/// }
/// signal.shutdown_within(Duration::from_secs(30));
/// signal.drained().await;
/// # Ok(())
/// # }
/// ```
pub fn serve_with_shutdown<IO, H, F>(
    io: IO,
    builder: Builder,
    signal: &ShutdownSignal,
    handler: H,
) -> impl Future<Output = io::Result<()>> + use<IO, H, F>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    H: FnMut(Request<RequestBody>) -> F,
    F: Future<Output = Response<ResponseBody>> + Send + 'static,
{
    run(io, builder, Some(signal.watch()), handler)
}

async fn run<IO, H, F>(io: IO, builder: Builder, watch: Option<Watch>, handler: H) -> io::Result<()>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    H: FnMut(Request<RequestBody>) -> F,
    F: Future<Output = Response<ResponseBody>> + Send + 'static,
{
    let io = TokioIo {
        io,
        buf: vec![0; READ_BUF].into_boxed_slice(),
        frames: Vec::new(),
        next: 0,
        offset: 0,
        flushed: true,
    };
    driver::serve::<_, Tokio, _, _>(io, builder, watch, handler).await
}

struct TokioIo<IO> {
    io: IO,
    buf: Box<[u8]>,
    /// The frames of the write in progress (payloads shared, not copied).
    frames: Vec<OutFrame>,
    /// The first frame not yet written whole, and how many of its octets
    /// (head, then payload) are written.
    next: usize,
    offset: usize,
    /// The write in progress was flushed.
    flushed: bool,
}

/// Slices handed to one vectored write: a head and a payload for each of
/// the driver's frames a write, so a whole batch is one system call.
const IOVECS: usize = 2 * driver::FRAMES_PER_WRITE;

impl<IO: AsyncRead + AsyncWrite + Unpin> Transport for TokioIo<IO> {
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let mut rb = ReadBuf::new(&mut self.buf);
        match Pin::new(&mut self.io).poll_read(cx, &mut rb) {
            Poll::Ready(Ok(())) => {
                let n = rb.filled().len();
                Poll::Ready(Ok(&self.buf[..n]))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn start_write(&mut self, frames: &mut Vec<OutFrame>) {
        debug_assert!(self.flushed && self.frames.is_empty());
        // The lists trade places: the driver keeps an empty one.
        std::mem::swap(&mut self.frames, frames);
        (self.next, self.offset, self.flushed) = (0, 0, false);
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, progress: &Progress) -> Poll<io::Result<()>> {
        while self.next < self.frames.len() {
            let mut slices = [IoSlice::new(&[]); IOVECS];
            let mut k = 0;
            let mut skip = self.offset;
            for f in &self.frames[self.next..] {
                for part in [&f.head[..], &f.payload[..]] {
                    if skip >= part.len() {
                        skip -= part.len();
                        continue;
                    }
                    if k < IOVECS {
                        slices[k] = IoSlice::new(&part[skip..]);
                        k += 1;
                    }
                    skip = 0;
                }
                if k == IOVECS {
                    break;
                }
            }
            let n = match Pin::new(&mut self.io).poll_write_vectored(cx, &slices[..k]) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => n,
            };
            progress.add(n);
            // Move past what went out: whole frames, then into the next.
            let mut n = self.offset + n;
            while let Some(f) = self.frames.get(self.next) {
                let len = f.head.len() + f.payload.len();
                if n < len {
                    break;
                }
                n -= len;
                self.next += 1;
            }
            self.offset = n;
        }
        if !self.flushed {
            match Pin::new(&mut self.io).poll_flush(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {}
            }
            self.flushed = true;
            // The payloads go back to their owners now, not at the next write.
            self.frames.clear();
            self.next = 0;
        }
        Poll::Ready(Ok(()))
    }

    async fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.io.write_all(bytes).await?;
        self.io.flush().await
    }

    async fn shutdown(&mut self) {
        let _ = self.io.shutdown().await;
    }
}

/// tokio's spawn and timer.
struct Tokio;

impl Runtime for Tokio {
    type Sleep = Pin<Box<::tokio::time::Sleep>>;

    fn sleep_until(deadline: Instant) -> Self::Sleep {
        Box::pin(::tokio::time::sleep_until(deadline.into()))
    }

    fn spawn(task: impl Future<Output = ()> + Send + 'static) {
        drop(::tokio::spawn(task));
    }
}
