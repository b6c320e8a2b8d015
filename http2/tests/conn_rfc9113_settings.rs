//! RFC 9113 rules about the preface and SETTINGS (§3.4, §6.5), the
//! extension points a server must ignore (§5.5, §7), frame sizes (§4.2),
//! HPACK table-size signalling (§4.3.1) and what the server itself may
//! write (§4.1, §8.2, §8.3). Each test names the MUST it checks; the
//! checklist of all of them is `tests/RFC_COVERAGE.md`.

mod support;

use bytes::Bytes;
use goro_http2::frame::{
    DEFAULT_MAX_FRAME_SIZE, Frame, Head, MAX_WINDOW, OutFrame, Settings, StreamId,
};
use goro_http2::frame::{flags, kind};
use goro_http2::hpack::{Decoder, Header};
use goro_http2::proto::PREFACE;
use goro_http2::server::Builder;
use goro_http2::{Event, Reason};
use http::{HeaderValue, Response};
use support::peer::{GET, Out, Peer, owned, post, raw_frame};

/// One SETTINGS parameter on the wire (§6.5.1).
fn setting(id: u16, value: u32) -> [u8; 6] {
    let (i, v) = (id.to_be_bytes(), value.to_be_bytes());
    [i[0], i[1], v[0], v[1], v[2], v[3]]
}

fn respond(p: &mut Peer, stream: u32, resp: Response<()>, body: &'static [u8]) {
    p.conn
        .send_response(StreamId(stream), resp, body.is_empty())
        .unwrap();
    if !body.is_empty() {
        p.conn
            .send_data(StreamId(stream), Bytes::from_static(body), true)
            .unwrap();
    }
}

fn transmit(p: &mut Peer) -> Vec<OutFrame> {
    std::iter::from_fn(|| p.conn.poll_transmit()).collect()
}

#[test]
fn client_settings_are_acked_after_the_server_preface() {
    // §3.4: the server's SETTINGS is its first frame, and the client's
    // preface SETTINGS is acknowledged after it.
    let mut p = Peer::raw(Builder::new());
    p.send_raw(PREFACE);
    p.send(Frame::Settings(Settings::default()));
    let out = p.frames();
    assert!(matches!(out[0], Out::Frame(Frame::Settings(_))), "{out:?}");
    let ack = out
        .iter()
        .position(|o| *o == Out::Frame(Frame::SettingsAck));
    assert!(ack.is_some_and(|i| i > 0), "{out:?}");
}

#[test]
fn advertised_settings_stay_in_their_ranges() {
    // §6.5.2: our SETTINGS_MAX_FRAME_SIZE is within 2^14..=2^24-1 and our
    // SETTINGS_INITIAL_WINDOW_SIZE at most 2^31-1 whatever the builder was
    // given (§6.9.1: no window above 2^31-1, the connection's included).
    for (asked, frame, window) in [(1, 16_384, 0), (u32::MAX, (1 << 24) - 1, u32::MAX)] {
        let mut p = Peer::raw(
            Builder::new()
                .max_frame_size(asked)
                .initial_stream_window(window)
                .initial_connection_window(window),
        );
        let out = p.frames();
        let Out::Frame(Frame::Settings(s)) = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(s.max_frame_size, Some(frame));
        let w = s.initial_window_size.unwrap();
        assert!((65_535..=MAX_WINDOW).contains(&w), "{w}");
        let conn = out.iter().find_map(|o| match o {
            Out::Frame(Frame::WindowUpdate { increment, .. }) => Some(*increment),
            _ => None,
        });
        assert!(65_535 + conn.unwrap_or(0) <= MAX_WINDOW, "{conn:?}");
    }
}

#[test]
fn unknown_settings_and_enable_push_1_are_accepted() {
    // §5.5 and §6.5.2: unknown identifiers (0 and 0xff here) are ignored;
    // ENABLE_PUSH = 1 is a legal client value, meaningless to a server.
    let mut p = Peer::open(Builder::new());
    let mut payload = Vec::new();
    payload.extend(setting(0xff, 7));
    payload.extend(setting(0x0, 0xffff_ffff));
    payload.extend(setting(0x2, 1));
    p.send_raw(&raw_frame(kind::SETTINGS, 0, 0, &payload));
    assert_eq!(p.frames(), vec![Out::Frame(Frame::SettingsAck)]);
    p.get(1);
    assert_eq!(p.events().len(), 1);
    assert_eq!(p.conn.error(), None);
}

