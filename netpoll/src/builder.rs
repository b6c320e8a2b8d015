//! Knobs for a [`Poller`](crate::Poller).

use std::io;
use std::time::Duration;

use crate::backend::{self, Backend, BackendInfo, BackendKind, Reason};
use crate::poller::Poller;
use crate::probe::{ProbeError, probe};

/// Builds a [`Poller`](crate::Poller).
///
/// ```
/// use goro_netpoll::{Backend, Poller};
///
/// let poller = Poller::builder()
///     .backend(Backend::Epoll)
///     .entries(64)
///     .buffer_ring(16, 2048)
///     .build()?;
/// assert_eq!(poller.backend().kind, goro_netpoll::BackendKind::Epoll);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    pub(crate) backend: Backend,
    pub(crate) entries: u32,
    pub(crate) buf_ring: Option<(u16, usize)>,
    pub(crate) sqpoll: Option<Duration>,
    pub(crate) single_issuer: bool,
    pub(crate) register_ring_fd: bool,
    pub(crate) use_env: bool,
    pub(crate) inject: Option<i32>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// Defaults: `Backend::Auto`, 256 SQ entries, no buffer ring, no SQPOLL,
    /// `SINGLE_ISSUER | DEFER_TASKRUN`, registered ring fd, environment honoured.
    pub fn new() -> Builder {
        Builder {
            backend: Backend::Auto,
            entries: 256,
            buf_ring: None,
            sqpoll: None,
            single_issuer: true,
            register_ring_fd: true,
            use_env: true,
            inject: None,
        }
    }

    /// Which backend to use (see [`Backend`]).
    pub fn backend(mut self, backend: Backend) -> Builder {
        self.backend = backend;
        self
    }

    /// Submission queue size on io_uring (the CQ gets four times as many).
    pub fn entries(mut self, entries: u32) -> Builder {
        self.entries = entries.max(8);
        self
    }

    /// A provided-buffer ring of `count` (a power of two, at most 32768)
    /// buffers of `size` bytes, used by [`Op::recv_multi`](crate::Op::recv_multi).
    /// On epoll, one `size`-byte scratch buffer plays its part.
    pub fn buffer_ring(mut self, count: u16, size: usize) -> Builder {
        self.buf_ring = Some((count, size));
        self
    }

    /// Opt-in SQPOLL: a kernel thread polls the SQ, idling after `idle`.
    /// It costs a busy kernel thread per ring; it excludes DEFER_TASKRUN.
    pub fn sqpoll(mut self, idle: Duration) -> Builder {
        self.sqpoll = Some(idle);
        self
    }

    /// `SINGLE_ISSUER | DEFER_TASKRUN` (default on): right when one thread
    /// owns the ring, which `Poller` being `!Send` guarantees.
    pub fn single_issuer(mut self, on: bool) -> Builder {
        self.single_issuer = on;
        self
    }

    /// Register the ring fd so each enter skips the fd lookup (default on).
    pub fn register_ring_fd(mut self, on: bool) -> Builder {
        self.register_ring_fd = on;
        self
    }

    /// Whether `GORO_IO_BACKEND` may steer [`Backend::Auto`] (default on).
    pub fn use_env(mut self, on: bool) -> Builder {
        self.use_env = on;
        self
    }

    /// Test hook: the io_uring probe fails as if ring setup returned `errno`
    /// (`EPERM`, `ENOSYS` are "unavailable"; `ENOMEM` is a resource error).
    pub fn inject_uring_setup_error(mut self, errno: i32) -> Builder {
        self.inject = Some(errno);
        self
    }

    /// Chooses the backend (module docs of [`Backend`]) and builds the poller.
    pub fn build(self) -> io::Result<Poller> {
        let info = self.choose()?;
        Poller::with(self, info)
    }

    /// The backend [`build`](Self::build) would pick, without building a
    /// poller (the io_uring probe runs once per process).
    pub fn resolve(&self) -> io::Result<BackendInfo> {
        self.choose()
    }

    fn choose(&self) -> io::Result<BackendInfo> {
        let info = |kind, reason| BackendInfo { kind, reason };
        let uring = |reason| match probe(self.inject) {
            Ok(()) => Ok(info(BackendKind::IoUring, reason)),
            Err(ProbeError::Unavailable(why)) => {
                Err(io::Error::new(io::ErrorKind::Unsupported, why))
            }
            Err(ProbeError::Resource(e)) => Err(e),
        };
        match self.backend {
            Backend::Epoll => Ok(info(BackendKind::Epoll, Reason::Requested)),
            Backend::IoUring => uring(Reason::Requested),
            Backend::Auto => {
                match self.use_env.then(backend::from_env).flatten() {
                    Some(BackendKind::Epoll) => {
                        return Ok(info(BackendKind::Epoll, Reason::Environment));
                    }
                    Some(BackendKind::IoUring) => return uring(Reason::Environment),
                    None => {}
                }
                match probe(self.inject) {
                    Ok(()) => Ok(info(BackendKind::IoUring, Reason::Probed)),
                    Err(ProbeError::Unavailable(why)) => {
                        Ok(info(BackendKind::Epoll, Reason::Fallback(why)))
                    }
                    Err(ProbeError::Resource(e)) => Err(e),
                }
            }
        }
    }
}
