//! Send an owned buffer on a socket (`MSG_NOSIGNAL`: a reset peer is an
//! `EPIPE` result, not a signal).

use std::os::fd::RawFd;

use io_uring::{opcode, squeue, types::Fd};

use super::{Attempt, Side, attempt};

#[derive(Debug)]
pub(crate) struct Send {
    pub(crate) fd: RawFd,
    pub(crate) buf: Vec<u8>,
}

impl Send {
    pub(crate) fn new(fd: RawFd, buf: Vec<u8>) -> Send {
        Send { fd, buf }
    }

    /// io_uring form.
    pub(crate) fn sqe(&mut self) -> squeue::Entry {
        let len = self.buf.len().min(u32::MAX as usize) as u32;
        opcode::Send::new(Fd(self.fd), self.buf.as_ptr(), len)
            .flags(libc::MSG_NOSIGNAL)
            .build()
    }

    /// epoll form.
    pub(crate) fn attempt(&mut self) -> Attempt {
        let (fd, ptr, len) = (self.fd, self.buf.as_ptr(), self.buf.len());
        // SAFETY: the buffer is owned by this op and initialised up to `len`.
        attempt(Side::Write, || unsafe {
            crate::socket::send(fd, ptr, len, libc::MSG_NOSIGNAL)
        })
    }
}
