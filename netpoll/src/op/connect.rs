//! Connect a non-blocking socket.

use std::net::SocketAddr;
use std::os::fd::RawFd;

use io_uring::{opcode, squeue, types::Fd};

use super::addr::RawAddr;
use super::{Attempt, Side};

#[derive(Debug)]
pub(crate) struct Connect {
    pub(crate) fd: RawFd,
    addr: Box<RawAddr>,
    /// epoll: `connect` returned EINPROGRESS; now wait for writability.
    started: bool,
}

impl Connect {
    pub(crate) fn new(fd: RawFd, addr: SocketAddr) -> Connect {
        Connect {
            fd,
            addr: RawAddr::new(addr),
            started: false,
        }
    }

    /// io_uring form: the kernel waits for the handshake itself.
    pub(crate) fn sqe(&mut self) -> squeue::Entry {
        opcode::Connect::new(Fd(self.fd), self.addr.as_ptr(), self.addr.len).build()
    }

    /// epoll form: `connect`, then on writability read `SO_ERROR`.
    pub(crate) fn attempt(&mut self) -> Attempt {
        if !self.started {
            loop {
                // SAFETY: the address lives in this op's box for the whole call.
                let ret = unsafe { libc::connect(self.fd, self.addr.as_ptr(), self.addr.len) };
                if ret == 0 {
                    return Attempt::Done(Ok(0));
                }
                let err = std::io::Error::last_os_error();
                match err.raw_os_error() {
                    Some(libc::EINTR) => continue,
                    Some(libc::EINPROGRESS) | Some(libc::EAGAIN) => {
                        self.started = true;
                        return Attempt::Again(Side::Write);
                    }
                    _ => return Attempt::Done(Err(err)),
                }
            }
        }
        let mut error: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `error` and `len` are valid for the call.
        let ret = unsafe {
            libc::getsockopt(
                self.fd,
                libc::SOL_SOCKET,
                libc::SO_ERROR,
                (&raw mut error).cast(),
                &mut len,
            )
        };
        if ret < 0 {
            return Attempt::Done(Err(std::io::Error::last_os_error()));
        }
        match error {
            0 => Attempt::Done(Ok(0)),
            libc::EINPROGRESS | libc::EALREADY => Attempt::Again(Side::Write),
            e => Attempt::Done(Err(std::io::Error::from_raw_os_error(e))),
        }
    }
}
