//! Send an owned buffer as one datagram to an address: `sendmsg` with a
//! name (`IORING_OP_SENDMSG` on io_uring), `MSG_NOSIGNAL` as for `send`.
//! The header and the address are boxed (see `msg.rs`), so they stay put
//! until the final completion even if the op is abandoned.

use std::os::fd::RawFd;

use io_uring::{opcode, squeue, types::Fd};

use super::addr::RawAddr;
use super::msg::MsgHdr;
use super::{Attempt, Side, attempt};

#[derive(Debug)]
pub(crate) struct SendTo {
    pub(crate) fd: RawFd,
    pub(crate) buf: Vec<u8>,
    addr: Box<RawAddr>,
    hdr: Box<MsgHdr>,
}

impl SendTo {
    pub(crate) fn new(fd: RawFd, buf: Vec<u8>, addr: Box<RawAddr>) -> SendTo {
        SendTo {
            fd,
            buf,
            addr,
            hdr: MsgHdr::new(),
        }
    }

    /// Aims the header at the whole buffer and the address (`msg.rs` rule 2).
    /// The kernel only reads through these pointers.
    fn msg(&mut self) -> *mut libc::msghdr {
        let (data, len) = (self.buf.as_mut_ptr(), self.buf.len());
        let len_name = self.addr.len;
        let name = self.addr.as_mut_ptr();
        self.hdr.aim(data, len, name, len_name)
    }

    /// io_uring form.
    pub(crate) fn sqe(&mut self) -> squeue::Entry {
        let msg = self.msg();
        opcode::SendMsg::new(Fd(self.fd), msg)
            .flags(libc::MSG_NOSIGNAL as u32)
            .build()
    }

    /// epoll form.
    pub(crate) fn attempt(&mut self) -> Attempt {
        let (fd, msg) = (self.fd, self.msg());
        // SAFETY: `msg` and everything it points to (buffer, address, iovec)
        // are owned by this op and live across the call (`msg.rs` rule 2).
        attempt(Side::Write, || unsafe {
            libc::sendmsg(fd, msg, libc::MSG_NOSIGNAL)
        })
    }
}
