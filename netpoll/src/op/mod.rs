//! Operations: each defined once, in its own file, with an io_uring form
//! (the SQE it becomes) and an epoll form (the non-blocking system call the
//! epoll backend runs when the descriptor is ready). This is monoio's
//! `driver/op/` pattern.
//!
//! Every form receives the operation by `&mut`: the operation lives in the
//! poller's table (see `table.rs`) from submit to its final completion, so
//! the buffers the kernel reads or writes stay put even if the submitter
//! loses interest.

mod accept;
mod addr;
mod close;
mod connect;
mod msg;
mod poll;
mod read;
mod recv;
mod recv_from;
mod recv_multi;
mod send;
mod send_to;
mod send_vectored;
mod send_zc;
mod timeout;
mod write;

use std::io;
use std::net::SocketAddr;
use std::os::fd::{IntoRawFd, OwnedFd, RawFd};
use std::os::unix::net::SocketAddr as UnixAddr;
use std::time::Duration;

use io_uring::squeue;

use crate::bufring::BufRing;
use crate::reactor::Direction;
use crate::shared_fd::SharedFd;
use crate::table::OpId;

pub use addr::PeerAddr;

/// What the caller gets back for an operation (or one shot of a multishot
/// operation). Buffers given to an operation always come back here.
#[derive(Debug)]
pub enum Output {
    /// Nothing to hand back (connect, close, timeout, a cancelled accept).
    None,
    /// The operation's buffer. For reads its length grew by the bytes read;
    /// for writes it is unchanged. Multishot receives carry a fresh buffer
    /// holding exactly the bytes of that shot.
    Buf(Vec<u8>),
    /// The buffer of a [`recv_from`](Op::recv_from), grown by the bytes
    /// of one datagram, and its sender.
    Datagram(Vec<u8>, PeerAddr),
    /// The buffers of a vectored send, unchanged.
    Bufs(Vec<Vec<u8>>),
    /// The shared buffers of [`Op::send_vectored_bytes`], unchanged.
    SharedBufs(Vec<bytes::Bytes>),
    /// An accepted connection (non-blocking, close-on-exec).
    Socket(OwnedFd),
    /// A readiness event.
    Ready(Readiness),
}

impl Output {
    /// The buffer, if this output carries one (a datagram's sender is
    /// dropped).
    pub fn into_buf(self) -> Option<Vec<u8>> {
        match self {
            Output::Buf(b) | Output::Datagram(b, _) => Some(b),
            _ => None,
        }
    }
}

/// One finished operation, or one shot of a multishot operation.
#[derive(Debug)]
pub struct Completion {
    /// The token given at submit.
    pub token: u64,
    /// The operation's id.
    pub id: OpId,
    /// Bytes transferred, the accepted descriptor, readiness bits, or 0; an
    /// error as the kernel reported it (`ECANCELED` for a cancelled one).
    pub result: io::Result<usize>,
    /// `true` if this operation will complete again (multishot).
    pub more: bool,
    /// Buffers, descriptors or readiness handed back.
    pub output: Output,
}

/// The readiness a registration or poll operation waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interest(u32);

impl Interest {
    /// Readable, including the peer's half-close.
    pub const READABLE: Interest = Interest((libc::POLLIN | libc::POLLRDHUP) as u32);
    /// Writable.
    pub const WRITABLE: Interest = Interest(libc::POLLOUT as u32);
    /// Both.
    pub const BOTH: Interest = Interest((libc::POLLIN | libc::POLLRDHUP | libc::POLLOUT) as u32);

    pub(crate) fn bits(self) -> u32 {
        self.0
    }
}

/// Readiness reported for a descriptor (poll(2) bits; epoll uses the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Readiness(pub(crate) u32);

impl Readiness {
    /// Data (or EOF, or an error) can be read.
    pub fn is_readable(self) -> bool {
        self.0 & (libc::POLLIN | libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) as u32 != 0
    }
    /// Data can be written (or the write would fail at once).
    pub fn is_writable(self) -> bool {
        self.0 & (libc::POLLOUT | libc::POLLHUP | libc::POLLERR) as u32 != 0
    }
    /// The peer closed its side, or the descriptor hung up.
    pub fn is_hup(self) -> bool {
        self.0 & (libc::POLLRDHUP | libc::POLLHUP) as u32 != 0
    }
    /// An error is pending on the descriptor.
    pub fn is_error(self) -> bool {
        self.0 & libc::POLLERR as u32 != 0
    }
    /// The raw bits.
    pub fn bits(self) -> u32 {
        self.0
    }
}

