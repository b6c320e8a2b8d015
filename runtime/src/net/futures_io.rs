//! `futures_io::AsyncRead` / `AsyncWrite` for the stream types (cargo
//! feature `futures-io`), so futures-io based code — and, through compat
//! layers, hyper or tokio-io users — can run on goro sockets.
//!
//! The traits sit on the readiness style of [`StreamCore`]: try the system
//! call, and on `EAGAIN` wait in the stream's own readiness slot (a one-shot
//! poll op: `IORING_OP_POLL_ADD` on io_uring, an epoll wait on epoll). So
//! the caller's `&mut [u8]` is never handed to the kernel across an await,
//! and dropping a pending read or write loses nothing.
//!
//! * `poll_read` / `poll_write` — one `recv` / `send`;
//! * `poll_write_vectored` — one `sendmsg` over the slices;
//! * `poll_flush` — ready at once (sockets keep no user-space buffer);
//! * `poll_close` — `shutdown(Write)`: the peer reads end of stream, this
//!   side can still read. A socket whose peer is already gone
//!   (`ENOTCONN`) counts as closed.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::split::{OwnedReadHalf, OwnedWriteHalf};
use super::tcp::TcpStream;
use super::unix::UnixStream;

/// `AsyncRead` for a type with a `core: StreamCore` and its read slot
/// `rd`; the doc comments go on the impl.
macro_rules! impl_async_read {
    ($(#[$doc:meta])* $ty:ty) => {
        $(#[$doc])*
        impl AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                let this = self.get_mut();
                this.core.poll_read(this.rd.get_mut(), cx, buf)
            }
        }
    };
}

/// `AsyncWrite` for a type with a `core: StreamCore` and its write slot
/// `wr`; the doc comments go on the impl.
macro_rules! impl_async_write {
    ($(#[$doc:meta])* $ty:ty) => {
        $(#[$doc])*
        impl AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                let this = self.get_mut();
                this.core.poll_write(this.wr.get_mut(), cx, buf)
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

            fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(self.core.close_write())
            }
        }
    };
}

impl_async_read! {
    /// Reads through the futures-io trait (here with `std::future::poll_fn`;
    /// `futures::AsyncReadExt` works the same way).
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// use futures_io::AsyncRead;
    /// use goro::net::{TcpListener, TcpStream};
    /// use std::pin::Pin;
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (mut server, _) = listener.accept().await?;
    /// let (r, _) = client.write_all(b"hi".to_vec()).await;
    /// r?;
    /// let mut buf = [0u8; 8];
    /// let n = std::future::poll_fn(|cx| Pin::new(&mut server).poll_read(cx, &mut buf)).await?;
    /// assert_eq!(&buf[..n], b"hi");
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    TcpStream
}

impl_async_write! {
    /// Writes through the futures-io trait; `poll_close` sends FIN.
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// use futures_io::AsyncWrite;
    /// use goro::net::{TcpListener, TcpStream};
    /// use std::future::poll_fn;
    /// use std::pin::Pin;
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let mut client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (server, _) = listener.accept().await?;
    /// let n = poll_fn(|cx| Pin::new(&mut client).poll_write(cx, b"bye")).await?;
    /// poll_fn(|cx| Pin::new(&mut client).poll_close(cx)).await?;
    /// let (r, buf) = server.read(Vec::with_capacity(8)).await;
    /// assert_eq!((r?, &buf[..]), (n, &b"bye"[..]));
    /// let (r, _) = server.read(Vec::with_capacity(8)).await;
    /// assert_eq!(r?, 0); // end of stream
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    TcpStream
}

impl_async_read! {
    /// Reads through the futures-io trait.
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// use futures_io::AsyncRead;
    /// use std::pin::Pin;
    /// let (a, mut b) = goro::net::UnixStream::pair()?;
    /// let (r, _) = a.write_all(b"ping".to_vec()).await;
    /// r?;
    /// let mut buf = [0u8; 8];
    /// let n = std::future::poll_fn(|cx| Pin::new(&mut b).poll_read(cx, &mut buf)).await?;
    /// assert_eq!(&buf[..n], b"ping");
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    UnixStream
}

impl_async_write! {
    /// Writes through the futures-io trait; `poll_close` sends end of stream.
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// use futures_io::AsyncWrite;
    /// use std::future::poll_fn;
    /// use std::io::IoSlice;
    /// use std::pin::Pin;
    /// let (mut a, b) = goro::net::UnixStream::pair()?;
    /// let parts = [IoSlice::new(b"head "), IoSlice::new(b"body")];
    /// let n = poll_fn(|cx| Pin::new(&mut a).poll_write_vectored(cx, &parts)).await?;
    /// poll_fn(|cx| Pin::new(&mut a).poll_close(cx)).await?;
    /// let (r, buf) = b.read(Vec::with_capacity(16)).await;
    /// assert_eq!((r?, &buf[..]), (n, &b"head body"[..]));
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    UnixStream
}

impl_async_read! {
    /// Reads through the futures-io trait while the write half works in
    /// another task.
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// use futures_io::AsyncRead;
    /// use std::pin::Pin;
    /// let (a, b) = goro::net::UnixStream::pair()?;
    /// let (mut rd, _wr) = b.into_split();
    /// let (r, _) = a.write_all(b"half".to_vec()).await;
    /// r?;
    /// let mut buf = [0u8; 8];
    /// let n = std::future::poll_fn(|cx| Pin::new(&mut rd).poll_read(cx, &mut buf)).await?;
    /// assert_eq!(&buf[..n], b"half");
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    OwnedReadHalf
}

impl_async_write! {
    /// Writes through the futures-io trait; `poll_close` sends end of stream
    /// and leaves the read half open.
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// use futures_io::AsyncWrite;
    /// use std::future::poll_fn;
    /// use std::pin::Pin;
    /// let (a, b) = goro::net::UnixStream::pair()?;
    /// let (_rd, mut wr) = a.into_split();
    /// poll_fn(|cx| Pin::new(&mut wr).poll_write(cx, b"last")).await?;
    /// poll_fn(|cx| Pin::new(&mut wr).poll_close(cx)).await?;
    /// let (r, buf) = b.read(Vec::with_capacity(8)).await;
    /// assert_eq!((r?, &buf[..]), (4, &b"last"[..]));
    /// let (r, _) = b.read(Vec::with_capacity(8)).await;
    /// assert_eq!(r?, 0);
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    OwnedWriteHalf
}
