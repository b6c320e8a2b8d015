//! [`Vec`]: a growable array whose buffer lives in an [`Arena`].
//!
//! Buffers are bumped *up* from the arena's low finger (see the `arena`
//! module header), so while a `Vec`'s buffer is the arena's last upward
//! allocation, growing it only moves that finger: no copy, even if objects
//! were allocated in between. Otherwise growth allocates a new buffer and
//! copies, leaving the old one to the next reset. Dropping a `Vec` drops its
//! elements and, if its buffer is still the last one, gives the bytes back.

use core::alloc::Layout;
use core::fmt;
use core::marker::PhantomData;
use core::mem::{self, ManuallyDrop};
use core::ops::{Deref, DerefMut};
use core::ptr::{self, NonNull};
use core::slice;

use crate::arena::{Arena, alloc_failed};
use crate::error::{AllocError, AllocErrorKind};

/// A contiguous growable array in an arena; `std::vec::Vec`'s API for the
/// common operations.
///
/// ```
/// let arena = goro_arena::Arena::new();
/// let mut v = goro_arena::Vec::new_in(&arena);
/// for i in 0..100u64 {
///     v.push(i);
/// }
/// assert_eq!(v.iter().sum::<u64>(), 4950);
/// let frozen: &mut [u64] = v.into_bump_slice(); // lives as long as the arena borrow
/// assert_eq!(frozen.len(), 100);
/// ```
pub struct Vec<'a, T> {
    ptr: NonNull<T>,
    cap: usize,
    len: usize,
    arena: &'a Arena,
    _owns: PhantomData<T>,
}

impl<'a, T> Vec<'a, T> {
    const IS_ZST: bool = size_of::<T>() == 0;

    /// An empty vector; allocates nothing until the first push.
    #[inline]
    pub fn new_in(arena: &'a Arena) -> Self {
        Vec {
            ptr: NonNull::dangling(),
            cap: if Self::IS_ZST { usize::MAX } else { 0 },
            len: 0,
            arena,
            _owns: PhantomData,
        }
    }

    /// An empty vector with room for `capacity` elements.
    ///
    /// # Panics
    ///
    /// If the arena cannot allocate the buffer.
    pub fn with_capacity_in(capacity: usize, arena: &'a Arena) -> Self {
        let mut v = Vec::new_in(arena);
        v.reserve(capacity);
        v
    }

    /// Collects an iterator into a new vector.
    pub fn from_iter_in<I: IntoIterator<Item = T>>(iter: I, arena: &'a Arena) -> Self {
        let mut v = Vec::new_in(arena);
        v.extend(iter);
        v
    }

