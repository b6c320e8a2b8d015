//! [`Recycle`]: how a pooled object is cleared for its next user.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::BuildHasher;

/// Clears an object for reuse *without* giving up its heap capacity.
///
/// [`Pool`](crate::Pool) calls it on every released object, on the
/// releasing thread. Implementations must leave no trace of the previous
/// user (that is the point of a request-scoped pool) but should keep
/// allocations: `Vec::clear`, not `*self = Vec::new()`.
pub trait Recycle {
    /// Forgets the contents, keeps the capacity.
    fn recycle(&mut self);
}

impl<T> Recycle for Vec<T> {
    fn recycle(&mut self) {
        self.clear();
    }
}

impl Recycle for String {
    fn recycle(&mut self) {
        self.clear();
    }
}

impl<T> Recycle for VecDeque<T> {
    fn recycle(&mut self) {
        self.clear();
    }
}

impl<K, V, S: BuildHasher> Recycle for HashMap<K, V, S> {
    fn recycle(&mut self) {
        self.clear();
    }
}

impl<T, S: BuildHasher> Recycle for HashSet<T, S> {
    fn recycle(&mut self) {
        self.clear();
    }
}

impl<T: Recycle + ?Sized> Recycle for Box<T> {
    fn recycle(&mut self) {
        (**self).recycle();
    }
}
