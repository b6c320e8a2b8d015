//! The typed task cell and the vtable functions that know its type.
//!
//! `SAFETY:` comments cite the rules in `state.rs`.

use std::alloc::Layout;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use super::join::{JoinError, JoinHandle};
use super::state::{State, ToIdle, ToRunning};
use super::{Header, Notified, Vtable, cache, drop_ref, waker};
use crate::sched::Shared;
use crate::sync::atomic::{AtomicPtr, AtomicU32};
use crate::sync::{Arc, UnsafeCell};

/// The future, then its output: a union, because the state word already
/// says which one is live, and a tag would cost 8 bytes in every task (the
/// difference between the 144- and the 160-byte size class for a small
/// future).
///
/// - `COMPLETE` clear: the future is live (or, while the completer holds
///   `RUNNING` inside [`finish`], being replaced).
/// - `COMPLETE` set: the output is live until its owner (rule 3) takes or
///   drops it; that owner does so before it releases its reference, so a
///   cell reaching [`dealloc`] complete holds nothing.
union Stage<F: Future> {
    future: ManuallyDrop<F>,
    output: ManuallyDrop<Result<F::Output, JoinError>>,
}

/// One task: header first, so the cell pointer is the header pointer.
#[repr(C)]
struct Cell<F: Future> {
    header: Header,
    stage: UnsafeCell<Stage<F>>,
    join_waker: UnsafeCell<Option<Waker>>,
}

struct VtableOf<F>(std::marker::PhantomData<F>);

impl<F: Future + Send + 'static> VtableOf<F>
where
    F::Output: Send + 'static,
{
    const VTABLE: Vtable = Vtable {
        run: run::<F>,
        dealloc: dealloc::<F>,
        try_read_output: try_read_output::<F>,
        drop_join_handle: drop_join_handle::<F>,
        cancel: cancel::<F>,
    };
}

/// Where the task came from and what it is called.
pub(crate) struct Meta {
    pub(crate) id: u64,
    pub(crate) location: &'static Location<'static>,
    pub(crate) name: Option<Box<str>>,
    pub(crate) spawned_ms: u32,
}

/// Allocates a task. Returns its first run-queue entry, its join handle and
/// the raw pointer whose reference belongs to the registry (three
/// references in all).
pub(crate) fn new_task<F>(
    future: F,
    shared: Arc<Shared>,
    meta: Meta,
) -> (Notified, JoinHandle<F::Output>, NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let id_bits = match meta.name {
        Some(name) => {
            shared.registry.set_name(meta.id, name);
            meta.id | super::NAMED
        }
        None => meta.id,
    };
    let layout = Layout::new::<Cell<F>>();
    let cache = crate::context::current_p(&shared).map(|i| &shared.ps[i].cells);
    // SAFETY: `current_p` says this thread holds that P (cache rule 1).
    let mem = unsafe { cache::alloc_cell(cache, &shared.cell_depot, layout) }.cast::<Cell<F>>();
    let cell = Cell {
        header: Header {
            state: State::new(3),
            registry_slot: AtomicPtr::new(std::ptr::null_mut()),
            vtable: &VtableOf::<F>::VTABLE,
            shared: ManuallyDrop::new(shared),
            id_bits,
            location: meta.location,
            spawned_ms: meta.spawned_ms,
            last_poll_ms: AtomicU32::new(0),
        },
        stage: UnsafeCell::new(Stage {
            future: ManuallyDrop::new(future),
        }),
        join_waker: UnsafeCell::new(None),
    };
    // SAFETY: fresh memory with `Cell<F>`'s layout (or a larger class of
    // the same alignment); the cell never moves from here until `dealloc`.
    unsafe { mem.as_ptr().write(cell) };
    let ptr = mem.cast::<Header>();
    // SAFETY: the new cell carries three references, one for each result.
    let notified = unsafe { Notified::from_raw(ptr) };
    // SAFETY: as above.
    let join = unsafe { JoinHandle::from_raw(ptr) };
    (notified, join, ptr)
}

/// # Safety
/// `ptr` points at a live `Cell<F>`.
unsafe fn cell<'a, F: Future>(ptr: NonNull<Header>) -> &'a Cell<F> {
    // SAFETY: the caller guarantees the type; `#[repr(C)]` puts the header
    // at offset 0.
    unsafe { ptr.cast::<Cell<F>>().as_ref() }
}

/// Runs `f` and swallows a panic: used where user code (a `Drop`) may panic
/// but the scheduler must carry on.
fn quietly(f: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(f));
}

