//! The I/O driver: goro's workers driving `goro-netpoll`.
//!
//! * `ring.rs` (io_uring): a poller owned by one thread plus the inbox and
//!   waker through which other threads reach it;
//! * `op.rs`: an op's mailbox between the ring and the task;
//! * `driver.rs`: the backend; on io_uring which ring an op goes to (rings
//!   per worker thread, the runtime's I/O ring for threads without one);
//! * `netpoll.rs` (epoll): the runtime's one readiness reactor and, with
//!   `claim.rs`, the claim that lets one idle worker at a time block in it;
//! * `ready.rs` (epoll): an op run on the task's thread, system call
//!   first, waiting on the reactor only on `EAGAIN`;
//! * `park.rs`: a worker's park: its ring (io_uring), the reactor (epoll,
//!   one worker at a time) or its condvar.
//!
//! Under `--cfg goro_loom` the scheduler's models run without I/O:
//! `twin.rs` stands in for the driver and the park (no-op driver, condvar
//! park), so the scheduler carries no `#[cfg]`.
//!
//! See `docs/runtime-io.md` for the design.

pub(crate) mod claim;
#[cfg(not(goro_loom))]
pub(crate) mod driver;
#[cfg(not(goro_loom))]
pub(crate) mod netpoll;
#[cfg(not(goro_loom))]
pub(crate) mod op;
#[cfg(not(goro_loom))]
pub(crate) mod park;
#[cfg(not(goro_loom))]
pub(crate) mod ready;
#[cfg(not(goro_loom))]
pub(crate) mod ring;

#[cfg(goro_loom)]
mod twin;
#[cfg(goro_loom)]
pub(crate) use twin::{driver, park};
