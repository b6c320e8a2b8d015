//! A timer: completes with `Ok(0)` when it fires, `ECANCELED` if cancelled.

use std::io;
use std::time::Duration;

use io_uring::{opcode, squeue, types::Timespec};

#[derive(Debug)]
pub(crate) struct Timeout {
    pub(crate) after: Duration,
    /// io_uring reads the timespec when the SQE is consumed; it is boxed so
    /// it stays valid whatever the table does with its own storage.
    ts: Box<Timespec>,
}

impl Timeout {
    pub(crate) fn new(after: Duration) -> Timeout {
        Timeout {
            after,
            ts: Box::new(Timespec::from(after)),
        }
    }

    /// io_uring form.
    pub(crate) fn sqe(&mut self) -> squeue::Entry {
        opcode::Timeout::new(&*self.ts).build()
    }
}

/// `ETIME` is how an io_uring timeout says "fired": that is success here.
/// (The epoll form lives in the epoll driver's timer heap.)
pub(crate) fn finish(res: io::Result<usize>) -> io::Result<usize> {
    match res {
        Err(e) if e.raw_os_error() == Some(libc::ETIME) => Ok(0),
        other => other,
    }
}
