//! A runtime-independent channel for the server bindings: many senders, one
//! receiver, bounded or not, built on `std::task::Waker` alone so that the
//! connection driver and the body types work unchanged on goro and on tokio.
//!
//! Protocol: one mutex guards the queue, the receiver's waker, the wakers
//! of senders waiting for room, and both ends' liveness. Every change that
//! can unblock the other side (push, pop, last sender gone, receiver gone)
//! takes its waker out in the same critical section as the check the other
//! side makes before it parks, and wakes it after unlocking, so no wake is
//! lost. Waiting senders are few (one body producer per stream), so a pop
//! wakes them all rather than keeping a fair queue.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

struct State<T> {
    queue: VecDeque<T>,
    /// `usize::MAX` for an unbounded channel.
    capacity: usize,
    senders: usize,
    receiver_alive: bool,
    rx_waker: Option<Waker>,
    tx_wakers: Vec<Waker>,
}

struct Shared<T> {
    state: Mutex<State<T>>,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A panic while holding this lock leaves the queue consistent (every
        // critical section is a push, pop or flag change), so poison is moot.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The sending end; clone it for more producers.
pub(crate) struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// The receiving end.
pub(crate) struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

/// A channel holding at most `capacity` values (at least one).
pub(crate) fn bounded<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    make(capacity.max(1))
}

/// A channel without a bound: the caller bounds what goes in.
pub(crate) fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    make(usize::MAX)
}

fn make<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            capacity,
            senders: 1,
            receiver_alive: true,
            rx_waker: None,
            tx_wakers: Vec::new(),
        }),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared },
    )
}

impl<T> Sender<T> {
    /// Sends now if there is room; gives the value back if the channel is
    /// full or the receiver is gone.
    pub(crate) fn try_send(&self, value: T) -> Result<(), T> {
        let mut st = self.shared.lock();
        if !st.receiver_alive || st.queue.len() >= st.capacity {
            return Err(value);
        }
        st.queue.push_back(value);
        let waker = st.rx_waker.take();
        drop(st);
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Sends, waiting for room; gives the value back if the receiver is gone.
    pub(crate) async fn send(&self, value: T) -> Result<(), T> {
        let mut value = Some(value);
        poll_fn(|cx| {
            let mut st = self.shared.lock();
            let v = value.take().expect("polled after completion");
            if !st.receiver_alive {
                return Poll::Ready(Err(v));
            }
            if st.queue.len() < st.capacity {
                st.queue.push_back(v);
                let waker = st.rx_waker.take();
                drop(st);
                if let Some(w) = waker {
                    w.wake();
                }
                return Poll::Ready(Ok(()));
            }
            if !st.tx_wakers.iter().any(|w| w.will_wake(cx.waker())) {
                st.tx_wakers.push(cx.waker().clone());
            }
            value = Some(v);
            Poll::Pending
        })
        .await
    }

    /// True once the receiver is gone.
    pub(crate) fn is_closed(&self) -> bool {
        !self.shared.lock().receiver_alive
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.lock().senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut st = self.shared.lock();
        st.senders -= 1;
        let waker = if st.senders == 0 {
            st.rx_waker.take()
        } else {
            None
        };
        drop(st);
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// The next value; `Ready(None)` once every sender is gone and the
    /// queue is empty.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut st = self.shared.lock();
        if let Some(v) = st.queue.pop_front() {
            let wakers = std::mem::take(&mut st.tx_wakers);
            drop(st);
            wakers.into_iter().for_each(Waker::wake);
            return Poll::Ready(Some(v));
        }
        if st.senders == 0 {
            return Poll::Ready(None);
        }
        match &mut st.rx_waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// The next value, waiting for one; `None` once every sender is gone.
    pub(crate) async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut st = self.shared.lock();
        st.receiver_alive = false;
        let wakers = std::mem::take(&mut st.tx_wakers);
        // Queued values drop outside the lock.
        let queued = std::mem::take(&mut st.queue);
        drop(st);
        drop(queued);
        wakers.into_iter().for_each(Waker::wake);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::pin;
    use std::task::Waker;

    fn poll_once<F: Future>(f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
        f.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn bounded_send_waits_for_room_and_ends_when_senders_go() {
        let (tx, mut rx) = bounded(1);
        assert!(tx.try_send(1).is_ok());
        assert_eq!(tx.try_send(2), Err(2));
        {
            let mut send = pin!(tx.send(3));
            assert!(poll_once(send.as_mut()).is_pending());
            let mut cx = Context::from_waker(Waker::noop());
            assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(1)));
            assert_eq!(poll_once(send.as_mut()), Poll::Ready(Ok(())));
        }
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(3)));
        drop(tx);
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(None));
    }

    #[test]
    fn dropped_receiver_fails_senders_and_frees_the_queue() {
        let (tx, rx) = unbounded::<Arc<()>>();
        let item = Arc::new(());
        assert!(tx.try_send(item.clone()).is_ok());
        drop(rx);
        assert_eq!(Arc::strong_count(&item), 1);
        assert!(tx.is_closed());
        assert!(tx.try_send(item).is_err());
    }
}
