//! Counters a poller keeps about itself.

/// What a [`Poller`](crate::Poller) has done so far; see
/// [`Poller::stats`](crate::Poller::stats).
///
/// `syscalls` counts every system call the poller itself made: waits
/// (`io_uring_enter`, `epoll_wait`/`epoll_pwait2`), `epoll_ctl`, the
/// non-blocking I/O calls of the epoll backend, and eventfd drains. Wakes
/// from other threads are not counted (they are the waker's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// System calls made by the poller.
    pub syscalls: u64,
    /// Operations submitted.
    pub submitted: u64,
    /// Completions produced (including multishot shots and abandoned ones).
    pub completed: u64,
}
