//! The scheduler's shared state (Go's `schedt` plus the array of Ps) and
//! the paths that put tasks on queues.
//!
//! ```text
//!  spawn / wake on a worker ──► runnext ──(kicked out)──► local ring (256)
//!     (straight to the ring when it holds more than 32) ────────▲
//!                                                            │ full: half
//!  spawn / wake elsewhere ──────────────► global queue ◄─────┘
//!                                             │ every 61 ticks, or when
//!                                             ▼ local work runs out (batch)
//!  worker loop: shed tasks owed back (after an overflow, one pop each)
//!               → runnext (≤3 in a row) → local → runnext → global batch
//!               → steal half from a random victim (runnext on the last
//!                 pass, after a back-off) → park (last searcher re-checks)
//! ```

mod busy;
pub(crate) mod helper;
pub mod idle;
pub mod inject;
pub mod park;
pub mod queue;
pub(crate) mod worker;

use std::panic::Location;
use std::ptr::{self, NonNull};

use crate::runtime::{Config, UnhandledPanic};
use crate::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, SeqCst};
use crate::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize};
use crate::sync::{Arc, Condvar, Mutex};
use crate::task::registry::Registry;
use crate::task::{Header, JoinHandle, Notified};
use crate::time::Timers;
use crate::{blocking, context};
use busy::BusyClock;
use idle::Idle;
use inject::Inject;
use park::Park;
use queue::{Local, Overflow};

/// Per-worker counters: written by the P's holder (load + store, no RMW),
/// read by `metrics()`.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) polls: AtomicU64,
    pub(crate) steals: AtomicU64,
    pub(crate) stolen_tasks: AtomicU64,
    pub(crate) parks: AtomicU64,
    pub(crate) forced_yields: AtomicU64,
    pub(crate) completed: AtomicU64,
    pub(crate) global_batches: AtomicU64,
    /// Time not parked, as [`BusyClock`] encodes it.
    pub(crate) busy: BusyClock,
}

/// Above this many tasks in its ring, a worker stops handing woken or
/// spawned tasks the runnext slot (worker.rs rule 6).
pub(crate) const RUNNEXT_MAX_RING: usize = 32;

/// Adds to a counter that only one thread writes.
#[inline]
pub(crate) fn bump(counter: &AtomicU64, by: u64) {
    counter.store(counter.load(Relaxed) + by, Relaxed);
}

/// A processor (Go's P): its run queue, runnext slot, parker and counters.
///
/// The `Cell`-like fields (`tick`, `rng`, `streak`, `searching`) are
/// owner-only: touched only by the thread holding the P (`context.rs`), and
/// a P changes hands only through the blocking pool's queue and the
/// `handoff` flag's AcqRel swap, which order the accesses.
pub(crate) struct P {
    pub(crate) run_queue: Local<Notified>,
    pub(crate) runnext: AtomicPtr<Header>,
    /// Recycled task-cell memory (owner-only, `task/cache.rs`).
    pub(crate) cells: crate::task::CellCache,
    pub(crate) park: crate::io::park::IoPark,
    pub(crate) counters: Counters,
    /// A `block_in_place` hand-off of this P is queued and not started:
    /// the pool thread and the thread that handed it off race to clear it,
    /// and the winner owns the P (`blocking.rs`).
    pub(crate) handoff: AtomicBool,
    /// Spawn location of the task being polled; null between polls (sysmon
    /// reads it).
    pub(crate) polling: AtomicPtr<Location<'static>>,
    pub(crate) tick: AtomicU64,
    pub(crate) rng: AtomicU64,
    pub(crate) streak: AtomicUsize,
    /// Ring pops that go before runnext: set to the size of a batch just
    /// taken from the global queue (owner-only).
    pub(crate) ring_first: AtomicUsize,
    /// First tick at which the global queue may have its turn again,
    /// outside the 61-tick rhythm (owner-only; `worker.rs` rule 1).
    pub(crate) global_turn_tick: AtomicU64,
    /// Tasks this P's ring pushed to the global queue when it overflowed
    /// and has not taken back yet (owner-only; `worker.rs` rule 5). They
    /// are older than everything left in the ring, so they run first.
    pub(crate) overflow_debt: AtomicUsize,
    pub(crate) searching: AtomicBool,
    /// Task ids handed out from a block reserved on the shared counter, so
    /// a spawn on a worker does not bounce that counter between cores.
    next_id: AtomicU64,
    id_end: AtomicU64,
}

