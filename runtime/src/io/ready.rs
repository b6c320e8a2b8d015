//! An owned-buffer operation on the epoll backend: the system call runs on
//! the task's own thread, and only a call that would block waits for the
//! runtime reactor's readiness (Go's `pollDesc` wait, tokio's
//! `poll_io`).
//!
//! # Steps of one poll
//!
//! 1. Snapshot both sides' readiness (with their ticks), then run the op's
//!    non-blocking form (`Op::try_now`, netpoll's epoll form of the op).
//! 2. Done: hand the result and buffers back. A stream receive that filled
//!    less than its room also clears the read side with the snapshot: the
//!    socket is drained until its next edge, so the next receive waits
//!    without a failing call (netpoll's rule 9, tokio's short-read clear).
//!    Not for datagram sockets, nor once the peer closed.
//! 3. `EAGAIN`: clear that side with the snapshot and wait for it
//!    (`Registration::poll_ready`); if an edge came in between, the tick
//!    moved, the clear did nothing and the op retries at once.
//! 4. A multishot op (accept, receive) yields each success as a shot and
//!    starts again at step 1 on its next poll.
//! 5. Cancel: one last attempt if the side may be ready (the op completes
//!    anyway: real result, data kept), else `ECANCELED` with the buffer
//!    untouched. Dropping the future drops the op: nothing is in the
//!    kernel's hands on epoll.

use std::cell::RefCell;
use std::io;
use std::task::{Context, Poll};

use goro_netpoll::{Direction, Op, Output, Registration, TryNow};

use super::op::Shot;

thread_local! {
    /// The receive area of multishot receives run on this thread (their
    /// bytes are copied out per shot, as netpoll's epoll driver does).
    static SCRATCH: RefCell<Box<[u8]>> =
        RefCell::new(vec![0u8; super::driver::BUF_RING_SIZE].into_boxed_slice());
}

/// An op driven by readiness.
pub(crate) struct ReadyOp {
    op: Option<Op>,
    reg: Registration,
    /// The side the op waits on after an `EAGAIN` (step 3).
    waiting: Option<Direction>,
    cancelled: bool,
}

impl ReadyOp {
    pub(crate) fn new(op: Op, reg: Registration) -> ReadyOp {
        ReadyOp {
            op: Some(op),
            reg,
            waiting: None,
            cancelled: false,
        }
    }

    /// Step 5.
    pub(crate) fn cancel(&mut self) {
        self.cancelled = true;
    }

    /// The next shot, with whether more follow; `None` once finished.
    pub(crate) fn poll_shot(&mut self, cx: &mut Context<'_>) -> Poll<Option<(Shot, bool)>> {
        loop {
            let Some(op) = self.op.as_mut() else {
                return Poll::Ready(None);
            };
            if let Some(dir) = self.waiting {
                let ready = if self.cancelled {
                    self.reg.ready_event(dir).is_ready()
                } else {
                    self.reg.poll_ready(dir, cx).is_ready()
                };
                if !ready {
                    if self.cancelled {
                        return Poll::Ready(Some((self.finish(Err(cancelled())), false)));
                    }
                    return Poll::Pending;
                }
            } else if !self.cancelled
                && op.read_room().is_some()
                && !self.reg.ready_event(Direction::Read).is_ready()
            {
                // Step 2's mark: known drained, wait for the edge.
                self.waiting = Some(Direction::Read);
                continue;
            }
            self.waiting = None;
            // Step 1.
            let read = self.reg.ready_event(Direction::Read);
            let write = self.reg.ready_event(Direction::Write);
            let room = op.read_room();
            let got = if op.is_multishot() {
                SCRATCH
                    .try_with(|s| op.try_now(&mut s.borrow_mut()))
                    .unwrap_or_else(|_| op.try_now(&mut []))
            } else {
                op.try_now(&mut [])
            };
            match got {
                TryNow::Done(res) => {
                    if let (Some(room), Ok(n)) = (room, &res) {
                        if *n > 0 && *n < room && self.reg.is_stream() && !read.is_closed() {
                            self.reg.clear_readiness(read);
                        }
                    }
                    return Poll::Ready(Some((self.finish(res), false)));
                }
                TryNow::Shot(res, out) => return Poll::Ready(Some(((res, out), true))),
                TryNow::WouldBlock(dir) => {
                    if self.cancelled {
                        return Poll::Ready(Some((self.finish(Err(cancelled())), false)));
                    }
                    self.reg.clear_readiness(match dir {
                        Direction::Read => read,
                        Direction::Write => write,
                    });
                    self.waiting = Some(dir);
                }
            }
        }
    }

    fn finish(&mut self, res: io::Result<usize>) -> Shot {
        match self.op.take() {
            Some(op) => op.finish(res),
            None => (res, Output::None),
        }
    }
}

/// The error of an operation whose cancel won.
pub(crate) fn cancelled() -> io::Error {
    io::Error::from_raw_os_error(libc::ECANCELED)
}
