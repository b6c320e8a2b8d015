//! A scripted mock client: sends frames into a sans-IO `Connection`, reads
//! the frames it writes back, and decodes their header blocks.

use std::time::Instant;

use bytes::Bytes;
use goro_http2::frame::{Frame, HEAD_LEN, Head, Settings, StreamId};
use goro_http2::hpack::{Decoder, Encoder};
use goro_http2::proto::PREFACE;
use goro_http2::server::Builder;
use goro_http2::{Connection, Event, Reason};

pub struct Peer {
    pub conn: Connection,
    pub enc: Encoder,
    pub dec: Decoder,
    pub now: Instant,
}

/// A decoded frame the server sent; header blocks already HPACK-decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    Frame(Frame),
    Headers {
        stream: u32,
        fields: Vec<(String, String)>,
        end_stream: bool,
    },
}

pub const GET: &[(&str, &str)] = &[
    (":method", "GET"),
    (":scheme", "http"),
    (":path", "/"),
    (":authority", "example.com"),
];

pub fn post(len: Option<usize>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = [
        (":method", "POST"),
        (":scheme", "https"),
        (":path", "/upload"),
        (":authority", "example.com"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    if let Some(n) = len {
        v.push(("content-length".into(), n.to_string()));
    }
    v
}

impl Peer {
    /// A connection that has seen nothing yet.
    pub fn raw(builder: Builder) -> Peer {
        let now = Instant::now();
        Peer {
            conn: builder.connection(now),
            enc: Encoder::default(),
            dec: Decoder::new(4096),
            now,
        }
    }

    /// Preface and SETTINGS both ways, acknowledged; server output drained.
    pub fn open(builder: Builder) -> Peer {
        Peer::open_with(builder, Settings::default())
    }

    pub fn open_with(builder: Builder, ours: Settings) -> Peer {
        let mut p = Peer::raw(builder);
        p.send_raw(PREFACE);
        p.send(Frame::Settings(ours));
        let out = p.frames();
        assert!(
            matches!(out.first(), Some(Out::Frame(Frame::Settings(_)))),
            "server preface must start with SETTINGS: {out:?}"
        );
        assert!(
            out.contains(&Out::Frame(Frame::SettingsAck)),
            "our SETTINGS not acked: {out:?}"
        );
        p.send(Frame::SettingsAck);
        assert!(!p.conn.is_closed());
        p
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.conn.recv(bytes);
    }

    pub fn send(&mut self, f: Frame) {
        let mut wire = Vec::new();
        f.encode().write_to(&mut wire);
        self.conn.recv(&wire);
    }

    pub fn block(&mut self, fields: &[(String, String)]) -> Bytes {
        let mut b = Vec::new();
        self.enc.encode(
            fields
                .iter()
                .map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)),
            &mut b,
        );
        Bytes::from(b)
    }

    pub fn headers(&mut self, stream: u32, fields: &[(String, String)], end_stream: bool) {
        let fragment = self.block(fields);
        self.send(Frame::Headers {
            stream: StreamId(stream),
            fragment,
            end_stream,
            end_headers: true,
            priority: None,
        });
    }

    pub fn get(&mut self, stream: u32) {
        self.headers(stream, &owned(GET), true);
    }

    pub fn data(&mut self, stream: u32, data: &[u8], end_stream: bool) {
        self.send(Frame::Data {
            stream: StreamId(stream),
            data: Bytes::copy_from_slice(data),
            end_stream,
            flow_len: data.len() as u32,
        });
    }

    /// Everything the server wants to write now, parsed.
    pub fn frames(&mut self) -> Vec<Out> {
        let mut out = Vec::new();
        let mut pending: Option<(u32, Vec<u8>, bool)> = None;
        while let Some(f) = self.conn.poll_transmit() {
            let head = Head::parse(&f.head);
            assert_eq!(head.len as usize, f.payload.len());
            let frame = Frame::parse(head, f.payload.clone()).expect("server sent a bad frame");
            match frame {
                Frame::Headers {
                    stream,
                    fragment,
                    end_stream,
                    end_headers,
                    ..
                } => {
                    assert!(pending.is_none(), "HEADERS inside an open block");
                    pending = Some((stream.0, fragment.to_vec(), end_stream));
                    if end_headers {
                        out.push(self.finish_block(pending.take().unwrap()));
                    }
                }
                Frame::Continuation {
                    stream,
                    fragment,
                    end_headers,
                } => {
                    let p = pending.as_mut().expect("CONTINUATION without HEADERS");
                    assert_eq!(p.0, stream.0);
                    p.1.extend_from_slice(&fragment);
                    if end_headers {
                        out.push(self.finish_block(pending.take().unwrap()));
                    }
                }
                other => {
                    assert!(pending.is_none(), "frame inside a header block: {other:?}");
                    out.push(Out::Frame(other));
                }
            }
        }
        assert!(pending.is_none());
        out
    }

    fn finish_block(&mut self, (stream, block, end_stream): (u32, Vec<u8>, bool)) -> Out {
        let mut fields = Vec::new();
        self.dec
            .decode(&Bytes::from(block), usize::MAX, |h| {
                fields.push((
                    String::from_utf8(h.name.to_vec()).unwrap(),
                    String::from_utf8_lossy(&h.value).into_owned(),
                ))
            })
            .expect("server header block must decode");
        Out::Headers {
            stream,
            fields,
            end_stream,
        }
    }

    pub fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.conn.poll_event()).collect()
    }

    /// The server fails the connection with `reason`: GOAWAY is the last
    /// frame, and the connection is then closed.
    pub fn expect_goaway(&mut self, reason: Reason) {
        let out = self.frames();
        match out.last() {
            Some(Out::Frame(Frame::GoAway { reason: r, .. })) => {
                assert_eq!(*r, reason, "GOAWAY code; all frames: {out:?}")
            }
            _ => panic!("expected GOAWAY {reason:?}, got {out:?}"),
        }
        assert!(
            self.conn.is_closed(),
            "connection must be closed after GOAWAY"
        );
        assert_eq!(self.conn.error(), Some(reason));
    }

    /// The server resets `stream` with `reason` and the connection lives on.
    pub fn expect_rst(&mut self, stream: u32, reason: Reason) {
        let out = self.frames();
        let want = Out::Frame(Frame::RstStream {
            stream: StreamId(stream),
            reason,
        });
        assert!(
            out.contains(&want),
            "expected RST_STREAM({stream}, {reason:?}), got {out:?}"
        );
        assert!(
            !self.conn.is_closed(),
            "a stream error must not close the connection"
        );
        assert_eq!(self.conn.error(), None);
    }
}

pub fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The raw octets of a frame head, for hand-made malformed frames.
pub fn raw_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let head = Head {
        len: payload.len() as u32,
        kind,
        flags,
        stream: StreamId(stream),
    };
    let mut v = head.encode().to_vec();
    assert_eq!(v.len(), HEAD_LEN);
    v.extend_from_slice(payload);
    v
}
