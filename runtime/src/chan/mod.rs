//! Channels and synchronisation primitives for tasks.
//!
//! The module is called `chan` (Go's word) so that it never clashes with the
//! crate-internal `sync` shim that loom swaps out.
//!
//! - [`oneshot`]: one value, from one sender to one receiver.

pub mod oneshot;
