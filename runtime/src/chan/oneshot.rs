//! A one-shot channel: one value, from one [`Sender`] to one [`Receiver`].
//!
//! # Protocol
//!
//! One `AtomicUsize` state word guards two cells, the value and the
//! receiver's waker. Bits:
//!
//! | bit | name | set by | meaning |
//! |---|---|---|---|
//! | 0 | `RX_WAKER` | receiver | the waker cell holds the receiver's waker |
//! | 1 | `COMPLETE` | sender | the sender is done: the value cell is final (a value, or `None` if the sender was dropped) |
//! | 2 | `CLOSED` | receiver | the receiver is gone or closed; a send gets its value back |
//!
//! Ownership of the cells follows from the bits:
//!
//! 1. The value cell belongs to the sender until it sets `COMPLETE` (with
//!    release ordering, after writing the value), and to the receiver after
//!    the receiver observes `COMPLETE` (with acquire ordering). The one
//!    exception: a send that finds `CLOSED` already set takes its value back,
//!    since a closed receiver never reads the cell again.
//! 2. The receiver writes the waker cell only while `RX_WAKER` and `COMPLETE`
//!    are both clear, then publishes it by setting `RX_WAKER` (release). While
//!    `RX_WAKER` is set the cell is shared and read-only: the receiver may
//!    compare it with its current waker, and the sender, when its own
//!    `fetch_or(COMPLETE)` returned `RX_WAKER` set (acquire), wakes it *by
//!    reference*. The waker is dropped with the channel, never taken.
//! 3. To replace a stale waker, the receiver first clears `RX_WAKER`; if that
//!    RMW shows `COMPLETE`, the sender may be reading the cell, so the
//!    receiver leaves it alone and takes the value instead.
//!
//! A receiver remembers whether its `close` came before `COMPLETE`; if so it
//! never reads the value cell, which the sender may be taking back.
//!
//! (An earlier draft let the sender *take* the waker; loom found the race
//! with the receiver's `will_wake` comparison, which is why rule 2 is
//! read-only; it also found a `try_recv` after `close` racing the sender's
//! take-back, which is why the receiver remembers `closed_first`.)
//!
//! The model in `loom-tests/tests/chan_oneshot.rs` checks this protocol, and
//! its broken twin (the sender publishing `COMPLETE` with relaxed ordering)
//! shows that the model catches a lost happens-before edge.
//!
//! # Example
//!
//! ```
//! let (tx, mut rx) = goro::chan::oneshot::channel();
//! std::thread::spawn(move || tx.send(7).unwrap());
//! // Poll until the value arrives (a runtime would park instead of spinning).
//! let value = loop {
//!     match rx.try_recv() {
//!         Ok(v) => break v,
//!         Err(goro::chan::oneshot::TryRecvError::Empty) => std::thread::yield_now(),
//!         Err(e) => panic!("{e}"),
//!     }
//! };
//! assert_eq!(value, 7);
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::sync::atomic::AtomicUsize;
use crate::sync::atomic::Ordering::{AcqRel, Acquire};
use crate::sync::{Arc, UnsafeCell};

const RX_WAKER: usize = 0b001;
const COMPLETE: usize = 0b010;
const CLOSED: usize = 0b100;

struct Inner<T> {
    state: AtomicUsize,
    value: UnsafeCell<Option<T>>,
    rx_waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the cells are accessed only under the ownership rules of the
// module header, so `Inner` moves values of `T` between threads (needs
// `T: Send`) but never shares a `&T` between them.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as above; no `&T` is ever handed to two threads at once.
unsafe impl<T: Send> Sync for Inner<T> {}

/// Creates a one-shot channel.
///
/// ```
/// let (tx, mut rx) = goro::chan::oneshot::channel::<&str>();
/// tx.send("hi").unwrap();
/// assert_eq!(rx.try_recv(), Ok("hi"));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Inner {
        state: AtomicUsize::new(0),
        value: UnsafeCell::new(None),
        rx_waker: UnsafeCell::new(None),
    });
    (
        Sender {
            inner: Some(inner.clone()),
        },
        Receiver {
            inner,
            closed_first: false,
        },
    )
}

/// The sending half; [`send`](Sender::send) consumes it.
pub struct Sender<T> {
    /// `None` once the sender has completed.
    inner: Option<Arc<Inner<T>>>,
}

/// The receiving half; a future that resolves to the value, or to
/// [`RecvError`] if the sender was dropped without sending.
pub struct Receiver<T> {
    inner: Arc<Inner<T>>,
    /// Set when [`close`](Receiver::close) ran before the sender completed:
    /// by rule 1's exception the value cell is then the sender's for good.
    closed_first: bool,
}

/// The sender was dropped without sending a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvError;

/// Why [`Receiver::try_recv`] returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// No value yet; the sender is still alive.
    Empty,
    /// The sender was dropped without sending, or the value was taken.
    Closed,
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("oneshot sender dropped without sending a value")
    }
}

impl std::error::Error for RecvError {}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("oneshot channel is empty"),
            TryRecvError::Closed => f.write_str("oneshot channel is closed"),
        }
    }
}

impl std::error::Error for TryRecvError {}

