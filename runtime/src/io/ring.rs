//! One ring: a `goro_netpoll::Poller` owned by one thread, plus the shared
//! half other threads reach it through. goro builds rings on io_uring only;
//! epoll runs on the runtime's shared reactor (`netpoll.rs`).
//!
//! # Protocol
//!
//! 1. The `Poller` lives in [`Ring`], which never leaves the thread that
//!    built it (io_uring: `SINGLE_ISSUER | DEFER_TASKRUN`). Other threads see
//!    only [`RingShared`]: an inbox of [`Request`]s and the poller's
//!    cross-thread `Waker`.
//! 2. Every operation is named by a *token* taken from `RingShared::next`
//!    before it is submitted, so a thread that did not submit it can still
//!    cancel or abandon it by token. Requests from one thread reach the ring
//!    in order (one inbox), so a `Cancel(t)` never overtakes its `Submit(t)`.
//!    An op submitted directly on the owning thread is in the table before
//!    the submit returns, so a later remote cancel finds it too.
//! 3. A remote thread pushes its request, *then* wakes the poller. The
//!    owner drains the inbox before and after each `poll`; the netpoll
//!    waker's protocol (`goro-netpoll/src/waker.rs`) guarantees that a wake
//!    issued after our drain makes the next `poll` return, so no request
//!    waits for an unrelated event.
//! 4. A completion is handed to the op's [`OpState`], which wakes the task's
//!    `Waker`, wherever that task runs now. A task that migrated after
//!    submitting is woken like any other: the ring never needs to know
//!    where it went.
//! 5. An entry leaves the token map on the op's final completion (not on
//!    cancel, not on abandon: the poller owns the buffers until then).
//! 6. A ring whose thread stops running a P *retires*: it cancels its
//!    restartable ops (those that may wait indefinitely: multishot ops,
//!    stream reads and writes, accepts, datagram receives, readiness
//!    waits) after marking their states retired, and each submission,
//!    seeing the retired `ECANCELED`, starts its op again on the ring of
//!    the thread that polls it next (`op.rs`). Other ops finish where they
//!    are. The thread keeps its ring polled until its table is empty
//!    (`Driver::leave_worker`), so nothing is stranded, and a long wait no
//!    longer keeps that thread alive.

use std::io;
use std::time::Duration;

use goro_netpoll::{BackendInfo, Completion, Op, OpId, Poller};

use super::op::OpState;
use crate::sync::atomic::AtomicU64;
use crate::sync::atomic::Ordering::Relaxed;
use crate::sync::{Arc, Mutex};

/// Something a thread other than the owner asks of a ring.
pub(crate) enum Request {
    /// Start `op`; its completions go to the state. The flag: may the
    /// ring cancel it for its task to restart if the ring retires (rule 6).
    Submit(u64, Op, Arc<OpState>, bool),
    /// Ask the op to end early (it still completes).
    Cancel(u64),
    /// Nobody wants the op any more: cancel and forget it.
    Abandon(u64),
}

/// The half of a ring that any thread may use.
pub(crate) struct RingShared {
    inbox: Mutex<Vec<Request>>,
    waker: goro_netpoll::Waker,
    next: AtomicU64,
    info: BackendInfo,
}

impl RingShared {
    /// A fresh token for an op on this ring (protocol rule 2).
    pub(crate) fn token(&self) -> u64 {
        self.next.fetch_add(1, Relaxed)
    }

    /// Which backend this ring runs.
    pub(crate) fn info(&self) -> BackendInfo {
        self.info
    }

    /// Queues `req` for the owner and wakes it (rule 3).
    pub(crate) fn request(&self, req: Request) {
        self.inbox.lock().push(req);
        self.wake();
    }

    /// Interrupts the owner's blocking `poll`, or makes its next one return.
    pub(crate) fn wake(&self) {
        if let Err(e) = self.waker.wake() {
            // An eventfd write only fails if the descriptor is gone, which
            // means the ring is being torn down: nobody is left to wake.
            log::debug!("goro: io ring wake failed: {e}");
        }
    }
}

/// An op in flight on the ring.
struct Entry {
    id: OpId,
    state: Arc<OpState>,
    /// Cancelled for its task to start again if the ring retires (rule 6).
    restartable: bool,
}

