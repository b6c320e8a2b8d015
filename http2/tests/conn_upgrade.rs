//! The start of a cleartext connection without sockets: prior knowledge,
//! HTTP/1.1 `Upgrade: h2c` (RFC 7540 §3.2) and every refusal.

mod support;

use std::time::Instant;

use bytes::Bytes;
use goro_http2::frame::{Frame, Settings, StreamId};
use goro_http2::hpack::{Decoder, Encoder};
use goro_http2::proto::{
    Handshake, MAX_UPGRADE_BODY, PREFACE, Refusal, RefuseReason, SWITCHING_PROTOCOLS, Sniffed,
};
use goro_http2::server::Builder;
use goro_http2::{Connection, Event};
use http::Response;
use proptest::prelude::*;
use support::peer::{Out, Peer};

fn base64url(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let mut n = 0u32;
        for (i, b) in chunk.iter().enumerate() {
            n |= (*b as u32) << (16 - 8 * i);
        }
        for i in 0..=chunk.len() {
            out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// The settings curl sends, as an `HTTP2-Settings` value.
fn settings_value(s: &Settings) -> String {
    base64url(&s.encode())
}

fn client_settings() -> Settings {
    Settings {
        max_concurrent_streams: Some(100),
        initial_window_size: Some(10 << 20),
        enable_push: Some(0),
        ..Settings::default()
    }
}

fn upgrade_request(extra: &str) -> String {
    format!(
        "GET /hello?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test\r\n\
         Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: {}\r\n{extra}\r\n",
        settings_value(&client_settings())
    )
}

fn handshake() -> Handshake {
    Builder::new().handshake(Instant::now())
}

/// Feeds `wire` in one piece; the outcome must be decided.
fn sniff(wire: &[u8]) -> Sniffed {
    handshake().recv(wire).expect("decided")
}

fn refused(wire: &[u8]) -> Refusal {
    match sniff(wire) {
        Sniffed::Refused(r) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn upgraded(wire: &[u8]) -> Connection {
    match sniff(wire) {
        Sniffed::Upgraded(c) => c,
        Sniffed::Refused(r) => panic!("refused: {}", String::from_utf8_lossy(&r.response)),
        other => panic!("expected an upgrade, got {other:?}"),
    }
}

fn peer(conn: Connection) -> Peer {
    Peer {
        conn,
        enc: Encoder::default(),
        dec: Decoder::new(4096),
        now: Instant::now(),
    }
}

#[test]
fn prior_knowledge_is_recognised_in_pieces() {
    let mut hs = handshake();
    assert!(hs.recv(&PREFACE[..3]).is_none());
    assert!(hs.recv(&PREFACE[3..10]).is_none());
    let Some(Sniffed::PriorKnowledge(conn)) = hs.recv(&PREFACE[10..]) else {
        panic!("prior knowledge not recognised");
    };
    let mut p = peer(conn);
    p.send(Frame::Settings(Settings::default()));
    let out = p.frames();
    assert!(matches!(out[0], Out::Frame(Frame::Settings(_))), "{out:?}");
    assert!(out.contains(&Out::Frame(Frame::SettingsAck)));
    assert!(
        hs.recv(b"more").is_none(),
        "a spent handshake ignores input"
    );
}

#[test]
fn prior_knowledge_with_frames_in_the_first_read() {
    let mut wire = PREFACE.to_vec();
    Frame::Settings(Settings::default())
        .encode()
        .write_to(&mut wire);
    let Sniffed::PriorKnowledge(conn) = sniff(&wire) else {
        panic!()
    };
    let mut p = peer(conn);
    assert!(p.frames().contains(&Out::Frame(Frame::SettingsAck)));
}

#[test]
fn upgrade_makes_the_request_stream_1_and_answers_it_over_http2() {
    let mut hs = handshake();
    let req = upgrade_request("");
    // Byte by byte: the head is found across reads.
    for b in &req.as_bytes()[..req.len() - 1] {
        assert!(hs.recv(std::slice::from_ref(b)).is_none());
    }
    let Some(Sniffed::Upgraded(conn)) = hs.recv(b"\n") else {
        panic!("not upgraded")
    };
    assert_eq!(&SWITCHING_PROTOCOLS[..13], b"HTTP/1.1 101 ");
    let mut p = peer(conn);
    let events = p.events();
    let [
        Event::Request {
            stream,
            request,
            end_stream: true,
        },
    ] = &events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!(*stream, StreamId(1));
    assert_eq!(request.method(), "GET");
    assert_eq!(request.uri().to_string(), "http://example.com/hello?x=1");
    assert_eq!(request.headers()["user-agent"], "test");
    for hop in ["connection", "upgrade", "http2-settings", "host"] {
        assert!(!request.headers().contains_key(hop), "{hop} forwarded");
    }
    // The server preface goes first, and HTTP2-Settings is not ACKed.
    p.conn
        .send_response(StreamId(1), Response::new(()), false)
        .unwrap();
    p.conn
        .send_data(StreamId(1), Bytes::from_static(b"hello"), true)
        .unwrap();
    let out = p.frames();
    assert!(matches!(out[0], Out::Frame(Frame::Settings(_))), "{out:?}");
    assert!(!out.contains(&Out::Frame(Frame::SettingsAck)), "{out:?}");
    assert!(
        matches!(&out[out.len() - 2], Out::Headers { stream: 1, fields, .. } if fields[0].1 == "200")
    );
    assert!(matches!(
        &out[out.len() - 1],
        Out::Frame(Frame::Data { stream: StreamId(1), data, end_stream: true, .. }) if &data[..] == b"hello"
    ));
    // Then the client's preface and SETTINGS, acknowledged as usual; stream
    // 1 is done and the next request is stream 3.
    p.send_raw(PREFACE);
    p.send(Frame::Settings(Settings::default()));
    assert_eq!(p.frames(), vec![Out::Frame(Frame::SettingsAck)]);
    assert_eq!(p.conn.open_streams(), 0);
    p.get(3);
    assert!(matches!(
        &p.events()[..],
        [Event::Request {
            stream: StreamId(3),
            ..
        }]
    ));
    assert!(!p.conn.is_closed());
}

#[test]
fn upgrade_applies_http2_settings_as_the_clients() {
    // The client's INITIAL_WINDOW_SIZE of 1000 holds stream 1's response
    // to 1000 bytes until a WINDOW_UPDATE.
    let small = Settings {
        initial_window_size: Some(1000),
        max_frame_size: Some(16_384),
        ..Settings::default()
    };
    let req = format!(
        "POST / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\n\
         Upgrade: h2c\r\nHTTP2-Settings: {}\r\n\r\n",
        settings_value(&small)
    );
    let mut p = peer(upgraded(req.as_bytes()));
    p.events();
    p.conn
        .send_response(StreamId(1), Response::new(()), false)
        .unwrap();
    p.conn
        .send_data(StreamId(1), Bytes::from(vec![7u8; 100_000]), true)
        .unwrap();
    let sent: usize = p
        .frames()
        .iter()
        .map(|o| match o {
            Out::Frame(Frame::Data { data, .. }) => data.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(sent, 1000, "limited by the client's initial window");
    p.send_raw(PREFACE);
    p.send(Frame::Settings(Settings::default()));
    p.send(Frame::WindowUpdate {
        stream: StreamId(1),
        increment: 500,
    });
    let more: usize = p
        .frames()
        .iter()
        .map(|o| match o {
            Out::Frame(Frame::Data { data, .. }) => data.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(more, 500);
}

#[test]
fn preface_after_upgrade_must_be_the_http2_preface() {
    let mut wire = upgrade_request("").into_bytes();
    wire.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
    let mut p = peer(upgraded(&wire));
    p.events();
    let out = p.frames();
    assert!(
        matches!(out.last(), Some(Out::Frame(Frame::GoAway { .. }))),
        "{out:?}"
    );
}

#[test]
fn body_by_content_length_is_read_before_switching() {
    let mut hs = handshake();
    let req = upgrade_request("Content-Length: 11\r\nContent-Type: text/plain\r\n");
    assert!(hs.recv(req.as_bytes()).is_none(), "waits for the body");
    assert!(hs.recv(b"hello ").is_none());
    let mut tail = b"world".to_vec();
    tail.extend_from_slice(PREFACE);
    let Some(Sniffed::Upgraded(conn)) = hs.recv(&tail) else {
        panic!()
    };
    let mut p = peer(conn);
    let events = p.events();
    assert!(
        matches!(&events[0], Event::Request { stream: StreamId(1), end_stream: false, request }
            if request.headers()["content-length"] == "11"),
        "{events:?}"
    );
    assert!(
        matches!(&events[1], Event::Data { stream: StreamId(1), data, end_stream: true } if &data[..] == b"hello world"),
        "{events:?}"
    );
    // The body counted against the windows: releasing it is harmless and
    // the bytes after the body (the preface) were taken by the connection.
    p.conn.release_capacity(StreamId(1), 11);
    p.send(Frame::Settings(Settings::default()));
    assert!(p.frames().contains(&Out::Frame(Frame::SettingsAck)));
    assert!(!p.conn.is_closed());
}

#[test]
fn bodies_that_cannot_be_upgraded_are_refused() {
    let chunked = upgrade_request("Transfer-Encoding: chunked\r\n");
    assert_eq!(refused(chunked.as_bytes()).reason, RefuseReason::Chunked);
    let big = upgrade_request(&format!("Content-Length: {}\r\n", MAX_UPGRADE_BODY + 1));
    let r = refused(big.as_bytes());
    assert_eq!(r.reason, RefuseReason::BodyTooLarge);
    assert!(r.response.starts_with(b"HTTP/1.1 413 "));
    for cl in ["x", "-1", "1, 2", "", "99999999999999999999"] {
        let req = upgrade_request(&format!("Content-Length: {cl}\r\n"));
        assert_eq!(
            refused(req.as_bytes()).reason,
            RefuseReason::BadContentLength,
            "{cl:?}"
        );
    }
    // Agreeing duplicates are one length (RFC 9112 §6.3).
    let dup = upgrade_request("Content-Length: 2\r\nContent-Length: 2\r\n") + "ok";
    assert!(matches!(sniff(dup.as_bytes()), Sniffed::Upgraded(_)));
}

#[test]
fn http2_settings_must_be_one_valid_payload() {
    let base =
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n";
    let good = settings_value(&client_settings());
    let cases: &[(String, RefuseReason)] = &[
        (String::new(), RefuseReason::MissingSettings),
        (
            format!("HTTP2-Settings: {good}\r\nHTTP2-Settings: {good}\r\n"),
            RefuseReason::DuplicateSettings,
        ),
        (
            "HTTP2-Settings: not*base64\r\n".into(),
            RefuseReason::BadSettings,
        ),
        // 5 octets: not a whole number of settings.
        (
            format!("HTTP2-Settings: {}\r\n", base64url(&[0, 3, 0, 0, 0])),
            RefuseReason::BadSettings,
        ),
        // ENABLE_PUSH = 2 is out of range (§6.5.2).
        (
            format!("HTTP2-Settings: {}\r\n", base64url(&[0, 2, 0, 0, 0, 2])),
            RefuseReason::BadSettings,
        ),
        // INITIAL_WINDOW_SIZE above 2^31-1.
        (
            format!("HTTP2-Settings: {}\r\n", base64url(&[0, 4, 0x80, 0, 0, 0])),
            RefuseReason::BadSettings,
        ),
    ];
    for (field, want) in cases {
        let r = refused(format!("{base}{field}\r\n").as_bytes());
        assert_eq!(r.reason, *want, "{field:?}");
        assert!(r.response.starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
        assert!(contains(&r.response, b"Connection: close\r\n"));
    }
    // An empty value is an empty SETTINGS payload: valid.
    let empty = format!("{base}HTTP2-Settings: \r\n\r\n");
    assert!(matches!(sniff(empty.as_bytes()), Sniffed::Upgraded(_)));
}

#[test]
fn connection_must_name_upgrade_and_http2_settings() {
    let s = settings_value(&client_settings());
    for conn in ["Upgrade", "HTTP2-Settings", "keep-alive"] {
        let req = format!(
            "GET / HTTP/1.1\r\nHost: a\r\nConnection: {conn}\r\nUpgrade: h2c\r\nHTTP2-Settings: {s}\r\n\r\n"
        );
        assert_eq!(
            refused(req.as_bytes()).reason,
            RefuseReason::ConnectionTokens
        );
    }
    // Tokens are case-insensitive and may be spread over lines.
    let req = format!(
        "GET / HTTP/1.1\r\nHost: a\r\nconnection: upgrade\r\nCONNECTION: http2-settings\r\n\
         upgrade: foo/1, H2C\r\nhttp2-settings: {s}\r\n\r\n"
    );
    assert!(matches!(sniff(req.as_bytes()), Sniffed::Upgraded(_)));
}

#[test]
fn a_plain_http1_request_gets_426_naming_h2c() {
    let r = refused(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(r.reason, RefuseReason::NotUpgrade);
    assert!(r.response.starts_with(b"HTTP/1.1 426 Upgrade Required\r\n"));
    assert!(contains(&r.response, b"\r\nUpgrade: h2c\r\n"));
    let upgrade_to_other =
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
    assert_eq!(refused(upgrade_to_other).reason, RefuseReason::NotUpgrade);
    // The response is well formed: its Content-Length is its body's.
    let text = String::from_utf8(r.response.to_vec()).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.contains(&format!("Content-Length: {}", body.len())));
}

#[test]
fn other_versions_and_garbage_are_refused() {
    let v10 = b"GET / HTTP/1.0\r\nHost: a\r\n\r\n";
    assert_eq!(refused(v10).reason, RefuseReason::Version);
    assert!(refused(v10).response.starts_with(b"HTTP/1.1 505 "));
    // A preface that goes wrong after its request line reads as HTTP/2.0.
    let bad_preface = b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n";
    assert_eq!(refused(bad_preface).reason, RefuseReason::Version);
    for bad in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"[..], // TLS hello
        b"GET / HTTP/1.1\r\nHost a\r\n\r\n",
        b"GET / HTTP/1.1\nHost: a\n\n\r\n\r\n",
    ] {
        assert_eq!(refused(bad).reason, RefuseReason::Malformed, "{bad:?}");
    }
    // Host is required, once; the target must be origin-form.
    let s = settings_value(&client_settings());
    let up =
        format!("Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: {s}\r\n");
    for head in [
        format!("GET / HTTP/1.1\r\n{up}\r\n"),
        format!("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n{up}\r\n"),
        format!("GET http://a/ HTTP/1.1\r\nHost: a\r\n{up}\r\n"),
        format!("GET / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\nBad\x7fName: x\r\n{up}\r\n"),
    ] {
        assert_eq!(
            refused(head.as_bytes()).reason,
            RefuseReason::Malformed,
            "{head:?}"
        );
    }
}

#[test]
fn an_oversized_head_is_refused_with_bounded_buffering() {
    let mut hs = Builder::new()
        .max_header_list_size(4096)
        .handshake(Instant::now());
    assert!(hs.recv(b"GET / HTTP/1.1\r\nHost: a\r\n").is_none());
    let filler = format!("X-Fill: {}\r\n", "a".repeat(1000));
    let mut outcome = None;
    for _ in 0..10 {
        outcome = hs.recv(filler.as_bytes());
        if outcome.is_some() {
            break;
        }
    }
    let Some(Sniffed::Refused(r)) = outcome else {
        panic!("never refused: {outcome:?}")
    };
    assert_eq!(r.reason, RefuseReason::HeadTooLarge);
    assert!(r.response.starts_with(b"HTTP/1.1 431 "));
    // A complete head that is too large, in one read, too.
    let big = format!("GET / HTTP/1.1\r\nHost: a\r\n{}\r\n", filler.repeat(5));
    let mut hs = Builder::new()
        .max_header_list_size(4096)
        .handshake(Instant::now());
    let Some(Sniffed::Refused(r)) = hs.recv(big.as_bytes()) else {
        panic!()
    };
    assert_eq!(r.reason, RefuseReason::HeadTooLarge);
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

proptest! {
    /// Random bytes after each kind of start, fed in random pieces: no
    /// panic, and a refusal is always a complete HTTP/1.1 response.
    #[test]
    fn random_input_never_panics(
        start in 0usize..4,
        tail in proptest::collection::vec(any::<u8>(), 0..2048),
        cuts in proptest::collection::vec(1usize..300, 1..20),
    ) {
        let mut wire = match start {
            0 => Vec::new(),
            1 => PREFACE[..10].to_vec(),
            2 => b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec(),
            _ => upgrade_request("Content-Length: 100\r\n").into_bytes(),
        };
        wire.extend_from_slice(&tail);
        let mut hs = Builder::new().max_header_list_size(1024).handshake(Instant::now());
        let mut rest = &wire[..];
        for cut in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (piece, next) = rest.split_at((*cut).min(rest.len()));
            rest = next;
            if let Some(Sniffed::Refused(r)) = hs.recv(piece) {
                prop_assert!(r.response.starts_with(b"HTTP/1.1 "));
                prop_assert!(contains(&r.response, b"\r\nConnection: close\r\n"));
            }
        }
    }
}