impl<T> Sender<T> {
    /// Sends `value`. Returns it back if the receiver is already gone.
    ///
    /// ```
    /// let (tx, rx) = goro::chan::oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(3), Err(3));
    /// ```
    pub fn send(mut self, value: T) -> Result<(), T> {
        let inner = self.inner.take().expect("a live sender holds the channel");
        // SAFETY: rule 1: the value cell is the sender's until `COMPLETE`,
        // which only this call (or the sender's drop, which cannot run
        // concurrently with it) sets.
        inner.value.with_mut(|v| unsafe { *v = Some(value) });
        let prev = inner.state.fetch_or(COMPLETE, AcqRel);
        if prev & CLOSED != 0 {
            // SAFETY: rule 1's exception: a closed receiver never reads the
            // value cell again, so the sender may take its value back.
            let value = inner.value.with_mut(|v| unsafe { (*v).take() });
            return Err(value.expect("the value written above"));
        }
        if prev & RX_WAKER != 0 {
            wake_receiver(&inner);
        }
        Ok(())
    }

    /// True once the receiver has been dropped or closed.
    pub fn is_closed(&self) -> bool {
        match &self.inner {
            Some(inner) => inner.state.load(Acquire) & CLOSED != 0,
            None => true,
        }
    }
}

/// Wakes the receiver after the sender set `COMPLETE` and saw `RX_WAKER`.
fn wake_receiver<T>(inner: &Inner<T>) {
    // SAFETY: rule 2: our `fetch_or(COMPLETE)` observed `RX_WAKER`, so the
    // receiver published its waker; from now on the cell is only read.
    inner.rx_waker.with(|w| unsafe {
        if let Some(waker) = &*w {
            waker.wake_by_ref();
        }
    });
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            // Completing with an empty value cell tells the receiver that no
            // value will come.
            let prev = inner.state.fetch_or(COMPLETE, AcqRel);
            if prev & (RX_WAKER | CLOSED) == RX_WAKER {
                wake_receiver(&inner);
            }
        }
    }
}

impl<T> Receiver<T> {
    /// Takes the value if it has arrived, without waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let state = self.inner.state.load(Acquire);
        if self.closed_first {
            Err(TryRecvError::Closed)
        } else if state & COMPLETE != 0 {
            self.take_value().ok_or(TryRecvError::Closed)
        } else if state & CLOSED != 0 {
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// Closes the channel: a later `send` fails and returns its value. A value
    /// sent before the close can still be taken with [`try_recv`](Self::try_recv).
    pub fn close(&mut self) {
        let prev = self.inner.state.fetch_or(CLOSED, AcqRel);
        self.closed_first |= prev & COMPLETE == 0;
    }

    fn take_value(&mut self) -> Option<T> {
        // SAFETY: rule 1: we observed `COMPLETE` with acquire ordering, so the
        // sender is done with the cell and its write is visible to us.
        self.inner.value.with_mut(|v| unsafe { (*v).take() })
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.closed_first {
            return Poll::Ready(Err(RecvError));
        }
        let mut state = this.inner.state.load(Acquire);
        if state & COMPLETE == 0 && state & RX_WAKER != 0 {
            // SAFETY: rule 2: `RX_WAKER` is set and `COMPLETE` was clear, so
            // the sender does not read the cell; reading it is a shared access.
            let same = this
                .inner
                .rx_waker
                .with(|w| unsafe { (*w).as_ref().is_some_and(|w| w.will_wake(cx.waker())) });
            if same {
                return Poll::Pending;
            }
            // Rule 3: take the waker back before replacing it.
            state = this.inner.state.fetch_and(!RX_WAKER, AcqRel);
        }
        if state & COMPLETE == 0 {
            // SAFETY: rule 2: `RX_WAKER` is clear and `COMPLETE` was clear
            // at our last RMW or load, so the waker cell is ours.
            this.inner
                .rx_waker
                .with_mut(|w| unsafe { *w = Some(cx.waker().clone()) });
            state = this.inner.state.fetch_or(RX_WAKER, AcqRel);
            if state & COMPLETE == 0 {
                return Poll::Pending;
            }
        }
        Poll::Ready(this.take_value().ok_or(RecvError))
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.inner.state.fetch_or(CLOSED, AcqRel);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(goro_loom)))]
mod tests {
    use super::*;
    use std::task::Wake;

    struct CountWake(std::sync::atomic::AtomicUsize);
    impl Wake for CountWake {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn poll_once<T>(rx: &mut Receiver<T>, waker: &Waker) -> Poll<Result<T, RecvError>> {
        Pin::new(rx).poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn pending_then_woken_then_ready() {
        let count = std::sync::Arc::new(CountWake(0.into()));
        let waker = Waker::from(count.clone());
        let (tx, mut rx) = channel();
        assert!(poll_once(&mut rx, &waker).is_pending());
        assert!(poll_once(&mut rx, &waker).is_pending(), "same waker kept");
        tx.send(String::from("v")).unwrap();
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(poll_once(&mut rx, &waker), Poll::Ready(Ok("v".into())));
    }

    #[test]
    fn dropped_sender_wakes_with_error() {
        let count = std::sync::Arc::new(CountWake(0.into()));
        let waker = Waker::from(count.clone());
        let (tx, mut rx) = channel::<u8>();
        assert!(poll_once(&mut rx, &waker).is_pending());
        drop(tx);
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(poll_once(&mut rx, &waker), Poll::Ready(Err(RecvError)));
    }

    #[test]
    fn closed_receiver_returns_value() {
        let (tx, mut rx) = channel();
        rx.close();
        assert!(tx.is_closed());
        assert_eq!(tx.send(vec![1, 2]), Err(vec![1, 2]));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }

    #[test]
    fn value_dropped_with_channel() {
        let marker = std::sync::Arc::new(());
        let (tx, rx) = channel();
        tx.send(marker.clone()).unwrap();
        drop(rx);
        assert_eq!(std::sync::Arc::strong_count(&marker), 1);
    }
}
