//! goro-netpoll: one poller API with two backends, io_uring (completions) and
//! epoll (readiness), usable without the goro runtime.
//!
//! Work in progress: the `Poller` lands with its own issue.

mod sync;
