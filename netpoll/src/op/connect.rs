//! Connect a non-blocking socket, or wait for a connect already under way.

use std::io;
use std::net::SocketAddr;
use std::os::fd::RawFd;

use io_uring::{opcode, squeue, types::Fd};

use super::addr::RawAddr;
use super::{Attempt, Side};

#[derive(Debug)]
pub(crate) struct Connect {
    pub(crate) fd: RawFd,
    /// Where to connect; `None` for a resume, which only waits.
    addr: Option<Box<RawAddr>>,
    /// epoll: `connect` returned EINPROGRESS (or, for a resume, was
    /// called before this op); now wait for writability.
    started: bool,
}

impl Connect {
    pub(crate) fn new(fd: RawFd, addr: SocketAddr) -> Connect {
        Connect {
            fd,
            addr: Some(RawAddr::new(addr)),
            started: false,
        }
    }

    /// Waits for the connect already under way on `fd` to finish.
    pub(crate) fn resume(fd: RawFd) -> Connect {
        Connect {
            fd,
            addr: None,
            started: true,
        }
    }

    /// io_uring form: the kernel waits for the handshake itself. A resume
    /// waits for writability, and `finish` reads the outcome.
    pub(crate) fn sqe(&mut self) -> squeue::Entry {
        match &self.addr {
            Some(addr) => opcode::Connect::new(Fd(self.fd), addr.as_ptr(), addr.len).build(),
            None => opcode::PollAdd::new(Fd(self.fd), libc::POLLOUT as u32).build(),
        }
    }

    /// epoll form: `connect`, then on writability read `SO_ERROR`.
    pub(crate) fn attempt(&mut self) -> Attempt {
        if let (false, Some(addr)) = (self.started, &self.addr) {
            loop {
                // SAFETY: the address lives in this op's box for the whole call.
                let ret = unsafe { libc::connect(self.fd, addr.as_ptr(), addr.len) };
                if ret == 0 {
                    return Attempt::Done(Ok(0));
                }
                let err = io::Error::last_os_error();
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
        // A socket still connecting is not writable, and its `SO_ERROR` is
        // 0 all the same: look first.
        match super::poll::ready_now(self.fd, libc::POLLOUT as u32) {
            Ok(0) => return Attempt::Again(Side::Write),
            Ok(_) => {}
            Err(e) => return Attempt::Done(Err(e)),
        }
        match take_socket_error(self.fd) {
            Ok(0) => Attempt::Done(Ok(0)),
            Ok(libc::EINPROGRESS | libc::EALREADY) => Attempt::Again(Side::Write),
            Ok(e) => Attempt::Done(Err(io::Error::from_raw_os_error(e))),
            Err(e) => Attempt::Done(Err(e)),
        }
    }

    /// The caller's result. A connect's is the kernel's. A resume's
    /// writability becomes the connect's outcome: the pending error if the
    /// handshake failed, `ENOTCONN` if no connect was under way (a socket
    /// never connected is writable too), else `Ok(0)`.
    pub(crate) fn finish(&self, res: io::Result<usize>) -> io::Result<usize> {
        if self.addr.is_some() {
            return res;
        }
        res?;
        match take_socket_error(self.fd)? {
            0 => {}
            e => return Err(io::Error::from_raw_os_error(e)),
        }
        // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
        let mut peer: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: `peer` and `len` are valid for the call and sized alike.
        let ret = unsafe { libc::getpeername(self.fd, (&raw mut peer).cast(), &mut len) };
        if ret < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(0)
    }
}

/// Reads and clears the socket's pending error (`SO_ERROR`).
fn take_socket_error(fd: RawFd) -> io::Result<libc::c_int> {
    crate::socket::int_option(fd, libc::SOL_SOCKET, libc::SO_ERROR)
}
