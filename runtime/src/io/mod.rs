//! The I/O driver: goro's workers driving `goro-netpoll`.
//!
//! * `ring.rs`: a poller owned by one thread plus the inbox and waker
//!   through which other threads reach it;
//! * `op.rs`: an op's mailbox between the ring and the task;
//! * `driver.rs`: which ring an op goes to; rings per worker thread, the
//!   runtime's I/O ring for threads without one;
//! * `park.rs`: a worker's park that blocks in its ring.
//!
//! Under `--cfg goro_loom` the scheduler's models run without I/O:
//! `twin.rs` stands in for the driver and the park (no-op driver, condvar
//! park), so the scheduler carries no `#[cfg]`.
//!
//! See `docs/runtime-io.md` for the design.

#[cfg(not(goro_loom))]
pub(crate) mod driver;
#[cfg(not(goro_loom))]
pub(crate) mod op;
#[cfg(not(goro_loom))]
pub(crate) mod park;
#[cfg(not(goro_loom))]
pub(crate) mod ring;

#[cfg(goro_loom)]
mod twin;
#[cfg(goro_loom)]
pub(crate) use twin::{driver, park};
