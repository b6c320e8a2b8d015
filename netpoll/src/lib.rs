//! goro-netpoll: one poller API with two backends, io_uring (completions)
//! and epoll (readiness), usable without the goro runtime.
//!
//! The mental model, in three steps:
//!
//! 1. A [`Poller`] per thread. [`Backend::Auto`] probes io_uring once per
//!    process and falls back to epoll only when io_uring is *unavailable*;
//!    [`Poller::backend`] says which runs and why; `GORO_IO_BACKEND=epoll|uring`
//!    steers `Auto`.
//! 2. [`Poller::submit`] an [`Op`] that *owns* its buffer, with a token;
//!    [`Poller::poll`] hands back [`Completion`]s carrying the token, the
//!    result and the buffer. Readiness registrations ([`Poller::register`])
//!    come back the same way.
//! 3. Another thread interrupts a blocked `poll` with a [`Waker`].
//!
//! ```
//! use goro_netpoll::{Op, Output, Poller};
//! use std::os::fd::AsRawFd;
//! use std::os::unix::net::UnixStream;
//!
//! let mut poller = Poller::new()?;
//! let (a, b) = UnixStream::pair()?;
//! a.set_nonblocking(true)?;
//! b.set_nonblocking(true)?;
//! poller.submit(Op::send(a.as_raw_fd(), b"ping".to_vec()), 1)?;
//! poller.submit(Op::recv(b.as_raw_fd(), Vec::with_capacity(64)), 2)?;
//! let mut done = Vec::new();
//! while done.len() < 2 {
//!     poller.poll(&mut done, None)?;
//! }
//! let got = done.into_iter().find(|c| c.token == 2).unwrap();
//! assert_eq!(got.output.into_buf().unwrap(), b"ping");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! See `docs/netpoll.md` for the backends, the buffer-ownership rules and
//! kernel requirements.

mod backend;
mod bufring;
mod builder;
mod op;
mod poller;
mod probe;
mod reactor;
mod shared_fd;
pub mod socket;
mod stats;
mod sync;
mod sys;
mod table;
mod token_map;
mod waker;

pub use backend::{Backend, BackendInfo, BackendKind, ENV_VAR, Reason, Unavailable};
pub use builder::Builder;
pub use op::{Completion, Interest, Op, Output, PeerAddr, Readiness, TryNow};
pub use poller::Poller;
pub use reactor::{Direction, Reactor, ReadyEvent, Registration};
pub use shared_fd::SharedFd;
pub use stats::Stats;
pub use table::OpId;
pub use token_map::{TokenHasher, TokenMap};
pub use waker::{WakeState, Waker};
