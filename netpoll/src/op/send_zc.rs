//! Zero-copy send (opt-in): io_uring `SEND_ZC` (Linux 6.0) pins the pages
//! instead of copying them, and posts two CQEs: the result (flagged
//! `F_MORE`), then a notification (`F_NOTIF`) once the kernel no longer reads
//! the buffer. The buffer comes back only with the notification, so the
//! completion is held until then and carries the first CQE's result.
//!
//! The epoll form is an ordinary (copying) send: `MSG_ZEROCOPY` would need an
//! error-queue reader, and for small writes it costs more than it saves.
//! Only TCP/UDP sockets support it on io_uring (`EOPNOTSUPP` otherwise).

use std::os::fd::RawFd;

use io_uring::{opcode, squeue, types::Fd};

use super::{Attempt, Side, attempt};

#[derive(Debug)]
pub(crate) struct SendZc {
    pub(crate) fd: RawFd,
    pub(crate) buf: Vec<u8>,
    /// io_uring: the first CQE's result, held until the notification.
    pub(crate) result: Option<i32>,
}

impl SendZc {
    pub(crate) fn new(fd: RawFd, buf: Vec<u8>) -> SendZc {
        SendZc {
            fd,
            buf,
            result: None,
        }
    }

    /// io_uring form.
    pub(crate) fn sqe(&mut self) -> squeue::Entry {
        let len = self.buf.len().min(u32::MAX as usize) as u32;
        opcode::SendZc::new(Fd(self.fd), self.buf.as_ptr(), len)
            .flags(libc::MSG_NOSIGNAL)
            .build()
    }

    /// epoll form: a plain send.
    pub(crate) fn attempt(&mut self) -> Attempt {
        let (fd, ptr, len) = (self.fd, self.buf.as_ptr(), self.buf.len());
        // SAFETY: the buffer is owned by this op and initialised up to `len`.
        attempt(Side::Write, || unsafe {
            crate::socket::send(fd, ptr, len, libc::MSG_NOSIGNAL)
        })
    }
}
