//! The HPACK static table (RFC 7541 Appendix A) and dynamic table (§2.3.2, §4).
//!
//! Index space (§2.3.3): 1..=61 is the static table, 62.. the dynamic table,
//! newest entry first. An entry's size is `name.len() + value.len() + 32`
//! (§4.1); inserting evicts the oldest entries until the new one fits, and an
//! entry larger than the whole table empties it and is not stored (§4.4).
//!
//! Memory: the heap an entry keeps alive is bounded by its size. A decoded
//! string is a slice of its header block (or a Huffman buffer with up to 6x
//! slack), so an entry that kept it would keep the whole block alive: with a
//! 4096-octet table and 64 KiB blocks a peer could pin ~5.5 MB per
//! connection, one small indexed field per block. So an entry either keeps
//! its strings ([`DynamicTable::insert_kept`], when the caller checked they
//! keep alive at most [`KEEP_FACTOR`] times the entry's size) or owns a copy
//! of them, back to back in one exact allocation ([`DynamicTable::insert`]).
//! The heap a full table holds is then at most `KEEP_FACTOR` times its §4.1
//! size, plus per entry a list slot and the allocations' shared headers.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

/// Per-entry overhead counted by §4.1.
pub const ENTRY_OVERHEAD: usize = 32;

/// How much heap, per octet of §4.1 size, an entry may keep alive without
/// being copied (see the module header).
pub const KEEP_FACTOR: usize = 2;

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

/// One entry: its name and value, either the decoded strings themselves or
/// slices of one allocation of their own.
#[derive(Debug)]
pub struct Entry {
    /// Field name.
    pub name: Bytes,
    /// Field value.
    pub value: Bytes,
    /// Heap octets that `name` keeps alive, counted as the decoder counted
    /// them (`name.len() + value.len()` for a copy): what a new entry that
    /// indexes this name inherits.
    pub name_pins: usize,
}

impl Entry {
    /// Copies `name` and `value` back to back into one exact allocation.
    /// Splitting a `BytesMut` gives both halves the shared form at once, so
    /// later references to the entry only count references (a slice of a
    /// `Bytes` made from a `Vec` would allocate its shared header on the
    /// first reference, that is, on the request that first indexes it).
    fn copy(name: &[u8], value: &[u8]) -> Entry {
        let mut bytes = BytesMut::with_capacity(name.len() + value.len());
        bytes.extend_from_slice(name);
        bytes.extend_from_slice(value);
        let name_pins = bytes.len();
        let name = bytes.split_to(name.len()).freeze();
        Entry {
            name,
            value: bytes.freeze(),
            name_pins,
        }
    }

    /// §4.1 size.
    fn size(&self) -> usize {
        self.name.len() + self.value.len() + ENTRY_OVERHEAD
    }
}

/// The dynamic table.
#[derive(Debug)]
pub struct DynamicTable {
    entries: VecDeque<Entry>,
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
    pub fn get(&self, i: usize) -> Option<&Entry> {
        self.entries.get(i)
    }

    /// Changes the maximum size, evicting as needed (§4.3).
    pub fn set_max_size(&mut self, max_size: usize) {
        self.max_size = max_size;
        self.evict_to(max_size);
    }

    /// Inserts a new entry (§4.4), copying `name` and `value` into one
    /// allocation of their own (see the module header for why).
    pub fn insert(&mut self, name: &[u8], value: &[u8]) {
        if self.make_room(name.len() + value.len() + ENTRY_OVERHEAD) {
            self.entries.push_front(Entry::copy(name, value));
        }
    }

    /// Inserts a new entry (§4.4) that keeps `name` and `value` as they
    /// are. The caller checked that the heap they keep alive is at most
    /// [`KEEP_FACTOR`] times the entry's size; `name_pins` is the part of it
    /// that `name` keeps alive.
    pub fn insert_kept(&mut self, name: Bytes, value: Bytes, name_pins: usize) {
        if self.make_room(name.len() + value.len() + ENTRY_OVERHEAD) {
            self.entries.push_front(Entry {
                name,
                value,
                name_pins,
            });
        }
    }

    /// Evicts for an entry of `size` and counts it in; false (and the table
    /// emptied) if it does not fit at all.
    fn make_room(&mut self, size: usize) -> bool {
        if size > self.max_size {
            self.entries.clear();
            self.size = 0;
            return false;
        }
        self.evict_to(self.max_size - size);
        self.size += size;
        true
    }

    fn evict_to(&mut self, target: usize) {
        while self.size > target {
            let Some(e) = self.entries.pop_back() else {
                break;
            };
            self.size -= e.size();
        }
    }

    /// Finds an entry: `(dynamic index, value matched too)`.
    pub fn find(&self, name: &[u8], value: &[u8]) -> Option<(usize, bool)> {
        let mut name_hit = None;
        for (i, e) in self.entries.iter().enumerate() {
            if e.name == name {
                if e.value == value {
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
        t.insert(b"aaaa", b"bbbb"); // 40
        t.insert(b"cccc", b"dddd"); // 80
        assert_eq!((t.len(), t.size()), (2, 80));
        t.insert(b"eeee", b"ffff"); // evicts aaaa
        assert_eq!((t.len(), t.size()), (2, 80));
        assert_eq!(t.get(1).unwrap().name.as_ref(), b"cccc");
        t.insert(&[b'x'; 80], b""); // 112 > 100: empties
        assert_eq!((t.len(), t.size()), (0, 0));
        t.insert(b"a", b"b");
        t.set_max_size(0);
        assert_eq!(t.len(), 0);
    }
}
