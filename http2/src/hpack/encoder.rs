//! HPACK encoding (RFC 7541 §6).
//!
//! Strategy: an exact match in the static or dynamic table is sent as an
//! index; otherwise the field is sent as a literal with incremental indexing
//! (so repeated response headers shrink to one byte), except fields whose
//! values rarely repeat (`content-length`, `:path`, `date`-like counters are
//! cheap to skip) and sensitive ones, which are "never indexed" (§7.1.3).
//! Strings are Huffman-coded when that is shorter.

use super::huffman;
use super::int::encode_int;
use super::table::{DynamicTable, ENTRY_OVERHEAD, STATIC, static_name};

/// Our own ceiling for the encoder's table, whatever the peer allows.
pub const DEFAULT_TABLE_SIZE: usize = 4096;

/// An HPACK encoder: one per connection direction.
#[derive(Debug)]
pub struct Encoder {
    table: DynamicTable,
    own_max: usize,
    /// Smallest and latest size the table went through since the last block;
    /// both must be signalled at the start of the next block (§4.2).
    pending_update: Option<(usize, usize)>,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder::new(DEFAULT_TABLE_SIZE)
    }
}

impl Encoder {
    /// An encoder that never uses more than `own_max` bytes of table, starting
    /// at the HTTP/2 default of 4096 (or `own_max` if smaller, signalled).
    pub fn new(own_max: usize) -> Self {
        let start = own_max.min(4096);
        let pending_update = (start != 4096).then_some((start, start));
        Encoder {
            table: DynamicTable::new(start),
            own_max,
            pending_update,
        }
    }

    /// Applies the peer's SETTINGS_HEADER_TABLE_SIZE.
    pub fn set_max_table_size(&mut self, peer_max: usize) {
        let size = peer_max.min(self.own_max);
        if size == self.table.max_size() && self.pending_update.is_none() {
            return;
        }
        self.table.set_max_size(size);
        let low = self.pending_update.map_or(size, |(low, _)| low.min(size));
        self.pending_update = Some((low, size));
    }

    /// Appends the header block for `fields` (name, value, sensitive) to `dst`.
    /// Names must already be lowercase (RFC 9113 §8.2.1).
    pub fn encode<'a, I>(&mut self, fields: I, dst: &mut Vec<u8>)
    where
        I: IntoIterator<Item = (&'a [u8], &'a [u8], bool)>,
    {
        if let Some((low, last)) = self.pending_update.take() {
            if low != last {
                encode_int(dst, 5, 0x20, low);
            }
            encode_int(dst, 5, 0x20, last);
        }
        for (name, value, sensitive) in fields {
            self.encode_field(name, value, sensitive, dst);
        }
    }

    fn encode_field(&mut self, name: &[u8], value: &[u8], sensitive: bool, dst: &mut Vec<u8>) {
        let static_hit = static_name(name);
        if !sensitive {
            if let Some((first, count)) = static_hit {
                if let Some(i) =
                    (first..first + count).find(|&i| STATIC[i - 1].1.as_bytes() == value)
                {
                    encode_int(dst, 7, 0x80, i);
                    return;
                }
            }
        }
        let dynamic_hit = self.table.find(name, value);
        if !sensitive {
            if let Some((i, true)) = dynamic_hit {
                encode_int(dst, 7, 0x80, i + 62);
                return;
            }
        }
        let name_index = static_hit
            .map(|(first, _)| first)
            .or(dynamic_hit.map(|(i, _)| i + 62));
        let size = name.len() + value.len() + ENTRY_OVERHEAD;
        let index_it = !sensitive && size <= self.table.max_size() / 2 && !volatile(name);
        let (prefix, flags) = match (sensitive, index_it) {
            (true, _) => (4, 0x10),
            (false, true) => (6, 0x40),
            (false, false) => (4, 0x00),
        };
        match name_index {
            Some(i) => encode_int(dst, prefix, flags, i),
            None => {
                dst.push(flags);
                encode_string(name, dst);
            }
        }
        encode_string(value, dst);
        if index_it {
            self.table.insert(name, value);
        }
    }
}

/// Fields whose values almost never repeat: indexing them only churns the table.
fn volatile(name: &[u8]) -> bool {
    matches!(
        name,
        b":path" | b"content-length" | b"etag" | b"age" | b"last-modified"
    )
}

fn encode_string(s: &[u8], dst: &mut Vec<u8>) {
    let hlen = huffman::encoded_len(s);
    if hlen < s.len() {
        encode_int(dst, 7, 0x80, hlen);
        huffman::encode(s, dst);
    } else {
        encode_int(dst, 7, 0x00, s.len());
        dst.extend_from_slice(s);
    }
}
