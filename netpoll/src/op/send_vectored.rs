//! Vectored send: several owned buffers in one `sendmsg`, so a frame header
//! and its payload go out together without being copied into one buffer.

use std::os::fd::RawFd;

use io_uring::{opcode, squeue, types::Fd};

use super::{Attempt, Side};

#[derive(Debug)]
pub(crate) struct SendVectored {
    pub(crate) fd: RawFd,
    bufs: Vec<Vec<u8>>,
    /// Points into `bufs`' heap blocks; boxed so its address is stable too.
    iov: Box<[libc::iovec]>,
    msg: Box<libc::msghdr>,
}

// SAFETY: the raw pointers in `iov` and `msg` point only into heap blocks
// owned by this same value (`bufs`' buffers and `iov`), which move with it
// and are never shared; sending the whole value to another thread keeps
// them valid and unaliased.
unsafe impl Send for SendVectored {}

impl SendVectored {
    pub(crate) fn new(fd: RawFd, bufs: Vec<Vec<u8>>) -> SendVectored {
        let mut iov: Box<[libc::iovec]> = bufs
            .iter()
            .map(|b| libc::iovec {
                iov_base: b.as_ptr() as *mut libc::c_void,
                iov_len: b.len(),
            })
            .collect();
        // SAFETY: msghdr is plain data; all-zero is "no name, no control".
        let mut msg: Box<libc::msghdr> = Box::new(unsafe { std::mem::zeroed() });
        msg.msg_iov = iov.as_mut_ptr();
        msg.msg_iovlen = iov.len() as _;
        SendVectored { fd, bufs, iov, msg }
    }

    /// io_uring form.
    pub(crate) fn sqe(&mut self) -> squeue::Entry {
        opcode::SendMsg::new(Fd(self.fd), &*self.msg)
            .flags(libc::MSG_NOSIGNAL as u32)
            .build()
    }

    /// epoll form.
    pub(crate) fn attempt(&mut self) -> Attempt {
        let (fd, msg) = (self.fd, &*self.msg as *const libc::msghdr);
        // SAFETY: `msg` and the iovecs it names point into buffers this op owns.
        super::attempt(Side::Write, || unsafe {
            libc::sendmsg(fd, msg, libc::MSG_NOSIGNAL)
        })
    }

    pub(crate) fn into_bufs(self) -> Vec<Vec<u8>> {
        drop(self.iov);
        self.bufs
    }
}
