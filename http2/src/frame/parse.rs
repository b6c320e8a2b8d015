//! Frame parsing: the per-frame rules of RFC 9113 §6.

use bytes::Bytes;

use super::{Frame, Head, MAX_WINDOW, Priority, Settings, StreamId, flags, kind};
use crate::error::{ProtoError, Reason};

fn conn(r: Reason) -> ProtoError {
    ProtoError::Connection(r)
}

/// Strips padding (§6.1, §6.2): returns the payload after the pad-length octet
/// (and `skip` more octets) minus the padding.
fn unpad(head: &Head, payload: Bytes, skip: usize) -> Result<Bytes, ProtoError> {
    if head.flags & flags::PADDED == 0 {
        if payload.len() < skip {
            return Err(conn(Reason::FRAME_SIZE_ERROR));
        }
        return Ok(payload.slice(skip..));
    }
    let Some(&pad) = payload.first() else {
        return Err(conn(Reason::FRAME_SIZE_ERROR));
    };
    let body = payload.len() - 1;
    if body < skip {
        return Err(conn(Reason::FRAME_SIZE_ERROR));
    }
    // "If the length of the padding is the length of the frame payload or
    // greater, the recipient MUST treat this as a connection error of type
    // PROTOCOL_ERROR."
    if pad as usize > body - skip {
        return Err(conn(Reason::PROTOCOL_ERROR));
    }
    Ok(payload.slice(1 + skip..payload.len() - pad as usize))
}

fn priority(b: &[u8]) -> Priority {
    let dep = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Priority {
        dependency: StreamId(dep & MAX_WINDOW),
        exclusive: dep >> 31 == 1,
        weight: b[4],
    }
}

pub fn parse(head: Head, payload: Bytes) -> Result<Frame, ProtoError> {
    debug_assert_eq!(payload.len(), head.len as usize);
    let zero = head.stream == StreamId::ZERO;
    let f = head.flags;
    match head.kind {
        kind::DATA => {
            if zero {
                return Err(conn(Reason::PROTOCOL_ERROR));
            }
            let flow_len = head.len;
            let data = unpad(&head, payload, 0)?;
            Ok(Frame::Data {
                stream: head.stream,
                data,
                end_stream: f & flags::END_STREAM != 0,
                flow_len,
            })
        }
        kind::HEADERS => {
            if zero {
                return Err(conn(Reason::PROTOCOL_ERROR));
            }
            let has_priority = f & flags::PRIORITY != 0;
            let skip = if has_priority { 5 } else { 0 };
            let prio_at = usize::from(f & flags::PADDED != 0);
            let prio = if has_priority && payload.len() >= prio_at + 5 {
                Some(priority(&payload[prio_at..prio_at + 5]))
            } else {
                None
            };
            let fragment = unpad(&head, payload, skip)?;
            // A self-dependency is a *stream* error (§5.3.1), checked by
            // `proto` after the block is decoded so HPACK stays in step.
            Ok(Frame::Headers {
                stream: head.stream,
                fragment,
                end_stream: f & flags::END_STREAM != 0,
                end_headers: f & flags::END_HEADERS != 0,
                priority: prio,
            })
        }
        kind::PRIORITY => {
            if zero {
                return Err(conn(Reason::PROTOCOL_ERROR));
            }
            if head.len != 5 {
                return Err(ProtoError::Stream(head.stream, Reason::FRAME_SIZE_ERROR));
            }
            let priority = priority(&payload);
            if priority.dependency == head.stream {
                return Err(ProtoError::Stream(head.stream, Reason::PROTOCOL_ERROR));
            }
            Ok(Frame::Priority {
                stream: head.stream,
                priority,
            })
        }
        kind::RST_STREAM => {
            if zero {
                return Err(conn(Reason::PROTOCOL_ERROR));
            }
            if head.len != 4 {
                return Err(conn(Reason::FRAME_SIZE_ERROR));
            }
            let code = u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]);
            Ok(Frame::RstStream {
                stream: head.stream,
                reason: Reason(code),
            })
        }
        kind::SETTINGS => {
            if !zero {
                return Err(conn(Reason::PROTOCOL_ERROR));
            }
            if f & flags::ACK != 0 {
                if head.len != 0 {
                    return Err(conn(Reason::FRAME_SIZE_ERROR));
                }
                return Ok(Frame::SettingsAck);
            }
            if head.len % 6 != 0 {
                return Err(conn(Reason::FRAME_SIZE_ERROR));
            }
            Settings::parse(&payload)
                .map(Frame::Settings)
                .map_err(|e| conn(e.0))
        }
        kind::PUSH_PROMISE => Ok(Frame::PushPromise {
            stream: head.stream,
        }),
        kind::PING => {
            if !zero {
                return Err(conn(Reason::PROTOCOL_ERROR));
            }
            if head.len != 8 {
                return Err(conn(Reason::FRAME_SIZE_ERROR));
            }
            let mut p = [0; 8];
            p.copy_from_slice(&payload);
            Ok(Frame::Ping {
                ack: f & flags::ACK != 0,
                payload: p,
            })
        }
        kind::GOAWAY => {
            if !zero {
                return Err(conn(Reason::PROTOCOL_ERROR));
            }
            if head.len < 8 {
                return Err(conn(Reason::FRAME_SIZE_ERROR));
            }
            let last = u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]);
            let code = u32::from_be_bytes([payload[4], payload[5], payload[6], payload[7]]);
            Ok(Frame::GoAway {
                last_stream: StreamId(last & MAX_WINDOW),
                reason: Reason(code),
                debug: payload.slice(8..),
            })
        }
        kind::WINDOW_UPDATE => {
            if head.len != 4 {
                return Err(conn(Reason::FRAME_SIZE_ERROR));
            }
            let inc = u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]);
            Ok(Frame::WindowUpdate {
                stream: head.stream,
                increment: inc & MAX_WINDOW,
            })
        }
        kind::CONTINUATION => {
            if zero {
                return Err(conn(Reason::PROTOCOL_ERROR));
            }
            Ok(Frame::Continuation {
                stream: head.stream,
                fragment: payload,
                end_headers: f & flags::END_HEADERS != 0,
            })
        }
        other => Ok(Frame::Unknown {
            kind: other,
            stream: head.stream,
        }),
    }
}
