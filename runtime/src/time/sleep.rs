//! `Sleep`, `Timeout` and `Interval`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::clock::{Entry, Instant};
use crate::sched::Shared;
use crate::sync::Arc;
use crate::sync::atomic::Ordering::Acquire;

/// Waits until `duration` has passed on the runtime clock.
///
/// # Panics
/// When polled outside a runtime.
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(Instant::now() + duration)
}

/// Waits until `deadline` on the runtime clock.
///
/// # Panics
/// When polled outside a runtime.
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        armed: None,
    }
}

/// The future returned by [`sleep`] and [`sleep_until`]. It binds to the
/// runtime it is first polled in.
pub struct Sleep {
    deadline: Instant,
    armed: Option<Armed>,
}

struct Armed {
    shared: Arc<Shared>,
    deadline_ns: u64,
    entry: Option<Arc<Entry>>,
}

impl Sleep {
    /// The deadline.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// True once the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if !crate::coop::poll_proceed(cx) {
            return Poll::Pending;
        }
        let deadline = this.deadline;
        let armed = this.armed.get_or_insert_with(|| {
            let shared = crate::context::with_current(|s| match s {
                Some(s) => s.clone(),
                None => panic!("goro::time::sleep polled outside a goro runtime"),
            });
            let deadline_ns = shared.timers.ns_of(deadline);
            Armed {
                shared,
                deadline_ns,
                entry: None,
            }
        });
        if armed.shared.timers.now_ns() >= armed.deadline_ns {
            return Poll::Ready(());
        }
        match &armed.entry {
            None => {
                let shard = armed.shared.timers.shard_for(&armed.shared);
                let entry = Arc::new(Entry::new(armed.deadline_ns, shard, cx.waker().clone()));
                armed.entry = Some(entry.clone());
                armed.shared.timers.register(&armed.shared, entry);
                Poll::Pending
            }
            Some(entry) => {
                if entry.fired.load(Acquire) {
                    return Poll::Ready(());
                }
                {
                    let mut w = entry.waker.lock();
                    if !w.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                        *w = Some(cx.waker().clone());
                    }
                }
                // `Entry::fire` sets `fired` before taking the waker.
                if entry.fired.load(Acquire) {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        // Disarm: the waker (a task reference) goes now, and the heap slot
        // is reclaimed lazily (`Timers::cancel`).
        if let Some(armed) = self.armed.as_mut() {
            if let Some(e) = armed.entry.take() {
                armed.shared.timers.cancel(&e);
            }
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish()
    }
}

/// The deadline of a [`timeout`] passed first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

/// Runs `future` for at most `duration`.
///
/// ```
/// use std::time::Duration;
/// let rt = goro::Runtime::new().unwrap();
/// let r = rt.block_on(goro::time::timeout(Duration::from_millis(1), std::future::pending::<()>()));
/// assert!(r.is_err());
/// ```
///
/// # Panics
/// When polled outside a runtime.
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep(duration),
    }
}

/// The future returned by [`timeout`].
pub struct Timeout<F> {
    future: F,
    sleep: Sleep,
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning: `future` is never moved out of the
        // pinned `Timeout` and `Timeout` has no `Drop` that moves it;
        // `sleep` is `Unpin` and is not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        if let Poll::Ready(v) = future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        match Pin::new(&mut this.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed(()))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout").finish_non_exhaustive()
    }
}

/// Ticks every `period`, first at once. Missed ticks are skipped (the next
/// tick keeps the original phase).
///
/// # Panics
/// If `period` is zero, or outside a runtime.
pub fn interval(period: Duration) -> Interval {
    assert!(!period.is_zero(), "interval period must be non-zero");
    Interval {
        next: Instant::now(),
        period,
    }
}

/// The ticker returned by [`interval`].
#[derive(Debug)]
pub struct Interval {
    next: Instant,
    period: Duration,
}

impl Interval {
    /// Waits for the next tick and returns its scheduled time.
    pub async fn tick(&mut self) -> Instant {
        let at = self.next;
        sleep_until(at).await;
        let now = Instant::now();
        let mut next = at + self.period;
        if next <= now {
            // Skip what was missed, keeping the phase.
            let behind = now - at;
            let periods = behind.as_nanos() / self.period.as_nanos() + 1;
            next = at + self.period * periods as u32;
        }
        self.next = next;
        at
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }
}
