//! The server connection state machine (RFC 9113 §3–§6): bytes in, events and
//! frames out, time passed in by the caller.
//!
//! Protocol, in the order the code applies it:
//! 1. The server sends its SETTINGS at once (§3.4) and starts two timers:
//!    the client preface plus first SETTINGS, and the ACK of ours.
//! 2. Input is split into frames; a frame longer than our
//!    SETTINGS_MAX_FRAME_SIZE is a connection FRAME_SIZE_ERROR (§4.2).
//! 3. While a header block is open only its CONTINUATIONs may arrive (§6.10).
//! 4. Every complete header block is HPACK-decoded, even for a stream that is
//!    then refused or ignored, so the decoder stays in step (§4.3).
//! 5. A stream error resets one stream; a connection error queues GOAWAY,
//!    drops all other output and input, and the connection ends once the
//!    GOAWAY is written (§5.4).
//!
//! Every limit from [`Config`] is checked where the resource is spent, and
//! each breach ends in GOAWAY or RST_STREAM with the code named in
//! `server.rs`. How a connection ends (timers, graceful GOAWAY, idle and
//! hard close, failure) is in `lifecycle.rs`.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Request};

use super::headers::{self, RequestHead};
use super::stream::{Closed, Stream};
use crate::error::{ProtoError, Reason};
use crate::frame::{
    DEFAULT_WINDOW, Frame, HEAD_LEN, Head, MAX_WINDOW, OutFrame, Priority, Settings, StreamId,
};
use crate::hpack::{self, Decoder, Encoder};
use crate::server::Config;

/// The client connection preface (§3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How many closed stream ids are remembered to tell late frames apart.
const CLOSED_MEMORY: usize = 256;

