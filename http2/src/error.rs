//! HTTP/2 error codes (RFC 9113 §7) and the two error scopes (§5.4).

use std::fmt;

use crate::frame::StreamId;

/// An HTTP/2 error code, as carried by RST_STREAM and GOAWAY. Unknown codes
/// are kept as they are (§7: they must not trigger special behaviour).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reason(pub u32);

impl Reason {
    /// Graceful shutdown, or no error.
    pub const NO_ERROR: Reason = Reason(0x0);
    /// Unspecific protocol error.
    pub const PROTOCOL_ERROR: Reason = Reason(0x1);
    /// Unexpected internal error.
    pub const INTERNAL_ERROR: Reason = Reason(0x2);
    /// Flow-control protocol violated.
    pub const FLOW_CONTROL_ERROR: Reason = Reason(0x3);
    /// SETTINGS not acknowledged in time.
    pub const SETTINGS_TIMEOUT: Reason = Reason(0x4);
    /// Frame received on a half-closed or closed stream.
    pub const STREAM_CLOSED: Reason = Reason(0x5);
    /// Frame with an invalid size.
    pub const FRAME_SIZE_ERROR: Reason = Reason(0x6);
    /// Stream refused before any processing.
    pub const REFUSED_STREAM: Reason = Reason(0x7);
    /// Stream no longer needed.
    pub const CANCEL: Reason = Reason(0x8);
    /// Header compression context cannot be maintained.
    pub const COMPRESSION_ERROR: Reason = Reason(0x9);
    /// CONNECT tunnel failed.
    pub const CONNECT_ERROR: Reason = Reason(0xa);
    /// The peer is generating excessive load.
    pub const ENHANCE_YOUR_CALM: Reason = Reason(0xb);
    /// Transport security inadequate.
    pub const INADEQUATE_SECURITY: Reason = Reason(0xc);
    /// HTTP/1.1 required instead.
    pub const HTTP_1_1_REQUIRED: Reason = Reason(0xd);

    fn name(self) -> Option<&'static str> {
        const NAMES: [&str; 14] = [
            "NO_ERROR",
            "PROTOCOL_ERROR",
            "INTERNAL_ERROR",
            "FLOW_CONTROL_ERROR",
            "SETTINGS_TIMEOUT",
            "STREAM_CLOSED",
            "FRAME_SIZE_ERROR",
            "REFUSED_STREAM",
            "CANCEL",
            "COMPRESSION_ERROR",
            "CONNECT_ERROR",
            "ENHANCE_YOUR_CALM",
            "INADEQUATE_SECURITY",
            "HTTP_1_1_REQUIRED",
        ];
        NAMES.get(self.0 as usize).copied()
    }
}

impl fmt::Debug for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "Reason({:#x})", self.0),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A protocol error found in the peer's input, with its scope (§5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtoError {
    /// The whole connection fails: GOAWAY with this code.
    Connection(Reason),
    /// Only this stream fails: RST_STREAM with this code.
    Stream(StreamId, Reason),
}

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtoError::Connection(r) => write!(f, "connection error {r}"),
            ProtoError::Stream(s, r) => write!(f, "stream {} error {r}", s.0),
        }
    }
}

impl std::error::Error for ProtoError {}
