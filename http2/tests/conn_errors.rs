//! A table of malformed inputs, each mapped to the error RFC 9113 requires:
//! GOAWAY with a code (connection error) or RST_STREAM with a code (stream
//! error, the connection lives on). Each row cites the section with the MUST.

mod support;

use bytes::Bytes;
use goro_http2::Reason;
use goro_http2::frame::{Frame, Priority, Settings, StreamId, flags, kind};
use goro_http2::server::Builder;
use support::peer::{GET, Peer, owned, post, raw_frame};

enum Expect {
    GoAway(Reason),
    Rst(u32, Reason),
}
use Expect::{GoAway, Rst};

type Script = fn(&mut Peer);

fn req(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v = owned(GET);
    v.extend(owned(extra));
    v
}

fn with(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    owned(fields)
}

/// Opens a header block on `stream` (HEADERS without END_HEADERS).
fn open_block(p: &mut Peer, stream: u32) {
    let fragment = p.block(&owned(GET));
    p.send(Frame::Headers {
        stream: StreamId(stream),
        fragment,
        end_stream: true,
        end_headers: false,
        priority: None,
    });
}

const FRAME_CASES: &[(&str, Script, Expect)] = &[
    (
        "§6.1 DATA on stream 0",
        |p| p.send_raw(&raw_frame(kind::DATA, 0, 0, b"x")),
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.1 padding as long as the payload",
        |p| {
            p.headers(1, &post(None), false);
            p.send_raw(&raw_frame(kind::DATA, flags::PADDED, 1, &[3, 0, 0]));
        },
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.2 HEADERS on stream 0",
        |p| {
            let b = p.block(&owned(GET));
            p.send_raw(&raw_frame(kind::HEADERS, flags::END_HEADERS, 0, &b));
        },
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§5.1.1 HEADERS on an even (server) stream id",
        |p| p.get(2),
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.2 HEADERS padding too long",
        |p| {
            p.send_raw(&raw_frame(
                kind::HEADERS,
                flags::PADDED | flags::END_HEADERS,
                1,
                &[5, 0x82],
            ));
        },
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.3 PRIORITY on stream 0",
        |p| p.send_raw(&raw_frame(kind::PRIORITY, 0, 0, &[0, 0, 0, 1, 16])),
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.3 PRIORITY of length 4 on an open stream",
        |p| {
            p.headers(1, &post(None), false);
            p.send_raw(&raw_frame(kind::PRIORITY, 0, 1, &[0, 0, 0, 3]))
        },
        Rst(1, Reason::FRAME_SIZE_ERROR),
    ),
    (
        // A stream error, but §6.4 forbids RST_STREAM on an idle stream:
        // a connection error instead (§5.4.1 allows it).
        "§6.3 PRIORITY of length 4 on an idle stream",
        |p| p.send_raw(&raw_frame(kind::PRIORITY, 0, 1, &[0, 0, 0, 3])),
        GoAway(Reason::FRAME_SIZE_ERROR),
    ),
    (
        "RFC 7540 §5.3.1 PRIORITY depending on itself, open stream",
        |p| {
            p.headers(1, &post(None), false);
            p.send_raw(&raw_frame(kind::PRIORITY, 0, 1, &[0, 0, 0, 1, 16]))
        },
        Rst(1, Reason::PROTOCOL_ERROR),
    ),
    (
        "RFC 7540 §5.3.1 PRIORITY depending on itself, idle stream (§6.4)",
        |p| p.send_raw(&raw_frame(kind::PRIORITY, 0, 1, &[0, 0, 0, 1, 16])),
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "RFC 7540 §5.3.1 HEADERS depending on itself",
        |p| {
            let fragment = p.block(&owned(GET));
            let priority = Some(Priority {
                dependency: StreamId(1),
                exclusive: false,
                weight: 1,
            });
            p.send(Frame::Headers {
                stream: StreamId(1),
                fragment,
                end_stream: true,
                end_headers: true,
                priority,
            });
        },
        Rst(1, Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.4 RST_STREAM on stream 0",
        |p| p.send_raw(&raw_frame(kind::RST_STREAM, 0, 0, &[0, 0, 0, 8])),
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.4 RST_STREAM of length 3",
        |p| {
            p.get(1);
            p.send_raw(&raw_frame(kind::RST_STREAM, 0, 1, &[0, 0, 8]))
        },
        GoAway(Reason::FRAME_SIZE_ERROR),
    ),
    (
        "§6.4 RST_STREAM on an idle stream",
        |p| {
            p.send(Frame::RstStream {
                stream: StreamId(5),
                reason: Reason::CANCEL,
            })
        },
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.5 SETTINGS on stream 1",
        |p| p.send_raw(&raw_frame(kind::SETTINGS, 0, 1, &[])),
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.5 SETTINGS ACK with a payload",
        |p| {
            p.send_raw(&raw_frame(
                kind::SETTINGS,
                flags::ACK,
                0,
                &[0, 1, 0, 0, 0, 0],
            ))
        },
        GoAway(Reason::FRAME_SIZE_ERROR),
    ),
    (
        "§6.5 SETTINGS length not a multiple of 6",
        |p| p.send_raw(&raw_frame(kind::SETTINGS, 0, 0, &[0, 1, 0, 0, 0])),
        GoAway(Reason::FRAME_SIZE_ERROR),
    ),
    (
        "§6.5.2 ENABLE_PUSH = 2",
        |p| {
            p.send(Frame::Settings(Settings {
                enable_push: Some(2),
                ..Settings::default()
            }))
        },
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.5.2 INITIAL_WINDOW_SIZE above 2^31-1",
        |p| p.send_raw(&raw_frame(kind::SETTINGS, 0, 0, &[0, 4, 0x80, 0, 0, 0])),
        GoAway(Reason::FLOW_CONTROL_ERROR),
    ),
    (
        "§6.5.2 MAX_FRAME_SIZE below 16384",
        |p| p.send_raw(&raw_frame(kind::SETTINGS, 0, 0, &[0, 5, 0, 0, 0x3f, 0xff])),
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.5.2 MAX_FRAME_SIZE above 2^24-1",
        |p| p.send_raw(&raw_frame(kind::SETTINGS, 0, 0, &[0, 5, 1, 0, 0, 0])),
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.9.2 INITIAL_WINDOW_SIZE change overflows a stream window",
        |p| {
            p.get(1);
            p.send(Frame::WindowUpdate {
                stream: StreamId(1),
                increment: (1 << 31) - 1 - 65_535,
            });
            p.send(Frame::Settings(Settings {
                initial_window_size: Some(65_536),
                ..Settings::default()
            }));
        },
        GoAway(Reason::FLOW_CONTROL_ERROR),
    ),
    (
        "§8.4 PUSH_PROMISE from a client",
        |p| {
            p.send(Frame::PushPromise {
                stream: StreamId(1),
            })
        },
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.7 PING on stream 1",
        |p| p.send_raw(&raw_frame(kind::PING, 0, 1, &[0; 8])),
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.7 PING of length 7",
        |p| p.send_raw(&raw_frame(kind::PING, 0, 0, &[0; 7])),
        GoAway(Reason::FRAME_SIZE_ERROR),
    ),
    (
        "§6.8 GOAWAY on stream 1",
        |p| p.send_raw(&raw_frame(kind::GOAWAY, 0, 1, &[0; 8])),
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.9 WINDOW_UPDATE of length 3",
        |p| p.send_raw(&raw_frame(kind::WINDOW_UPDATE, 0, 0, &[0, 0, 1])),
        GoAway(Reason::FRAME_SIZE_ERROR),
    ),
    (
        "§6.9 WINDOW_UPDATE of 0 on the connection",
        |p| {
            p.send(Frame::WindowUpdate {
                stream: StreamId(0),
                increment: 0,
            })
        },
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.9 WINDOW_UPDATE of 0 on a stream",
        |p| {
            p.get(1);
            p.send(Frame::WindowUpdate {
                stream: StreamId(1),
                increment: 0,
            })
        },
        Rst(1, Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.9.1 connection window above 2^31-1",
        |p| {
            p.send(Frame::WindowUpdate {
                stream: StreamId(0),
                increment: (1 << 31) - 1,
            })
        },
        GoAway(Reason::FLOW_CONTROL_ERROR),
    ),
    (
        "§6.9.1 stream window above 2^31-1",
        |p| {
            p.get(1);
            p.send(Frame::WindowUpdate {
                stream: StreamId(1),
                increment: (1 << 31) - 1,
            })
        },
        Rst(1, Reason::FLOW_CONTROL_ERROR),
    ),
    (
        "§5.1 WINDOW_UPDATE on an idle stream",
        |p| {
            p.send(Frame::WindowUpdate {
                stream: StreamId(9),
                increment: 1,
            })
        },
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.10 CONTINUATION without HEADERS",
        |p| {
            p.send(Frame::Continuation {
                stream: StreamId(1),
                fragment: Bytes::from_static(&[0x82]),
                end_headers: true,
            })
        },
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.10 DATA inside a header block",
        |p| {
            let fragment = p.block(&owned(GET));
            p.send(Frame::Headers {
                stream: StreamId(1),
                fragment,
                end_stream: false,
                end_headers: false,
                priority: None,
            });
            p.data(1, b"x", true);
        },
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.10 CONTINUATION on another stream",
        |p| {
            let fragment = p.block(&owned(GET));
            p.send(Frame::Headers {
                stream: StreamId(1),
                fragment,
                end_stream: true,
                end_headers: false,
                priority: None,
            });
            p.send(Frame::Continuation {
                stream: StreamId(3),
                fragment: Bytes::new(),
                end_headers: true,
            });
        },
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§4.2 frame longer than SETTINGS_MAX_FRAME_SIZE",
        |p| p.send_raw(&raw_frame(kind::DATA, 0, 1, &[0; 16_385])),
        GoAway(Reason::FRAME_SIZE_ERROR),
    ),
    (
        "§4.3 undecodable header block",
        |p| {
            p.send_raw(&raw_frame(
                kind::HEADERS,
                flags::END_HEADERS | flags::END_STREAM,
                1,
                &[0x80],
            ))
        },
        GoAway(Reason::COMPRESSION_ERROR),
    ),
    (
        "§5.1 DATA on an idle stream",
        |p| p.data(1, b"x", false),
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§5.1 DATA on a half-closed (remote) stream",
        |p| {
            p.get(1);
            p.data(1, b"x", false)
        },
        Rst(1, Reason::STREAM_CLOSED),
    ),
    (
        "§5.1 HEADERS after END_STREAM",
        |p| {
            p.get(1);
            p.get(1)
        },
        Rst(1, Reason::STREAM_CLOSED),
    ),
    (
        "§5.1 DATA on a stream the client reset",
        |p| {
            p.headers(1, &post(None), false);
            p.send(Frame::RstStream {
                stream: StreamId(1),
                reason: Reason::CANCEL,
            });
            p.data(1, b"x", false);
        },
        Rst(1, Reason::STREAM_CLOSED),
    ),
    (
        "§6.1 DATA on a stream closed by a higher stream id",
        |p| {
            p.get(5);
            p.data(3, b"x", false);
        },
        Rst(3, Reason::STREAM_CLOSED),
    ),
    (
        "§5.1.1 stream id lower than a previous one",
        |p| {
            p.get(5);
            p.get(3)
        },
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§5.1 HEADERS on a closed stream",
        |p| {
            p.get(1);
            p.conn
                .send_response(StreamId(1), http::Response::new(()), true)
                .unwrap();
            p.frames();
            p.get(1);
        },
        GoAway(Reason::STREAM_CLOSED),
    ),
    (
        "§6.9.1 DATA beyond the stream window",
        |p| {
            p.headers(1, &post(None), false);
            for _ in 0..17 {
                p.data(1, &[0; 16_384], false);
            }
        },
        Rst(1, Reason::FLOW_CONTROL_ERROR),
    ),
    (
        "§6.9.1 DATA beyond the connection window",
        |p| {
            for s in [1, 3, 5, 7, 9] {
                p.headers(s, &post(None), false);
                for _ in 0..13 {
                    p.data(s, &[0; 16_384], false);
                }
            }
        },
        GoAway(Reason::FLOW_CONTROL_ERROR),
    ),
    (
        "§5.1.2 more than MAX_CONCURRENT_STREAMS",
        |p| {
            for s in (1..=201).step_by(2) {
                p.headers(s, &post(None), false);
            }
        },
        Rst(201, Reason::REFUSED_STREAM),
    ),
    (
        "§4.2 padded DATA without its pad length octet",
        |p| {
            p.headers(1, &post(None), false);
            p.send_raw(&raw_frame(kind::DATA, flags::PADDED, 1, &[]));
        },
        GoAway(Reason::FRAME_SIZE_ERROR),
    ),
    (
        "§4.2 HEADERS with PRIORITY but under 5 octets",
        |p| p.send_raw(&raw_frame(kind::HEADERS, flags::PRIORITY, 1, &[0, 0, 0])),
        GoAway(Reason::FRAME_SIZE_ERROR),
    ),
    (
        "§4.2 GOAWAY shorter than 8 octets",
        |p| p.send_raw(&raw_frame(kind::GOAWAY, 0, 0, &[0; 7])),
        GoAway(Reason::FRAME_SIZE_ERROR),
    ),
    (
        "§4.3 PRIORITY inside a header block",
        |p| {
            open_block(p, 1);
            p.send_raw(&raw_frame(kind::PRIORITY, 0, 3, &[0, 0, 0, 0, 16]));
        },
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§5.1 DATA on an idle server-initiated (even) stream",
        |p| {
            p.get(5);
            p.data(2, b"x", false);
        },
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§5.1 WINDOW_UPDATE on an idle server-initiated (even) stream",
        |p| {
            p.get(5);
            p.send(Frame::WindowUpdate {
                stream: StreamId(2),
                increment: 1,
            });
        },
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.6 PUSH_PROMISE on stream 0",
        |p| p.send_raw(&raw_frame(kind::PUSH_PROMISE, 0, 0, &[0, 0, 0, 2])),
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.10 CONTINUATION on stream 0",
        |p| {
            open_block(p, 1);
            p.send_raw(&raw_frame(kind::CONTINUATION, flags::END_HEADERS, 0, &[]));
        },
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§6.10 CONTINUATION after END_HEADERS",
        |p| {
            p.headers(1, &post(None), false);
            p.send(Frame::Continuation {
                stream: StreamId(1),
                fragment: Bytes::new(),
                end_headers: true,
            });
        },
        GoAway(Reason::PROTOCOL_ERROR),
    ),
    (
        "§8.5 trailers on a CONNECT stream",
        |p| {
            p.headers(
                1,
                &with(&[(":method", "CONNECT"), (":authority", "a:443")]),
                false,
            );
            p.headers(1, &with(&[("x-t", "1")]), true);
        },
        Rst(1, Reason::PROTOCOL_ERROR),
    ),
    (
        "§8.1 second HEADERS without END_STREAM",
        |p| {
            p.headers(1, &post(None), false);
            p.headers(1, &with(&[("x-t", "1")]), false);
        },
        Rst(1, Reason::PROTOCOL_ERROR),
    ),
];

type Fields = fn() -> Vec<(String, String)>;

const HEADER_CASES: &[(&str, Fields)] = &[
    ("§8.2.1 uppercase field name", || req(&[("X-Upper", "1")])),
    ("§8.2.1 empty field name", || req(&[("", "1")])),
    ("§8.2.1 space in a field name", || req(&[("x y", "1")])),
    ("§8.2.1 value with a leading space", || {
        req(&[("x-a", " v")])
    }),
    ("§8.2.1 value with a trailing tab", || {
        req(&[("x-a", "v\t")])
    }),
    ("§8.2.1 value with CR LF", || req(&[("x-a", "a\r\nb")])),
    ("§8.2.1 value with NUL", || req(&[("x-a", "a\0b")])),
    ("§8.2.2 connection", || {
        req(&[("connection", "keep-alive")])
    }),
    ("§8.2.2 keep-alive", || req(&[("keep-alive", "5")])),
    ("§8.2.2 proxy-connection", || {
        req(&[("proxy-connection", "x")])
    }),
    ("§8.2.2 transfer-encoding", || {
        req(&[("transfer-encoding", "chunked")])
    }),
    ("§8.2.2 upgrade", || req(&[("upgrade", "h2c")])),
    ("§8.2.2 TE other than trailers", || req(&[("te", "gzip")])),
    ("§8.3 pseudo-header after a regular field", || {
        with(&[
            (":method", "GET"),
            (":scheme", "http"),
            ("x-a", "1"),
            (":path", "/"),
        ])
    }),
    ("§8.3 unknown pseudo-header", || req(&[(":foo", "bar")])),
    ("§8.3 response pseudo-header in a request", || {
        with(&[
            (":status", "200"),
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
        ])
    }),
    ("§8.3.1 :path twice", || {
        with(&[
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
            (":path", "/"),
        ])
    }),
    ("§8.3.1 :method missing", || {
        with(&[(":scheme", "http"), (":path", "/")])
    }),
    ("§8.3.1 :scheme missing", || {
        with(&[(":method", "GET"), (":path", "/")])
    }),
    ("§8.3.1 :path missing", || {
        with(&[(":method", "GET"), (":scheme", "http")])
    }),
    ("§8.3.1 :path empty", || {
        with(&[(":method", "GET"), (":scheme", "http"), (":path", "")])
    }),
    ("§8.3.1 :path not origin-form", || {
        with(&[(":method", "GET"), (":scheme", "http"), (":path", "x")])
    }),
    ("§8.5 CONNECT with :path", || {
        with(&[
            (":method", "CONNECT"),
            (":authority", "a:443"),
            (":scheme", "https"),
            (":path", "/"),
        ])
    }),
    ("§8.1.1 content-length not a number", || {
        req(&[("content-length", "12a")])
    }),
    ("§8.1.1 content-length values differ", || {
        req(&[("content-length", "1"), ("content-length", "2")])
    }),
    ("§8.3.1 Host differing from :authority", || {
        req(&[("host", "other.example")])
    }),
    ("§8.2.1 control octet in a field name", || {
        req(&[("x\u{1}y", "1")])
    }),
    ("§8.2.1 DEL in a field name", || req(&[("x\u{7f}", "1")])),
    ("§8.2.1 non-ASCII octets in a field name", || {
        req(&[("x-\u{e9}", "1")])
    }),
    ("§8.2.1 colon inside a regular field name", || {
        req(&[("x:y", "1")])
    }),
    ("§8.2.1 value with a lone LF", || req(&[("x-a", "a\nb")])),
    ("§8.2.1 value with a lone CR", || req(&[("x-a", "a\rb")])),
    ("§8.2.1 value with a leading tab", || {
        req(&[("x-a", "\tv")])
    }),
    ("§8.2.1 value with a trailing space", || {
        req(&[("x-a", "v ")])
    }),
    ("§8.3 :method twice", || {
        with(&[
            (":method", "GET"),
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
        ])
    }),
    ("§8.3.1 :path * for a method other than OPTIONS", || {
        with(&[(":method", "GET"), (":scheme", "http"), (":path", "*")])
    }),
    ("§8.5 CONNECT with :scheme", || {
        with(&[
            (":method", "CONNECT"),
            (":scheme", "https"),
            (":authority", "a:443"),
        ])
    }),
    ("§8.5 CONNECT without :authority", || {
        with(&[(":method", "CONNECT")])
    }),
    ("§8.1.1 END_STREAM with a non-zero content-length", || {
        req(&[("content-length", "3")])
    }),
];

#[test]
fn malformed_frames_map_to_the_required_error() {
    let mut failed = Vec::new();
    for (name, script, expect) in FRAME_CASES {
        let mut p = Peer::open(Builder::new());
        script(&mut p);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match expect {
            GoAway(r) => p.expect_goaway(*r),
            Rst(s, r) => p.expect_rst(*s, *r),
        }));
        if result.is_err() {
            failed.push(*name);
        }
    }
    assert!(failed.is_empty(), "cases failed: {failed:#?}");
}

