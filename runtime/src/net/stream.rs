//! What TCP and Unix streams share: owned-buffer reads and writes through
//! the ring, and readiness-style `poll_read`/`poll_write` for adapters.
//!
//! Readiness style tries the system call first (as Go does) and, on
//! `EAGAIN`, waits: on epoll for the runtime reactor's readiness of that
//! side (cleared with the snapshot's tick, `goro_netpoll::Registration`);
//! on io_uring in a one-shot readiness op that lives in the caller's slot,
//! so that repeated polls reuse it.

use std::io;
use std::mem::MaybeUninit;
use std::net::Shutdown;
use std::task::{Context, Poll};

use goro_netpoll::{Direction, Interest, Op, Output};

use super::fd::SocketFd;
use super::future::{
    IoFuture, buf_result, bufs_result, readiness_op, shared_bufs_result, unit_result,
};
use crate::io::op::OpFuture;

/// Where a stream's readiness-style `poll_read` or `poll_write` keeps its
/// wait for readiness between polls (an io_uring poll op; on epoll the
/// reactor's registration waits instead and the slot stays empty). Boxed:
/// an op future is about 180 bytes, and every stream carries two slots
/// that owned-buffer users never fill, so inline they were most of an
/// idle connection's memory (docs/runtime-io.md, idle connections).
pub(crate) type ReadySlot = Option<Box<OpFuture>>;

/// A connected, non-blocking stream socket.
pub(crate) struct StreamCore {
    pub(crate) fd: SocketFd,
}

