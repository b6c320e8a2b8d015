//! `yield_now`: let the other queued tasks run.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields once: the task goes to the back of its worker's queue (not to
/// runnext), so every other queued task runs before it resumes. When the
/// runtime's global queue (remote spawns, overflow) holds more tasks than
/// the worker's own queue, it goes to the back of the global queue
/// instead, behind them, as Go's `runtime.Gosched` does.
///
/// ```
/// let rt = goro::Runtime::new().unwrap();
/// rt.block_on(async { goro::yield_now().await });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // A self-wake while running sets NOTIFIED; when the poll returns,
        // the worker re-queues the task at the back (task state rule 2).
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
