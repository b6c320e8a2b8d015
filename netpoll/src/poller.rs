//! The entry type.

use std::io;
use std::marker::PhantomData;
use std::os::fd::RawFd;
use std::time::Duration;

use crate::backend::{BackendInfo, BackendKind};
use crate::builder::Builder;
use crate::op::{Completion, Interest, Op};
use crate::stats::Stats;
use crate::sync::Arc;
use crate::sys::{Ops, epoll, uring};
use crate::table::OpId;
use crate::waker::{Waker, WakerInner};

// The io_uring driver is the common case; boxing it would add a pointer
// chase to every call for no gain (there is one `Sys` per thread).
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Sys {
    Uring(uring::Driver),
    Epoll(epoll::Driver),
}

/// One poller: a completion queue of operations with owned buffers, plus
/// readiness registrations, over io_uring or epoll.
///
/// # Threading
///
/// A `Poller` belongs to the thread that created it (`!Send`, `!Sync`): on
/// io_uring the ring is `SINGLE_ISSUER | DEFER_TASKRUN`, so only that thread
/// may submit or reap. Run one poller per worker thread; reach a blocked
/// poller from other threads with its [`Waker`]. Operations belong to the
/// poller that accepted them, so a task that migrates to another worker
/// keeps polling its ops through their original poller's owner.
///
/// # Buffers and cancellation
///
/// An operation owns its buffers from [`submit`](Poller::submit) until its
/// final [`Completion`] hands them back. [`cancel`](Poller::cancel) asks for
/// an early end: the op still completes, with `ECANCELED` or (if it won the
/// race) its real result, so data already received is never silently lost.
/// [`abandon`](Poller::abandon) is the "drop" of an op: it cancels too, but
/// the buffers are freed by the poller once the kernel is done with them and
/// nothing is reported. Dropping the poller abandons everything and waits
/// (at most 2 s) for the kernel to let go; memory it never releases is
/// leaked, never freed under it.
#[derive(Debug)]
pub struct Poller {
    sys: Sys,
    ops: Ops,
    ready: Vec<Completion>,
    waker: Arc<WakerInner>,
    info: BackendInfo,
    stats: Stats,
    _not_send: PhantomData<*const ()>,
}

impl Poller {
    /// A poller with the default settings ([`Builder::new`]).
    pub fn new() -> io::Result<Poller> {
        Builder::new().build()
    }

    /// A builder for the knobs.
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn with(cfg: Builder, info: BackendInfo) -> io::Result<Poller> {
        let waker = WakerInner::new()?;
        let sys = match info.kind {
            BackendKind::IoUring => Sys::Uring(uring::Driver::new(&cfg, waker.clone())?),
            BackendKind::Epoll => Sys::Epoll(epoll::Driver::new(&cfg, waker.clone())?),
        };
        log::debug!("goro-netpoll: backend {info}");
        Ok(Poller {
            sys,
            ops: Ops::default(),
            ready: Vec::new(),
            waker,
            info,
            stats: Stats::default(),
            _not_send: PhantomData,
        })
    }

    /// Which backend runs, and why.
    pub fn backend(&self) -> BackendInfo {
        self.info
    }

    /// Starts `op`; its completion will carry `token`. On io_uring the
    /// kernel sees it at the next [`poll`](Poller::poll); on epoll it is
    /// tried at once and may already be complete (reported by `poll`).
    ///
    /// An op that cannot start (a descriptor epoll refuses, an io_uring
    /// submission queue the kernel will not drain: `EBUSY`) still
    /// completes, with the error, and its completion hands the buffers
    /// back: a refused submit loses nothing.
    pub fn submit(&mut self, op: Op, token: u64) -> io::Result<OpId> {
        let id = self.ops.insert(op.kind, token, op.keep);
        let Poller {
            sys,
            ops,
            ready,
            stats,
            ..
        } = self;
        match sys {
            Sys::Uring(d) => d.submit(ops, id, ready, stats)?,
            Sys::Epoll(d) => d.submit(ops, id, ready, stats)?,
        }
        Ok(id)
    }

    /// Registers `fd` for edge-triggered readiness: every edge is a
    /// completion with `more` set and [`Output::Ready`](crate::Output::Ready),
    /// until [`deregister`](Poller::deregister). As with `EPOLLET`, drain the
    /// descriptor to `WouldBlock` after each event.
    pub fn register(&mut self, fd: RawFd, interest: Interest, token: u64) -> io::Result<OpId> {
        self.submit(Op::poll_multi(fd, interest), token)
    }

    /// Ends a registration; no further events are reported for it.
    pub fn deregister(&mut self, id: OpId) {
        self.abandon(id);
    }

    /// Asks for `id` to end early. It still completes (see the type docs).
    /// Unknown or finished ids are ignored.
    pub fn cancel(&mut self, id: OpId) {
        let Poller {
            sys,
            ops,
            ready,
            stats,
            ..
        } = self;
        match sys {
            Sys::Uring(d) => d.cancel(ops, id, ready, stats),
            Sys::Epoll(d) => d.cancel(ops, id, ready, stats),
        }
    }

