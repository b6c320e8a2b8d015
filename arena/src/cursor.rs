//! [`Cursor`]: the arena's downward finger held in registers for a hot
//! allocation loop.
//!
//! # Why it exists
//!
//! [`Arena::alloc`] takes `&self`, so the finger `top` lives in a `Cell`
//! inside the arena and every allocation ends with a store to it: LLVM
//! cannot prove that the caller's own stores (the value just written, a
//! `Vec::push`, a `black_box`) leave the arena alone, so it cannot keep the
//! finger in a register across a loop. On a core that retires about one
//! store per cycle that store is a third of a loop like `black_box(a.alloc(i))`
//! (docs/arena.md, "Measured results"). A cursor copies the fingers into
//! its own fields, which are locals of the loop once inlined; the loop then
//! stores only what it allocates.
//!
//! # Invariants
//!
//! 1. **Exclusive borrow.** A `Cursor<'a>` comes from `&'a mut Arena`. For
//!    `'a` nothing else can allocate from the arena, grow or shrink one of
//!    its collections, reset it or drop it. So while the cursor lives the
//!    arena's own `top` may be stale: the cursor's `top` is the true finger,
//!    and the only code that reads the arena's fingers is the slow path
//!    ([`refill`]), which first writes the cursor's `top` back.
//! 2. **The arena's finger invariants hold for the copies.** `LOW_FLOOR <=
//!    low <= top`; `top` is a multiple of `MIN_ALIGN`; `[low, top)` is free
//!    memory of the arena's current chunk (or both sit at `LOW_FLOOR` and the
//!    range is empty), and `top` carries the provenance of that chunk. The
//!    fast path ([`Cursor::bump`]) is the arena's `bump_down` on the copies:
//!    it moves `top` down to an aligned address that is still `>= low`.
//!    `low` is kept as a bare address: no collection buffer can move it
//!    while the arena is exclusively borrowed (1), so it changes only when
//!    [`refill`] switches chunks, and it is never written back.
//! 3. **Write-back.** [`refill`] stores the cursor's `top` into the arena
//!    before it runs the arena's own slow path, so that path sees exactly
//!    the state `Arena::alloc` would have left, and it returns the block and
//!    the arena's fingers afterwards. `Drop` stores `top` back. A leaked
//!    cursor (`mem::forget`) leaves the arena at its last write-back: it may
//!    hand out the cursor's last blocks again, which is sound because every
//!    reference to them lived for `'a` only, and `'a` is over before anyone
//!    else can use the arena.
//! 4. **Blocks live for `'a`.** Every block is fresh memory handed out once:
//!    `[new, old top)` of the current chunk, or a block the arena's slow path
//!    returned. Chunks are freed only by `reset` and by dropping the arena,
//!    which need the arena back, after `'a`. So a `&'a mut T` to a block
//!    aliases nothing and stays valid for `'a`.
//! 5. **No address taken** (speed, not soundness). No path LLVM can see
//!    takes the address of the cursor's fields: the fast path is
//!    `#[inline(always)]` on `&mut self`, and the cold slow path gets the
//!    arena and `top` by value and returns a [`Refill`] by value, instead of
//!    taking `&mut self`. So the fields become registers across a loop.
//!
//! The cursor bumps only downward (objects, slices, strings). There is no
//! synchronisation: a cursor is as single-threaded as the `&Arena` it holds.

use core::alloc::Layout;
use core::fmt;
use core::ptr::{self, NonNull};

use crate::arena::{Arena, Dir, alloc_failed, assert_no_drop, bump_down_addr};
use crate::error::AllocError;

