//! The epoll backend: readiness natively, completions emulated.
//!
//! # How operations run
//!
//! 1. Optimistic first: `submit` runs the operation's non-blocking system
//!    call at once (Go's and monoio's legacy driver's way). Only on EAGAIN is
//!    the op queued on its descriptor, on the read or the write side.
//! 2. A descriptor is added to the epoll set the first time an op has to
//!    wait on it, with `EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET`, and stays
//!    there until `Op::close` or `Poller::release_fd` (register once, as Go
//!    does: no `epoll_ctl` per operation).
//! 3. Edge-triggered is safe because a queued op only ever waits after its
//!    own attempt saw EAGAIN; any byte arriving later makes a new edge, and
//!    `EPOLL_CTL_ADD` reports readiness that predates the registration. On an
//!    edge the queue is retried front to back until an op sees EAGAIN again.
//! 4. `epoll_data` holds `fd | generation << 32`; the generation changes
//!    whenever a descriptor leaves the set, so events still in the buffer for
//!    a closed-and-reused number are dropped (Go's tagged `pollDesc`).
//! 5. Watchers (poll ops and registrations) see every edge without a system
//!    call; one-shot watchers leave after their first.
//! 6. Timers live in a heap; the wait's timeout is the nearest deadline.
//!    `epoll_pwait2` (5.11) gives nanosecond timeouts; without it, waits are
//!    rounded *up* to the next millisecond, never down.
//! 7. Nothing here is owned by the kernel: cancel completes at once with
//!    `ECANCELED`, and dropping the poller frees everything.
//! 9. A stream socket known to be drained skips the optimistic call (tokio
//!    does the same): a `recv` that filled less than its buffer, or any read
//!    that saw EAGAIN, marks the descriptor drained, and the next read
//!    queues without a system call until a read edge arrives. Safe for
//!    stream sockets because every byte arriving after the short read
//!    makes a new edge (the kernel's wake-up callback runs per arrival),
//!    and events are handled on this thread after the read that set the
//!    mark. A request-response connection saves the EAGAIN `recv` it made
//!    per message. Datagram sockets never get the mark (a short datagram
//!    says nothing about the next one), nor does a stream once an event has
//!    said the peer closed or reset it (a short read can leave the end of
//!    stream behind it, and no edge would follow; tokio keeps "read
//!    closed" sticky for the same reason).
//! 8. Ops that completed at submit are handed out by the next `poll` without
//!    an `epoll_wait` at all: the optimistic path costs the I/O call only.
//!    So that a stream of such ops cannot starve descriptors that are
//!    waiting, every `FAIRNESS_TICK`-th such `poll` still checks epoll
//!    (Go's scheduler checks its global queue every 61 ticks the same way).

use std::cmp::Reverse;
use std::collections::hash_map::Entry as MapEntry;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::hash::BuildHasherDefault;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use super::{Ops, cancelled, finish, shot};
use crate::builder::Builder;
use crate::op::{Attempt, Completion, EpollCtx, OpKind, Output, Readiness, Side};
use crate::stats::Stats;
use crate::sync::Arc;
use crate::table::{OpId, internal_tag};
use crate::token_map::TokenHasher;
use crate::waker::WakerInner;

