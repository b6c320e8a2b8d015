//! RFC 9113 stream-state rules a server must keep on streams it no longer
//! serves, or serves in a special way: header blocks it discards are still
//! decoded (§4.3), discarded DATA still counts against the connection
//! window (§6.9), frames that are legal after END_STREAM or a reset are not
//! errors (§5.1, §6.9), nothing follows a peer's reset (§6.4), and the
//! target URI and CONNECT rules of §8.3.1 and §8.5. The checklist of all
//! MUSTs is `tests/RFC_COVERAGE.md`.

mod support;

use bytes::Bytes;
use goro_http2::frame::{Frame, Priority, StreamId};
use goro_http2::server::Builder;
use goro_http2::{Event, Reason, SendError};
use http::{HeaderMap, Response};
use support::peer::{GET, Out, Peer, owned, post};

fn req(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v = owned(GET);
    v.extend(owned(extra));
    v
}

/// Sends `field` as trailers; the client's encoder indexed it already, so
/// the block is that one index.
fn trailers(p: &mut Peer, stream: u32, field: (&str, &str)) -> Vec<Event> {
    let fragment = p.block(&owned(&[field]));
    assert_eq!(fragment.len(), 1, "sent as a dynamic-table index");
    p.send(Frame::Headers {
        stream: StreamId(stream),
        fragment,
        end_stream: true,
        end_headers: true,
        priority: None,
    });
    p.events()
}

fn has_trailer(ev: &[Event], name: &str, value: &str) -> bool {
    ev.iter()
        .any(|e| matches!(e, Event::Trailers { trailers, .. } if trailers.get(name).is_some_and(|v| v == value)))
}

/// A connection with GET on stream 1 taken and a response head (no
/// END_STREAM) handed to the core, not yet written.
fn responding_on_stream_1() -> Peer {
    let mut p = Peer::open(Builder::new());
    p.get(1);
    p.events();
    p.conn
        .send_response(StreamId(1), Response::new(()), false)
        .unwrap();
    p
}

fn rst(stream: u32, reason: Reason) -> Out {
    Out::Frame(Frame::RstStream {
        stream: StreamId(stream),
        reason,
    })
}

#[test]
fn header_blocks_of_refused_reset_and_ignored_streams_are_still_decoded() {
    // §4.3: a block is decompressed even when its frames are discarded;
    // §5.1 (closed after our RST_STREAM) and §6.8 (above our GOAWAY's last
    // id) name the cases. Each discarded block inserts a field into the
    // client's table, and a later block refers to it by index: had the
    // server skipped the block, that index would be wrong or missing.

    // Refused: over MAX_CONCURRENT_STREAMS.
    let mut p = Peer::open(Builder::new().max_concurrent_streams(1));
    p.headers(1, &post(None), false);
    p.headers(3, &req(&[("x-a", "1")]), true);
    assert_eq!(p.frames(), vec![rst(3, Reason::REFUSED_STREAM)]);
    // §8.7: REFUSED_STREAM only for a stream the application never saw.
    let ev = p.events();
    assert!(
        matches!(
            ev[..],
            [Event::Request {
                stream: StreamId(1),
                ..
            }]
        ),
        "{ev:?}"
    );
    assert!(has_trailer(&trailers(&mut p, 1, ("x-a", "1")), "x-a", "1"));

    // Closed by our RST_STREAM: trailers still in flight from the client.
    let mut p = Peer::open(Builder::new());
    p.headers(1, &post(Some(1)), false);
    p.data(1, b"ab", false);
    assert_eq!(p.frames(), vec![rst(1, Reason::PROTOCOL_ERROR)]);
    p.headers(1, &owned(&[("x-b", "2")]), true);
    p.headers(3, &req(&[("x-b", "2")]), true);
    let ev = p.events();
    let Some(Event::Request {
        stream, request, ..
    }) = ev.last()
    else {
        panic!("{ev:?}")
    };
    assert_eq!(*stream, StreamId(3));
    assert_eq!(request.headers()["x-b"], "2");

    // Above the last stream id of our final GOAWAY.
    let mut p = Peer::open(Builder::new());
    p.headers(1, &post(None), false);
    p.events();
    p.conn.go_away(p.now);
    let out = p.frames();
    let Some(Out::Frame(Frame::Ping { payload, .. })) = out.last() else {
        panic!("{out:?}")
    };
    p.send(Frame::Ping {
        ack: true,
        payload: *payload,
    });
    p.frames();
    p.headers(3, &req(&[("x-c", "3")]), true);
    assert!(p.events().is_empty(), "stream 3 is ignored");
    assert!(has_trailer(&trailers(&mut p, 1, ("x-c", "3")), "x-c", "3"));
    assert_eq!(p.conn.error(), None);
}

