//! A socket descriptor shared by a stream and its halves, and released
//! from every epoll ring that saw it before it closes.
//!
//! epoll keeps a descriptor registered until it is released (see
//! `docs/netpoll.md`, rule 8): were the number closed and reused first,
//! the new socket would inherit a registration the kernel already dropped,
//! and its waits would never end. So closing is a protocol:
//!
//! 1. every op notes its ring in `rings` (epoll rings only; io_uring keeps
//!    no per-descriptor state);
//! 2. on drop, each noted ring gets `Release(fd, holder)`, where `holder`
//!    owns the descriptor;
//! 3. the descriptor closes when the last ring has released it and dropped
//!    its `holder` — never before, so its number cannot be reused early.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use crate::io::driver;
use crate::io::ring::{Request, RingShared};
use crate::sync::{Arc, Mutex};

/// Owns the descriptor; dropping the last clone closes it.
struct Holder(#[allow(dead_code)] OwnedFd);

/// A non-blocking socket known to the I/O driver.
pub(crate) struct SocketFd {
    raw: RawFd,
    holder: Option<Arc<Holder>>,
    rings: Mutex<Vec<Arc<RingShared>>>,
}

impl SocketFd {
    /// Takes `fd`, which must be non-blocking.
    pub(crate) fn new(fd: OwnedFd) -> SocketFd {
        SocketFd {
            raw: fd.as_raw_fd(),
            holder: Some(Arc::new(Holder(fd))),
            rings: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn raw(&self) -> RawFd {
        self.raw
    }

    /// Rule 1: remember that `ring` has seen this descriptor.
    pub(crate) fn note(&self, ring: &Arc<RingShared>) {
        if !ring.is_epoll() {
            return;
        }
        let mut rings = self.rings.lock();
        if !rings.iter().any(|r| Arc::ptr_eq(r, ring)) {
            rings.push(ring.clone());
        }
    }
}

impl Drop for SocketFd {
    fn drop(&mut self) {
        let Some(holder) = self.holder.take() else {
            return;
        };
        let rings = std::mem::take(&mut *self.rings.lock());
        for ring in rings {
            let keep: Arc<dyn Send + Sync> = holder.clone();
            driver::on_ring(&ring, Request::Release(self.raw, keep));
        }
        drop(holder);
    }
}