const WAKE_KEY: u64 = internal_tag(0);
/// Rule 8: at most this many `poll`s in a row skip `epoll_wait`.
const FAIRNESS_TICK: u32 = 61;
const EVENTS: u32 = (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32;
const READ_EVENTS: u32 =
    (libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR) as u32;
const WRITE_EVENTS: u32 = (libc::EPOLLOUT | libc::EPOLLHUP | libc::EPOLLERR) as u32;
const CLOSED_EVENTS: u32 = (libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR) as u32;

#[derive(Debug, Default)]
struct FdState {
    generation: u32,
    readers: VecDeque<OpId>,
    writers: VecDeque<OpId>,
    watchers: Vec<OpId>,
    /// A `SOCK_STREAM` socket (rule 9 applies).
    stream: bool,
    /// Rule 9: no bytes to read until the next read edge.
    read_drained: bool,
    /// Rule 9: the peer closed (or reset) its side: sticky, and it turns
    /// rule 9 off, since a short read may leave the end of stream unread.
    read_closed: bool,
}

impl FdState {
    /// Rule 9: may a short read (or EAGAIN) mark this descriptor drained?
    fn may_drain(&self) -> bool {
        self.stream && !self.read_closed
    }
}

/// How `drive` left an op.
enum Driven {
    /// Finished; `short` if it was a receive that filled less than its
    /// buffer (rule 9).
    Done { short: bool },
    /// Must wait for an edge on this side.
    Wait(Side),
}

/// Whether `fd` is a stream socket (one `getsockopt`, at registration;
/// the runtime reactor's registration uses it too).
pub(crate) fn is_stream_socket(fd: RawFd) -> bool {
    matches!(
        crate::socket::int_option(fd, libc::SOL_SOCKET, libc::SO_TYPE),
        Ok(libc::SOCK_STREAM)
    )
}

/// The epoll driver.
#[derive(Debug)]
pub(crate) struct Driver {
    epfd: OwnedFd,
    /// Keyed by descriptor number (as u64): one lookup per op.
    fds: HashMap<RawFd, FdState, BuildHasherDefault<TokenHasher>>,
    next_generation: u32,
    timers: BinaryHeap<Reverse<(Instant, u64)>>,
    events: Vec<libc::epoll_event>,
    scratch: Box<[u8]>,
    pwait2: bool,
    skipped: u32,
    waker: Arc<WakerInner>,
}

impl Driver {
    pub(crate) fn new(cfg: &Builder, waker: Arc<WakerInner>) -> io::Result<Driver> {
        // SAFETY: no pointers; the result is checked.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh descriptor, owned by nobody else.
        let epfd = unsafe { OwnedFd::from_raw_fd(fd) };
        let mut ev = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLET) as u32,
            u64: WAKE_KEY,
        };
        // SAFETY: `ev` is valid for the call.
        if unsafe { libc::epoll_ctl(fd, libc::EPOLL_CTL_ADD, waker.raw_fd(), &mut ev) } < 0 {
            return Err(io::Error::last_os_error());
        }
        let scratch = vec![0u8; cfg.buf_ring.map_or(0, |(_, size)| size)].into_boxed_slice();
        Ok(Driver {
            epfd,
            fds: HashMap::default(),
            next_generation: 0,
            timers: BinaryHeap::new(),
            events: vec![libc::epoll_event { events: 0, u64: 0 }; 1024],
            scratch,
            pwait2: true,
            skipped: 0,
            waker,
        })
    }

    /// Starts an operation already in the table (rule 1).
    pub(crate) fn submit(
        &mut self,
        ops: &mut Ops,
        id: OpId,
        out: &mut Vec<Completion>,
        stats: &mut Stats,
    ) -> io::Result<()> {
        stats.submitted += 1;
        let Some(entry) = ops.get_mut(id) else {
            return Ok(());
        };
        let fd = entry.op.fd();
        let receive = entry.op.read_room().is_some();
        match &mut entry.op {
            OpKind::Timeout(t) => {
                self.timers
                    .push(Reverse((Instant::now() + t.after, id.as_u64())));
                return Ok(());
            }
            OpKind::Close(c) => {
                let fd = c.fd;
                self.release_fd(ops, fd, out, stats);
            }
            OpKind::Poll(p) => {
                stats.syscalls += 1;
                let multi = p.multi;
                match p.attempt() {
                    Attempt::Done(res) => {
                        finish(ops, id, res, out, stats);
                        return Ok(());
                    }
                    Attempt::Shot(res, output) => shot(ops, id, res, output, true, out, stats),
                    Attempt::Again(_) => {}
                }
                debug_assert!(multi || ops.contains(id));
                let fd = fd.expect("poll ops have a descriptor");
                return match self.state(fd, stats) {
                    Ok(state) => {
                        state.watchers.push(id);
                        Ok(())
                    }
                    Err(e) => {
                        finish(ops, id, Err(e), out, stats);
                        Ok(())
                    }
                };
            }
            _ => {}
        }
        if receive {
            // Rule 9: a drained stream waits for its edge without a call.
            if let Some(state) = fd.and_then(|fd| self.fds.get_mut(&fd)) {
                if state.read_drained {
                    state.readers.push_back(id);
                    return Ok(());
                }
            }
        }
        match drive(ops, id, &mut self.scratch, out, stats) {
            Driven::Wait(side) => {
                let fd = fd.expect("only descriptor ops can wait");
                match self.state(fd, stats) {
                    Ok(state) => match side {
                        Side::Read => {
                            state.read_drained = state.may_drain();
                            state.readers.push_back(id);
                        }
                        Side::Write => state.writers.push_back(id),
                    },
                    Err(e) => finish(ops, id, Err(e), out, stats),
                }
            }
            Driven::Done { short } => {
                if short {
                    if let Some(state) = fd.and_then(|fd| self.fds.get_mut(&fd)) {
                        state.read_drained = state.may_drain();
                    }
                }
            }
        }
        Ok(())
    }

    /// The descriptor's state, registering it on first use (rule 2).
    fn state(&mut self, fd: RawFd, stats: &mut Stats) -> io::Result<&mut FdState> {
        match self.fds.entry(fd) {
            MapEntry::Occupied(e) => Ok(e.into_mut()),
            MapEntry::Vacant(v) => {
                self.next_generation = self.next_generation.wrapping_add(1);
                let generation = self.next_generation;
                let mut ev = libc::epoll_event {
                    events: EVENTS,
                    u64: (fd as u32 as u64) | ((generation as u64) << 32),
                };
                stats.syscalls += 1;
                // SAFETY: `ev` is valid for the call.
                let ret = unsafe {
                    libc::epoll_ctl(self.epfd.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev)
                };
                if ret < 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(v.insert(FdState {
                    generation,
                    stream: is_stream_socket(fd),
                    ..FdState::default()
                }))
            }
        }
    }

    /// Cancels an op: on epoll it is only ever queued, so it ends at once.
    pub(crate) fn cancel(
        &mut self,
        ops: &mut Ops,
        id: OpId,
        out: &mut Vec<Completion>,
        stats: &mut Stats,
    ) {
        let Some(entry) = ops.get_mut(id) else { return };
        if let Some(state) = entry.op.fd().and_then(|fd| self.fds.get_mut(&fd)) {
            state.readers.retain(|&x| x != id);
            state.writers.retain(|&x| x != id);
            state.watchers.retain(|&x| x != id);
        }
        // A timer's heap entry goes stale and is skipped when it surfaces.
        finish(ops, id, Err(cancelled()), out, stats);
    }

    /// Drops `fd` from the set; its queued ops end with `ECANCELED`.
    pub(crate) fn release_fd(
        &mut self,
        ops: &mut Ops,
        fd: RawFd,
        out: &mut Vec<Completion>,
        stats: &mut Stats,
    ) {
        let Some(state) = self.fds.remove(&fd) else {
            return;
        };
        let ids = state
            .readers
            .iter()
            .chain(state.writers.iter())
            .chain(state.watchers.iter());
        for &id in ids {
            finish(ops, id, Err(cancelled()), out, stats);
        }
        stats.syscalls += 1;
        // SAFETY: a null event is allowed for EPOLL_CTL_DEL. Errors (the fd
        // was already closed) are fine: then the kernel dropped it already.
        unsafe {
            libc::epoll_ctl(
                self.epfd.as_raw_fd(),
                libc::EPOLL_CTL_DEL,
                fd,
                std::ptr::null_mut(),
            )
        };
    }

    /// Waits for events (or the nearest timer, or `timeout`) and runs what
    /// became ready.
    pub(crate) fn wait(
        &mut self,
        ops: &mut Ops,
        out: &mut Vec<Completion>,
        timeout: Option<Duration>,
        stats: &mut Stats,
    ) -> io::Result<()> {
        // Rule 8: completions already in hand skip the epoll call.
        if !out.is_empty() && self.skipped < FAIRNESS_TICK {
            self.skipped += 1;
            self.fire_timers(ops, out, stats);
            return Ok(());
        }
        self.skipped = 0;
        let mut timeout = if out.is_empty() {
            timeout
        } else {
            Some(Duration::ZERO)
        };
        // Drop cancelled timers from the top so they do not shorten waits.
        while let Some(Reverse((_, raw))) = self.timers.peek() {
            if ops.contains(OpId::from_u64(*raw)) {
                break;
            }
            self.timers.pop();
        }
        if let Some(Reverse((deadline, _))) = self.timers.peek() {
            let until = deadline.saturating_duration_since(Instant::now());
            timeout = Some(timeout.map_or(until, |t| t.min(until)));
        }
        let n = self.epoll_wait(timeout, stats)?;
        for i in 0..n {
            let ev = self.events[i];
            let (bits, key) = (ev.events, ev.u64);
            if key == WAKE_KEY {
                stats.syscalls += 1;
                // Waker protocol step 2: drain, then re-arm, then return.
                self.waker.drain();
                self.waker.state.rearm();
                continue;
            }
            self.dispatch(ops, key, bits, out, stats);
        }
        self.fire_timers(ops, out, stats);
        Ok(())
    }

    fn epoll_wait(&mut self, timeout: Option<Duration>, stats: &mut Stats) -> io::Result<usize> {
        let cap = self.events.len();
        // SAFETY: `events` holds `cap` entries and nothing else borrows it.
        unsafe {
            wait_events(
                self.epfd.as_raw_fd(),
                self.events.as_mut_ptr(),
                cap,
                timeout,
                &mut self.pwait2,
                &mut stats.syscalls,
            )
        }
    }

    fn dispatch(
        &mut self,
        ops: &mut Ops,
        key: u64,
        bits: u32,
        out: &mut Vec<Completion>,
        stats: &mut Stats,
    ) {
        let fd = key as u32 as RawFd;
        let generation = (key >> 32) as u32;
        let Driver { fds, scratch, .. } = self;
        let Some(state) = fds.get_mut(&fd).filter(|s| s.generation == generation) else {
            return; // rule 4: an event for a descriptor that left the set
        };
        // Rule 5: watchers.
        state.watchers.retain(|&id| {
            let Some(entry) = ops.get_mut(id) else {
                return false;
            };
            let OpKind::Poll(p) = &entry.op else {
                return false;
            };
            if !p.wants(bits) {
                return true;
            }
            let ready = bits & (p.interest.bits() | (libc::EPOLLERR | libc::EPOLLHUP) as u32);
            if p.multi {
                let output = Output::Ready(Readiness(ready));
                shot(ops, id, Ok(ready as usize), output, true, out, stats);
                true
            } else {
                finish(ops, id, Ok(ready as usize), out, stats);
                false
            }
        });
        // Rule 3: retry each side's queue until an op sees EAGAIN.
        if bits & CLOSED_EVENTS != 0 {
            state.read_closed = true;
        }
        if bits & READ_EVENTS != 0 {
            let drained = run_queue(&mut state.readers, ops, scratch, out, stats);
            state.read_drained = drained && state.may_drain();
        }
        if bits & WRITE_EVENTS != 0 {
            run_queue(&mut state.writers, ops, scratch, out, stats);
        }
    }

    fn fire_timers(&mut self, ops: &mut Ops, out: &mut Vec<Completion>, stats: &mut Stats) {
        let now = Instant::now();
        while let Some(&Reverse((deadline, raw))) = self.timers.peek() {
            if deadline > now {
                break;
            }
            self.timers.pop();
            finish(ops, OpId::from_u64(raw), Ok(0), out, stats);
        }
    }

    /// Rule 7: nothing is owned by the kernel; the table drops normally.
    pub(crate) fn shutdown(&mut self, _ops: &mut Ops, _stats: &mut Stats) {}
}

