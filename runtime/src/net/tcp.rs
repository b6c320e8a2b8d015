//! TCP: listener and stream.

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::task::{Context, Poll};

use goro_netpoll::{Interest, Output};

use super::fd::SocketFd;
use super::future::IoFuture;
use super::multi::{Incoming, RecvStream};
use super::resolve::ToConnectAddrs;
use super::split::{OwnedReadHalf, OwnedWriteHalf};
use super::stream::{ReadySlot, StreamCore, cvt};
use crate::io::op::{Exclusive, Shot};
use crate::sync::Arc;

/// Backlog of listening sockets (the kernel caps it at `somaxconn`); large
/// so that an accept storm is queued, not dropped and retried after 1 s.
const BACKLOG: libc::c_int = 4096;

/// A TCP listening socket.
///
/// ```
/// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
/// # rt.block_on(async {
/// use goro::net::{TcpListener, TcpStream};
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let client = TcpStream::connect(listener.local_addr()?).await?;
/// let (server, _) = listener.accept().await?;
/// let (r, _) = client.write_all(b"hi".to_vec()).await;
/// r?;
/// let (n, buf) = server.read(Vec::with_capacity(16)).await;
/// assert_eq!((n?, &buf[..]), (2, &b"hi"[..]));
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct TcpListener {
    fd: SocketFd,
}

impl TcpListener {
    /// Binds to the first address of `addr` that works and listens.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let std = std::net::TcpListener::bind(addr)?;
        TcpListener::from_std(std)
    }

    /// Wraps a bound std listener (made non-blocking here).
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        // SAFETY: plain syscall on a listening socket we own; a second
        // listen only raises the backlog.
        cvt(unsafe { libc::listen(listener.as_raw_fd(), BACKLOG) })?;
        Ok(TcpListener {
            fd: SocketFd::stream(OwnedFd::from(listener)),
        })
    }

    /// Accepts one connection.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        fn socket((r, out): Shot) -> io::Result<OwnedFd> {
            match (r, out) {
                (Err(e), _) => Err(e),
                (Ok(_), Output::Socket(fd)) => Ok(fd),
                (Ok(_), _) => Err(io::Error::other("goro: accept completed without a socket")),
            }
        }
        let fd = IoFuture::accept(&self.fd, socket).await?;
        let stream = TcpStream::from_owned(fd);
        let peer = stream.peer_addr()?;
        Ok((stream, peer))
    }

    /// Accepts connections with one multishot accept (io_uring; a loop of
    /// `accept4` on epoll).
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming::new(&self.fd)
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        borrow_std_listener(self.fd.raw(), |l| l.local_addr())
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("fd", &self.fd.raw())
            .finish()
    }
}

/// A TCP connection.
///
/// Two styles: owned-buffer operations ([`read`](Self::read),
/// [`write`](Self::write), [`write_all`](Self::write_all),
/// [`write_vectored`](Self::write_vectored)) that hand the buffer to the
/// kernel (native on io_uring, emulated on epoll by trying the system call
/// first), and readiness ([`readable`](Self::readable),
/// [`poll_read`](Self::poll_read), ...) for adapters that need `&mut [u8]`.
pub struct TcpStream {
    pub(super) core: Arc<StreamCore>,
    pub(super) rd: Exclusive<ReadySlot>,
    pub(super) wr: Exclusive<ReadySlot>,
}

impl TcpStream {
    pub(crate) fn from_owned(fd: OwnedFd) -> TcpStream {
        TcpStream {
            core: Arc::new(StreamCore {
                fd: SocketFd::stream(fd),
            }),
            rd: Exclusive::default(),
            wr: Exclusive::default(),
        }
    }