#[test]
fn malformed_requests_are_stream_protocol_errors() {
    let mut failed = Vec::new();
    for (name, fields) in HEADER_CASES {
        let mut p = Peer::open(Builder::new());
        p.headers(1, &fields(), true);
        let events = p.events();
        assert!(
            events.is_empty(),
            "{name}: malformed request reached the application"
        );
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            p.expect_rst(1, Reason::PROTOCOL_ERROR)
        }));
        if result.is_err() {
            failed.push(*name);
            continue;
        }
        // The connection is still usable: HPACK stayed in step.
        p.get(3);
        assert_eq!(p.events().len(), 1, "{name}: next request lost");
    }
    assert!(failed.is_empty(), "cases failed: {failed:#?}");
}

#[test]
fn valid_edge_cases_are_accepted() {
    for fields in [
        req(&[("te", "trailers")]),
        req(&[("content-length", "0")]),
        with(&[
            (":method", "OPTIONS"),
            (":scheme", "http"),
            (":path", "*"),
            (":authority", "a"),
        ]),
        with(&[(":method", "CONNECT"), (":authority", "example.com:443")]),
        req(&[("x-empty", "")]),
        req(&[("host", "Example.COM")]),
    ] {
        let mut p = Peer::open(Builder::new());
        p.headers(1, &fields, true);
        assert_eq!(p.events().len(), 1, "{fields:?} was rejected");
    }
}

