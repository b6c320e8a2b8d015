//! [`String`]: a growable UTF-8 string in an [`Arena`], on top of [`Vec`].

use core::fmt;
use core::ops::{Deref, DerefMut};

use crate::arena::Arena;
use crate::vec::Vec;

/// A growable UTF-8 string whose buffer lives in an arena; grows in place
/// while it is the arena's last buffer (see [`Vec`]).
///
/// ```
/// use std::fmt::Write;
/// let arena = goro_arena::Arena::new();
/// let mut s = goro_arena::String::new_in(&arena);
/// write!(s, "{}-{}", "req", 42).unwrap();
/// s.push('!');
/// assert_eq!(s.as_str(), "req-42!");
/// ```
pub struct String<'a> {
    bytes: Vec<'a, u8>,
}

impl<'a> String<'a> {
    /// An empty string; allocates nothing until the first push.
    #[inline]
    pub fn new_in(arena: &'a Arena) -> Self {
        String {
            bytes: Vec::new_in(arena),
        }
    }

    /// An empty string with room for `capacity` bytes.
    pub fn with_capacity_in(capacity: usize, arena: &'a Arena) -> Self {
        String {
            bytes: Vec::with_capacity_in(capacity, arena),
        }
    }

    /// A copy of `s`.
    pub fn from_str_in(s: &str, arena: &'a Arena) -> Self {
        let mut out = String::with_capacity_in(s.len(), arena);
        out.push_str(s);
        out
    }

    /// Length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the string is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Bytes the buffer holds without growing.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.bytes.capacity()
    }

    /// Appends a string slice.
    #[inline]
    pub fn push_str(&mut self, s: &str) {
        self.bytes.extend_from_slice(s.as_bytes());
    }

    /// Appends a character.
    #[inline]
    pub fn push(&mut self, c: char) {
        match c.len_utf8() {
            1 => self.bytes.push(c as u8),
            _ => self.push_str(c.encode_utf8(&mut [0; 4])),
        }
    }

    /// Removes and returns the last character.
    pub fn pop(&mut self) -> Option<char> {
        let c = self.as_str().chars().next_back()?;
        self.bytes.truncate(self.len() - c.len_utf8());
        Some(c)
    }

    /// Shortens the string to `new_len` bytes.
    ///
    /// # Panics
    ///
    /// If `new_len` is not on a character boundary.
    pub fn truncate(&mut self, new_len: usize) {
        if new_len < self.len() {
            assert!(
                self.is_char_boundary(new_len),
                "truncate inside a character"
            );
            self.bytes.truncate(new_len);
        }
    }

    /// Empties the string, keeping the buffer.
    #[inline]
    pub fn clear(&mut self) {
        self.bytes.clear();
    }

    /// Makes room for `additional` more bytes.
    pub fn reserve(&mut self, additional: usize) {
        self.bytes.reserve(additional);
    }

    /// The contents.
    #[inline]
    pub fn as_str(&self) -> &str {
        // SAFETY: only whole `str`s and encoded `char`s are ever appended,
        // and truncation happens on character boundaries.
        unsafe { core::str::from_utf8_unchecked(&self.bytes) }
    }

    /// The contents, mutable.
    #[inline]
    pub fn as_mut_str(&mut self) -> &mut str {
        // SAFETY: as `as_str`; `&mut str` only allows UTF-8-preserving edits.
        unsafe { core::str::from_utf8_unchecked_mut(&mut self.bytes) }
    }

    /// Freezes the string into a `&str` that lives as long as the arena borrow.
    pub fn into_bump_str(self) -> &'a mut str {
        let bytes = self.bytes.into_bump_slice();
        // SAFETY: valid UTF-8, as in `as_str`.
        unsafe { core::str::from_utf8_unchecked_mut(bytes) }
    }
}

impl Deref for String<'_> {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl DerefMut for String<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut str {
        self.as_mut_str()
    }
}

impl fmt::Write for String<'_> {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

impl fmt::Display for String<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for String<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for String<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<str> for String<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for String<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Eq for String<'_> {}