/// Retries a side's queue front to back; returns true if the descriptor is
/// known drained afterwards (an op saw EAGAIN, or the last one was a short
/// receive: rule 9).
fn run_queue(
    queue: &mut VecDeque<OpId>,
    ops: &mut Ops,
    scratch: &mut [u8],
    out: &mut Vec<Completion>,
    stats: &mut Stats,
) -> bool {
    let mut drained = false;
    while let Some(&id) = queue.front() {
        match drive(ops, id, scratch, out, stats) {
            Driven::Done { short } => {
                drained = short;
                queue.pop_front();
            }
            Driven::Wait(_) => return true,
        }
    }
    drained
}

/// Runs an op's epoll form until it finishes or must wait.
fn drive(
    ops: &mut Ops,
    id: OpId,
    scratch: &mut [u8],
    out: &mut Vec<Completion>,
    stats: &mut Stats,
) -> Driven {
    loop {
        let Some(entry) = ops.get_mut(id) else {
            return Driven::Done { short: false };
        };
        stats.syscalls += 1;
        let room = entry.op.read_room();
        let mut ctx = EpollCtx {
            scratch: &mut *scratch,
        };
        match entry.op.attempt(&mut ctx) {
            Attempt::Done(res) => {
                let short = matches!((room, &res), (Some(room), Ok(n)) if *n > 0 && *n < room);
                finish(ops, id, res, out, stats);
                return Driven::Done { short };
            }
            Attempt::Shot(res, output) => shot(ops, id, res, output, true, out, stats),
            Attempt::Again(side) => return Driven::Wait(side),
        }
    }
}

