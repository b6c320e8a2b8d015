//! A map keyed by completion tokens (or descriptors), hashed for speed.
//!
//! std's default SipHash costs ~100 instructions a lookup, and a runtime
//! looks a token up twice per operation (submit, completion). Tokens and
//! descriptor numbers are chosen by the program, not by a peer, so a
//! flooding attack on the hash is not a concern here; Fibonacci hashing (one
//! multiply) spreads sequential keys over the table's high bits, which is
//! where hashbrown takes its bucket index and tag from.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` from tokens to `V` with [`TokenHasher`].
///
/// ```
/// let mut in_flight: goro_netpoll::TokenMap<&str> = Default::default();
/// in_flight.insert(7, "read");
/// assert_eq!(in_flight.remove(&7), Some("read"));
/// ```
pub type TokenMap<V> = HashMap<u64, V, BuildHasherDefault<TokenHasher>>;

/// Fibonacci hashing of integer keys (see the module header).
#[derive(Debug, Default, Clone, Copy)]
pub struct TokenHasher(u64);

impl Hasher for TokenHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Only integer keys are expected; fold anything else in anyway.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
        }
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }

    #[inline]
    fn write_i32(&mut self, n: i32) {
        self.0 ^= n as u32 as u64;
    }
}
