//! [`Arena`]: chunked bump allocation with two fingers and kept chunks.
//!
//! # Layout of the current chunk
//!
//! ```text
//!  data start                                                        data end
//!  |                                                                        |
//!  v                                                                        v
//!  [ Vec/String buffers -->      ......free......      <-- objects, slices ]
//!                          ^                          ^
//!                         low                        top
//! ```
//!
//! 1. **Objects bump down** from `top`: `new = (top - size) & !(align - 1)`,
//!    checked against `low`. `top` is always a multiple of [`MIN_ALIGN`] (8),
//!    and sizes are rounded up to 8, so for `align <= 8` the mask disappears
//!    at compile time. Both fingers are at least [`LOW_FLOOR`] (4 KiB), so
//!    for a size up to 4 KiB — known at compile time for `alloc::<T>` —
//!    `top - size` cannot wrap and needs no check of its own: the fast path
//!    is load `top`, subtract, compare with `low`, branch, store (five
//!    instructions; bumpalo's has ten, with a load of the chunk footer
//!    pointer, the round-down and an overflow check). Larger sizes take the
//!    cold path, which first tries the current chunk with a wrap-safe check.
//! 2. **Collection buffers bump up** from `low` (`Vec`, `String`, the
//!    `Allocator` impl). A buffer whose end is `low` is the last upward
//!    allocation and grows *in place* by moving `low`, with no copy, even if
//!    objects were bumped down in between. Bumping down alone cannot do that:
//!    the space after the last object is already taken.
//! 3. When the chunk is full, the cold slow path moves to the next *spare*
//!    chunk if it fits, or asks the global allocator for a new one (sizes
//!    double from [`ArenaBuilder::chunk_size`] up to 4 MiB, never past the
//!    [allocation limit](Arena::set_allocation_limit)); a chunk of 4 MiB
//!    or more is mapped on huge pages instead (`huge_pages.rs`). The old
//!    chunk's leftover is abandoned until `reset`.
//! 4. A downward request larger than a quarter of the current chunk gets a
//!    **dedicated chunk** (a best-fit dedicated spare, or an exactly sized new
//!    block) and does not change the size of later chunks (bumpalo#152).
//!
//! # Chunk lists and reset
//!
//! Every chunk is on exactly one of three lists: `used` (handed out since
//! the last reset, newest first; it includes `current`), `spare` (empty
//! normal chunks) or `spare_big` (empty dedicated chunks). [`Arena::reset`]:
//!
//! 1. runs the drop list;
//! 2. if the chunks exceed the [retain budget](ArenaBuilder::retain_bytes)
//!    (default: none), keeps the largest ones that fit it together and frees
//!    the others;
//! 3. frees dedicated chunks that sat unused for the whole round, and keeps
//!    the ones used in it for the next round's large objects;
//! 4. if the round spilled over several normal chunks, **coalesces** them:
//!    frees them and allocates one chunk of their total size. The next round
//!    then bumps — and grows its vectors in place — in a single block;
//! 5. leaves no chunk current: the first allocation of the next round takes
//!    the slow path once and picks up the spare.
//!
//! A `loop { work(&arena); arena.reset() }` therefore stops calling the
//! global allocator after its first reset (bumpalo instead keeps only its
//! last chunk and frees the rest every time: bumpalo#26, #61, #305), and
//! because every slow-path decision then sees the same state, a repeated
//! workload lands at the very same addresses round after round.

use core::alloc::Layout;
use core::cell::Cell;
use core::fmt;
use core::mem::needs_drop;
use core::ptr::{self, NonNull};

use crate::chunk::{self, CHUNK_ALIGN, ChunkHeader, HEADER_SIZE};
use crate::drop_list::{DropEntry, DropList};

mod builder;
mod chunks;
use crate::error::{AllocError, AllocErrorKind};
pub use builder::ArenaBuilder;

/// Every downward allocation is rounded to a multiple of this, so `top` stays
/// aligned to it and `align <= MIN_ALIGN` needs no masking.
pub(crate) const MIN_ALIGN: usize = 8;