/// Polls or cancels the task; consumes one `Notified` reference.
///
/// # Safety
/// `ptr` is a live `Cell<F>` and the caller hands over one reference.
pub(crate) unsafe fn run<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: caller guarantees the type and liveness.
    let cell = unsafe { cell::<F>(ptr) };
    let header = &cell.header;
    match header.state.transition_to_running() {
        ToRunning::Skip => {
            // SAFETY: we own the reference we were given.
            unsafe { drop_ref(ptr) };
            return;
        }
        ToRunning::Cancel => {
            // SAFETY: rule 1: we set `RUNNING`.
            unsafe { cancel::<F>(ptr) };
            // SAFETY: our reference.
            unsafe { drop_ref(ptr) };
            return;
        }
        ToRunning::Poll => {}
    }
    // `max(1)`: 0 means "never polled".
    header.last_poll_ms.store(
        (header.shared.coarse_now_ms() as u32).max(1),
        crate::sync::atomic::Ordering::Relaxed,
    );
    // SAFETY: our reference keeps the task alive for the waker's lifetime;
    // ManuallyDrop keeps the borrowed waker from releasing it.
    let waker = ManuallyDrop::new(unsafe { waker::borrowed(ptr) });
    let mut cx = Context::from_waker(&waker);
    let polled = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: rule 1: `RUNNING` is ours, so is the stage, and the
        // transition to running saw `COMPLETE` clear, so the future is the
        // live field; it never moves while in the cell (the cell never
        // moves).
        cell.stage
            .with_mut(|stage| unsafe { Pin::new_unchecked(&mut *(*stage).future).poll(&mut cx) })
    }));
    match polled {
        Ok(Poll::Ready(value)) => {
            // SAFETY: rule 1.
            unsafe { finish::<F>(ptr, Ok(value)) };
        }
        Ok(Poll::Pending) => match header.state.transition_to_idle() {
            ToIdle::Idle => {}
            ToIdle::Requeue => {
                // SAFETY: rule 2: our reference becomes the queue entry.
                let notified = unsafe { Notified::from_raw(ptr) };
                header.shared.schedule_yield(notified);
                return;
            }
            // SAFETY: rule 1: `RUNNING` is still ours.
            ToIdle::Cancel => unsafe { cancel::<F>(ptr) },
        },
        Err(payload) => {
            header.shared.task_panicked();
            // SAFETY: rule 1.
            unsafe { finish::<F>(ptr, Err(JoinError::panic(header.id(), payload))) };
        }
    }
    // SAFETY: our reference.
    unsafe { drop_ref(ptr) };
}

/// Replaces the future with its result and completes.
///
/// # Safety
/// The caller holds `RUNNING` on a live `Cell<F>`.
unsafe fn finish<F: Future>(ptr: NonNull<Header>, result: Result<F::Output, JoinError>) {
    // SAFETY: caller guarantees the type and liveness.
    let cell = unsafe { cell::<F>(ptr) };
    // Dropping the future may panic; the output is stored regardless (a
    // panicking drop still drops the future's remaining fields).
    // SAFETY: rule 1, and `COMPLETE` is clear: the future is live; it is
    // dropped exactly once, here.
    cell.stage
        .with_mut(|s| quietly(|| unsafe { ManuallyDrop::drop(&mut (*s).future) }));
    // SAFETY: rule 1; the future is gone, so the output takes its place
    // (nothing live is overwritten).
    cell.stage.with_mut(|s| unsafe {
        std::ptr::addr_of_mut!((*s).output).write(ManuallyDrop::new(result))
    });
    let prev = cell.header.state.transition_to_complete();
    if !prev.is_join_interested() {
        // SAFETY: rule 3: nobody will read the output; it is ours to drop,
        // once.
        cell.stage
            .with_mut(|s| quietly(|| unsafe { ManuallyDrop::drop(&mut (*s).output) }));
    } else if prev.is_join_waker_set() {
        // SAFETY: rule 4: the waker was published before our transition.
        cell.join_waker.with(|w| unsafe {
            if let Some(w) = &*w {
                w.wake_by_ref();
            }
        });
    }
    cell.header.shared.task_completed();
    // SAFETY: the caller's reference (it holds `RUNNING`) keeps the cell
    // alive across the call.
    unsafe { cell.header.shared.registry.completed(ptr) };
}

/// Drops the future and completes with a cancellation.
///
/// # Safety
/// The caller holds `RUNNING` on a live `Cell<F>`.
unsafe fn cancel<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: caller guarantees the type and liveness.
    let id = unsafe { ptr.as_ref() }.id();
    // SAFETY: forwarded from the caller.
    unsafe { finish::<F>(ptr, Err(JoinError::cancelled(id))) };
}

