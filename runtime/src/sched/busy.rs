//! A P's busy time (time not parked) for `metrics()`.
//!
//! One word, so that a snapshot from another thread never sees half an
//! update: parked, it holds the busy nanoseconds so far (`B >= 0`);
//! running since `S` (nanoseconds since the runtime started), `B - S - 1`,
//! always negative. Only the P's holder writes it (around its park, in
//! `worker.rs`); a reader adds the spell under way.

use crate::sync::atomic::AtomicU64;
use crate::sync::atomic::Ordering::Relaxed;

/// A P's time not parked (see the module header).
pub(crate) struct BusyClock(AtomicU64);

impl Default for BusyClock {
    /// Running since the runtime started, nothing accumulated.
    fn default() -> Self {
        BusyClock(AtomicU64::new((-1i64) as u64))
    }
}

impl BusyClock {
    /// The P parks at `now` (ns since start); it was running.
    pub(crate) fn park(&self, now: u64) {
        let v = self.0.load(Relaxed) as i64;
        if v < 0 {
            self.0.store((v + 1 + now as i64).max(0) as u64, Relaxed);
        }
    }

    /// The P runs again at `now`; it was parked.
    pub(crate) fn unpark(&self, now: u64) {
        let v = self.0.load(Relaxed) as i64;
        if v >= 0 {
            self.0.store((v - now as i64 - 1) as u64, Relaxed);
        }
    }

    /// Busy nanoseconds up to `now`.
    pub(crate) fn busy_ns(&self, now: u64) -> u64 {
        let v = self.0.load(Relaxed) as i64;
        if v >= 0 {
            v as u64
        } else {
            (v + 1 + now as i64).max(0) as u64
        }
    }
}

#[cfg(all(test, not(goro_loom)))]
mod tests {
    use super::BusyClock;

    #[test]
    fn spells_add_up_and_the_one_under_way_counts() {
        let c = BusyClock::default();
        assert_eq!(c.busy_ns(40), 40, "running since the start");
        c.park(50);
        assert_eq!(c.busy_ns(90), 50, "parked: stands still");
        c.unpark(100);
        assert_eq!(c.busy_ns(100), 50);
        assert_eq!(c.busy_ns(130), 80, "the spell under way counts");
        c.park(130);
        c.park(200); // a second park without an unpark changes nothing
        assert_eq!(c.busy_ns(500), 80);
        c.unpark(1_000);
        c.unpark(1_500); // nor a second unpark
        assert_eq!(c.busy_ns(1_010), 90);
    }
}