/// What the application learns from the connection.
#[derive(Debug)]
pub enum Event {
    /// A new request. Its body, if any, follows as `Data` events.
    Request {
        /// Stream carrying it; answer with `send_response`.
        stream: StreamId,
        /// Method, URI and headers (body type `()`; the body is streamed).
        request: Request<()>,
        /// The request has no body.
        end_stream: bool,
    },
    /// Request body bytes. Call `release_capacity` once consumed: that is
    /// what opens the flow-control window again (back-pressure).
    Data {
        /// Stream.
        stream: StreamId,
        /// The bytes.
        data: Bytes,
        /// Last body bytes.
        end_stream: bool,
    },
    /// Request trailers; the request body is complete.
    Trailers {
        /// Stream.
        stream: StreamId,
        /// The trailer fields.
        trailers: HeaderMap,
    },
    /// The stream was reset (by the client, or by us after a protocol error
    /// in its request body): stop working on it.
    Reset {
        /// Stream.
        stream: StreamId,
        /// Code.
        reason: Reason,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Waiting for this many more octets of the client preface.
    Preface(usize),
    /// Preface read; the first frame must be SETTINGS (§3.4).
    FirstSettings,
    Open,
    /// GOAWAY(NO_ERROR) sent: finish streams up to `last`, then close.
    Draining,
    /// GOAWAY with an error queued: write it, then close.
    Failing,
    Closed,
}

/// A header block waiting for CONTINUATION frames.
#[derive(Debug)]
pub(super) struct PartialBlock {
    stream: StreamId,
    buf: BytesMut,
    end_stream: bool,
    priority: Option<Priority>,
    continuations: u32,
}

/// An HTTP/2 server connection without I/O. Feed it bytes with
/// [`recv`](Self::recv), take [`Event`]s with [`poll_event`](Self::poll_event),
/// answer with `send_response`/`send_data`, and write what
/// [`poll_transmit`](Self::poll_transmit) returns.
#[derive(Debug)]
pub struct Connection {
    pub(super) cfg: Config,
    pub(super) phase: Phase,
    pub(super) preface_deadline: Option<Instant>,
    pub(super) settings_deadline: Option<Instant>,
    read_buf: BytesMut,
    /// Frames ahead of stream data: control frames and header blocks, in
    /// HPACK order. The flag marks frames the peer caused (flood accounting).
    pub(super) control: VecDeque<(OutFrame, bool)>,
    pub(super) peer_caused_queued: usize,
    pub(super) streams: super::IdMap<Stream>,
    pub(super) ready: VecDeque<u32>,
    /// Response heads (stream, status, fields, END_STREAM) waiting to be
    /// encoded and sent, in the order the application gave them (send.rs
    /// rule 1). Its capacity is reused, so a response allocates nothing
    /// here.
    pub(super) heads: VecDeque<(u32, http::StatusCode, http::HeaderMap, bool)>,
    closed: VecDeque<(u32, Closed)>,
    pub(super) events: VecDeque<Event>,
    decoder: Decoder,
    pub(super) encoder: Encoder,
    pub(super) peer_max_frame_size: u32,
    peer_initial_window: u32,
    pub(super) send_window: i64,
    pub(super) recv_window: i64,
    pub(super) recv_unacked: u32,
    pub(super) last_peer_stream: u32,
    pub(super) goaway_last: Option<u32>,
    /// Set between the first and the final GOAWAY of a graceful shutdown:
    /// when the final one goes out even without the PING's ACK.
    pub(super) ping_deadline: Option<Instant>,
    /// When the connection is cut off, in-flight streams or not
    /// ([`close_at`](Self::close_at)).
    pub(super) close_deadline: Option<Instant>,
    /// When an idle connection is closed; `None` while streams are open.
    pub(super) idle_deadline: Option<Instant>,
    /// Frames arrived or a stream ended since the idle clock last read
    /// the time: the next `handle_timeout` restarts it from its `now`.
    pub(super) idle_touched: bool,
    pub(super) peer_goaway: bool,
    pub(super) block: Option<PartialBlock>,
    /// The decoded fields of the header block at hand: one list per
    /// connection, emptied into each request's `HeaderMap`, so a request
    /// costs no list allocation (docs/http2.md, "Per-request allocations").
    fields: Vec<hpack::Header>,
    pending_accept_resets: usize,
    local_error_resets: usize,
    empty_frames: u32,
    pub(super) error: Option<Reason>,
}

impl Connection {
    /// A connection with `cfg`; queues the server preface (our SETTINGS).
    pub fn new(cfg: Config, now: Instant) -> Connection {
        let settings = Settings {
            header_table_size: Some(cfg.header_table_size),
            enable_push: Some(0),
            max_concurrent_streams: Some(cfg.max_concurrent_streams),
            initial_window_size: Some(cfg.initial_stream_window),
            max_frame_size: Some(cfg.max_frame_size),
            max_header_list_size: Some(cfg.max_header_list_size),
            enable_connect_protocol: None,
        };
        let mut control = VecDeque::new();
        control.push_back((OutFrame::settings(&settings), false));
        let extra = cfg.initial_connection_window - DEFAULT_WINDOW;
        if extra > 0 {
            control.push_back((OutFrame::window_update(StreamId::ZERO, extra), false));
        }
        Connection {
            // Until our SETTINGS is acknowledged the client may use the
            // default table size (§6.5.3), so allow the larger of the two.
            decoder: Decoder::new(cfg.header_table_size.max(4096) as usize),
            encoder: Encoder::default(),
            phase: Phase::Preface(PREFACE.len()),
            preface_deadline: Some(now + cfg.preface_timeout),
            settings_deadline: Some(now + cfg.settings_timeout),
            read_buf: BytesMut::new(),
            control,
            peer_caused_queued: 0,
            streams: super::IdMap::default(),
            ready: VecDeque::new(),
            heads: VecDeque::new(),
            closed: VecDeque::new(),
            events: VecDeque::new(),
            peer_max_frame_size: crate::frame::DEFAULT_MAX_FRAME_SIZE,
            peer_initial_window: DEFAULT_WINDOW,
            send_window: DEFAULT_WINDOW as i64,
            recv_window: cfg.initial_connection_window as i64,
            recv_unacked: 0,
            last_peer_stream: 0,
            goaway_last: None,
            ping_deadline: None,
            close_deadline: None,
            idle_deadline: cfg.idle_timeout.map(|t| now + t),
            idle_touched: false,
            peer_goaway: false,
            block: None,
            // Room for a typical request (pseudo-headers plus a dozen
            // fields), so the common block never regrows it.
            fields: Vec::with_capacity(16),
            pending_accept_resets: 0,
            local_error_resets: 0,
            empty_frames: 0,
            error: None,
            cfg,
        }
    }

