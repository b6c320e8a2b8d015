//! The HPACK static table (RFC 7541 Appendix A) and dynamic table (§2.3.2, §4).
//!
//! Index space (§2.3.3): 1..=61 is the static table, 62.. the dynamic table,
//! newest entry first. An entry's size is `name.len() + value.len() + 32`
//! (§4.1); inserting evicts the oldest entries until the new one fits, and an
//! entry larger than the whole table empties it and is not stored (§4.4).

use std::collections::VecDeque;

use bytes::Bytes;

/// Per-entry overhead counted by §4.1.
pub const ENTRY_OVERHEAD: usize = 32;

/// RFC 7541 Appendix A, index 1 first.
pub static STATIC: [(&str, &str); 61] = [
    (":authority", ""),
    (":method", "GET"),
    (":method", "POST"),
    (":path", "/"),
    (":path", "/index.html"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "200"),
    (":status", "204"),
    (":status", "206"),
    (":status", "304"),
    (":status", "400"),
    (":status", "404"),
    (":status", "500"),
    ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"),
    ("accept-language", ""),
    ("accept-ranges", ""),
    ("accept", ""),
    ("access-control-allow-origin", ""),
    ("age", ""),
    ("allow", ""),
    ("authorization", ""),
    ("cache-control", ""),
    ("content-disposition", ""),
    ("content-encoding", ""),
    ("content-language", ""),
    ("content-length", ""),
    ("content-location", ""),
    ("content-range", ""),
    ("content-type", ""),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("expect", ""),
    ("expires", ""),
    ("from", ""),
    ("host", ""),
    ("if-match", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("if-range", ""),
    ("if-unmodified-since", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("max-forwards", ""),
    ("proxy-authenticate", ""),
    ("proxy-authorization", ""),
    ("range", ""),
    ("referer", ""),
    ("refresh", ""),
    ("retry-after", ""),
    ("server", ""),
    ("set-cookie", ""),
    ("strict-transport-security", ""),
    ("transfer-encoding", ""),
    ("user-agent", ""),
    ("vary", ""),
    ("via", ""),
    ("www-authenticate", ""),
];

/// Static-table lookup for the encoder: `(index of the first entry with this
/// name, number of consecutive entries with it)`.
pub fn static_name(name: &[u8]) -> Option<(usize, usize)> {
    // Grouped by length first so most misses cost one comparison of `len`.
    let hit = match name {
        b":authority" => (1, 1),
        b":method" => (2, 2),
        b":path" => (4, 2),
        b":scheme" => (6, 2),
        b":status" => (8, 7),
        _ => return static_regular(name).map(|i| (i, 1)),
    };
    Some(hit)
}

fn static_regular(name: &[u8]) -> Option<usize> {
    if name.len() < 3 || name.len() > 27 {
        return None;
    }
    STATIC[14..]
        .iter()
        .position(|(n, _)| n.as_bytes() == name)
        .map(|p| p + 15)
}

/// The dynamic table.
#[derive(Debug)]
pub struct DynamicTable {
    entries: VecDeque<(Bytes, Bytes)>,
    size: usize,
    max_size: usize,
}

impl DynamicTable {
    /// An empty table holding at most `max_size` bytes (§4.1 accounting).
    pub fn new(max_size: usize) -> Self {
        DynamicTable {
            entries: VecDeque::new(),
            size: 0,
            max_size,
        }
    }

    /// Current size per §4.1.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Current maximum size.
    pub fn max_size(&self) -> usize {
        self.max_size
    }

    /// Number of entries.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Entry at dynamic index `i` (0 = newest).
    pub fn get(&self, i: usize) -> Option<&(Bytes, Bytes)> {
        self.entries.get(i)
    }

    /// Changes the maximum size, evicting as needed (§4.3).
    pub fn set_max_size(&mut self, max_size: usize) {
        self.max_size = max_size;
        self.evict_to(max_size);
    }

    /// Inserts a new entry (§4.4).
    pub fn insert(&mut self, name: Bytes, value: Bytes) {
        let size = name.len() + value.len() + ENTRY_OVERHEAD;
        if size > self.max_size {
            self.entries.clear();
            self.size = 0;
            return;
        }
        self.evict_to(self.max_size - size);
        self.size += size;
        self.entries.push_front((name, value));
    }

    fn evict_to(&mut self, target: usize) {
        while self.size > target {
            let Some((n, v)) = self.entries.pop_back() else {
                break;
            };
            self.size -= n.len() + v.len() + ENTRY_OVERHEAD;
        }
    }

    /// Finds an entry: `(dynamic index, value matched too)`.
    pub fn find(&self, name: &[u8], value: &[u8]) -> Option<(usize, bool)> {
        let mut name_hit = None;
        for (i, (n, v)) in self.entries.iter().enumerate() {
            if n.as_ref() == name {
                if v.as_ref() == value {
                    return Some((i, true));
                }
                name_hit.get_or_insert(i);
            }
        }
        name_hit.map(|i| (i, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_lookup_matches_table() {
        for (i, (n, _)) in STATIC.iter().enumerate() {
            let (first, count) = static_name(n.as_bytes()).unwrap();
            assert!(first <= i + 1 && i + 1 < first + count, "{n}");
        }
        assert_eq!(static_name(b"x-custom"), None);
    }

    #[test]
    fn eviction_and_oversized_entries() {
        let mut t = DynamicTable::new(100);
        t.insert(Bytes::from_static(b"aaaa"), Bytes::from_static(b"bbbb")); // 40
        t.insert(Bytes::from_static(b"cccc"), Bytes::from_static(b"dddd")); // 80
        assert_eq!((t.len(), t.size()), (2, 80));
        t.insert(Bytes::from_static(b"eeee"), Bytes::from_static(b"ffff")); // evicts aaaa
        assert_eq!((t.len(), t.size()), (2, 80));
        assert_eq!(t.get(1).unwrap().0.as_ref(), b"cccc");
        t.insert(Bytes::from(vec![b'x'; 80]), Bytes::new()); // 112 > 100: empties
        assert_eq!((t.len(), t.size()), (0, 0));
        t.insert(Bytes::from_static(b"a"), Bytes::from_static(b"b"));
        t.set_max_size(0);
        assert_eq!(t.len(), 0);
    }
}
