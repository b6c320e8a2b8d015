//! The I/O backend of a runtime.
//!
//! **epoll**: one readiness reactor for the whole runtime (`netpoll.rs`);
//! ops run on the task's own thread (`ready.rs`), so no thread owns a
//! ring, there is no I/O thread, and an idle worker parks in the reactor
//! (one at a time) or on its condvar (`park.rs`).
//!
//! **io_uring**: which ring an operation goes to, and the threads that own
//! rings:
//!
//! * Every thread that runs a P loop owns a ring (`enter_worker`). An op
//!   started there goes straight to that ring: no lock but the op's
//!   mailbox, no system call until the worker next polls.
//! * A worker polls its ring without blocking before it steals and every
//!   61 ticks, and parks *in* its ring (`IoPark`), so completions are
//!   reaped by the worker that owns them whether it is busy or idle.
//! * Threads without a ring (the `block_on` thread, the blocking pool)
//!   start ops on the runtime's I/O ring, owned by one `<name>-io` thread
//!   that blocks in it, through its inbox.
//! * Cancels and abandons go to the ring that owns the op: directly on its thread, else through its inbox and waker. A task
//!   that migrated keeps its ops on the ring that started them.
//! * A thread that stops running a P (a `block_in_place` hand-off) retires
//!   its ring: ops that may wait indefinitely are cancelled there and
//!   started again on the ring of the thread their task runs on next
//!   (`ring.rs` rule 6). It keeps polling the ring until the rest are done
//!   or the runtime shuts down (`leave_worker`): its ops are never stranded.

use std::cell::RefCell;
use std::time::Duration;

use goro_netpoll::{Backend, BackendInfo, BackendKind, Op};

use super::netpoll::Netpoll;
use super::op::OpState;
use super::ring::{Request, Ring, RingShared};
use crate::sync::atomic::AtomicBool;
use crate::sync::atomic::Ordering::SeqCst;
use crate::sync::{Arc, Mutex};

thread_local! {
    /// The ring this thread owns, if any.
    static LOCAL: RefCell<Option<Ring>> = const { RefCell::new(None) };
}

/// How often a thread keeping a ring alive after losing its P looks at
/// whether the runtime is shutting down.
const KEEPER_TICK: Duration = Duration::from_millis(10);

/// The runtime's I/O state.
pub(crate) struct Driver {
    backend: Backend,
    thread_name: String,
    remote: Mutex<Option<Arc<RingShared>>>,
    info: Mutex<Option<BackendInfo>>,
    stopping: Arc<AtomicBool>,
    /// The runtime's reactor when the backend is epoll.
    netpoll: Option<Arc<Netpoll>>,
}

/// Where a worker parks besides its condvar.
pub(crate) enum ParkIo {
    /// Its own ring (io_uring), woken through the ring's waker.
    Ring(goro_netpoll::Waker),
    /// The runtime's reactor (epoll), if no other worker blocks in it.
    Reactor(Arc<Netpoll>),
}

impl Driver {
    /// Resolves the backend; on epoll builds the runtime's one reactor.
    pub(crate) fn new(backend: Backend, thread_name: &str) -> std::io::Result<Driver> {
        let mut info = None;
        let mut netpoll = None;
        if !cfg!(miri) {
            // A resolution error (say an explicit io_uring that cannot run)
            // is reported by the rings, as before.
            if let Ok(chosen) = builder_for(backend).resolve() {
                if chosen.kind == BackendKind::Epoll {
                    netpoll = Some(Arc::new(Netpoll::new()?));
                    log::info!("goro: I/O backend {chosen}");
                    info = Some(chosen);
                }
            }
        }
        Ok(Driver {
            backend,
            thread_name: thread_name.to_string(),
            remote: Mutex::new(None),
            info: Mutex::new(info),
            stopping: Arc::new(AtomicBool::new(false)),
            netpoll,
        })
    }

    /// The runtime's reactor, on epoll.
    pub(crate) fn netpoll(&self) -> Option<&Arc<Netpoll>> {
        self.netpoll.as_ref()
    }

    /// Sysmon's look at the reactor (epoll; nothing on io_uring, whose
    /// rings only their owners may poll).
    pub(crate) fn poll_reactor(&self) -> usize {
        self.netpoll.as_ref().map_or(0, |np| np.poll_now())
    }

    /// Go's `netpoll(0)` before stealing (and every 61 ticks): reaps this
    /// thread's ring, or polls the reactor if that can find anything.
    /// Returns what it delivered.
    pub(crate) fn poll_now(&self) -> usize {
        match &self.netpoll {
            Some(np) => np.poll_now(),
            None => turn_local(Some(Duration::ZERO)),
        }
    }