#[test]
fn discarded_data_still_counts_toward_the_connection_window() {
    // §6.9: DATA is counted against the connection window even when the
    // frame is in error; §5.1: even on a stream we reset; §6.8: even above
    // our GOAWAY's last stream id. Counted, then given back at once: the
    // connection WINDOW_UPDATE shows both, and the client may then send
    // more than the 65 535-octet window in all.
    let mut p = Peer::open(Builder::new().initial_connection_window(65_535));
    p.headers(1, &post(None), false); // keeps the connection draining, not closed
    p.get(3);
    p.data(3, &[0; 16_000], false); // half-closed (remote): stream error
    p.headers(5, &post(None), false);
    p.events();
    p.conn
        .send_response(StreamId(5), Response::new(()), true)
        .unwrap(); // early response: RST_STREAM(5, NO_ERROR) once it is out
    let out = p.frames();
    assert!(out.contains(&rst(3, Reason::STREAM_CLOSED)), "{out:?}");
    assert!(out.contains(&rst(5, Reason::NO_ERROR)), "{out:?}");
    p.data(5, &[0; 16_000], false); // on a stream we reset: ignored
    p.conn.go_away(p.now);
    let out = p.frames();
    let Some(Out::Frame(Frame::Ping { payload, .. })) = out.last() else {
        panic!("{out:?}")
    };
    p.send(Frame::Ping {
        ack: true,
        payload: *payload,
    });
    p.frames();
    p.headers(7, &post(None), false); // above the last id: ignored
    p.data(7, &[0; 16_000], false);
    let out = p.frames();
    assert!(
        out.contains(&Out::Frame(Frame::WindowUpdate {
            stream: StreamId(0),
            increment: 48_000
        })),
        "{out:?}"
    );
    for _ in 0..2 {
        p.data(7, &[0; 16_000], false);
    }
    assert_eq!(p.conn.error(), None, "80 000 octets fit after the update");
}

#[test]
fn frames_allowed_after_end_stream_or_reset_are_not_errors() {
    // §5.1: half-closed (remote) takes WINDOW_UPDATE, PRIORITY and
    // RST_STREAM; §6.9: a WINDOW_UPDATE on a half-closed (remote) or closed
    // stream is not an error; PRIORITY is valid in every state (§6.3).
    let prio = Priority {
        dependency: StreamId(0),
        exclusive: false,
        weight: 16,
    };
    let mut p = Peer::open(Builder::new());
    p.get(1); // half-closed (remote)
    p.events();
    p.send(Frame::WindowUpdate {
        stream: StreamId(1),
        increment: 10,
    });
    p.send(Frame::Priority {
        stream: StreamId(1),
        priority: prio,
    });
    p.send(Frame::RstStream {
        stream: StreamId(1),
        reason: Reason::CANCEL,
    });
    assert!(matches!(p.events()[..], [Event::Reset { .. }]));
    // Closed by the client's reset.
    p.send(Frame::WindowUpdate {
        stream: StreamId(1),
        increment: 10,
    });
    p.send(Frame::Priority {
        stream: StreamId(1),
        priority: prio,
    });
    // Closed normally: both sides sent END_STREAM.
    p.get(3);
    p.events();
    p.conn
        .send_response(StreamId(3), Response::new(()), true)
        .unwrap();
    assert_eq!(p.frames().len(), 1);
    assert_eq!(p.conn.open_streams(), 0);
    p.send(Frame::WindowUpdate {
        stream: StreamId(3),
        increment: 10,
    });
    p.send(Frame::Priority {
        stream: StreamId(3),
        priority: prio,
    });
    assert!(p.frames().is_empty(), "nothing to answer");
    assert!(!p.conn.is_closed());
    assert_eq!(p.conn.error(), None);
}