    /// True once the connection is over: the binding closes the socket
    /// after writing whatever `poll_transmit` still returns.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// True while input is still wanted.
    pub fn wants_read(&self) -> bool {
        !matches!(self.phase, Phase::Failing | Phase::Closed)
    }

    /// The error code of the GOAWAY this side sent, if it failed the connection.
    pub fn error(&self) -> Option<Reason> {
        self.error
    }

    /// Number of open or half-closed streams.
    pub fn open_streams(&self) -> usize {
        self.streams.len()
    }

    /// Bytes read but not yet parsed (bounded by one frame).
    pub fn buffered_input(&self) -> usize {
        self.read_buf.len()
    }

    /// Next event for the application.
    pub fn poll_event(&mut self) -> Option<Event> {
        let ev = self.events.pop_front()?;
        if let Event::Request { stream, .. } = &ev {
            if let Some(s) = self.streams.get_mut(&stream.0) {
                s.accepted = true;
            }
            // Progress: the application is taking work, so earlier resets
            // were not all free for the peer (rapid-reset accounting).
            self.pending_accept_resets = self.pending_accept_resets.saturating_sub(1);
        }
        Some(ev)
    }

    /// Feeds bytes read from the transport.
    pub fn recv(&mut self, mut data: &[u8]) {
        if !self.wants_read() {
            return;
        }
        if let Phase::Preface(left) = self.phase {
            let at = PREFACE.len() - left;
            let n = left.min(data.len());
            if data[..n] != PREFACE[at..at + n] {
                self.fail(Reason::PROTOCOL_ERROR);
                return;
            }
            data = &data[n..];
            self.phase = if n == left {
                Phase::FirstSettings
            } else {
                Phase::Preface(left - n)
            };
            if n < left {
                return;
            }
        }
        self.read_buf.extend_from_slice(data);
        while self.wants_read() && self.read_buf.len() >= HEAD_LEN {
            let head = Head::parse(self.read_buf[..HEAD_LEN].try_into().expect("9 octets"));
            if head.len > self.cfg.max_frame_size {
                self.fail(Reason::FRAME_SIZE_ERROR);
                break;
            }
            let total = HEAD_LEN + head.len as usize;
            if self.read_buf.len() < total {
                // Reserve once so a large frame does not regrow the buffer
                // byte by byte; bounded by max_frame_size.
                self.read_buf.reserve(total - self.read_buf.len());
                break;
            }
            let mut frame = self.read_buf.split_to(total);
            let payload = frame.split_off(HEAD_LEN).freeze();
            self.idle_touched = true;
            let result = Frame::parse(head, payload).and_then(|f| self.on_frame(f));
            match result {
                Ok(()) => {}
                Err(ProtoError::Connection(r)) => self.fail(r),
                // §6.4: no RST_STREAM for an idle stream (a PRIORITY of the
                // wrong length can name one, §6.3); §5.4.1 lets a stream
                // error be a connection error instead.
                Err(ProtoError::Stream(id, r)) if self.is_idle(id) => self.fail(r),
                Err(ProtoError::Stream(id, r)) => self.reset_local(id, r, true),
            }
        }
        if !self.wants_read() {
            self.read_buf = BytesMut::new();
        }
    }

