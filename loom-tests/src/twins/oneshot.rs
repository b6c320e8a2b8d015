//! Broken twin of `goro::chan::oneshot`: the sender publishes `COMPLETE`
//! with `Relaxed` ordering instead of `AcqRel`, so the receiver's read of the
//! value cell is not ordered after the sender's write. Loom reports it as a
//! causality violation on the cell.
//!
//! Only the send/receive path is kept (no close, no drop-without-send); the
//! scenario in `tests/chan_oneshot.rs` exercises exactly that path.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

const RX_WAKER: usize = 0b01;
const COMPLETE: usize = 0b10;

struct Inner<T> {
    state: AtomicUsize,
    value: UnsafeCell<Option<T>>,
    rx_waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: test twin; the cells follow the same ownership rules as the real
// channel, except for the deliberate ordering bug loom is meant to find.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Inner<T> {}

/// The sending half.
pub struct Sender<T>(Arc<Inner<T>>);
/// The receiving half.
pub struct Receiver<T>(Arc<Inner<T>>);

/// Creates a broken one-shot channel.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Inner {
        state: AtomicUsize::new(0),
        value: UnsafeCell::new(None),
        rx_waker: UnsafeCell::new(None),
    });
    (Sender(inner.clone()), Receiver(inner))
}

impl<T> Sender<T> {
    /// Sends a value (never fails in the twin).
    pub fn send(self, value: T) {
        // SAFETY: the cell is the sender's until COMPLETE.
        self.0.value.with_mut(|v| unsafe { *v = Some(value) });
        // THE BUG: Relaxed does not publish the write above.
        let prev = self.0.state.fetch_or(COMPLETE, Relaxed);
        if prev & RX_WAKER != 0 {
            // SAFETY: the receiver published its waker and stopped touching it.
            self.0.rx_waker.with(|w| unsafe {
                if let Some(w) = &*w {
                    w.wake_by_ref();
                }
            });
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let inner = &self.0;
        let mut state = inner.state.load(Acquire);
        if state & COMPLETE == 0 {
            if state & RX_WAKER != 0 {
                state = inner.state.fetch_and(!RX_WAKER, AcqRel);
            }
            if state & COMPLETE == 0 {
                // SAFETY: RX_WAKER clear and COMPLETE clear: the cell is ours.
                inner
                    .rx_waker
                    .with_mut(|w| unsafe { *w = Some(cx.waker().clone()) });
                if inner.state.fetch_or(RX_WAKER, AcqRel) & COMPLETE == 0 {
                    return Poll::Pending;
                }
            }
        }
        // SAFETY: (wrongly) assumes COMPLETE ordered the sender's write.
        let value = inner.value.with_mut(|v| unsafe { (*v).take() });
        Poll::Ready(value.expect("value present once COMPLETE"))
    }
}
