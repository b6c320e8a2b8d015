//! Timers: `sleep`, `sleep_until`, `timeout`, `interval`, the runtime's
//! [`Instant`], and a test clock (`pause`, `advance`, `advance_to_next`).
//!
//! One timer heap per runtime. Workers fire due timers every 61 ticks and
//! before parking; the one worker "on timer duty" parks with the next
//! deadline as its timeout, which is how a netpoller will wait too (Go's
//! `findRunnable` → `netpoll(delay)`). Go keeps a heap per P; one heap
//! under a lock is simpler and enough until timers show up in a profile.
//!
//! ```
//! use std::time::Duration;
//! let rt = goro::Runtime::new().unwrap();
//! rt.block_on(async {
//!     goro::time::pause();
//!     let sleeper = goro::spawn(goro::time::sleep(Duration::from_secs(3600)));
//!     goro::yield_now().await;
//!     goro::time::advance(Duration::from_secs(3600));
//!     sleeper.await.unwrap();
//! });
//! ```

mod clock;
pub(crate) mod duty;
pub(crate) mod shard;
mod sleep;

pub use clock::Instant;
pub(crate) use clock::Timers;
pub use sleep::{Elapsed, Interval, Sleep, Timeout, interval, sleep, sleep_until, timeout};

use crate::context;

fn with_timers<R>(what: &str, f: impl FnOnce(&crate::sched::Shared) -> R) -> R {
    context::with_current(|s| match s {
        Some(s) => f(s),
        None => panic!("goro::time::{what} called outside a goro runtime"),
    })
}

/// Freezes this runtime's clock: time then moves only through
/// [`advance`] and [`advance_to_next`], so timer tests are deterministic.
///
/// # Panics
/// Outside a runtime.
pub fn pause() {
    with_timers("pause", |s| s.timers.pause());
}

/// Lets the clock run again from the real time.
///
/// # Panics
/// Outside a runtime.
pub fn resume() {
    with_timers("resume", |s| s.timers.resume());
}

/// Moves the paused clock forward by `by` and fires the timers now due.
///
/// # Panics
/// Outside a runtime, or if the clock is not paused.
pub fn advance(by: std::time::Duration) {
    with_timers("advance", |s| s.timers.advance(by));
}

/// Moves the paused clock to the next timer's deadline and fires it (a
/// worker may get to the due timer first; it fires all the same). Returns
/// false if no timer is pending.
///
/// # Panics
/// Outside a runtime, or if the clock is not paused.
pub fn advance_to_next() -> bool {
    with_timers("advance_to_next", |s| s.timers.advance_to_next())
}
