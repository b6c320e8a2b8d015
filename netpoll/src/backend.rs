//! Which backend runs, and why.
//!
//! The choice is made once per poller, from (in order):
//!
//! 1. an explicit [`Backend::IoUring`] or [`Backend::Epoll`]: always obeyed
//!    (an explicit `IoUring` on a machine without io_uring is an error, not a
//!    silent fallback);
//! 2. for [`Backend::Auto`] only, the `GORO_IO_BACKEND` environment variable
//!    (`epoll` or `uring`), unless the builder turned that off;
//! 3. the io_uring probe (run once per process, see `probe.rs`): io_uring if
//!    it passes, epoll with the reason if io_uring is *unavailable*. A
//!    resource error (ENOMEM, EMFILE, ...) is returned, never papered over.
//!
//! So `GORO_IO_BACKEND=epoll cargo test` moves every `Auto` poller to epoll,
//! while tests that name a backend keep testing that backend.

use std::error::Error;
use std::fmt;

/// Name of the environment variable that steers [`Backend::Auto`].
pub const ENV_VAR: &str = "GORO_IO_BACKEND";

/// The backend a [`Poller`](crate::Poller) is asked to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Backend {
    /// io_uring when the kernel offers it, else epoll (see the module docs).
    #[default]
    Auto,
    /// io_uring, or an error if it is unavailable.
    IoUring,
    /// epoll, edge-triggered.
    Epoll,
}

/// The backend a [`Poller`](crate::Poller) actually runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// Completions from an io_uring instance.
    IoUring,
    /// Readiness from epoll; completions are emulated.
    Epoll,
}

/// Why the running backend was chosen; see [`Poller::backend`](crate::Poller::backend).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The builder named this backend.
    Requested,
    /// `GORO_IO_BACKEND` named it.
    Environment,
    /// `Auto` probed io_uring and it works.
    Probed,
    /// `Auto` found io_uring unavailable and fell back to epoll.
    Fallback(Unavailable),
}

/// The backend in use and the reason for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackendInfo {
    /// The running backend.
    pub kind: BackendKind,
    /// Why it runs.
    pub reason: Reason,
}

impl fmt::Display for BackendInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            BackendKind::IoUring => "io_uring",
            BackendKind::Epoll => "epoll",
        };
        match self.reason {
            Reason::Requested => write!(f, "{kind} (requested)"),
            Reason::Environment => write!(f, "{kind} (forced by {ENV_VAR})"),
            Reason::Probed => write!(f, "{kind} (probed)"),
            Reason::Fallback(why) => write!(f, "{kind} (io_uring unavailable: {why})"),
        }
    }
}

/// Why io_uring cannot be used on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// `io_uring_setup` does not exist (ENOSYS) or rejects its arguments
    /// (EINVAL: a kernel too old for what we ask).
    NotSupported,
    /// `io_uring_setup` was refused with EPERM/EACCES while the sysctl allows
    /// it: a seccomp filter (Docker's default profile) or an LSM.
    Denied,
    /// `kernel.io_uring_disabled` is 1 (only `io_uring_group`) or 2 (off).
    Disabled(u8),
    /// The kernel lacks an opcode we use (the `IORING_OP_*` number).
    MissingOpcode(u8),
    /// The kernel lacks `IORING_FEAT_EXT_ARG` (timed waits, Linux 5.11).
    MissingExtArg,
    /// The NOP round trip did not come back as expected.
    NopFailed,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unavailable::NotSupported => {
                f.write_str("io_uring_setup not supported (ENOSYS/EINVAL)")
            }
            Unavailable::Denied => f.write_str("io_uring_setup denied (EPERM: seccomp or LSM)"),
            Unavailable::Disabled(n) => write!(f, "kernel.io_uring_disabled = {n}"),
            Unavailable::MissingOpcode(op) => write!(f, "kernel lacks io_uring opcode {op}"),
            Unavailable::MissingExtArg => f.write_str("kernel lacks IORING_FEAT_EXT_ARG"),
            Unavailable::NopFailed => f.write_str("NOP round trip failed"),
        }
    }
}

impl Error for Unavailable {}

/// What the environment variable asks for.
pub(crate) fn from_env() -> Option<BackendKind> {
    let value = std::env::var(ENV_VAR).ok()?;
    match value.trim().to_ascii_lowercase().as_str() {
        "epoll" => Some(BackendKind::Epoll),
        "uring" | "io_uring" | "iouring" => Some(BackendKind::IoUring),
        "" | "auto" => None,
        other => {
            log::warn!("{ENV_VAR}={other:?} is not one of epoll|uring|auto; ignored");
            None
        }
    }
}
