//! The HTTP/2 frame layer (RFC 9113 §4, §6): no I/O, no HPACK.
//!
//! Every frame is a 9-octet [`Head`] then a payload. Parsing takes a head
//! and its payload as [`Bytes`] (sliced, not copied, from the read buffer) and
//! returns a [`Frame`] or the [`ProtoError`] that §6 prescribes for a frame
//! malformed in itself (wrong length, stream 0 where it is forbidden, bad
//! padding). Rules that need connection state live in `proto`.
//!
//! Encoding produces an [`OutFrame`]: the head bytes plus a `Bytes` payload,
//! so a response body goes to a vectored write without being copied.

mod encode;
mod parse;
mod settings;

use bytes::Bytes;

pub use encode::OutFrame;
pub use settings::{Settings, SettingsError};

use crate::error::{ProtoError, Reason};

/// Size of a frame head.
pub const HEAD_LEN: usize = 9;
/// SETTINGS_MAX_FRAME_SIZE lower bound and default (§6.5.2).
pub const DEFAULT_MAX_FRAME_SIZE: u32 = 16_384;
/// SETTINGS_MAX_FRAME_SIZE upper bound (§6.5.2).
pub const MAX_MAX_FRAME_SIZE: u32 = (1 << 24) - 1;
/// Largest flow-control window (§6.9.1).
pub const MAX_WINDOW: u32 = (1 << 31) - 1;
/// Initial window of streams and of the connection (§6.9.2).
pub const DEFAULT_WINDOW: u32 = 65_535;

/// Frame flags (§6). The same bit means different things per type.
pub mod flags {
    /// DATA, HEADERS: last frame of the stream from this sender.
    pub const END_STREAM: u8 = 0x1;
    /// SETTINGS, PING: acknowledgement.
    pub const ACK: u8 = 0x1;
    /// HEADERS, CONTINUATION: the field block is complete.
    pub const END_HEADERS: u8 = 0x4;
    /// DATA, HEADERS: a pad length octet and padding are present.
    pub const PADDED: u8 = 0x8;
    /// HEADERS: stream dependency and weight are present.
    pub const PRIORITY: u8 = 0x20;
}

/// Frame type codes (§6).
pub mod kind {
    /// DATA
    pub const DATA: u8 = 0x0;
    /// HEADERS
    pub const HEADERS: u8 = 0x1;
    /// PRIORITY (deprecated; parsed and ignored)
    pub const PRIORITY: u8 = 0x2;
    /// RST_STREAM
    pub const RST_STREAM: u8 = 0x3;
    /// SETTINGS
    pub const SETTINGS: u8 = 0x4;
    /// PUSH_PROMISE
    pub const PUSH_PROMISE: u8 = 0x5;
    /// PING
    pub const PING: u8 = 0x6;
    /// GOAWAY
    pub const GOAWAY: u8 = 0x7;
    /// WINDOW_UPDATE
    pub const WINDOW_UPDATE: u8 = 0x8;
    /// CONTINUATION
    pub const CONTINUATION: u8 = 0x9;
}

/// A stream identifier (31 bits; the reserved bit is dropped on read, §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId(pub u32);

impl StreamId {
    /// Stream 0, the connection itself.
    pub const ZERO: StreamId = StreamId(0);

    /// Client-initiated streams are odd (§5.1.1).
    pub fn is_client_initiated(self) -> bool {
        self.0 % 2 == 1
    }
}

/// A frame head (§4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Payload length (24 bits).
    pub len: u32,
    /// Frame type.
    pub kind: u8,
    /// Flags.
    pub flags: u8,
    /// Stream identifier.
    pub stream: StreamId,
}

impl Head {
    /// Reads a head from its 9 octets.
    pub fn parse(b: &[u8; HEAD_LEN]) -> Head {
        Head {
            len: u32::from_be_bytes([0, b[0], b[1], b[2]]),
            kind: b[3],
            flags: b[4],
            stream: StreamId(u32::from_be_bytes([b[5], b[6], b[7], b[8]]) & MAX_WINDOW),
        }
    }

    /// Writes the 9 octets.
    pub fn encode(&self) -> [u8; HEAD_LEN] {
        let l = self.len.to_be_bytes();
        let s = self.stream.0.to_be_bytes();
        [
            l[1], l[2], l[3], self.kind, self.flags, s[0], s[1], s[2], s[3],
        ]
    }
}

/// PRIORITY information (§6.3); parsed for validation, otherwise ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priority {
    /// Stream this one depends on.
    pub dependency: StreamId,
    /// Exclusive flag.
    pub exclusive: bool,
    /// Weight minus one.
    pub weight: u8,
}

/// A parsed frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// DATA (§6.1). `flow_len` is the whole payload length, padding included,
    /// which is what flow control counts.
    Data {
        /// Stream.
        stream: StreamId,
        /// Payload without padding.
        data: Bytes,
        /// END_STREAM flag.
        end_stream: bool,
        /// Bytes charged to flow control.
        flow_len: u32,
    },
    /// HEADERS (§6.2), its field block fragment without padding or priority.
    Headers {
        /// Stream.
        stream: StreamId,
        /// Field block fragment.
        fragment: Bytes,
        /// END_STREAM flag.
        end_stream: bool,
        /// END_HEADERS flag.
        end_headers: bool,
        /// Priority fields, when the PRIORITY flag was set.
        priority: Option<Priority>,
    },
    /// PRIORITY (§6.3).
    Priority {
        /// Stream.
        stream: StreamId,
        /// Its priority fields.
        priority: Priority,
    },
    /// RST_STREAM (§6.4).
    RstStream {
        /// Stream.
        stream: StreamId,
        /// Error code.
        reason: Reason,
    },
    /// SETTINGS (§6.5), not an acknowledgement.
    Settings(Settings),
    /// SETTINGS with the ACK flag.
    SettingsAck,
    /// PUSH_PROMISE (§6.6): never valid from a client; kept for the error.
    PushPromise {
        /// Stream.
        stream: StreamId,
    },
    /// PING (§6.7).
    Ping {
        /// ACK flag.
        ack: bool,
        /// Opaque data.
        payload: [u8; 8],
    },
    /// GOAWAY (§6.8).
    GoAway {
        /// Last stream the sender may have processed.
        last_stream: StreamId,
        /// Error code.
        reason: Reason,
        /// Opaque debug data.
        debug: Bytes,
    },
    /// WINDOW_UPDATE (§6.9). Increment 0 is left to `proto`: its scope
    /// (stream or connection error) depends on the stream.
    WindowUpdate {
        /// Stream, or 0 for the connection.
        stream: StreamId,
        /// Window size increment.
        increment: u32,
    },
    /// CONTINUATION (§6.10).
    Continuation {
        /// Stream.
        stream: StreamId,
        /// Field block fragment.
        fragment: Bytes,
        /// END_HEADERS flag.
        end_headers: bool,
    },
    /// A frame of an unknown type: ignored (§4.1, §5.5).
    Unknown {
        /// Type code.
        kind: u8,
        /// Stream.
        stream: StreamId,
    },
}

impl Frame {
    /// Parses a frame from its head and payload (`payload.len() == head.len`).
    pub fn parse(head: Head, payload: Bytes) -> Result<Frame, ProtoError> {
        parse::parse(head, payload)
    }

    /// Encodes the frame. Used by tests and mock peers; the server's own
    /// frames come from [`OutFrame`]'s constructors.
    pub fn encode(&self) -> OutFrame {
        encode::encode(self)
    }
}
