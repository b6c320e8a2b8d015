//! The `msghdr` and its one `iovec` that `send_to` and `recv_from` hand to
//! `sendmsg`/`recvmsg` (`IORING_OP_SENDMSG`/`IORING_OP_RECVMSG`).
//!
//! # Rules
//!
//! 1. A [`MsgHdr`] is boxed by its op and lives as long as the op, which
//!    stays in the poller's table until its final completion (table rule 1),
//!    so the kernel may read the header, and write `msg_namelen` and
//!    `msg_flags` back into it, after the op has moved or been abandoned.
//! 2. Its pointers are written by [`MsgHdr::aim`] just before each use (each
//!    SQE, each epoll attempt), from places the same op owns: its buffer's
//!    heap block, its boxed [`RawAddr`](super::addr::RawAddr), and this
//!    box's own `iov`. None of those moves while the op lives (a `Vec` is
//!    never resized by an op, a box never moves its contents).

use std::mem;

/// `msghdr` + one `iovec`, kept together at a stable heap address.
pub(crate) struct MsgHdr {
    msg: libc::msghdr,
    iov: libc::iovec,
}

// SAFETY: the raw pointers inside point only into memory owned by the op
// that owns this header (rule 2): its buffer, its address box and this box.
// They travel with the op, and nothing else reads or writes through them
// except the kernel on the op's behalf, so moving the op (and this header)
// to another thread shares nothing.
unsafe impl Send for MsgHdr {}

impl MsgHdr {
    pub(crate) fn new() -> Box<MsgHdr> {
        Box::new(MsgHdr {
            // SAFETY: msghdr is plain data; all-zero is "no name, no data,
            // no control".
            msg: unsafe { mem::zeroed() },
            iov: libc::iovec {
                iov_base: std::ptr::null_mut(),
                iov_len: 0,
            },
        })
    }

    /// Points the header at `len` bytes at `data` and at a socket address
    /// of `name_len` bytes at `name` (rule 2), and returns it for the call.
    pub(crate) fn aim(
        &mut self,
        data: *mut u8,
        len: usize,
        name: *mut libc::sockaddr,
        name_len: libc::socklen_t,
    ) -> *mut libc::msghdr {
        self.iov = libc::iovec {
            iov_base: data.cast(),
            iov_len: len,
        };
        self.msg.msg_iov = &raw mut self.iov;
        self.msg.msg_iovlen = 1;
        self.msg.msg_name = name.cast();
        self.msg.msg_namelen = name_len;
        self.msg.msg_control = std::ptr::null_mut();
        self.msg.msg_controllen = 0;
        self.msg.msg_flags = 0;
        &raw mut self.msg
    }

    /// The name length the kernel wrote back after a `recvmsg`.
    pub(crate) fn name_len(&self) -> libc::socklen_t {
        self.msg.msg_namelen
    }
}

impl std::fmt::Debug for MsgHdr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MsgHdr")
            .field("iov_len", &self.iov.iov_len)
            .field("msg_namelen", &self.msg.msg_namelen)
            .finish()
    }
}
