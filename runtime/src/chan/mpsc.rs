//! Multi-producer, single-consumer channels: [`channel`] (bounded) and
//! [`unbounded_channel`].
//!
//! Protocol: one mutex guards the queue, the receiver's waker, the list of
//! senders waiting for capacity and the sender count. A sender sends
//! whenever there is room; each pop wakes one waiting sender, and a woken
//! sender that is dropped unused passes its wake on (no strict FIFO among
//! senders, as in Go's `hchan` the first to run wins). Every state change
//! that can unblock the other side (push, pop, last sender gone, receiver
//! closed) is made and its wake issued in the same critical section as the
//! check that the other side performs before parking, so no wake is lost
//! (the broken twin in `loom-tests` drops the receiver's re-check and
//! loses one). A lock per message costs ~20 ns uncontended; Go's `hchan`
//! takes a lock per operation too.
//!
//! ```
//! let rt = goro::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let (tx, mut rx) = goro::chan::mpsc::channel(1);
//!     goro::spawn(async move {
//!         for i in 0..3 {
//!             tx.send(i).await.unwrap();
//!         }
//!     });
//!     let mut got = Vec::new();
//!     while let Some(v) = rx.recv().await {
//!         got.push(v);
//!     }
//!     assert_eq!(got, [0, 1, 2]);
//! });
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::waiters::Waiters;
use crate::sync::{Arc, Mutex};

struct Chan<T> {
    state: Mutex<State<T>>,
    /// `usize::MAX` for unbounded.
    capacity: usize,
}

struct State<T> {
    queue: VecDeque<T>,
    rx_waker: Option<Waker>,
    senders_waiting: Waiters,
    senders: usize,
    rx_closed: bool,
}

impl<T> Chan<T> {
    fn new(capacity: usize) -> Arc<Chan<T>> {
        Arc::new(Chan {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                rx_waker: None,
                senders_waiting: Waiters::default(),
                senders: 1,
                rx_closed: false,
            }),
            capacity,
        })
    }
}

/// A bounded channel holding at most `capacity` messages; `send` waits for
/// room.
///
/// # Panics
/// If `capacity` is zero.
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "mpsc channel capacity must be positive");
    let chan = Chan::new(capacity);
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// An unbounded channel; `send` never waits.
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, Receiver<T>) {
    let chan = Chan::new(usize::MAX);
    (
        UnboundedSender {
            inner: Sender { chan: chan.clone() },
        },
        Receiver { chan },
    )
}

/// The receiver is gone; the message comes back.
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// Why [`Sender::try_send`] did not send.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TrySendError<T> {
    /// No room now.
    Full(T),
    /// The receiver is gone.
    Closed(T),
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("channel full"),
            TrySendError::Closed(_) => f.write_str("channel closed"),
        }
    }
}

impl<T> std::error::Error for TrySendError<T> {}

/// Why [`Receiver::try_recv`] returned nothing.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum TryRecvError {
    /// Nothing queued; senders remain.
    Empty,
    /// Nothing queued and every sender is gone.
    Disconnected,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("channel empty"),
            TryRecvError::Disconnected => f.write_str("channel disconnected"),
        }
    }
}

impl std::error::Error for TryRecvError {}

/// The sending half of a bounded channel. Clone it for more producers.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting for room.
    pub fn send(&self, value: T) -> Send<'_, T> {
        Send {
            sender: self,
            value: Some(value),
            id: None,
        }
    }

    /// Sends `value` if there is room now.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let mut st = self.chan.state.lock();
        if st.rx_closed {
            return Err(TrySendError::Closed(value));
        }
        if st.queue.len() >= self.chan.capacity {
            return Err(TrySendError::Full(value));
        }
        push(&mut st, value);
        Ok(())
    }

    /// True once the receiver is dropped or closed.
    pub fn is_closed(&self) -> bool {
        self.chan.state.lock().rx_closed
    }
}

