//! goro: an M:N scheduler for Rust in the manner of Go's GMP runtime.
//!
//! Work in progress: the scheduler (`Runtime`) lands with its own issue. What
//! exists today is [`chan::oneshot`], whose protocol is model-checked by loom.
//!
//! ```
//! let (tx, mut rx) = goro::chan::oneshot::channel();
//! tx.send(1).unwrap();
//! assert_eq!(rx.try_recv(), Ok(1));
//! ```

pub mod chan;
mod sync;
