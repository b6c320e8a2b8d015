//! UDP sockets.
//!
//! `send`/`recv` on a connected socket are owned-buffer ops through the
//! ring; `send_to`/`recv_from` try the system call first and wait for
//! readiness on `EAGAIN` (the poller has no `sendmsg`-with-address op yet).

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use goro_netpoll::{Interest, Op};

use super::fd::SocketFd;
use super::future::{IoFuture, buf_result, unit_result};

/// A UDP socket.
///
/// ```
/// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
/// # rt.block_on(async {
/// use goro::net::UdpSocket;
/// let a = UdpSocket::bind("127.0.0.1:0")?;
/// let b = UdpSocket::bind("127.0.0.1:0")?;
/// a.send_to(b"hello", b.local_addr()?).await?;
/// let mut buf = [0u8; 16];
/// let (n, from) = b.recv_from(&mut buf).await?;
/// assert_eq!((&buf[..n], from), (&b"hello"[..], a.local_addr()?));
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct UdpSocket {
    fd: SocketFd,
}

impl UdpSocket {
    /// Binds to `addr`.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let s = std::net::UdpSocket::bind(addr)?;
        s.set_nonblocking(true)?;
        Ok(UdpSocket {
            fd: SocketFd::new(OwnedFd::from(s)),
        })
    }

    /// Sets the default peer for `send`/`recv` (no packets are sent).
    pub fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        self.with_std(|s| s.connect(addr))
    }

    /// Sends one datagram from `buf[..len]` to the connected peer.
    pub fn send(&self, buf: Vec<u8>) -> IoFuture<'_, (io::Result<usize>, Vec<u8>)> {
        IoFuture::new(&self.fd, Op::send(self.fd.raw(), buf), buf_result)
    }

    /// Receives one datagram from the connected peer into the spare
    /// capacity of `buf`.
    pub fn recv(&self, buf: Vec<u8>) -> IoFuture<'_, (io::Result<usize>, Vec<u8>)> {
        IoFuture::new(&self.fd, Op::recv(self.fd.raw(), buf), buf_result)
    }

    /// Sends one datagram to `target`.
    pub async fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        loop {
            match self.with_std(|s| s.send_to(buf, target)) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                other => return other,
            }
            self.ready(Interest::WRITABLE).await?;
        }
    }

    /// Receives one datagram and its sender.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        loop {
            match self.with_std(|s| s.recv_from(buf)) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                other => return other,
            }
            self.ready(Interest::READABLE).await?;
        }
    }

    /// Waits until readable.
    pub fn readable(&self) -> IoFuture<'_, io::Result<()>> {
        self.ready(Interest::READABLE)
    }

    /// Waits until writable.
    pub fn writable(&self) -> IoFuture<'_, io::Result<()>> {
        self.ready(Interest::WRITABLE)
    }

    fn ready(&self, interest: Interest) -> IoFuture<'_, io::Result<()>> {
        IoFuture::new(&self.fd, Op::poll(self.fd.raw(), interest), unit_result)
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.with_std(|s| s.local_addr())
    }

    fn with_std<R>(&self, f: impl FnOnce(&std::net::UdpSocket) -> R) -> R {
        // SAFETY: the descriptor is live while `self` is; ManuallyDrop keeps
        // the temporary std socket from closing it.
        let s =
            std::mem::ManuallyDrop::new(unsafe { std::net::UdpSocket::from_raw_fd(self.fd.raw()) });
        f(&s)
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.raw()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("fd", &self.fd.raw())
            .finish()
    }
}
