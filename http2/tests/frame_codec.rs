//! Frame layer: property round trips and parse-level error codes.

use bytes::Bytes;
use goro_http2::frame::{Frame, HEAD_LEN, Head, Priority, Settings, StreamId, flags, kind};
use goro_http2::{ProtoError, Reason};
use proptest::prelude::*;

fn sid() -> impl Strategy<Value = StreamId> {
    (1u32..(1 << 31)).prop_map(StreamId)
}

fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn priority() -> impl Strategy<Value = Priority> {
    ((0u32..(1 << 31)), any::<bool>(), any::<u8>()).prop_map(|(d, exclusive, weight)| Priority {
        dependency: StreamId(d),
        exclusive,
        weight,
    })
}

fn settings() -> impl Strategy<Value = Settings> {
    (
        proptest::option::of(any::<u32>()),
        proptest::option::of(0u32..2),
        proptest::option::of(any::<u32>()),
        proptest::option::of(0u32..(1 << 31)),
        proptest::option::of(16_384u32..(1 << 24)),
        proptest::option::of(any::<u32>()),
    )
        .prop_map(|(a, b, c, d, e, f)| Settings {
            header_table_size: a,
            enable_push: b,
            max_concurrent_streams: c,
            initial_window_size: d,
            max_frame_size: e,
            max_header_list_size: f,
            enable_connect_protocol: None,
        })
}

fn frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        (sid(), bytes(100), any::<bool>()).prop_map(|(stream, data, end_stream)| Frame::Data {
            stream,
            flow_len: data.len() as u32,
            data,
            end_stream
        }),
        (
            sid(),
            bytes(100),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(priority())
        )
            .prop_map(|(stream, fragment, end_stream, end_headers, priority)| {
                Frame::Headers {
                    stream,
                    fragment,
                    end_stream,
                    end_headers,
                    priority,
                }
            }),
        (sid(), priority())
            .prop_filter("no self-dependency", |(s, p)| p.dependency != *s)
            .prop_map(|(stream, priority)| Frame::Priority { stream, priority }),
        (sid(), any::<u32>()).prop_map(|(stream, r)| Frame::RstStream {
            stream,
            reason: Reason(r)
        }),
        settings().prop_map(Frame::Settings),
        Just(Frame::SettingsAck),
        (any::<bool>(), any::<[u8; 8]>()).prop_map(|(ack, payload)| Frame::Ping { ack, payload }),
        ((0u32..(1 << 31)), any::<u32>(), bytes(40)).prop_map(|(l, r, debug)| Frame::GoAway {
            last_stream: StreamId(l),
            reason: Reason(r),
            debug
        }),
        ((0u32..(1 << 31)), (0u32..(1 << 31))).prop_map(|(s, increment)| Frame::WindowUpdate {
            stream: StreamId(s),
            increment
        }),
        (sid(), bytes(100), any::<bool>()).prop_map(|(stream, fragment, end_headers)| {
            Frame::Continuation {
                stream,
                fragment,
                end_headers,
            }
        }),
        ((10u8..=255), (0u32..(1 << 31))).prop_map(|(kind, s)| Frame::Unknown {
            kind,
            stream: StreamId(s)
        }),
    ]
}

fn reparse(wire: &[u8]) -> Result<Frame, ProtoError> {
    let head = Head::parse(wire[..HEAD_LEN].try_into().unwrap());
    assert_eq!(head.len as usize, wire.len() - HEAD_LEN);
    Frame::parse(head, Bytes::copy_from_slice(&wire[HEAD_LEN..]))
}

proptest! {
    #[test]
    fn every_frame_round_trips(f in frame()) {
        let mut wire = Vec::new();
        f.encode().write_to(&mut wire);
        prop_assert_eq!(reparse(&wire).unwrap(), f);
    }

    #[test]
    fn head_round_trips(len in 0u32..(1 << 24), k: u8, fl: u8, s in 0u32..(1 << 31)) {
        let h = Head { len, kind: k, flags: fl, stream: StreamId(s) };
        prop_assert_eq!(Head::parse(&h.encode()), h);
    }

    #[test]
    fn arbitrary_payloads_never_panic(k in 0u8..12, fl: u8, s in 0u32..8, payload in bytes(64)) {
        let head = Head { len: payload.len() as u32, kind: k, flags: fl, stream: StreamId(s) };
        let _ = Frame::parse(head, payload);
    }
}

#[test]
fn reserved_bit_of_the_stream_id_is_ignored() {
    let mut wire = Head {
        len: 0,
        kind: kind::SETTINGS,
        flags: flags::ACK,
        stream: StreamId(0),
    }
    .encode();
    wire[5] |= 0x80;
    assert_eq!(Head::parse(&wire).stream, StreamId(0));
}

#[test]
fn padded_data_strips_padding_but_counts_it_for_flow_control() {
    let payload = Bytes::from_static(&[2, b'h', b'i', 0, 0]);
    let head = Head {
        len: 5,
        kind: kind::DATA,
        flags: flags::PADDED,
        stream: StreamId(1),
    };
    let f = Frame::parse(head, payload).unwrap();
    assert_eq!(
        f,
        Frame::Data {
            stream: StreamId(1),
            data: Bytes::from_static(b"hi"),
            end_stream: false,
            flow_len: 5
        }
    );
}

#[test]
fn padded_headers_with_priority() {
    let payload = Bytes::from_static(&[1, 0x80, 0, 0, 3, 9, 0x82, 0]);
    let head = Head {
        len: 8,
        kind: kind::HEADERS,
        flags: flags::PADDED | flags::PRIORITY | flags::END_HEADERS,
        stream: StreamId(5),
    };
    let Frame::Headers {
        fragment, priority, ..
    } = Frame::parse(head, payload).unwrap()
    else {
        panic!()
    };
    assert_eq!(&fragment[..], &[0x82]);
    assert_eq!(
        priority,
        Some(Priority {
            dependency: StreamId(3),
            exclusive: true,
            weight: 9
        })
    );
}
