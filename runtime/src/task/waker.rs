//! The task waker: a `RawWaker` whose data pointer is the task header and
//! whose clone/drop move one reference in the state word.
//!
//! A wake from a worker thread puts the task in that worker's `runnext`
//! slot (Go's `ready()`); elsewhere it goes to the global queue. That choice
//! is the scheduler's (`Shared::schedule_wake`).

use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::state::WakeByVal;
use super::{Header, Notified};

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// A waker that borrows the caller's reference (wrap it in `ManuallyDrop`).
///
/// # Safety
/// The caller holds a reference for as long as the waker is used, and never
/// drops it (clones are fine: they take their own reference).
pub(super) unsafe fn borrowed(ptr: NonNull<Header>) -> Waker {
    let raw = RawWaker::new(ptr.as_ptr() as *const (), &VTABLE);
    // SAFETY: the vtable functions below uphold the `RawWaker` contract for
    // a header pointer.
    unsafe { Waker::from_raw(raw) }
}

fn header<'a>(data: *const ()) -> &'a Header {
    // SAFETY: every `RawWaker` with this vtable carries a header pointer and
    // one reference (or borrows one), so the task is alive.
    unsafe { &*(data as *const Header) }
}

/// The task pointer with the provenance of the whole cell. A pointer made
/// from `header()`'s `&Header` would only cover the header, and the cell
/// functions it reaches (`run`, `dealloc`) touch the rest of the cell
/// (Miri's Stacked Borrows flags that).
fn task_ptr(data: *const ()) -> NonNull<Header> {
    // SAFETY: as in `header`: the data pointer is a live, non-null header.
    unsafe { NonNull::new_unchecked(data as *mut Header) }
}

fn clone(data: *const ()) -> RawWaker {
    header(data).state.ref_inc();
    RawWaker::new(data, &VTABLE)
}

fn wake(data: *const ()) {
    let h = header(data);
    let ptr = task_ptr(data);
    match h.state.transition_to_notified_by_val() {
        WakeByVal::Done => {}
        WakeByVal::Submit => {
            // SAFETY: the waker's reference became the queue entry's.
            let notified = unsafe { Notified::from_raw(ptr) };
            h.shared.schedule_wake(notified);
        }
        // SAFETY: rule 5: that was the last reference.
        WakeByVal::Dealloc => unsafe { (h.vtable.dealloc)(ptr) },
    }
}

fn wake_by_ref(data: *const ()) {
    let h = header(data);
    if h.state.transition_to_notified_by_ref() {
        // SAFETY: the transition added the entry's reference.
        let notified = unsafe { Notified::from_raw(task_ptr(data)) };
        h.shared.schedule_wake(notified);
    }
}

fn drop_waker(data: *const ()) {
    // SAFETY: a waker owns one reference.
    unsafe { super::drop_ref(task_ptr(data)) }
}
