//! HPACK decoding (RFC 7541 §3, §6).
//!
//! The decoded header-list size (§4.1 accounting: name + value + 32 per
//! field) is checked *while* decoding, field by field: once it passes the
//! caller's limit no more fields are handed out, but the block is still
//! decoded to its end so that the dynamic table stays in step with the peer's
//! encoder (the table itself is bounded by the size we advertised, and so
//! is its heap: it copies what it keeps rather than pin the block). That is
//! the defence against the HPACK bomb: a tiny wire reference to a large table
//! entry, repeated, costs a lookup and a counter, never memory.

use bytes::Bytes;

use super::Header;
use super::huffman::{self, HuffmanError};
use super::int::decode_int;
use super::table::{DynamicTable, ENTRY_OVERHEAD, Entry, KEEP_FACTOR, STATIC};

/// Why a header block could not be decoded. Every variant is a
/// COMPRESSION_ERROR at the HTTP/2 layer (RFC 9113 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// The block ended in the middle of a representation.
    Truncated,
    /// An integer did not fit in 32 bits (§5.1 lets decoders bound them).
    IntegerOverflow,
    /// Index 0, or past the end of the static and dynamic tables (§2.3.3).
    InvalidIndex,
    /// A Huffman-coded string was invalid (§5.2).
    Huffman(HuffmanError),
    /// A dynamic table size update above the advertised limit (§6.3).
    SizeUpdateTooLarge,
    /// A dynamic table size update after the first field (§4.2).
    SizeUpdateNotAtStart,
    /// The advertised limit shrank but the block did not start with an update (§4.2).
    MissingSizeUpdate,
}

/// What a successful decode found besides the fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOutcome {
    /// Decoded header-list size, per §4.1 accounting, counted to the end.
    pub list_size: usize,
    /// True when `list_size` passed the limit: fields past it were not emitted.
    pub oversized: bool,
}

/// An HPACK decoder: one per connection direction.
#[derive(Debug)]
pub struct Decoder {
    table: DynamicTable,
    /// SETTINGS_HEADER_TABLE_SIZE that we advertised and the peer acknowledged.
    settings_max: usize,
    update_required: bool,
}

impl Decoder {
    /// A decoder whose advertised table size is `max_table_size` (4096 by default in HTTP/2).
    pub fn new(max_table_size: usize) -> Self {
        Decoder {
            table: DynamicTable::new(max_table_size),
            settings_max: max_table_size,
            update_required: false,
        }
    }

    /// Records a new acknowledged SETTINGS_HEADER_TABLE_SIZE. A shrink below
    /// the current table size must be signalled by the peer's encoder at the
    /// start of its next block (§4.2), which `decode` then requires.
    pub fn set_max_table_size(&mut self, max: usize) {
        if max < self.table.max_size() {
            self.update_required = true;
        }
        self.settings_max = max;
    }

    /// The dynamic table's current size, for tests and metrics.
    pub fn table_size(&self) -> usize {
        self.table.size()
    }

    /// Decodes one complete header block, calling `emit` for each field while
    /// the list stays within `max_list_size`.
    pub fn decode(
        &mut self,
        block: &Bytes,
        max_list_size: usize,
        mut emit: impl FnMut(Header),
    ) -> Result<DecodeOutcome, DecodeError> {
        let buf = block.as_ref();
        let mut pos = 0;
        let mut at_start = true;
        let mut out = DecodeOutcome {
            list_size: 0,
            oversized: false,
        };
        while pos < buf.len() {
            let first = buf[pos];
            if first & 0xe0 == 0x20 {
                // Dynamic table size update (§6.3).
                let size = decode_int(buf, &mut pos, 5)?;
                if !at_start {
                    return Err(DecodeError::SizeUpdateNotAtStart);
                }
                if size > self.settings_max {
                    return Err(DecodeError::SizeUpdateTooLarge);
                }
                self.table.set_max_size(size);
                self.update_required = false;
                continue;
            }
            if at_start && self.update_required {
                return Err(DecodeError::MissingSizeUpdate);
            }
            at_start = false;
            let header = if first & 0x80 != 0 {
                // Indexed field (§6.1).
                let index = decode_int(buf, &mut pos, 7)?;
                let (name, value) = self.entry(index)?;
                Header {
                    name,
                    value,
                    sensitive: false,
                }
            } else {
                // Literals (§6.2): 01 incremental, 0000 without, 0001 never indexed.
                let (prefix, incremental, sensitive) = if first & 0x40 != 0 {
                    (6, true, false)
                } else {
                    (4, false, first & 0x10 != 0)
                };
                let index = decode_int(buf, &mut pos, prefix)?;
                let (name, name_from) = match index {
                    0 => read_string(block, &mut pos)?,
                    1..=61 => (self.entry(index)?.0, Backing::Own(0)),
                    _ => {
                        let e = self.dynamic(index)?;
                        (e.name.clone(), Backing::Own(e.name_pins))
                    }
                };
                let (value, value_from) = read_string(block, &mut pos)?;
                if incremental {
                    self.insert(block.len(), (&name, name_from), (&value, value_from));
                }
                Header {
                    name,
                    value,
                    sensitive,
                }
            };
            out.list_size += header.name.len() + header.value.len() + ENTRY_OVERHEAD;
            if out.list_size > max_list_size {
                out.oversized = true;
            } else {
                emit(header);
            }
        }
        if at_start && self.update_required && !buf.is_empty() {
            return Err(DecodeError::MissingSizeUpdate);
        }
        Ok(out)
    }

