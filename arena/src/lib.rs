//! goro-arena: a bump arena, arena collections and a typed object pool.
//!
//! [`Arena`] is the entry type: allocation bumps a pointer, [`Arena::reset`]
//! frees everything at once and keeps the chunks for the next round.
//!
//! ```
//! use goro_arena::Arena;
//!
//! let mut arena = Arena::new();
//! for request in 0..3u32 {
//!     let id = arena.alloc(request);
//!     let name = arena.alloc_str("GET /index.html");
//!     let mut headers = goro_arena::Vec::new_in(&arena);
//!     headers.extend_from_slice(&[("host", "example"), ("accept", "*/*")]);
//!     assert_eq!((*id, &*name, headers.len()), (request, "GET /index.html", 2));
//!     drop(headers);
//!     arena.reset(); // O(chunks), no call into the global allocator
//! }
//! assert!(arena.allocated_bytes() > 0);
//! ```
//!
//! The rest of the crate:
//!
//! * [`Cursor`] ([`Arena::cursor`]): the allocation finger held in registers
//!   for a hot loop, written back to the arena when the cursor is dropped;
//! * [`Vec`] and [`String`]: collections whose buffers grow in place while
//!   they are the arena's last buffer;
//! * `&Arena` implements [`allocator_api2::alloc::Allocator`], so
//!   `allocator_api2::vec::Vec` or `hashbrown::HashMap` can live in an arena;
//! * [`with_thread_arena`]: one reusable arena per thread, handed to a closure
//!   per request;
//! * [`Pool`]: typed objects that keep their heap capacity across requests,
//!   with per-thread free lists and a lock-free hand-off between threads.
//!
//! The design, the drop and retention policies and measured results are in
//! `docs/arena.md`.

mod alloc_api;
mod arena;
mod chunk;
mod cursor;
mod drop_list;
mod error;
mod huge_pages;
mod pool;
mod scoped;
mod string;
mod sync;
mod vec;

pub use arena::{Arena, ArenaBuilder};
pub use cursor::Cursor;
pub use error::{AllocError, AllocErrorKind};
pub use pool::{Batch, Local, Pool, Pooled, Recycle};
pub use scoped::{configure_thread_arena, with_thread_arena};
pub use string::String;
pub use vec::Vec;

/// Re-exported so callers name the same `Allocator` trait the arena implements.
pub use allocator_api2;