/// An operation to submit to a [`Poller`](crate::Poller).
///
/// Descriptors are borrowed by number: the caller keeps them open until the
/// operation's final completion (or passes ownership to [`Op::close`], or
/// lends it with [`Op::keep_open`]). On io_uring that includes an op the
/// caller abandoned: its SQE names the descriptor by number, and the kernel
/// resolves the number only when the ring is next entered, so a number
/// closed and reused before then would send the op to another socket.
/// Sockets and pipes must be non-blocking, which the epoll backend needs
/// and io_uring tolerates.
#[derive(Debug)]
pub struct Op {
    pub(crate) kind: OpKind,
    /// Held until the final completion ([`Op::keep_open`]).
    pub(crate) keep: Option<SharedFd>,
}

#[derive(Debug)]
pub(crate) enum OpKind {
    Accept(accept::Accept),
    Connect(connect::Connect),
    Recv(recv::Recv),
    RecvFrom(recv_from::RecvFrom),
    RecvMulti(recv_multi::RecvMulti),
    Send(send::Send),
    SendTo(send_to::SendTo),
    SendVectored(send_vectored::SendVectored),
    SendZc(send_zc::SendZc),
    Read(read::Read),
    Write(write::Write),
    Close(close::Close),
    Timeout(timeout::Timeout),
    Poll(poll::PollOp),
}

impl Op {
    const fn of(kind: OpKind) -> Op {
        Op { kind, keep: None }
    }

    /// Holds `fd` (the descriptor the op names) open until the op's final
    /// completion, also if the op is abandoned meanwhile: the poller drops
    /// this reference when it frees the op, so the number cannot be closed
    /// and reused by another socket while the op may still reach the
    /// kernel. Share `fd` between a socket's owner and its ops; it closes
    /// with the last of them.
    ///
    /// ```
    /// use std::os::fd::{AsRawFd, OwnedFd};
    /// use goro_netpoll::{Op, Poller, SharedFd};
    /// let mut poller = Poller::new()?;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let fd = SharedFd::from(OwnedFd::from(a));
    /// let read = Op::recv(fd.as_raw_fd(), Vec::with_capacity(64)).keep_open(fd.clone());
    /// let id = poller.submit(read, 1)?;
    /// poller.abandon(id);
    /// drop(fd); // still open: the abandoned read holds it until it ends
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn keep_open(mut self, fd: SharedFd) -> Op {
        self.keep = Some(fd);
        self
    }

