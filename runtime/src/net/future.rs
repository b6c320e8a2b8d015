//! The future every owned-buffer operation returns.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use std::os::fd::RawFd;

use goro_netpoll::{Direction, Interest, Output};

use super::direct::DirectIo;
use super::fd::SocketFd;
use crate::io::op::{OpFuture, Rebuild, Shot};

/// An I/O operation in flight on a socket; resolves to `T` (for owned-buffer
/// operations, the result together with the buffer).
///
/// Dropping it before it completes abandons the operation: the runtime
/// cancels it and frees the buffer once the kernel is done with it (so a
/// [`time::timeout`](crate::time::timeout) around it is safe). Any bytes a
/// dropped read had already taken from the socket are lost with it; to keep
/// them, [`cancel`](Self::cancel) and await instead.
#[must_use = "an operation does nothing unless awaited"]
pub struct IoFuture<'a, T> {
    inner: Inner,
    fd: &'a SocketFd,
    map: fn(Shot) -> T,
}

/// How the operation runs.
enum Inner {
    /// Through the poller: an io_uring ring, or the epoll op path.
    Op(OpFuture),
    /// A stream read or write: run directly on epoll (`direct.rs`); on
    /// io_uring it becomes an op at its first poll.
    Stream(DirectIo),
}

impl<'a, T> IoFuture<'a, T> {
    pub(crate) fn new(fd: &'a SocketFd, op: goro_netpoll::Op, map: fn(Shot) -> T) -> Self {
        IoFuture {
            inner: Inner::Op(OpFuture::new(op)),
            fd,
            map,
        }
    }

    /// An op that may wait indefinitely (an accept, a receive, a wait for
    /// readability): on io_uring it moves to the ring of the thread that
    /// polls it if its own ring retires, rebuilt by `rebuild` from what
    /// the cancelled one handed back (`OpFuture::restartable`).
    pub(crate) fn restartable(
        fd: &'a SocketFd,
        op: goro_netpoll::Op,
        rebuild: Rebuild,
        map: fn(Shot) -> T,
    ) -> Self {
        IoFuture {
            inner: Inner::Op(OpFuture::restartable(op, rebuild)),
            fd,
            map,
        }
    }

    /// A wait for `interest` (restartable for readability or writability).
    pub(crate) fn readiness(fd: &'a SocketFd, interest: Interest, map: fn(Shot) -> T) -> Self {
        IoFuture {
            inner: Inner::Op(readiness_op(fd.raw(), interest)),
            fd,
            map,
        }
    }

    /// An accept (restartable).
    pub(crate) fn accept(fd: &'a SocketFd, map: fn(Shot) -> T) -> Self {
        let op = goro_netpoll::Op::accept(fd.raw());
        Self::restartable(fd, op, |fd, _| goro_netpoll::Op::accept(fd), map)
    }

    /// A connect (restartable): the handshake may wait for the peer's
    /// backlog or SYN retries for minutes. A retired ring's cancel leaves
    /// the kernel connecting, so the restart waits for that connect
    /// (`Op::connect_resume`) rather than starting another.
    pub(crate) fn connect(fd: &'a SocketFd, addr: SocketAddr, map: fn(Shot) -> T) -> Self {
        let op = goro_netpoll::Op::connect(fd.raw(), addr);
        Self::restartable(fd, op, |fd, _| goro_netpoll::Op::connect_resume(fd), map)
    }

    /// A datagram receive into the spare capacity of `buf` (restartable).
    pub(crate) fn recv(fd: &'a SocketFd, buf: Vec<u8>, map: fn(Shot) -> T) -> Self {
        let op = goro_netpoll::Op::recv(fd.raw(), buf);
        Self::restartable(fd, op, rebuild_recv, map)
    }

    /// A datagram receive with its sender (restartable).
    pub(crate) fn recv_from(fd: &'a SocketFd, buf: Vec<u8>, map: fn(Shot) -> T) -> Self {
        let op = goro_netpoll::Op::recv_from(fd.raw(), buf);
        let rebuild: Rebuild =
            |fd, out| goro_netpoll::Op::recv_from(fd, out.into_buf().unwrap_or_default());
        Self::restartable(fd, op, rebuild, map)
    }

    /// A read into (or a write out of) `buf` on a stream socket.
    pub(crate) fn stream(
        fd: &'a SocketFd,
        dir: Direction,
        buf: Vec<u8>,
        map: fn(Shot) -> T,
    ) -> Self {
        IoFuture {
            inner: Inner::Stream(DirectIo::new(dir, buf)),
            fd,
            map,
        }
    }

