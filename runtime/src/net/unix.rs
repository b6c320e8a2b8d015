//! Unix-domain stream sockets.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::task::{Context, Poll};

use goro_netpoll::{Interest, Output};

use super::fd::SocketFd;
use super::future::IoFuture;
use super::split::{OwnedReadHalf, OwnedWriteHalf};
use super::stream::{ReadySlot, StreamCore};
use crate::io::op::{Exclusive, Shot};
use crate::sync::Arc;

/// A Unix-domain listening socket.
///
/// ```
/// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
/// # rt.block_on(async {
/// use goro::net::{UnixListener, UnixStream};
/// let path = std::env::temp_dir().join(format!("goro-doc-{}", std::process::id()));
/// let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path)?;
/// let client = UnixStream::connect(&path)?;
/// let server = listener.accept().await?;
/// let (r, _) = client.write_all(b"hi".to_vec()).await;
/// r?;
/// let (n, buf) = server.read(Vec::with_capacity(8)).await;
/// assert_eq!((n?, &buf[..]), (2, &b"hi"[..]));
/// std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct UnixListener {
    fd: SocketFd,
}

impl UnixListener {
    /// Binds to `path` and listens.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::from_std(std::os::unix::net::UnixListener::bind(path)?)
    }

    /// Wraps a std listener (made non-blocking here).
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            fd: SocketFd::stream(OwnedFd::from(listener)),
        })
    }

    /// Accepts one connection.
    pub async fn accept(&self) -> io::Result<UnixStream> {
        fn socket((r, out): Shot) -> io::Result<OwnedFd> {
            match (r, out) {
                (Err(e), _) => Err(e),
                (Ok(_), Output::Socket(fd)) => Ok(fd),
                (Ok(_), _) => Err(io::Error::other("goro: accept completed without a socket")),
            }
        }
        let fd = IoFuture::accept(&self.fd, socket).await?;
        Ok(UnixStream::from_owned(fd))
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("fd", &self.fd.raw())
            .finish()
    }
}

/// A connected Unix-domain stream socket; the same two styles as
/// [`TcpStream`](super::TcpStream).
///
/// ```
/// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
/// # rt.block_on(async {
/// let (a, b) = goro::net::UnixStream::pair()?;
/// let (r, _) = a.write_all(b"ping".to_vec()).await;
/// r?;
/// let (n, buf) = b.read(Vec::with_capacity(8)).await;
/// assert_eq!((n?, &buf[..]), (4, &b"ping"[..]));
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct UnixStream {
    pub(super) core: Arc<StreamCore>,
    pub(super) rd: Exclusive<ReadySlot>,
    pub(super) wr: Exclusive<ReadySlot>,
}

impl UnixStream {
    fn from_owned(fd: OwnedFd) -> UnixStream {
        UnixStream {
            core: Arc::new(StreamCore {
                fd: SocketFd::stream(fd),
            }),
            rd: Exclusive::default(),
            wr: Exclusive::default(),
        }
    }

    /// A connected pair.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// Connects to the socket at `path`. A Unix connect completes at once
    /// or fails (a full backlog is `EAGAIN`, reported as an error).
    pub fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        UnixStream::from_std(std::os::unix::net::UnixStream::connect(path)?)
    }

    /// Wraps a std stream (made non-blocking here).
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream::from_owned(OwnedFd::from(stream)))
    }

    /// See [`TcpStream::read`](super::TcpStream::read).
    pub fn read(&self, buf: Vec<u8>) -> IoFuture<'_, (io::Result<usize>, Vec<u8>)> {
        self.core.read(buf)
    }

    /// See [`TcpStream::write`](super::TcpStream::write).
    pub fn write(&self, buf: Vec<u8>) -> IoFuture<'_, (io::Result<usize>, Vec<u8>)> {
        self.core.write(buf)
    }

    /// See [`TcpStream::write_all`](super::TcpStream::write_all).
    pub async fn write_all(&self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
        self.core.write_all(buf).await
    }

    /// See [`TcpStream::write_vectored`](super::TcpStream::write_vectored).
    pub fn write_vectored(
        &self,
        bufs: Vec<Vec<u8>>,
    ) -> IoFuture<'_, (io::Result<usize>, Vec<Vec<u8>>)> {
        self.core.write_vectored(bufs)
    }

    /// [`write_vectored`](Self::write_vectored) of shared `Bytes`, without
    /// copying them (as [`TcpStream::write_vectored_bytes`](super::TcpStream::write_vectored_bytes)):
    /// one `sendmsg` op that holds a reference to each buffer until the
    /// kernel is done, then hands them back. May write less than all.
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// use bytes::Bytes;
    /// let (a, b) = goro::net::UnixStream::pair()?;
    /// let body = Bytes::from_static(b"body");
    /// let (n, back) = a.write_vectored_bytes(vec![Bytes::from_static(b"head "), body.clone()]).await;
    /// assert_eq!((n?, &back[1]), (9, &body));
    /// let (n, buf) = b.read(Vec::with_capacity(16)).await;
    /// assert_eq!(&buf[..n?], b"head body");
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn write_vectored_bytes(
        &self,
        bufs: Vec<bytes::Bytes>,
    ) -> IoFuture<'_, (io::Result<usize>, Vec<bytes::Bytes>)> {
        self.core.write_vectored_bytes(bufs)
    }

    /// Waits until readable.
    pub fn readable(&self) -> IoFuture<'_, io::Result<()>> {
        self.core.ready(Interest::READABLE)
    }

    /// Waits until writable.
    pub fn writable(&self) -> IoFuture<'_, io::Result<()>> {
        self.core.ready(Interest::WRITABLE)
    }

    /// See [`TcpStream::poll_read`](super::TcpStream::poll_read).
    pub fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.core.poll_read(self.rd.get_mut(), cx, buf)
    }

    /// See [`TcpStream::poll_write`](super::TcpStream::poll_write).
    pub fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.core.poll_write(self.wr.get_mut(), cx, buf)
    }

    /// Shuts down one or both directions.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.core.shutdown(how)
    }

    /// Splits into owned halves.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        super::split::split(self.core)
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.core.fd.raw()
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("fd", &self.core.fd.raw())
            .finish()
    }
}
