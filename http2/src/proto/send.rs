//! The application's side of a connection: responses, bodies, trailers,
//! and the frames to write.
//!
//! Order rules the scheduler keeps:
//! 1. Control frames leave first, then response heads in the order the
//!    application gave them, then stream data. A head is HPACK-encoded
//!    only when it leaves (HPACK state follows encode order, §4.3, and a
//!    block's CONTINUATIONs must not be interleaved, §6.10), so a stream the
//!    client resets before then gets nothing at all (§5.1: no frame but
//!    PRIORITY on a closed stream) and costs no HPACK state.
//! 2. DATA is flow-controlled by the smaller of the stream's and the
//!    connection's windows and cut at the peer's SETTINGS_MAX_FRAME_SIZE;
//!    streams with something to send take turns (round robin).
//! 3. Trailers are HPACK-encoded only when the stream's data has left, so
//!    they too are encoded in wire order.

use bytes::Bytes;
use http::{HeaderMap, Response};

use super::connection::Connection;
use super::headers::skip_in_response;
use super::stream::{Chunk, SendState};
use crate::error::Reason;
use crate::frame::{OutFrame, StreamId, flags, kind};

/// Why the application's send call was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// No such open stream: never opened, finished, or reset.
    UnknownStream,
    /// `send_response` twice or with a 1xx status, data before the
    /// response, anything after END_STREAM, or trailers on a CONNECT stream.
    InvalidState,
    /// The stream's send buffer is full: wait until `send_capacity` > 0.
    BufferFull,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            SendError::UnknownStream => "unknown or closed stream",
            SendError::InvalidState => "call not valid in the stream's state",
            SendError::BufferFull => "stream send buffer full",
        };
        f.write_str(s)
    }
}

impl std::error::Error for SendError {}

impl Connection {
    /// Queues the response head. With `end_stream` the response has no body.
    pub fn send_response(
        &mut self,
        stream: StreamId,
        response: Response<()>,
        end_stream: bool,
    ) -> Result<(), SendError> {
        let s = self
            .streams
            .get_mut(&stream.0)
            .ok_or(SendError::UnknownStream)?;
        // Informational (1xx) responses are not supported, and 101 is
        // forbidden in HTTP/2 (§8.6).
        if s.send != SendState::Idle || response.status().is_informational() {
            return Err(SendError::InvalidState);
        }
        s.send = if end_stream {
            SendState::Done
        } else {
            SendState::Open
        };
        s.head_pending = true;
        let (parts, ()) = response.into_parts();
        self.heads
            .push_back((stream.0, parts.status, parts.headers, end_stream));
        Ok(())
    }

    /// Encodes and queues the next response head whose stream is still
    /// open (rule 1); true if one was queued.
    fn send_next_head(&mut self) -> bool {
        while let Some((id, status, headers, end)) = self.heads.pop_front() {
            let Some(s) = self.streams.get_mut(&id) else {
                continue; // reset or closed since: nothing is sent
            };
            s.head_pending = false;
            let status = (&b":status"[..], status.as_str().as_bytes(), false);
            let stream = StreamId(id);
            let fields = std::iter::once(status).chain(sent_fields(&headers));
            self.queue_header_block(stream, fields, end);
            if end {
                self.after_end_sent(stream);
            } else {
                // Body chunks queued behind the head may go now.
                self.schedule(id);
            }
            return true;
        }
        false
    }

    /// Queues body bytes (sent without copying, as slices of `data`).
    /// Refused with `BufferFull` while the stream already buffers
    /// `max_send_buffer_size` bytes that flow control has not let out.
    pub fn send_data(
        &mut self,
        stream: StreamId,
        data: Bytes,
        end_stream: bool,
    ) -> Result<(), SendError> {
        let limit = self.cfg.max_send_buffer_size;
        let s = self
            .streams
            .get_mut(&stream.0)
            .ok_or(SendError::UnknownStream)?;
        if s.send != SendState::Open {
            return Err(SendError::InvalidState);
        }
        if s.out_bytes >= limit {
            return Err(SendError::BufferFull);
        }
        s.out_bytes += data.len();
        s.out.push_back(Chunk::Data(data, end_stream));
        if end_stream {
            s.send = SendState::Done;
        }
        self.schedule(stream.0);
        Ok(())
    }

    /// Queues trailers; they end the response. Refused on a CONNECT
    /// stream, which carries only DATA once connected (§8.5).
    pub fn send_trailers(
        &mut self,
        stream: StreamId,
        trailers: HeaderMap,
    ) -> Result<(), SendError> {
        let s = self
            .streams
            .get_mut(&stream.0)
            .ok_or(SendError::UnknownStream)?;
        if s.send != SendState::Open || s.connect {
            return Err(SendError::InvalidState);
        }
        s.send = SendState::Done;
        s.out.push_back(Chunk::Trailers(trailers));
        self.schedule(stream.0);
        Ok(())
    }

    /// Room left in the stream's send buffer (0: wait before `send_data`).
    pub fn send_capacity(&self, stream: StreamId) -> usize {
        self.streams.get(&stream.0).map_or(0, |s| {
            self.cfg.max_send_buffer_size.saturating_sub(s.out_bytes)
        })
    }

