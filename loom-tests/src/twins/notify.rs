//! Broken twin of `goro::chan::Notify`: the waiter checks for a permit in
//! one critical section and registers its waker in another. A
//! `notify_one` that runs between the two finds no waiter and stores a
//! permit the waiter has already looked past, so it sleeps forever. Loom
//! reports the deadlock.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use loom::sync::Mutex;

#[derive(Default)]
struct Inner {
    permit: bool,
    waiter: Option<Waker>,
    notified: bool,
}

/// The twin.
#[derive(Default)]
pub struct Notify(Mutex<Inner>);

impl Notify {
    /// Wakes the waiter, or stores a permit.
    pub fn notify_one(&self) {
        let mut inner = self.0.lock().unwrap();
        match inner.waiter.take() {
            Some(w) => {
                inner.notified = true;
                w.wake();
            }
            None => inner.permit = true,
        }
    }

    /// Waits for a notification.
    pub fn notified(&self) -> Notified<'_> {
        Notified(self)
    }
}

/// The wait future.
pub struct Notified<'a>(&'a Notify);

impl Future for Notified<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        {
            let mut inner = self.0.0.lock().unwrap();
            if inner.permit || inner.notified {
                inner.permit = false;
                inner.notified = false;
                return Poll::Ready(());
            }
        }
        // THE BUG: the lock was released between the check and this.
        self.0.0.lock().unwrap().waiter = Some(cx.waker().clone());
        Poll::Pending
    }
}
