//! The arena's one error type.

use core::fmt;

/// Why an arena allocation failed.
///
/// Returned by every `try_*` method of [`Arena`](crate::Arena); the
/// infallible methods panic with the same message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocError {
    kind: AllocErrorKind,
}

/// The reason behind an [`AllocError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AllocErrorKind {
    /// Growing would take the arena's chunks past its allocation limit
    /// ([`Arena::set_allocation_limit`](crate::Arena::set_allocation_limit)).
    LimitReached,
    /// The global allocator refused a new chunk.
    OutOfMemory,
    /// The request cannot be described by a [`Layout`](core::alloc::Layout)
    /// (its size, with the chunk header and alignment padding, overflows
    /// `isize::MAX`).
    CapacityOverflow,
}

impl AllocError {
    pub(crate) const fn new(kind: AllocErrorKind) -> Self {
        AllocError { kind }
    }

    /// The reason for the failure.
    pub const fn kind(&self) -> AllocErrorKind {
        self.kind
    }
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            AllocErrorKind::LimitReached => "arena allocation limit reached",
            AllocErrorKind::OutOfMemory => {
                "out of memory: the global allocator refused an arena chunk"
            }
            AllocErrorKind::CapacityOverflow => "arena allocation request too large",
        })
    }
}

impl std::error::Error for AllocError {}