    /// Accepts one connection on a listening socket.
    pub fn accept(listener: RawFd) -> Op {
        Op::of(OpKind::Accept(accept::Accept::new(listener, false)))
    }
    /// Accepts connections until cancelled: one completion (with `more`) per
    /// connection. Multishot `ACCEPT` on io_uring.
    pub fn accept_multi(listener: RawFd) -> Op {
        Op::of(OpKind::Accept(accept::Accept::new(listener, true)))
    }
    /// Connects a non-blocking socket to `addr`.
    pub fn connect(socket: RawFd, addr: SocketAddr) -> Op {
        Op::of(OpKind::Connect(connect::Connect::new(socket, addr)))
    }
    /// Waits for a connect already under way on `socket` to finish, and
    /// completes as that connect would: `Ok(0)` once connected, or its
    /// error. For a socket whose non-blocking `connect(2)` returned
    /// `EINPROGRESS` elsewhere, or whose [`connect`](Op::connect) op was
    /// cancelled before the handshake ended (the kernel goes on with it).
    /// On a socket with no connect under way it fails with `ENOTCONN`.
    /// io_uring waits with `POLL_ADD`, epoll with the poller's watch; both
    /// then read `SO_ERROR`.
    ///
    /// ```
    /// use goro_netpoll::{Op, Poller};
    /// use std::os::fd::AsRawFd;
    ///
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// // A connect started outside the poller.
    /// // SAFETY: plain socket(2) call.
    /// let fd = unsafe {
    ///     libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0)
    /// };
    /// assert!(fd >= 0);
    /// let std::net::SocketAddr::V4(v4) = listener.local_addr()? else { unreachable!() };
    /// let sin = libc::sockaddr_in {
    ///     sin_family: libc::AF_INET as libc::sa_family_t,
    ///     sin_port: v4.port().to_be(),
    ///     sin_addr: libc::in_addr { s_addr: u32::from(*v4.ip()).to_be() },
    ///     sin_zero: [0; 8],
    /// };
    /// // SAFETY: `sin` is a valid sockaddr_in of the length passed.
    /// unsafe {
    ///     libc::connect(fd, (&raw const sin).cast(), size_of::<libc::sockaddr_in>() as u32)
    /// };
    /// let mut poller = Poller::new()?;
    /// let id = poller.submit(Op::connect_resume(fd), 7)?;
    /// let mut done = Vec::new();
    /// while done.is_empty() {
    ///     poller.poll(&mut done, None)?;
    /// }
    /// assert_eq!(done[0].result.as_ref().unwrap(), &0);
    /// # let _ = id;
    /// // SAFETY: `fd` is ours and no longer used.
    /// unsafe { libc::close(fd) };
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect_resume(socket: RawFd) -> Op {
        Op::of(OpKind::Connect(connect::Connect::resume(socket)))
    }
    /// Receives into the spare capacity of `buf` (`buf.capacity() - buf.len()`
    /// bytes at most). `Ok(0)` is end of stream, so give it a buffer with
    /// spare capacity (with none, the kernel reads nothing and says 0).
    pub fn recv(socket: RawFd, buf: Vec<u8>) -> Op {
        Op::of(OpKind::Recv(recv::Recv::new(socket, buf)))
    }
    /// Receives until cancelled or end of stream, taking a buffer from the
    /// poller's buffer ring per shot (configure it with
    /// [`Builder::buffer_ring`](crate::Builder::buffer_ring)): an idle
    /// connection holds no receive buffer. Each completion carries the bytes
    /// in a fresh `Vec`.
    pub fn recv_multi(socket: RawFd) -> Op {
        Op::of(OpKind::RecvMulti(recv_multi::RecvMulti::new(socket)))
    }
    /// Sends `buf`; may send less than all of it (see the result).
    pub fn send(socket: RawFd, buf: Vec<u8>) -> Op {
        Op::of(OpKind::Send(send::Send::new(socket, buf)))
    }
    /// Sends `buf` as one datagram to `addr` (a UDP socket, connected or
    /// not): `IORING_OP_SENDMSG` with a name on io_uring, `sendmsg` on
    /// epoll. The completion hands `buf` back unchanged.
    ///
    /// ```
    /// use goro_netpoll::{Op, Poller};
    /// use std::os::fd::AsRawFd;
    /// let a = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let b = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// a.set_nonblocking(true)?;
    /// let mut p = Poller::new()?;
    /// p.submit(Op::send_to(a.as_raw_fd(), b"hi".to_vec(), b.local_addr()?), 1)?;
    /// let mut done = Vec::new();
    /// while done.is_empty() {
    ///     p.poll(&mut done, None)?;
    /// }
    /// assert_eq!(*done[0].result.as_ref().unwrap(), 2);
    /// let mut got = [0u8; 8];
    /// assert_eq!(b.recv_from(&mut got)?, (2, a.local_addr()?));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn send_to(socket: RawFd, buf: Vec<u8>, addr: SocketAddr) -> Op {
        Op::of(OpKind::SendTo(send_to::SendTo::new(
            socket,
            buf,
            addr::RawAddr::new(addr),
        )))
    }
    /// [`send_to`](Op::send_to) for a Unix-domain datagram socket: `addr`
    /// is a path or a Linux abstract name (an unnamed address fails with
    /// `EINVAL`, as `sendto` does).
    pub fn send_to_unix(socket: RawFd, buf: Vec<u8>, addr: &UnixAddr) -> Op {
        Op::of(OpKind::SendTo(send_to::SendTo::new(
            socket,
            buf,
            addr::RawAddr::unix(addr),
        )))
    }
    /// Receives one datagram into the spare capacity of `buf`, with its
    /// sender: `IORING_OP_RECVMSG` with name storage on io_uring, `recvmsg`
    /// on epoll. A longer datagram is truncated to the room and the rest of
    /// it is discarded. Success hands back [`Output::Datagram`] (read the
    /// sender with [`PeerAddr::as_inet`] or [`PeerAddr::as_unix`]); a
    /// failure or a cancel hands back [`Output::Buf`], unchanged.
    pub fn recv_from(socket: RawFd, buf: Vec<u8>) -> Op {
        Op::of(OpKind::RecvFrom(recv_from::RecvFrom::new(socket, buf)))
    }
    /// Zero-copy send (opt-in): on io_uring the kernel sends from `buf`'s
    /// pages without copying, and the completion (buffer included) arrives
    /// once the kernel has let go of them; TCP and UDP only. On epoll it is
    /// an ordinary send. Worth it for large payloads, not for small ones.
    pub fn send_zc(socket: RawFd, buf: Vec<u8>) -> Op {
        Op::of(OpKind::SendZc(send_zc::SendZc::new(socket, buf)))
    }
    /// Sends the buffers in order with one `sendmsg` (a frame header and its
    /// payload, without copying them together); may send less than all.
    pub fn send_vectored(socket: RawFd, bufs: Vec<Vec<u8>>) -> Op {
        Op::of(OpKind::SendVectored(send_vectored::SendVectored::new(
            socket,
            send_vectored::Parts::Owned(bufs),
        )))
    }
    /// [`send_vectored`](Op::send_vectored) of shared `Bytes`: no copy of a
    /// payload that other owners keep (an HTTP/2 response body, say); the
    /// op holds a reference to each until it completes. The completion
    /// hands them back as [`Output::SharedBufs`].
    ///
    /// ```
    /// use goro_netpoll::{Op, Output, Poller};
    /// use std::os::fd::AsRawFd;
    /// let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let mut p = Poller::new().unwrap();
    /// let body = bytes::Bytes::from_static(b"payload");
    /// p.submit(Op::send_vectored_bytes(a.as_raw_fd(), vec![bytes::Bytes::from_static(b"head:"), body.clone()]), 1).unwrap();
    /// let mut done = Vec::new();
    /// while done.is_empty() {
    ///     p.poll(&mut done, None).unwrap();
    /// }
    /// assert_eq!(*done[0].result.as_ref().unwrap(), 12);
    /// assert!(matches!(&done[0].output, Output::SharedBufs(b) if b[1] == body));
    /// # drop(b);
    /// ```
    pub fn send_vectored_bytes(socket: RawFd, bufs: Vec<bytes::Bytes>) -> Op {
        Op::of(OpKind::SendVectored(send_vectored::SendVectored::new(
            socket,
            send_vectored::Parts::Shared(bufs),
        )))
    }
    /// Reads into the spare capacity of `buf`, at `offset` for files or at
    /// the current position (`None`, pipes and files).
    pub fn read(fd: RawFd, buf: Vec<u8>, offset: Option<u64>) -> Op {
        Op::of(OpKind::Read(read::Read::new(fd, buf, offset)))
    }
    /// Writes `buf`, at `offset` or the current position.
    pub fn write(fd: RawFd, buf: Vec<u8>, offset: Option<u64>) -> Op {
        Op::of(OpKind::Write(write::Write::new(fd, buf, offset)))
    }
    /// Closes `fd`. On epoll, operations still queued on it complete with
    /// `ECANCELED` first.
    pub fn close(fd: OwnedFd) -> Op {
        Op::of(OpKind::Close(close::Close::new(fd.into_raw_fd())))
    }
    /// Completes with `Ok(0)` after `after`.
    pub fn timeout(after: Duration) -> Op {
        Op::of(OpKind::Timeout(timeout::Timeout::new(after)))
    }
    /// Completes once `fd` is ready for `interest` (one shot).
    pub fn poll(fd: RawFd, interest: Interest) -> Op {
        Op::of(OpKind::Poll(poll::PollOp::new(fd, interest, false)))
    }
    /// Reports readiness edges for `fd` until cancelled (what
    /// [`Poller::register`](crate::Poller::register) submits).
    pub fn poll_multi(fd: RawFd, interest: Interest) -> Op {
        Op::of(OpKind::Poll(poll::PollOp::new(fd, interest, true)))
    }
}

