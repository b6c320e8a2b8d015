//! Tasks (Go's G): one heap cell per spawned future, holding a header, the
//! future-or-output stage and the join waker.
//!
//! A task is reached through untyped `NonNull<Header>` pointers; the
//! `Vtable` in the header knows the concrete future type. Every pointer that
//! outlives a call holds one reference in the state word (see
//! [`state`]): [`Notified`] (a run-queue entry), a `Waker`, the
//! [`JoinHandle`] and the registry's slot (until the task completes).

mod cache;
mod cell;
pub(crate) mod join;
pub(crate) mod registry;
pub mod state;
mod waker;

use std::mem::ManuallyDrop;
use std::panic::Location;
use std::ptr::NonNull;

use crate::sched::Shared;
use crate::sync::Arc;
use crate::sync::atomic::{AtomicPtr, AtomicU32};

pub(crate) use cache::{CellCache, Depot, thread_cache};
pub(crate) use cell::{Meta, new_task};
pub use join::{JoinError, JoinHandle};

/// The type-erased operations of one task type.
pub(crate) struct Vtable {
    /// Runs the task (consumes one `Notified` reference).
    pub(crate) run: unsafe fn(NonNull<Header>),
    /// Frees the cell (the last reference is gone).
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    /// Moves the output into `*mut Poll<Result<T, JoinError>>` if complete,
    /// else registers the waker. Called until it moves the output, never
    /// after.
    pub(crate) try_read_output: unsafe fn(NonNull<Header>, *mut (), &std::task::Waker),
    /// Drops the `JoinHandle`'s interest and reference (a handle that took
    /// the output only drops its reference).
    pub(crate) drop_join_handle: unsafe fn(NonNull<Header>),
    /// Cancels the future; the caller set `RUNNING` via
    /// `transition_to_shutdown`.
    pub(crate) cancel: unsafe fn(NonNull<Header>),
}

/// The untyped head of every task cell (`#[repr(C)]`: a cell pointer is a
/// header pointer).
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: state::State,
    /// The task's slot in the registry (`registry/slots.rs`), set when it
    /// is registered; its completion clears the slot.
    pub(crate) registry_slot: AtomicPtr<AtomicPtr<Header>>,
    pub(crate) vtable: &'static Vtable,
    /// The scheduler this task is queued on when woken. Taken out by
    /// `dealloc`, which needs it after the rest of the cell is dropped (to
    /// find the P whose cache gets the memory).
    pub(crate) shared: ManuallyDrop<Arc<Shared>>,
    /// The task id, with [`NAMED`] set if the registry holds a name for it.
    id_bits: u64,
    pub(crate) location: &'static Location<'static>,
    /// Coarse clock (ms since the runtime started, wrapping every 49
    /// days; only differences are used) at spawn.
    pub(crate) spawned_ms: u32,
    /// Coarse clock at the start of the last poll; 0 = never polled.
    pub(crate) last_poll_ms: AtomicU32,
}

/// Top bit of `Header::id_bits`: the task has a name in the registry. Ids
/// come from a counter that never gets near it.
pub(crate) const NAMED: u64 = 1 << 63;

impl Header {
    /// The task id.
    pub(crate) fn id(&self) -> u64 {
        self.id_bits & !NAMED
    }

    /// True if the registry holds a name for this task.
    pub(crate) fn is_named(&self) -> bool {
        self.id_bits & NAMED != 0
    }
}

/// A run-queue entry: owns one reference and the right to run the task.
pub(crate) struct Notified(NonNull<Header>);

// SAFETY: a `Notified` is a counted reference to a task whose future is
// `Send` (enforced by `spawn`); the header's fields are atomics or immutable.
unsafe impl Send for Notified {}

impl Notified {
    /// Wraps a pointer that carries one reference.
    ///
    /// # Safety
    /// `ptr` is a live task and the caller transfers one reference to the
    /// result.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Notified {
        Notified(ptr)
    }

    /// Gives up ownership of the reference without dropping it.
    pub(crate) fn into_raw(self) -> NonNull<Header> {
        let ptr = self.0;
        std::mem::forget(self);
        ptr
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: we hold a reference, so the cell is alive.
        unsafe { self.0.as_ref() }
    }

    /// Polls (or cancels) the task, consuming this reference.
    pub(crate) fn run(self) {
        let ptr = self.into_raw();
        // SAFETY: we held one reference, which `run` consumes.
        unsafe { (ptr.as_ref().vtable.run)(ptr) }
    }

    /// Shutdown: cancels the task if nobody is running it, then releases
    /// this reference.
    pub(crate) fn shutdown(self) {
        shutdown_task(self.0);
    }
}

impl Drop for Notified {
    fn drop(&mut self) {
        // SAFETY: we own one reference.
        unsafe { drop_ref(self.0) }
    }
}

/// Cancels a task for shutdown if it is idle or queued (rule 1 via
/// `transition_to_shutdown`). Does not release a reference.
pub(crate) fn shutdown_task(ptr: NonNull<Header>) {
    // SAFETY: callers hold a reference (a `Notified`, or the registry's
    // reference handed over by a take).
    let header = unsafe { ptr.as_ref() };
    if header.state.transition_to_shutdown() {
        // SAFETY: the transition gave us `RUNNING`, so the stage is ours.
        unsafe { (header.vtable.cancel)(ptr) }
    }
}

/// Drops one reference, deallocating on the last.
///
/// # Safety
/// The caller owns one reference to a live task.
pub(crate) unsafe fn drop_ref(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the cell alive for this call.
    let header = unsafe { ptr.as_ref() };
    if header.state.ref_dec() {
        // SAFETY: rule 5: that was the last reference.
        unsafe { (header.vtable.dealloc)(ptr) }
    }
}

/// `JoinHandle::abort` and the task group: ask a task to stop.
pub(crate) fn abort(ptr: NonNull<Header>) {
    // SAFETY: callers hold a reference.
    let header = unsafe { ptr.as_ref() };
    if header.state.transition_to_notified_and_cancel() {
        // SAFETY: the transition added the reference this entry owns.
        let notified = unsafe { Notified::from_raw(ptr) };
        header.shared.schedule_wake(notified);
    }
}

/// Builds a task's metadata.
pub(crate) fn cell_meta(
    id: u64,
    location: &'static Location<'static>,
    name: Option<Box<str>>,
    spawned_ms: u64,
) -> Meta {
    Meta {
        id,
        location,
        name,
        spawned_ms: spawned_ms as u32,
    }
}

#[cfg(all(test, not(goro_loom)))]
mod tests;
