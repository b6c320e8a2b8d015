//! The start of a cleartext connection: HTTP/2 with prior knowledge, or
//! HTTP/1.1 `Upgrade: h2c` (RFC 7540 §3.2; RFC 9113 §3.1 keeps it only as
//! a note, clients such as curl still send it). Sans-IO like the rest:
//! bytes in, one [`Sniffed`] outcome out.
//!
//! Protocol, in the order [`Handshake::recv`] applies it:
//! 1. While the bytes read are a prefix of the client preface, wait; once
//!    the whole preface is there it is prior knowledge, and every byte read
//!    goes to a fresh [`Connection`].
//! 2. Otherwise they are an HTTP/1.1 request head, read up to the blank
//!    line and at most `max_header_list_size` octets (else 431).
//! 3. The head must be strict HTTP/1.1 (400; another version: 505), ask
//!    for `Upgrade: h2c` (else 426, naming h2c), list `Upgrade` and
//!    `HTTP2-Settings` in `Connection`, and carry exactly one
//!    `HTTP2-Settings`: base64url of a valid SETTINGS payload (else 400).
//! 4. Its body must be read before switching (§3.2). Only a
//!    `Content-Length` body of at most [`MAX_UPGRADE_BODY`] is taken (413
//!    above it, 411 for any `Transfer-Encoding`).
//! 5. Accepted: the answer is `101 Switching Protocols`; the connection is
//!    built with the decoded settings applied (the 101 is their ACK), and
//!    the request becomes stream 1, half-closed (remote) with its body
//!    already received. The client's preface is expected next, and every
//!    byte read after the body is fed to the connection.
//!
//! A refusal is one HTTP/1.1 response with `Connection: close`; the
//! binding writes it and closes. Memory is bounded by the head limit plus
//! [`MAX_UPGRADE_BODY`].

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use http::StatusCode;

use super::connection::{Connection, PREFACE};
use super::headers;
use super::http1::{self, Head};
use crate::frame::{DEFAULT_WINDOW, Settings, StreamId};
use crate::hpack::Header;
use crate::server::Config;

/// The largest request body an upgrade request may carry: what an HTTP/2
/// client may send on a stream before any WINDOW_UPDATE (§6.9.2), so the
/// upgraded stream's accounting stays within its windows.
pub const MAX_UPGRADE_BODY: usize = DEFAULT_WINDOW as usize;

/// The answer that switches the connection to HTTP/2.
pub const SWITCHING_PROTOCOLS: &[u8] =
    b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";

/// How a cleartext connection starts; see the module header.
#[derive(Debug)]
pub enum Sniffed {
    /// The client sent the HTTP/2 preface: the connection has been fed
    /// every byte read so far.
    PriorKnowledge(Connection),
    /// `Upgrade: h2c` accepted: write [`SWITCHING_PROTOCOLS`], then drive
    /// the connection, which holds the request as stream 1 and has been fed
    /// the bytes read after it.
    Upgraded(Connection),
    /// Not HTTP/2: write the response, then close.
    Refused(Refusal),
}

/// Why an HTTP/1.1 request was not upgraded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefuseReason {
    /// Not an HTTP/1.x request head, or a field HTTP/2 cannot carry.
    Malformed,
    /// The head exceeds the header list limit.
    HeadTooLarge,
    /// HTTP/1.0, HTTP/2.0 written as text, or another version.
    Version,
    /// No `Upgrade: h2c`: a plain HTTP/1.1 request.
    NotUpgrade,
    /// `Connection` lacks `Upgrade` or `HTTP2-Settings`.
    ConnectionTokens,
    /// No `HTTP2-Settings` field.
    MissingSettings,
    /// More than one `HTTP2-Settings` field.
    DuplicateSettings,
    /// `HTTP2-Settings` is not base64url of a valid SETTINGS payload.
    BadSettings,
    /// A body framed by `Transfer-Encoding` (chunked).
    Chunked,
    /// A `Content-Length` that is not one number.
    BadContentLength,
    /// A body longer than [`MAX_UPGRADE_BODY`].
    BodyTooLarge,
}

