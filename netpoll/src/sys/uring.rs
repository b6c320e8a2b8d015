//! The io_uring backend: completions natively.
//!
//! # Protocol
//!
//! 1. `submit` only queues an SQE (user_data = the op's id); SQEs go to the
//!    kernel with the next `poll`, in the same `io_uring_enter` that waits,
//!    so a worker loop turn costs one system call however many ops it starts.
//! 2. Every op stays in the table until its final CQE (table rule 1). A
//!    cancel is an `ASYNC_CANCEL` SQE tagged `CANCEL_TAG`; the target still
//!    completes, with `ECANCELED` or with its real result if it won the race.
//! 3. Multishot ops (accept, recv from the buffer ring, poll) report each CQE
//!    flagged `IORING_CQE_F_MORE` as a shot. A final CQE of a multishot op
//!    that was not cancelled and did not fail is re-armed under the same id
//!    (the kernel ends multishot requests on CQ overflow, and a receive that
//!    found the buffer ring empty ends with ENOBUFS).
//! 4. The waker's eventfd has a `READ` in flight tagged `WAKE_TAG`; its CQE
//!    is the drain of waker protocol step 2, and it is re-armed at the start
//!    of the next `poll`.
//! 5. Dropping the poller cancels every op and waits (bounded) for their
//!    final CQEs; whatever has not come back by then is leaked, never freed,
//!    since the kernel may still write to it (tokio-uring#158).
//! 6. A zero-copy send posts its result (`F_MORE`) and later a notification
//!    (`F_NOTIF`) when the kernel stops reading its pages: the op stays in
//!    the table, holding the buffer and the result, until the notification.
//!
//! Threading: the ring is set up with `SINGLE_ISSUER | DEFER_TASKRUN` by
//! default, so only the creating thread may submit or reap; `Poller` is
//! `!Send` to make that a compile error.

use std::io;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use io_uring::{IoUring, cqueue, opcode, squeue, types::Fd};

use super::{Ops, finish, shot};
use crate::bufring::{self, BufRing};
use crate::builder::Builder;
use crate::op::{Completion, OpKind, UringCtx, cqe_result};
use crate::stats::Stats;
use crate::sync::Arc;
use crate::table::{OpId, internal_tag};
use crate::waker::WakerInner;

const WAKE_TAG: u64 = internal_tag(0);
const CANCEL_TAG: u64 = internal_tag(1);

const ENTER_GETEVENTS: u32 = 1 << 0;
const ENTER_SQ_WAKEUP: u32 = 1 << 1;
const ENTER_EXT_ARG: u32 = 1 << 3;
const ENTER_REGISTERED_RING: u32 = 1 << 4;
const REGISTER_RING_FDS: u32 = 20;

/// `struct io_uring_getevents_arg` (EXT_ARG, Linux 5.11).
#[repr(C)]
struct GeteventsArg {
    sigmask: u64,
    sigmask_sz: u32,
    min_wait_usec: u32,
    ts: u64,
}

/// `struct __kernel_timespec`.
#[repr(C)]
struct KernelTimespec {
    tv_sec: i64,
    tv_nsec: i64,
}

/// `struct io_uring_rsrc_update`, for registering the ring fd.
#[repr(C)]
struct RsrcUpdate {
    offset: u32,
    resv: u32,
    data: u64,
}

/// The io_uring driver.
pub(crate) struct Driver {
    ring: IoUring,
    /// Index of the registered ring fd: enters skip the fd table lookup.
    ring_index: Option<u32>,
    sqpoll: bool,
    waker: Arc<WakerInner>,
    wake_buf: Box<u64>,
    wake_armed: bool,
    bufs: Option<BufRing>,
    cqes: Vec<(u64, i32, u32)>,
    /// Tests only: how many coming SQE pushes fail as if the queue were
    /// full and the kernel would take nothing (a state this kernel cannot
    /// be driven into on demand).
    #[cfg(test)]
    pub(crate) refuse_pushes: u32,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("uring::Driver")
            .field("ring_index", &self.ring_index)
            .field("sqpoll", &self.sqpoll)
            .finish_non_exhaustive()
    }
}

