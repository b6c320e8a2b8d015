//! UDP sockets.
//!
//! Every transfer is an owned-buffer op through the ring: `send`/`recv` on
//! a connected socket (`SEND`/`RECV` on io_uring), and `send_to`/`recv_from`
//! with an address (`SENDMSG`/`RECVMSG` with a name on io_uring). On epoll
//! each is the system call tried first, then readiness on `EAGAIN`.
//!
//! `send_to` and `recv_from` keep their borrowed-slice signatures: the op
//! owns a buffer of its own (the kernel may touch it after the future is
//! dropped), so `send_to` copies the bytes in and `recv_from` copies the
//! datagram out, one copy each.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use goro_netpoll::{Interest, Op, Output, PeerAddr};

use super::fd::SocketFd;
use super::future::{IoFuture, buf_result, unit_result};
use crate::io::op::Shot;

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
            fd: SocketFd::datagram(OwnedFd::from(s)),
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
        IoFuture::recv(&self.fd, buf, buf_result)
    }

    /// Sends one datagram to `target`: a native `SENDMSG` on io_uring, a
    /// `sendmsg` tried at once on epoll. The bytes are copied into a buffer
    /// the op owns, so dropping the future early is safe.
    pub async fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        let op = Op::send_to(self.fd.raw(), buf.to_vec(), target);
        IoFuture::new(&self.fd, op, buf_result).await.0
    }

    /// Receives one datagram and its sender: a native `RECVMSG` on
    /// io_uring, a `recvmsg` tried at once on epoll. A datagram longer than
    /// `buf` is truncated to it and the rest is discarded. The op receives
    /// into a buffer of its own and the bytes are copied into `buf`; if the
    /// future is dropped while waiting, a datagram arriving at that moment
    /// may be taken by the abandoned receive and lost.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let (result, got, from) =
            IoFuture::recv_from(&self.fd, Vec::with_capacity(buf.len()), datagram_result).await;
        let n = result?;
        buf[..n].copy_from_slice(&got[..n]);
        let from = from.as_ref().and_then(PeerAddr::as_inet);
        Ok((n, from.ok_or_else(no_sender)?))
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
        IoFuture::readiness(&self.fd, interest, unit_result)
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

/// Result, buffer and sender of a `recv_from` op (no sender on failure).
pub(crate) fn datagram_result(
    (result, output): Shot,
) -> (io::Result<usize>, Vec<u8>, Option<PeerAddr>) {
    match output {
        Output::Datagram(buf, from) => (result, buf, Some(from)),
        Output::Buf(buf) => (result, buf, None),
        _ => (result, Vec::new(), None),
    }
}

/// A receive that succeeded without a sender of the socket's family (the
/// kernel always reports one; this is a guard, not a path taken).
pub(crate) fn no_sender() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "recv_from: no sender address of the socket's family",
    )
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