/// A register-resident allocation cursor over an [`Arena`], for hot loops.
///
/// Obtained from [`Arena::cursor`]. It copies the arena's fingers into its
/// own fields, allocates by bumping those (the same fast path as
/// [`Arena::alloc`], minus the store of the finger into the arena), and
/// writes the finger back when it is dropped. Requests the current chunk
/// cannot serve — a new chunk, a large object's dedicated chunk, the limit —
/// go through the arena's own slow path, so every allocation lands exactly
/// where `Arena::alloc` would have put it and fails the same way.
///
/// The cursor borrows the arena mutably for `'a`: while it, or any
/// reference it returned, is alive, nothing else allocates from or resets
/// the arena. References it returns live for `'a`, so they outlive the
/// cursor itself. Types with drop glue are refused at compile time, as by
/// [`Arena::alloc`].
///
/// ```
/// let mut arena = goro_arena::Arena::new();
/// let mut cursor = arena.cursor();
/// let mut nodes = Vec::new();
/// for i in 0..1000u64 {
///     nodes.push(cursor.alloc([i, i * 2]));
/// }
/// drop(cursor); // the finger goes back into the arena
/// assert_eq!(nodes[999], &[999, 1998]);
/// drop(nodes);
/// arena.reset();
/// ```
///
/// The arena is unusable while the cursor lives:
///
/// ```compile_fail,E0502
/// let mut arena = goro_arena::Arena::new();
/// let mut cursor = arena.cursor();
/// arena.alloc(1u8); // error: `arena` is mutably borrowed by the cursor
/// cursor.alloc(2u8);
/// ```
///
/// and cannot be reset while a returned reference lives:
///
/// ```compile_fail,E0499
/// let mut arena = goro_arena::Arena::new();
/// let x = arena.cursor().alloc(1u8);
/// arena.reset(); // error: `x` still borrows the arena
/// *x += 1;
/// ```
///
/// Types with drop glue are refused:
///
/// ```compile_fail,E0080
/// let mut arena = goro_arena::Arena::new();
/// arena.cursor().alloc(std::string::String::from("needs drop"));
/// ```
pub struct Cursor<'a> {
    /// The arena, exclusively borrowed for `'a` (invariant 1).
    arena: &'a Arena,
    /// The true downward finger while the cursor lives (invariants 1, 2).
    top: NonNull<u8>,
    /// Address of the arena's upward finger (invariant 2).
    low: usize,
}

/// What [`refill`] hands back by value: the block, and the fingers to go on
/// bumping from.
struct Refill {
    block: NonNull<u8>,
    top: NonNull<u8>,
    low: usize,
}

impl Arena {
    /// A [`Cursor`] for a hot allocation loop: allocations through it keep
    /// the finger in a register instead of storing it into the arena each
    /// time. The arena is mutably borrowed while the cursor and the
    /// references it returns live; dropping the cursor hands the finger
    /// back, and the arena continues exactly where the cursor stopped.
    ///
    /// ```
    /// let mut arena = goro_arena::Arena::new();
    /// let before = arena.alloc(0u64) as *mut u64;
    /// let mut cursor = arena.cursor();
    /// let a = cursor.alloc(1u64) as *mut u64;
    /// drop(cursor);
    /// let b = arena.alloc(2u64) as *mut u64;
    /// // One contiguous downward run: alloc, cursor, alloc.
    /// assert_eq!(a.addr(), before.addr() - 8);
    /// assert_eq!(b.addr(), a.addr() - 8);
    /// ```
    #[inline]
    pub fn cursor(&mut self) -> Cursor<'_> {
        Cursor {
            top: self.top.get(),
            low: self.low.get().as_ptr().addr(),
            arena: self,
        }
    }
}

impl<'a> Cursor<'a> {
    /// The fast path, [`Arena`]'s `bump_down` on the cursor's copies: bumps
    /// `top` down for a request of at most `LOW_FLOOR` bytes; `None` when the
    /// current chunk has no room or the request is larger.
    #[inline(always)]
    fn bump(&mut self, size: usize, align: usize) -> Option<NonNull<u8>> {
        let new = bump_down_addr(self.top.as_ptr().addr(), self.low, size, align)?;
        // SAFETY: `low <= new <= t` and `low >= LOW_FLOOR > 0` (invariant
        // 2), so `new` is non-null; `with_addr` keeps the chunk's provenance.
        let p = unsafe { NonNull::new_unchecked(self.top.as_ptr().with_addr(new)) };
        self.top = p;
        Some(p)
    }

    /// Allocates room for `layout` (bumped down, like
    /// [`Arena::try_alloc_layout`]). The memory is uninitialised and stays
    /// valid for `'a`. Never fails for a zero-sized layout.
    ///
    /// ```
    /// use std::alloc::Layout;
    /// use goro_arena::{AllocErrorKind, Arena};
    ///
    /// let mut arena = Arena::new();
    /// let mut cursor = arena.cursor();
    /// let p = cursor.try_alloc_layout(Layout::from_size_align(24, 16).unwrap()).unwrap();
    /// assert_eq!(p.as_ptr().addr() % 16, 0);
    /// let huge = Layout::from_size_align(isize::MAX as usize - 7, 8).unwrap();
    /// assert_eq!(
    ///     cursor.try_alloc_layout(huge).unwrap_err().kind(),
    ///     AllocErrorKind::CapacityOverflow
    /// );
    /// ```
    #[inline(always)]
    pub fn try_alloc_layout(&mut self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        match self.bump(layout.size(), layout.align()) {
            Some(p) => Ok(p),
            None => {
                // By value in, by value out (invariant 5).
                let r = refill(self.arena, self.top, layout)?;
                self.top = r.top;
                self.low = r.low;
                Ok(r.block)
            }
        }
    }

