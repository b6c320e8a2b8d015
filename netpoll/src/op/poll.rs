//! Readiness poll: one shot, or multishot for registrations (edge-triggered
//! on both backends: `POLL_ADD` multishot is `EPOLLET` underneath).

use std::io;
use std::os::fd::RawFd;

use io_uring::{opcode, squeue, types::Fd};

use super::{Attempt, Interest, Output, Readiness};

#[derive(Debug)]
pub(crate) struct PollOp {
    pub(crate) fd: RawFd,
    pub(crate) interest: Interest,
    pub(crate) multi: bool,
}

impl PollOp {
    pub(crate) fn new(fd: RawFd, interest: Interest, multi: bool) -> PollOp {
        PollOp {
            fd,
            interest,
            multi,
        }
    }

    /// io_uring form.
    pub(crate) fn sqe(&mut self) -> squeue::Entry {
        opcode::PollAdd::new(Fd(self.fd), self.interest.bits())
            .multi(self.multi)
            .build()
    }

    /// epoll form, at submit: is the descriptor ready right now? (An fd that
    /// is already registered gets no new edge for old readiness.)
    pub(crate) fn attempt(&mut self) -> Attempt {
        let bits = match ready_now(self.fd, self.interest.bits()) {
            Ok(bits) => bits,
            Err(e) => return Attempt::Done(Err(e)),
        };
        if bits == 0 {
            // The poller's driver files watchers apart and ignores the side;
            // a reactor caller waits on it, so a write-only poll says Write.
            let read = (libc::POLLIN | libc::POLLRDHUP) as u32;
            let side = if self.interest.bits() & read == 0 {
                super::Side::Write
            } else {
                super::Side::Read
            };
            return Attempt::Again(side);
        }
        if self.multi {
            Attempt::Shot(Ok(bits as usize), Output::Ready(Readiness(bits)))
        } else {
            Attempt::Done(Ok(bits as usize))
        }
    }

    /// Whether epoll's event bits concern this watcher.
    pub(crate) fn wants(&self, events: u32) -> bool {
        let err = (libc::EPOLLERR | libc::EPOLLHUP) as u32;
        events & (self.interest.bits() | err) != 0
    }
}

/// The `events` (poll bits) `fd` has right now, errors and hang-ups
/// included; 0 if none (one `poll(2)` with a zero timeout).
pub(crate) fn ready_now(fd: RawFd, events: u32) -> io::Result<u32> {
    let mut pfd = libc::pollfd {
        fd,
        events: events as i16,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd, zero timeout.
        let n = unsafe { libc::poll(&mut pfd, 1, 0) };
        if n >= 0 {
            return Ok(pfd.revents as u16 as u32);
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINTR) {
            return Err(err);
        }
    }
}

pub(crate) fn finish(res: io::Result<usize>) -> (io::Result<usize>, Output) {
    match res {
        Ok(bits) => (Ok(bits), Output::Ready(Readiness(bits as u32))),
        Err(e) => (Err(e), Output::None),
    }
}