    /// The backend the rings run, once one exists.
    pub(crate) fn info(&self) -> Option<BackendInfo> {
        *self.info.lock()
    }

    fn builder(&self) -> goro_netpoll::Builder {
        builder_for(self.backend)
    }

    fn new_ring(&self) -> std::io::Result<Ring> {
        let ring = Ring::new(self.builder())?;
        let mut info = self.info.lock();
        if info.is_none() {
            log::info!("goro: I/O backend {}", ring.shared().info());
            *info = Some(ring.shared().info());
        }
        Ok(ring)
    }

    /// The runtime's I/O ring, for threads that own none; started on first
    /// use.
    fn remote(&self) -> Arc<RingShared> {
        let mut remote = self.remote.lock();
        if let Some(r) = &*remote {
            return r.clone();
        }
        let ring = match self.spawn_io_thread() {
            Ok(r) => r,
            Err(e) => panic!("goro: cannot start the I/O thread: {e}"),
        };
        *remote = Some(ring.clone());
        ring
    }

    fn spawn_io_thread(&self) -> std::io::Result<Arc<RingShared>> {
        let (tx, rx) = std::sync::mpsc::channel();
        let ring_builder = self.builder();
        let stopping = self.stopping.clone();
        let handle = crate::sync::spawn_named(format!("{}-io", self.thread_name), move || {
            let ring = match Ring::new(ring_builder) {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            let _ = tx.send(Ok(ring.shared().clone()));
            install(ring);
            while !stopping.load(SeqCst) {
                turn_local(None);
            }
            // The ring (and its poller) drop with this thread's TLS.
        })?;
        let ring = rx
            .recv()
            .map_err(|_| std::io::Error::other("goro: the I/O thread died"))??;
        let mut info = self.info.lock();
        if info.is_none() {
            log::info!("goro: I/O backend {}", ring.info());
            *info = Some(ring.info());
        }
        drop(handle); // detached: it exits when `shutdown` wakes it
        Ok(ring)
    }

    /// Stops the I/O thread (runtime shutdown).
    pub(crate) fn shutdown(&self) {
        self.stopping.store(true, SeqCst);
        if let Some(r) = &*self.remote.lock() {
            r.wake();
        }
    }

    /// A thread starts running a P: on epoll, the reactor to park in; on
    /// io_uring, give it a ring (once per thread) and return the waker its
    /// park should use. `None` if the ring cannot be built (the worker then
    /// parks on its condvar and its ops go to the I/O ring).
    pub(crate) fn enter_worker(&self) -> Option<ParkIo> {
        if cfg!(miri) {
            // Miri cannot run io_uring or epoll system calls; the scheduler
            // tests it runs use no I/O, so workers park on their condvar.
            return None;
        }
        if let Some(np) = &self.netpoll {
            return Some(ParkIo::Reactor(np.clone()));
        }
        if let Some(w) = local_waker() {
            return Some(ParkIo::Ring(w));
        }
        match self.new_ring() {
            Ok(ring) => {
                let w = ring.waker();
                install(ring);
                Some(ParkIo::Ring(w))
            }
            Err(e) => {
                log::warn!("goro: worker runs without its own ring: {e}");
                None
            }
        }
    }

    /// A thread stops running a P: its ring retires (long waits move to
    /// their tasks' new threads; `ring.rs` rule 6), and the thread keeps
    /// the ring polled until the rest finish or `stop()` says to give up.
    pub(crate) fn leave_worker(&self, stop: impl Fn() -> bool) {
        retire_local();
        while local_has_ops() && !stop() && !self.stopping.load(SeqCst) {
            turn_local(Some(KEEPER_TICK));
        }
    }
}

/// Fails `Builder::build` early if an explicitly requested backend cannot
/// run here (an explicit `IoUring` never falls back; see docs/netpoll.md),
/// instead of failing at the first I/O.
pub(crate) fn check_backend(backend: Backend) -> std::io::Result<()> {
    let env_set = std::env::var(goro_netpoll::ENV_VAR).is_ok();
    if backend == Backend::IoUring && !env_set {
        goro_netpoll::Poller::builder().backend(backend).build()?;
    }
    Ok(())
}

/// Poller settings: the requested backend unless `GORO_IO_BACKEND`
/// overrides it, and a buffer ring for multishot receive (an idle
/// connection then holds no receive buffer).
fn builder_for(backend: Backend) -> goro_netpoll::Builder {
    let env_set = std::env::var(goro_netpoll::ENV_VAR)
        .map(|v| matches!(v.as_str(), "epoll" | "uring" | "io_uring"))
        .unwrap_or(false);
    let backend = if env_set { Backend::Auto } else { backend };
    goro_netpoll::Poller::builder()
        .backend(backend)
        .buffer_ring(BUF_RING_COUNT, BUF_RING_SIZE)
}

/// The current runtime's reactor if it runs epoll (`None` on io_uring).
///
/// # Panics
/// Outside a goro runtime.
pub(crate) fn current_netpoll() -> Option<Arc<Netpoll>> {
    crate::context::with_current(|s| match s {
        Some(s) => s.io.netpoll().cloned(),
        None => panic!("goro::net I/O polled outside a goro runtime"),
    })
}

fn install(ring: Ring) {
    let _ = LOCAL.try_with(|l| *l.borrow_mut() = Some(ring));
}

fn local_waker() -> Option<goro_netpoll::Waker> {
    LOCAL
        .try_with(|l| l.try_borrow().ok()?.as_ref().map(Ring::waker))
        .ok()
        .flatten()
}

fn local_has_ops() -> bool {
    LOCAL
        .try_with(|l| {
            l.try_borrow()
                .ok()
                .and_then(|r| r.as_ref().map(Ring::has_ops))
        })
        .ok()
        .flatten()
        .unwrap_or(false)
}

/// Retires this thread's ring, if it has one (`ring.rs` rule 6).
fn retire_local() {
    let _ = LOCAL.try_with(|l| {
        if let Ok(mut guard) = l.try_borrow_mut() {
            if let Some(ring) = guard.as_mut() {
                ring.retire();
            }
        }
    });
}

/// True if this thread owns a ring.
pub(crate) fn has_local_ring() -> bool {
    LOCAL
        .try_with(|l| l.try_borrow().map(|r| r.is_some()).unwrap_or(false))
        .unwrap_or(false)
}

/// Polls this thread's ring, blocking up to `timeout` (`Some(ZERO)`: not
/// at all); returns the completions handed out (0 without a ring).
pub(crate) fn turn_local(timeout: Option<Duration>) -> usize {
    let turned = LOCAL.try_with(|l| {
        let mut guard = l.try_borrow_mut().ok()?;
        let ring = guard.as_mut()?;
        if timeout == Some(Duration::ZERO) && !ring.has_work() {
            return Some(0);
        }
        match ring.turn(timeout) {
            Ok(n) => Some(n),
            Err(e) => {
                log::error!("goro: I/O poll failed: {e}");
                Some(0)
            }
        }
    });
    turned.ok().flatten().unwrap_or(0)
}

/// Submits `op` and returns the ring that owns it and the op's token.
///
/// # Panics
/// Outside a goro runtime, on a thread that owns no ring.
pub(crate) fn submit(op: Op, state: Arc<OpState>, restartable: bool) -> (Arc<RingShared>, u64) {
    let mut op = Some(op);
    let local = LOCAL
        .try_with(|l| {
            let mut guard = l.try_borrow_mut().ok()?;
            let ring = guard.as_mut()?;
            let token = ring.shared().token();
            let op = op.take()?;
            ring.submit(token, op, state.clone(), restartable);
            Some((ring.shared().clone(), token))
        })
        .ok()
        .flatten();
    if let Some(done) = local {
        return done;
    }
    let ring = crate::context::with_current(|s| match s {
        Some(s) => s.io.remote(),
        None => panic!("goro::net I/O polled outside a goro runtime"),
    });
    let token = ring.token();
    if let Some(op) = op {
        ring.request(Request::Submit(token, op, state, restartable));
    }
    (ring, token)
}

/// Hands `req` to `ring`: directly if this thread owns it, else by inbox.
pub(crate) fn on_ring(ring: &Arc<RingShared>, req: Request) {
    let mut req = Some(req);
    let _ = LOCAL.try_with(|l| {
        let Ok(mut guard) = l.try_borrow_mut() else {
            return;
        };
        let Some(local) = guard.as_mut() else {
            return;
        };
        if !Arc::ptr_eq(local.shared(), ring) {
            return;
        }
        if let Some(req) = req.take() {
            local.apply(req);
        }
    });
    if let Some(req) = req {
        ring.request(req);
    }
}

/// Buffers in each ring's provided-buffer ring.
pub(crate) const BUF_RING_COUNT: u16 = 256;
/// Size of each of them.
pub(crate) const BUF_RING_SIZE: usize = 4096;
