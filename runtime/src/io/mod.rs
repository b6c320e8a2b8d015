//! The I/O driver: goro's threads driving `goro-netpoll`.
//!
//! * `ring.rs`: a poller owned by one thread plus the inbox and waker
//!   through which other threads reach it;
//! * `op.rs`: an op's mailbox between the ring and the task;
//! * `driver.rs`: which ring an op goes to, and the threads that own rings.
//!
//! See `docs/runtime-io.md` for the design and its interim parts.
#![cfg(not(goro_loom))]

pub(crate) mod driver;
pub(crate) mod op;
pub(crate) mod ring;
