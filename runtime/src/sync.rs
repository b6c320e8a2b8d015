//! The one door through which every synchronisation primitive of this crate
//! passes.
//!
//! Code in `goro` never names `std::sync` or `std::thread` directly: it uses
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

        /// The value, through exclusive access: no locking.
        pub(crate) fn get_mut(&mut self) -> &mut T {
            self.0
                .get_mut()
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

    /// `std::sync::Condvar` paired with the shim's poison-free [`Mutex`].
    #[derive(Debug, Default)]
    pub(crate) struct Condvar(std::sync::Condvar);

    impl Condvar {
        pub(crate) fn new() -> Self {
            Condvar(std::sync::Condvar::new())
        }

        pub(crate) fn wait<'a, T>(
            &self,
            guard: std::sync::MutexGuard<'a, T>,
        ) -> std::sync::MutexGuard<'a, T> {
            self.0
                .wait(guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        }

        pub(crate) fn wait_timeout<'a, T>(
            &self,
            guard: std::sync::MutexGuard<'a, T>,
            timeout: std::time::Duration,
        ) -> std::sync::MutexGuard<'a, T> {
            match self.0.wait_timeout(guard, timeout) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            }
        }

        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }

    /// Spawns a named OS thread.
    pub(crate) fn spawn_named<F>(name: String, f: F) -> std::io::Result<thread::JoinHandle<()>>
    where
        F: FnOnce() + Send + 'static,
    {
        thread::Builder::new().name(name).spawn(f)
    }

    /// True once the thread has finished.
    pub(crate) fn is_finished(h: &thread::JoinHandle<()>) -> bool {
        h.is_finished()
    }

    /// `spin_loop` hint; under loom a yield so the model can make progress.
    #[inline(always)]
    pub(crate) fn spin_hint() {
        std::hint::spin_loop();
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

        /// The value, through exclusive access: no locking.
        pub(crate) fn get_mut(&mut self) -> &mut T {
            self.0.get_mut().unwrap()
        }
    }

    /// loom's `Condvar` behind the std build's face (`wait_timeout` never
    /// times out under loom, which models the worst case).
    #[derive(Debug, Default)]
    pub(crate) struct Condvar(loom::sync::Condvar);

    impl Condvar {
        pub(crate) fn new() -> Self {
            Condvar(loom::sync::Condvar::new())
        }

        pub(crate) fn wait<'a, T>(
            &self,
            guard: loom::sync::MutexGuard<'a, T>,
        ) -> loom::sync::MutexGuard<'a, T> {
            self.0.wait(guard).unwrap()
        }

        pub(crate) fn wait_timeout<'a, T>(
            &self,
            guard: loom::sync::MutexGuard<'a, T>,
            timeout: std::time::Duration,
        ) -> loom::sync::MutexGuard<'a, T> {
            self.0.wait_timeout(guard, timeout).unwrap().0
        }

        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }

    /// Spawns a named loom thread.
    pub(crate) fn spawn_named<F>(name: String, f: F) -> std::io::Result<thread::JoinHandle<()>>
    where
        F: FnOnce() + Send + 'static,
    {
        Ok(thread::Builder::new().name(name).spawn(f).unwrap())
    }

    /// loom cannot ask; keep every handle.
    pub(crate) fn is_finished(_h: &thread::JoinHandle<()>) -> bool {
        false
    }

    /// Under loom a spin is a yield, so the model can make progress.
    #[inline(always)]
    pub(crate) fn spin_hint() {
        loom::thread::yield_now();
    }
}

pub(crate) use imp::*;

/// std's `Arc`, for `std::task::Wake` impls (which require it). Never used
/// for state a loom model must see.
pub(crate) use std::sync::Arc as StdArc;

/// A once-initialised cell (a socket's reactor registration). It is std's in
/// both builds: `goro::net`, its only user, is not compiled under loom.
pub(crate) use std::sync::OnceLock;
