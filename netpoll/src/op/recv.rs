//! Receive into the spare capacity of an owned buffer.

use std::io;
use std::os::fd::RawFd;

use io_uring::{opcode, squeue, types::Fd};

use super::{Attempt, Output, Side, attempt};

#[derive(Debug)]
pub(crate) struct Recv {
    pub(crate) fd: RawFd,
    buf: Vec<u8>,
}

impl Recv {
    pub(crate) fn new(fd: RawFd, buf: Vec<u8>) -> Recv {
        Recv { fd, buf }
    }

    /// Bytes of spare capacity the call may fill.
    pub(crate) fn room(&self) -> usize {
        self.buf.capacity() - self.buf.len()
    }

    fn spare(&mut self) -> (*mut u8, usize) {
        let spare = self.buf.spare_capacity_mut();
        (spare.as_mut_ptr().cast(), spare.len())
    }

    /// io_uring form. The buffer's heap block does not move while the op
    /// sits in the table, whatever happens to the table's own storage.
    pub(crate) fn sqe(&mut self) -> squeue::Entry {
        let (ptr, len) = self.spare();
        opcode::Recv::new(Fd(self.fd), ptr, len.min(u32::MAX as usize) as u32).build()
    }

    /// epoll form.
    pub(crate) fn attempt(&mut self) -> Attempt {
        let (ptr, len) = self.spare();
        let fd = self.fd;
        // SAFETY: `ptr..ptr+len` is the buffer's spare capacity, owned by this op.
        attempt(Side::Read, || unsafe {
            crate::socket::recv(fd, ptr, len, 0)
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