    fn on_frame(&mut self, frame: Frame) -> Result<(), ProtoError> {
        use ProtoError::Connection as C;
        if self.phase == Phase::FirstSettings {
            if !matches!(frame, Frame::Settings(_)) {
                return Err(C(Reason::PROTOCOL_ERROR));
            }
            self.phase = Phase::Open;
            self.preface_deadline = None;
        }
        if let Some(block) = &self.block {
            match &frame {
                Frame::Continuation { stream, .. } if *stream == block.stream => {}
                _ => return Err(C(Reason::PROTOCOL_ERROR)),
            }
        }
        match frame {
            Frame::Data {
                stream,
                data,
                end_stream,
                flow_len,
            } => self.on_data(stream, data, end_stream, flow_len),
            Frame::Headers {
                stream,
                fragment,
                end_stream,
                end_headers,
                priority,
            } => {
                if !stream.is_client_initiated() {
                    return Err(C(Reason::PROTOCOL_ERROR));
                }
                if fragment.is_empty() && !end_headers {
                    self.empty_frame()?;
                }
                let block = PartialBlock {
                    stream,
                    buf: BytesMut::from(&fragment[..]),
                    end_stream,
                    priority,
                    continuations: 0,
                };
                self.check_block_size(block.buf.len())?;
                if end_headers {
                    self.on_header_block(block)
                } else {
                    self.block = Some(block);
                    Ok(())
                }
            }
            Frame::Continuation {
                fragment,
                end_headers,
                ..
            } => {
                let Some(mut block) = self.block.take() else {
                    return Err(C(Reason::PROTOCOL_ERROR));
                };
                if fragment.is_empty() && !end_headers {
                    self.empty_frame()?;
                }
                block.continuations += 1;
                if block.continuations > self.cfg.max_continuation_frames {
                    return Err(C(Reason::ENHANCE_YOUR_CALM));
                }
                self.check_block_size(block.buf.len() + fragment.len())?;
                block.buf.extend_from_slice(&fragment);
                if end_headers {
                    self.on_header_block(block)
                } else {
                    self.block = Some(block);
                    Ok(())
                }
            }
            Frame::Priority { .. } => Ok(()),
            Frame::RstStream { stream, reason } => self.on_rst_stream(stream, reason),
            Frame::Settings(s) => self.on_settings(s),
            Frame::SettingsAck => {
                if self.settings_deadline.take().is_some() {
                    self.decoder
                        .set_max_table_size(self.cfg.header_table_size as usize);
                }
                Ok(())
            }
            Frame::PushPromise { .. } => Err(C(Reason::PROTOCOL_ERROR)),
            Frame::Ping { ack, payload } => {
                if !ack {
                    self.queue_peer_caused(OutFrame::ping(true, payload))?;
                } else if payload == super::lifecycle::SHUTDOWN_PING {
                    self.finish_go_away();
                }
                Ok(())
            }
            Frame::GoAway { .. } => {
                self.peer_goaway = true;
                self.maybe_finish();
                Ok(())
            }
            Frame::WindowUpdate { stream, increment } => self.on_window_update(stream, increment),
            Frame::Unknown { .. } => Ok(()),
        }
    }

    fn check_block_size(&self, len: usize) -> Result<(), ProtoError> {
        // A wire block is never larger than its decoded list (each field
        // costs 32 octets there), so a block past the list limit is abuse.
        if len > self.cfg.max_header_list_size as usize {
            return Err(ProtoError::Connection(Reason::ENHANCE_YOUR_CALM));
        }
        Ok(())
    }

    fn empty_frame(&mut self) -> Result<(), ProtoError> {
        self.empty_frames += 1;
        if self.empty_frames > self.cfg.max_empty_frames {
            return Err(ProtoError::Connection(Reason::ENHANCE_YOUR_CALM));
        }
        Ok(())
    }

    fn closed_kind(&self, id: u32) -> Option<Closed> {
        self.closed
            .iter()
            .rev()
            .find(|(s, _)| *s == id)
            .map(|(_, k)| *k)
    }

