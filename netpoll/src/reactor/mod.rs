//! A readiness reactor shared by every thread of a runtime (Go's netpoll):
//! one epoll set, each descriptor registered once, edge-triggered.
//!
//! # Protocol
//!
//! 1. [`Reactor::register`] adds a descriptor once, with
//!    `EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET`; [`Reactor::deregister`]
//!    removes it, and must come before the descriptor closes (a closed and
//!    reused number would otherwise keep, or lose, a registration the
//!    caller no longer means). The event key is `slot | generation << 32`,
//!    and the generation changes when a slot is reused, so events still in
//!    flight for a removed descriptor are dropped (Go's tagged `pollDesc`).
//! 2. Operations run on the caller's thread: try the system call, and on
//!    `EAGAIN` clear that side and wait ([`Registration`]'s protocol, the
//!    readiness *tick*). The reactor only turns edges into readiness bits
//!    and wakes the tasks waiting on them.
//! 3. Any thread may [`poll`](Reactor::poll). Non-blocking polls
//!    (`Some(Duration::ZERO)`) can run on many threads at once; the kernel
//!    hands each edge to one of them. At most one thread should block at a
//!    time (Go: only one M sits in `netpoll`); [`Reactor::wake`] makes it
//!    return (Go's `netpollBreak`).
//! 4. The break eventfd is level-triggered and drained only by a blocking
//!    poll: a non-blocking poll that sees it leaves it alone, so a break is
//!    never swallowed by a thread that was not blocked. Wakes coalesce
//!    through the poller waker's own [`WakeState`] (`waker.rs`, loom-checked
//!    in `loom-tests/tests/netpoll_waker.rs`): set before the write, re-armed
//!    by the blocking poll *after* it drained the eventfd, so a break that
//!    found it set targets a poll already returning.

mod scheduled;

use std::cell::Cell;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

pub use scheduled::{Direction, ReadyEvent, Registration};
use scheduled::{ERROR, READ_CLOSED, READABLE, ScheduledIo, WRITABLE, WRITE_CLOSED};

use crate::sync::atomic::Ordering::{Acquire, Relaxed};
use crate::sync::atomic::{AtomicBool, AtomicUsize};
use crate::sync::{Arc, Mutex};
use crate::waker::WakeState;

/// The key of the break eventfd (never a slot key: slots are < 2^32 and
/// their generation is never `u32::MAX` on the first use of a slot).
const BREAK_KEY: u64 = u64::MAX;
/// Events taken per `epoll_wait`.
const EVENTS: usize = 256;
/// Capacity of the per-thread waker vector kept between polls (one slot a
/// side of a full batch of events); a larger one, grown by a burst of
/// waiters, is freed.
const KEPT_WAKERS: usize = 2 * EVENTS;

thread_local! {
    /// The wakers a poll collects, reused by the next poll on this thread.
    static WAKERS: Cell<Vec<std::task::Waker>> = const { Cell::new(Vec::new()) };
}
const INTEREST: u32 = (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32;

#[derive(Default)]
struct Slab {
    slots: Vec<Slot>,
    free: Vec<u32>,
}

#[derive(Default)]
struct Slot {
    generation: u32,
    io: Option<Arc<ScheduledIo>>,
}

/// One epoll set for a whole runtime, usable from any thread.
///
/// ```
/// use goro_netpoll::{Direction, Reactor};
/// use std::io::Write;
/// use std::os::fd::AsRawFd;
/// use std::time::Duration;
///
/// let reactor = Reactor::new()?;
/// let (mut a, b) = std::os::unix::net::UnixStream::pair()?;
/// b.set_nonblocking(true)?;
/// let reg = reactor.register(b.as_raw_fd())?;
/// let ev = reg.ready_event(Direction::Read);
/// // Nothing to read yet: the task would clear the side and wait.
/// assert!(std::io::Read::read(&mut &b, &mut [0u8; 8]).is_err());
/// reg.clear_readiness(ev);
/// assert!(!reg.ready_event(Direction::Read).is_ready());
/// a.write_all(b"x")?;
/// reactor.poll(Some(Duration::from_secs(5)))?; // the edge arrives
/// assert!(reg.ready_event(Direction::Read).is_ready());
/// reactor.deregister(&reg);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Reactor {
    epfd: OwnedFd,
    break_fd: OwnedFd,
    break_state: WakeState,
    slab: Mutex<Slab>,
    waiting: Arc<AtomicUsize>,
    registered: AtomicUsize,
    pwait2: AtomicBool,
}

