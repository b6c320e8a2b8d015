//! Graceful shutdown from the application's side, for both bindings: Go's
//! `Server.Shutdown` and hyper-util's `GracefulShutdown` in one
//! runtime-independent type.
//!
//! The application makes one [`ShutdownSignal`], hands a clone to every
//! connection it serves (`serve_with_shutdown` in `server_goro` and
//! `server_tokio`), and later:
//! 1. stops accepting (the listener is the application's);
//! 2. calls [`shutdown`](ShutdownSignal::shutdown) or
//!    [`shutdown_within`](ShutdownSignal::shutdown_within): every connection
//!    sends GOAWAY(2^31-1) and a PING, then the final GOAWAY with the last
//!    stream it took (RFC 9113 §6.8), lets its in-flight streams finish,
//!    and closes; with a grace period, whatever is still open when it ends
//!    is cut off (the core's `close_at`);
//! 3. awaits [`drained`](ShutdownSignal::drained), which completes once
//!    the shutdown was triggered and no connection is left.
//!
//! Protocol: one mutex guards the trigger (a generation count and the
//! deadline), the count of live connections and two waker maps, one for
//! connections waiting for the trigger and one for `drained` futures. A
//! change that can complete a waiter (a trigger, the count reaching zero)
//! takes the wakers out in the same critical section that changes the
//! state the waiter checks before it registers, and wakes them after
//! unlocking, so no wake-up is lost and none runs under the lock. A
//! connection counts from the moment `serve_with_shutdown` is called
//! (not first polled) until its future ends or is dropped, so `drained`
//! cannot complete while a connection is spawned but not yet started.
//!
//! The driver polls its connection's trigger every turn, so that poll must
//! not take a lock all connections share: the generation is mirrored in an
//! atomic, stored before the watchers are drained, and a connection whose
//! waker is already in the map and who sees the generation it acted on
//! returns `Pending` without locking. If a trigger races that check, its
//! drain still finds the waker and wakes it.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

#[derive(Default)]
struct State {
    /// Bumped by each `shutdown*` call; 0 until the first. A connection
    /// acts whenever it differs from the one it last saw.
    generation: u64,
    /// The earliest grace deadline given, if any.
    deadline: Option<Instant>,
    /// Connections served with this signal and not yet ended.
    connections: usize,
    next_key: u64,
    /// Connections and `Triggered` futures waiting for a trigger, by key.
    watchers: HashMap<u64, Waker>,
    /// `Drained` futures waiting, by key.
    drained: HashMap<u64, Waker>,
}

impl State {
    fn key(&mut self) -> u64 {
        self.next_key += 1;
        self.next_key
    }
}

#[derive(Default)]
struct Inner {
    state: Mutex<State>,
    /// `State::generation`, readable without the lock (written under it).
    generation: AtomicU64,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section is a counter, flag or map update that
        // cannot panic half-way, so a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Starts a graceful shutdown of the connections served with it, and
/// tells when they are all gone. Cheap to clone (one `Arc`), `Send` and
/// `Sync`, and independent of the runtime: the same type serves the goro
/// and the tokio binding.
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
/// use goro_http2::shutdown::ShutdownSignal;
///
/// let signal = ShutdownSignal::new();
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut drained = pin!(signal.drained());
/// assert!(drained.as_mut().poll(&mut cx).is_pending(), "not triggered yet");
/// signal.shutdown();
/// assert!(signal.is_shutdown());
/// assert_eq!(signal.connections(), 0);
/// assert!(drained.as_mut().poll(&mut cx).is_ready(), "no connection was open");
/// ```
#[derive(Clone, Default)]
pub struct ShutdownSignal {
    inner: Arc<Inner>,
}

impl fmt::Debug for ShutdownSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.inner.lock();
        f.debug_struct("ShutdownSignal")
            .field("shut_down", &(s.generation > 0))
            .field("deadline", &s.deadline)
            .field("connections", &s.connections)
            .finish()
    }
}

