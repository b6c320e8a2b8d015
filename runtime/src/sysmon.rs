//! The monitor thread (Go's `sysmon`).
//!
//! Every 5 ms while any worker is awake (10 ms when all are parked, 20 ms
//! once four looks in a row found them all parked, and every millisecond
//! while some worker has been seen in the same poll, so a poll that gets
//! stuck while others run is noticed 10–16 ms in, one that starts after a
//! light-load spell up to ~30 ms in; Go's sysmon backs off to 10 ms)
//! it refreshes the coarse clock, fires due timers if no worker did, on
//! epoll polls the reactor if no idle worker blocks in it, and
//! looks for a worker stuck in one poll: a P whose poll count has not moved
//! for more than 10 ms while it is polling. Go would preempt it; a library
//! cannot interrupt a future, so sysmon counts it (`stuck_polls`), logs the
//! task's spawn location once, moves the P's runnext to the global queue
//! and wakes idle workers, which steal the rest of its ring.
//!
//! When every worker has stayed parked for a whole look, nothing is left to
//! watch: a parked worker on timer duty sleeps until the next timer, and on
//! epoll one blocks in the reactor. Sysmon then rests until the first
//! worker wakes (idle rule 6), so an idle runtime costs no CPU; each
//! monitor wake-up costs 25–45 µs of CPU on this machine's VM, about 0.5 %
//! of a CPU at 100–200 looks a second. The rest ends after [`REST_CAP`] at
//! the latest, a backstop that changes nothing when the protocol holds.

use std::panic::Location;
use std::time::{Duration, Instant};

use crate::sched::Shared;
use crate::sync::atomic::Ordering::Relaxed;

/// A poll longer than this is "stuck" (Go's `forcePreemptNS`).
const STUCK_AFTER: Duration = Duration::from_millis(10);

/// Looks in a row that find every worker parked (though some woke in
/// between, or sysmon would rest) before the interval grows to 20 ms.
const LIGHT_LOAD_AFTER: u32 = 4;

/// The longest rest before sysmon looks again on its own.
const REST_CAP: Duration = Duration::from_secs(10);

/// Rests until a worker wakes, shutdown (false) or [`REST_CAP`].
fn rest(shared: &Shared) -> bool {
    shared.sysmon_rests.fetch_add(1, Relaxed);
    let until = Instant::now() + REST_CAP;
    let mut stop = shared.sysmon_lock.lock();
    while !*stop && shared.idle.monitor_resting() {
        let now = Instant::now();
        if now >= until {
            break;
        }
        stop = shared.sysmon_cvar.wait_timeout(stop, until - now);
    }
    if *stop {
        return false;
    }
    drop(stop);
    shared.idle.monitor_woke();
    shared.timers.refresh_coarse();
    true
}

struct Watch {
    polls: u64,
    since: Instant,
    reported: bool,
}

pub(crate) fn run(shared: &Shared) {
    let mut watch: Vec<Watch> = shared
        .ps
        .iter()
        .map(|_| Watch {
            polls: 0,
            since: Instant::now(),
            reported: false,
        })
        .collect();
    // A P seen in the same poll at the last look: watch closely.
    let mut suspect = false;
    // Worker wake-ups as of the previous look (idle rule 6).
    let mut wakeups_seen = 0;
    // Looks in a row that found every worker parked.
    let mut parked_looks = 0u32;
    loop {
        if !suspect && shared.idle.monitor_may_rest(&mut wakeups_seen) {
            if !rest(shared) {
                return;
            }
            continue;
        }
        let (_, unparked) = shared.idle.snapshot();
        parked_looks = if unparked > 0 { 0 } else { parked_looks + 1 };
        let interval = if suspect {
            Duration::from_millis(1)
        } else if unparked > 0 {
            Duration::from_millis(5)
        } else if parked_looks < LIGHT_LOAD_AFTER {
            Duration::from_millis(10)
        } else {
            // Light load: workers wake between looks but sleep at each.
            Duration::from_millis(20)
        };
        suspect = false;
        {
            let stop = shared.sysmon_lock.lock();
            if *stop {
                return;
            }
            let stop = shared.sysmon_cvar.wait_timeout(stop, interval);
            if *stop {
                return;
            }
        }
        shared.timers.refresh_coarse();
        shared.timers.fire_due();
        // Go's sysmon polls the network when nobody has for a while: on
        // epoll, if no idle worker blocks in the reactor (all are busy),
        // deliver its edges from here so they do not wait behind long polls.
        shared.io.poll_reactor();
        let now = Instant::now();
        for (p, w) in shared.ps.iter().zip(watch.iter_mut()) {
            let polls = p.counters.polls.load(Relaxed);
            let polling = p.polling.load(Relaxed);
            if polls != w.polls || polling.is_null() {
                w.polls = polls;
                w.since = now;
                w.reported = false;
                continue;
            }
            if w.reported {
                continue;
            }
            if now - w.since < STUCK_AFTER {
                suspect = true;
                continue;
            }
            w.reported = true;
            shared.stuck_polls.fetch_add(1, Relaxed);
            let location: &'static Location<'static> =
                // SAFETY: `polling` only ever holds `&'static Location`s
                // (stored by `worker::run_task`).
                unsafe { &*polling };
            log::warn!(
                "goro: a worker has been polling one task for over {} ms (spawned at {location}); \
                 moving its queued tasks to other workers",
                STUCK_AFTER.as_millis()
            );
            if let Some(t) = p.take_runnext() {
                shared.push_remote(t);
            }
            for _ in 0..shared.ps.len() {
                shared.notify_parked();
            }
        }
    }
}
