//! Receive one datagram into the spare capacity of an owned buffer, with
//! its sender: `recvmsg` with a name (`IORING_OP_RECVMSG` on io_uring).
//!
//! The header and the name storage are boxed (see `msg.rs`): the kernel
//! writes the sender's address and its length into them, possibly after the
//! op was abandoned, so they live until the final completion like the
//! buffer. A datagram longer than the room is truncated as `recv` truncates
//! it: the result is the bytes that fit, and the rest of that datagram is
//! discarded (no `MSG_TRUNC` in the flags we pass, so the kernel reports
//! what it copied, not the datagram's length).

use std::io;
use std::os::fd::RawFd;

use io_uring::{opcode, squeue, types::Fd};

use super::addr::{PeerAddr, RawAddr};
use super::msg::MsgHdr;
use super::{Attempt, Output, Side, attempt};

#[derive(Debug)]
pub(crate) struct RecvFrom {
    pub(crate) fd: RawFd,
    buf: Vec<u8>,
    name: Box<RawAddr>,
    hdr: Box<MsgHdr>,
}

impl RecvFrom {
    pub(crate) fn new(fd: RawFd, buf: Vec<u8>) -> RecvFrom {
        RecvFrom {
            fd,
            buf,
            name: RawAddr::empty(),
            hdr: MsgHdr::new(),
        }
    }

    /// Aims the header at the buffer's spare capacity and the whole name
    /// storage (`msg.rs` rule 2); the kernel writes both.
    fn msg(&mut self) -> *mut libc::msghdr {
        let spare = self.buf.spare_capacity_mut();
        let (data, len) = (spare.as_mut_ptr().cast::<u8>(), spare.len());
        let room = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        let name = self.name.as_mut_ptr();
        self.hdr.aim(data, len, name, room)
    }

    /// io_uring form.
    pub(crate) fn sqe(&mut self) -> squeue::Entry {
        let msg = self.msg();
        opcode::RecvMsg::new(Fd(self.fd), msg).build()
    }

    /// epoll form.
    pub(crate) fn attempt(&mut self) -> Attempt {
        let (fd, msg) = (self.fd, self.msg());
        // SAFETY: `msg` and everything it points to (the buffer's spare
        // capacity, the name storage, the iovec) are owned by this op and
        // live across the call (`msg.rs` rule 2).
        attempt(Side::Read, || unsafe { libc::recvmsg(fd, msg, 0) })
    }

    /// The buffer grown by the bytes received, with the sender; on an error
    /// (a cancel included) the buffer alone, unchanged.
    pub(crate) fn finish(mut self, res: io::Result<usize>) -> (io::Result<usize>, Output) {
        let Ok(n) = res else {
            return (res, Output::Buf(self.buf));
        };
        let len = self.buf.len() + n;
        assert!(
            len <= self.buf.capacity(),
            "kernel reported more bytes than room"
        );
        // SAFETY: the kernel initialised `n` bytes of spare capacity (checked to fit).
        unsafe { self.buf.set_len(len) };
        // The kernel wrote the sender's length back into the header; it never
        // exceeds the room we offered, but clamp so decoding cannot overread.
        let room = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        self.name.len = self.hdr.name_len().min(room);
        (res, Output::Datagram(self.buf, PeerAddr::new(self.name)))
    }
}