/// Size of the first chunk, header included.
const DEFAULT_CHUNK_SIZE: usize = 4096;

/// Smallest chunk the builder accepts.
const MIN_CHUNK_SIZE: usize = 128;

/// Normal chunks stop doubling at this size.
const MAX_CHUNK_SIZE: usize = 4 << 20;

/// Neither finger is ever below this address (invariant 1 of the module
/// header): a chunk whose data would start lower is refused
/// ([`chunk::alloc_chunk`]; no mainstream platform maps the first page), and
/// an arena without a chunk points both fingers here. So for `size <=
/// LOW_FLOOR`, `top - size` cannot wrap.
pub(crate) const LOW_FLOOR: usize = 4096;

/// Address of both fingers of an arena without a chunk: [`LOW_FLOOR`],
/// non-null and aligned to [`MIN_ALIGN`], so that zero-sized requests
/// succeed on the fast path. It carries no provenance and is never
/// dereferenced for a non-zero size (the capacity between the fingers is
/// zero).
fn empty_finger() -> NonNull<u8> {
    // SAFETY: LOW_FLOOR is not zero.
    unsafe { NonNull::new_unchecked(ptr::without_provenance_mut(LOW_FLOOR)) }
}

#[inline(always)]
const fn round_up(n: usize, to: usize) -> usize {
    (n + to - 1) & !(to - 1)
}

/// The fast path's arithmetic, shared by [`Arena`] and
/// [`Cursor`](crate::Cursor): the address `size` bytes (aligned to `align`)
/// below the finger `t`, if it stays at or above `l` and the request is at
/// most [`LOW_FLOOR`] bytes; given `LOW_FLOOR <= l <= t` with `t` a
/// multiple of [`MIN_ALIGN`] (invariant 1), the result is in `[l, t]` and
/// a multiple of `MIN_ALIGN` and of `align`.
#[inline(always)]
pub(crate) fn bump_down_addr(t: usize, l: usize, size: usize, align: usize) -> Option<usize> {
    // `size <= isize::MAX` (a Layout), so rounding up cannot overflow;
    // `t` and the rounded size are multiples of MIN_ALIGN, so `new` is.
    let size = if align <= MIN_ALIGN {
        round_up(size, MIN_ALIGN)
    } else {
        size
    };
    // Folds away when `size` is a constant (every `alloc::<T>`).
    if size > LOW_FLOOR {
        return None;
    }
    // `size <= LOW_FLOOR <= l <= t`: no wrap.
    let mut new = t - size;
    if align > MIN_ALIGN {
        new &= !(align - 1);
    }
    (new >= l).then_some(new)
}

/// Which finger a slow-path request bumps.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    /// Objects: from `top` toward `low`.
    Down,
    /// Collection buffers: from `low` toward `top`.
    Up,
}

