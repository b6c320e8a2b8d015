//! Read from a pipe or file into the spare capacity of an owned buffer.

use std::io;
use std::os::fd::RawFd;

use io_uring::{opcode, squeue, types::Fd};

use super::{Attempt, Output, Side, attempt};

#[derive(Debug)]
pub(crate) struct Read {
    pub(crate) fd: RawFd,
    buf: Vec<u8>,
    offset: Option<u64>,
}

impl Read {
    pub(crate) fn new(fd: RawFd, buf: Vec<u8>, offset: Option<u64>) -> Read {
        Read { fd, buf, offset }
    }

    /// Bytes of spare capacity the call may fill.
    pub(crate) fn room(&self) -> usize {
        self.buf.capacity() - self.buf.len()
    }

    fn spare(&mut self) -> (*mut u8, usize) {
        let spare = self.buf.spare_capacity_mut();
        (spare.as_mut_ptr().cast(), spare.len())
    }

    /// io_uring form; offset `-1` means "the current position".
    pub(crate) fn sqe(&mut self) -> squeue::Entry {
        let offset = self.offset.unwrap_or(u64::MAX);
        let (ptr, len) = self.spare();
        opcode::Read::new(Fd(self.fd), ptr, len.min(u32::MAX as usize) as u32)
            .offset(offset)
            .build()
    }

    /// epoll form: `read` or `pread`. Regular files never say EAGAIN, so the
    /// call simply runs (and blocks on the disk, as with any epoll loop).
    pub(crate) fn attempt(&mut self) -> Attempt {
        let (ptr, len) = self.spare();
        let (fd, offset) = (self.fd, self.offset);
        attempt(Side::Read, || match offset {
            // SAFETY: `ptr..ptr+len` is spare capacity owned by this op.
            None => unsafe { libc::read(fd, ptr.cast(), len) },
            // SAFETY: as above.
            Some(off) => unsafe { libc::pread(fd, ptr.cast(), len, off as libc::off_t) },
        })
    }

    pub(crate) fn finish(mut self, res: io::Result<usize>) -> (io::Result<usize>, Output) {
        if let Ok(n) = res {
            let len = self.buf.len() + n;
            assert!(
                len <= self.buf.capacity(),
                "kernel reported more bytes than room"
            );
            // SAFETY: the kernel initialised `n` bytes of spare capacity (checked to fit).
            unsafe { self.buf.set_len(len) };
        }
        (res, Output::Buf(self.buf))
    }
}