    /// Connects to `addr`: a [`SocketAddr`], or a `"host:port"` string or
    /// `(host, port)` pair, whose name is looked up without stalling the
    /// worker ([`ToConnectAddrs`]). Each address is tried in turn; if none
    /// connects, the last one's error is returned.
    pub async fn connect(addr: impl ToConnectAddrs) -> io::Result<TcpStream> {
        let mut last = None;
        for addr in addr.connect_addrs()? {
            match TcpStream::connect_one(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no addresses to connect to")
        }))
    }

    async fn connect_one(addr: SocketAddr) -> io::Result<TcpStream> {
        let domain = match addr {
            SocketAddr::V4(_) => libc::AF_INET,
            SocketAddr::V6(_) => libc::AF_INET6,
        };
        let fd = new_socket(domain, libc::SOCK_STREAM)?;
        let stream = TcpStream::from_owned(fd);
        let fd = &stream.core.fd;
        IoFuture::connect(fd, addr, |(r, _)| r).await?;
        Ok(stream)
    }

    /// Wraps a connected std stream (made non-blocking here).
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        Ok(TcpStream::from_owned(OwnedFd::from(stream)))
    }

    /// Reads into the spare capacity of `buf` (`capacity - len` bytes at
    /// most), growing its length; `Ok(0)` is end of stream (or a buffer
    /// without spare capacity).
    pub fn read(&self, buf: Vec<u8>) -> IoFuture<'_, (io::Result<usize>, Vec<u8>)> {
        self.core.read(buf)
    }

    /// Writes from `buf[..len]`; may write less than all of it.
    pub fn write(&self, buf: Vec<u8>) -> IoFuture<'_, (io::Result<usize>, Vec<u8>)> {
        self.core.write(buf)
    }

    /// Writes all of `buf`, handing it back with its bytes.
    pub async fn write_all(&self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
        self.core.write_all(buf).await
    }

    /// Writes the buffers in order with one `sendmsg`; may write less.
    pub fn write_vectored(
        &self,
        bufs: Vec<Vec<u8>>,
    ) -> IoFuture<'_, (io::Result<usize>, Vec<Vec<u8>>)> {
        self.core.write_vectored(bufs)
    }

    /// [`write_vectored`](Self::write_vectored) of shared `Bytes`, without
    /// copying them: the op holds a reference to each until the kernel is
    /// done, and hands them back. A frame header and a body that other
    /// owners keep go out in one `sendmsg`.
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// use bytes::Bytes;
    /// use goro::net::{TcpListener, TcpStream};
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let (server, _) = listener.accept().await?;
    /// let body = Bytes::from_static(b"body");
    /// let (n, back) = client.write_vectored_bytes(vec![Bytes::from_static(b"head "), body.clone()]).await;
    /// assert_eq!((n?, &back[1]), (9, &body));
    /// let (n, buf) = server.read(Vec::with_capacity(16)).await;
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

    /// Receives with a multishot receive into the ring's provided buffers
    /// (see [`RecvStream`]).
    pub fn recv_multi(&self) -> RecvStream<'_> {
        RecvStream::new(&self.core.fd)
    }

    /// Waits until the socket is readable (data, end of stream or error).
    pub fn readable(&self) -> IoFuture<'_, io::Result<()>> {
        self.core.ready(Interest::READABLE)
    }

    /// Waits until the socket is writable.
    pub fn writable(&self) -> IoFuture<'_, io::Result<()>> {
        self.core.ready(Interest::WRITABLE)
    }

    /// Readiness-style read into `buf`: tries `recv`, waits for readiness
    /// on `EAGAIN`.
    pub fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.core.poll_read(self.rd.get_mut(), cx, buf)
    }

    /// Readiness-style write from `buf`.
    pub fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.core.poll_write(self.wr.get_mut(), cx, buf)
    }

    /// Shuts down the read, write or both halves (`Write` sends FIN).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.core.shutdown(how)
    }

    /// Sets `TCP_NODELAY`.
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        borrow_std_stream(self.core.fd.raw(), |s| s.set_nodelay(on))
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        borrow_std_stream(self.core.fd.raw(), |s| s.peer_addr())
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        borrow_std_stream(self.core.fd.raw(), |s| s.local_addr())
    }

    /// Splits into halves that can move to different tasks.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        super::split::split(self.core)
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.core.fd.raw()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("fd", &self.core.fd.raw())
            .finish()
    }
}

/// A non-blocking, close-on-exec socket.
pub(crate) fn new_socket(domain: libc::c_int, ty: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; the result is checked.
    let fd =
        cvt(unsafe { libc::socket(domain, ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0) })?;
    // SAFETY: `fd` was just created and is owned by no one else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn borrow_std_stream<R>(fd: RawFd, f: impl FnOnce(&std::net::TcpStream) -> R) -> R {
    // SAFETY: `fd` is a live socket owned by the caller for this call; the
    // ManuallyDrop keeps the temporary std stream from closing it.
    let s = std::mem::ManuallyDrop::new(unsafe { std::net::TcpStream::from_raw_fd(fd) });
    f(&s)
}

fn borrow_std_listener<R>(fd: RawFd, f: impl FnOnce(&std::net::TcpListener) -> R) -> R {
    // SAFETY: as in `borrow_std_stream`.
    let s = std::mem::ManuallyDrop::new(unsafe { std::net::TcpListener::from_raw_fd(fd) });
    f(&s)
}