    /// Gives `id` up: cancels it, and frees its buffers (closes any socket
    /// it accepted) when the kernel is done, without reporting it. Nothing
    /// of `id` is reported after this call, not even a completion that had
    /// already arrived but was not yet handed out by `poll`.
    pub fn abandon(&mut self, id: OpId) {
        // Completions already queued for it (not yet handed out) go too.
        self.ready.retain(|c| c.id != id);
        match self.ops.get_mut(id) {
            Some(entry) => entry.abandoned = true,
            None => return,
        }
        self.cancel(id);
    }

    /// Forgets everything about `fd` before the caller closes it itself
    /// (needed on epoll, which keeps descriptors registered; a no-op on
    /// io_uring). Ops still waiting on it complete with `ECANCELED`.
    /// [`Op::close`](crate::Op::close) does this for you. With
    /// [`Op::keep_open`](crate::Op::keep_open), call it before dropping
    /// your own reference: io_uring ops that hold one still keep the
    /// descriptor open until they end.
    pub fn release_fd(&mut self, fd: RawFd) {
        let Poller {
            sys,
            ops,
            ready,
            stats,
            ..
        } = self;
        match sys {
            Sys::Uring(d) => d.release_fd(ops, fd, ready, stats),
            Sys::Epoll(d) => d.release_fd(ops, fd, ready, stats),
        }
    }

    /// Submits what is queued and waits up to `timeout` (`None`: forever)
    /// for completions, readiness or a wake; appends what arrived to `out`
    /// and returns how many. Returns at once if something is already there.
    /// Timeouts have sub-millisecond precision (`EXT_ARG` on io_uring,
    /// `epoll_pwait2` on epoll).
    pub fn poll(
        &mut self,
        out: &mut Vec<Completion>,
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        let Poller {
            sys,
            ops,
            ready,
            stats,
            ..
        } = self;
        match sys {
            Sys::Uring(d) => d.wait(ops, ready, timeout, stats)?,
            Sys::Epoll(d) => d.wait(ops, ready, timeout, stats)?,
        }
        let n = self.ready.len();
        out.append(&mut self.ready);
        Ok(n)
    }

    /// A handle that wakes this poller from any thread.
    pub fn waker(&self) -> Waker {
        Waker::new(self.waker.clone())
    }

    /// Counters: system calls, submissions, completions.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Operations accepted and not yet finished (abandoned ones included).
    /// Finished ones may still wait to be handed out by the next `poll`.
    pub fn in_flight(&self) -> usize {
        self.ops.len()
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        let Poller {
            sys, ops, stats, ..
        } = self;
        match sys {
            Sys::Uring(d) => d.shutdown(ops, stats),
            Sys::Epoll(d) => d.shutdown(ops, stats),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Backend;

    #[test]
    #[cfg_attr(miri, ignore = "io_uring system calls")]
    fn a_submit_the_ring_refuses_completes_with_the_error_and_returns_the_buffer() {
        let mut poller = match Builder::new().backend(Backend::IoUring).build() {
            Ok(p) => p,
            Err(e) => {
                eprintln!("io_uring unavailable here ({e}); skipping");
                return;
            }
        };
        let Sys::Uring(driver) = &mut poller.sys else {
            unreachable!("asked for io_uring")
        };
        driver.refuse_pushes = 1;
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors `pipe` writes.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        let mut buf = Vec::with_capacity(4096);
        buf.extend_from_slice(b"kept");

        let id = poller
            .submit(Op::read(fds[0], buf, None), 7)
            .expect("a refused submit is reported by its completion");
        let mut done = Vec::new();
        poller.poll(&mut done, Some(Duration::ZERO)).unwrap();
        assert_eq!(done.len(), 1);
        let c = done.pop().unwrap();
        assert_eq!((c.token, c.id, c.more), (7, id, false));
        assert_eq!(c.result.unwrap_err().raw_os_error(), Some(libc::EBUSY));
        let buf = c.output.into_buf().expect("the buffer comes back");
        assert_eq!((&buf[..], buf.capacity()), (&b"kept"[..], 4096));

        // The ring itself is fine: the next op on it runs as usual.
        // SAFETY: `fds[1]` is the pipe's open write end; 3 bytes from a
        // static slice.
        assert_eq!(unsafe { libc::write(fds[1], b"abc".as_ptr().cast(), 3) }, 3);
        poller
            .submit(Op::read(fds[0], Vec::with_capacity(8), None), 8)
            .unwrap();
        let c = loop {
            poller
                .poll(&mut done, Some(Duration::from_secs(5)))
                .unwrap();
            if let Some(c) = done.pop() {
                break c;
            }
        };
        assert_eq!(c.result.unwrap(), 3);
        assert_eq!(c.output.into_buf().unwrap(), b"abc");
        for fd in fds {
            // SAFETY: both pipe ends are open and owned by this test.
            unsafe { libc::close(fd) };
        }
    }
}
