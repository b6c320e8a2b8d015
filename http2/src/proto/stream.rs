//! Per-stream state (RFC 9113 §5.1) as seen by a server.
//!
//! A server never pushes, so only client-initiated streams exist, and their
//! life is: idle → (HEADERS) open → half-closed(remote) on END_STREAM from
//! the client / half-closed(local) when our END_STREAM leaves → closed. A
//! stream is kept in the connection's map exactly while it is open or
//! half-closed, which is also what MAX_CONCURRENT_STREAMS counts (§5.1.2).

use std::collections::VecDeque;

use bytes::Bytes;
use http::HeaderMap;

/// Outgoing work of a stream, in order.
#[derive(Debug)]
pub enum Chunk {
    /// Body bytes; the last chunk may carry END_STREAM.
    Data(Bytes, bool),
    /// Trailers, encoded only when reached so HPACK order equals wire order.
    Trailers(HeaderMap),
}

/// Where the response stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendState {
    /// No response HEADERS yet.
    Idle,
    /// HEADERS sent, body may follow.
    Open,
    /// END_STREAM queued or sent: nothing more may be added.
    Done,
}

#[derive(Debug)]
pub struct Stream {
    /// END_STREAM received from the client.
    pub recv_closed: bool,
    /// The application has taken this stream's Request event.
    pub accepted: bool,
    /// What the client may still send before our next WINDOW_UPDATE.
    pub recv_window: i64,
    /// Bytes released by the application but not yet given back by WINDOW_UPDATE.
    pub recv_unacked: u32,
    /// Bytes counted against the connection window and not yet released.
    pub recv_held: u64,
    /// A CONNECT request: no trailers either way (§8.5).
    pub connect: bool,
    /// Declared content-length and body bytes received so far (§8.1.1).
    pub content_length: Option<u64>,
    pub received: u64,

    pub send: SendState,
    /// May go negative after a SETTINGS_INITIAL_WINDOW_SIZE decrease (§6.9.2).
    pub send_window: i64,
    pub out: VecDeque<Chunk>,
    pub out_bytes: usize,
    /// Queued in the connection's ready list.
    pub scheduled: bool,
    /// The response head waits in the connection's head queue; nothing
    /// else of the stream may leave before it (send.rs rule 1).
    pub head_pending: bool,
}

impl Stream {
    pub fn new(recv_window: u32, send_window: u32, content_length: Option<u64>) -> Stream {
        Stream {
            recv_closed: false,
            accepted: false,
            connect: false,
            recv_window: recv_window as i64,
            recv_unacked: 0,
            recv_held: 0,
            content_length,
            received: 0,
            send: SendState::Idle,
            send_window: send_window as i64,
            out: VecDeque::new(),
            out_bytes: 0,
            scheduled: false,
            head_pending: false,
        }
    }

    /// Both directions finished and nothing left to transmit.
    pub fn is_finished(&self) -> bool {
        self.recv_closed
            && self.send == SendState::Done
            && self.out.is_empty()
            && !self.head_pending
    }

    /// Has transmittable work given `conn_window`.
    pub fn can_send(&self, conn_window: i64) -> bool {
        match self.out.front() {
            _ if self.head_pending => false,
            None => false,
            Some(Chunk::Trailers(_)) => true,
            Some(Chunk::Data(b, _)) if b.is_empty() => true,
            Some(Chunk::Data(..)) => self.send_window > 0 && conn_window > 0,
        }
    }
}

/// How a stream that is no longer in the map was closed; decides the error
/// for late frames (§5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// Both sides ended normally: later frames are a connection STREAM_CLOSED.
    Finished,
    /// The client reset it: later frames are a stream STREAM_CLOSED.
    PeerReset,
    /// We reset it: frames already in flight are ignored (§5.4.2).
    LocalReset,
}