    /// Resets a stream from the application (e.g. CANCEL, INTERNAL_ERROR).
    pub fn reset_stream(&mut self, stream: StreamId, reason: Reason) {
        if self.streams.contains_key(&stream.0) {
            self.reset_local(stream, reason, false);
        }
    }

    /// Next frame to write, or `None` when there is nothing to send now.
    /// Frames come as (head, payload) pairs for vectored writes.
    pub fn poll_transmit(&mut self) -> Option<OutFrame> {
        if self.control.is_empty() {
            self.send_next_head();
        }
        if let Some((f, peer_caused)) = self.control.pop_front() {
            self.on_control_sent(peer_caused);
            return Some(f);
        }
        while let Some(id) = self.ready.pop_front() {
            let Some(s) = self.streams.get_mut(&id) else {
                continue;
            };
            s.scheduled = false;
            let stream = StreamId(id);
            let frame = match s.out.pop_front() {
                None => continue,
                Some(Chunk::Trailers(map)) => {
                    self.queue_header_block(stream, sent_fields(&map), true);
                    self.after_end_sent(stream);
                    let (f, peer_caused) = self.control.pop_front().expect("block queued");
                    self.on_control_sent(peer_caused);
                    return Some(f);
                }
                Some(Chunk::Data(mut data, end)) => {
                    let max = (self.peer_max_frame_size as i64)
                        .min(s.send_window)
                        .min(self.send_window)
                        .max(0) as usize;
                    if max == 0 && !data.is_empty() {
                        // Blocked on flow control: a WINDOW_UPDATE reschedules it.
                        s.out.push_front(Chunk::Data(data, end));
                        continue;
                    }
                    let n = max.min(data.len());
                    let rest = data.split_off(n);
                    s.send_window -= n as i64;
                    self.send_window -= n as i64;
                    s.out_bytes -= n;
                    let last = end && rest.is_empty();
                    if !rest.is_empty() {
                        s.out.push_front(Chunk::Data(rest, end));
                    }
                    OutFrame::data(stream, data, last)
                }
            };
            let (end, more) = {
                let s = &self.streams[&id];
                (
                    frame.head().flags & flags::END_STREAM != 0,
                    s.can_send(self.send_window),
                )
            };
            if more {
                self.schedule(id);
            }
            if end {
                self.after_end_sent(stream);
            }
            return Some(frame);
        }
        None
    }

    /// HPACK-encodes `fields` now (the caller sends blocks in encode order)
    /// and queues them as `stream`'s header block.
    fn queue_header_block<'a>(
        &mut self,
        stream: StreamId,
        fields: impl IntoIterator<Item = (&'a [u8], &'a [u8], bool)>,
        end_stream: bool,
    ) {
        let mut block = Vec::new();
        self.encoder.encode(fields, &mut block);
        self.queue_block(stream, Bytes::from(block), end_stream);
    }

    /// Appends a header block as HEADERS + CONTINUATION frames, each within
    /// the peer's SETTINGS_MAX_FRAME_SIZE.
    fn queue_block(&mut self, stream: StreamId, mut block: Bytes, end_stream: bool) {
        let max = self.peer_max_frame_size as usize;
        let mut first = true;
        loop {
            let rest = block.split_off(max.min(block.len()));
            let mut f = if rest.is_empty() {
                flags::END_HEADERS
            } else {
                0
            };
            let k = if first {
                if end_stream {
                    f |= flags::END_STREAM;
                }
                kind::HEADERS
            } else {
                kind::CONTINUATION
            };
            self.control
                .push_back((OutFrame::new(k, f, stream, block), false));
            first = false;
            if rest.is_empty() {
                break;
            }
            block = rest;
        }
    }

    fn schedule(&mut self, id: u32) {
        let window = self.send_window;
        if let Some(s) = self.streams.get_mut(&id) {
            if !s.scheduled && s.can_send(window) {
                s.scheduled = true;
                self.ready.push_back(id);
            }
        }
    }

    /// Our END_STREAM is out (or queued ahead of everything else for it).
    /// If the client is still sending, ask it to stop with
    /// RST_STREAM(NO_ERROR) (§8.1); otherwise the stream is finished.
    fn after_end_sent(&mut self, stream: StreamId) {
        let Some(s) = self.streams.get(&stream.0) else {
            return;
        };
        if !s.out.is_empty() || s.head_pending {
            return;
        }
        if s.recv_closed {
            self.maybe_remove(stream.0);
        } else {
            self.reset_local(stream, Reason::NO_ERROR, false);
        }
    }
}

/// The fields of a response head or trailers as the encoder takes them,
/// without the connection-specific ones (§8.2.2). An iterator, not a list:
/// one allocation fewer a response.
fn sent_fields(map: &HeaderMap) -> impl Iterator<Item = (&[u8], &[u8], bool)> {
    map.iter()
        .filter(|(name, _)| !skip_in_response(name))
        .map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes(), v.is_sensitive()))
}
