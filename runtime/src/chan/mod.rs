//! Channels and synchronisation primitives for tasks.
//!
//! The module is called `chan` (Go's word) so that it never clashes with the
//! crate-internal `sync` shim that loom swaps out.
//!
//! - [`oneshot`]: one value, from one sender to one receiver.
//! - [`mpsc`]: bounded and unbounded multi-producer, single-consumer queues.
//! - [`Notify`]: wake one waiting task (or store a permit), or all of them.
//! - [`WaitGroup`]: Go's `sync.WaitGroup`.

pub mod mpsc;
mod notify;
pub mod oneshot;
mod waiters;
mod waitgroup;

pub use notify::{Notified, Notify};
pub use waitgroup::{Wait, WaitGroup};
