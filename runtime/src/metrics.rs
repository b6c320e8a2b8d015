//! Runtime metrics: a stable snapshot API, no unstable cfg (tokio#4073).

use crate::sched::Shared;
use crate::sync::atomic::Ordering::Relaxed;

/// Counters of one worker (P) since the runtime started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerMetrics {
    /// Task polls.
    pub polls: u64,
    /// Successful steals (each moves up to half a victim's queue).
    pub steals: u64,
    /// Tasks moved by those steals.
    pub stolen_tasks: u64,
    /// Times the worker parked.
    pub parks: u64,
    /// Tasks queued locally right now (runnext included).
    pub local_queue_depth: usize,
    /// Times the ring was full and half of it went to the global queue.
    pub overflows: u64,
    /// Polls that ended because the cooperative budget ran out.
    pub budget_forced_yields: u64,
    /// Batches taken from the global queue.
    pub global_queue_batches: u64,
    /// Tasks that completed on this worker.
    pub completed: u64,
    /// Time this P was not parked since the runtime started: running
    /// tasks, polling its ring or the reactor, looking for work (tokio's
    /// `worker_total_busy_duration`, but counting the spell under way
    /// too). Divided by [`RuntimeMetrics::uptime`], the P's utilisation.
    pub busy: std::time::Duration,
}

/// A snapshot of the runtime's counters and queue depths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuntimeMetrics {
    /// One entry per worker.
    pub workers: Vec<WorkerMetrics>,
    /// Time since the runtime started.
    pub uptime: std::time::Duration,
    /// Tasks in the global queue.
    pub global_queue_depth: usize,
    /// Live blocking-pool threads.
    pub blocking_threads: usize,
    /// Of those, idle ones.
    pub idle_blocking_threads: usize,
    /// Polls that sysmon saw running for more than 10 ms.
    pub stuck_polls: u64,
    /// Times sysmon rested until woken because every worker was parked and
    /// none had woken for a whole look (an idle runtime's monitor costs no
    /// CPU).
    pub sysmon_rests: u64,
    /// Task polls run by threads in `block_on` while their own future
    /// waited and every worker was busy
    /// ([`Builder::block_on_runs_tasks`](crate::Builder::block_on_runs_tasks)).
    pub block_on_polls: u64,
    /// The I/O backend the runtime's rings run, and why; `None` until the
    /// first ring exists.
    pub io_backend: Option<crate::IoBackendInfo>,
}

impl RuntimeMetrics {
    /// Sum of `steals` over the workers.
    pub fn total_steals(&self) -> u64 {
        self.workers.iter().map(|w| w.steals).sum()
    }

    /// Sum of `polls` over the workers.
    pub fn total_polls(&self) -> u64 {
        self.workers.iter().map(|w| w.polls).sum()
    }
}

pub(crate) fn snapshot(shared: &Shared) -> RuntimeMetrics {
    let now = shared.timers.real_ns();
    let workers = shared
        .ps
        .iter()
        .map(|p| {
            let c = &p.counters;
            WorkerMetrics {
                polls: c.polls.load(Relaxed),
                steals: c.steals.load(Relaxed),
                stolen_tasks: c.stolen_tasks.load(Relaxed),
                parks: c.parks.load(Relaxed),
                local_queue_depth: p.run_queue.len() + usize::from(p.has_runnext()),
                overflows: p.run_queue.overflows(),
                budget_forced_yields: c.forced_yields.load(Relaxed),
                global_queue_batches: c.global_batches.load(Relaxed),
                completed: c.completed.load(Relaxed),
                busy: std::time::Duration::from_nanos(c.busy.busy_ns(now)),
            }
        })
        .collect();
    let (blocking_threads, idle_blocking_threads) = shared.blocking.counts();
    RuntimeMetrics {
        workers,
        uptime: std::time::Duration::from_nanos(now),
        global_queue_depth: shared.inject.len(),
        blocking_threads,
        idle_blocking_threads,
        stuck_polls: shared.stuck_polls.load(Relaxed),
        sysmon_rests: shared.sysmon_rests.load(Relaxed),
        block_on_polls: shared.block_on_polls.load(Relaxed),
        io_backend: shared.io.info(),
    }
}