fn push<T>(st: &mut State<T>, value: T) {
    st.queue.push_back(value);
    if let Some(w) = st.rx_waker.take() {
        w.wake();
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.state.lock().senders += 1;
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut st = self.chan.state.lock();
        st.senders -= 1;
        if st.senders == 0 {
            if let Some(w) = st.rx_waker.take() {
                w.wake();
            }
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

/// The future returned by [`Sender::send`].
#[must_use = "futures do nothing unless awaited"]
pub struct Send<'a, T> {
    sender: &'a Sender<T>,
    value: Option<T>,
    id: Option<u64>,
}

impl<T> Unpin for Send<'_, T> {}

impl<T> Future for Send<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if !crate::coop::poll_proceed(cx) {
            return Poll::Pending;
        }
        let chan = &this.sender.chan;
        let mut st = chan.state.lock();
        let value = this.value.take().expect("Send polled after completion");
        if st.rx_closed {
            if let Some(id) = this.id.take() {
                st.senders_waiting.remove(id);
            }
            return Poll::Ready(Err(SendError(value)));
        }
        if st.queue.len() < chan.capacity {
            if let Some(id) = this.id.take() {
                // Leaving the list; a notification we got and are about to
                // use needs no passing on (`take_notified` consumed it).
                if !st.senders_waiting.take_notified(id) {
                    st.senders_waiting.remove(id);
                }
            }
            push(&mut st, value);
            // Room left and others waiting: wake the next one.
            if st.queue.len() < chan.capacity {
                st.senders_waiting.notify_one();
            }
            return Poll::Ready(Ok(()));
        }
        this.value = Some(value);
        match this.id {
            // Woken, but the slot went to someone else: wait again.
            Some(id) if st.senders_waiting.take_notified(id) => {
                this.id = Some(st.senders_waiting.push(cx.waker()));
            }
            Some(id) => st.senders_waiting.update(id, cx.waker()),
            None => this.id = Some(st.senders_waiting.push(cx.waker())),
        }
        Poll::Pending
    }
}

impl<T> Drop for Send<'_, T> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            let mut st = self.sender.chan.state.lock();
            if st.senders_waiting.remove(id) {
                // We were handed a free slot and are not using it.
                st.senders_waiting.notify_one();
            }
        }
    }
}

/// The sending half of an unbounded channel.
pub struct UnboundedSender<T> {
    inner: Sender<T>,
}

impl<T> UnboundedSender<T> {
    /// Sends `value` (never waits).
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let mut st = self.inner.chan.state.lock();
        if st.rx_closed {
            return Err(SendError(value));
        }
        push(&mut st, value);
        Ok(())
    }

    /// True once the receiver is dropped or closed.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        UnboundedSender {
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender").finish_non_exhaustive()
    }
}

/// The receiving half.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Receiver<T> {
    /// Receives the next message; `None` once every sender is gone and the
    /// queue is empty.
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv { rx: self }
    }

    /// Receives a message if one is queued.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut st = self.chan.state.lock();
        match pop(&mut st) {
            Some(v) => Ok(v),
            None if st.senders == 0 => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Refuses further sends; queued messages can still be received.
    pub fn close(&mut self) {
        let mut st = self.chan.state.lock();
        st.rx_closed = true;
        st.senders_waiting.notify_all();
    }

    /// Messages queued now.
    pub fn len(&self) -> usize {
        self.chan.state.lock().queue.len()
    }

    /// True if nothing is queued now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn pop<T>(st: &mut State<T>) -> Option<T> {
    let v = st.queue.pop_front()?;
    st.senders_waiting.notify_one();
    Some(v)
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let drained: VecDeque<T> = {
            let mut st = self.chan.state.lock();
            st.rx_closed = true;
            st.senders_waiting.notify_all();
            std::mem::take(&mut st.queue)
        };
        // Messages drop outside the lock: their `Drop` may touch channels.
        drop(drained);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

/// The future returned by [`Receiver::recv`].
#[must_use = "futures do nothing unless awaited"]
pub struct Recv<'a, T> {
    rx: &'a mut Receiver<T>,
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        if !crate::coop::poll_proceed(cx) {
            return Poll::Pending;
        }
        let mut st = this.rx.chan.state.lock();
        if let Some(v) = pop(&mut st) {
            return Poll::Ready(Some(v));
        }
        if st.senders == 0 {
            return Poll::Ready(None);
        }
        match &st.rx_waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => st.rx_waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}
