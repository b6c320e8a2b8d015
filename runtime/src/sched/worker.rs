//! The worker loop (Go's `schedule` / `findRunnable`): which task a P runs
//! next, stealing, and parking.
//!
//! Fairness rules:
//! 1. The global queue is taken from in a batch sized to its length (Go
//!    takes one; tokio takes one: under saturation that leaves remotely
//!    spawned tasks waiting ~90 µs each), and the whole ring then runs
//!    before runnext (the ring's turn). Outside a ring's turn it is looked
//!    at every 61st tick, and besides as soon as the ring has had its turn
//!    plus one more tick (for runnext): the global queue is one more
//!    member of the round,
//!    so under a flood of remote spawns every local task still runs once
//!    per batch, and a backlog behind busy tasks (10 µs polls in
//!    `spawn_many_remote_busy1`) drains at a batch per round rather than
//!    per 61 (or 8) polls. The look costs one relaxed load of the global
//!    queue's length.
//! 2. runnext runs at most 3 times in a row (tokio's LIFO cap); then the
//!    ring's head goes first, so a ping-pong pair sharing runnext cannot
//!    starve the queue. A runnext poll does not refresh anything extra:
//!    every poll gets the same 128-step budget.
//! 3. A thief takes runnext only on its last steal pass, after a short
//!    back-off, so the owner usually runs its own hand-off (Go's
//!    `usleep(3)`), yet a task stuck behind a long poll is not stranded
//!    (tokio's LIFO slot is never stolen: tokio#4941).
//! 4. A yield (a self-wake, or a budget-forced yield) goes to the back of
//!    the global queue when that queue is longer than the ring, as Go's
//!    `Gosched` does; else to the back of the ring
//!    (`Shared::schedule_yield`). With yields kept local, two tasks that
//!    yield and compute 10 µs per poll ran a round between every batch,
//!    and a 10k backlog of remote spawns drained in 3.4 ms instead of
//!    0.2–0.4 ms. Go's rule as it stands (global whenever it is not empty)
//!    feeds itself: yielders refill the global queue, every yield takes
//!    its lock, and `yield_many` ran 4× slower. Compared with the ring's
//!    length, yields go local again once the backlog is shared out.
//! 5. When the ring overflows, its older half goes to the global queue
//!    (Go's `runqputslow`) and the P owes that many pops to the global
//!    queue, which it pays before anything else. Go and tokio look there
//!    only every 61st tick, so under a backlog the shed tasks, the oldest
//!    the P had, waited behind every newer one: on one worker, hyper's
//!    HTTP/2 at 1,024 streams in flight overflowed 293 times per 100k
//!    requests and its p99 was 2.5× tokio current_thread's (whose queue is
//!    one unbounded FIFO). Other workers may take the shed tasks first;
//!    the debt then pops whatever the global queue holds, at most as many.
//! 6. runnext is for hand-offs (a wake or a spawn that the running task
//!    will wait on), which it keeps cache-warm and quick. Behind a backlog
//!    (more than `RUNNEXT_MAX_RING` tasks in the ring) a hand-off no longer
//!    runs soon anyway, and jumping the queue only stretches everyone
//!    else's wait: woken and spawned tasks then go to the back of the ring,
//!    as Go's netpoll already puts the tasks it wakes.

use std::time::{Duration, Instant};

use super::park::Park;
use super::{P, Shared, bump, drain_p};
use crate::context;
use crate::coop;
use crate::sync::Arc;
use crate::sync::atomic::Ordering::Relaxed;
use crate::task::Notified;

/// Ticks between forced looks at the global queue (Go and tokio: 61).
const GLOBAL_INTERVAL: u64 = 61;
/// Ticks after the ring's turn before the global queue's next turn: one,
/// so runnext is not shut out by a steady stream of batches (rule 1).
const GLOBAL_AFTER_RING: u64 = 2;
/// runnext polls in a row before the ring's head gets a turn.
const MAX_RUNNEXT_STREAK: usize = 3;
/// Passes over the victims before giving up (Go's `stealTries`).
const STEAL_TRIES: usize = 4;
/// Largest batch taken from the global queue at once.
const MAX_GLOBAL_BATCH: usize = 128;
/// How long a thief waits before taking a running victim's runnext.
const RUNNEXT_BACKOFF: Duration = Duration::from_micros(3);

