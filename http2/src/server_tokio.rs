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
    };
    driver::serve::<_, Tokio, _, _>(io, builder, watch, handler).await
}

struct TokioIo<IO> {
    io: IO,
    buf: Box<[u8]>,
}

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

    async fn write(&mut self, frames: &[OutFrame], progress: &Progress) -> io::Result<()> {
        let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(frames.len() * 2);
        for f in frames {
            slices.push(IoSlice::new(&f.head));
            if !f.payload.is_empty() {
                slices.push(IoSlice::new(&f.payload));
            }
        }
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            let n = self.io.write_vectored(rest).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            progress.add(n);
            IoSlice::advance_slices(&mut rest, n);
        }
        self.io.flush().await
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