#[test]
fn nothing_more_is_sent_on_a_stream_the_client_reset() {
    // §6.4 and §5.1: after a RST_STREAM the receiver sends no more frames
    // on that stream. The response head is encoded only when it is sent,
    // so neither it nor the queued DATA goes out, and no RST_STREAM
    // answers the reset (§5.4.2). The HPACK state stays in step: the next
    // response decodes (the peer checks every block it reads).
    let mut p = responding_on_stream_1();
    p.conn
        .send_data(StreamId(1), Bytes::from_static(b"queued"), false)
        .unwrap();
    p.send(Frame::RstStream {
        stream: StreamId(1),
        reason: Reason::CANCEL,
    });
    let out = p.frames();
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(
        p.conn
            .send_data(StreamId(1), Bytes::from_static(b"more"), true),
        Err(SendError::UnknownStream)
    );
    assert!(p.frames().is_empty());
    p.get(3);
    p.events();
    let mut head = Response::new(());
    head.headers_mut()
        .insert("x-after-reset", "yes".parse().unwrap());
    p.conn.send_response(StreamId(3), head, true).unwrap();
    let out = p.frames();
    assert!(
        out.iter()
            .any(|o| matches!(o, Out::Headers { stream: 3, fields, .. }
            if fields.iter().any(|(n, v)| n == "x-after-reset" && v == "yes"))),
        "{out:?}"
    );
}

#[test]
fn authority_not_host_gives_the_target_uri() {
    // §8.3.1: with :authority present, Host is not used for the target URI.
    let mut p = Peer::open(Builder::new());
    p.headers(1, &req(&[("host", "EXAMPLE.com")]), true);
    let ev = p.events();
    let Event::Request { request, .. } = &ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(request.uri().authority().unwrap().as_str(), "example.com");
}

#[test]
fn a_connect_stream_carries_no_trailers_from_the_server() {
    // §8.5: only DATA and stream management frames on a CONNECT stream
    // (their receipt is a row of conn_errors.rs).
    let mut p = Peer::open(Builder::new());
    let connect = owned(&[(":method", "CONNECT"), (":authority", "example.com:443")]);
    p.headers(1, &connect, false);
    p.events();
    p.conn
        .send_response(StreamId(1), Response::new(()), false)
        .unwrap();
    p.conn
        .send_data(StreamId(1), Bytes::from_static(b"tunnel"), false)
        .unwrap();
    let mut t = HeaderMap::new();
    t.insert("x-t", "1".parse().unwrap());
    assert_eq!(
        p.conn.send_trailers(StreamId(1), t),
        Err(SendError::InvalidState)
    );
    p.conn
        .send_data(StreamId(1), Bytes::new(), true)
        .expect("the stream still ends with DATA");
    let out = p.frames();
    let headers = out.iter().filter(|o| matches!(o, Out::Headers { .. }));
    assert_eq!(headers.count(), 1, "no trailer block: {out:?}");
    assert!(
        out.iter().any(|o| matches!(
            o,
            Out::Frame(Frame::Data {
                end_stream: true,
                ..
            })
        )),
        "{out:?}"
    );
}

#[test]
fn connection_specific_fields_are_dropped_from_response_trailers() {
    // §8.2.2: never generated, in trailers either.
    let mut p = responding_on_stream_1();
    let mut t = HeaderMap::new();
    t.insert("connection", "close".parse().unwrap());
    t.insert("keep-alive", "5".parse().unwrap());
    t.insert("x-kept", "1".parse().unwrap());
    p.conn.send_trailers(StreamId(1), t).unwrap();
    let out = p.frames();
    assert_eq!(
        out.last(),
        Some(&Out::Headers {
            stream: 1,
            fields: owned(&[("x-kept", "1")]),
            end_stream: true
        })
    );
}