/// Runs P `index` on this thread until shutdown or until `block_in_place`
/// gives the P away.
pub(crate) fn run(shared: Arc<Shared>, index: usize) {
    let _enter = context::enter(&shared, Some(index));
    let p = &shared.ps[index];
    // This thread parks in its ring (io_uring) or, one worker at a time,
    // in the runtime's reactor (epoll); docs/runtime-io.md.
    p.park.set_waker(shared.io.enter_worker());
    loop {
        if shared.is_shutdown() {
            drain_p(p);
            break;
        }
        let tick = p.tick.load(Relaxed).wrapping_add(1);
        p.tick.store(tick, Relaxed);
        if tick % GLOBAL_INTERVAL == 0 {
            // A busy worker still reaps its ring's completions (or the
            // reactor's edges, if no idle worker blocks in it).
            shared.io.poll_now();
            shared.timers.fire_due();
        }
        // A worker woken as a searcher may find work on its first look:
        // it must still leave the searching state (idle rule 3).
        let task = match next_task(&shared, p, tick) {
            Some(t) => Some(found(&shared, p, t)),
            None => {
                // Go's findRunnable: poll the ring (or the reactor) without
                // blocking before stealing; what it wakes runs here next.
                // With nobody to steal from, the park that follows polls
                // anyway: there the early poll only added a system call to
                // every idle spell (an `epoll_wait` or an `io_uring_enter`
                // that finds nothing, once per message under a paced load).
                let steal = !nobody_to_steal_from(&shared, p);
                if steal && shared.io.poll_now() > 0 {
                    continue;
                }
                search(&shared, index, steal)
            }
        };
        match task {
            Some(task) => {
                run_task(&shared, p, task);
                if context::raw_p() != Some(index) {
                    // `block_in_place` handed the P to another thread. Ops
                    // on this thread's ring must not be stranded.
                    shared.io.leave_worker(|| shared.is_shutdown());
                    return;
                }
            }
            None => park(&shared, index),
        }
    }
}

fn run_task(shared: &Shared, p: &P, task: Notified) {
    bump(&p.counters.polls, 1);
    p.polling
        .store(task.header().location as *const _ as *mut _, Relaxed);
    let ((), forced) = coop::with_budget(|| task.run());
    p.polling.store(std::ptr::null_mut(), Relaxed);
    if forced {
        bump(&p.counters.forced_yields, 1);
    }
    let _ = shared;
}

fn next_task(shared: &Shared, p: &P, tick: u64) -> Option<Notified> {
    let debt = p.overflow_debt.load(Relaxed);
    if debt > 0 {
        // Rule 5: what the ring shed when it overflowed is older than
        // anything still in it.
        if let Some(t) = shared.inject.pop() {
            p.overflow_debt.store(debt - 1, Relaxed);
            return Some(t);
        }
        p.overflow_debt.store(0, Relaxed);
    }
    let ring_first = p.ring_first.load(Relaxed);
    // Not during the ring's turn: a look there would append a batch and
    // restart the turn, and under a steady backlog the turn would never
    // end (runnext starved until the global queue ran dry).
    let global_due = ring_first == 0
        && (tick % GLOBAL_INTERVAL == 0 || tick >= p.global_turn_tick.load(Relaxed));
    if global_due && !shared.inject.is_empty() {
        if let Some(t) = take_global(shared, p) {
            p.streak.store(0, Relaxed);
            // A batch of one leaves the ring's turn empty: runnext still
            // gets its tick before the next batch (else a steady trickle
            // of remote spawns would shut it out).
            p.global_turn_tick
                .store(tick.wrapping_add(GLOBAL_AFTER_RING), Relaxed);
            return Some(t);
        }
    }
    if ring_first > 0 {
        // Rule 1: after a batch the whole ring runs before runnext.
        let task = p.run_queue.pop();
        let left = if task.is_some() { ring_first - 1 } else { 0 };
        p.ring_first.store(left, Relaxed);
        if left == 0 {
            // Rule 1: the ring has had its turn; runnext gets one, then
            // the global queue's turn comes round again.
            p.global_turn_tick
                .store(tick.wrapping_add(GLOBAL_AFTER_RING), Relaxed);
        }
        if task.is_some() {
            return task;
        }
    }
    let streak = p.streak.load(Relaxed);
    if streak < MAX_RUNNEXT_STREAK {
        if let Some(t) = p.take_runnext() {
            p.streak.store(streak + 1, Relaxed);
            return Some(t);
        }
    }
    p.streak.store(0, Relaxed);
    p.run_queue
        .pop()
        .or_else(|| p.take_runnext())
        .or_else(|| take_global(shared, p))
}

/// Takes a batch from the global queue: a fair share of it, bounded by
/// half the free ring (rule 1). Returns one task to run now.
fn take_global(shared: &Shared, p: &P) -> Option<Notified> {
    let len = shared.inject.len();
    if len == 0 {
        return None;
    }
    let share = len / shared.ps.len() + 1;
    let n = share
        .min(MAX_GLOBAL_BATCH)
        .min(p.run_queue.remaining() / 2)
        .max(1);
    let mut batch = Vec::with_capacity(n);
    shared.inject.pop_batch(n, &mut batch);
    let mut batch = batch.into_iter();
    let first = batch.next()?;
    bump(&p.counters.global_batches, 1);
    let sink = super::ToInject::new(shared, p);
    for t in batch {
        p.run_queue.push_back(t, &sink);
    }
    // The batch waited in the global queue already: let it run before a
    // re-spawning task in runnext can push it back again (with runnext
    // first, a batch drained at one task per four polls under
    // `spawn_many_remote_busy2`). The whole ring goes first, not just this
    // batch: an earlier batch may still be queued ahead of it, and the
    // ring is FIFO, so counting only the new batch left the rest of the
    // old one behind runnext again.
    p.ring_first.store(p.run_queue.len(), Relaxed);
    Some(first)
}

