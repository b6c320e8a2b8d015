//! Close a descriptor the caller handed over.

use std::os::fd::RawFd;

use io_uring::{opcode, squeue, types::Fd};

use super::Attempt;

#[derive(Debug)]
pub(crate) struct Close {
    pub(crate) fd: RawFd,
}

impl Close {
    pub(crate) fn new(fd: RawFd) -> Close {
        Close { fd }
    }

    /// io_uring form.
    pub(crate) fn sqe(&mut self) -> squeue::Entry {
        opcode::Close::new(Fd(self.fd)).build()
    }

    /// epoll form: synchronous (the epoll driver first drops the descriptor
    /// from its set and completes whatever was queued on it).
    pub(crate) fn attempt(&mut self) -> Attempt {
        // SAFETY: the descriptor was handed to this op by `Op::close(OwnedFd)`.
        let ret = unsafe { libc::close(self.fd) };
        if ret < 0 {
            Attempt::Done(Err(std::io::Error::last_os_error()))
        } else {
            Attempt::Done(Ok(0))
        }
    }
}
