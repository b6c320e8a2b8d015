//! Accept: one connection, or many with multishot `ACCEPT` on io_uring.
//! Accepted sockets are non-blocking and close-on-exec on both backends.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use io_uring::{opcode, squeue, types::Fd};

use super::{Attempt, Output, Side, attempt};

const FLAGS: i32 = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;

#[derive(Debug)]
pub(crate) struct Accept {
    pub(crate) fd: RawFd,
    pub(crate) multi: bool,
}

impl Accept {
    pub(crate) fn new(fd: RawFd, multi: bool) -> Accept {
        Accept { fd, multi }
    }

    /// io_uring form.
    pub(crate) fn sqe(&mut self) -> squeue::Entry {
        if self.multi {
            opcode::AcceptMulti::new(Fd(self.fd)).flags(FLAGS).build()
        } else {
            opcode::Accept::new(Fd(self.fd), std::ptr::null_mut(), std::ptr::null_mut())
                .flags(FLAGS)
                .build()
        }
    }

    /// epoll form: `accept4`; a multishot accept yields each connection as
    /// a shot and keeps going until EAGAIN.
    pub(crate) fn attempt(&mut self) -> Attempt {
        let fd = self.fd;
        let got = attempt(Side::Read, || {
            // SAFETY: null address pointers are allowed by accept4.
            unsafe { libc::accept4(fd, std::ptr::null_mut(), std::ptr::null_mut(), FLAGS) as isize }
        });
        match got {
            Attempt::Done(Ok(n)) if self.multi => Attempt::Shot(Ok(n), socket(n as i32)),
            other => other,
        }
    }

    pub(crate) fn finish(self, res: io::Result<usize>) -> (io::Result<usize>, Output) {
        match res {
            Ok(n) => (Ok(n), socket(n as i32)),
            Err(e) => (Err(e), Output::None),
        }
    }
}

/// Wraps a descriptor the kernel just created for us. Whoever drops the
/// output closes it, so an abandoned accept leaks nothing (tokio#7979).
pub(crate) fn socket(fd: i32) -> Output {
    // SAFETY: `fd` is a fresh descriptor from accept, owned by nobody else.
    Output::Socket(unsafe { OwnedFd::from_raw_fd(fd) })
}