    /// Inserts a literal with incremental indexing. The header may keep
    /// slices of the block (it lives as long as its request); the table
    /// keeps them only if they pin at most `KEEP_FACTOR` times the entry's
    /// size, and copies them otherwise (table.rs, "Memory"). Clients
    /// Huffman-code most strings, whose buffers are about 1.3 times their
    /// length, so the usual insertion copies nothing.
    fn insert(&mut self, block_len: usize, name: (&Bytes, Backing), value: (&Bytes, Backing)) {
        let pinned = match (name.1, value.1) {
            (Backing::Block, Backing::Block) => block_len,
            (Backing::Block, Backing::Own(n)) | (Backing::Own(n), Backing::Block) => {
                block_len.saturating_add(n)
            }
            (Backing::Own(n), Backing::Own(v)) => n.saturating_add(v),
        };
        let name_pins = match name.1 {
            Backing::Block => block_len,
            Backing::Own(n) => n,
        };
        let size = name.0.len() + value.0.len() + ENTRY_OVERHEAD;
        if pinned <= KEEP_FACTOR * size {
            self.table
                .insert_kept(name.0.clone(), value.0.clone(), name_pins);
        } else {
            self.table.insert(name.0, value.0);
        }
    }

    fn entry(&self, index: usize) -> Result<(Bytes, Bytes), DecodeError> {
        match index {
            0 => Err(DecodeError::InvalidIndex),
            1..=61 => {
                let (n, v) = STATIC[index - 1];
                Ok((
                    Bytes::from_static(n.as_bytes()),
                    Bytes::from_static(v.as_bytes()),
                ))
            }
            _ => {
                let e = self.dynamic(index)?;
                Ok((e.name.clone(), e.value.clone()))
            }
        }
    }

    fn dynamic(&self, index: usize) -> Result<&Entry, DecodeError> {
        self.table.get(index - 62).ok_or(DecodeError::InvalidIndex)
    }
}

/// What heap a decoded string keeps alive.
#[derive(Debug, Clone, Copy)]
enum Backing {
    /// A slice of the header block: the whole block.
    Block,
    /// This many octets outside the block: a Huffman buffer's capacity, a
    /// dynamic entry's `name_pins`, 0 for the static table.
    Own(usize),
}

/// Reads a string literal (§5.2), zero-copy when it is not Huffman-coded.
fn read_string(block: &Bytes, pos: &mut usize) -> Result<(Bytes, Backing), DecodeError> {
    let buf = block.as_ref();
    let huffman = buf.get(*pos).ok_or(DecodeError::Truncated)? & 0x80 != 0;
    let len = decode_int(buf, pos, 7)?;
    let end = pos
        .checked_add(len)
        .filter(|&e| e <= buf.len())
        .ok_or(DecodeError::Truncated)?;
    let raw = &buf[*pos..end];
    let s = if huffman {
        // Huffman codes are at least 5 bits, so the output is at most 8/5 of the input.
        let mut out = Vec::with_capacity(len * 8 / 5 + 1);
        huffman::decode(raw, &mut out).map_err(DecodeError::Huffman)?;
        let capacity = out.capacity();
        (Bytes::from(out), Backing::Own(capacity))
    } else {
        (block.slice(*pos..end), Backing::Block)
    };
    *pos = end;
    Ok(s)
}