#[test]
fn content_length_is_checked_against_data() {
    // More data than declared.
    let mut p = Peer::open(Builder::new());
    p.headers(1, &post(Some(3)), false);
    p.data(1, b"abcd", false);
    p.expect_rst(1, Reason::PROTOCOL_ERROR);
    // Less data than declared when the stream ends.
    let mut p = Peer::open(Builder::new());
    p.headers(1, &post(Some(3)), false);
    p.data(1, b"ab", true);
    p.expect_rst(1, Reason::PROTOCOL_ERROR);
    // Trailers ending a short body.
    let mut p = Peer::open(Builder::new());
    p.headers(1, &post(Some(3)), false);
    p.data(1, b"ab", false);
    p.headers(1, &with(&[("x-t", "1")]), true);
    p.expect_rst(1, Reason::PROTOCOL_ERROR);
}

#[test]
fn pseudo_headers_in_trailers_are_malformed() {
    // §8.1 and §8.3; the §8.2 field rules hold in trailers too.
    for trailer in [(":path", "/"), ("X-Upper", "1"), ("connection", "x")] {
        let mut p = Peer::open(Builder::new());
        p.headers(1, &post(None), false);
        p.headers(1, &with(&[trailer]), true);
        p.expect_rst(1, Reason::PROTOCOL_ERROR);
    }
}

#[test]
fn bad_preface_is_a_protocol_error() {
    let mut p = Peer::raw(Builder::new());
    p.send_raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    p.expect_goaway(Reason::PROTOCOL_ERROR);
}

#[test]
fn first_frame_must_be_settings() {
    let mut p = Peer::raw(Builder::new());
    p.send_raw(goro_http2::proto::PREFACE);
    p.send(Frame::Ping {
        ack: false,
        payload: [0; 8],
    });
    p.expect_goaway(Reason::PROTOCOL_ERROR);
}

#[test]
fn extension_frame_inside_a_header_block_is_a_protocol_error() {
    // §5.5: unknown frames are ignored, but not in the middle of a field block.
    let mut p = Peer::open(Builder::new());
    let fragment = p.block(&owned(GET));
    p.send(Frame::Headers {
        stream: StreamId(1),
        fragment,
        end_stream: true,
        end_headers: false,
        priority: None,
    });
    p.send_raw(&raw_frame(0xfa, 0, 0, b"ext"));
    p.expect_goaway(Reason::PROTOCOL_ERROR);
}
