//! goro-bench: the shapes that the criterion benches and the quick report
//! (`cargo run --release -p goro-bench`) share, written once per part.
//!
//! - [`sched_shapes`](mod@sched_shapes): the scheduler shapes as a macro over a runtime
//!   adapter ([`sched_goro`], [`sched_tokio`]), with std baselines in
//!   [`sched_std`].
//! - [`quick`]: the report's tables, timing and Markdown.
//! - [`alloc_count`]: a counting global allocator for memory shapes.

pub mod alloc_count;
pub mod echo;
pub mod h2load;
pub mod quick;
pub mod sched_goro;
pub mod sched_shapes;
pub mod sched_std;
pub mod sched_tokio;

/// The scheduler shapes over goro's runtime.
pub mod goro_shapes {
    crate::sched_shapes!(crate::sched_goro);
}

/// The scheduler shapes over tokio's multi-thread runtime.
pub mod tokio_shapes {
    crate::sched_shapes!(crate::sched_tokio);
}

/// Resident set size of this process in bytes, from `/proc/self/statm`.
pub fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("read /proc/self/statm");
    let resident_pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("statm has a resident field");
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    resident_pages * page as u64
}