/// The owner's half: the poller and the map from token to op state.
pub(crate) struct Ring {
    poller: Poller,
    shared: Arc<RingShared>,
    ops: goro_netpoll::TokenMap<Entry>,
    done: Vec<Completion>,
    scratch: Vec<Request>,
}

impl Ring {
    /// Builds a poller on this thread.
    pub(crate) fn new(builder: goro_netpoll::Builder) -> io::Result<Ring> {
        let poller = builder.build()?;
        let shared = Arc::new(RingShared {
            inbox: Mutex::new(Vec::new()),
            waker: poller.waker(),
            next: AtomicU64::new(1),
            info: poller.backend(),
        });
        Ok(Ring {
            poller,
            shared,
            ops: goro_netpoll::TokenMap::default(),
            done: Vec::new(),
            scratch: Vec::new(),
        })
    }

    pub(crate) fn shared(&self) -> &Arc<RingShared> {
        &self.shared
    }

    /// The poller's cross-thread waker.
    pub(crate) fn waker(&self) -> goro_netpoll::Waker {
        self.shared.waker.clone()
    }

    /// True while an op of this ring has not had its final completion.
    pub(crate) fn has_ops(&self) -> bool {
        !self.ops.is_empty()
    }

    /// True if a non-blocking turn could find anything to do: an op in
    /// flight (abandoned ones too: the poller frees their buffers when they
    /// finish) or a request in the inbox. A worker without either skips
    /// its zero-timeout polls, which otherwise cost a system call each time
    /// its queues run dry.
    pub(crate) fn has_work(&self) -> bool {
        !self.ops.is_empty() || self.poller.in_flight() > 0 || !self.shared.inbox.lock().is_empty()
    }

    /// Runs one request on the owning thread.
    pub(crate) fn apply(&mut self, req: Request) {
        match req {
            Request::Submit(token, op, state, restartable) => {
                self.submit(token, op, state, restartable)
            }
            Request::Cancel(token) => self.cancel(token),
            Request::Abandon(token) => self.abandon(token),
        }
    }

    /// Submits on the owning thread.
    pub(crate) fn submit(&mut self, token: u64, op: Op, state: Arc<OpState>, restartable: bool) {
        match self.poller.submit(op, token) {
            Ok(id) => {
                let entry = Entry {
                    id,
                    state,
                    restartable,
                };
                self.ops.insert(token, entry);
            }
            Err(e) => state.complete(Err(e), goro_netpoll::Output::None, false),
        }
    }

    pub(crate) fn cancel(&mut self, token: u64) {
        if let Some(entry) = self.ops.get(&token) {
            self.poller.cancel(entry.id);
        }
    }

    /// The owning thread stops running a P (rule 6): cancels every
    /// restartable op, marking it retired first, so that its task starts
    /// it again on the ring of whatever thread runs the task next. Their
    /// final completions still come here and are handed over as usual;
    /// anything a cancelled op had already received comes with them.
    pub(crate) fn retire(&mut self) {
        for entry in self.ops.values().filter(|e| e.restartable) {
            entry.state.mark_retired();
            self.poller.cancel(entry.id);
        }
    }

    pub(crate) fn abandon(&mut self, token: u64) {
        if let Some(entry) = self.ops.remove(&token) {
            self.poller.abandon(entry.id);
        }
    }

    /// Runs the inbox, polls (blocking up to `timeout`), and hands every
    /// completion to its op. Returns the number of completions.
    pub(crate) fn turn(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        self.run_inbox();
        self.poller.poll(&mut self.done, timeout)?;
        let n = self.done.len();
        self.dispatch();
        self.run_inbox();
        Ok(n)
    }

    /// Hands every completion in `done` to its op (rule 5 for the table).
    fn dispatch(&mut self) {
        let mut done = std::mem::take(&mut self.done);
        for c in done.drain(..) {
            let finished = !c.more;
            let state = if finished {
                self.ops.remove(&c.token).map(|e| e.state)
            } else {
                self.ops.get(&c.token).map(|e| e.state.clone())
            };
            if let Some(state) = state {
                state.complete(c.result, c.output, c.more);
            }
        }
        self.done = done;
    }

    fn run_inbox(&mut self) {
        let mut reqs = std::mem::take(&mut self.scratch);
        std::mem::swap(&mut reqs, &mut *self.shared.inbox.lock());
        for req in reqs.drain(..) {
            self.apply(req);
        }
        self.scratch = reqs;
    }
}
