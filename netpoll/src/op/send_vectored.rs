//! Vectored send: several owned buffers in one `sendmsg`, so a frame header
//! and its payload go out together without being copied into one buffer.
//! The buffers are `Vec<u8>`s or shared `Bytes` (a refcounted, immutable
//! block: the op holds a reference, so the memory stays put and unchanged
//! while the kernel reads it, and the caller's clones stay valid).

use std::os::fd::RawFd;

use bytes::Bytes;

use io_uring::{opcode, squeue, types::Fd};

use super::{Attempt, Side};

/// The buffers a vectored send owns.
#[derive(Debug)]
pub(crate) enum Parts {
    Owned(Vec<Vec<u8>>),
    Shared(Vec<Bytes>),
}

impl Parts {
    fn slices(&self) -> Vec<&[u8]> {
        match self {
            Parts::Owned(v) => v.iter().map(|b| &b[..]).collect(),
            Parts::Shared(v) => v.iter().map(|b| &b[..]).collect(),
        }
    }
}

#[derive(Debug)]
pub(crate) struct SendVectored {
    pub(crate) fd: RawFd,
    bufs: Parts,
    /// Points into `bufs`' heap blocks; boxed so its address is stable too.
    iov: Box<[libc::iovec]>,
    msg: Box<libc::msghdr>,
}

// SAFETY: the raw pointers in `iov` and `msg` point only into heap blocks
// owned by this same value (`bufs`' buffers and `iov`) or, for `Bytes`,
// kept alive and immutable by the reference this value holds; they move
// with it, and sending the whole value to another thread keeps them valid.
unsafe impl Send for SendVectored {}

impl SendVectored {
    pub(crate) fn new(fd: RawFd, bufs: Parts) -> SendVectored {
        let mut iov: Box<[libc::iovec]> = bufs
            .slices()
            .into_iter()
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

    pub(crate) fn into_parts(self) -> Parts {
        drop(self.iov);
        self.bufs
    }
}
