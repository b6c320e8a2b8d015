//! The write timeout ([`Builder::write_timeout`](crate::server::Builder::write_timeout)):
//! when does a write count as stalled?
//!
//! Protocol, as the driver applies it to each write of a batch of frames:
//! 1. the transport adds every byte the socket takes to a [`Progress`]
//!    counter, after each partial write;
//! 2. the driver polls the write; whenever it is pending, it shows the
//!    counter and the time to a [`Stall`], which restarts its clock when
//!    the counter moved;
//! 3. the write has stalled once `timeout` passed since the write began or
//!    the counter last moved (Go's `WriteByteTimeout`: no byte taken, not
//!    "the whole write took too long", so a slow but live reader is safe);
//! 4. the driver sleeps until [`Stall::deadline`] only while a write is
//!    pending; a write that completes at its first poll reads no clock.
//!
//! [`Stall`] is sans-IO (the caller passes the time), so its rules are
//! tested with made-up instants below; the bindings' tests check the
//! whole path on sockets.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Bytes a transport's write has handed to the socket so far.
///
/// An atomic only so that the serving future stays `Send`: the counter is
/// written and read by the one task that polls the write.
#[derive(Debug, Default)]
pub(crate) struct Progress(AtomicU64);

impl Progress {
    /// Records `n` more bytes taken by the socket.
    pub(crate) fn add(&self, n: usize) {
        self.0.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Bytes taken so far.
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The stall clock of one write.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stall {
    timeout: Duration,
    /// The counter when the clock last restarted.
    seen: u64,
    /// When the write began or the counter last moved.
    since: Instant,
}

impl Stall {
    /// A clock for a write that began at `now`.
    pub(crate) fn new(timeout: Duration, now: Instant) -> Stall {
        Stall {
            timeout,
            seen: 0,
            since: now,
        }
    }

    /// Shows the clock the counter at `now`: progress restarts it.
    pub(crate) fn observe(&mut self, written: u64, now: Instant) {
        if written != self.seen {
            self.seen = written;
            self.since = now;
        }
    }

    /// When the write stalls if the counter does not move before.
    pub(crate) fn deadline(&self) -> Instant {
        self.since + self.timeout
    }

    /// True once no byte was taken for the whole timeout.
    pub(crate) fn stalled(&self, now: Instant) -> bool {
        now >= self.deadline()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(60);

    #[test]
    fn a_write_that_takes_nothing_stalls_at_the_timeout() {
        let t0 = Instant::now();
        let mut s = Stall::new(T, t0);
        s.observe(0, t0 + Duration::from_secs(59));
        assert!(!s.stalled(t0 + Duration::from_secs(59)));
        assert_eq!(s.deadline(), t0 + T);
        s.observe(0, t0 + T);
        assert!(s.stalled(t0 + T));
    }

    #[test]
    fn every_byte_taken_restarts_the_clock() {
        let t0 = Instant::now();
        let mut s = Stall::new(T, t0);
        // One byte every 50 s: slow, never stalled.
        for i in 1..=10u64 {
            let now = t0 + Duration::from_secs(50 * i);
            s.observe(i, now);
            assert!(!s.stalled(now), "byte {i}");
            assert_eq!(s.deadline(), now + T);
        }
        let last = t0 + Duration::from_secs(500);
        // The counter stops at 10: the timeout counts from the last byte.
        s.observe(10, last + Duration::from_secs(59));
        assert!(!s.stalled(last + Duration::from_secs(59)));
        assert!(s.stalled(last + T));
    }

    #[test]
    fn progress_counts_bytes_added() {
        let p = Progress::default();
        p.add(3);
        p.add(16_384);
        assert_eq!(p.get(), 16_387);
    }
}