impl Reactor {
    /// A reactor with its epoll set and break eventfd.
    pub fn new() -> io::Result<Reactor> {
        // SAFETY: no pointers; the result is checked.
        let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if ep < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh descriptor owned by nobody else.
        let epfd = unsafe { OwnedFd::from_raw_fd(ep) };
        // SAFETY: no pointers; the result is checked.
        let ev = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if ev < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh descriptor owned by nobody else.
        let break_fd = unsafe { OwnedFd::from_raw_fd(ev) };
        // Rule 4: level-triggered.
        let mut event = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: BREAK_KEY,
        };
        // SAFETY: `event` is valid for the call.
        if unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, ev, &mut event) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Reactor {
            epfd,
            break_fd,
            break_state: WakeState::new(),
            slab: Mutex::new(Slab::default()),
            waiting: Arc::new(AtomicUsize::new(0)),
            registered: AtomicUsize::new(0),
            pwait2: AtomicBool::new(true),
        })
    }

    /// Registers `fd` (non-blocking) for both directions (rule 1). Reads
    /// the socket's type (`getsockopt(SO_TYPE)`); a caller that knows it
    /// saves that call with [`register_socket`](Self::register_socket).
    pub fn register(&self, fd: RawFd) -> io::Result<Registration> {
        self.register_socket(fd, crate::sys::epoll::is_stream_socket(fd))
    }

    /// [`register`](Self::register) for a descriptor whose kind the caller
    /// knows: `stream` is true for a stream socket (TCP, Unix stream),
    /// whose short reads clear its read side, false for anything else.
    ///
    /// ```
    /// use goro_netpoll::Reactor;
    /// use std::os::fd::AsRawFd;
    ///
    /// let reactor = Reactor::new()?;
    /// let (_a, b) = std::os::unix::net::UnixStream::pair()?;
    /// b.set_nonblocking(true)?;
    /// let reg = reactor.register_socket(b.as_raw_fd(), true)?;
    /// assert!(reg.is_stream());
    /// reactor.deregister(&reg);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn register_socket(&self, fd: RawFd, stream: bool) -> io::Result<Registration> {
        let mut slab = self.slab.lock();
        let index = match slab.free.pop() {
            Some(i) => i,
            None => {
                slab.slots.push(Slot::default());
                (slab.slots.len() - 1) as u32
            }
        };
        let slot = &mut slab.slots[index as usize];
        slot.generation = slot.generation.wrapping_add(1) % u32::MAX;
        let key = index as u64 | (slot.generation as u64) << 32;
        let io = Arc::new(ScheduledIo::new(fd, key, stream, self.waiting.clone()));
        let mut event = libc::epoll_event {
            events: INTEREST,
            u64: key,
        };
        // SAFETY: `event` is valid for the call.
        let ret =
            unsafe { libc::epoll_ctl(self.epfd.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut event) };
        if ret < 0 {
            let err = io::Error::last_os_error();
            slab.free.push(index);
            return Err(err);
        }
        slot.io = Some(io.clone());
        self.registered.fetch_add(1, Relaxed);
        Ok(Registration { io })
    }

    /// Removes `reg`'s descriptor from the set and wakes its waiters
    /// (rule 1; call it before closing the descriptor). Idempotent.
    pub fn deregister(&self, reg: &Registration) {
        let key = reg.io.key;
        let index = (key as u32) as usize;
        {
            let mut slab = self.slab.lock();
            let Some(slot) = slab.slots.get_mut(index) else {
                return;
            };
            match &slot.io {
                Some(io) if Arc::ptr_eq(io, &reg.io) => slot.io = None,
                _ => return,
            }
            slab.free.push(index as u32);
            // SAFETY: a null event is allowed for EPOLL_CTL_DEL. An error
            // means the descriptor is already gone from the set.
            unsafe {
                libc::epoll_ctl(
                    self.epfd.as_raw_fd(),
                    libc::EPOLL_CTL_DEL,
                    reg.io.fd,
                    std::ptr::null_mut(),
                )
            };
        }
        self.registered.fetch_sub(1, Relaxed);
        let mut wakers = Vec::new();
        reg.io.shut(&mut wakers);
        wakers.into_iter().for_each(std::task::Waker::wake);
    }

    /// Waits up to `timeout` (`None`: until an event or a [`wake`](Self::wake))
    /// for edges, turns them into readiness and wakes the waiting tasks.
    /// Returns the number of descriptor events (a break is not counted).
    pub fn poll(&self, timeout: Option<Duration>) -> io::Result<usize> {
        let blocking = timeout != Some(Duration::ZERO);
        let mut events = [MaybeUninit::<libc::epoll_event>::uninit(); EVENTS];
        let n = self.epoll_wait(&mut events, timeout)?;
        // A vector kept per thread: a fresh one grew by reallocation on
        // every poll that woke tasks (about 100 instructions a message in
        // the echo shape, malloc and free included).
        let mut wakers = WAKERS.with(Cell::take);
        let mut count = 0;
        {
            let mut slab = None;
            for ev in &events[..n] {
                // SAFETY: the kernel initialised the first `n` entries.
                let ev = unsafe { ev.assume_init() };
                let (bits, key) = (ev.events, ev.u64);
                if key == BREAK_KEY {
                    if blocking {
                        self.drain_break();
                    }
                    continue;
                }
                let slab = slab.get_or_insert_with(|| self.slab.lock());
                let Some(io) = slab
                    .slots
                    .get((key as u32) as usize)
                    .and_then(|s| s.io.as_ref())
                    .filter(|io| io.key == key)
                else {
                    continue; // rule 1: a descriptor that left the set
                };
                io.set_readiness(readiness(bits), &mut wakers);
                count += 1;
            }
        }
        wakers.drain(..).for_each(std::task::Waker::wake);
        if wakers.capacity() <= KEPT_WAKERS {
            WAKERS.with(|w| w.set(wakers));
        }
        Ok(count)
    }

    /// Makes a blocked [`poll`](Self::poll) return, or the next blocking
    /// one return at once (rule 4).
    pub fn wake(&self) {
        if !self.break_state.begin_wake() {
            return;
        }
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our eventfd. A failure
        // (EAGAIN on a counter at its maximum) still leaves it readable.
        unsafe { libc::write(self.break_fd.as_raw_fd(), (&raw const one).cast(), 8) };
    }

    /// True if some task waits for readiness: only then is a non-blocking
    /// poll worth a system call (Go's `netpollAnyWaiters`).
    pub fn has_waiters(&self) -> bool {
        self.waiting.load(Acquire) > 0
    }

    /// Descriptors registered now.
    pub fn registered(&self) -> usize {
        self.registered.load(Relaxed)
    }

    fn drain_break(&self) {
        let mut buf: u64 = 0;
        // SAFETY: reads at most 8 bytes into a live u64; EAGAIN is fine.
        unsafe { libc::read(self.break_fd.as_raw_fd(), (&raw mut buf).cast(), 8) };
        self.break_state.rearm();
    }

    fn epoll_wait(
        &self,
        events: &mut [MaybeUninit<libc::epoll_event>],
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        let mut pwait2 = self.pwait2.load(Relaxed);
        let mut syscalls = 0;
        // SAFETY: `events` holds `events.len()` entries, borrowed mutably
        // for the call.
        let got = unsafe {
            crate::sys::epoll::wait_events(
                self.epfd.as_raw_fd(),
                events.as_mut_ptr().cast(),
                events.len(),
                timeout,
                &mut pwait2,
                &mut syscalls,
            )
        };
        if !pwait2 {
            self.pwait2.store(false, Relaxed);
        }
        got
    }
}

impl AsRawFd for Reactor {
    /// The epoll descriptor (for diagnostics: `/proc/self/fdinfo` lists
    /// each registered descriptor as a `tfd:` line).
    fn as_raw_fd(&self) -> RawFd {
        self.epfd.as_raw_fd()
    }
}

impl std::fmt::Debug for Reactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactor")
            .field("epfd", &self.epfd.as_raw_fd())
            .field("registered", &self.registered())
            .finish()
    }
}

/// epoll bits as readiness bits.
fn readiness(bits: u32) -> usize {
    let has = |b: i32| bits & b as u32 != 0;
    let mut r = 0;
    if has(libc::EPOLLIN) {
        r |= READABLE;
    }
    if has(libc::EPOLLOUT) {
        r |= WRITABLE;
    }
    if has(libc::EPOLLRDHUP) {
        r |= READ_CLOSED;
    }
    if has(libc::EPOLLHUP) {
        r |= READ_CLOSED | WRITE_CLOSED;
    }
    if has(libc::EPOLLERR) {
        r |= ERROR;
    }
    r
}
