//! One reusable arena per thread, lent to a closure per request.
//!
//! [`with_thread_arena`] takes the thread's cached [`Arena`] out of a
//! thread-local slot (one TLS access per *call*), runs the closure with
//! `&Arena`, then resets the arena and puts it back. Inside the closure the
//! arena is a plain `&Arena`: the allocation fast path has no TLS lookup, no
//! atomic and no borrow flag. The closure's result cannot borrow the arena
//! (its type does not mention the borrow), so the reset cannot invalidate
//! anything it returns.
//!
//! A nested call finds the slot empty and uses a fresh arena; when both
//! return, the thread keeps the one that holds more memory.

use core::cell::{Cell, RefCell};

use crate::arena::{Arena, ArenaBuilder};

std::thread_local! {
    static SLOT: Cell<Option<Arena>> = const { Cell::new(None) };
    static CONFIG: RefCell<Option<ArenaBuilder>> = const { RefCell::new(None) };
}

fn new_thread_arena() -> Arena {
    CONFIG
        .with(|c| c.borrow().clone())
        .map_or_else(Arena::new, ArenaBuilder::build)
}

/// Runs `f` with this thread's request arena, then resets the arena
/// (running its drop list) and keeps its chunks for the next call.
///
/// ```
/// let total = goro_arena::with_thread_arena(|arena| {
///     let xs = arena.alloc_slice_fill_with(100, |i| i as u64);
///     xs.iter().sum::<u64>()
/// });
/// assert_eq!(total, 4950);
/// ```
///
/// # Panics
///
/// If `f` panics, the arena is still reset and kept, then the panic goes on.
/// A destructor recorded with [`Arena::alloc_owned`] that panics during that
/// reset aborts the process (a panic while panicking).
pub fn with_thread_arena<R>(f: impl FnOnce(&Arena) -> R) -> R {
    /// Puts the arena back, reset, even if `f` unwinds.
    struct GiveBack(Option<Arena>);
    impl Drop for GiveBack {
        fn drop(&mut self) {
            let Some(mut arena) = self.0.take() else {
                return;
            };
            arena.reset();
            // During thread teardown the slot may be gone: then just drop it.
            let _ = SLOT.try_with(|slot| {
                let keep = match slot.take() {
                    Some(other) if other.allocated_bytes() > arena.allocated_bytes() => other,
                    _ => arena,
                };
                slot.set(Some(keep));
            });
        }
    }
    let arena = SLOT
        .try_with(Cell::take)
        .ok()
        .flatten()
        .unwrap_or_else(new_thread_arena);
    let guard = GiveBack(Some(arena));
    f(guard.0.as_ref().expect("set above"))
}

/// Sets how this thread builds its request arena (chunk size, retain budget,
/// limit) and drops the arena it has cached, so the next
/// [`with_thread_arena`] call uses the new settings.
///
/// ```
/// use goro_arena::{Arena, configure_thread_arena, with_thread_arena};
/// configure_thread_arena(Arena::builder().retain_bytes(Some(64 << 10)));
/// with_thread_arena(|arena| assert_eq!(arena.retain_limit(), Some(64 << 10)));
/// ```
pub fn configure_thread_arena(builder: ArenaBuilder) {
    CONFIG.with(|c| *c.borrow_mut() = Some(builder));
    drop(SLOT.with(Cell::take));
}