/// What one non-blocking attempt of an operation gave ([`Op::try_now`]).
#[derive(Debug)]
pub enum TryNow {
    /// Finished with this result; [`Op::finish`] turns the op into its
    /// output.
    Done(io::Result<usize>),
    /// One shot of a multishot operation; more may follow.
    Shot(io::Result<usize>, Output),
    /// The call would block: wait for this side's readiness, then retry.
    WouldBlock(Direction),
}

impl Op {
    /// Runs the operation's non-blocking system call once (its epoll form),
    /// on this thread, for callers that drive readiness themselves (a
    /// [`Reactor`](crate::Reactor)). `scratch` is the receive area of a
    /// multishot receive (its bytes are copied out per shot); other ops
    /// ignore it. Not for timeouts (they complete at once).
    ///
    /// ```
    /// use goro_netpoll::{Op, TryNow};
    /// use std::os::fd::AsRawFd;
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let mut op = Op::recv(a.as_raw_fd(), Vec::with_capacity(8));
    /// assert!(matches!(op.try_now(&mut []), TryNow::WouldBlock(_)));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_now(&mut self, scratch: &mut [u8]) -> TryNow {
        let mut ctx = EpollCtx { scratch };
        match self.kind.attempt(&mut ctx) {
            Attempt::Done(r) => TryNow::Done(r),
            Attempt::Shot(r, out) => TryNow::Shot(r, out),
            Attempt::Again(Side::Read) => TryNow::WouldBlock(Direction::Read),
            Attempt::Again(Side::Write) => TryNow::WouldBlock(Direction::Write),
        }
    }

    /// Turns a finished operation and its result into what the caller gets
    /// (the buffer back, an accepted socket, readiness bits).
    pub fn finish(self, res: io::Result<usize>) -> (io::Result<usize>, Output) {
        self.kind.finish(res)
    }

    /// True for an operation that completes more than once (multishot
    /// accept and receive, readiness registrations).
    pub fn is_multishot(&self) -> bool {
        self.kind.is_multishot()
    }

    /// For a plain receive into a buffer: the room it offers, so a caller
    /// can tell a short read (a stream drained until its next edge) from a
    /// full one. `None` for every other op.
    pub fn read_room(&self) -> Option<usize> {
        self.kind.read_room()
    }
}