impl ShutdownSignal {
    /// A signal not yet triggered, with no connection.
    ///
    /// ```
    /// let signal = goro_http2::shutdown::ShutdownSignal::new();
    /// assert!(!signal.is_shutdown());
    /// ```
    pub fn new() -> ShutdownSignal {
        ShutdownSignal::default()
    }

    /// Starts the graceful shutdown with no deadline: each connection
    /// closes once its in-flight streams are done, however long they take.
    /// Calling it again does nothing more.
    ///
    /// ```
    /// let signal = goro_http2::shutdown::ShutdownSignal::new();
    /// signal.shutdown();
    /// assert!(signal.is_shutdown());
    /// ```
    pub fn shutdown(&self) {
        self.trigger(None);
    }

    /// Starts the graceful shutdown (or shortens one already started): the
    /// connections drain as with [`shutdown`](Self::shutdown), and any
    /// still open `grace` from now is closed, in-flight streams or not,
    /// even while a write to it is blocked. `Duration::ZERO` closes them
    /// all at once (Go's `Server.Close`). A later call can only bring the
    /// deadline forward.
    ///
    /// ```
    /// use std::time::Duration;
    /// let signal = goro_http2::shutdown::ShutdownSignal::new();
    /// signal.shutdown_within(Duration::from_secs(30));
    /// // Later, out of patience:
    /// signal.shutdown_within(Duration::ZERO);
    /// assert!(signal.is_shutdown());
    /// ```
    pub fn shutdown_within(&self, grace: Duration) {
        self.trigger(Some(Instant::now() + grace));
    }

    fn trigger(&self, deadline: Option<Instant>) {
        let wake: Vec<Waker> = {
            let mut s = self.inner.lock();
            let earlier = match (s.deadline, deadline) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(old), Some(new)) => new < old,
            };
            if s.generation > 0 && !earlier {
                return;
            }
            s.generation += 1;
            // Release: pairs with the Acquire of a watcher's unlocked check
            // (module notes); stored before the drain below.
            self.inner.generation.store(s.generation, Ordering::Release);
            if earlier {
                s.deadline = deadline;
            }
            let mut wake: Vec<Waker> = s.watchers.drain().map(|(_, w)| w).collect();
            if s.connections == 0 {
                wake.extend(s.drained.drain().map(|(_, w)| w));
            }
            wake
        };
        wake.into_iter().for_each(Waker::wake);
    }

    /// True once [`shutdown`](Self::shutdown) or
    /// [`shutdown_within`](Self::shutdown_within) was called.
    ///
    /// ```
    /// let signal = goro_http2::shutdown::ShutdownSignal::new();
    /// assert!(!signal.is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        self.inner.lock().generation > 0
    }

    /// Connections served with this signal that have not ended yet.
    ///
    /// ```
    /// let signal = goro_http2::shutdown::ShutdownSignal::new();
    /// assert_eq!(signal.connections(), 0);
    /// ```
    pub fn connections(&self) -> usize {
        self.inner.lock().connections
    }

    /// A future that completes once the shutdown was triggered and every
    /// connection served with this signal has ended. Put a timeout around
    /// it, or give [`shutdown_within`](Self::shutdown_within) a grace
    /// period, if a slow client must not hold the process up.
    ///
    /// ```no_run
    /// # async fn stop(signal: goro_http2::shutdown::ShutdownSignal) {
    /// signal.shutdown_within(std::time::Duration::from_secs(30));
    /// signal.drained().await;
    /// # }
    /// ```
    pub fn drained(&self) -> Drained {
        Drained {
            inner: self.inner.clone(),
            key: None,
        }
    }

    /// A future that completes once the shutdown is triggered: what an
    /// accept loop races its `accept` against, to stop taking connections.
    ///
    /// ```
    /// use std::future::Future;
    /// use std::pin::pin;
    /// use std::task::{Context, Waker};
    /// let signal = goro_http2::shutdown::ShutdownSignal::new();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let mut triggered = pin!(signal.triggered());
    /// assert!(triggered.as_mut().poll(&mut cx).is_pending());
    /// signal.shutdown();
    /// assert!(triggered.as_mut().poll(&mut cx).is_ready());
    /// ```
    pub fn triggered(&self) -> Triggered {
        Triggered {
            inner: self.inner.clone(),
            key: None,
        }
    }

    /// Counts a connection until the returned guard is dropped; the
    /// guard also tells the connection of the trigger.
    pub(crate) fn watch(&self) -> Watch {
        self.inner.lock().connections += 1;
        Watch {
            inner: self.inner.clone(),
            seen: 0,
            key: None,
            parked: None,
        }
    }
}

