//! goro: an M:N scheduler for Rust in the manner of Go's GMP runtime.
//!
//! Worker threads (M) each hold a processor (P): a 256-slot run queue plus
//! a `runnext` slot. Tasks (G) spawned or woken on a worker go to its
//! runnext; overflow goes to a global queue; idle workers steal half of a
//! random victim's queue, and park when there is nothing to do. See
//! `docs/runtime.md` for the design and measurements.
//!
//! ```
//! let rt = goro::Runtime::builder().worker_threads(2).build().unwrap();
//! let total = rt.block_on(async {
//!     let handles: Vec<_> = (0..10u64).map(|i| goro::spawn(async move { i * i })).collect();
//!     let mut total = 0;
//!     for h in handles {
//!         total += h.await.unwrap();
//!     }
//!     total
//! });
//! assert_eq!(total, 285);
//! ```

mod blocking;
pub mod chan;
mod context;
mod coop;
pub mod dump;
mod group;
#[cfg(all(feature = "hyper", not(goro_loom)))]
pub mod hyper;
mod io;
pub mod metrics;
pub mod net;
mod runtime;
mod sched;
mod sync;
mod sysmon;
mod task;
pub mod time;
mod yield_now;

pub use blocking::{block_in_place, spawn_blocking};
pub use goro_netpoll::{Backend as IoBackend, BackendInfo as IoBackendInfo};
pub use group::TaskGroup;
pub use runtime::{Builder, Handle, Runtime, UnhandledPanic};
pub use task::join::AbortHandle;
pub use task::{JoinError, JoinHandle};
pub use yield_now::{YieldNow, yield_now};

/// Internals exposed to the loom models in `loom-tests/` (only under
/// `--cfg goro_loom`; not a public API).
#[cfg(goro_loom)]
#[doc(hidden)]
pub mod __loom {
    pub use crate::io::claim::{Claim as NetpollClaim, Claimed as NetpollClaimed};
    pub use crate::sched::idle::Idle;
    pub use crate::sched::inject::Inject;
    pub use crate::sched::park::{CondvarPark, Park};
    pub use crate::sched::queue::{CAPACITY, Local, Overflow};
    pub use crate::task::registry::slots::Slots;
    pub use crate::task::state::{Snapshot, State, ToIdle, ToRunning, WakeByVal};
    pub use crate::time::duty::{NO_WORKER, Nudge, TimerDuty};
    pub use crate::time::shard::{Entry as TimerEntry, NONE as NO_DEADLINE, Shard as TimerShard};
}

/// Spawns a task on the current runtime; it starts running in the
/// background and its [`JoinHandle`] yields the output.
///
/// On a worker thread the task goes to that worker's `runnext` slot (it
/// runs next, Go's `newproc`); elsewhere to the global queue.
///
/// # Panics
/// Outside a runtime: "goro::spawn called outside a goro runtime". Use
/// [`Runtime::spawn`] or [`Handle::spawn`] from plain threads.
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let location = std::panic::Location::caller();
    context::with_current(|s| match s {
        Some(s) => {
            let (notified, join, raw) = sched::Shared::new_task(s, future, None, location);
            if s.register(raw) {
                s.schedule_wake(notified);
            }
            join
        }
        None => panic!(
            "goro::spawn called outside a goro runtime; use Runtime::spawn or Handle::spawn from \
             a thread that is not running one"
        ),
    })
}