impl RefuseReason {
    /// The HTTP/1.1 status answered.
    pub fn status(self) -> StatusCode {
        match self {
            RefuseReason::HeadTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            RefuseReason::Version => StatusCode::HTTP_VERSION_NOT_SUPPORTED,
            RefuseReason::NotUpgrade => StatusCode::UPGRADE_REQUIRED,
            RefuseReason::Chunked => StatusCode::LENGTH_REQUIRED,
            RefuseReason::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn text(self) -> &'static str {
        match self {
            RefuseReason::Malformed => "malformed HTTP/1.1 request",
            RefuseReason::HeadTooLarge => "request head too large",
            RefuseReason::Version => "this server speaks HTTP/2 (h2c) only",
            RefuseReason::NotUpgrade => {
                "this server speaks HTTP/2 only: use prior knowledge or Upgrade: h2c"
            }
            RefuseReason::ConnectionTokens => "Connection must list Upgrade and HTTP2-Settings",
            RefuseReason::MissingSettings => "HTTP2-Settings missing",
            RefuseReason::DuplicateSettings => "more than one HTTP2-Settings",
            RefuseReason::BadSettings => "HTTP2-Settings is not a valid SETTINGS payload",
            RefuseReason::Chunked => "an upgrade request body needs Content-Length",
            RefuseReason::BadContentLength => "invalid Content-Length",
            RefuseReason::BodyTooLarge => "upgrade request body too large",
        }
    }
}

/// An HTTP/1.1 refusal: its reason and the bytes to write.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// Why.
    pub reason: RefuseReason,
    /// The whole response, `Connection: close`.
    pub response: Bytes,
}

impl Refusal {
    fn new(reason: RefuseReason) -> Refusal {
        let status = reason.status();
        let text = reason.text();
        let upgrade = if reason == RefuseReason::NotUpgrade {
            "Upgrade: h2c\r\n" // RFC 9110 §15.5.22: a 426 names the protocol
        } else {
            ""
        };
        let response = format!(
            "HTTP/1.1 {} {}\r\n{upgrade}Content-Type: text/plain\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{text}\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            text.len() + 1,
        );
        Refusal {
            reason,
            response: Bytes::from(response),
        }
    }
}

/// A request head accepted for upgrade, waiting for its body.
#[derive(Debug)]
struct Pending {
    settings: Settings,
    fields: Vec<Header>,
    body_len: usize,
}

/// Reads the first bytes of a cleartext connection; see the module header.
#[derive(Debug)]
pub struct Handshake {
    cfg: Config,
    now: Instant,
    buf: BytesMut,
    /// How far the search for the head's end got.
    scanned: usize,
    /// Set once the head is accepted; the body follows in `buf`.
    pending: Option<Pending>,
    done: bool,
}

impl Handshake {
    /// A handshake for a connection accepted at `now`.
    pub fn new(cfg: Config, now: Instant) -> Handshake {
        Handshake {
            cfg,
            now,
            buf: BytesMut::new(),
            scanned: 0,
            pending: None,
            done: false,
        }
    }

    /// When to give up waiting for the client (the preface timeout).
    pub fn deadline(&self) -> Instant {
        self.now + self.cfg.preface_timeout
    }

    /// Feeds bytes read; `Some` once the start is decided (then the
    /// handshake is spent and ignores further input).
    pub fn recv(&mut self, data: &[u8]) -> Option<Sniffed> {
        if self.done {
            return None;
        }
        let outcome = self.step(data);
        self.done = outcome.is_some();
        outcome
    }

    fn step(&mut self, data: &[u8]) -> Option<Sniffed> {
        if self.pending.is_none() && self.buf.is_empty() {
            // The common case, prior knowledge in the first read: no copy.
            let n = data.len().min(PREFACE.len());
            if n == PREFACE.len() && data[..n] == PREFACE[..] {
                return Some(Sniffed::PriorKnowledge(self.prior_knowledge(data)));
            }
        }
        self.buf.extend_from_slice(data);
        if self.pending.is_none() {
            let n = self.buf.len().min(PREFACE.len());
            if self.buf[..n] == PREFACE[..n] {
                if n < PREFACE.len() {
                    return None;
                }
                let buf = std::mem::take(&mut self.buf);
                return Some(Sniffed::PriorKnowledge(self.prior_knowledge(&buf)));
            }
            let limit = self.cfg.max_header_list_size as usize;
            let Some(end) = http1::head_end(&self.buf, self.scanned) else {
                if self.buf.len() > limit {
                    return Some(refuse(RefuseReason::HeadTooLarge));
                }
                self.scanned = self.buf.len();
                return None;
            };
            if end > limit {
                return Some(refuse(RefuseReason::HeadTooLarge));
            }
            let head = self.buf.split_to(end).freeze();
            match accept(head, limit) {
                Ok(p) => self.pending = Some(p),
                Err(r) => return Some(refuse(r)),
            }
        }
        let need = self.pending.as_ref().map_or(0, |p| p.body_len);
        if self.buf.len() < need {
            return None;
        }
        let pending = self.pending.take()?;
        let body = self.buf.split_to(need).freeze();
        match self.upgraded(pending, body) {
            Ok(conn) => Some(Sniffed::Upgraded(conn)),
            Err(r) => Some(refuse(r)),
        }
    }

    fn prior_knowledge(&self, bytes: &[u8]) -> Connection {
        let mut conn = Connection::new(self.cfg.clone(), self.now);
        conn.recv(bytes);
        conn
    }

