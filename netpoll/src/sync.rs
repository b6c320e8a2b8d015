//! The one door through which every synchronisation primitive of this crate
//! passes.
//!
//! Code in this crate never names `std::sync` or `std::thread` directly: it uses
//! `crate::sync::*`. A normal build re-exports the standard library; a build
//! with `RUSTFLAGS="--cfg goro_loom"` re-exports [loom]'s instrumented twins,
//! so the models in `loom-tests/` explore every interleaving of the real code
//! (crossbeam's way: a crate-specific cfg works from a separate test crate,
//! where `cfg(loom)` + `cfg(test)` would silently test std types).
//!
//! `UnsafeCell` is wrapped so that both builds share loom's closure-based
//! shape (`with` / `with_mut`): loom needs to see every access to check it
//! against the happens-before order.
//!
//! [loom]: https://docs.rs/loom

#![allow(dead_code, unused_imports)]

#[cfg(not(goro_loom))]
mod imp {
    pub(crate) use std::sync::Arc;
    pub(crate) use std::sync::atomic;
    pub(crate) use std::thread;

    /// `std::sync::Mutex` without poisoning: a panic while holding one of our
    /// locks is already a bug that the panic reports.
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(std::sync::Mutex<T>);

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Mutex(std::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, T> {
            self.0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        }
    }

    /// An `UnsafeCell` with loom's access shape.
    #[derive(Debug, Default)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }

        /// Runs `f` with a shared pointer to the contents.
        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Runs `f` with a unique pointer to the contents.
        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

#[cfg(goro_loom)]
mod imp {
    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom::sync::Arc;
    pub(crate) use loom::sync::atomic;
    pub(crate) use loom::thread;

    /// loom's `Mutex` behind the same poison-free face as the std build.
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Mutex(loom::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
            self.0.lock().unwrap()
        }
    }
}

pub(crate) use imp::*;

/// A once-initialised cell for process-wide facts (the io_uring probe). It is
/// std's in both builds: the probe talks to the kernel and is never part of a
/// loom model.
pub(crate) use std::sync::OnceLock;

/// Stores `value` with release ordering into a `u16` that the kernel reads
/// (the tail of a provided-buffer ring).
///
/// Kernel-shared memory is outside any loom model, so this is std's atomic in
/// both builds.
///
/// # Safety
///
/// `ptr` must be valid, 2-byte aligned, and only ever accessed atomically
/// while this store can run.
pub(crate) unsafe fn store_release_u16(ptr: *mut u16, value: u16) {
    // SAFETY: the caller guarantees validity, alignment and atomic-only access.
    let tail = unsafe { std::sync::atomic::AtomicU16::from_ptr(ptr) };
    tail.store(value, std::sync::atomic::Ordering::Release);
}
