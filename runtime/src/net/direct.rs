//! A stream read or write on the epoll backend, run directly: the system
//! call on the task's own thread into (or out of) the caller's `Vec`, and
//! the runtime reactor's readiness between tries. No `Op`, no op table,
//! no mailbox: the steps are those of `io/ready.rs` (numbered the same),
//! specialised to one buffer, because the general path costs about 700
//! instructions a message more than tokio's (docs/runtime-io.md, the paced
//! echo shape).
//!
//! 1. Snapshot the side's readiness (with its tick), then make the call.
//! 2. Done: hand the result and the buffer back. A receive that filled
//!    less than its room clears the read side with the snapshot (drained
//!    until the next edge), unless the peer closed or the socket is not a
//!    stream.
//! 3. `EAGAIN`: clear the side with the snapshot and wait for it; an edge
//!    that came in between moved the tick, so the clear does nothing and
//!    the call is retried at once. A receive on a side known not ready
//!    waits first, without a failing call.
//! 5. Cancel: one last call if the side may be ready (the operation
//!    completes anyway: real result, data kept), else `ECANCELED` with the
//!    buffer untouched. Nothing is ever in the kernel's hands between
//!    polls, so dropping the future needs no clean-up.

use std::io;
use std::os::fd::RawFd;
use std::task::{Context, Poll};

use goro_netpoll::{Direction, Op, Output, Registration, socket};

use crate::io::op::{Shot, already_done};
use crate::io::ready::cancelled;

/// One read or write of a `Vec<u8>` on a stream socket.
pub(crate) struct DirectIo {
    dir: Direction,
    /// `None` once the result has been handed out.
    buf: Option<Vec<u8>>,
    /// The side was found not ready: wait for its next edge (step 3).
    waiting: bool,
    cancelled: bool,
}

impl DirectIo {
    pub(crate) fn new(dir: Direction, buf: Vec<u8>) -> DirectIo {
        DirectIo {
            dir,
            buf: Some(buf),
            waiting: false,
            cancelled: false,
        }
    }

    /// The same operation as a poller op (for io_uring); the buffer moves
    /// into it.
    pub(crate) fn take_op(&mut self, fd: RawFd) -> Op {
        let buf = self.buf.take().unwrap_or_default();
        match self.dir {
            Direction::Read => Op::recv(fd, buf),
            Direction::Write => Op::send(fd, buf),
        }
    }

    /// Which way the bytes go.
    pub(crate) fn direction(&self) -> Direction {
        self.dir
    }

    /// Step 5.
    pub(crate) fn cancel(&mut self) {
        self.cancelled = true;
    }

    /// The result, once; see the module steps.
    pub(crate) fn poll(
        &mut self,
        fd: RawFd,
        reg: &Registration,
        cx: &mut Context<'_>,
    ) -> Poll<Shot> {
        let dir = self.dir;
        if self.buf.is_none() {
            return Poll::Ready((Err(already_done()), Output::None));
        }
        loop {
            let known_not_ready =
                self.waiting || (dir == Direction::Read && !reg.ready_event(dir).is_ready());
            if known_not_ready {
                let ready = if self.cancelled {
                    reg.ready_event(dir).is_ready()
                } else {
                    reg.poll_ready(dir, cx).is_ready()
                };
                if !ready {
                    if self.cancelled {
                        return Poll::Ready(self.finish(Err(cancelled())));
                    }
                    self.waiting = true;
                    return Poll::Pending;
                }
            }
            self.waiting = false;
            // Step 1.
            let ev = reg.ready_event(dir);
            let Some(buf) = self.buf.as_mut() else {
                unreachable!("the buffer leaves only with the result");
            };
            let (len, room) = (buf.len(), buf.capacity() - buf.len());
            let n = match dir {
                // SAFETY: the `room` bytes after `len` are the Vec's own
                // spare capacity, writable for the whole call.
                Direction::Read => unsafe { socket::recv(fd, buf.as_mut_ptr().add(len), room, 0) },
                // SAFETY: `buf` is `len` readable bytes for the whole call;
                // MSG_NOSIGNAL: a closed peer is EPIPE, not SIGPIPE.
                Direction::Write => unsafe {
                    socket::send(fd, buf.as_ptr(), len, libc::MSG_NOSIGNAL)
                },
            };
            if n >= 0 {
                let n = n as usize;
                if dir == Direction::Read {
                    // SAFETY: the kernel initialised `n <= room` bytes
                    // after `len`.
                    unsafe { buf.set_len(len + n) };
                    // Step 2's clear.
                    reg.clear_if_drained(ev, n, room);
                }
                return Poll::Ready(self.finish(Ok(n)));
            }
            let err = io::Error::last_os_error();
            match err.kind() {
                io::ErrorKind::WouldBlock => {
                    if self.cancelled {
                        return Poll::Ready(self.finish(Err(cancelled())));
                    }
                    // Step 3.
                    reg.clear_readiness(ev);
                    self.waiting = true;
                }
                io::ErrorKind::Interrupted => {}
                _ => return Poll::Ready(self.finish(Err(err))),
            }
        }
    }

    fn finish(&mut self, res: io::Result<usize>) -> Shot {
        (res, Output::Buf(self.buf.take().unwrap_or_default()))
    }
}