    fn on_header_block(&mut self, block: PartialBlock) -> Result<(), ProtoError> {
        let PartialBlock {
            stream,
            buf,
            end_stream,
            priority,
            ..
        } = block;
        // The connection's list, taken for this block and put back empty
        // by the paths that build a request or trailers (the rare paths
        // that return early drop it, and the next block allocates anew).
        let mut fields = std::mem::take(&mut self.fields);
        fields.clear();
        let limit = self.cfg.max_header_list_size as usize;
        let outcome = self
            .decoder
            .decode(&buf.freeze(), limit, |h| fields.push(h))
            .map_err(|_| ProtoError::Connection(Reason::COMPRESSION_ERROR))?;
        if !fields.is_empty() {
            self.empty_frames = 0;
        }
        let id = stream.0;
        if self.streams.contains_key(&id) {
            let done = self.on_trailers(stream, fields.drain(..), end_stream, outcome.oversized);
            self.fields = fields;
            return done;
        }
        if id <= self.last_peer_stream {
            return match self.closed_kind(id) {
                Some(Closed::LocalReset) => Ok(()),
                Some(Closed::PeerReset) => Err(ProtoError::Stream(stream, Reason::STREAM_CLOSED)),
                Some(Closed::Finished) => Err(ProtoError::Connection(Reason::STREAM_CLOSED)),
                // Never opened: ids must increase (§5.1.1).
                None => Err(ProtoError::Connection(Reason::PROTOCOL_ERROR)),
            };
        }
        self.last_peer_stream = id;
        if self.goaway_last.is_some_and(|last| id > last) || self.peer_goaway {
            // After our GOAWAY, newer streams are ignored (§6.8).
            return Ok(());
        }
        if priority.is_some_and(|p| p.dependency == stream) {
            return Err(ProtoError::Stream(stream, Reason::PROTOCOL_ERROR));
        }
        if self.streams.len() >= self.cfg.max_concurrent_streams as usize {
            return Err(ProtoError::Stream(stream, Reason::REFUSED_STREAM));
        }
        if outcome.oversized {
            self.reject_oversized(stream, end_stream);
            return Ok(());
        }
        let head = headers::request_head(fields.drain(..));
        self.fields = fields;
        let head = head.map_err(|_| ProtoError::Stream(stream, Reason::PROTOCOL_ERROR))?;
        if end_stream && head.content_length.is_some_and(|n| n != 0) {
            return Err(ProtoError::Stream(stream, Reason::PROTOCOL_ERROR));
        }
        self.open_stream(stream, head, end_stream);
        Ok(())
    }

    /// Opens a validated request's stream and queues its event.
    pub(super) fn open_stream(&mut self, stream: StreamId, head: RequestHead, end_stream: bool) {
        let mut s = Stream::new(
            self.cfg.initial_stream_window,
            self.peer_initial_window,
            head.content_length,
        );
        s.recv_closed = end_stream;
        s.connect = head.request.method() == http::Method::CONNECT;
        self.streams.insert(stream.0, s);
        self.events.push_back(Event::Request {
            stream,
            request: head.request,
            end_stream,
        });
    }

    /// Answers a request whose header list passed the limit with 431
    /// (RFC 6585) instead of failing the connection (§10.5.1).
    fn reject_oversized(&mut self, stream: StreamId, end_stream: bool) {
        let mut block = Vec::new();
        self.encoder
            .encode([(&b":status"[..], &b"431"[..], false)], &mut block);
        let f = OutFrame::new(
            crate::frame::kind::HEADERS,
            crate::frame::flags::END_HEADERS | crate::frame::flags::END_STREAM,
            stream,
            Bytes::from(block),
        );
        self.control.push_back((f, false));
        if end_stream {
            self.remember_closed(stream.0, Closed::Finished);
        } else {
            // Stop the body we will not read (§8.1).
            self.control
                .push_back((OutFrame::rst_stream(stream, Reason::NO_ERROR), false));
            self.remember_closed(stream.0, Closed::LocalReset);
        }
    }

    fn on_trailers(
        &mut self,
        stream: StreamId,
        fields: impl Iterator<Item = hpack::Header>,
        end_stream: bool,
        oversized: bool,
    ) -> Result<(), ProtoError> {
        let s = self.streams.get(&stream.0).expect("checked by caller");
        if s.recv_closed {
            return Err(ProtoError::Stream(stream, Reason::STREAM_CLOSED));
        }
        // A second HEADERS must end the stream (§8.1), and trailers carry no
        // pseudo-headers; content-length must then match (§8.1.1). A CONNECT
        // stream carries only DATA and stream management frames (§8.5).
        if !end_stream
            || oversized
            || s.connect
            || s.content_length.is_some_and(|n| n != s.received)
        {
            return Err(ProtoError::Stream(stream, Reason::PROTOCOL_ERROR));
        }
        let trailers = headers::trailers(fields)
            .map_err(|_| ProtoError::Stream(stream, Reason::PROTOCOL_ERROR))?;
        self.streams
            .get_mut(&stream.0)
            .expect("present")
            .recv_closed = true;
        self.events.push_back(Event::Trailers { stream, trailers });
        self.maybe_remove(stream.0);
        Ok(())
    }

