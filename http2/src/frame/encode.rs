//! Outgoing frames as (head, payload) pairs, ready for a vectored write.

use bytes::{BufMut, Bytes, BytesMut};

use super::{Frame, HEAD_LEN, Head, Settings, StreamId, flags, kind};
use crate::error::Reason;

/// One frame to write: its 9 head octets and its payload. The payload of a
/// DATA frame is a slice of the application's `Bytes`, never a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFrame {
    /// The frame head.
    pub head: [u8; HEAD_LEN],
    /// The payload.
    pub payload: Bytes,
}

impl OutFrame {
    /// A frame from its parts.
    pub fn new(kind: u8, flags: u8, stream: StreamId, payload: Bytes) -> OutFrame {
        let head = Head {
            len: payload.len() as u32,
            kind,
            flags,
            stream,
        };
        OutFrame {
            head: head.encode(),
            payload,
        }
    }

    /// The parsed head.
    pub fn head(&self) -> Head {
        Head::parse(&self.head)
    }

    /// Total length on the wire.
    pub fn wire_len(&self) -> usize {
        HEAD_LEN + self.payload.len()
    }

    /// The two buffers of a vectored write.
    pub fn slices(&self) -> [&[u8]; 2] {
        [&self.head, &self.payload]
    }

    /// Appends head and payload to `dst` (for tests and non-vectored sinks).
    pub fn write_to(&self, dst: &mut Vec<u8>) {
        dst.extend_from_slice(&self.head);
        dst.extend_from_slice(&self.payload);
    }

    /// SETTINGS carrying `s`.
    pub fn settings(s: &Settings) -> OutFrame {
        OutFrame::new(kind::SETTINGS, 0, StreamId::ZERO, s.encode())
    }

    /// SETTINGS acknowledgement.
    pub fn settings_ack() -> OutFrame {
        OutFrame::new(kind::SETTINGS, flags::ACK, StreamId::ZERO, Bytes::new())
    }

    /// PING (or its acknowledgement) with `payload`.
    pub fn ping(ack: bool, payload: [u8; 8]) -> OutFrame {
        let f = if ack { flags::ACK } else { 0 };
        OutFrame::new(
            kind::PING,
            f,
            StreamId::ZERO,
            Bytes::copy_from_slice(&payload),
        )
    }

    /// GOAWAY.
    pub fn go_away(last: StreamId, reason: Reason, debug: &[u8]) -> OutFrame {
        let mut b = BytesMut::with_capacity(8 + debug.len());
        b.put_u32(last.0);
        b.put_u32(reason.0);
        b.put_slice(debug);
        OutFrame::new(kind::GOAWAY, 0, StreamId::ZERO, b.freeze())
    }

    /// RST_STREAM.
    pub fn rst_stream(stream: StreamId, reason: Reason) -> OutFrame {
        let p = Bytes::copy_from_slice(&reason.0.to_be_bytes());
        OutFrame::new(kind::RST_STREAM, 0, stream, p)
    }

    /// WINDOW_UPDATE.
    pub fn window_update(stream: StreamId, increment: u32) -> OutFrame {
        let p = Bytes::copy_from_slice(&increment.to_be_bytes());
        OutFrame::new(kind::WINDOW_UPDATE, 0, stream, p)
    }

    /// DATA carrying `data` (no padding).
    pub fn data(stream: StreamId, data: Bytes, end_stream: bool) -> OutFrame {
        let f = if end_stream { flags::END_STREAM } else { 0 };
        OutFrame::new(kind::DATA, f, stream, data)
    }
}

fn put_priority(b: &mut BytesMut, p: &super::Priority) {
    b.put_u32(p.dependency.0 | (u32::from(p.exclusive) << 31));
    b.put_u8(p.weight);
}

pub fn encode(frame: &Frame) -> OutFrame {
    match frame {
        Frame::Data {
            stream,
            data,
            end_stream,
            ..
        } => OutFrame::data(*stream, data.clone(), *end_stream),
        Frame::Headers {
            stream,
            fragment,
            end_stream,
            end_headers,
            priority,
        } => {
            let mut f = 0;
            if *end_stream {
                f |= flags::END_STREAM;
            }
            if *end_headers {
                f |= flags::END_HEADERS;
            }
            let payload = match priority {
                Some(p) => {
                    f |= flags::PRIORITY;
                    let mut b = BytesMut::with_capacity(5 + fragment.len());
                    put_priority(&mut b, p);
                    b.put_slice(fragment);
                    b.freeze()
                }
                None => fragment.clone(),
            };
            OutFrame::new(kind::HEADERS, f, *stream, payload)
        }
        Frame::Priority { stream, priority } => {
            let mut b = BytesMut::with_capacity(5);
            put_priority(&mut b, priority);
            OutFrame::new(kind::PRIORITY, 0, *stream, b.freeze())
        }
        Frame::RstStream { stream, reason } => OutFrame::rst_stream(*stream, *reason),
        Frame::Settings(s) => OutFrame::settings(s),
        Frame::SettingsAck => OutFrame::settings_ack(),
        Frame::PushPromise { stream } => {
            // Promised stream 2, empty block: enough to exercise the error path.
            let p = Bytes::from_static(&[0, 0, 0, 2]);
            OutFrame::new(kind::PUSH_PROMISE, flags::END_HEADERS, *stream, p)
        }
        Frame::Ping { ack, payload } => OutFrame::ping(*ack, *payload),
        Frame::GoAway {
            last_stream,
            reason,
            debug,
        } => OutFrame::go_away(*last_stream, *reason, debug),
        Frame::WindowUpdate { stream, increment } => OutFrame::window_update(*stream, *increment),
        Frame::Continuation {
            stream,
            fragment,
            end_headers,
        } => {
            let f = if *end_headers { flags::END_HEADERS } else { 0 };
            OutFrame::new(kind::CONTINUATION, f, *stream, fragment.clone())
        }
        Frame::Unknown { kind, stream } => OutFrame::new(*kind, 0, *stream, Bytes::new()),
    }
}