    /// Asks the operation to end early; await the future afterwards for
    /// the outcome. It completes either way: with an error for which
    /// [`is_cancelled`](super::is_cancelled) is true if the cancel won
    /// (the buffer comes back unchanged), or with its real result if the
    /// operation had already completed (data read is in the buffer, never
    /// lost).
    ///
    /// ```
    /// # let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// # rt.block_on(async {
    /// use goro::net::{TcpListener, TcpStream, is_cancelled};
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let client = TcpStream::connect(listener.local_addr()?).await?;
    /// let mut read = client.read(Vec::with_capacity(64));
    /// read.cancel();
    /// let (result, buf) = read.await;
    /// assert!(is_cancelled(&result.unwrap_err()));
    /// assert_eq!(buf.capacity(), 64);
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn cancel(&mut self) {
        let fd = self.fd;
        if let Inner::Stream(io) = &mut self.inner {
            if fd.ready_reg().is_some() {
                io.cancel();
                return;
            }
            self.inner = Inner::Op(OpFuture::new(io.take_op(fd.raw())));
        }
        if let Inner::Op(op) = &mut self.inner {
            op.cancel(|| fd.route());
        }
    }
}

impl<T> Future for IoFuture<'_, T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        let fd = this.fd;
        if let Inner::Stream(io) = &mut this.inner {
            match fd.ready_reg() {
                Some(Ok(reg)) => return io.poll(fd.raw(), reg, cx).map(this.map),
                Some(Err(e)) => {
                    let buf = io.take_op(fd.raw()).finish(Err(e));
                    return Poll::Ready((this.map)(buf));
                }
                None => {
                    let op = io.take_op(fd.raw());
                    // A read may wait on an idle connection for ever, a
                    // write on a peer that does not read: either moves if
                    // its ring retires.
                    let rebuild = match io.direction() {
                        Direction::Read => rebuild_recv,
                        Direction::Write => rebuild_send,
                    };
                    this.inner = Inner::Op(OpFuture::restartable(op, rebuild));
                }
            }
        }
        match &mut this.inner {
            Inner::Op(op) => {
                op.start(|| fd.route());
                op.poll_op(cx).map(this.map)
            }
            Inner::Stream(_) => unreachable!("a stream operation became an op above"),
        }
    }
}

impl<T> fmt::Debug for IoFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoFuture")
            .field("fd", &self.fd.raw())
            .finish()
    }
}

/// A receive again, into the buffer a cancelled one handed back.
fn rebuild_recv(fd: RawFd, out: Output) -> goro_netpoll::Op {
    goro_netpoll::Op::recv(fd, out.into_buf().unwrap_or_default())
}

/// A send again, of the buffer a cancelled one handed back. A cancelled
/// stream send has sent nothing: a send that got some bytes out completes
/// with that count instead.
fn rebuild_send(fd: RawFd, out: Output) -> goro_netpoll::Op {
    goro_netpoll::Op::send(fd, out.into_buf().unwrap_or_default())
}

/// A wait for readiness, as an op. Readability may never come on an idle
/// connection, writability on a peer that does not read: both move if
/// their ring retires.
pub(crate) fn readiness_op(fd: RawFd, interest: Interest) -> OpFuture {
    let op = goro_netpoll::Op::poll(fd, interest);
    let rebuild: Rebuild = if interest == Interest::READABLE {
        |fd, _| goro_netpoll::Op::poll(fd, Interest::READABLE)
    } else if interest == Interest::WRITABLE {
        |fd, _| goro_netpoll::Op::poll(fd, Interest::WRITABLE)
    } else {
        return OpFuture::new(op);
    };
    OpFuture::restartable(op, rebuild)
}

/// Result and buffer of a read or write.
pub(crate) fn buf_result((result, output): Shot) -> (io::Result<usize>, Vec<u8>) {
    let buf = match output {
        Output::Buf(b) => b,
        _ => Vec::new(),
    };
    (result, buf)
}

/// Result and buffers of a vectored write.
pub(crate) fn bufs_result((result, output): Shot) -> (io::Result<usize>, Vec<Vec<u8>>) {
    let bufs = match output {
        Output::Bufs(b) => b,
        _ => Vec::new(),
    };
    (result, bufs)
}

/// Result and buffers of a vectored write of shared buffers.
pub(crate) fn shared_bufs_result((result, output): Shot) -> (io::Result<usize>, Vec<bytes::Bytes>) {
    let bufs = match output {
        Output::SharedBufs(b) => b,
        _ => Vec::new(),
    };
    (result, bufs)
}

/// Readiness: `Ok(())` once ready.
pub(crate) fn unit_result((result, _): Shot) -> io::Result<()> {
    result.map(|_| ())
}