impl StreamCore {
    pub(crate) fn read(&self, buf: Vec<u8>) -> IoFuture<'_, (io::Result<usize>, Vec<u8>)> {
        IoFuture::stream(&self.fd, Direction::Read, buf, buf_result)
    }

    pub(crate) fn write(&self, buf: Vec<u8>) -> IoFuture<'_, (io::Result<usize>, Vec<u8>)> {
        IoFuture::stream(&self.fd, Direction::Write, buf, buf_result)
    }

    pub(crate) fn write_vectored(
        &self,
        bufs: Vec<Vec<u8>>,
    ) -> IoFuture<'_, (io::Result<usize>, Vec<Vec<u8>>)> {
        // Restartable: a peer that does not read may hold it for ever.
        IoFuture::restartable(
            &self.fd,
            Op::send_vectored(self.fd.raw(), bufs),
            |fd, out| match out {
                Output::Bufs(bufs) => Op::send_vectored(fd, bufs),
                // Not reached: a vectored send always hands its buffers back.
                _ => Op::send_vectored(fd, Vec::new()),
            },
            bufs_result,
        )
    }

    pub(crate) fn write_vectored_bytes(
        &self,
        bufs: Vec<bytes::Bytes>,
    ) -> IoFuture<'_, (io::Result<usize>, Vec<bytes::Bytes>)> {
        IoFuture::restartable(
            &self.fd,
            Op::send_vectored_bytes(self.fd.raw(), bufs),
            |fd, out| match out {
                Output::SharedBufs(bufs) => Op::send_vectored_bytes(fd, bufs),
                // Not reached, as above.
                _ => Op::send_vectored_bytes(fd, Vec::new()),
            },
            shared_bufs_result,
        )
    }

    /// Writes all of `buf`. A partial write costs one copy of what is left
    /// (the op owns its buffer whole); the buffer handed back holds the
    /// original bytes.
    pub(crate) async fn write_all(&self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
        // `head` collects what has been sent, so the caller gets its bytes back.
        let mut head: Option<Vec<u8>> = None;
        let mut cur = buf;
        let join = |head: Option<Vec<u8>>, cur: Vec<u8>| match head {
            None => cur,
            Some(mut h) => {
                h.extend_from_slice(&cur);
                h
            }
        };
        while !cur.is_empty() {
            let (r, mut b) = self.write(cur).await;
            match r {
                Ok(n) if n == b.len() => return (Ok(()), join(head, b)),
                Ok(0) => return (Err(io::ErrorKind::WriteZero.into()), join(head, b)),
                Ok(n) => {
                    let rest = b.split_off(n);
                    head = Some(join(head, b));
                    cur = rest;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => cur = b,
                Err(e) => return (Err(e), join(head, b)),
            }
        }
        (Ok(()), join(head, cur))
    }

    pub(crate) fn ready(&self, interest: Interest) -> IoFuture<'_, io::Result<()>> {
        IoFuture::readiness(&self.fd, interest, unit_result)
    }

    /// The end of writing for the I/O traits (`poll_close`,
    /// `poll_shutdown`): sends FIN. A socket no longer connected
    /// (`ENOTCONN`: the peer reset it) counts as closed already.
    #[cfg(any(feature = "futures-io", feature = "hyper"))]
    pub(crate) fn close_write(&self) -> io::Result<()> {
        match self.shutdown(Shutdown::Write) {
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => Ok(()),
            other => other,
        }
    }

    /// Waits in `slot` until `interest` is ready.
    fn poll_ready(
        &self,
        slot: &mut ReadySlot,
        cx: &mut Context<'_>,
        interest: Interest,
    ) -> Poll<io::Result<()>> {
        let op = slot.get_or_insert_with(|| Box::new(readiness_op(self.fd.raw(), interest)));
        op.start(|| self.fd.route());
        match op.poll_op(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready((r, _)) => {
                *slot = None;
                Poll::Ready(r.map(|_| ()))
            }
        }
    }

    pub(crate) fn poll_read(
        &self,
        slot: &mut ReadySlot,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        // SAFETY: same length and layout; `poll_read_uninit` only lets `recv`
        // write bytes into it, so the slice never holds uninitialised memory.
        let buf = unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) };
        self.poll_read_uninit(slot, cx, buf)
    }

    /// `poll_read` into memory that may be uninitialised (hyper's
    /// `ReadBufCursor`): the kernel only writes into it, so no byte is read
    /// before it is written, and the first `n` of the result are
    /// initialised.
    pub(crate) fn poll_read_uninit(
        &self,
        slot: &mut ReadySlot,
        cx: &mut Context<'_>,
        buf: &mut [MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        let fd = self.fd.raw();
        self.poll_io(slot, cx, Direction::Read, buf.len(), || {
            // SAFETY: `buf` is a valid, writable region of `buf.len()` bytes
            // for the whole call; `recv` writes it and never reads it.
            unsafe { goro_netpoll::socket::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) }
        })
    }

    pub(crate) fn poll_write(
        &self,
        slot: &mut ReadySlot,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let fd = self.fd.raw();
        self.poll_io(slot, cx, Direction::Write, buf.len(), || {
            // SAFETY: `buf` is a valid region of `buf.len()` bytes for the
            // whole call. MSG_NOSIGNAL: a closed peer is EPIPE, not SIGPIPE.
            unsafe { goro_netpoll::socket::send(fd, buf.as_ptr(), buf.len(), libc::MSG_NOSIGNAL) }
        })
    }

    /// Readiness-style vectored write: one `sendmsg` over `bufs` (at most
    /// `IOV_MAX` of them; the rest wait for the next call).
    #[cfg_attr(not(any(feature = "futures-io", feature = "hyper")), allow(dead_code))]
    pub(crate) fn poll_write_vectored(
        &self,
        slot: &mut ReadySlot,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let bufs = &bufs[..bufs.len().min(IOV_MAX)];
        let want = bufs.iter().map(|b| b.len()).sum();
        let fd = self.fd.raw();
        self.poll_io(slot, cx, Direction::Write, want, || {
            // SAFETY: an all-zero msghdr is valid (no name, no control data).
            let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
            // `IoSlice` is ABI-compatible with `iovec` on Unix (its documented
            // guarantee); sendmsg only reads through the pointer.
            msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
            msg.msg_iovlen = bufs.len() as _;
            // SAFETY: `msg` points at `bufs.len()` iovecs, each a valid
            // readable region, for the whole call. MSG_NOSIGNAL as in
            // `poll_write`.
            unsafe { libc::sendmsg(fd, &msg, libc::MSG_NOSIGNAL) }
        })
    }

    /// Runs `call` (a non-blocking system call on this socket, asked to
    /// move `want` bytes) until it does not block. epoll: wait for `dir` on
    /// the reactor between tries, clearing it with the snapshot taken
    /// before the call; io_uring: wait in the caller's one-shot poll op
    /// (`slot`).
    ///
    /// Two system calls are saved that would only return `EAGAIN` (tokio's
    /// rule for the first; hyper's HTTP/2 polls its read side at every
    /// wake-up of its connection task, so without the second a loaded
    /// io_uring server made 11 failing `recv`s per successful one):
    /// - a **short transfer** (`0 < n < want`) drained the socket's buffer
    ///   (or filled the peer's), so the direction is marked not ready: on
    ///   epoll its readiness is cleared (`Registration::clear_if_drained`:
    ///   with the snapshot, so an edge that came after the call is kept, and
    ///   not once the peer has closed the side); on io_uring the poll op is
    ///   armed at once, and the next call waits for it. End of stream
    ///   (`n == 0`) does not count: after it no new edge would come.
    /// - on io_uring, while the slot's poll op is armed and has not fired,
    ///   the call is not tried at all: the op wakes the task when it
    ///   fires (a poll op on a socket that is already ready fires at once).
    fn poll_io(
        &self,
        slot: &mut ReadySlot,
        cx: &mut Context<'_>,
        dir: Direction,
        want: usize,
        mut call: impl FnMut() -> isize,
    ) -> Poll<io::Result<usize>> {
        if let Some(reg) = self.fd.ready_reg() {
            let reg = match reg {
                Ok(r) => r,
                Err(e) => return Poll::Ready(Err(e)),
            };
            loop {
                let ev = match reg.poll_ready(dir, cx) {
                    Poll::Ready(ev) => ev,
                    Poll::Pending => return Poll::Pending,
                };
                let n = call();
                if let Some(done) = syscall_done(n) {
                    if let Ok(n) = done {
                        reg.clear_if_drained(ev, n, want);
                    }
                    return Poll::Ready(done);
                }
                if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                    reg.clear_readiness(ev);
                }
            }
        }
        let interest = match dir {
            Direction::Read => Interest::READABLE,
            Direction::Write => Interest::WRITABLE,
        };
        loop {
            if slot.is_some() {
                // Armed: wait for it to fire before trying again.
                match self.poll_ready(slot, cx, interest) {
                    Poll::Ready(Ok(())) => {}
                    other => return other.map_ok(|()| 0),
                }
            }
            if let Some(done) = syscall_done(call()) {
                if matches!(done, Ok(n) if n > 0 && n < want) {
                    // Arm now; the waker it holds is this task's, and a
                    // later poll replaces it with the current one.
                    let _ = self.poll_ready(slot, cx, interest);
                }
                return Poll::Ready(done);
            }
            match self.poll_ready(slot, cx, interest) {
                Poll::Ready(Ok(())) => continue,
                other => return other.map_ok(|()| 0),
            }
        }
    }

    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        let how = match how {
            Shutdown::Read => libc::SHUT_RD,
            Shutdown::Write => libc::SHUT_WR,
            Shutdown::Both => libc::SHUT_RDWR,
        };
        // SAFETY: plain syscall on a descriptor we own.
        cvt(unsafe { libc::shutdown(self.fd.raw(), how) }).map(drop)
    }
}

/// Linux's `UIO_MAXIOV`: `sendmsg` refuses more buffers than this.
const IOV_MAX: usize = 1024;

/// `Some(result)` unless the call would block (or was interrupted, in
/// which case the caller retries it via the readiness path at once).
fn syscall_done(n: isize) -> Option<io::Result<usize>> {
    if n >= 0 {
        return Some(Ok(n as usize));
    }
    let e = io::Error::last_os_error();
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => None,
        _ => Some(Err(e)),
    }
}

/// A libc return value as an `io::Result`.
pub(crate) fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}