/// A bump arena: allocation is a pointer decrement, freeing is [`reset`](Arena::reset).
///
/// `Arena` is `Send` but not `Sync`: one thread allocates from it at a time,
/// with no atomics on any path. Give each thread (or each request) its own,
/// e.g. with [`with_thread_arena`](crate::with_thread_arena).
///
/// ```compile_fail
/// fn shared<T: Sync>(_: &T) {}
/// shared(&goro_arena::Arena::new()); // not Sync: the fingers are plain Cells
/// ```
///
/// # Drop policy
///
/// The arena never runs a destructor you did not ask for:
///
/// * [`alloc`](Arena::alloc) and the other `alloc_*` methods **refuse, at
///   compile time, any type with drop glue** (`core::mem::needs_drop`): the
///   build fails with "Arena::alloc refuses types that need Drop". Nothing is
///   recorded, nothing can leak by surprise (bumpalo#147).
/// * [`alloc_owned`](Arena::alloc_owned) accepts them, for `T: Send +
///   'static`, and records the destructor in a **drop list** that runs, newest
///   first, on [`reset`](Arena::reset) and when the arena is dropped. The
///   `'static` bound is what makes this sound: a value that could borrow from
///   the arena could observe a neighbour already dropped.
/// * [`Vec`](crate::Vec) and [`String`](crate::String) drop their elements
///   when they go out of scope, like std's.
///
/// ```compile_fail
/// let arena = goro_arena::Arena::new();
/// arena.alloc(std::string::String::from("needs drop")); // refused
/// ```
///
/// ```
/// let mut arena = goro_arena::Arena::new();
/// let s = arena.alloc_owned(String::from("dropped on reset"));
/// s.push('!');
/// arena.reset(); // the String's destructor runs here
/// ```
pub struct Arena {
    /// Downward finger: objects end here; always a multiple of `MIN_ALIGN`.
    /// A [`Cursor`](crate::Cursor) holds a copy while it lives and writes it
    /// back (see `cursor.rs`).
    pub(crate) top: Cell<NonNull<u8>>,
    /// Upward finger: collection buffers start here; `low <= top`.
    pub(crate) low: Cell<NonNull<u8>>,
    /// The chunk the fingers point into (also on `used`).
    current: Cell<Option<NonNull<ChunkHeader>>>,
    /// Chunks handed out since the last reset.
    used: Cell<Option<NonNull<ChunkHeader>>>,
    /// Empty normal chunks kept for reuse, in their order of first use.
    spare: Cell<Option<NonNull<ChunkHeader>>>,
    /// Empty dedicated chunks kept for large objects.
    spare_big: Cell<Option<NonNull<ChunkHeader>>>,
    drops: DropList,
    /// Bytes of all chunks (used and spare), headers included.
    allocated: Cell<usize>,
    /// Number of chunks owned.
    chunks: Cell<usize>,
    /// Size of the next normal chunk, header included.
    next_size: Cell<usize>,
    /// Cap on `allocated`; `usize::MAX` for none.
    limit: usize,
    /// Cap on the bytes kept across `reset`; `usize::MAX` keeps all.
    retain: usize,
    /// Map chunks of `HUGE_CHUNK_MIN` bytes or more on huge pages.
    huge_pages: bool,
}

// SAFETY: the arena owns its chunks outright; the only values it ever touches
// again are those on the drop list, which `alloc_owned` restricts to `Send`.
// References it handed out borrow `&self`, so the arena cannot move to another
// thread while they live. It is not `Sync` (the `Cell`s say so).
unsafe impl Send for Arena {}

impl Default for Arena {
    fn default() -> Self {
        Arena::new()
    }
}

/// Chunk size (header included, rounded) that can hold `needed` bytes.
fn chunk_bytes_for(needed: usize) -> Result<usize, AllocError> {
    needed
        .checked_add(HEADER_SIZE + CHUNK_ALIGN - 1)
        .filter(|&n| n <= isize::MAX as usize)
        .map(|n| n & !(CHUNK_ALIGN - 1))
        .ok_or(AllocError::new(AllocErrorKind::CapacityOverflow))
}

impl Arena {
    /// An empty arena; the first allocation allocates its first chunk.
    pub fn new() -> Arena {
        Arena::builder().build()
    }

    /// An arena whose first chunk holds at least `bytes`.
    ///
    /// # Panics
    ///
    /// If the global allocator cannot provide the chunk.
    pub fn with_capacity(bytes: usize) -> Arena {
        Arena::builder().capacity(bytes).build()
    }

    /// A builder for the arena's knobs: chunk size, capacity, allocation
    /// limit, retained-memory cap.
    pub fn builder() -> ArenaBuilder {
        ArenaBuilder::new()
    }

    // ----- the fast paths ------------------------------------------------

    /// The fast path: bumps `top` down for a request of at most
    /// [`LOW_FLOOR`] bytes; `None` when the current chunk has no room *or*
    /// the request is larger (the slow path then tries
    /// [`bump_down_any`](Self::bump_down_any)).
    #[inline(always)]
    fn bump_down(&self, size: usize, align: usize) -> Option<NonNull<u8>> {
        let top = self.top.get();
        let new = bump_down_addr(
            top.as_ptr().addr(),
            self.low.get().as_ptr().addr(),
            size,
            align,
        )?;
        // SAFETY: `l <= new <= t`, and `l >= LOW_FLOOR > 0` (invariant 1).
        let p = unsafe { NonNull::new_unchecked(top.as_ptr().with_addr(new)) };
        self.top.set(p);
        Some(p)
    }