/// Waits on `epfd` for up to `cap` events into `buf`: `epoll_pwait2` while
/// `*pwait2` holds (nanosecond timeouts), else `epoll_wait` with the
/// timeout rounded up to a millisecond (waking early would spin, waking
/// late is the price of millisecond resolution). `ENOSYS` from
/// `epoll_pwait2` clears `*pwait2` and waits again the old way; `EINTR`
/// returns `Ok(0)`. `syscalls` counts the calls made. Shared by the
/// poller's epoll backend and the runtime reactor (`reactor/mod.rs`).
///
/// # Safety
/// `buf` is valid for writes of `cap` `epoll_event`s for the whole call.
pub(crate) unsafe fn wait_events(
    epfd: RawFd,
    buf: *mut libc::epoll_event,
    cap: usize,
    timeout: Option<Duration>,
    pwait2: &mut bool,
    syscalls: &mut u64,
) -> io::Result<usize> {
    let cap = cap.min(i32::MAX as usize) as i32;
    loop {
        *syscalls += 1;
        let ret = if *pwait2 {
            let ts = timeout.map(|t| libc::timespec {
                tv_sec: t.as_secs().min(i64::MAX as u64) as libc::time_t,
                tv_nsec: t.subsec_nanos() as libc::c_long,
            });
            let ts_ptr = ts
                .as_ref()
                .map_or(std::ptr::null(), |t| t as *const libc::timespec);
            // SAFETY: the caller's `buf` holds `cap` entries; `ts` outlives
            // the call; a null sigmask means "no mask change".
            unsafe {
                libc::syscall(
                    libc::SYS_epoll_pwait2,
                    epfd,
                    buf,
                    cap,
                    ts_ptr,
                    std::ptr::null::<libc::sigset_t>(),
                    0usize,
                ) as i32
            }
        } else {
            let ms = timeout.map_or(-1, |t| {
                t.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32
            });
            // SAFETY: the caller's `buf` holds `cap` entries.
            unsafe { libc::epoll_wait(epfd, buf, cap, ms) }
        };
        if ret >= 0 {
            return Ok(ret as usize);
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => return Ok(0),
            Some(libc::ENOSYS) if *pwait2 => *pwait2 = false,
            _ => return Err(err),
        }
    }
}