/// What a connection must do after a trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Trigger {
    /// When it must be closed even with streams in flight.
    pub(crate) deadline: Option<Instant>,
}

/// A connection's registration with a [`ShutdownSignal`]: counted while
/// alive, and polled by the driver for triggers.
pub(crate) struct Watch {
    inner: Arc<Inner>,
    /// The generation last acted on.
    seen: u64,
    key: Option<u64>,
    /// The waker the map holds for this connection, if it holds one.
    parked: Option<Waker>,
}

impl Watch {
    /// Ready with the trigger when a shutdown started or its deadline
    /// moved since the last `Ready`; otherwise registers `cx`'s waker.
    pub(crate) fn poll_trigger(&mut self, cx: &mut Context<'_>) -> Poll<Trigger> {
        let unchanged = self.inner.generation.load(Ordering::Acquire) == self.seen;
        if unchanged
            && self
                .parked
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
        {
            return Poll::Pending; // the fast path of the module notes
        }
        let mut s = self.inner.lock();
        if s.generation != self.seen {
            self.seen = s.generation;
            // The trigger drained the map: nothing of ours is left in it.
            self.parked = None;
            return Poll::Ready(Trigger {
                deadline: s.deadline,
            });
        }
        let key = *self.key.get_or_insert_with(|| s.key());
        register(&mut s.watchers, key, cx.waker());
        self.parked = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let wake: Vec<Waker> = {
            let mut s = self.inner.lock();
            if let Some(key) = self.key {
                s.watchers.remove(&key);
            }
            s.connections -= 1;
            if s.connections == 0 && s.generation > 0 {
                s.drained.drain().map(|(_, w)| w).collect()
            } else {
                Vec::new()
            }
        };
        wake.into_iter().for_each(Waker::wake);
    }
}

/// Completes once the shutdown of its [`ShutdownSignal`] is triggered.
/// Made by [`ShutdownSignal::triggered`].
///
/// ```
/// # use std::future::Future;
/// # use std::task::{Context, Waker};
/// let signal = goro_http2::shutdown::ShutdownSignal::new();
/// signal.shutdown();
/// let mut cx = Context::from_waker(Waker::noop());
/// assert!(std::pin::pin!(signal.triggered()).poll(&mut cx).is_ready());
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Triggered {
    inner: Arc<Inner>,
    key: Option<u64>,
}

impl fmt::Debug for Triggered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Triggered").finish_non_exhaustive()
    }
}

impl Future for Triggered {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut s = this.inner.lock();
        if s.generation > 0 {
            if let Some(key) = this.key.take() {
                s.watchers.remove(&key);
            }
            return Poll::Ready(());
        }
        let key = *this.key.get_or_insert_with(|| s.key());
        register(&mut s.watchers, key, cx.waker());
        Poll::Pending
    }
}

impl Drop for Triggered {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.inner.lock().watchers.remove(&key);
        }
    }
}

/// Stores `waker` under `key` unless the one there already wakes the same
/// task (the driver polls once per turn; cloning each time would cost).
fn register(map: &mut HashMap<u64, Waker>, key: u64, waker: &Waker) {
    match map.get_mut(&key) {
        Some(w) if w.will_wake(waker) => {}
        Some(w) => w.clone_from(waker),
        None => {
            map.insert(key, waker.clone());
        }
    }
}