    /// Bumps `top` down for a request of any size; `None` when the current
    /// chunk has no room. The slow path's first try, and its bump into a
    /// fresh chunk.
    #[inline]
    fn bump_down_any(&self, size: usize, align: usize) -> Option<NonNull<u8>> {
        let top = self.top.get();
        let t = top.as_ptr().addr();
        let l = self.low.get().as_ptr().addr();
        // Invariant: l <= t, so this cannot wrap.
        let room = t - l;
        let new = if align <= MIN_ALIGN {
            // `size <= isize::MAX` (a Layout), so this cannot overflow.
            let size = round_up(size, MIN_ALIGN);
            if size > room {
                return None;
            }
            t - size
        } else {
            if size > room {
                return None;
            }
            let new = (t - size) & !(align - 1);
            if new < l {
                return None;
            }
            new
        };
        // SAFETY: `l <= new <= t` and `l > 0` (a chunk address or EMPTY_ADDR).
        let p = unsafe { NonNull::new_unchecked(top.as_ptr().with_addr(new)) };
        self.top.set(p);
        Some(p)
    }

    /// Bumps `low` up; `None` when the current chunk has no room.
    #[inline(always)]
    fn bump_up(&self, size: usize, align: usize) -> Option<NonNull<u8>> {
        let low = self.low.get();
        let l = low.as_ptr().addr();
        let t = self.top.get().as_ptr().addr();
        let p = l.checked_add(align - 1)? & !(align - 1);
        if size > t.checked_sub(p)? {
            return None;
        }
        let end = p + size;
        self.low.set(
            // SAFETY: `end >= p >= l > 0`.
            unsafe { NonNull::new_unchecked(low.as_ptr().with_addr(end)) },
        );
        // SAFETY: `p >= l > 0`.
        Some(unsafe { NonNull::new_unchecked(low.as_ptr().with_addr(p)) })
    }

    /// Allocates room for `layout` (an object: bumped down).
    ///
    /// The memory is uninitialised; it stays valid until [`reset`](Self::reset)
    /// or drop. Never fails for a zero-sized layout.
    #[inline(always)]
    pub fn try_alloc_layout(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        match self.bump_down(layout.size(), layout.align()) {
            Some(p) => Ok(p),
            None => self.alloc_slow(layout, Dir::Down),
        }
    }

    /// Like [`try_alloc_layout`](Self::try_alloc_layout), panicking on failure.
    ///
    /// # Panics
    ///
    /// When the allocation limit is reached or the global allocator fails.
    #[inline(always)]
    pub fn alloc_layout(&self, layout: Layout) -> NonNull<u8> {
        match self.try_alloc_layout(layout) {
            Ok(p) => p,
            Err(e) => alloc_failed(e),
        }
    }

    /// Allocates a collection buffer (bumped up, growable in place).
    #[inline(always)]
    pub(crate) fn try_alloc_up(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        match self.bump_up(layout.size(), layout.align()) {
            Some(p) => Ok(p),
            None => self.alloc_slow(layout, Dir::Up),
        }
    }

    /// Grows the last upward allocation `[ptr, ptr + old)` to `new` bytes in
    /// place. Returns `false` (and changes nothing) if `ptr` is not the last
    /// upward allocation or the chunk has no room.
    #[inline]
    pub(crate) fn grow_up_in_place(&self, ptr: NonNull<u8>, old: usize, new: usize) -> bool {
        let low = self.low.get();
        let start = ptr.as_ptr().addr();
        // A zero-sized block may sit anywhere; only a real block can be "last".
        if old == 0 || start.wrapping_add(old) != low.as_ptr().addr() {
            return false;
        }
        let Some(end) = start.checked_add(new) else {
            return false;
        };
        if end > self.top.get().as_ptr().addr() {
            return false;
        }
        // SAFETY: `end > start > 0`.
        self.low
            .set(unsafe { NonNull::new_unchecked(low.as_ptr().with_addr(end)) });
        true
    }

