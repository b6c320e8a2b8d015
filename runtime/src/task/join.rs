//! `JoinHandle` and `JoinError`.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::num::NonZero;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use super::Header;

/// An owned permission to await a task's output.
///
/// Dropping the handle detaches the task; [`abort`](Self::abort) cancels it.
///
/// ```
/// let rt = goro::Runtime::new().unwrap();
/// let out = rt.block_on(async { goro::spawn(async { 6 * 7 }).await });
/// assert_eq!(out.unwrap(), 42);
/// ```
pub struct JoinHandle<T> {
    /// The task, with bit 0 ([`TAKEN`]) set once the output was returned:
    /// the task's stage then holds nothing (the cell keeps no tag of its
    /// own, see `cell.rs`). Headers are 8-aligned, so the bit is free, and
    /// the handle stays one word.
    tagged: NonNull<Header>,
    _output: PhantomData<T>,
}

/// The tag bit of [`JoinHandle::tagged`].
const TAKEN: usize = 1;

// SAFETY: the handle only moves `T` out of the task (needs `T: Send`); the
// header it points at is thread-safe.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only allows `abort`/`is_finished`, which touch the
// atomic state word alone.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// # Safety
    /// `raw` is a live task whose output type is `T`, and the caller hands
    /// over the reference reserved for the join handle.
    pub(crate) unsafe fn from_raw(raw: NonNull<Header>) -> Self {
        JoinHandle {
            tagged: raw,
            _output: PhantomData,
        }
    }

    /// The task pointer, without the tag.
    fn raw(&self) -> NonNull<Header> {
        self.tagged
            .map_addr(|a| match NonZero::new(a.get() & !TAKEN) {
                Some(a) => a,
                None => unreachable!("a task pointer is never null"),
            })
    }

    fn taken(&self) -> bool {
        self.tagged.addr().get() & TAKEN != 0
    }

    fn header(&self) -> &Header {
        // SAFETY: the handle holds a reference.
        unsafe { self.raw().as_ref() }
    }

    /// Cancels the task: it is dropped at its next scheduling point and
    /// awaiting the handle yields a cancelled [`JoinError`]. A task that
    /// already finished keeps its output.
    pub fn abort(&self) {
        super::abort(self.raw());
    }

    /// True once the task has completed (finished, panicked or cancelled).
    pub fn is_finished(&self) -> bool {
        self.header().state.load().is_complete()
    }

    /// The task's id (unique within its runtime).
    pub fn id(&self) -> u64 {
        self.header().id()
    }

    /// A handle that can abort the task without owning the output.
    pub fn abort_handle(&self) -> AbortHandle {
        self.header().state.ref_inc();
        AbortHandle { raw: self.raw() }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(
            !this.taken(),
            "JoinHandle polled after it returned the output"
        );
        if !crate::coop::poll_proceed(cx) {
            return Poll::Pending;
        }
        let mut out: Poll<Result<T, JoinError>> = Poll::Pending;
        let header = this.header();
        // SAFETY: the task's output type is `T` (`from_raw`'s contract), we
        // are its join handle, and we have not taken the output yet.
        unsafe {
            (header.vtable.try_read_output)(this.raw(), &mut out as *mut _ as *mut (), cx.waker())
        };
        if out.is_ready() {
            this.tagged = this.tagged.map_addr(|a| a | TAKEN);
        }
        out
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if self.taken() {
            // The output is gone and the task complete: only our reference
            // is left to give up.
            // SAFETY: the handle's reference.
            unsafe { super::drop_ref(self.raw()) }
        } else {
            // SAFETY: we are the join handle, have not taken the output, and
            // give up our reference here.
            unsafe { (self.header().vtable.drop_join_handle)(self.raw()) }
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .finish()
    }
}

/// Cancels a task without owning its output (see [`JoinHandle::abort_handle`]).
pub struct AbortHandle {
    raw: NonNull<Header>,
}

// SAFETY: only the atomic state word is touched through this handle.
unsafe impl Send for AbortHandle {}
// SAFETY: as above.
unsafe impl Sync for AbortHandle {}

impl AbortHandle {
    /// Cancels the task, as [`JoinHandle::abort`].
    pub fn abort(&self) {
        super::abort(self.raw);
    }

    /// True once the task has completed.
    pub fn is_finished(&self) -> bool {
        // SAFETY: we hold a reference.
        unsafe { self.raw.as_ref() }.state.load().is_complete()
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        // SAFETY: our reference.
        unsafe { super::drop_ref(self.raw) }
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle").finish_non_exhaustive()
    }
}

/// Why a task produced no output: it was cancelled, or it panicked.
pub struct JoinError {
    id: u64,
    repr: Repr,
}

enum Repr {
    Cancelled,
    Panic(Box<dyn Any + Send + 'static>),
}

impl JoinError {
    pub(crate) fn cancelled(id: u64) -> Self {
        JoinError {
            id,
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(id: u64, payload: Box<dyn Any + Send + 'static>) -> Self {
        JoinError {
            id,
            repr: Repr::Panic(payload),
        }
    }

    /// True if the task was aborted or its runtime shut down.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// True if the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The id of the failed task.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The panic payload (resume it with `std::panic::resume_unwind`).
    ///
    /// # Panics
    /// If the task was cancelled rather than panicked.
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .expect("JoinError::into_panic on a cancelled task")
    }

    /// The panic payload, or the error back if the task was cancelled.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(p) => Ok(p),
            Repr::Cancelled => Err(self),
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(|s| s.as_str()))
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "task {} was cancelled", self.id),
            Repr::Panic(p) => match panic_message(p.as_ref()) {
                Some(msg) => write!(f, "task {} panicked with message {msg:?}", self.id),
                None => write!(f, "task {} panicked", self.id),
            },
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled({})", self.id),
            Repr::Panic(p) => write!(
                f,
                "JoinError::Panic({}, {:?})",
                self.id,
                panic_message(p.as_ref())
            ),
        }
    }
}

impl std::error::Error for JoinError {}
