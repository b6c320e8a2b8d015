//! What the I/O test files share: a runtime on a chosen backend, and the
//! macro that instantiates every test once per backend.

#![allow(dead_code)] // each test file uses its own part

use goro::{IoBackend, Runtime};

/// A runtime with `workers` workers on `backend`.
pub fn runtime(workers: usize, backend: IoBackend) -> Runtime {
    Runtime::builder()
        .worker_threads(workers)
        .io_backend(backend)
        .build()
        .unwrap()
}

/// Every listed test, once per backend: `io_uring::name` and `epoll::name`
/// call `name(IoBackend::IoUring)` and `name(IoBackend::Epoll)` (an
/// explicit backend wins over `GORO_IO_BACKEND`).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod io_uring {
            $(#[test]
            fn $name() {
                super::$name(goro::IoBackend::IoUring)
            })*
        }
        mod epoll {
            $(#[test]
            fn $name() {
                super::$name(goro::IoBackend::Epoll)
            })*
        }
    };
}