    /// Shrinks (or, with `new == 0`, frees) the last upward allocation; any
    /// other block is left alone until reset.
    #[inline]
    pub(crate) fn shrink_up_in_place(&self, ptr: NonNull<u8>, old: usize, new: usize) {
        let low = self.low.get();
        let start = ptr.as_ptr().addr();
        if old != 0 && new <= old && start.wrapping_add(old) == low.as_ptr().addr() {
            // SAFETY: `start + new >= start > 0`.
            self.low
                .set(unsafe { NonNull::new_unchecked(low.as_ptr().with_addr(start + new)) });
        }
    }

    // ----- typed allocation ----------------------------------------------

    /// Moves `value` into the arena.
    ///
    /// `T` must not need `Drop` (checked at compile time); use
    /// [`alloc_owned`](Self::alloc_owned) for types that do.
    ///
    /// # Panics
    ///
    /// When the allocation limit is reached or the global allocator fails;
    /// [`try_alloc`](Self::try_alloc) reports those instead.
    ///
    /// ```
    /// let arena = goro_arena::Arena::new();
    /// let x = arena.alloc(41u64);
    /// *x += 1;
    /// assert_eq!(*x, 42);
    /// ```
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    pub fn alloc<T>(&self, value: T) -> &mut T {
        self.alloc_with(|| value)
    }

    /// Moves `value` into the arena, or reports why it could not.
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    pub fn try_alloc<T>(&self, value: T) -> Result<&mut T, AllocError> {
        self.try_alloc_with(|| value)
    }

    /// Writes the result of `f` straight into the arena (lets the compiler
    /// build large values in place instead of copying them).
    ///
    /// # Panics
    ///
    /// As [`alloc`](Self::alloc).
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    pub fn alloc_with<T, F: FnOnce() -> T>(&self, f: F) -> &mut T {
        match self.try_alloc_with(f) {
            Ok(r) => r,
            Err(e) => alloc_failed(e),
        }
    }

    /// Fallible [`alloc_with`](Self::alloc_with); `f` is not called on failure.
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    pub fn try_alloc_with<T, F: FnOnce() -> T>(&self, f: F) -> Result<&mut T, AllocError> {
        const { assert_no_drop::<T>() };
        let p = self.try_alloc_layout(Layout::new::<T>())?.cast::<T>();
        // SAFETY: `p` is a fresh block sized and aligned for `T` that nothing
        // else references; it lives as long as `&self` (reset needs `&mut`).
        unsafe {
            p.as_ptr().write(f());
            Ok(&mut *p.as_ptr())
        }
    }

