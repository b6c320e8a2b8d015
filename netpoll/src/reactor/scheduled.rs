//! One registered descriptor's readiness and the tasks waiting on it
//! (tokio's `ScheduledIo`, Go's `pollDesc` with its `rg`/`wg` halves).
//!
//! # Protocol
//!
//! `readiness` packs the ready bits (low 16) and a *tick* (high 16) that
//! the reactor bumps on every event it delivers for the descriptor.
//!
//! 1. A new registration starts readable and writable ("unknown, try"):
//!    the first operation on each side runs its system call at once.
//! 2. A task snapshots the side ([`Registration::ready_event`]), runs its
//!    system call, and on `EAGAIN` calls [`Registration::clear_readiness`]
//!    with the snapshot: the bits are cleared only if the tick is still
//!    the snapshot's. An edge delivered between the snapshot and the clear
//!    bumped the tick, so its readiness survives and the task retries
//!    instead of waiting for an edge that already came (the lost-edge race
//!    of edge-triggered epoll). A call that moved fewer bytes than it
//!    asked for on a stream clears the side the same way
//!    ([`Registration::clear_if_drained`]): it drained the socket, and the
//!    next call would only say `EAGAIN`.
//! 3. [`Registration::poll_ready`] checks the bits, and if the side is not
//!    ready stores the task's waker under the `waiters` lock and checks the
//!    bits *again* under that lock. The reactor sets the bits first (one
//!    RMW) and only then takes the lock to collect the wakers. So either
//!    the task's second check sees the new bits, or the reactor's lock
//!    comes after the task's and finds the waker: a waker stored just after
//!    an edge was consumed is never stranded.
//! 4. `READ_CLOSED`/`WRITE_CLOSED` survive reads (a stream that saw its
//!    peer close stays readable: the end of stream must be read, and no
//!    further edge would announce it), but a call that says `EAGAIN`
//!    clears its whole side through rule 2, closed bit included: the bit
//!    was stale (say the `EPOLLHUP` an unconnected socket reports if an
//!    edge is harvested between its registration and its `connect`), and
//!    a close that happens later makes an edge of its own. Without that,
//!    a stale closed bit would make every wait return at once.
//! 5. Deregistration sets every bit and wakes every waiter, so nobody
//!    waits on a descriptor the reactor forgot.

use std::fmt;
use std::task::{Context, Poll, Waker};

use crate::sync::atomic::AtomicUsize;
use crate::sync::atomic::Ordering::{AcqRel, Acquire};
use crate::sync::{Arc, Mutex};

pub(crate) const READABLE: usize = 1;
pub(crate) const WRITABLE: usize = 2;
pub(crate) const READ_CLOSED: usize = 4;
pub(crate) const WRITE_CLOSED: usize = 8;
pub(crate) const ERROR: usize = 16;
const ALL: usize = READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED | ERROR;
const READ_MASK: usize = READABLE | READ_CLOSED | ERROR;
const WRITE_MASK: usize = WRITABLE | WRITE_CLOSED | ERROR;
const TICK_SHIFT: u32 = 16;
const BITS: usize = (1 << TICK_SHIFT) - 1;

/// Which half of a descriptor an operation waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Reads, receives, accepts.
    Read,
    /// Writes, sends, connects.
    Write,
}

impl Direction {
    fn mask(self) -> usize {
        match self {
            Direction::Read => READ_MASK,
            Direction::Write => WRITE_MASK,
        }
    }
}

/// A snapshot of one side's readiness, with the tick it was taken at
/// (protocol rule 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadyEvent {
    tick: u16,
    bits: usize,
    dir: Direction,
}

impl ReadyEvent {
    fn new(word: usize, dir: Direction) -> ReadyEvent {
        ReadyEvent {
            tick: (word >> TICK_SHIFT) as u16,
            bits: word & dir.mask(),
            dir,
        }
    }

    /// True if the side may be ready (a system call is worth trying).
    pub fn is_ready(self) -> bool {
        self.bits != 0
    }

    /// True if the peer closed this side (or the descriptor hung up).
    pub fn is_closed(self) -> bool {
        self.bits & (READ_CLOSED | WRITE_CLOSED) != 0
    }
}

#[derive(Default)]
struct Waiters {
    reader: Vec<Waker>,
    writer: Vec<Waker>,
}

/// Per-descriptor state shared by the reactor and the tasks.
pub(crate) struct ScheduledIo {
    readiness: AtomicUsize,
    waiters: Mutex<Waiters>,
    /// Sides (over all descriptors) with at least one waker stored.
    waiting: Arc<AtomicUsize>,
    pub(crate) key: u64,
    pub(crate) fd: i32,
    stream: bool,
}

impl ScheduledIo {
    pub(crate) fn new(fd: i32, key: u64, stream: bool, waiting: Arc<AtomicUsize>) -> ScheduledIo {
        ScheduledIo {
            // Rule 1.
            readiness: AtomicUsize::new(READABLE | WRITABLE),
            waiters: Mutex::new(Waiters::default()),
            waiting,
            key,
            fd,
            stream,
        }
    }

