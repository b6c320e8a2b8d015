//! Maps keyed by stream id, with a cheap hasher.
//!
//! The std `HashMap`'s SipHash cost ~9 % of a small request's server
//! instructions (callgrind, `h2load -c 64 -m 16`: about seven lookups per
//! request). Stream ids are chosen by the peer, so a weak hash lets it
//! pick colliding ids; that is harmless here because a map holds at most
//! the open streams (`max_concurrent_streams`, 100 by default), so the
//! worst probe sequence is that long, not unbounded.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A map from stream id to `V`.
pub(crate) type IdMap<V> = HashMap<u32, V, BuildHasherDefault<IdHasher>>;

/// Multiplies by a 64-bit odd constant (Fibonacci hashing) and folds the
/// high half down, so both the low bits (bucket index) and the top seven
/// (hashbrown's control byte) depend on every bit of the id; client ids
/// are all odd, so the low bit alone would carry nothing.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    #[inline]
    fn write_u32(&mut self, id: u32) {
        let h = u64::from(id).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 32);
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only u32 keys are used; any other input still hashes, byte-wise.
        for &b in bytes {
            self.write_u32(u32::from(b) ^ (self.0 as u32).rotate_left(5));
        }
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_ids_spread_over_low_and_high_bits() {
        let hash = |id: u32| {
            let mut h = IdHasher::default();
            h.write_u32(id);
            h.finish()
        };
        let low: std::collections::HashSet<u64> =
            (0..64u32).map(|i| hash(2 * i + 1) & 63).collect();
        let top: std::collections::HashSet<u64> =
            (0..64u32).map(|i| hash(2 * i + 1) >> 57).collect();
        assert!(low.len() > 32, "low bits: {} distinct of 64", low.len());
        assert!(top.len() > 32, "top bits: {} distinct of 64", top.len());
        let mut m: IdMap<&str> = IdMap::default();
        m.insert(1, "a");
        m.insert(3, "b");
        assert_eq!(
            (m.get(&1), m.get(&3), m.get(&5)),
            (Some(&"a"), Some(&"b"), None)
        );
    }
}