/// The epoll form's verdict.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// The operation is finished with this result.
    Done(io::Result<usize>),
    /// A multishot operation produced one shot and may produce more.
    Shot(io::Result<usize>, Output),
    /// Not ready: queue the operation on this side of the descriptor.
    Again(Side),
}

/// Which readiness an operation waits for on epoll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Read,
    Write,
}

/// Runs a non-blocking system call, retrying on EINTR; EAGAIN means `Again`.
pub(crate) fn attempt(side: Side, mut call: impl FnMut() -> isize) -> Attempt {
    loop {
        let ret = call();
        if ret >= 0 {
            return Attempt::Done(Ok(ret as usize));
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN) => return Attempt::Again(side),
            _ => return Attempt::Done(Err(err)),
        }
    }
}

/// A CQE result as an `io::Result`.
pub(crate) fn cqe_result(res: i32) -> io::Result<usize> {
    if res < 0 {
        Err(io::Error::from_raw_os_error(-res))
    } else {
        Ok(res as usize)
    }
}

/// Context for building SQEs.
pub(crate) struct UringCtx {
    pub(crate) buf_group: Option<u16>,
}

/// Context for epoll attempts.
pub(crate) struct EpollCtx<'a> {
    pub(crate) scratch: &'a mut [u8],
}

impl OpKind {
    /// The descriptor the operation waits on (none for timeouts).
    /// For a plain receive into a buffer (`Recv`, `Read`): the room it
    /// offers, so the epoll driver can tell a short read (the stream was
    /// drained) from a full one. `None` for every other op.
    pub(crate) fn read_room(&self) -> Option<usize> {
        match self {
            OpKind::Recv(o) => Some(o.room()),
            OpKind::Read(o) => Some(o.room()),
            _ => None,
        }
    }

    pub(crate) fn fd(&self) -> Option<RawFd> {
        Some(match self {
            OpKind::Accept(o) => o.fd,
            OpKind::Connect(o) => o.fd,
            OpKind::Recv(o) => o.fd,
            OpKind::RecvFrom(o) => o.fd,
            OpKind::RecvMulti(o) => o.fd,
            OpKind::Send(o) => o.fd,
            OpKind::SendTo(o) => o.fd,
            OpKind::SendVectored(o) => o.fd,
            OpKind::SendZc(o) => o.fd,
            OpKind::Read(o) => o.fd,
            OpKind::Write(o) => o.fd,
            OpKind::Close(o) => o.fd,
            OpKind::Poll(o) => o.fd,
            OpKind::Timeout(_) => return None,
        })
    }