#[test]
fn settings_apply_in_order_so_the_last_value_wins() {
    // §6.5.3: values are processed in the order they appear.
    let mut p = Peer::open(Builder::new());
    let mut payload = Vec::new();
    payload.extend(setting(0x4, 3)); // SETTINGS_INITIAL_WINDOW_SIZE
    payload.extend(setting(0x4, 5));
    p.send_raw(&raw_frame(kind::SETTINGS, 0, 0, &payload));
    assert_eq!(p.frames(), vec![Out::Frame(Frame::SettingsAck)]);
    p.get(1);
    p.events();
    respond(&mut p, 1, Response::new(()), b"0123456789");
    let sent: usize = p
        .frames()
        .iter()
        .map(|o| match o {
            Out::Frame(Frame::Data { data, .. }) => data.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(sent, 5, "the stream window is the last value, 5");
}

#[test]
fn unknown_error_codes_trigger_no_special_behaviour() {
    // §7: an unknown code in RST_STREAM or GOAWAY means what any code does.
    let mut p = Peer::open(Builder::new());
    p.headers(1, &post(None), false);
    p.events();
    p.send(Frame::RstStream {
        stream: StreamId(1),
        reason: Reason(0xdead),
    });
    let ev = p.events();
    assert!(
        matches!(
            ev[..],
            [Event::Reset {
                reason: Reason(0xdead),
                ..
            }]
        ),
        "{ev:?}"
    );
    assert!(p.frames().is_empty(), "no reply to a RST_STREAM");
    p.get(3);
    assert_eq!(p.events().len(), 1);
    p.send(Frame::GoAway {
        last_stream: StreamId(0),
        reason: Reason(0xbeef),
        debug: Bytes::from_static(b"why"),
    });
    assert!(!p.conn.is_closed(), "stream 3 is still served");
    respond(&mut p, 3, Response::new(()), b"ok");
    assert_eq!(p.frames().len(), 2);
    assert!(p.conn.is_closed());
    assert_eq!(p.conn.error(), None, "no error of ours");
}

#[test]
fn a_frame_of_exactly_16384_octets_is_accepted() {
    // §4.2: every implementation receives frames up to 2^14 octets.
    let mut p = Peer::open(Builder::new());
    p.headers(1, &post(None), false);
    p.data(1, &[7; DEFAULT_MAX_FRAME_SIZE as usize], true);
    let ev = p.events();
    assert!(
        matches!(&ev[1], Event::Data { data, end_stream: true, .. } if data.len() == 16_384),
        "{ev:?}"
    );
    assert_eq!(p.conn.error(), None);
}

#[test]
fn an_acked_table_size_reduction_requires_a_size_update() {
    // §4.3.1: once the client acknowledges our smaller
    // SETTINGS_HEADER_TABLE_SIZE, a block without a conformant size update
    // is a connection COMPRESSION_ERROR. Before the ACK the old size holds.
    let mut p = Peer::raw(Builder::new().header_table_size(0));
    p.send_raw(PREFACE);
    p.send(Frame::Settings(Settings::default()));
    p.frames();
    p.get(1);
    assert_eq!(p.events().len(), 1, "not acknowledged yet: 4096 holds");
    p.send(Frame::SettingsAck);
    p.get(3);
    p.expect_goaway(Reason::COMPRESSION_ERROR);

    // The same request, opened by a size update to 0, is accepted.
    let mut p = Peer::open(Builder::new().header_table_size(0));
    p.enc.set_max_table_size(0);
    p.get(1);
    assert_eq!(p.events().len(), 1);
    assert_eq!(p.conn.error(), None);
}

#[test]
fn our_encoder_follows_a_table_size_decrease_mid_connection() {
    // §4.3.1, RFC 7541 §4.2 and §6.3: after the client lowers
    // SETTINGS_HEADER_TABLE_SIZE below what our table holds, our next block
    // starts with a size update within the new limit, and the table never
    // grows past it. The peer's decoder is strict: it rejects a missing or
    // too large update, and a reference to an entry it evicted.
    let mut p = Peer::open(Builder::new());
    let fields = || {
        let mut b = Response::builder();
        for (n, v) in [("x-one", "1"), ("x-two", "22"), ("x-three", "333")] {
            b = b.header(n, v);
        }
        b.body(()).unwrap()
    };
    p.get(1);
    p.events();
    respond(&mut p, 1, fields(), b"");
    p.frames();
    assert!(p.dec.table_size() > 64, "entries were indexed");
    p.send(Frame::Settings(Settings {
        header_table_size: Some(64),
        ..Settings::default()
    }));
    assert_eq!(p.frames(), vec![Out::Frame(Frame::SettingsAck)]);
    p.dec.set_max_table_size(64); // in force once acknowledged
    for s in [3, 5, 7] {
        p.get(s);
        p.events();
        respond(&mut p, s, fields(), b"");
        let raw = transmit(&mut p);
        if s == 3 {
            assert_eq!(raw[0].payload[0] & 0xe0, 0x20, "starts with a size update");
        }
        let mut got = Vec::new();
        p.dec
            .decode(&raw[0].payload, usize::MAX, |h| {
                got.push((h.name.to_vec(), h.value.to_vec()))
            })
            .expect("block decodes under the 64-octet limit");
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(got[3], (b"x-three".to_vec(), b"333".to_vec()));
        assert!(p.dec.table_size() <= 64);
    }
}

/// Flags a server may set per frame type (§6): never PADDED or PRIORITY,
/// nothing else undefined (§4.1).
fn allowed_flags(k: u8) -> u8 {
    match k {
        kind::DATA => flags::END_STREAM,
        kind::HEADERS => flags::END_STREAM | flags::END_HEADERS,
        kind::CONTINUATION => flags::END_HEADERS,
        kind::SETTINGS | kind::PING => flags::ACK,
        kind::RST_STREAM | kind::GOAWAY | kind::WINDOW_UPDATE => 0,
        other => panic!("the server sent frame type {other:#x}"),
    }
}

#[test]
fn server_frames_keep_size_flag_reserved_bit_and_field_rules() {
    // §4.1: no unused flag and no reserved bit set; §4.2: no frame above
    // the client's SETTINGS_MAX_FRAME_SIZE (16 384 here); §6.1: no padding;
    // §8.2: lowercase names; §8.3, §8.3.2: one :status, first, and no other
    // pseudo-header; §8.4: no PUSH_PROMISE.
    let mut p = Peer::open(Builder::new().initial_connection_window(65_535));
    let big = "v".repeat(40_000);
    p.send(Frame::Ping {
        ack: false,
        payload: [1; 8],
    });
    p.get(1);
    p.headers(3, &post(None), false);
    for _ in 0..3 {
        p.data(3, &[0; 16_000], false);
    }
    p.events();
    let resp = Response::builder()
        .header("X-Mixed-Case", "1")
        .header("x-big", big.as_str())
        .body(())
        .unwrap();
    p.conn.send_response(StreamId(1), resp, false).unwrap();
    p.conn
        .send_data(StreamId(1), Bytes::from(vec![0; 40_000]), false)
        .unwrap();
    let mut t = http::HeaderMap::new();
    t.insert("x-trailer", HeaderValue::from_static("1"));
    p.conn.send_trailers(StreamId(1), t).unwrap();
    p.conn.release_capacity(StreamId(3), 48_000);
    respond(&mut p, 3, Response::new(()), b"early");
    p.conn.go_away(p.now);
    let raw = transmit(&mut p);
    let mut dec = Decoder::new(4096);
    let mut block = Vec::new();
    let mut kinds = Vec::new();
    for f in &raw {
        let head = Head::parse(&f.head);
        kinds.push(head.kind);
        assert_eq!(head.len as usize, f.payload.len());
        assert!(head.len <= DEFAULT_MAX_FRAME_SIZE, "{head:?}");
        assert_eq!(f.head[5] & 0x80, 0, "reserved bit set: {head:?}");
        assert_eq!(head.flags & !allowed_flags(head.kind), 0, "{head:?}");
        if matches!(head.kind, kind::HEADERS | kind::CONTINUATION) {
            block.extend_from_slice(&f.payload);
            if head.flags & flags::END_HEADERS != 0 {
                let mut fields: Vec<Header> = Vec::new();
                dec.decode(&Bytes::from(std::mem::take(&mut block)), usize::MAX, |h| {
                    fields.push(h)
                })
                .unwrap();
                let names: Vec<_> = fields.iter().map(|h| h.name.clone()).collect();
                for n in &names {
                    assert!(!n.iter().any(u8::is_ascii_uppercase), "{n:?}");
                }
                let pseudo: Vec<_> = names.iter().filter(|n| n.starts_with(b":")).collect();
                let trailers = pseudo.is_empty();
                assert!(
                    trailers || (pseudo == [&names[0]] && &names[0][..] == b":status"),
                    "{names:?}"
                );
            }
        }
    }
    for k in [
        kind::PING,
        kind::HEADERS,
        kind::CONTINUATION,
        kind::DATA,
        kind::WINDOW_UPDATE,
        kind::RST_STREAM,
        kind::GOAWAY,
    ] {
        assert!(kinds.contains(&k), "exchange should include type {k:#x}");
    }
}

#[test]
fn never_indexed_request_fields_stay_never_indexed() {
    // RFC 7541 §6.2.3, §7.1.3: a field that arrived never-indexed reaches
    // the application marked sensitive, and goes out never-indexed again
    // (0001xxxx, outside the dynamic table) when it is sent back.
    let mut p = Peer::open(Builder::new());
    let mut fragment = Vec::new();
    let get = owned(GET);
    let fields = get
        .iter()
        .map(|(n, v)| (n.as_bytes(), v.as_bytes(), false))
        .chain([(&b"authorization"[..], &b"secret"[..], true)]);
    p.enc.encode(fields, &mut fragment);
    p.send(Frame::Headers {
        stream: StreamId(1),
        fragment: Bytes::from(fragment),
        end_stream: true,
        end_headers: true,
        priority: None,
    });
    let ev = p.events();
    let Event::Request { request, .. } = &ev[0] else {
        panic!("{ev:?}")
    };
    let value = request.headers()["authorization"].clone();
    assert!(value.is_sensitive());
    let resp = Response::builder()
        .header("x-echo", value)
        .body(())
        .unwrap();
    respond(&mut p, 1, resp, b"");
    let raw = transmit(&mut p);
    let before = p.dec.table_size();
    let mut got = Vec::new();
    p.dec
        .decode(&raw[0].payload, usize::MAX, |h| got.push(h))
        .unwrap();
    let echo = got.iter().find(|h| &h.name[..] == b"x-echo").unwrap();
    assert!(echo.sensitive, "sent again as never indexed");
    assert_eq!(&echo.value[..], b"secret");
    assert_eq!(p.dec.table_size(), before, "nothing was indexed");
}