    /// Rule 3, the reactor's half: set `bits`, bump the tick, then collect
    /// the wakers of the sides that became ready into `out`.
    pub(crate) fn set_readiness(&self, bits: usize, out: &mut Vec<Waker>) {
        let mut cur = self.readiness.load(Acquire);
        loop {
            let tick = ((cur >> TICK_SHIFT) + 1) & BITS;
            let new = ((cur | bits) & BITS) | (tick << TICK_SHIFT);
            match self
                .readiness
                .compare_exchange_weak(cur, new, AcqRel, Acquire)
            {
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        let mut w = self.waiters.lock();
        if bits & READ_MASK != 0 && !w.reader.is_empty() {
            self.waiting.fetch_sub(1, AcqRel);
            out.append(&mut w.reader);
        }
        if bits & WRITE_MASK != 0 && !w.writer.is_empty() {
            self.waiting.fetch_sub(1, AcqRel);
            out.append(&mut w.writer);
        }
    }

    /// Rule 5.
    pub(crate) fn shut(&self, out: &mut Vec<Waker>) {
        self.set_readiness(ALL, out);
    }
}

/// A descriptor registered with a [`Reactor`](super::Reactor): its
/// readiness and its waiting tasks. Cheap to clone (one `Arc`); every clone
/// names the same registration. End it with
/// [`Reactor::deregister`](super::Reactor::deregister) before closing the
/// descriptor.
///
/// ```
/// use goro_netpoll::{Direction, Reactor};
/// use std::os::fd::AsRawFd;
/// let reactor = Reactor::new()?;
/// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
/// a.set_nonblocking(true)?;
/// let reg = reactor.register(a.as_raw_fd())?;
/// // Rule 1: a fresh registration says "try the system call".
/// assert!(reg.ready_event(Direction::Write).is_ready());
/// reactor.deregister(&reg);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Registration {
    pub(crate) io: Arc<ScheduledIo>,
}

impl Registration {
    /// Snapshot of `dir`'s readiness (rule 2), without registering interest.
    #[inline]
    pub fn ready_event(&self, dir: Direction) -> ReadyEvent {
        ReadyEvent::new(self.io.readiness.load(Acquire), dir)
    }

    /// Ready with a snapshot if `dir` may be ready; otherwise stores the
    /// task's waker (rule 3) and returns `Pending`. The waker is woken by
    /// the next event on that side.
    pub fn poll_ready(&self, dir: Direction, cx: &mut Context<'_>) -> Poll<ReadyEvent> {
        let ev = self.ready_event(dir);
        if ev.is_ready() {
            return Poll::Ready(ev);
        }
        let mut w = self.io.waiters.lock();
        let ev = self.ready_event(dir);
        if ev.is_ready() {
            return Poll::Ready(ev);
        }
        let list = match dir {
            Direction::Read => &mut w.reader,
            Direction::Write => &mut w.writer,
        };
        if !list.iter().any(|x| x.will_wake(cx.waker())) {
            if list.is_empty() {
                self.io.waiting.fetch_add(1, AcqRel);
            }
            list.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Clears `ev`'s side if no event arrived since `ev` was taken (rule 2).
    pub fn clear_readiness(&self, ev: ReadyEvent) {
        let mut cur = self.io.readiness.load(Acquire);
        loop {
            if (cur >> TICK_SHIFT) as u16 != ev.tick {
                return;
            }
            let new = cur & !ev.dir.mask();
            match self
                .io
                .readiness
                .compare_exchange_weak(cur, new, AcqRel, Acquire)
            {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }

    /// After a call that moved `n` of the `want` bytes it asked for: on a
    /// stream, a short transfer (`0 < n < want`) drained the side (the
    /// receive buffer, or the room in the send buffer) until the next
    /// edge, so the side is cleared as after `EAGAIN` (rule 2), saving the
    /// call that would only have said so. Not when `ev` saw the side closed
    /// (rule 4: its end must still be seen, and no edge would announce it
    /// again), not at end of stream (`n == 0`), and never on a datagram
    /// socket, where a short read says nothing about the queue.
    pub fn clear_if_drained(&self, ev: ReadyEvent, n: usize, want: usize) {
        if n > 0 && n < want && self.is_stream() && !ev.is_closed() {
            self.clear_readiness(ev);
        }
    }

    /// True for a `SOCK_STREAM` socket: a short read there means "drained
    /// until the next edge", which a datagram socket cannot promise.
    pub fn is_stream(&self) -> bool {
        self.io.stream
    }

    /// The registered descriptor.
    pub fn fd(&self) -> i32 {
        self.io.fd
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("fd", &self.io.fd)
            .field("readiness", &(self.io.readiness.load(Acquire) & BITS))
            .finish()
    }
}

/// For the loom model of rules 2 and 3 (`loom-tests/tests/netpoll_readiness.rs`):
/// a registration outside any reactor, and the reactor's half of rule 3.
#[doc(hidden)]
impl Registration {
    /// A registration of no descriptor, as a fresh one starts (rule 1).
    pub fn unregistered() -> Registration {
        let waiting = Arc::new(AtomicUsize::new(0));
        Registration {
            io: Arc::new(ScheduledIo::new(-1, 0, true, waiting)),
        }
    }

    /// Delivers a read edge as the reactor does; returns the wakers to wake.
    pub fn deliver_readable(&self) -> Vec<Waker> {
        let mut out = Vec::new();
        self.io.set_readiness(READABLE, &mut out);
        out
    }
}
