//! Unix-domain datagram sockets, mirroring [`UdpSocket`](super::UdpSocket):
//!
//! * `send`/`recv` on a connected socket (or one of a [`pair`](UnixDatagram::pair))
//!   are owned-buffer ops through the ring: native `SEND`/`RECV` on
//!   io_uring, the system call tried first and repeated on readiness on
//!   epoll;
//! * `send_to`/`send_to_addr`/`recv_from` carry a peer address: owned-buffer
//!   ops too, native `SENDMSG`/`RECVMSG` with a name on io_uring (the op
//!   owns the header and the address storage until the kernel is done),
//!   `sendmsg`/`recvmsg` then readiness on epoll.
//!
//! A datagram larger than the room in the buffer is truncated as the
//! kernel truncates it: the call returns the bytes that fit and the rest of
//! that datagram is discarded.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;

use goro_netpoll::{Interest, Op, PeerAddr};

use super::fd::SocketFd;
use super::future::{IoFuture, buf_result, unit_result};
use super::udp::{datagram_result, no_sender};

/// A Unix-domain datagram socket.
///
/// ```
/// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
/// # rt.block_on(async {
/// let (a, b) = goro::net::UnixDatagram::pair()?;
/// let (n, _) = a.send(b"ping".to_vec()).await;
/// assert_eq!(n?, 4);
/// let (n, buf) = b.recv(Vec::with_capacity(16)).await;
/// assert_eq!(&buf[..n?], b"ping");
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct UnixDatagram {
    fd: SocketFd,
}

