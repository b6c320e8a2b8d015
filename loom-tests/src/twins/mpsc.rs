//! Broken twin of `goro::chan::mpsc`'s receive path: the receiver looks at
//! the queue in one critical section and stores its waker in another, so
//! a send landing in between sees no waker to wake and the receiver sleeps
//! on a non-empty queue. Loom reports the deadlock.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use loom::sync::{Arc, Mutex};

struct State<T> {
    queue: VecDeque<T>,
    rx_waker: Option<Waker>,
}

/// Sending half (unbounded).
pub struct Sender<T>(Arc<Mutex<State<T>>>);
/// Receiving half.
pub struct Receiver<T>(Arc<Mutex<State<T>>>);

/// An unbounded twin channel.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let s = Arc::new(Mutex::new(State {
        queue: VecDeque::new(),
        rx_waker: None,
    }));
    (Sender(s.clone()), Receiver(s))
}

impl<T> Sender<T> {
    /// Sends a value.
    pub fn send(&self, v: T) {
        let mut st = self.0.lock().unwrap();
        st.queue.push_back(v);
        if let Some(w) = st.rx_waker.take() {
            w.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// Receives a value.
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv(self)
    }
}

/// The receive future.
pub struct Recv<'a, T>(&'a mut Receiver<T>);

impl<T> Future for Recv<'_, T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        if let Some(v) = self.0.0.lock().unwrap().queue.pop_front() {
            return Poll::Ready(v);
        }
        // THE BUG: the queue may have been filled since the check above.
        self.0.0.lock().unwrap().rx_waker = Some(cx.waker().clone());
        Poll::Pending
    }
}