    /// Like [`try_alloc_layout`](Self::try_alloc_layout), panicking on failure.
    ///
    /// # Panics
    ///
    /// When the allocation limit is reached or the global allocator fails.
    ///
    /// ```
    /// let mut arena = goro_arena::Arena::new();
    /// let mut cursor = arena.cursor();
    /// let p = cursor.alloc_layout(std::alloc::Layout::new::<[u32; 3]>());
    /// assert_eq!(p.as_ptr().addr() % 8, 0);
    /// ```
    #[inline(always)]
    pub fn alloc_layout(&mut self, layout: Layout) -> NonNull<u8> {
        match self.try_alloc_layout(layout) {
            Ok(p) => p,
            Err(e) => alloc_failed(e),
        }
    }

    /// Moves `value` into the arena. `T` must not need `Drop` (checked at
    /// compile time), as for [`Arena::alloc`].
    ///
    /// # Panics
    ///
    /// When the allocation limit is reached or the global allocator fails;
    /// [`try_alloc`](Self::try_alloc) reports those instead.
    ///
    /// ```
    /// let mut arena = goro_arena::Arena::new();
    /// let mut cursor = arena.cursor();
    /// let x = cursor.alloc(41u64);
    /// let y = cursor.alloc(1u64);
    /// *x += *y;
    /// assert_eq!(*x, 42);
    /// ```
    #[inline(always)]
    pub fn alloc<T>(&mut self, value: T) -> &'a mut T {
        self.alloc_with(|| value)
    }

    /// Moves `value` into the arena, or reports why it could not.
    ///
    /// ```
    /// use goro_arena::{AllocErrorKind, Arena};
    ///
    /// let mut arena = Arena::builder().allocation_limit(Some(0)).build();
    /// let mut cursor = arena.cursor();
    /// let err = cursor.try_alloc(1u64).unwrap_err();
    /// assert_eq!(err.kind(), AllocErrorKind::LimitReached);
    /// ```
    #[inline(always)]
    pub fn try_alloc<T>(&mut self, value: T) -> Result<&'a mut T, AllocError> {
        self.try_alloc_with(|| value)
    }

    /// Writes the result of `f` straight into the arena.
    ///
    /// # Panics
    ///
    /// As [`alloc`](Self::alloc).
    ///
    /// ```
    /// let mut arena = goro_arena::Arena::new();
    /// let mut cursor = arena.cursor();
    /// let table = cursor.alloc_with(|| [7u8; 256]);
    /// assert_eq!(table[255], 7);
    /// ```
    #[inline(always)]
    pub fn alloc_with<T, F: FnOnce() -> T>(&mut self, f: F) -> &'a mut T {
        match self.try_alloc_with(f) {
            Ok(r) => r,
            Err(e) => alloc_failed(e),
        }
    }

    /// Fallible [`alloc_with`](Self::alloc_with); `f` is not called on failure.
    ///
    /// ```
    /// let mut arena = goro_arena::Arena::builder().allocation_limit(Some(0)).build();
    /// let mut cursor = arena.cursor();
    /// assert!(cursor.try_alloc_with(|| -> u32 { unreachable!() }).is_err());
    /// ```
    #[inline(always)]
    pub fn try_alloc_with<T, F: FnOnce() -> T>(&mut self, f: F) -> Result<&'a mut T, AllocError> {
        const { assert_no_drop::<T>() };
        let p = self.try_alloc_layout(Layout::new::<T>())?.cast::<T>();
        // SAFETY: `p` is a fresh block sized and aligned for `T` that nothing
        // else references, valid for `'a` (invariant 4).
        unsafe {
            p.as_ptr().write(f());
            Ok(&mut *p.as_ptr())
        }
    }

    /// Copies a slice into the arena.
    ///
    /// # Panics
    ///
    /// As [`alloc`](Self::alloc).
    ///
    /// ```
    /// let mut arena = goro_arena::Arena::new();
    /// let mut cursor = arena.cursor();
    /// let xs = cursor.alloc_slice_copy(&[1u16, 2, 3]);
    /// xs[0] = 9;
    /// assert_eq!(xs, &[9, 2, 3]);
    /// ```
    #[inline]
    pub fn alloc_slice_copy<T: Copy>(&mut self, src: &[T]) -> &'a mut [T] {
        match self.try_alloc_slice_copy(src) {
            Ok(r) => r,
            Err(e) => alloc_failed(e),
        }
    }

    /// Fallible [`alloc_slice_copy`](Self::alloc_slice_copy).
    ///
    /// ```
    /// let mut arena = goro_arena::Arena::builder().allocation_limit(Some(1024)).build();
    /// let mut cursor = arena.cursor();
    /// assert!(cursor.try_alloc_slice_copy(&[0u8; 100]).is_ok());
    /// assert!(cursor.try_alloc_slice_copy(&[0u8; 5000]).is_err());
    /// ```
    #[inline]
    pub fn try_alloc_slice_copy<T: Copy>(&mut self, src: &[T]) -> Result<&'a mut [T], AllocError> {
        let p = self.try_alloc_layout(Layout::for_value(src))?.cast::<T>();
        // SAFETY: a fresh block sized and aligned for `src.len()` `T`s, valid
        // for `'a` (invariant 4); it cannot overlap `src`, which was
        // allocated before it.
        unsafe {
            ptr::copy_nonoverlapping(src.as_ptr(), p.as_ptr(), src.len());
            Ok(core::slice::from_raw_parts_mut(p.as_ptr(), src.len()))
        }
    }

    /// Copies a string into the arena.
    ///
    /// # Panics
    ///
    /// As [`alloc`](Self::alloc).
    ///
    /// ```
    /// let mut arena = goro_arena::Arena::new();
    /// let mut cursor = arena.cursor();
    /// let s = cursor.alloc_str("content-type");
    /// s.make_ascii_uppercase();
    /// assert_eq!(s, "CONTENT-TYPE");
    /// ```
    #[inline]
    pub fn alloc_str(&mut self, s: &str) -> &'a mut str {
        match self.try_alloc_str(s) {
            Ok(r) => r,
            Err(e) => alloc_failed(e),
        }
    }

    /// Fallible [`alloc_str`](Self::alloc_str).
    ///
    /// ```
    /// let mut arena = goro_arena::Arena::new();
    /// let mut cursor = arena.cursor();
    /// assert_eq!(cursor.try_alloc_str("x").map(|s| s.len()), Ok(1));
    /// ```
    #[inline]
    pub fn try_alloc_str(&mut self, s: &str) -> Result<&'a mut str, AllocError> {
        let bytes = self.try_alloc_slice_copy(s.as_bytes())?;
        // SAFETY: a byte-for-byte copy of a `str`.
        Ok(unsafe { core::str::from_utf8_unchecked_mut(bytes) })
    }

    /// Free bytes left between the fingers of the current chunk, as
    /// [`Arena::chunk_capacity_left`] would report after the cursor is
    /// dropped.
    ///
    /// ```
    /// let mut arena = goro_arena::Arena::with_capacity(4096);
    /// let mut cursor = arena.cursor();
    /// let left = cursor.chunk_capacity_left();
    /// cursor.alloc(0u64);
    /// assert_eq!(cursor.chunk_capacity_left(), left - 8);
    /// ```
    #[inline]
    pub fn chunk_capacity_left(&self) -> usize {
        // Invariant 2: low <= top.
        self.top.as_ptr().addr() - self.low
    }
}

/// The cold slow path: runs the arena's own slow path on the cursor's
/// finger, and hands back the block and the fingers to continue from.
///
/// It takes the arena and `top` by value and returns by value, never the
/// cursor's address (invariant 5). On failure the arena's slow path has
/// changed nothing (it fails before it switches chunks), so the cursor keeps
/// its fingers, which now equal the arena's.
#[cold]
#[inline(never)]
fn refill(arena: &Arena, top: NonNull<u8>, layout: Layout) -> Result<Refill, AllocError> {
    // Invariant 3: the arena's slow path must see the true finger.
    arena.top.set(top);
    let block = arena.alloc_slow(layout, Dir::Down)?;
    Ok(Refill {
        block,
        top: arena.top.get(),
        low: arena.low.get().as_ptr().addr(),
    })
}

impl Drop for Cursor<'_> {
    /// Writes the finger back (invariant 3).
    #[inline]
    fn drop(&mut self) {
        self.arena.top.set(self.top);
    }
}

impl fmt::Debug for Cursor<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cursor")
            .field("chunk_capacity_left", &self.chunk_capacity_left())
            .finish()
    }
}
