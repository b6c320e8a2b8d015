//! The no-op twin of the I/O driver for loom builds: the scheduler's
//! models exercise queues and parking, not system calls.

pub(crate) mod driver {
    use goro_netpoll::{Backend, BackendInfo};

    /// No rings, no I/O thread.
    pub(crate) struct Driver;

    impl Driver {
        pub(crate) fn new(_backend: Backend, _thread_name: &str) -> std::io::Result<Driver> {
            Ok(Driver)
        }

        pub(crate) fn poll_now(&self) -> usize {
            0
        }

        pub(crate) fn poll_reactor(&self) -> usize {
            0
        }

        pub(crate) fn info(&self) -> Option<BackendInfo> {
            None
        }

        pub(crate) fn shutdown(&self) {}

        pub(crate) fn enter_worker(&self) -> Option<()> {
            None
        }

        pub(crate) fn leave_worker(&self, _stop: impl Fn() -> bool) {}
    }

    pub(crate) fn check_backend(_backend: Backend) -> std::io::Result<()> {
        Ok(())
    }
}

pub(crate) mod park {
    use std::time::Duration;

    use crate::sched::park::{CondvarPark, Park};

    /// The condvar park, with the real park's extra method.
    #[derive(Default)]
    pub(crate) struct IoPark(CondvarPark);

    impl IoPark {
        pub(crate) fn new() -> IoPark {
            IoPark(CondvarPark::new())
        }

        pub(crate) fn set_waker(&self, _waker: Option<()>) {}
    }

    impl Park for IoPark {
        fn park(&self, timeout: Option<Duration>) {
            self.0.park(timeout);
        }

        fn unpark(&self) {
            self.0.unpark();
        }
    }
}
