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

    /// A non-zero number that identifies the calling thread among the
    /// threads alive now: the address of a thread-local byte. One TLS access,
    /// no lazy initialisation, no destructor.
    #[inline]
    pub(crate) fn thread_token() -> usize {
        std::thread_local!(static MARK: u8 = const { 0 });
        MARK.with(|m| core::ptr::from_ref(m).addr())
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

    /// As the std build's: the address of a (loom) thread-local byte.
    pub(crate) fn thread_token() -> usize {
        loom::thread_local!(static MARK: u8 = 0);
        MARK.with(|m| core::ptr::from_ref(m).addr())
    }

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
