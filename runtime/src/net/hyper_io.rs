//! `hyper::rt::Read` / `hyper::rt::Write` for the stream types (cargo
//! feature `hyper`), so hyper's HTTP/1 and HTTP/2 connections run straight
//! on goro sockets, with no adapter type in between.
//!
//! The same readiness style as the futures-io impls (`futures_io.rs`): one
//! `recv`/`send` per call, and on `EAGAIN` a wait in the stream's own
//! readiness slot. hyper reads into memory that may be uninitialised
//! (`ReadBufCursor`); `recv` writes it directly, so nothing is zeroed
//! first. Writes are vectored (`sendmsg`), which hyper uses to send a
//! response head and body in one call.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use hyper::rt::{Read, ReadBufCursor, Write};

use super::split::{OwnedReadHalf, OwnedWriteHalf};
use super::tcp::TcpStream;
use super::unix::UnixStream;

/// `hyper::rt::Read` for a type with a `core: StreamCore` and its read
/// slot `rd`.
macro_rules! impl_hyper_read {
    ($(#[$doc:meta])* $ty:ty) => {
        $(#[$doc])*
        impl Read for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                mut buf: ReadBufCursor<'_>,
            ) -> Poll<io::Result<()>> {
                let this = self.get_mut();
                // SAFETY: the slice is only written (by `recv`), never read,
                // and exactly the `n` bytes `recv` wrote are marked filled.
                let unfilled = unsafe { buf.as_mut() };
                let n = ready!(this.core.poll_read_uninit(this.rd.get_mut(), cx, unfilled))?;
                // SAFETY: `recv` initialised the first `n` bytes (see above).
                unsafe { buf.advance(n) };
                Poll::Ready(Ok(()))
            }
        }
    };
}

/// `hyper::rt::Write` for a type with a `core: StreamCore` and its write
/// slot `wr`.
macro_rules! impl_hyper_write {
    ($(#[$doc:meta])* $ty:ty) => {
        $(#[$doc])*
        impl Write for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                let this = self.get_mut();
                this.core.poll_write(this.wr.get_mut(), cx, buf)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                let this = self.get_mut();
                this.core.poll_write_vectored(this.wr.get_mut(), cx, bufs)
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(
                self: Pin<&mut Self>,
                _cx: &mut Context<'_>,
            ) -> Poll<io::Result<()>> {
                Poll::Ready(self.core.close_write())
            }
        }
    };
}

impl_hyper_read! {
    /// hyper reads a connection through this: hand the stream to
    /// `hyper::server::conn::http1::Builder::serve_connection` or
    /// `hyper::client::conn::http1::handshake` (and their HTTP/2 forms,
    /// with [`GoroExecutor`](crate::hyper::GoroExecutor)).
    TcpStream
}

impl_hyper_write! {
    /// hyper writes a connection through this; `poll_shutdown` sends FIN.
    TcpStream
}

impl_hyper_read! {
    /// As for [`TcpStream`].
    UnixStream
}

impl_hyper_write! {
    /// As for [`TcpStream`].
    UnixStream
}

impl_hyper_read! {
    /// The read half alone (for a protocol that splits the connection).
    OwnedReadHalf
}

impl_hyper_write! {
    /// The write half alone; `poll_shutdown` sends FIN.
    OwnedWriteHalf
}
