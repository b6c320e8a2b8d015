//! Waking a poller blocked in `poll` from another thread.
//!
//! # Protocol (coalescing)
//!
//! An eventfd sits in the poller (registered in the epoll set, or with a
//! `READ` request in flight on the ring). One flag, `pending`, coalesces
//! wakes so that a burst of `wake` calls costs one `write(2)`:
//!
//! 1. A waker publishes its work, then `pending.swap(true, AcqRel)`. Only the
//!    waker that flips it from `false` writes the eventfd; the others rely on
//!    that write (the release half publishes their work to the poller).
//! 2. The poller, woken by the eventfd, first drains it (the `read`), *then*
//!    `pending.swap(false, AcqRel)`, and only then returns to its caller, who
//!    looks at the published work. The acquire half reads the last waker's
//!    RMW, so every wake that found `pending` set is visible to the caller.
//! 3. A wake that lands after the swap in step 2 flips `pending` again and
//!    writes again: no wake is lost. A wake between the drain and the swap
//!    writes nothing, but the poller is already on its way out of `poll`,
//!    so it is not lost either.
//!
//! Clearing `pending` before looking at the work is what matters: a poller
//! that looked first and cleared afterwards could miss work published
//! between the two, and then sleep on an eventfd nobody writes. The loom
//! model `loom-tests/tests/netpoll_waker.rs` checks this against a twin that
//! makes exactly that mistake.
//!
//! MSG_RING is not used: it needs the waking thread to own a ring, and the
//! wakers here are arbitrary threads.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use crate::sync::Arc;
use crate::sync::atomic::{AtomicBool, Ordering::AcqRel};

/// The coalescing state shared by a poller and its wakers (see the module
/// header). Public only so that the loom models can drive it.
#[derive(Debug, Default)]
#[doc(hidden)]
pub struct WakeState {
    pending: AtomicBool,
}

impl WakeState {
    /// A state with no wake pending.
    pub fn new() -> WakeState {
        WakeState {
            pending: AtomicBool::new(false),
        }
    }

    /// Step 1: returns `true` if the caller must signal the poller.
    #[inline]
    pub fn begin_wake(&self) -> bool {
        !self.pending.swap(true, AcqRel)
    }

    /// Step 2: the poller has drained the signal; later wakes signal again.
    #[inline]
    pub fn rearm(&self) {
        self.pending.swap(false, AcqRel);
    }
}

/// The eventfd and its coalescing flag.
#[derive(Debug)]
pub(crate) struct WakerInner {
    fd: OwnedFd,
    pub(crate) state: WakeState,
}

impl WakerInner {
    pub(crate) fn new() -> io::Result<Arc<WakerInner>> {
        // SAFETY: eventfd takes no pointers; the result is checked below.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Arc::new(WakerInner {
            // SAFETY: `fd` was just returned by eventfd and is owned by no one else.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            state: WakeState::new(),
        }))
    }

    pub(crate) fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Drains the eventfd (epoll backend; io_uring drains it with its READ).
    pub(crate) fn drain(&self) {
        let mut value = 0u64;
        // SAFETY: `value` is a valid 8-byte buffer for the whole call; a
        // non-blocking eventfd read fails with EAGAIN when already drained.
        unsafe { libc::read(self.raw_fd(), (&raw mut value).cast(), 8) };
    }
}

/// Wakes a [`Poller`](crate::Poller) blocked in [`poll`](crate::Poller::poll)
/// from any thread.
///
/// Cloning is cheap. Wakes coalesce: until the poller has returned from the
/// `poll` a wake interrupted, further wakes cost no system call.
///
/// ```
/// use goro_netpoll::Poller;
/// use std::time::Duration;
///
/// let mut poller = Poller::new()?;
/// let waker = poller.waker();
/// std::thread::spawn(move || waker.wake().unwrap());
/// let mut done = Vec::new();
/// // Returns once the other thread has woken us (or after 10 s at worst).
/// poller.poll(&mut done, Some(Duration::from_secs(10)))?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Waker {
    inner: Arc<WakerInner>,
}

impl Waker {
    pub(crate) fn new(inner: Arc<WakerInner>) -> Waker {
        Waker { inner }
    }

    /// Makes the poller's current or next `poll` return.
    pub fn wake(&self) -> io::Result<()> {
        if !self.inner.state.begin_wake() {
            return Ok(());
        }
        let one = 1u64;
        // SAFETY: `one` is a valid 8-byte buffer for the whole call.
        let n = unsafe { libc::write(self.inner.raw_fd(), (&raw const one).cast(), 8) };
        if n < 0 {
            let err = io::Error::last_os_error();
            // EAGAIN means the counter is saturated: the poller will wake anyway.
            if err.kind() != io::ErrorKind::WouldBlock {
                return Err(err);
            }
        }
        Ok(())
    }
}