    fn upgraded(&mut self, p: Pending, body: Bytes) -> Result<Connection, RefuseReason> {
        let head = headers::request_head(p.fields).map_err(|_| RefuseReason::Malformed)?;
        let mut conn = Connection::new(self.cfg.clone(), self.now);
        conn.apply_settings(p.settings)
            .map_err(|_| RefuseReason::BadSettings)?;
        let stream = StreamId(1);
        conn.last_peer_stream = 1;
        conn.open_stream(stream, head, body.is_empty());
        if !body.is_empty() {
            let len = body.len() as u32;
            conn.on_data(stream, body, true, len)
                .map_err(|_| RefuseReason::BadContentLength)?;
        }
        let rest = std::mem::take(&mut self.buf);
        conn.recv(&rest);
        Ok(conn)
    }
}

fn refuse(reason: RefuseReason) -> Sniffed {
    Sniffed::Refused(Refusal::new(reason))
}

/// Checks an upgrade request head (steps 3 and 4 of the module header)
/// and converts it to HTTP/2 fields.
fn accept(raw: Bytes, limit: usize) -> Result<Pending, RefuseReason> {
    let head = http1::parse(raw).map_err(|_| RefuseReason::Malformed)?;
    if head.minor != Some(1) {
        return Err(RefuseReason::Version);
    }
    if !head.has_token(b"upgrade", b"h2c") {
        return Err(RefuseReason::NotUpgrade);
    }
    if !head.has_token(b"connection", b"upgrade")
        || !head.has_token(b"connection", b"http2-settings")
    {
        return Err(RefuseReason::ConnectionTokens);
    }
    let mut settings = head.values(b"http2-settings");
    let encoded = settings.next().ok_or(RefuseReason::MissingSettings)?;
    if settings.next().is_some() {
        return Err(RefuseReason::DuplicateSettings);
    }
    let payload = http1::base64url(encoded).ok_or(RefuseReason::BadSettings)?;
    if payload.len() % 6 != 0 {
        return Err(RefuseReason::BadSettings);
    }
    let settings = Settings::parse(&payload).map_err(|_| RefuseReason::BadSettings)?;
    if head.values(b"transfer-encoding").next().is_some() {
        return Err(RefuseReason::Chunked);
    }
    let body_len = content_length(&head)?;
    if body_len > MAX_UPGRADE_BODY {
        return Err(RefuseReason::BodyTooLarge);
    }
    let fields = to_http2(&head, limit)?;
    Ok(Pending {
        settings,
        fields,
        body_len,
    })
}

/// The body length: no `Content-Length` is an empty body (RFC 9112 §6.3);
/// repeated values must agree.
fn content_length(head: &Head) -> Result<usize, RefuseReason> {
    let mut len = None;
    for v in head.values(b"content-length") {
        for part in v.split(|&b| b == b',') {
            let part = http1::trim(part);
            if part.is_empty() || part.len() > 18 || !part.iter().all(u8::is_ascii_digit) {
                return Err(RefuseReason::BadContentLength);
            }
            let n: usize = std::str::from_utf8(part)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(RefuseReason::BadContentLength)?;
            if len.replace(n).is_some_and(|old| old != n) {
                return Err(RefuseReason::BadContentLength);
            }
        }
    }
    Ok(len.unwrap_or(0))
}

/// The request as HTTP/2 fields (RFC 9113 §8.3.1): pseudo-headers from the
/// request line and `Host`, then every field that is not connection-specific
/// (§8.2.2), including those `Connection` names. Sized like a header list.
fn to_http2(head: &Head, limit: usize) -> Result<Vec<Header>, RefuseReason> {
    let field = |name: &'static str, value: Bytes| Header {
        name: Bytes::from_static(name.as_bytes()),
        value,
        sensitive: false,
    };
    let mut hosts = head.values(b"host");
    let host = hosts.next().ok_or(RefuseReason::Malformed)?.clone();
    if hosts.next().is_some() {
        return Err(RefuseReason::Malformed); // RFC 9112 §3.2
    }
    let mut out = vec![
        field(":method", head.method.clone()),
        field(":scheme", Bytes::from_static(b"http")),
        field(":path", head.target.clone()),
    ];
    if !host.is_empty() {
        out.push(field(":authority", host));
    }
    let mut size = 0;
    for (name, value) in &head.fields {
        size += 32 + name.len() + value.len();
        if size > limit {
            return Err(RefuseReason::HeadTooLarge);
        }
        let hop = matches!(
            &name[..],
            b"host"
                | b"connection"
                | b"upgrade"
                | b"http2-settings"
                | b"keep-alive"
                | b"proxy-connection"
                | b"transfer-encoding"
        ) || head.has_token(b"connection", name);
        let te_other = &name[..] == b"te" && &value[..] != b"trailers";
        if hop || te_other {
            continue;
        }
        out.push(Header {
            name: name.clone(),
            value: value.clone(),
            sensitive: false,
        });
    }
    Ok(out)
}
