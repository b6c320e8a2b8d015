//! An operation in flight, seen from the task that started it.
//!
//! [`OpState`] is the meeting point of the ring (which delivers
//! completions, on the ring's thread) and the task (which may run on any
//! worker by then): a small mutex-guarded mailbox of shots plus the task's
//! `Waker`. [`Submission`] is the task's handle: it polls the mailbox, and
//! on drop before the final completion it *abandons* the op on the ring
//! that owns it (the poller frees the buffers when the kernel is done).
//! [`Started`] is what the net layer holds: a ring submission (io_uring)
//! or a [`ReadyOp`] run on the task's own thread (epoll, `ready.rs`).

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::task::{Context, Poll, Waker};

use goro_netpoll::{Op, Output, Registration, SharedFd};

use super::driver;
use super::ready::ReadyOp;
use super::ring::{Request, RingShared};
use crate::sync::{Arc, Mutex};

/// One shot: the result and what the op handed back.
pub(crate) type Shot = (io::Result<usize>, Output);

/// The mailbox shared by a ring and the task owning an op.
#[derive(Default)]
pub(crate) struct OpState {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    waker: Option<Waker>,
    /// The oldest undelivered shot. A one-shot op (almost every op) only
    /// ever uses this slot, so its mailbox needs no second allocation.
    first: Option<Shot>,
    /// Shots of a multishot op that arrived behind `first`, in order.
    more: VecDeque<Shot>,
    finished: bool,
    /// Set by the owning ring when it retires: the cancellation that ends
    /// a restartable op came from the ring, not from the task
    /// (`Ring::retire`).
    retired: bool,
}

impl Inner {
    fn push(&mut self, shot: Shot) {
        if self.first.is_none() && self.more.is_empty() {
            self.first = Some(shot);
        } else {
            self.more.push_back(shot);
        }
    }

    fn pop(&mut self) -> Option<Shot> {
        self.first.take().or_else(|| self.more.pop_front())
    }

    fn is_empty(&self) -> bool {
        self.first.is_none() && self.more.is_empty()
    }
}

impl OpState {
    /// The owning ring retires and is about to cancel this restartable
    /// op (owner thread).
    pub(crate) fn mark_retired(&self) {
        self.inner.lock().retired = true;
    }