impl P {
    fn new(seed: u64) -> P {
        P {
            run_queue: Local::new(),
            cells: crate::task::CellCache::new(),
            runnext: AtomicPtr::new(ptr::null_mut()),
            park: crate::io::park::IoPark::new(),
            counters: Counters::default(),
            handoff: AtomicBool::new(false),
            polling: AtomicPtr::new(ptr::null_mut()),
            tick: AtomicU64::new(0),
            rng: AtomicU64::new(seed | 1),
            streak: AtomicUsize::new(0),
            ring_first: AtomicUsize::new(0),
            global_turn_tick: AtomicU64::new(0),
            overflow_debt: AtomicUsize::new(0),
            searching: AtomicBool::new(false),
            next_id: AtomicU64::new(0),
            id_end: AtomicU64::new(0),
        }
    }

    /// Owner: a xorshift step for victim choice.
    pub(crate) fn next_rand(&self) -> u64 {
        let mut x = self.rng.load(Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng.store(x, Relaxed);
        x
    }

    /// Owner: puts `task` in runnext; returns the task it displaced.
    fn put_runnext(&self, task: Notified) -> Option<Notified> {
        let old = self.runnext.swap(task.into_raw().as_ptr(), AcqRel);
        // SAFETY: a non-null runnext holds one `Notified` reference, which the
        // swap handed to us.
        NonNull::new(old).map(|p| unsafe { Notified::from_raw(p) })
    }

    /// Anyone: takes the runnext task (the owner, or a thief after its
    /// back-off).
    pub(crate) fn take_runnext(&self) -> Option<Notified> {
        if self.runnext.load(Relaxed).is_null() {
            return None;
        }
        let old = self.runnext.swap(ptr::null_mut(), AcqRel);
        // SAFETY: as in `put_runnext`.
        NonNull::new(old).map(|p| unsafe { Notified::from_raw(p) })
    }

    pub(crate) fn has_runnext(&self) -> bool {
        !self.runnext.load(Acquire).is_null()
    }
}

/// Everything the workers, handles and tasks share.
pub(crate) struct Shared {
    pub(crate) ps: Box<[P]>,
    pub(crate) inject: Inject<Notified>,
    pub(crate) idle: Idle,
    pub(crate) registry: Registry,
    pub(crate) timers: Timers,
    /// Free task-cell memory shared by the Ps and threads without one
    /// (Go's `sched.gFree`; `task/cache.rs`).
    pub(crate) cell_depot: crate::task::Depot,
    pub(crate) blocking: blocking::Pool,
    /// The I/O driver: rings per worker thread and the runtime's I/O ring.
    pub(crate) io: crate::io::driver::Driver,
    pub(crate) config: Config,
    shutdown: AtomicBool,
    next_id: AtomicU64,
    pub(crate) stuck_polls: AtomicU64,
    /// Times sysmon rested until woken (idle rule 6).
    pub(crate) sysmon_rests: AtomicU64,
    /// Task polls run by `block_on` threads (`helper.rs`).
    pub(crate) block_on_polls: AtomicU64,
    /// Threads running a P loop, the blocking pool or sysmon.
    threads: Mutex<usize>,
    threads_cvar: Condvar,
    /// Join handles, so a clean drop can wait for full thread teardown
    /// (TLS destructors included) before returning.
    join_handles: Mutex<Vec<crate::sync::thread::JoinHandle<()>>>,
    pub(crate) sysmon_lock: Mutex<bool>,
    pub(crate) sysmon_cvar: Condvar,
}

/// Where a P's full ring sheds its older half: the global queue, with the
/// count added to the P's `overflow_debt` (worker.rs rule 5).
pub(crate) struct ToInject<'a> {
    inject: &'a Inject<Notified>,
    debt: &'a AtomicUsize,
}

impl<'a> ToInject<'a> {
    pub(crate) fn new(shared: &'a Shared, p: &'a P) -> ToInject<'a> {
        ToInject {
            inject: &shared.inject,
            debt: &p.overflow_debt,
        }
    }
}

impl Overflow<Notified> for ToInject<'_> {
    fn push_batch(&self, batch: Vec<Notified>) {
        let n = batch.len();
        match self.inject.push_batch(batch) {
            Ok(()) => self.debt.store(self.debt.load(Relaxed) + n, Relaxed),
            Err(batch) => batch.into_iter().for_each(Notified::shutdown),
        }
    }
}

