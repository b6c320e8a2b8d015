//! The io_uring probe: can this process use io_uring for everything we do?
//!
//! The ladder, run once per process and cached: set up a small ring, ask the
//! kernel which opcodes it supports (`IORING_REGISTER_PROBE`), check each one
//! we use and `IORING_FEAT_EXT_ARG`, then push a NOP and wait for its CQE.
//! Any refusal that means "io_uring is not there for us" is an
//! [`Unavailable`]; a resource error (ENOMEM from the memlock limit, EMFILE)
//! is an [`io::Error`] and is *not* cached, since it may pass later.

use std::io;

use io_uring::{IoUring, Probe, opcode};

use crate::backend::Unavailable;
use crate::sync::OnceLock;

/// Why the probe failed.
#[derive(Debug)]
pub(crate) enum ProbeError {
    /// io_uring cannot be used here: fall back.
    Unavailable(Unavailable),
    /// A resource error: report it.
    Resource(io::Error),
}

/// Opcodes the backend submits.
const NEEDED: &[u8] = &[
    opcode::Nop::CODE,
    opcode::Accept::CODE,
    opcode::Connect::CODE,
    opcode::Recv::CODE,
    opcode::Send::CODE,
    opcode::SendMsg::CODE,
    opcode::RecvMsg::CODE,
    opcode::Read::CODE,
    opcode::Write::CODE,
    opcode::Close::CODE,
    opcode::Timeout::CODE,
    opcode::PollAdd::CODE,
    opcode::AsyncCancel::CODE,
];

static PROBED: OnceLock<Result<(), Unavailable>> = OnceLock::new();

/// Runs the probe (or returns its cached answer). `inject` replaces the
/// ring setup's result with that errno and bypasses the cache.
pub(crate) fn probe(inject: Option<i32>) -> Result<(), ProbeError> {
    if let Some(errno) = inject {
        // Classified exactly as a real setup failure would be.
        return Err(setup_error(io::Error::from_raw_os_error(errno)));
    }
    if let Some(cached) = PROBED.get() {
        return cached.map_err(ProbeError::Unavailable);
    }
    let outcome = run();
    // Logged once per process: which backend `Auto` will pick, and why.
    match outcome {
        Ok(()) => {
            log::info!("goro-netpoll: io_uring probe passed; Auto uses io_uring");
            let _ = PROBED.set(Ok(()));
            Ok(())
        }
        Err(ProbeError::Unavailable(why)) => {
            log::info!("goro-netpoll: io_uring unavailable ({why}); Auto uses epoll");
            let _ = PROBED.set(Err(why));
            Err(ProbeError::Unavailable(why))
        }
        Err(resource) => Err(resource),
    }
}

/// Maps a setup errno to "unavailable" (`Some`) or "resource error" (`None`).
pub(crate) fn classify(errno: i32) -> Option<Unavailable> {
    match errno {
        libc::ENOSYS | libc::EINVAL => Some(Unavailable::NotSupported),
        libc::EPERM | libc::EACCES => Some(match disabled_sysctl() {
            Some(n) if n > 0 => Unavailable::Disabled(n),
            _ => Unavailable::Denied,
        }),
        _ => None,
    }
}

/// Reads `kernel.io_uring_disabled` (absent before Linux 6.6).
fn disabled_sysctl() -> Option<u8> {
    std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled")
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn setup_error(err: io::Error) -> ProbeError {
    match err.raw_os_error().and_then(classify) {
        Some(why) => ProbeError::Unavailable(why),
        None => ProbeError::Resource(err),
    }
}

fn run() -> Result<(), ProbeError> {
    let mut ring: IoUring = IoUring::new(8).map_err(setup_error)?;
    let mut probe = Probe::new();
    ring.submitter()
        .register_probe(&mut probe)
        .map_err(setup_error)?;
    if let Some(&missing) = NEEDED.iter().find(|&&op| !probe.is_supported(op)) {
        return Err(ProbeError::Unavailable(Unavailable::MissingOpcode(missing)));
    }
    if !ring.params().is_feature_ext_arg() {
        return Err(ProbeError::Unavailable(Unavailable::MissingExtArg));
    }
    const NOP_TAG: u64 = 0x676f_726f;
    let nop = opcode::Nop::new().build().user_data(NOP_TAG);
    // SAFETY: a NOP references no memory.
    unsafe { ring.submission().push(&nop) }
        .map_err(|_| ProbeError::Unavailable(Unavailable::NopFailed))?;
    ring.submit_and_wait(1).map_err(setup_error)?;
    match ring.completion().next() {
        Some(cqe) if cqe.user_data() == NOP_TAG && cqe.result() == 0 => Ok(()),
        _ => Err(ProbeError::Unavailable(Unavailable::NopFailed)),
    }
}