    /// Called by the owning ring for each completion; wakes the task.
    pub(crate) fn complete(&self, result: io::Result<usize>, output: Output, more: bool) {
        let waker = {
            let mut inner = self.inner.lock();
            inner.push((result, output));
            if !more {
                inner.finished = true;
            }
            inner.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// Mailboxes of finished ops, kept per thread for the next op: with the
/// inline first shot, an op then costs no allocation of its own. Not under
/// loom, where a pool would carry one model execution's objects into the
/// next.
#[cfg(not(goro_loom))]
mod spare {
    use std::cell::RefCell;

    use super::OpState;
    use crate::sync::Arc;

    /// Mailboxes a thread keeps (enough for the ops of a batch of tasks).
    const MAX: usize = 64;

    thread_local! {
        static SPARE: RefCell<Vec<Arc<OpState>>> = const { RefCell::new(Vec::new()) };
    }

    /// An empty mailbox: a recycled one, or a new one.
    pub(super) fn take() -> Arc<OpState> {
        SPARE
            .try_with(|s| s.borrow_mut().pop())
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Keeps `state` for reuse if nobody else holds it (the ring dropped
    /// its clone with the final completion); otherwise just drops it.
    pub(super) fn give(mut state: Arc<OpState>) {
        let Some(unique) = Arc::get_mut(&mut state) else {
            return;
        };
        let inner = unique.inner.get_mut();
        inner.waker = None;
        inner.first = None;
        inner.more.clear();
        inner.finished = false;
        inner.retired = false;
        let _ = SPARE.try_with(|s| {
            let mut s = s.borrow_mut();
            if s.len() < MAX {
                s.push(state);
            }
        });
    }
}

#[cfg(goro_loom)]
mod spare {
    use super::OpState;
    use crate::sync::Arc;

    pub(super) fn take() -> Arc<OpState> {
        Arc::default()
    }

    pub(super) fn give(_: Arc<OpState>) {}
}

/// The task's handle on a submitted op.
pub(crate) struct Submission {
    ring: Arc<RingShared>,
    token: u64,
    /// Always `Some` until drop, which recycles it.
    state: Option<Arc<OpState>>,
    /// The final shot has been taken: nothing left to abandon.
    done: bool,
    /// How to start the op again if its ring retires (`ring.rs` rule 6):
    /// its descriptor (which the new op holds open like the first, see
    /// [`Route::Ring`]) and the rebuild. `None` for ops that never wait
    /// long, and once the caller cancels.
    restart: Option<(SharedFd, Rebuild)>,
}

impl Submission {
    /// Starts `op` on this thread's ring, or on the runtime's ring,
    /// holding `fd` (the descriptor it names) open until the op ends;
    /// `rebuild`: see [`Started::start`].
    pub(crate) fn start(op: Op, fd: SharedFd, rebuild: Option<Rebuild>) -> Submission {
        let state = spare::take();
        let restart = rebuild.map(|rebuild| (fd.clone(), rebuild));
        let (ring, token) = driver::submit(op.keep_open(fd), state.clone(), restart.is_some());
        Submission {
            ring,
            token,
            state: Some(state),
            done: false,
            restart,
        }
    }

    /// The next shot; `Ready(None)` once the final one has been taken. An
    /// op its ring cancelled on retiring is started again here, on this
    /// thread's ring, and never shows its `ECANCELED`.
    pub(crate) fn poll_shot(&mut self, cx: &mut Context<'_>) -> Poll<Option<(Shot, bool)>> {
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            let Some(state) = &self.state else {
                return Poll::Ready(None);
            };
            let mut inner = state.inner.lock();
            let Some(shot) = inner.pop() else {
                match &mut inner.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    slot => *slot = Some(cx.waker().clone()),
                }
                return Poll::Pending;
            };
            let last = inner.finished && inner.is_empty();
            let retired = last && inner.retired;
            drop(inner);
            if !last {
                return Poll::Ready(Some((shot, true)));
            }
            self.done = true;
            match (shot, self.restart.take()) {
                ((Err(e), output), Some((fd, rebuild)))
                    if retired && e.raw_os_error() == Some(libc::ECANCELED) =>
                {
                    // The old submission is done: dropping it recycles its
                    // mailbox instead of abandoning anything.
                    let op = rebuild(fd.as_raw_fd(), output);
                    *self = Submission::start(op, fd, Some(rebuild));
                }
                (shot, _) => return Poll::Ready(Some((shot, false))),
            }
        }
    }

    /// Asks the op to end early: it still completes, with `ECANCELED` or,
    /// if it won the race, its real result; either way it is not started
    /// again, even if its ring retires meanwhile.
    pub(crate) fn cancel(&mut self) {
        self.restart = None;
        if !self.done {
            driver::on_ring(&self.ring, Request::Cancel(self.token));
        }
    }
}

impl Drop for Submission {
    fn drop(&mut self) {
        if !self.done {
            driver::on_ring(&self.ring, Request::Abandon(self.token));
        } else if let Some(state) = self.state.take() {
            spare::give(state);
        }
    }
}

/// Where an op on a socket runs, as the socket says
/// (`SocketFd::route`).
pub(crate) enum Route {
    /// On a ring (io_uring). The op holds the descriptor open until its
    /// final completion, even if abandoned: its SQE names the socket by
    /// number, resolved only when the ring next enters the kernel, so a
    /// number closed and reused before then would send it to another
    /// socket (`Op::keep_open`).
    Ring(SharedFd),
    /// On the runtime reactor's readiness (epoll), on the task's thread.
    Ready(Registration),
    /// The descriptor could not be registered.
    Failed(io::Error),
}

/// An op once started: on a ring (io_uring), or driven by the runtime
/// reactor's readiness on the task's own thread (epoll).
pub(crate) enum Started {
    Ring(Submission),
    Ready(ReadyOp),
    /// The descriptor could not be registered: the error, once.
    Failed(Option<Shot>),
}

impl Started {
    /// Starts `op` where `route` says. `rebuild`, for ops that may wait
    /// indefinitely: if the ring the op lands on retires (its thread gave
    /// its P away with `block_in_place`), the ring cancels the op and the
    /// submission starts it again from `rebuild` on the ring of the thread
    /// that polls it next, so it does not keep the old thread alive.
    pub(crate) fn start(op: Op, route: Route, rebuild: Option<Rebuild>) -> Started {
        match route {
            Route::Ring(fd) => Started::Ring(Submission::start(op, fd, rebuild)),
            Route::Ready(reg) => Started::Ready(ReadyOp::new(op, reg)),
            Route::Failed(e) => Started::Failed(Some(op.finish(Err(e)))),
        }
    }

    /// The next shot, with whether more follow; `None` once finished.
    pub(crate) fn poll_shot(&mut self, cx: &mut Context<'_>) -> Poll<Option<(Shot, bool)>> {
        match self {
            Started::Ring(sub) => sub.poll_shot(cx),
            Started::Ready(op) => op.poll_shot(cx),
            Started::Failed(shot) => Poll::Ready(shot.take().map(|s| (s, false))),
        }
    }

    /// See [`Submission::cancel`].
    pub(crate) fn cancel(&mut self) {
        match self {
            Started::Ring(sub) => sub.cancel(),
            Started::Ready(op) => op.cancel(),
            Started::Failed(_) => {}
        }
    }
}

/// Builds an op again from what a cancelled one handed back (its buffer),
/// for the descriptor.
pub(crate) type Rebuild = fn(RawFd, Output) -> Op;

/// A one-shot op, started on first poll.
pub(crate) struct OpFuture {
    op: Option<Op>,
    sub: Option<Started>,
    /// For ops that may wait indefinitely (a read on an idle connection, an
    /// accept): how to build them again if their ring retires.
    rebuild: Option<Rebuild>,
}

impl OpFuture {
    pub(crate) fn new(op: Op) -> OpFuture {
        OpFuture {
            op: Some(op),
            sub: None,
            rebuild: None,
        }
    }

    /// An op that, if the ring it lands on retires (`ring.rs` rule 6), is
    /// cancelled there and started again from `rebuild(fd, output)` on the
    /// ring of the thread that polls it next, so that a read waiting on an
    /// idle connection does not keep that ring's thread alive.
    pub(crate) fn restartable(op: Op, rebuild: Rebuild) -> OpFuture {
        OpFuture {
            rebuild: Some(rebuild),
            ..OpFuture::new(op)
        }
    }

    /// Submits the op if it is not yet submitted (`route` as in
    /// [`Started::start`], asked only then).
    pub(crate) fn start(&mut self, route: impl FnOnce() -> Route) {
        if let Some(op) = self.op.take() {
            self.sub = Some(Started::start(op, route(), self.rebuild));
        }
    }

    /// Polls for the (single) completion; the op must have been started.
    pub(crate) fn poll_op(&mut self, cx: &mut Context<'_>) -> Poll<Shot> {
        let Some(sub) = self.sub.as_mut() else {
            return Poll::Ready((Err(already_done()), Output::None));
        };
        match sub.poll_shot(cx) {
            Poll::Pending => Poll::Pending,
            // A one-shot op yields exactly one shot; `None` cannot follow a
            // taken final shot because we drop the submission with it.
            Poll::Ready(Some((shot, _))) => {
                self.sub = None;
                Poll::Ready(shot)
            }
            Poll::Ready(None) => {
                self.sub = None;
                Poll::Ready((Err(already_done()), Output::None))
            }
        }
    }

    /// See [`Submission::cancel`]. An op not yet polled is started first
    /// and cancelled at once, so its buffer comes back the usual way.
    pub(crate) fn cancel(&mut self, route: impl FnOnce() -> Route) {
        self.start(route);
        if let Some(sub) = &mut self.sub {
            sub.cancel();
        }
    }
}

pub(crate) fn already_done() -> io::Error {
    io::Error::other("goro: operation polled after completion")
}

/// Makes a `Send` value `Sync` by never lending it out through `&self`:
/// the only access is [`get_mut`](Exclusive::get_mut), which needs
/// `&mut self`, so two threads can never touch it at once (the pattern of
/// std's unstable `Exclusive`). Readiness slots hold an [`OpFuture`], whose
/// `Op` is `Send` but not `Sync` (raw iovec pointers), inside types that
/// tasks share by reference.
#[derive(Default)]
pub(crate) struct Exclusive<T>(T);

// SAFETY: no `&self` method reaches the inner value (see the type docs), so
// sharing `&Exclusive<T>` between threads shares nothing; moving it needs
// `T: Send`.
unsafe impl<T: Send> Sync for Exclusive<T> {}

impl<T> Exclusive<T> {
    pub(crate) fn get_mut(&mut self) -> &mut T {
        &mut self.0
    }
}