impl Driver {
    pub(crate) fn new(cfg: &Builder, waker: Arc<WakerInner>) -> io::Result<Driver> {
        let mut builder = IoUring::builder();
        builder
            .setup_clamp()
            .setup_cqsize(cfg.entries.saturating_mul(4));
        if let Some(idle) = cfg.sqpoll {
            builder.setup_sqpoll(idle.as_millis().min(u32::MAX as u128) as u32);
        } else if cfg.single_issuer {
            builder.setup_single_issuer().setup_defer_taskrun();
        } else {
            builder.setup_coop_taskrun();
        }
        let ring = match builder.build(cfg.entries) {
            Ok(ring) => ring,
            // Older kernels (< 6.1) reject DEFER_TASKRUN: run without it.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) && cfg.sqpoll.is_none() => {
                IoUring::builder().setup_clamp().build(cfg.entries)?
            }
            Err(e) => return Err(e),
        };
        let ring_index = if cfg.register_ring_fd {
            register_ring_fd(&ring)
        } else {
            None
        };
        let bufs = match cfg.buf_ring {
            Some((entries, size)) => Some(BufRing::register(&ring, entries, size)?),
            None => None,
        };
        Ok(Driver {
            ring,
            ring_index,
            sqpoll: cfg.sqpoll.is_some(),
            waker,
            wake_buf: Box::new(0),
            wake_armed: false,
            bufs,
            cqes: Vec::with_capacity(256),
            #[cfg(test)]
            refuse_pushes: 0,
        })
    }

    fn ctx(&self) -> UringCtx {
        UringCtx {
            buf_group: self.bufs.as_ref().map(|_| bufring::GROUP),
        }
    }

    /// Queues an SQE, flushing the queue to the kernel once if it is full.
    /// If the kernel takes nothing (it refuses submissions while completions
    /// it could not post are backed up), the caller gets `EBUSY` and should
    /// `poll` to reap before submitting more.
    fn push(&mut self, sqe: &squeue::Entry, stats: &mut Stats) -> io::Result<()> {
        #[cfg(test)]
        if self.refuse_pushes > 0 {
            self.refuse_pushes -= 1;
            return Err(io::Error::from_raw_os_error(libc::EBUSY));
        }
        for attempt in 0..2 {
            // SAFETY: every SQE we build points only into memory owned by an
            // entry of the op table (or the driver's own wake buffer), which
            // stays alive until its final CQE (protocol rules 2 and 5).
            if unsafe { self.ring.submission().push(sqe) }.is_ok() {
                return Ok(());
            }
            if attempt == 0 {
                self.enter(0, None, stats)?;
            }
        }
        Err(io::Error::from_raw_os_error(libc::EBUSY))
    }

    /// Queues an op already in the table (rule 1).
    pub(crate) fn submit(
        &mut self,
        ops: &mut Ops,
        id: OpId,
        out: &mut Vec<Completion>,
        stats: &mut Stats,
    ) -> io::Result<()> {
        stats.submitted += 1;
        let ctx = self.ctx();
        let Some(entry) = ops.get_mut(id) else {
            return Ok(());
        };
        let sqe = match entry.op.sqe(&ctx) {
            Ok(sqe) => sqe.user_data(id.as_u64()),
            Err(e) => {
                // Never reached the kernel: completing it here is safe.
                finish(ops, id, Err(e), out, stats);
                return Ok(());
            }
        };
        if let Err(e) = self.push(&sqe, stats) {
            // The SQE is not in the ring (push failed), so the kernel never
            // saw the op: it completes here with the error, and its
            // completion hands the buffers back like any other.
            finish(ops, id, Err(e), out, stats);
        }
        Ok(())
    }

    /// Rule 2: asks the kernel to cancel; the op completes later.
    pub(crate) fn cancel(
        &mut self,
        ops: &mut Ops,
        id: OpId,
        _out: &mut Vec<Completion>,
        stats: &mut Stats,
    ) {
        let Some(entry) = ops.get_mut(id) else { return };
        if entry.cancelling {
            return;
        }
        entry.cancelling = true;
        let sqe = opcode::AsyncCancel::new(id.as_u64())
            .build()
            .user_data(CANCEL_TAG);
        if let Err(e) = self.push(&sqe, stats) {
            log::warn!("goro-netpoll: could not queue a cancel for {id:?}: {e}");
        }
    }

    /// Nothing to release: io_uring holds a file reference per request.
    pub(crate) fn release_fd(
        &mut self,
        _ops: &mut Ops,
        _fd: i32,
        _out: &mut Vec<Completion>,
        _stats: &mut Stats,
    ) {
    }

    /// Submits what is queued, waits for at least one CQE (or `timeout`),
    /// and dispatches every CQE available.
    pub(crate) fn wait(
        &mut self,
        ops: &mut Ops,
        out: &mut Vec<Completion>,
        timeout: Option<Duration>,
        stats: &mut Stats,
    ) -> io::Result<()> {
        if !self.wake_armed {
            let fd = self.waker.raw_fd();
            let buf: *mut u64 = &mut *self.wake_buf;
            let sqe = opcode::Read::new(Fd(fd), buf.cast(), 8)
                .build()
                .user_data(WAKE_TAG);
            self.push(&sqe, stats)?;
            self.wake_armed = true;
        }
        let ready = !out.is_empty() || !self.ring.completion().is_empty();
        let timeout = if ready { Some(Duration::ZERO) } else { timeout };
        let want = if timeout == Some(Duration::ZERO) {
            0
        } else {
            1
        };
        self.enter(want, timeout, stats)?;
        self.reap(ops, out, stats);
        Ok(())
    }

    /// One `io_uring_enter`: submit everything queued, wait for `want` CQEs
    /// at most `timeout` (EXT_ARG), through the registered ring fd if any.
    fn enter(&mut self, want: u32, timeout: Option<Duration>, stats: &mut Stats) -> io::Result<()> {
        let to_submit = self.ring.submission().len() as u32;
        let ts = timeout.map(|t| KernelTimespec {
            tv_sec: t.as_secs().min(i64::MAX as u64) as i64,
            tv_nsec: t.subsec_nanos() as i64,
        });
        let arg = GeteventsArg {
            sigmask: 0,
            sigmask_sz: 8,
            min_wait_usec: 0,
            ts: ts.as_ref().map_or(0, |t| t as *const KernelTimespec as u64),
        };
        // GETEVENTS always: with DEFER_TASKRUN, completions are only posted
        // when we ask for events.
        let mut flags = ENTER_GETEVENTS | ENTER_EXT_ARG;
        let fd = match self.ring_index {
            Some(index) => {
                flags |= ENTER_REGISTERED_RING;
                index as i32
            }
            None => self.ring.as_raw_fd(),
        };
        if self.sqpoll && self.ring.submission().need_wakeup() {
            flags |= ENTER_SQ_WAKEUP;
        }
        stats.syscalls += 1;
        // SAFETY: `arg` and the timespec it points to live across the call;
        // the SQEs being submitted point into table-owned memory (rule 2).
        let ret = unsafe {
            libc::syscall(
                libc::SYS_io_uring_enter,
                fd,
                to_submit,
                want,
                flags,
                &raw const arg,
                std::mem::size_of::<GeteventsArg>(),
            )
        };
        if ret >= 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            // Timed out, interrupted, or the CQ is backed up: reap and go on.
            Some(libc::ETIME) | Some(libc::EINTR) | Some(libc::EBUSY) | Some(libc::EAGAIN) => {
                Ok(())
            }
            _ => Err(err),
        }
    }

    fn reap(&mut self, ops: &mut Ops, out: &mut Vec<Completion>, stats: &mut Stats) {
        let mut cqes = std::mem::take(&mut self.cqes);
        cqes.extend(
            self.ring
                .completion()
                .map(|c| (c.user_data(), c.result(), c.flags())),
        );
        for &(user_data, res, flags) in &cqes {
            self.dispatch(ops, user_data, res, flags, out, stats);
        }
        cqes.clear();
        self.cqes = cqes;
    }

    fn dispatch(
        &mut self,
        ops: &mut Ops,
        user_data: u64,
        res: i32,
        flags: u32,
        out: &mut Vec<Completion>,
        stats: &mut Stats,
    ) {
        if user_data == WAKE_TAG {
            // Rule 4 / waker step 2: the READ drained the eventfd.
            self.wake_armed = false;
            self.waker.state.rearm();
            return;
        }
        if user_data == CANCEL_TAG {
            return;
        }
        let id = OpId::from_u64(user_data);
        let ctx = self.ctx();
        let Some(entry) = ops.get_mut(id) else {
            return; // table rule 2: a stale id
        };
        if let OpKind::SendZc(zc) = &mut entry.op {
            // Rule 6: hold the result until the notification frees the pages.
            if cqueue::notif(flags) {
                let res = zc.result.take().unwrap_or(0);
                finish(ops, id, cqe_result(res), out, stats);
            } else if cqueue::more(flags) {
                zc.result = Some(res);
            } else {
                finish(ops, id, cqe_result(res), out, stats);
            }
            return;
        }
        if !entry.op.is_multishot() {
            finish(ops, id, cqe_result(res), out, stats);
            return;
        }
        // Rule 3.
        let more = cqueue::more(flags);
        let is_recv = matches!(entry.op, OpKind::RecvMulti(_));
        let output = entry.op.shot(res, flags, self.bufs.as_mut());
        let healthy = if is_recv {
            res > 0 || res == -libc::ENOBUFS
        } else {
            res >= 0
        };
        let rearm = !more && !entry.cancelling && healthy;
        let rearm_sqe = if rearm {
            entry.op.sqe(&ctx).ok().map(|s| s.user_data(user_data))
        } else {
            None
        };
        // An ENOBUFS end that we re-arm is not news to the caller.
        if !(is_recv && res == -libc::ENOBUFS && rearm) {
            let finished = !more && rearm_sqe.is_none();
            shot(ops, id, cqe_result(res), output, !finished, out, stats);
        }
        if let Some(sqe) = rearm_sqe
            && let Err(e) = self.push(&sqe, stats)
        {
            log::warn!("goro-netpoll: could not re-arm {id:?}: {e}");
            finish(ops, id, Err(e), out, stats);
        }
    }

    /// Rule 5.
    pub(crate) fn shutdown(&mut self, ops: &mut Ops, stats: &mut Stats) {
        let mut sink = Vec::new();
        for id in ops.ids() {
            if let Some(entry) = ops.get_mut(id) {
                entry.abandoned = true;
            }
            self.cancel(ops, id, &mut sink, stats);
        }
        if self.wake_armed {
            let sqe = opcode::AsyncCancel::new(WAKE_TAG)
                .build()
                .user_data(CANCEL_TAG);
            let _ = self.push(&sqe, stats);
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while ops.len() > 0 || self.wake_armed {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            if self
                .enter(1, Some(left.min(Duration::from_millis(100))), stats)
                .is_err()
            {
                break;
            }
            self.reap(ops, &mut sink, stats);
            sink.clear();
        }
        if ops.len() > 0 || self.wake_armed {
            log::error!(
                "goro-netpoll: {} io_uring operations did not finish at drop; leaking their memory",
                ops.len()
            );
            ops.leak_all();
            std::mem::forget(std::mem::replace(&mut self.wake_buf, Box::new(0)));
            std::mem::forget(self.bufs.take());
        }
    }
}

/// Registers the ring's own fd (Linux 5.18) so enters skip the fd lookup.
fn register_ring_fd(ring: &IoUring) -> Option<u32> {
    let mut update = RsrcUpdate {
        offset: u32::MAX,
        resv: 0,
        data: ring.as_raw_fd() as u64,
    };
    // SAFETY: `update` is valid for the call; nr_args = 1.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_io_uring_register,
            ring.as_raw_fd(),
            REGISTER_RING_FDS,
            &raw mut update,
            1u32,
        )
    };
    (ret == 1).then_some(update.offset)
}
