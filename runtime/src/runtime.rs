//! `Runtime`, `Builder` and `Handle`: the entry points.

use crate::sync::StdArc;
use std::fmt;
use std::future::Future;
use std::io;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use crate::context;
use crate::metrics::RuntimeMetrics;
use crate::sched::park::{CondvarPark, Park};
use crate::sched::{self, Shared};
use crate::sync::Arc;
use crate::task::JoinHandle;

/// What a panic inside a task does to the runtime (the task's
/// `JoinHandle` always reports it as a [`JoinError`](crate::JoinError)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UnhandledPanic {
    /// Keep running (the default).
    #[default]
    Ignore,
    /// Shut the runtime down: workers stop and every task is cancelled.
    ShutdownRuntime,
}

/// Settings fixed at build time.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) worker_threads: usize,
    pub(crate) thread_name: String,
    pub(crate) max_blocking_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) unhandled_panic: UnhandledPanic,
    pub(crate) io_backend: goro_netpoll::Backend,
    pub(crate) block_on_runs_tasks: bool,
    pub(crate) on_thread_start: Option<ThreadHook>,
    pub(crate) on_thread_stop: Option<ThreadHook>,
}

/// A user callback run on the runtime's own threads
/// ([`Builder::on_thread_start`], [`Builder::on_thread_stop`]).
#[derive(Clone)]
pub(crate) struct ThreadHook(StdArc<dyn Fn() + Send + Sync>);

impl ThreadHook {
    pub(crate) fn call(&self) {
        (self.0)()
    }
}

impl std::fmt::Debug for ThreadHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ThreadHook")
    }
}