/// Completes once the shutdown of its [`ShutdownSignal`] was triggered
/// and no connection served with it is left. Made by
/// [`ShutdownSignal::drained`].
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Waker};
/// let signal = goro_http2::shutdown::ShutdownSignal::new();
/// signal.shutdown();
/// let mut cx = Context::from_waker(Waker::noop());
/// assert!(pin!(signal.drained()).poll(&mut cx).is_ready());
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Drained {
    inner: Arc<Inner>,
    key: Option<u64>,
}

impl fmt::Debug for Drained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Drained").finish_non_exhaustive()
    }
}

impl Future for Drained {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut s = this.inner.lock();
        if s.generation > 0 && s.connections == 0 {
            if let Some(key) = this.key.take() {
                s.drained.remove(&key);
            }
            return Poll::Ready(());
        }
        let key = *this.key.get_or_insert_with(|| s.key());
        register(&mut s.drained, key, cx.waker());
        Poll::Pending
    }
}

impl Drop for Drained {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.inner.lock().drained.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    /// Counts its wake-ups.
    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn waker() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count::default());
        (count.clone(), Waker::from(count))
    }

    #[test]
    fn trigger_wakes_each_connection_once_with_its_deadline() {
        let signal = ShutdownSignal::new();
        let (mut a, mut b) = (signal.watch(), signal.watch());
        assert_eq!(signal.connections(), 2);
        let (count, w) = waker();
        let mut cx = Context::from_waker(&w);
        assert!(a.poll_trigger(&mut cx).is_pending());
        assert!(a.poll_trigger(&mut cx).is_pending()); // same task: one entry
        assert!(b.poll_trigger(&mut cx).is_pending());
        signal.shutdown();
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
        assert_eq!(
            a.poll_trigger(&mut cx),
            Poll::Ready(Trigger { deadline: None })
        );
        assert!(a.poll_trigger(&mut cx).is_pending(), "acted on once");
        signal.shutdown(); // nothing new
        assert!(a.poll_trigger(&mut cx).is_pending());
        signal.shutdown_within(Duration::from_secs(5));
        // `a` parked again after its Ready (the unlocked fast path must not
        // skip that), `b` was not polled since the first trigger.
        assert_eq!(count.0.load(Ordering::SeqCst), 3);
        let Poll::Ready(Trigger { deadline: Some(d) }) = a.poll_trigger(&mut cx) else {
            panic!("a deadline is news")
        };
        signal.shutdown_within(Duration::from_secs(60)); // later: ignored
        assert!(a.poll_trigger(&mut cx).is_pending());
        assert!(
            matches!(b.poll_trigger(&mut cx), Poll::Ready(Trigger { deadline: Some(x) }) if x == d)
        );
    }

    #[test]
    fn drained_completes_when_the_last_connection_ends_after_the_trigger() {
        let signal = ShutdownSignal::new();
        let (a, b) = (signal.watch(), signal.watch());
        let (count, w) = waker();
        let mut cx = Context::from_waker(&w);
        let mut drained = Box::pin(signal.drained());
        drop(a);
        assert!(drained.as_mut().poll(&mut cx).is_pending(), "not triggered");
        signal.shutdown();
        assert_eq!(count.0.load(Ordering::SeqCst), 0, "one connection left");
        assert!(drained.as_mut().poll(&mut cx).is_pending());
        drop(b);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert_eq!(signal.connections(), 0);
        assert!(drained.as_mut().poll(&mut cx).is_ready());
    }

    #[test]
    fn dropped_waiters_leave_no_wakers_behind() {
        let signal = ShutdownSignal::new();
        let (_count, w) = waker();
        let mut cx = Context::from_waker(&w);
        let mut watch = signal.watch();
        assert!(watch.poll_trigger(&mut cx).is_pending());
        let mut drained = Box::pin(signal.drained());
        assert!(drained.as_mut().poll(&mut cx).is_pending());
        drop(watch);
        drop(drained);
        let s = signal.inner.lock();
        assert!(s.watchers.is_empty() && s.drained.is_empty());
    }
}
