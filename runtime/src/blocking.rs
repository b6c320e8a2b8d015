//! Blocking work: `spawn_blocking` (a capped thread pool with keep-alive)
//! and `block_in_place` (Go's hand-off of the P).
//!
//! `block_in_place` is Go's `entersyscallblock` → `handoffp`: the thread
//! gives up its P (run queue and runnext included) and a pool thread starts
//! running that P's loop, while this thread runs the blocking closure. When
//! the closure returns before the pool thread has started the P (a short
//! blocking call), the thread takes its P back and carries on as its worker
//! (Go's `exitsyscall` fast path): whoever clears the P's `handoff` flag
//! first owns it. Otherwise the thread finishes the current poll without a
//! P (its wakes go to the global queue) and then leaves the worker loop: the
//! P stays with the thread that took it.

use std::collections::VecDeque;
use std::time::Duration;

use crate::context;
use crate::sched::{self, Shared};
use crate::sync::atomic::Ordering::{AcqRel, Release};
use crate::sync::{Arc, Condvar, Mutex};
use crate::task::{JoinHandle, Notified};

/// Work for a pool thread.
pub(crate) enum Job {
    /// A `spawn_blocking` task.
    Task(Notified),
    /// Run P `n`'s worker loop (a `block_in_place` hand-off).
    Worker(usize),
}

struct State {
    queue: VecDeque<Job>,
    threads: usize,
    idle: usize,
    notified: usize,
    shutdown: bool,
    next_name: usize,
}

/// The pool.
pub(crate) struct Pool {
    state: Mutex<State>,
    cvar: Condvar,
    max: usize,
    keep_alive: Duration,
}

impl Pool {
    pub(crate) fn new(max: usize, keep_alive: Duration) -> Pool {
        Pool {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                threads: 0,
                idle: 0,
                notified: 0,
                shutdown: false,
                next_name: 0,
            }),
            cvar: Condvar::new(),
            max,
            keep_alive,
        }
    }

    /// (threads, idle threads).
    pub(crate) fn counts(&self) -> (usize, usize) {
        let s = self.state.lock();
        (s.threads, s.idle)
    }

    pub(crate) fn submit(&self, shared: &Arc<Shared>, job: Job) {
        let mut s = self.state.lock();
        if s.shutdown {
            drop(s);
            cancel_job(shared, job);
            return;
        }
        // A worker hand-off must not wait behind the cap: it carries a P.
        let must_spawn = matches!(job, Job::Worker(_)) && s.idle == s.notified;
        s.queue.push_back(job);
        if s.idle > s.notified && !must_spawn {
            s.notified += 1;
            drop(s);
            self.cvar.notify_one();
            return;
        }
        if s.threads >= self.max && !must_spawn {
            return; // a busy thread will pick it up
        }
        s.threads += 1;
        s.next_name += 1;
        let name = format!("{}-blocking-{}", shared.config.thread_name, s.next_name);
        drop(s);
        shared.thread_started();
        let sh = shared.clone();
        match crate::sync::spawn_named(name, move || {
            let hooks = sh.clone();
            hooks.with_thread_hooks(|| pool_thread(sh));
        }) {
            Ok(h) => shared.keep_join_handle(h),
            Err(_) => {
                // Out of threads: the job stays queued for a live thread.
                self.state.lock().threads -= 1;
                shared.thread_exited();
            }
        }
    }

    pub(crate) fn shutdown(&self) {
        let mut s = self.state.lock();
        s.shutdown = true;
        drop(s);
        self.cvar.notify_all();
    }
}

/// Shutdown: a queued task is cancelled; a queued P is drained (the thread
/// that queued it gave it up, so draining it here is the owner's act).
fn cancel_job(shared: &Shared, job: Job) {
    match job {
        Job::Task(t) => t.shutdown(),
        Job::Worker(i) => {
            if shared.ps[i].handoff.swap(false, AcqRel) {
                sched::drain_p(&shared.ps[i]);
            }
        }
    }
}