/// Go's `stealWork`, bounded by idle rule 4 (at most half the workers).
/// Without `steal`, looks at the global queue only; it still enters the
/// searching state first, so that if it parks as the last searcher it
/// re-checks every queue (idle rule 2): a worker that skipped the state
/// could miss a remote spawn pushed just before it parked, with nobody
/// woken for it.
fn search(shared: &Shared, index: usize, steal: bool) -> Option<Notified> {
    let p = &shared.ps[index];
    if !p.searching.load(Relaxed) {
        if !shared.idle.transition_worker_to_searching() {
            return None;
        }
        p.searching.store(true, Relaxed);
    }
    if !steal {
        return take_global(shared, p).map(|t| found(shared, p, t));
    }
    let n = shared.ps.len();
    for pass in 0..STEAL_TRIES {
        let last_pass = pass == STEAL_TRIES - 1;
        let start = p.next_rand() as usize % n;
        for k in 0..n {
            let victim_index = (start + k) % n;
            if victim_index == index {
                continue;
            }
            let victim = &shared.ps[victim_index];
            if let Some(t) = victim.run_queue.steal_into(&p.run_queue) {
                bump(&p.counters.steals, 1);
                bump(&p.counters.stolen_tasks, p.run_queue.len() as u64 + 1);
                return Some(found(shared, p, t));
            }
            if last_pass && victim.has_runnext() {
                // Rule 3: let a running owner take its own hand-off first.
                let until = Instant::now() + RUNNEXT_BACKOFF;
                while Instant::now() < until && victim.has_runnext() {
                    std::hint::spin_loop();
                }
                if let Some(t) = victim.take_runnext() {
                    bump(&p.counters.steals, 1);
                    bump(&p.counters.stolen_tasks, 1);
                    return Some(found(shared, p, t));
                }
            }
        }
        if let Some(t) = take_global(shared, p) {
            return Some(found(shared, p, t));
        }
    }
    None
}

/// True for a lone worker, and for one that ran dry by itself (it was not
/// woken to search) while every other worker is parked: a parked worker's
/// queues are empty, as it parked only after finding nothing (one reaping
/// its ring inside its park may queue tasks before it counts as unparked,
/// and runs them itself next). A relaxed look; if it is stale, this worker
/// parks a little early, and a submitter still wakes it (idle rule 1). A
/// worker woken to search always searches: whoever woke it saw work to
/// share.
fn nobody_to_steal_from(shared: &Shared, p: &P) -> bool {
    let n = shared.ps.len();
    n == 1 || (!p.searching.load(Relaxed) && shared.idle.parked_hint() + 1 >= n)
}

/// Idle rule 3: a searcher found work.
fn found(shared: &Shared, p: &P, task: Notified) -> Notified {
    if p.searching.load(Relaxed)
        && p.searching.swap(false, Relaxed)
        && shared.idle.transition_worker_from_searching()
    {
        shared.notify_parked();
    }
    task
}

/// Parks P `index` until notified, a timer is due, or shutdown.
fn park(shared: &Shared, index: usize) {
    let p = &shared.ps[index];
    if shared.timers.fire_due() > 0 {
        return;
    }
    let was_searching = p.searching.swap(false, Relaxed);
    if shared
        .idle
        .transition_worker_to_parked(index, was_searching)
    {
        // Idle rule 2.
        shared.notify_if_work_pending();
    }
    if !shared.is_shutdown() {
        // One parked worker sleeps with the next timer as its timeout (the
        // shape a netpoller slots into); the others sleep until unparked.
        let on_duty = shared.timers.take_duty(index);
        let timeout = if on_duty {
            shared.timers.duty_timeout()
        } else {
            None
        };
        bump(&p.counters.parks, 1);
        p.counters.busy.park(shared.timers.real_ns());
        p.park.park(timeout);
        p.counters.busy.unpark(shared.timers.real_ns());
        if on_duty {
            shared.timers.release_duty();
        }
    }
    if shared.idle.transition_worker_from_parked(index) {
        p.searching.store(true, Relaxed);
    }
    if shared.idle.take_monitor_wake() {
        // Idle rule 6: the runtime was idle and sysmon rests; it watches
        // again from now on.
        shared.wake_sysmon();
    }
}
