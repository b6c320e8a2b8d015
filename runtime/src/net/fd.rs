//! A socket descriptor shared by a stream and its halves, registered once
//! with the runtime's reactor on epoll.
//!
//! 1. On epoll the descriptor is registered the first time an operation
//!    runs on it (a socket may be built before any runtime exists, as
//!    `TcpListener::bind` outside `block_on` is), under `init`, so two
//!    tasks starting their first ops at once register it once.
//! 2. On drop it is deregistered *before* it closes: the number cannot be
//!    reused while the reactor still thinks it is registered.
//! 3. io_uring keeps no per-descriptor state: nothing to register. Each
//!    ring op holds the descriptor open until its final completion
//!    ([`Route::Ring`]), so it closes when the last of the socket and its
//!    ops lets go, never while an op may still name its number.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use goro_netpoll::{Registration, SharedFd};

use crate::io::driver;
use crate::io::netpoll::Netpoll;
use crate::io::op::Route;
use crate::sync::{Arc, Mutex, OnceLock};

/// A non-blocking socket known to the I/O driver.
pub(crate) struct SocketFd {
    raw: RawFd,
    /// A stream socket (TCP, Unix stream, their listeners), known from the
    /// type that built it: the reactor needs it (a short read clears only a
    /// stream's read side) and need not ask the kernel.
    stream: bool,
    reg: OnceLock<(Arc<Netpoll>, Registration)>,
    init: Mutex<()>,
    /// Closed after `drop` deregistered it (fields drop after `Drop::drop`),
    /// once no ring op holds it any more (rule 3).
    fd: SharedFd,
}

impl SocketFd {
    /// Takes `fd`, a non-blocking stream socket or stream listener.
    pub(crate) fn stream(fd: OwnedFd) -> SocketFd {
        Self::new(fd, true)
    }

    /// Takes `fd`, a non-blocking datagram socket.
    pub(crate) fn datagram(fd: OwnedFd) -> SocketFd {
        Self::new(fd, false)
    }

    fn new(fd: OwnedFd, stream: bool) -> SocketFd {
        SocketFd {
            raw: fd.as_raw_fd(),
            stream,
            reg: OnceLock::new(),
            init: Mutex::new(()),
            fd: SharedFd::from(fd),
        }
    }

    pub(crate) fn raw(&self) -> RawFd {
        self.raw
    }

    /// The reactor registration on epoll (rule 1), `None` on io_uring.
    ///
    /// # Panics
    /// Outside a goro runtime, on first use.
    #[inline]
    pub(crate) fn ready_reg(&self) -> Option<io::Result<&Registration>> {
        if let Some((_, reg)) = self.reg.get() {
            return Some(Ok(reg));
        }
        self.register()
    }

    /// Where an op on this socket runs: the reactor on epoll, a ring on
    /// io_uring (rule 3).
    pub(crate) fn route(&self) -> Route {
        match self.ready_reg() {
            None => Route::Ring(self.fd.clone()),
            Some(Ok(reg)) => Route::Ready(reg.clone()),
            Some(Err(e)) => Route::Failed(e),
        }
    }

    #[cold]
    fn register(&self) -> Option<io::Result<&Registration>> {
        let np = driver::current_netpoll()?;
        let _init = self.init.lock();
        if let Some((_, reg)) = self.reg.get() {
            return Some(Ok(reg));
        }
        let reg = match np.reactor().register_socket(self.raw, self.stream) {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        let _ = self.reg.set((np, reg));
        self.reg.get().map(|(_, reg)| Ok(reg))
    }
}

impl Drop for SocketFd {
    fn drop(&mut self) {
        // Rule 2.
        if let Some((np, reg)) = self.reg.get() {
            np.reactor().deregister(reg);
        }
    }
}
