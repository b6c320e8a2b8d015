//! The two backends. Both files define the same names (`Driver` with
//! `new`, `submit`, `cancel`, `release_fd`, `wait`, `shutdown`), a
//! compile-time contract as in mio's `sys/`; `Poller` picks one at run time
//! through a two-variant enum.
//!
//! Each `Driver` method gets the operation table and the output queue
//! explicitly, so both backends report through the two helpers below and
//! follow the table's rules in one place.

pub(crate) mod epoll;
pub(crate) mod uring;

use std::io;

use crate::op::{Completion, OpKind, Output};
use crate::stats::Stats;
use crate::table::{OpId, Table};

pub(crate) type Ops = Table<OpKind>;

/// Reports a final completion: removes the entry (table rule 1), turns the
/// op into its output, and drops the output if the op was abandoned (rule 4).
pub(crate) fn finish(
    ops: &mut Ops,
    id: OpId,
    res: io::Result<usize>,
    out: &mut Vec<Completion>,
    stats: &mut Stats,
) {
    let Some(entry) = ops.remove(id) else { return };
    let (result, output) = entry.op.finish(res);
    stats.completed += 1;
    if !entry.abandoned {
        out.push(Completion {
            token: entry.token,
            id,
            result,
            more: false,
            output,
        });
    }
}

/// Reports one shot of a multishot op; `more == false` also removes it.
pub(crate) fn shot(
    ops: &mut Ops,
    id: OpId,
    result: io::Result<usize>,
    output: Output,
    more: bool,
    out: &mut Vec<Completion>,
    stats: &mut Stats,
) {
    let Some(entry) = ops.get_mut(id) else { return };
    let (token, abandoned) = (entry.token, entry.abandoned);
    if !more {
        ops.remove(id);
    }
    stats.completed += 1;
    if !abandoned {
        out.push(Completion {
            token,
            id,
            result,
            more,
            output,
        });
    }
}

/// `ECANCELED` as an `io::Error`.
pub(crate) fn cancelled() -> io::Error {
    io::Error::from_raw_os_error(libc::ECANCELED)
}
