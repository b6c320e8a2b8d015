//! A descriptor shared by a socket's owner and the ops that name it.

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use crate::sync::Arc;

/// A descriptor with shared ownership: it closes when the last clone is
/// dropped. Give a clone to each op that names it ([`Op::keep_open`]) and
/// the number stays open until those ops have ended, abandoned or not
/// (what tokio-uring's `SharedFd` does for the same reason).
///
/// [`Op::keep_open`]: crate::Op::keep_open
///
/// ```
/// use std::os::fd::AsRawFd;
/// use goro_netpoll::SharedFd;
/// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
/// let fd = SharedFd::from(std::os::fd::OwnedFd::from(a));
/// let again = fd.clone();
/// assert_eq!(fd.as_raw_fd(), again.as_raw_fd());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct SharedFd(Arc<OwnedFd>);

impl From<OwnedFd> for SharedFd {
    fn from(fd: OwnedFd) -> SharedFd {
        SharedFd(Arc::new(fd))
    }
}

impl AsFd for SharedFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl AsRawFd for SharedFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

impl fmt::Debug for SharedFd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedFd").field(&self.as_raw_fd()).finish()
    }
}