impl Shared {
    pub(crate) fn new(config: Config) -> std::io::Result<Shared> {
        let n = config.worker_threads;
        Ok(Shared {
            ps: (0..n)
                .map(|i| P::new(0x9E37_79B9_7F4A_7C15u64.wrapping_mul(i as u64 + 1)))
                .collect(),
            inject: Inject::new(),
            idle: Idle::new(n),
            registry: Registry::new(n + 1),
            timers: Timers::new(n),
            cell_depot: crate::task::Depot::new(),
            io: crate::io::driver::Driver::new(config.io_backend, &config.thread_name)?,
            blocking: blocking::Pool::new(config.max_blocking_threads, config.keep_alive),
            config,
            shutdown: AtomicBool::new(false),
            next_id: AtomicU64::new(1),
            stuck_polls: AtomicU64::new(0),
            sysmon_rests: AtomicU64::new(0),
            block_on_polls: AtomicU64::new(0),
            threads: Mutex::new(0),
            threads_cvar: Condvar::new(),
            join_handles: Mutex::new(Vec::new()),
            sysmon_lock: Mutex::new(false),
            sysmon_cvar: Condvar::new(),
        })
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Acquire)
    }

    /// Coarse clock for task ages (ms since start, real time).
    pub(crate) fn coarse_now_ms(&self) -> u64 {
        self.timers.coarse_ms()
    }

    /// Spawns a task: registry, then runnext (on a worker) or the global
    /// queue.
    #[track_caller]
    pub(crate) fn spawn<F>(
        this: &Arc<Self>,
        future: F,
        name: Option<Box<str>>,
    ) -> JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let location = Location::caller();
        let (notified, join, raw) = Shared::new_task(this, future, name, location);
        if this.register(raw) {
            this.schedule_new(notified);
        } else {
            drop(notified);
        }
        join
    }

    pub(crate) fn new_task<F>(
        this: &Arc<Self>,
        future: F,
        name: Option<Box<str>>,
        location: &'static Location<'static>,
    ) -> (Notified, JoinHandle<F::Output>, NonNull<Header>)
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let id = this.task_id();
        let meta = crate::task::cell_meta(id, location, name, this.coarse_now_ms());
        crate::task::new_task(future, this.clone(), meta)
    }

    /// A fresh task id: from this worker's block (owner-only fields), or the
    /// shared counter off the workers.
    fn task_id(&self) -> u64 {
        const BLOCK: u64 = 1024;
        let Some(i) = context::current_p(self) else {
            return self.next_id.fetch_add(1, Relaxed);
        };
        let p = &self.ps[i];
        let mut id = p.next_id.load(Relaxed);
        if id == p.id_end.load(Relaxed) {
            id = self.next_id.fetch_add(BLOCK, Relaxed);
            p.id_end.store(id + BLOCK, Relaxed);
        }
        p.next_id.store(id + 1, Relaxed);
        id
    }

    /// Links a new task into the registry. Returns false if the runtime is
    /// shutting down, in which case the task has been cancelled.
    pub(crate) fn register(&self, raw: NonNull<Header>) -> bool {
        let shard = context::current_p(self).unwrap_or(self.ps.len());
        self.registry.push(shard, raw);
        if self.is_shutdown() {
            // Registered after (or while) shutdown emptied the registry:
            // empty it again so this task is cancelled and released.
            self.cancel_registered();
            return false;
        }
        true
    }

    fn schedule_new(&self, task: Notified) {
        self.schedule_wake(task);
    }

    /// A task was woken (or spawned): runnext on this runtime's worker,
    /// else the global queue (Go's `ready()` / `newproc`). Behind a
    /// backlog (the ring holds more than [`RUNNEXT_MAX_RING`] tasks) it
    /// goes to the back of the ring instead (worker.rs rule 6).
    pub(crate) fn schedule_wake(&self, task: Notified) {
        match context::current_p(self) {
            Some(i) => {
                let p = &self.ps[i];
                if p.run_queue.len() > RUNNEXT_MAX_RING {
                    // runnext's occupant is older than `task`: it goes first.
                    let sink = ToInject::new(self, p);
                    if let Some(old) = p.take_runnext() {
                        p.run_queue.push_back(old, &sink);
                    }
                    p.run_queue.push_back(task, &sink);
                    self.notify_parked();
                    return;
                }
                if let Some(old) = p.put_runnext(task) {
                    p.run_queue.push_back(old, &ToInject::new(self, p));
                    // The ring now holds work another worker could take.
                    self.notify_parked();
                }
            }
            None => self.push_remote(task),
        }
    }

    /// A task woke itself while running, or used its budget: back of the
    /// local queue, not runnext (a yield). When the global queue holds
    /// more tasks than this worker's ring, it goes behind them instead, as
    /// Go's `Gosched` does (`globrunqput`): a few tasks that keep yielding
    /// would otherwise run a round each between global batches and hold a
    /// remote backlog behind them (worker.rs, fairness rule 4).
    pub(crate) fn schedule_yield(&self, task: Notified) {
        match context::current_p(self) {
            Some(i) if self.inject.len() <= self.ps[i].run_queue.len() => {
                let p = &self.ps[i];
                p.run_queue.push_back(task, &ToInject::new(self, p))
            }
            _ => self.push_remote(task),
        }
    }

    pub(crate) fn push_remote(&self, task: Notified) {
        match self.inject.push(task) {
            Ok(()) => self.notify_parked(),
            Err(task) => task.shutdown(),
        }
    }

    /// Idle rule 1: wake a parked worker if nobody is searching.
    pub(crate) fn notify_parked(&self) {
        if let Some(i) = self.idle.worker_to_notify() {
            self.ps[i].park.unpark();
        }
    }

    /// Idle rule 2: the last searcher re-checks every queue.
    pub(crate) fn notify_if_work_pending(&self) {
        let pending = self
            .ps
            .iter()
            .any(|p| !p.run_queue.is_empty() || p.has_runnext())
            || !self.inject.is_empty();
        if pending {
            self.notify_parked();
        }
    }

    /// Counts a completion on this thread's worker (the `completed`
    /// metric; completions off the workers are not counted).
    pub(crate) fn task_completed(&self) {
        if let Some(i) = context::current_p(self) {
            bump(&self.ps[i].counters.completed, 1);
        }
    }

    pub(crate) fn task_panicked(&self) {
        if self.config.unhandled_panic == UnhandledPanic::ShutdownRuntime {
            self.begin_shutdown();
        }
    }

    /// Keeps a spawned thread's handle (dropping those already finished).
    pub(crate) fn keep_join_handle(&self, h: crate::sync::thread::JoinHandle<()>) {
        let mut hs = self.join_handles.lock();
        hs.retain(|h| !crate::sync::is_finished(h));
        hs.push(h);
    }

    /// After every counted thread has left: wait for their teardown.
    pub(crate) fn join_threads(&self) {
        let hs = std::mem::take(&mut *self.join_handles.lock());
        for h in hs {
            let _ = h.join();
        }
    }

    /// A thread that counts toward shutdown's wait starts.
    pub(crate) fn thread_started(&self) {
        *self.threads.lock() += 1;
    }

    /// ... and ends. The last thread out after shutdown cleans up.
    pub(crate) fn thread_exited(&self) {
        let mut n = self.threads.lock();
        *n -= 1;
        let last = *n == 0;
        drop(n);
        if last {
            self.threads_cvar.notify_all();
            if self.is_shutdown() {
                self.cancel_everything();
            }
        }
    }

    /// Runs a runtime thread's `body` between the user's start and stop
    /// hooks (`Builder::on_thread_start`/`on_thread_stop`).
    pub(crate) fn with_thread_hooks(&self, body: impl FnOnce()) {
        if let Some(hook) = &self.config.on_thread_start {
            hook.call();
        }
        body();
        if let Some(hook) = &self.config.on_thread_stop {
            hook.call();
        }
    }

    /// Wakes sysmon from its rest (idle rule 6). The coarse clock stood
    /// still while it rested: refresh it before this worker stamps spawns.
    pub(crate) fn wake_sysmon(&self) {
        self.timers.refresh_coarse();
        let _monitor = self.sysmon_lock.lock();
        self.sysmon_cvar.notify_all();
    }

    /// Step 1 of shutdown: stop the workers, the pool and sysmon.
    pub(crate) fn begin_shutdown(&self) {
        if self.shutdown.swap(true, SeqCst) {
            return;
        }
        for p in self.ps.iter() {
            p.park.unpark();
        }
        self.io.shutdown();
        self.blocking.shutdown();
        *self.sysmon_lock.lock() = true;
        self.sysmon_cvar.notify_all();
    }

    /// Step 2: wait for the threads, up to `timeout`. True if all exited.
    pub(crate) fn wait_threads(&self, timeout: Option<std::time::Duration>) -> bool {
        let deadline = timeout.and_then(|t| std::time::Instant::now().checked_add(t));
        let mut n = self.threads.lock();
        while *n > 0 {
            match deadline {
                None => n = self.threads_cvar.wait(n),
                Some(d) => {
                    let now = std::time::Instant::now();
                    if now >= d {
                        return false;
                    }
                    n = self.threads_cvar.wait_timeout(n, d - now);
                }
            }
        }
        true
    }

    /// Step 3: cancel what is left: queued tasks, idle tasks, timers.
    pub(crate) fn cancel_everything(&self) {
        for task in self.inject.close() {
            task.shutdown();
        }
        self.cancel_registered();
        self.timers.clear();
    }

    fn cancel_registered(&self) {
        self.registry.take_all(|node| {
            crate::task::shutdown_task(node);
            // SAFETY: registry rule 3: `take_all` handed us the list's
            // reference.
            unsafe { crate::task::drop_ref(node) };
        });
    }
}

/// Makes sure a P's leftover queue entries are released when its loop ends
/// at shutdown.
pub(crate) fn drain_p(p: &P) {
    if let Some(t) = p.take_runnext() {
        t.shutdown();
    }
    while let Some(t) = p.run_queue.pop() {
        t.shutdown();
    }
}

/// Hands a task to the blocking pool (for `spawn_blocking`).
pub(crate) fn release_to_blocking(shared: &Arc<Shared>, task: Notified) {
    shared.blocking.submit(shared, blocking::Job::Task(task));
}
