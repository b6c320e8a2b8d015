//! Helpers shared by the netpoll test binaries.
#![allow(dead_code)]

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use goro_netpoll::{Backend, Completion, Poller};

/// Upper bound for any wait in these tests: a hang fails instead of
/// stalling CI. Not a synchronisation sleep: `poll` returns as soon as the
/// awaited completion arrives.
pub const LIMIT: Duration = Duration::from_secs(20);

/// A poller on `backend`, or `None` if io_uring is unavailable on this
/// machine (then the io_uring half of the suite has nothing to test).
pub fn poller(backend: Backend) -> Option<Poller> {
    poller_with(Poller::builder().backend(backend))
}

pub fn poller_with(builder: goro_netpoll::Builder) -> Option<Poller> {
    match builder.build() {
        Ok(p) => Some(p),
        Err(e) if e.kind() == io::ErrorKind::Unsupported => {
            eprintln!("io_uring unavailable here ({e}); skipping");
            None
        }
        Err(e) => panic!("poller setup failed: {e}"),
    }
}

/// Polls until a completion with `token` arrives; others go to `stash`.
pub fn wait_token(p: &mut Poller, token: u64, stash: &mut Vec<Completion>) -> Completion {
    if let Some(i) = stash.iter().position(|c| c.token == token) {
        return stash.remove(i);
    }
    let start = Instant::now();
    loop {
        let mut got = Vec::new();
        p.poll(&mut got, Some(Duration::from_millis(100))).unwrap();
        let mut found = None;
        for c in got {
            if found.is_none() && c.token == token {
                found = Some(c);
            } else {
                stash.push(c);
            }
        }
        if let Some(c) = found {
            return c;
        }
        assert!(start.elapsed() < LIMIT, "no completion for token {token}");
    }
}

/// A non-blocking Unix stream socket pair.
pub fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

/// A non-blocking TCP socket, not yet connected.
pub fn tcp_socket() -> OwnedFd {
    // SAFETY: plain socket(2) call, result checked.
    let fd = unsafe {
        libc::socket(
            libc::AF_INET,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    assert!(fd >= 0, "socket: {}", io::Error::last_os_error());
    // SAFETY: fresh descriptor owned by nobody else.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// A non-blocking pipe (read end, write end).
pub fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for two descriptors.
    let ret = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
    assert_eq!(ret, 0);
    // SAFETY: fresh descriptors owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

pub fn raw<T: AsRawFd>(t: &T) -> RawFd {
    t.as_raw_fd()
}

/// Raises the soft descriptor limit to the hard one.
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is valid for both calls.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
    }
    lim.rlim_cur
}

/// Number of open descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Instantiates every `fn(Backend)` test named, once for io_uring and once
/// for epoll (`mod io_uring` and `mod epoll`). Test files that use it
/// declare `#[macro_use] mod common;`.
#[allow(unused_macros)]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod io_uring {
            use super::*;
            $( #[test] fn $name() { super::$name(Backend::IoUring) } )*
        }
        mod epoll {
            use super::*;
            $( #[test] fn $name() { super::$name(Backend::Epoll) } )*
        }
    };
}