impl UnixDatagram {
    /// A socket bound to `path` (which must not exist yet).
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// use goro::net::UnixDatagram;
    /// let path = std::env::temp_dir().join(format!("goro-doc-dgram-bind-{}", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let sock = UnixDatagram::bind(&path)?;
    /// assert_eq!(sock.local_addr()?.as_pathname(), Some(path.as_path()));
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no address: it can send (with
    /// [`send_to`](Self::send_to), or after [`connect`](Self::connect)),
    /// and its peers see it as unnamed.
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// let sock = goro::net::UnixDatagram::unbound()?;
    /// assert!(sock.local_addr()?.is_unnamed());
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::unbound()?)
    }

    /// Two sockets connected to each other (`socketpair`).
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = goro::net::UnixDatagram::pair()?;
    /// let (r, _) = b.send(b"pong".to_vec()).await;
    /// r?;
    /// let (n, buf) = a.recv(Vec::with_capacity(8)).await;
    /// assert_eq!(&buf[..n?], b"pong");
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Wraps a std socket (made non-blocking here).
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// let (std_a, std_b) = std::os::unix::net::UnixDatagram::pair()?;
    /// let a = goro::net::UnixDatagram::from_std(std_a)?;
    /// std_b.send(b"from std")?;
    /// let (n, buf) = a.recv(Vec::with_capacity(16)).await;
    /// assert_eq!(&buf[..n?], b"from std");
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        Ok(UnixDatagram {
            fd: SocketFd::datagram(OwnedFd::from(socket)),
        })
    }

    /// Sets the default peer for [`send`](Self::send) and
    /// [`recv`](Self::recv) (no datagram is sent). Once connected, the
    /// socket receives only from that peer.
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// use goro::net::UnixDatagram;
    /// let path = std::env::temp_dir().join(format!("goro-doc-dgram-connect-{}", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let server = UnixDatagram::bind(&path)?;
    /// let client = UnixDatagram::unbound()?;
    /// client.connect(&path)?;
    /// let (r, _) = client.send(b"hello".to_vec()).await;
    /// r?;
    /// let (n, buf) = server.recv(Vec::with_capacity(16)).await;
    /// assert_eq!(&buf[..n?], b"hello");
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.with_std(|s| s.connect(path))
    }

    /// Sends `buf[..len]` as one datagram to the connected peer.
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = goro::net::UnixDatagram::pair()?;
    /// let (n, buf) = a.send(b"one datagram".to_vec()).await;
    /// assert_eq!(n?, buf.len());
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn send(&self, buf: Vec<u8>) -> IoFuture<'_, (io::Result<usize>, Vec<u8>)> {
        IoFuture::new(&self.fd, Op::send(self.fd.raw(), buf), buf_result)
    }

    /// Receives one datagram into the spare capacity of `buf`
    /// (`capacity - len` bytes), growing its length. A longer datagram is
    /// truncated to that room; the rest of it is lost.
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = goro::net::UnixDatagram::pair()?;
    /// let (r, _) = a.send(b"truncated".to_vec()).await;
    /// r?;
    /// let (n, buf) = b.recv(Vec::with_capacity(5)).await;
    /// assert_eq!((n?, &buf[..]), (5, &b"trunc"[..]));
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn recv(&self, buf: Vec<u8>) -> IoFuture<'_, (io::Result<usize>, Vec<u8>)> {
        IoFuture::recv(&self.fd, buf, buf_result)
    }

    /// Sends `buf` as one datagram to the socket bound at `path`, handing
    /// the buffer back.
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// use goro::net::UnixDatagram;
    /// let path = std::env::temp_dir().join(format!("goro-doc-dgram-send-to-{}", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let server = UnixDatagram::bind(&path)?;
    /// let (n, _) = UnixDatagram::unbound()?.send_to(b"hi".to_vec(), &path).await;
    /// assert_eq!(n?, 2);
    /// let (n, buf) = server.recv(Vec::with_capacity(8)).await;
    /// assert_eq!(&buf[..n?], b"hi");
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn send_to(
        &self,
        buf: Vec<u8>,
        path: impl AsRef<Path>,
    ) -> (io::Result<usize>, Vec<u8>) {
        // std checks the path (length, no NUL) as `sendto` would.
        match SocketAddr::from_pathname(path) {
            Ok(addr) => self.send_to_addr(buf, &addr).await,
            Err(e) => (Err(e), buf),
        }
    }

    /// Sends `buf` as one datagram to `addr`, an address as
    /// [`recv_from`](Self::recv_from) reports it: a path or a Linux
    /// abstract name. The way to answer a sender whatever its kind.
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// use goro::net::UnixDatagram;
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    /// let name = format!("goro-doc-dgram-abstract-{}", std::process::id());
    /// let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
    /// let server = UnixDatagram::from_std(std::os::unix::net::UnixDatagram::bind_addr(&addr)?)?;
    /// let (n, _) = UnixDatagram::unbound()?.send_to_addr(b"hi".to_vec(), &addr).await;
    /// assert_eq!(n?, 2);
    /// let (n, buf) = server.recv(Vec::with_capacity(8)).await;
    /// assert_eq!(&buf[..n?], b"hi");
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn send_to_addr(
        &self,
        buf: Vec<u8>,
        addr: &SocketAddr,
    ) -> (io::Result<usize>, Vec<u8>) {
        let op = Op::send_to_unix(self.fd.raw(), buf, addr);
        IoFuture::new(&self.fd, op, buf_result).await
    }

    /// Receives one datagram into the spare capacity of `buf` (truncated
    /// to fit, as [`recv`](Self::recv)) and the sender's address: a path,
    /// an abstract name, or unnamed for an unbound sender or a
    /// [`pair`](Self::pair). On an error (or a cancel) the buffer comes
    /// back unchanged. Dropping the future while it waits abandons the
    /// receive, as for [`recv`](Self::recv): a datagram arriving at that
    /// moment may be taken by it and lost.
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// use goro::net::UnixDatagram;
    /// let dir = std::env::temp_dir();
    /// let (pa, pb) = (dir.join(format!("goro-doc-dgram-a-{}", std::process::id())),
    ///                 dir.join(format!("goro-doc-dgram-b-{}", std::process::id())));
    /// let _ = (std::fs::remove_file(&pa), std::fs::remove_file(&pb));
    /// let (a, b) = (UnixDatagram::bind(&pa)?, UnixDatagram::bind(&pb)?);
    /// let (r, _) = a.send_to(b"who?".to_vec(), &pb).await;
    /// r?;
    /// let (r, buf) = b.recv_from(Vec::with_capacity(16)).await;
    /// let (n, from) = r?;
    /// assert_eq!((&buf[..n], from.as_pathname()), (&b"who?"[..], Some(pa.as_path())));
    /// std::fs::remove_file(&pa)?;
    /// std::fs::remove_file(&pb)?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn recv_from(&self, buf: Vec<u8>) -> (io::Result<(usize, SocketAddr)>, Vec<u8>) {
        let (result, buf, from) = IoFuture::recv_from(&self.fd, buf, datagram_result).await;
        let result = result.and_then(|n| {
            let from = from.as_ref().and_then(PeerAddr::as_unix);
            Ok((n, from.ok_or_else(no_sender)?))
        });
        (result, buf)
    }

    /// Waits until a datagram can be received (or an error is pending).
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// let (a, b) = goro::net::UnixDatagram::pair()?;
    /// let (r, _) = a.send(b"x".to_vec()).await;
    /// r?;
    /// b.readable().await?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn readable(&self) -> IoFuture<'_, io::Result<()>> {
        self.ready(Interest::READABLE)
    }

    /// Waits until a datagram can be sent.
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = goro::net::UnixDatagram::pair()?;
    /// a.writable().await?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn writable(&self) -> IoFuture<'_, io::Result<()>> {
        self.ready(Interest::WRITABLE)
    }

    fn ready(&self, interest: Interest) -> IoFuture<'_, io::Result<()>> {
        IoFuture::readiness(&self.fd, interest, unit_result)
    }

    /// The address this socket is bound to (unnamed if none).
    ///
    /// ```
    /// let (a, _b) = goro::net::UnixDatagram::pair()?;
    /// assert!(a.local_addr()?.is_unnamed());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.with_std(|s| s.local_addr())
    }

    /// The connected peer's address (`NotConnected` if there is none).
    ///
    /// ```
    /// let sock = goro::net::UnixDatagram::unbound()?;
    /// assert_eq!(sock.peer_addr().unwrap_err().kind(), std::io::ErrorKind::NotConnected);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.with_std(|s| s.peer_addr())
    }

    /// Shuts down receiving, sending or both. After `Write`, a `send`
    /// fails with `EPIPE`. `Read` is not a way to end a pending receive:
    /// Linux answers a non-blocking datagram `recv` after it with `EAGAIN`,
    /// not end of file, so on epoll a `recv` would keep waiting (io_uring's
    /// blocking retry returns `Ok(0)`). Drop the receive future instead.
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// let (a, _b) = goro::net::UnixDatagram::pair()?;
    /// a.shutdown(std::net::Shutdown::Write)?;
    /// let (r, _) = a.send(b"x".to_vec()).await;
    /// assert_eq!(r.unwrap_err().raw_os_error(), Some(libc::EPIPE));
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.with_std(|s| s.shutdown(how))
    }

    fn with_std<R>(&self, f: impl FnOnce(&std::os::unix::net::UnixDatagram) -> R) -> R {
        // SAFETY: the descriptor is live while `self` is; ManuallyDrop keeps
        // the temporary std socket from closing it.
        let s = std::mem::ManuallyDrop::new(unsafe {
            std::os::unix::net::UnixDatagram::from_raw_fd(self.fd.raw())
        });
        f(&s)
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.raw()
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("fd", &self.fd.raw())
            .finish()
    }
}