    /// Moves a value that needs `Drop` into the arena and records its
    /// destructor; it runs on [`reset`](Self::reset) or when the arena is
    /// dropped, newest first. For a type without drop glue this is
    /// [`alloc`](Self::alloc).
    ///
    /// # Panics
    ///
    /// As [`alloc`](Self::alloc).
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn alloc_owned<T: Send + 'static>(&self, value: T) -> &mut T {
        match self.try_alloc_owned(value) {
            Ok(r) => r,
            Err(e) => alloc_failed(e),
        }
    }

    /// Fallible [`alloc_owned`](Self::alloc_owned); on failure `value` is dropped.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn try_alloc_owned<T: Send + 'static>(&self, value: T) -> Result<&mut T, AllocError> {
        /// Value and entry share one bump.
        #[repr(C)]
        struct Owned<T> {
            entry: DropEntry,
            value: T,
        }
        let p = self
            .try_alloc_layout(Layout::new::<Owned<T>>())?
            .cast::<Owned<T>>();
        // SAFETY: `p` is a fresh block for an `Owned<T>`; we write both fields
        // before linking the entry, and the value stays untouched by the arena
        // until the list runs, when no borrow of it is left (reset/drop take
        // `&mut self`).
        unsafe {
            let value_ptr = NonNull::new_unchecked(&raw mut (*p.as_ptr()).value);
            value_ptr.as_ptr().write(value);
            if needs_drop::<T>() {
                let entry = NonNull::new_unchecked(&raw mut (*p.as_ptr()).entry);
                entry.as_ptr().write(DropEntry::new(value_ptr));
                self.drops.push(entry);
            }
            Ok(&mut *value_ptr.as_ptr())
        }
    }

    /// Copies a slice into the arena.
    ///
    /// # Panics
    ///
    /// As [`alloc`](Self::alloc).
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn alloc_slice_copy<T: Copy>(&self, src: &[T]) -> &mut [T] {
        match self.try_alloc_slice_copy(src) {
            Ok(r) => r,
            Err(e) => alloc_failed(e),
        }
    }

    /// Fallible [`alloc_slice_copy`](Self::alloc_slice_copy).
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn try_alloc_slice_copy<T: Copy>(&self, src: &[T]) -> Result<&mut [T], AllocError> {
        let p = self.try_alloc_layout(Layout::for_value(src))?.cast::<T>();
        // SAFETY: a fresh block sized and aligned for `src.len()` `T`s, which
        // cannot overlap `src` (it was free until now).
        unsafe {
            ptr::copy_nonoverlapping(src.as_ptr(), p.as_ptr(), src.len());
            Ok(core::slice::from_raw_parts_mut(p.as_ptr(), src.len()))
        }
    }

    /// Clones a slice into the arena. `T` must not need `Drop` (compile-time
    /// check).
    ///
    /// # Panics
    ///
    /// As [`alloc`](Self::alloc), or if a `clone` panics.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn alloc_slice_clone<T: Clone>(&self, src: &[T]) -> &mut [T] {
        let mut items = src.iter();
        self.alloc_slice_fill_with(src.len(), |_| {
            items.next().expect("slice length is fixed").clone()
        })
    }

    /// Allocates `len` elements and writes `f(i)` into element `i`. `T` must
    /// not need `Drop` (compile-time check). The elements are written through
    /// a local cursor, not the arena's finger, so this runs at memory speed.
    ///
    /// # Panics
    ///
    /// As [`alloc`](Self::alloc), or if `f` panics (elements written so far
    /// stay in the arena; they have no destructor to run).
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn alloc_slice_fill_with<T, F: FnMut(usize) -> T>(&self, len: usize, mut f: F) -> &mut [T] {
        const { assert_no_drop::<T>() };
        let layout = Layout::array::<T>(len)
            .unwrap_or_else(|_| alloc_failed(AllocError::new(AllocErrorKind::CapacityOverflow)));
        let p = self.alloc_layout(layout).cast::<T>();
        for i in 0..len {
            // SAFETY: `i < len`, inside the fresh block.
            unsafe { p.as_ptr().add(i).write(f(i)) };
        }
        // SAFETY: all `len` elements are initialised.
        unsafe { core::slice::from_raw_parts_mut(p.as_ptr(), len) }
    }

    /// Allocates a slice filled from an exact-size iterator. `T` must not
    /// need `Drop` (compile-time check). If the iterator yields fewer items
    /// than it promised, the slice is that much shorter; extra items are not
    /// pulled.
    ///
    /// # Panics
    ///
    /// As [`alloc`](Self::alloc), or if the iterator panics.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn alloc_slice_fill_iter<T, I>(&self, iter: I) -> &mut [T]
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
    {
        const { assert_no_drop::<T>() };
        let iter = iter.into_iter();
        let len = iter.len();
        let layout = Layout::array::<T>(len)
            .unwrap_or_else(|_| alloc_failed(AllocError::new(AllocErrorKind::CapacityOverflow)));
        let p = self.alloc_layout(layout).cast::<T>();
        let mut n = 0;
        for value in iter.take(len) {
            // SAFETY: `n < len`, inside the fresh block.
            unsafe { p.as_ptr().add(n).write(value) };
            n += 1;
        }
        // SAFETY: the first `n` elements are initialised.
        unsafe { core::slice::from_raw_parts_mut(p.as_ptr(), n) }
    }

    /// Copies a string into the arena.
    ///
    /// # Panics
    ///
    /// As [`alloc`](Self::alloc).
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn alloc_str(&self, s: &str) -> &mut str {
        match self.try_alloc_str(s) {
            Ok(r) => r,
            Err(e) => alloc_failed(e),
        }
    }

    /// Fallible [`alloc_str`](Self::alloc_str).
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn try_alloc_str(&self, s: &str) -> Result<&mut str, AllocError> {
        let bytes = self.try_alloc_slice_copy(s.as_bytes())?;
        // SAFETY: a byte-for-byte copy of a `str`.
        Ok(unsafe { core::str::from_utf8_unchecked_mut(bytes) })
    }

    // ----- stats and knobs -----------------------------------------------

    /// Total bytes of the chunks this arena holds (in use and kept), headers
    /// included: what it took from the global allocator.
    pub fn allocated_bytes(&self) -> usize {
        self.allocated.get()
    }

    /// Number of chunks held (in use and kept).
    pub fn chunk_count(&self) -> usize {
        self.chunks.get()
    }

    /// Free bytes left between the two fingers of the current chunk.
    pub fn chunk_capacity_left(&self) -> usize {
        self.top.get().as_ptr().addr() - self.low.get().as_ptr().addr()
    }

    /// Number of destructors recorded by [`alloc_owned`](Self::alloc_owned)
    /// and not yet run.
    pub fn pending_drops(&self) -> usize {
        self.drops.len()
    }

    /// The allocation limit in bytes, if any.
    pub fn allocation_limit(&self) -> Option<usize> {
        (self.limit != usize::MAX).then_some(self.limit)
    }

    /// Caps [`allocated_bytes`](Self::allocated_bytes): a request that would
    /// need a chunk past the limit fails (`try_*` return
    /// [`AllocErrorKind::LimitReached`]) instead of growing. Chunks already
    /// held are not freed.
    pub fn set_allocation_limit(&mut self, bytes: Option<usize>) {
        self.limit = bytes.unwrap_or(usize::MAX);
    }

    /// The retain budget in bytes, if any (see [`ArenaBuilder::retain_bytes`]).
    pub fn retain_limit(&self) -> Option<usize> {
        (self.retain != usize::MAX).then_some(self.retain)
    }

    /// Changes the retain budget; it applies at the next [`reset`](Self::reset).
    pub fn set_retain_limit(&mut self, bytes: Option<usize>) {
        self.retain = bytes.unwrap_or(usize::MAX);
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no reference into the arena is alive.
        unsafe { self.drops.run() };
        for list in [self.used.take(), self.spare.take(), self.spare_big.take()] {
            let mut cur = list;
            while let Some(c) = cur {
                // SAFETY: live chunk, unlinked as we go; nothing points into it.
                unsafe {
                    cur = chunk::next(c);
                    chunk::free_chunk(c);
                }
            }
        }
    }
}

impl fmt::Debug for Arena {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Arena")
            .field("allocated_bytes", &self.allocated_bytes())
            .field("chunk_count", &self.chunk_count())
            .field("chunk_capacity_left", &self.chunk_capacity_left())
            .field("pending_drops", &self.pending_drops())
            .field("allocation_limit", &self.allocation_limit())
            .field("retain_limit", &self.retain_limit())
            .finish()
    }
}

/// The compile-time half of the drop policy.
pub(crate) const fn assert_no_drop<T>() {
    assert!(
        !needs_drop::<T>(),
        "Arena::alloc refuses types that need Drop: use Arena::alloc_owned, which records the destructor"
    );
}

/// Panics with the error's message (the infallible methods).
#[cold]
#[inline(never)]
#[track_caller]
pub(crate) fn alloc_failed(e: AllocError) -> ! {
    panic!("{e}")
}