    pub(super) fn on_data(
        &mut self,
        stream: StreamId,
        data: Bytes,
        end_stream: bool,
        flow_len: u32,
    ) -> Result<(), ProtoError> {
        let id = stream.0;
        if flow_len as i64 > self.recv_window {
            return Err(ProtoError::Connection(Reason::FLOW_CONTROL_ERROR));
        }
        self.recv_window -= flow_len as i64;
        if data.is_empty() && !end_stream {
            self.empty_frame()?;
        } else if !data.is_empty() {
            self.empty_frames = 0;
        }
        let Some(s) = self.streams.get_mut(&id) else {
            // Not open: give the connection window back whatever we decide.
            self.release_connection(flow_len);
            // Idle (§5.1): above every stream the client opened, or even,
            // which only a server opens and this one never does.
            if id > self.last_peer_stream || !stream.is_client_initiated() {
                return Err(ProtoError::Connection(Reason::PROTOCOL_ERROR));
            }
            if self.goaway_last.is_some_and(|last| id > last) {
                return Ok(()); // a stream we ignored after our GOAWAY (§6.8)
            }
            return match self.closed_kind(id) {
                Some(Closed::LocalReset) => Ok(()),
                Some(Closed::Finished) => Err(ProtoError::Connection(Reason::STREAM_CLOSED)),
                _ => Err(ProtoError::Stream(stream, Reason::STREAM_CLOSED)),
            };
        };
        if s.recv_closed {
            self.release_connection(flow_len);
            return Err(ProtoError::Stream(stream, Reason::STREAM_CLOSED));
        }
        if flow_len as i64 > s.recv_window {
            self.release_connection(flow_len);
            return Err(ProtoError::Stream(stream, Reason::FLOW_CONTROL_ERROR));
        }
        s.recv_window -= flow_len as i64;
        s.received += data.len() as u64;
        let padding = flow_len - data.len() as u32;
        s.recv_held += data.len() as u64;
        let bad_length = match s.content_length {
            Some(n) => s.received > n || (end_stream && s.received != n),
            None => false,
        };
        if bad_length {
            return Err(ProtoError::Stream(stream, Reason::PROTOCOL_ERROR));
        }
        s.recv_closed = end_stream;
        if padding > 0 {
            // Padding is never delivered, so it is released at once.
            s.recv_held += padding as u64;
            self.release_capacity(stream, padding as usize);
        }
        if !data.is_empty() || end_stream {
            self.events.push_back(Event::Data {
                stream,
                data,
                end_stream,
            });
        }
        if end_stream {
            self.maybe_remove(id);
        }
        Ok(())
    }

    fn on_rst_stream(&mut self, stream: StreamId, reason: Reason) -> Result<(), ProtoError> {
        let id = stream.0;
        if id > self.last_peer_stream || !stream.is_client_initiated() {
            return Err(ProtoError::Connection(Reason::PROTOCOL_ERROR)); // idle (§6.4)
        }
        let Some(s) = self.streams.remove(&id) else {
            return Ok(());
        };
        self.idle_touched = true;
        self.release_held(&s);
        self.remember_closed(id, Closed::PeerReset);
        if s.accepted {
            self.events.push_back(Event::Reset { stream, reason });
        } else {
            // The request never reached the application: drop its events.
            // Streams reset before acceptance are what rapid reset abuses.
            self.events.retain(|e| !event_is_for(e, stream));
            self.pending_accept_resets += 1;
            if self.pending_accept_resets > self.cfg.max_pending_accept_reset_streams {
                return Err(ProtoError::Connection(Reason::ENHANCE_YOUR_CALM));
            }
        }
        self.maybe_finish();
        Ok(())
    }