fn pool_thread(shared: Arc<Shared>) {
    {
        let pool = &shared.blocking;
        let mut s = pool.state.lock();
        loop {
            if let Some(job) = s.queue.pop_front() {
                drop(s);
                match job {
                    Job::Task(t) => {
                        let _enter = context::enter(&shared, None);
                        t.run();
                    }
                    Job::Worker(i) => {
                        // The `block_in_place` thread may have taken its P
                        // back already.
                        if shared.ps[i].handoff.swap(false, AcqRel) {
                            sched::worker::run(shared.clone(), i);
                        }
                    }
                }
                s = pool.state.lock();
                continue;
            }
            if s.shutdown {
                break;
            }
            s.idle += 1;
            s = pool.cvar.wait_timeout(s, pool.keep_alive);
            s.idle -= 1;
            if s.notified > 0 {
                s.notified -= 1;
            } else if s.queue.is_empty() && !s.shutdown {
                // Keep-alive expired with nothing to do.
                break;
            }
        }
        s.threads -= 1;
        // Jobs queued after shutdown are cancelled.
        let leftover: Vec<Job> = if s.shutdown {
            s.queue.drain(..).collect()
        } else {
            Vec::new()
        };
        drop(s);
        for job in leftover {
            cancel_job(&shared, job);
        }
    }
    shared.thread_exited();
}

/// Runs `f` on the blocking pool and returns a handle to its result.
///
/// ```
/// let rt = goro::Runtime::new().unwrap();
/// let n = rt.block_on(async { goro::spawn_blocking(|| 40 + 2).await.unwrap() });
/// assert_eq!(n, 42);
/// ```
///
/// # Panics
/// Outside a runtime.
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let location = std::panic::Location::caller();
    context::with_current(|s| match s {
        Some(s) => spawn_blocking_on(s, f, location),
        None => {
            panic!("goro::spawn_blocking called outside a goro runtime; use Handle::spawn_blocking")
        }
    })
}

pub(crate) fn spawn_blocking_on<F, R>(
    shared: &Arc<Shared>,
    f: F,
    location: &'static std::panic::Location<'static>,
) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let (notified, join, raw) = Shared::new_task(shared, BlockingTask(Some(f)), None, location);
    if shared.register(raw) {
        sched::release_to_blocking(shared, notified);
    }
    join
}

/// A future that runs its closure on first poll (never pending).
struct BlockingTask<F>(Option<F>);

impl<F> Unpin for BlockingTask<F> {}

impl<F: FnOnce() -> R, R> std::future::Future for BlockingTask<F> {
    type Output = R;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<R> {
        let f = self.0.take().expect("blocking task polled twice");
        std::task::Poll::Ready(f())
    }
}

/// Runs `f`, which may block, on this thread; if this thread is a worker,
/// its processor (run queue, runnext and all) first passes to another
/// thread so the queued tasks keep running. Outside a worker (on the
/// `block_on` thread, say) it just runs `f`.
///
/// ```
/// let rt = goro::Runtime::new().unwrap();
/// let v = rt.block_on(async {
///     goro::spawn(async { goro::block_in_place(|| 5) }).await.unwrap()
/// });
/// assert_eq!(v, 5);
/// ```
pub fn block_in_place<F: FnOnce() -> R, R>(f: F) -> R {
    let handed = context::with_current(|s| {
        let shared = s?;
        let p = context::current_p(shared)?;
        context::release_p();
        // Before the job is queued: the pool thread clears it to take the P.
        shared.ps[p].handoff.store(true, Release);
        shared.blocking.submit(shared, Job::Worker(p));
        Some((shared.clone(), p))
    });
    let out = f();
    if let Some((shared, p)) = handed {
        if shared.ps[p].handoff.swap(false, AcqRel) {
            // The pool thread has not started the P: take it back.
            context::reacquire_p(p);
        }
    }
    out
}
