//! Multishot receive from the poller's provided-buffer ring: the kernel picks
//! a buffer only when data arrives, so an idle connection holds none.
//!
//! io_uring: `RECV` with `IORING_RECV_MULTISHOT` and `BUFFER_SELECT`; each
//! CQE names the buffer id it filled; the bytes are copied out and the buffer
//! goes straight back to the ring. epoll: on readability, `recv` into the
//! poller's one scratch buffer and copy out, until EAGAIN.

use std::os::fd::RawFd;

use io_uring::{cqueue, opcode, squeue, types::Fd};

use super::{Attempt, EpollCtx, Output, Side, UringCtx, attempt};
use crate::bufring::BufRing;

#[derive(Debug)]
pub(crate) struct RecvMulti {
    pub(crate) fd: RawFd,
}

impl RecvMulti {
    pub(crate) fn new(fd: RawFd) -> RecvMulti {
        RecvMulti { fd }
    }

    /// io_uring form; needs a buffer ring.
    pub(crate) fn sqe(&mut self, ctx: &UringCtx) -> std::io::Result<squeue::Entry> {
        let group = ctx.buf_group.ok_or_else(no_ring)?;
        Ok(opcode::RecvMulti::new(Fd(self.fd), group).build())
    }

    /// epoll form.
    pub(crate) fn attempt(&mut self, ctx: &mut EpollCtx<'_>) -> Attempt {
        if ctx.scratch.is_empty() {
            return Attempt::Done(Err(no_ring()));
        }
        let (fd, ptr, len) = (self.fd, ctx.scratch.as_mut_ptr(), ctx.scratch.len());
        // SAFETY: the scratch buffer is the driver's, lent for this call only.
        match attempt(Side::Read, || unsafe {
            crate::socket::recv(fd, ptr, len, 0)
        }) {
            Attempt::Done(Ok(0)) => Attempt::Done(Ok(0)),
            Attempt::Done(Ok(n)) => Attempt::Shot(Ok(n), Output::Buf(ctx.scratch[..n].to_vec())),
            other => other,
        }
    }
}

/// One CQE of the io_uring form: copy the bytes out, recycle the buffer.
pub(crate) fn shot(res: i32, flags: u32, ring: Option<&mut BufRing>) -> Output {
    match (cqueue::buffer_select(flags), ring) {
        (Some(bid), Some(ring)) => {
            let len = if res > 0 { res as usize } else { 0 };
            let data = ring.take(bid, len);
            if len > 0 {
                Output::Buf(data)
            } else {
                Output::None
            }
        }
        _ => Output::None,
    }
}

fn no_ring() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "recv_multi needs a buffer ring: Builder::buffer_ring",
    )
}