    /// Number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the vector has no elements.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Elements the buffer holds without growing.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// The arena the buffer lives in.
    #[inline]
    pub fn arena(&self) -> &'a Arena {
        self.arena
    }

    /// The elements as a slice.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        // SAFETY: `len` initialised elements at `ptr` (dangling and aligned
        // when `cap == 0` or `T` is zero-sized).
        unsafe { slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// The elements as a mutable slice.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as `as_slice`, and `&mut self` makes the access unique.
        unsafe { slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// Appends an element.
    ///
    /// # Panics
    ///
    /// If the buffer must grow and the arena cannot allocate.
    #[inline(always)]
    pub fn push(&mut self, value: T) {
        if self.len == self.cap {
            // By value, not `&mut self`: the vector's address does not
            // escape, so a push loop keeps `ptr`/`len`/`cap` in registers
            // instead of storing `len` to memory on every push.
            (self.ptr, self.cap) = Self::grown_by_one(self.arena, self.ptr, self.cap, self.len);
        }
        // SAFETY: `len < cap`: the slot is inside the buffer and unused.
        unsafe { self.ptr.as_ptr().add(self.len).write(value) };
        self.len += 1;
    }

    /// Removes and returns the last element.
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        // SAFETY: the slot was initialised and is now outside `len`.
        Some(unsafe { self.ptr.as_ptr().add(self.len).read() })
    }

    /// Inserts `value` at `index`, shifting the tail right.
    ///
    /// # Panics
    ///
    /// If `index > len`, or growth fails.
    pub fn insert(&mut self, index: usize, value: T) {
        assert!(
            index <= self.len,
            "insertion index {index} > len {}",
            self.len
        );
        if self.len == self.cap {
            self.grow_one();
        }
        // SAFETY: `len < cap`; shifting `[index, len)` one slot right stays
        // in the buffer, then the hole is filled.
        unsafe {
            let p = self.ptr.as_ptr().add(index);
            ptr::copy(p, p.add(1), self.len - index);
            p.write(value);
        }
        self.len += 1;
    }

    /// Removes the element at `index`, shifting the tail left.
    ///
    /// # Panics
    ///
    /// If `index >= len`.
    pub fn remove(&mut self, index: usize) -> T {
        assert!(
            index < self.len,
            "removal index {index} >= len {}",
            self.len
        );
        // SAFETY: `index < len`: read the element, then close the gap.
        unsafe {
            let p = self.ptr.as_ptr().add(index);
            let value = p.read();
            ptr::copy(p.add(1), p, self.len - index - 1);
            self.len -= 1;
            value
        }
    }

    /// Removes the element at `index`, replacing it with the last one.
    ///
    /// # Panics
    ///
    /// If `index >= len`.
    pub fn swap_remove(&mut self, index: usize) -> T {
        assert!(
            index < self.len,
            "swap_remove index {index} >= len {}",
            self.len
        );
        let last = self.len - 1;
        self.as_mut_slice().swap(index, last);
        self.pop().expect("len > 0")
    }

    /// Drops the elements past `len`.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let tail = self.len - len;
        // Shorten first: a panicking destructor must not cause a double drop.
        self.len = len;
        // SAFETY: `[len, len + tail)` were initialised and are now outside `len`.
        unsafe {
            ptr::drop_in_place(ptr::slice_from_raw_parts_mut(
                self.ptr.as_ptr().add(len),
                tail,
            ))
        };
    }

    /// Drops every element, keeping the buffer.
    #[inline]
    pub fn clear(&mut self) {
        self.truncate(0);
    }

    /// Makes room for at least `additional` more elements.
    ///
    /// # Panics
    ///
    /// If the arena cannot allocate.
    #[inline]
    pub fn reserve(&mut self, additional: usize) {
        if self.cap - self.len < additional {
            if let Err(e) = self.grow_to(self.len.saturating_add(additional), false) {
                alloc_failed(e)
            }
        }
    }

    /// Fallible [`reserve`](Self::reserve).
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), AllocError> {
        if self.cap - self.len < additional {
            let want = self
                .len
                .checked_add(additional)
                .ok_or(AllocError::new(AllocErrorKind::CapacityOverflow))?;
            self.grow_to(want, false)?;
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn grow_one(&mut self) {
        (self.ptr, self.cap) = Self::grown_by_one(self.arena, self.ptr, self.cap, self.len);
    }

    /// The buffer `(ptr, cap)` holding `len` elements, grown for one more:
    /// returns the new buffer and capacity. Panics, leaving the caller's
    /// vector as it was, if the arena cannot allocate.
    #[cold]
    #[inline(never)]
    fn grown_by_one(
        arena: &'a Arena,
        ptr: NonNull<T>,
        cap: usize,
        len: usize,
    ) -> (NonNull<T>, usize) {
        // A stand-in that must not drop: the caller's vector still owns the
        // elements (and, on success, takes the new buffer back).
        let mut v = ManuallyDrop::new(Vec {
            ptr,
            cap,
            len,
            arena,
            _owns: PhantomData,
        });
        if let Err(e) = v.grow_to(len + 1, true) {
            alloc_failed(e)
        }
        (v.ptr, v.cap)
    }

    /// Grows the buffer to hold at least `want` elements (`amortised`:
    /// at least double).
    fn grow_to(&mut self, want: usize, amortised: bool) -> Result<(), AllocError> {
        let overflow = AllocError::new(AllocErrorKind::CapacityOverflow);
        if Self::IS_ZST {
            // `cap` is already usize::MAX; only an overflowing `want` gets here.
            return Err(overflow);
        }
        let min_cap = if size_of::<T>() <= 256 { 8 } else { 1 };
        let new_cap = if amortised {
            want.max(self.cap.saturating_mul(2)).max(min_cap)
        } else {
            want
        };
        let new_layout = Layout::array::<T>(new_cap).map_err(|_| overflow)?;
        let old_bytes = self.cap * size_of::<T>();
        if self.cap > 0
            && self
                .arena
                .grow_up_in_place(self.ptr.cast(), old_bytes, new_layout.size())
        {
            self.cap = new_cap;
            return Ok(());
        }
        let new = self.arena.try_alloc_up(new_layout)?.cast::<T>();
        // SAFETY: the new block is fresh (no overlap) and holds `new_cap >=
        // len` elements; the old one holds `len` initialised ones, which move.
        unsafe { ptr::copy_nonoverlapping(self.ptr.as_ptr(), new.as_ptr(), self.len) };
        self.ptr = new;
        self.cap = new_cap;
        Ok(())
    }

    /// Freezes the vector into a slice that lives as long as the arena
    /// borrow. The elements' destructors will never run.
    pub fn into_bump_slice(self) -> &'a mut [T] {
        let this = ManuallyDrop::new(self);
        // SAFETY: `len` initialised elements in arena memory valid for `'a`;
        // the Vec is forgotten, so nothing else will touch them.
        unsafe { slice::from_raw_parts_mut(this.ptr.as_ptr(), this.len) }
    }
}