/// Configures and builds a [`Runtime`].
///
/// ```
/// let rt = goro::Runtime::builder()
///     .worker_threads(2)
///     .thread_name("demo")
///     .max_blocking_threads(8)
///     .build()
///     .unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    config: Config,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// Defaults: one worker per CPU, 512 blocking threads kept alive 10 s.
    pub fn new() -> Builder {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Builder {
            config: Config {
                worker_threads: cpus,
                thread_name: "goro".to_string(),
                max_blocking_threads: 512,
                keep_alive: Duration::from_secs(10),
                unhandled_panic: UnhandledPanic::Ignore,
                io_backend: goro_netpoll::Backend::Auto,
                block_on_runs_tasks: false,
                on_thread_start: None,
                on_thread_stop: None,
            },
        }
    }

    /// Number of workers (Go's GOMAXPROCS). At least 1.
    pub fn worker_threads(&mut self, n: usize) -> &mut Self {
        self.config.worker_threads = n.max(1);
        self
    }

    /// Thread name prefix (`<name>-worker-<i>`, `<name>-blocking-<i>`).
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.config.thread_name = name.into();
        self
    }

    /// Cap on blocking-pool threads (`block_in_place` hand-offs may exceed
    /// it: a P must never wait for a thread). At least 1.
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Self {
        self.config.max_blocking_threads = n.max(1);
        self
    }

    /// How long an idle blocking thread waits for work before exiting.
    pub fn thread_keep_alive(&mut self, d: Duration) -> &mut Self {
        self.config.keep_alive = d;
        self
    }

    /// What a task panic does to the runtime.
    pub fn on_unhandled_panic(&mut self, behaviour: UnhandledPanic) -> &mut Self {
        self.config.unhandled_panic = behaviour;
        self
    }

    /// Which poller backend the I/O rings use: `Auto` (io_uring if the
    /// kernel offers it, else epoll), `IoUring` (`build` fails if it is
    /// unavailable) or `Epoll`. The `GORO_IO_BACKEND` environment
    /// variable (`uring` or `epoll`) overrides this. The backend in use
    /// shows in [`RuntimeMetrics::io_backend`](crate::metrics::RuntimeMetrics::io_backend)
    /// and in one `info` log line.
    pub fn io_backend(&mut self, backend: crate::IoBackend) -> &mut Self {
        self.config.io_backend = backend;
        self
    }

    /// Whether a `block_on` thread runs queued tasks while its future
    /// waits and the runtime is saturated: every worker awake and none
    /// looking for work (default `false`). Go's main goroutine behaves
    /// this way, and so does tokio's current-thread `block_on`. Under
    /// saturation a task spawned or woken from outside otherwise waits for
    /// a worker while the caller's thread sleeps; with this on, the
    /// caller's thread works through the global queue meanwhile (its polls
    /// count in [`RuntimeMetrics::block_on_polls`](crate::metrics::RuntimeMetrics::block_on_polls)).
    ///
    /// Such a task runs inside the `block_on` call, on the caller's thread,
    /// without a P: leave this off if tasks must not run there (the caller
    /// holds a lock across `block_on` that a task may take, thread-locals,
    /// a small stack), or if they must see a worker's per-P state.
    ///
    /// ```
    /// let rt = goro::Runtime::builder()
    ///     .worker_threads(1)
    ///     .block_on_runs_tasks(true)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(rt.block_on(async { goro::spawn(async { 7 }).await }).unwrap(), 7);
    /// ```
    pub fn block_on_runs_tasks(&mut self, yes: bool) -> &mut Self {
        self.config.block_on_runs_tasks = yes;
        self
    }

    /// Runs `f` on every thread the runtime starts to run tasks or
    /// blocking work (the first worker threads, blocking-pool threads, and
    /// so the threads a `block_in_place` hand-off gives a P to), before
    /// the thread does any work. Tasks and `spawn_blocking` closures can
    /// therefore rely on what it sets up: thread-local state, a tracing
    /// dispatcher, CPU affinity. The thread's name tells its role
    /// (`<name>-worker-<i>`, `<name>-blocking-<i>`); with GMP hand-offs a
    /// P can move to a blocking-pool thread, so a name is not a P. The
    /// monitor thread and the I/O thread run no user code and do not call
    /// it. `f` must not panic.
    ///
    /// ```
    /// use std::cell::Cell;
    ///
    /// thread_local!(static ON_RUNTIME: Cell<bool> = const { Cell::new(false) });
    ///
    /// let rt = goro::Runtime::builder()
    ///     .worker_threads(2)
    ///     .on_thread_start(|| ON_RUNTIME.with(|c| c.set(true)))
    ///     .build()
    ///     .unwrap();
    /// let seen = rt.block_on(async { goro::spawn(async { ON_RUNTIME.with(Cell::get) }).await });
    /// assert!(seen.unwrap());
    /// ```
    pub fn on_thread_start<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.config.on_thread_start = Some(ThreadHook(StdArc::new(f)));
        self
    }

    /// Runs `f` on each thread [`on_thread_start`](Builder::on_thread_start)
    /// ran on, after its last piece of work, just before it exits (an idle
    /// blocking-pool thread after its keep-alive, every thread at
    /// shutdown; dropping the [`Runtime`] waits for them). `f` must not
    /// panic.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    ///
    /// let (started, stopped) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    /// let (s, e) = (started.clone(), stopped.clone());
    /// let rt = goro::Runtime::builder()
    ///     .worker_threads(2)
    ///     .on_thread_start(move || { s.fetch_add(1, SeqCst); })
    ///     .on_thread_stop(move || { e.fetch_add(1, SeqCst); })
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(rt.handle().spawn_blocking(|| ())).unwrap();
    /// drop(rt);
    /// assert!(started.load(SeqCst) >= 3); // two workers, one blocking thread
    /// assert_eq!(started.load(SeqCst), stopped.load(SeqCst));
    /// ```
    pub fn on_thread_stop<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.config.on_thread_stop = Some(ThreadHook(StdArc::new(f)));
        self
    }

    /// Starts the workers and the monitor thread.
    pub fn build(&mut self) -> io::Result<Runtime> {
        crate::io::driver::check_backend(self.config.io_backend)?;
        let shared = Arc::new(Shared::new(self.config.clone())?);
        shared.timers.refresh_coarse();
        let rt = Runtime {
            handle: Handle {
                shared: shared.clone(),
            },
        };
        for i in 0..shared.ps.len() {
            let sh = shared.clone();
            shared.thread_started();
            let name = format!("{}-worker-{i}", shared.config.thread_name);
            match crate::sync::spawn_named(name, move || {
                let exit = sh.clone();
                exit.with_thread_hooks(|| sched::worker::run(sh, i));
                exit.thread_exited();
            }) {
                Ok(h) => shared.keep_join_handle(h),
                Err(e) => {
                    shared.thread_exited();
                    return Err(e); // `rt` drops and shuts the rest down
                }
            }
        }
        let sh = shared.clone();
        shared.thread_started();
        let name = format!("{}-sysmon", shared.config.thread_name);
        match crate::sync::spawn_named(name, move || {
            crate::sysmon::run(&sh);
            sh.thread_exited();
        }) {
            Ok(h) => shared.keep_join_handle(h),
            Err(e) => {
                shared.thread_exited();
                return Err(e);
            }
        }
        Ok(rt)
    }
}

