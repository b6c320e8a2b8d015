//! Write an owned buffer to a pipe or file.

use std::os::fd::RawFd;

use io_uring::{opcode, squeue, types::Fd};

use super::{Attempt, Side, attempt};

#[derive(Debug)]
pub(crate) struct Write {
    pub(crate) fd: RawFd,
    pub(crate) buf: Vec<u8>,
    offset: Option<u64>,
}

impl Write {
    pub(crate) fn new(fd: RawFd, buf: Vec<u8>, offset: Option<u64>) -> Write {
        Write { fd, buf, offset }
    }

    /// io_uring form; offset `-1` means "the current position".
    pub(crate) fn sqe(&mut self) -> squeue::Entry {
        let len = self.buf.len().min(u32::MAX as usize) as u32;
        opcode::Write::new(Fd(self.fd), self.buf.as_ptr(), len)
            .offset(self.offset.unwrap_or(u64::MAX))
            .build()
    }

    /// epoll form: `write` or `pwrite`.
    pub(crate) fn attempt(&mut self) -> Attempt {
        let (fd, ptr, len, offset) = (self.fd, self.buf.as_ptr(), self.buf.len(), self.offset);
        attempt(Side::Write, || match offset {
            // SAFETY: the buffer is owned by this op and initialised up to `len`.
            None => unsafe { libc::write(fd, ptr.cast(), len) },
            // SAFETY: as above.
            Some(off) => unsafe { libc::pwrite(fd, ptr.cast(), len, off as libc::off_t) },
        })
    }
}