impl<T: Clone> Vec<'_, T> {
    /// Appends clones of every element of `other`.
    pub fn extend_from_slice(&mut self, other: &[T]) {
        self.reserve(other.len());
        for item in other {
            // Room was reserved: this never grows.
            let len = self.len;
            // SAFETY: `len < cap` after the reserve.
            unsafe { self.ptr.as_ptr().add(len).write(item.clone()) };
            self.len = len + 1;
        }
    }
}

impl<T> Drop for Vec<'_, T> {
    fn drop(&mut self) {
        if mem::needs_drop::<T>() {
            // SAFETY: the `len` elements are initialised and dropped once.
            unsafe { ptr::drop_in_place(self.as_mut_slice()) };
        }
        if !Self::IS_ZST && self.cap > 0 {
            self.arena
                .shrink_up_in_place(self.ptr.cast(), self.cap * size_of::<T>(), 0);
        }
    }
}

impl<T> Deref for Vec<'_, T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T> DerefMut for Vec<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

impl<T> Extend<T> for Vec<'_, T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        let iter = iter.into_iter();
        self.reserve(iter.size_hint().0);
        for item in iter {
            self.push(item);
        }
    }
}

impl<'b, T: Copy + 'b> Extend<&'b T> for Vec<'_, T> {
    fn extend<I: IntoIterator<Item = &'b T>>(&mut self, iter: I) {
        self.extend(iter.into_iter().copied());
    }
}

impl<'v, T> IntoIterator for &'v Vec<'_, T> {
    type Item = &'v T;
    type IntoIter = slice::Iter<'v, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'v, T> IntoIterator for &'v mut Vec<'_, T> {
    type Item = &'v mut T;
    type IntoIter = slice::IterMut<'v, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<T: fmt::Debug> fmt::Debug for Vec<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

impl<T: PartialEq> PartialEq for Vec<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: PartialEq> PartialEq<[T]> for Vec<'_, T> {
    fn eq(&self, other: &[T]) -> bool {
        self.as_slice() == other
    }
}

impl<T: Eq> Eq for Vec<'_, T> {}
