//! HPACK, header compression for HTTP/2 (RFC 7541).
//!
//! No I/O and no `unsafe`: a [`Decoder`] turns a complete header block into
//! [`Header`]s, an [`Encoder`] turns fields into a block. Each connection
//! direction owns one of each; the HTTP/2 layer keeps them in step with
//! SETTINGS_HEADER_TABLE_SIZE.
//!
//! ```
//! use goro_http2::hpack::{Decoder, Encoder};
//! let mut enc = Encoder::default();
//! let mut block = Vec::new();
//! enc.encode([(&b":status"[..], &b"200"[..], false)], &mut block);
//! assert_eq!(block, [0x88]); // static table index 8
//! let mut dec = Decoder::new(4096);
//! let mut got = Vec::new();
//! dec.decode(&block.into(), 16 << 10, |h| got.push(h)).unwrap();
//! assert_eq!(&got[0].value[..], b"200");
//! ```

mod decoder;
mod encoder;
pub mod huffman;
mod int;
mod table;

use bytes::Bytes;

pub use decoder::{DecodeError, DecodeOutcome, Decoder};
pub use encoder::{DEFAULT_TABLE_SIZE, Encoder};
pub use table::ENTRY_OVERHEAD;

/// One decoded header field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Field name as sent (HPACK does not check case; RFC 9113 validation does).
    pub name: Bytes,
    /// Field value as sent.
    pub value: Bytes,
    /// Sent as "never indexed" (§7.1.3): intermediaries must keep it so.
    pub sensitive: bool,
}