    pub(crate) fn is_multishot(&self) -> bool {
        match self {
            OpKind::Accept(o) => o.multi,
            OpKind::Poll(o) => o.multi,
            OpKind::RecvMulti(_) => true,
            _ => false,
        }
    }

    /// The io_uring form.
    pub(crate) fn sqe(&mut self, ctx: &UringCtx) -> io::Result<squeue::Entry> {
        Ok(match self {
            OpKind::Accept(o) => o.sqe(),
            OpKind::Connect(o) => o.sqe(),
            OpKind::Recv(o) => o.sqe(),
            OpKind::RecvFrom(o) => o.sqe(),
            OpKind::RecvMulti(o) => o.sqe(ctx)?,
            OpKind::Send(o) => o.sqe(),
            OpKind::SendTo(o) => o.sqe(),
            OpKind::SendVectored(o) => o.sqe(),
            OpKind::SendZc(o) => o.sqe(),
            OpKind::Read(o) => o.sqe(),
            OpKind::Write(o) => o.sqe(),
            OpKind::Close(o) => o.sqe(),
            OpKind::Timeout(o) => o.sqe(),
            OpKind::Poll(o) => o.sqe(),
        })
    }

    /// The epoll form. Timeouts never get here (the timer heap runs them).
    pub(crate) fn attempt(&mut self, ctx: &mut EpollCtx<'_>) -> Attempt {
        match self {
            OpKind::Accept(o) => o.attempt(),
            OpKind::Connect(o) => o.attempt(),
            OpKind::Recv(o) => o.attempt(),
            OpKind::RecvFrom(o) => o.attempt(),
            OpKind::RecvMulti(o) => o.attempt(ctx),
            OpKind::Send(o) => o.attempt(),
            OpKind::SendTo(o) => o.attempt(),
            OpKind::SendVectored(o) => o.attempt(),
            OpKind::SendZc(o) => o.attempt(),
            OpKind::Read(o) => o.attempt(),
            OpKind::Write(o) => o.attempt(),
            OpKind::Close(o) => o.attempt(),
            OpKind::Poll(o) => o.attempt(),
            OpKind::Timeout(_) => Attempt::Done(Ok(0)),
        }
    }

    /// Turns a finished operation and its result into what the caller gets.
    /// `res` may be adjusted (a timeout's ETIME is its success).
    pub(crate) fn finish(self, res: io::Result<usize>) -> (io::Result<usize>, Output) {
        match self {
            OpKind::Accept(o) => o.finish(res),
            OpKind::Recv(o) => o.finish(res),
            OpKind::RecvFrom(o) => o.finish(res),
            OpKind::Read(o) => o.finish(res),
            OpKind::Send(o) => (res, Output::Buf(o.buf)),
            OpKind::SendTo(o) => (res, Output::Buf(o.buf)),
            OpKind::Write(o) => (res, Output::Buf(o.buf)),
            OpKind::SendZc(o) => (res, Output::Buf(o.buf)),
            OpKind::SendVectored(o) => match o.into_parts() {
                send_vectored::Parts::Owned(b) => (res, Output::Bufs(b)),
                send_vectored::Parts::Shared(b) => (res, Output::SharedBufs(b)),
            },
            OpKind::Timeout(_) => (timeout::finish(res), Output::None),
            OpKind::Poll(_) => poll::finish(res),
            OpKind::Connect(o) => (o.finish(res), Output::None),
            OpKind::Close(_) | OpKind::RecvMulti(_) => (res, Output::None),
        }
    }

    /// One shot of a multishot operation, from its CQE.
    pub(crate) fn shot(&mut self, res: i32, flags: u32, ring: Option<&mut BufRing>) -> Output {
        match self {
            OpKind::Accept(_) if res >= 0 => accept::socket(res),
            OpKind::Poll(_) if res >= 0 => Output::Ready(Readiness(res as u32)),
            OpKind::RecvMulti(_) => recv_multi::shot(res, flags, ring),
            _ => Output::None,
        }
    }
}