/// A goro runtime: worker threads running tasks GMP-style.
///
/// Dropping it shuts it down: workers stop, every unfinished task is
/// cancelled (its future dropped), and the drop waits for the worker and
/// blocking threads to exit.
pub struct Runtime {
    handle: Handle,
}

impl Runtime {
    /// A runtime with the default settings.
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A [`Builder`].
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// A cloneable, `Send` handle to this runtime.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Spawns a task (from any thread).
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs `future` to completion on this thread, inside the runtime's
    /// context (so `goro::spawn` and timers work). Other tasks run on the
    /// workers meanwhile (and, if [`Builder::block_on_runs_tasks`] is on,
    /// on this thread too while `future` waits and every worker is busy).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// Shuts down, waiting at most `timeout` for worker and blocking
    /// threads (a thread stuck in user code is left behind, detached).
    pub fn shutdown_timeout(self, timeout: Duration) {
        let shared = self.handle.shared.clone();
        shared.begin_shutdown();
        let all_exited = shared.wait_threads(Some(timeout));
        shared.cancel_everything();
        if all_exited {
            shared.join_threads();
        }
        // Skip `Drop`, which would wait without a bound.
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again; we move the handle
        // out once so its reference count is released.
        drop(unsafe { std::ptr::read(&this.handle) });
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let shared = &self.handle.shared;
        shared.begin_shutdown();
        // A runtime dropped on one of its own threads cannot wait for it.
        let on_own_thread = context::current_p(shared).is_some();
        if !on_own_thread {
            shared.wait_threads(None);
        }
        shared.cancel_everything();
        if !on_own_thread {
            shared.join_threads();
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.handle.shared.ps.len())
            .finish()
    }
}

/// A handle to a runtime: spawn onto it, read its metrics, dump its tasks.
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

impl Handle {
    /// The handle of the runtime this thread is in.
    ///
    /// # Panics
    /// Outside a runtime.
    pub fn current() -> Handle {
        Self::try_current().expect("goro::Handle::current called outside a goro runtime")
    }

    /// The handle of the runtime this thread is in, if any.
    pub fn try_current() -> Option<Handle> {
        context::with_current(|s| s.map(|s| Handle { shared: s.clone() }))
    }

    /// Spawns a task (from any thread).
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Shared::spawn(&self.shared, future, None)
    }

    /// Spawns a task with a name (shown by [`dump`](Self::dump)).
    #[track_caller]
    pub fn spawn_named<F>(&self, name: &str, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Shared::spawn(&self.shared, future, Some(name.into()))
    }

    /// Runs `f` on this runtime's blocking pool.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        crate::blocking::spawn_blocking_on(&self.shared, f, std::panic::Location::caller())
    }

    /// See [`Runtime::block_on`].
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _enter = context::enter(&self.shared, None);
        let park = StdArc::new(ThreadUnpark(CondvarPark::new()));
        let waker = Waker::from(park.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        // The spawns and `JoinHandle` drops of this thread recycle cells
        // through a cache of its own for the call.
        crate::task::thread_cache(&self.shared.cell_depot, || {
            loop {
                let (polled, _) = crate::coop::with_budget(|| future.as_mut().poll(&mut cx));
                if let Poll::Ready(v) = polled {
                    return v;
                }
                if self.shared.config.block_on_runs_tasks {
                    crate::sched::helper::run_while_waiting(&self.shared, &park.0);
                }
                // Returns at once if the future was woken meanwhile.
                park.0.park(None);
            }
        })
    }

    /// Counters and queue depths (see [`RuntimeMetrics`]).
    pub fn metrics(&self) -> RuntimeMetrics {
        crate::metrics::snapshot(&self.shared)
    }

    /// Every live task: Go's goroutine dump.
    pub fn dump(&self) -> crate::dump::Dump {
        crate::dump::capture(&self.shared)
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

struct ThreadUnpark(CondvarPark);

impl Wake for ThreadUnpark {
    fn wake(self: StdArc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &StdArc<Self>) {
        self.0.unpark();
    }
}