    fn on_settings(&mut self, s: Settings) -> Result<(), ProtoError> {
        self.apply_settings(s)?;
        self.queue_peer_caused(OutFrame::settings_ack())
    }

    /// Applies the peer's settings (without the ACK, which an upgrade's
    /// `HTTP2-Settings` does not get: the 101 acknowledges them).
    pub(super) fn apply_settings(&mut self, s: Settings) -> Result<(), ProtoError> {
        if let Some(size) = s.header_table_size {
            self.encoder.set_max_table_size(size as usize);
        }
        if let Some(size) = s.max_frame_size {
            self.peer_max_frame_size = size;
        }
        if let Some(w) = s.initial_window_size {
            // §6.9.2: adjust every stream window by the difference.
            let delta = w as i64 - self.peer_initial_window as i64;
            self.peer_initial_window = w;
            for (id, st) in self.streams.iter_mut() {
                st.send_window += delta;
                if st.send_window > MAX_WINDOW as i64 {
                    return Err(ProtoError::Connection(Reason::FLOW_CONTROL_ERROR));
                }
                if delta > 0 && st.can_send(self.send_window) && !st.scheduled {
                    st.scheduled = true;
                    self.ready.push_back(*id);
                }
            }
        }
        Ok(())
    }

    /// Queues a frame the peer made us send, enforcing the queue cap.
    fn queue_peer_caused(&mut self, f: OutFrame) -> Result<(), ProtoError> {
        if self.peer_caused_queued >= self.cfg.max_queued_control_frames {
            return Err(ProtoError::Connection(Reason::ENHANCE_YOUR_CALM));
        }
        self.peer_caused_queued += 1;
        self.control.push_back((f, true));
        Ok(())
    }

    /// Resets a stream from our side. `error` marks resets caused by the
    /// peer's mistakes, which are capped (reset flood, MadeYouReset).
    /// A stream the client has not opened (§5.1 "idle"): above the last
    /// one it opened, or even-numbered (only a server opens those, and this
    /// one never does).
    fn is_idle(&self, stream: StreamId) -> bool {
        stream.0 > self.last_peer_stream || !stream.is_client_initiated()
    }

    pub(super) fn reset_local(&mut self, stream: StreamId, reason: Reason, error: bool) {
        if error {
            self.local_error_resets += 1;
            if self.local_error_resets > self.cfg.max_local_error_resets {
                self.fail(Reason::ENHANCE_YOUR_CALM);
                return;
            }
        }
        if let Some(s) = self.streams.remove(&stream.0) {
            self.idle_touched = true;
            self.release_held(&s);
            if s.accepted {
                self.events.push_back(Event::Reset { stream, reason });
            } else {
                self.events.retain(|e| !event_is_for(e, stream));
            }
        }
        self.remember_closed(stream.0, Closed::LocalReset);
        if let Err(ProtoError::Connection(r)) =
            self.queue_peer_caused(OutFrame::rst_stream(stream, reason))
        {
            self.fail(r);
        }
        self.maybe_finish();
    }

    fn remember_closed(&mut self, id: u32, how: Closed) {
        if self.closed.len() == CLOSED_MEMORY {
            self.closed.pop_front();
        }
        self.closed.push_back((id, how));
    }

    /// Removes a stream that has finished both ways.
    pub(super) fn maybe_remove(&mut self, id: u32) {
        if self.streams.get(&id).is_some_and(Stream::is_finished) {
            let s = self.streams.remove(&id).expect("present");
            self.idle_touched = true;
            self.release_held(&s);
            self.remember_closed(id, Closed::Finished);
            self.maybe_finish();
        }
    }
}

fn event_is_for(e: &Event, s: StreamId) -> bool {
    match e {
        Event::Request { stream, .. }
        | Event::Data { stream, .. }
        | Event::Trailers { stream, .. }
        | Event::Reset { stream, .. } => *stream == s,
    }
}