/// # Safety
/// The last reference to a live `Cell<F>` is gone.
unsafe fn dealloc<F: Future>(ptr: NonNull<Header>) {
    let cell = ptr.cast::<Cell<F>>();
    // SAFETY: rule 5: nobody else can reach the cell. The scheduler handle
    // is taken out first (the header's `ManuallyDrop` is never dropped in
    // place), so it outlives the cell and picks the cache below.
    let shared = unsafe { ManuallyDrop::take(&mut (*cell.as_ptr()).header.shared) };
    // SAFETY: as above; the header is still intact.
    let header = unsafe { &(*cell.as_ptr()).header };
    if header.is_named() {
        shared.registry.forget_name(header.id());
    }
    // A complete cell's output was taken or dropped by its owner (rule 3);
    // an incomplete one (never run to the end: shutdown, or a runtime
    // dropped with it queued) still holds its future.
    if !header.state.load().is_complete() {
        // SAFETY: rule 5: nobody else can reach the cell.
        let stage = unsafe { &(*cell.as_ptr()).stage };
        // SAFETY: rule 5, and `COMPLETE` is clear: the future is live.
        stage.with_mut(|s| quietly(|| unsafe { ManuallyDrop::drop(&mut (*s).future) }));
    }
    // SAFETY: rule 5; the stage has no drop glue (a union), the rest of the
    // cell (the join waker) is dropped here; a panicking drop still drops
    // the other fields.
    quietly(|| unsafe { std::ptr::drop_in_place(cell.as_ptr()) });
    let cache = crate::context::current_p(&shared).map(|i| &shared.ps[i].cells);
    // SAFETY: the memory came from `alloc_cell` with this layout in
    // `new_task`, its cell is dropped, and `current_p` says this thread
    // holds that P (cache rule 1).
    unsafe {
        cache::free_cell(
            cache,
            &shared.cell_depot,
            cell.cast(),
            Layout::new::<Cell<F>>(),
        )
    };
    drop(shared);
}

/// # Safety
/// `ptr` is a live `Cell<F>`, `dst` a `*mut Poll<Result<F::Output, JoinError>>`,
/// and the caller is its `JoinHandle`.
unsafe fn try_read_output<F: Future>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker) {
    // SAFETY: caller guarantees the type and liveness.
    let cell = unsafe { cell::<F>(ptr) };
    if !can_read_output(cell, waker) {
        return;
    }
    // SAFETY: rule 3: complete with join interest: the output is ours,
    // and the handle takes it once (it never calls here again after a
    // `Ready`).
    let result = cell
        .stage
        .with_mut(|s| unsafe { ManuallyDrop::take(&mut (*s).output) });
    // SAFETY: the caller passes a pointer of this type.
    unsafe { *dst.cast::<Poll<Result<F::Output, JoinError>>>() = Poll::Ready(result) };
}

/// True if the task is complete; otherwise makes sure `waker` is published.
fn can_read_output<F: Future>(cell: &Cell<F>, waker: &Waker) -> bool {
    let state = &cell.header.state;
    let snap = state.load();
    if snap.is_complete() {
        return true;
    }
    if snap.is_join_waker_set() {
        // SAFETY: rule 4: published, so shared and read-only.
        let same = cell
            .join_waker
            .with(|w| unsafe { (*w).as_ref().is_some_and(|w| w.will_wake(waker)) });
        if same || state.unset_join_waker().is_err() {
            return !same;
        }
    }
    // SAFETY: rule 4: `JOIN_WAKER` and `COMPLETE` are clear, so the cell is ours.
    cell.join_waker
        .with_mut(|w| unsafe { *w = Some(waker.clone()) });
    state.set_join_waker().is_err()
}

/// # Safety
/// `ptr` is a live `Cell<F>`; the caller is its `JoinHandle`, dropping,
/// and has not taken the output.
unsafe fn drop_join_handle<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: caller guarantees the type and liveness.
    let cell = unsafe { cell::<F>(ptr) };
    if cell.header.state.unset_join_interested().is_err() {
        // SAFETY: rule 3: complete while we were interested: the output is
        // ours to drop, and the caller has not taken it.
        cell.stage
            .with_mut(|s| quietly(|| unsafe { ManuallyDrop::drop(&mut (*s).output) }));
    }
    // SAFETY: the handle's reference.
    unsafe { drop_ref(ptr) };
}

/// The size of the cell a future `F` is spawned into.
#[cfg(test)]
pub(crate) fn cell_size<F: Future>(_: &F) -> usize {
    std::mem::size_of::<Cell<F>>()
}
