//! Scripted mock-peer tests of normal server behaviour (RFC 9113 §3–§8).

mod support;

use bytes::Bytes;
use goro_http2::frame::{Frame, Settings, StreamId};
use goro_http2::server::Builder;
use goro_http2::{Event, Reason};
use http::{HeaderMap, Response};
use support::peer::{GET, Out, Peer, owned, post};

fn respond(p: &mut Peer, stream: u32, body: &'static [u8]) {
    let resp = Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body(())
        .unwrap();
    p.conn
        .send_response(StreamId(stream), resp, body.is_empty())
        .unwrap();
    if !body.is_empty() {
        p.conn
            .send_data(StreamId(stream), Bytes::from_static(body), true)
            .unwrap();
    }
}

#[test]
fn server_preface_is_settings_then_connection_window() {
    let mut p = Peer::raw(Builder::new().max_concurrent_streams(7));
    let out = p.frames();
    let Some(Out::Frame(Frame::Settings(s))) = out.first() else {
        panic!("{out:?}")
    };
    assert_eq!(s.max_concurrent_streams, Some(7));
    assert_eq!(s.enable_push, Some(0));
    assert!(matches!(
        out[1],
        Out::Frame(Frame::WindowUpdate {
            stream: StreamId(0),
            ..
        })
    ));
}

#[test]
fn get_is_answered_with_headers_and_data() {
    let mut p = Peer::open(Builder::new());
    p.get(1);
    let ev = p.events();
    let [
        Event::Request {
            stream,
            request,
            end_stream: true,
        },
    ] = &ev[..]
    else {
        panic!("{ev:?}")
    };
    assert_eq!(*stream, StreamId(1));
    assert_eq!(request.method(), http::Method::GET);
    assert_eq!(request.uri().path(), "/");
    assert_eq!(request.uri().authority().unwrap().as_str(), "example.com");
    respond(&mut p, 1, b"hello");
    let out = p.frames();
    assert_eq!(
        out,
        vec![
            Out::Headers {
                stream: 1,
                fields: owned(&[(":status", "200"), ("content-type", "text/plain")]),
                end_stream: false
            },
            Out::Frame(Frame::Data {
                stream: StreamId(1),
                data: Bytes::from_static(b"hello"),
                end_stream: true,
                flow_len: 5
            }),
        ]
    );
    assert_eq!(p.conn.open_streams(), 0, "finished stream must be released");
}

#[test]
fn data_frames_are_zero_copy_slices_of_the_body() {
    let mut p = Peer::open(Builder::new());
    p.get(1);
    p.events();
    let body = Bytes::from(vec![7u8; 40_000]);
    let resp = Response::new(());
    p.conn.send_response(StreamId(1), resp, false).unwrap();
    p.conn.send_data(StreamId(1), body.clone(), true).unwrap();
    let mut frames = Vec::new();
    while let Some(f) = p.conn.poll_transmit() {
        frames.push(f);
    }
    let data: Vec<_> = frames.iter().filter(|f| f.head[3] == 0).collect();
    assert_eq!(data.len(), 3, "40 000 bytes in 16 384-byte frames");
    // The first payload points into the caller's buffer: no copy was made.
    assert_eq!(data[0].payload.as_ptr(), body.as_ptr());
    assert_eq!(data[0].slices()[0].len(), 9);
}

#[test]
fn request_body_is_streamed_and_windows_reopen_on_release() {
    let mut p = Peer::open(Builder::new().initial_stream_window(65_535));
    p.headers(1, &post(Some(40_000)), false);
    p.data(1, &[1; 16_000], false);
    p.data(1, &[2; 16_000], false);
    p.data(1, &[3; 8_000], true);
    let ev = p.events();
    assert!(
        matches!(
            ev[0],
            Event::Request {
                end_stream: false,
                ..
            }
        ),
        "{ev:?}"
    );
    assert!(matches!(&ev[1], Event::Data { data, end_stream: false, .. } if data.len() == 16_000));
    assert!(matches!(
        &ev[3],
        Event::Data {
            end_stream: true,
            ..
        }
    ));
    // Nothing is given back before the application releases it.
    assert!(p.frames().is_empty());
    p.conn.release_capacity(StreamId(1), 40_000);
    respond(&mut p, 1, b"");
    let out = p.frames();
    assert!(
        matches!(
            out[0],
            Out::Headers {
                stream: 1,
                end_stream: true,
                ..
            }
        ),
        "{out:?}"
    );
}

#[test]
fn stream_window_update_sent_after_half_window_released() {
    let mut p = Peer::open(Builder::new().initial_stream_window(65_535));
    p.headers(1, &post(None), false);
    p.data(1, &[0; 16_000], false);
    p.data(1, &[0; 16_000], false);
    p.data(1, &[0; 16_000], false);
    p.events();
    p.conn.release_capacity(StreamId(1), 48_000);
    let out = p.frames();
    assert!(
        out.contains(&Out::Frame(Frame::WindowUpdate {
            stream: StreamId(1),
            increment: 48_000
        })),
        "{out:?}"
    );
}

#[test]
fn trailers_are_delivered_and_sent() {
    let mut p = Peer::open(Builder::new());
    p.headers(1, &post(None), false);
    p.data(1, b"abc", false);
    p.headers(1, &owned(&[("x-checksum", "42")]), true);
    let ev = p.events();
    let Event::Trailers { trailers, .. } = &ev[2] else {
        panic!("{ev:?}")
    };
    assert_eq!(trailers["x-checksum"], "42");
    p.conn
        .send_response(StreamId(1), Response::new(()), false)
        .unwrap();
    p.conn
        .send_data(StreamId(1), Bytes::from_static(b"body"), false)
        .unwrap();
    let mut t = HeaderMap::new();
    t.insert("grpc-status", "0".parse().unwrap());
    p.conn.send_trailers(StreamId(1), t).unwrap();
    let out = p.frames();
    assert_eq!(
        out.last(),
        Some(&Out::Headers {
            stream: 1,
            fields: owned(&[("grpc-status", "0")]),
            end_stream: true
        })
    );
}

#[test]
fn response_data_waits_for_window_updates() {
    let ours = Settings {
        initial_window_size: Some(10),
        ..Settings::default()
    };
    let mut p = Peer::open_with(Builder::new(), ours);
    p.get(1);
    p.events();
    p.conn
        .send_response(StreamId(1), Response::new(()), false)
        .unwrap();
    p.conn
        .send_data(StreamId(1), Bytes::from_static(b"0123456789abcdef"), true)
        .unwrap();
    let out = p.frames();
    let sent: usize = out
        .iter()
        .map(|o| match o {
            Out::Frame(Frame::Data { data, .. }) => data.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(sent, 10, "only the stream window may be sent: {out:?}");
    p.send(Frame::WindowUpdate {
        stream: StreamId(1),
        increment: 6,
    });
    let out = p.frames();
    assert!(
        matches!(&out[..], [Out::Frame(Frame::Data { data, end_stream: true, .. })] if data.len() == 6)
    );
}

#[test]
fn settings_initial_window_change_applies_to_open_streams() {
    let ours = Settings {
        initial_window_size: Some(0),
        ..Settings::default()
    };
    let mut p = Peer::open_with(Builder::new(), ours);
    p.get(1);
    p.events();
    p.conn
        .send_response(StreamId(1), Response::new(()), false)
        .unwrap();
    p.conn
        .send_data(StreamId(1), Bytes::from_static(b"xyz"), true)
        .unwrap();
    assert_eq!(p.frames().len(), 1, "headers only: the window is 0");
    p.send(Frame::Settings(Settings {
        initial_window_size: Some(3),
        ..Settings::default()
    }));
    let out = p.frames();
    assert!(out.contains(&Out::Frame(Frame::SettingsAck)));
    assert!(out.iter().any(|o| matches!(
        o,
        Out::Frame(Frame::Data {
            end_stream: true,
            ..
        })
    )));
}

#[test]
fn large_response_headers_use_continuation() {
    let mut p = Peer::open(Builder::new());
    p.get(1);
    p.events();
    let big = "v".repeat(40_000);
    let resp = Response::builder()
        .header("x-big", big.as_str())
        .body(())
        .unwrap();
    p.conn.send_response(StreamId(1), resp, true).unwrap();
    let raw: Vec<_> = std::iter::from_fn(|| p.conn.poll_transmit()).collect();
    assert!(raw.len() >= 3);
    assert_eq!(raw[1].head[3], 0x9, "second frame is CONTINUATION");
    assert!(raw.iter().all(|f| f.payload.len() <= 16_384));
}

#[test]
fn ping_is_acknowledged_with_same_payload() {
    let mut p = Peer::open(Builder::new());
    p.send(Frame::Ping {
        ack: false,
        payload: *b"12345678",
    });
    assert_eq!(
        p.frames(),
        vec![Out::Frame(Frame::Ping {
            ack: true,
            payload: *b"12345678"
        })]
    );
}

#[test]
fn priority_frames_are_parsed_and_ignored() {
    let mut p = Peer::open(Builder::new());
    let prio = goro_http2::frame::Priority {
        dependency: StreamId(0),
        exclusive: false,
        weight: 15,
    };
    p.send(Frame::Priority {
        stream: StreamId(3),
        priority: prio,
    });
    p.get(1);
    assert_eq!(p.events().len(), 1);
    assert!(p.frames().is_empty());
}

#[test]
fn unknown_frame_types_are_ignored() {
    let mut p = Peer::open(Builder::new());
    p.send_raw(&support::peer::raw_frame(0xfa, 0, 0, b"whatever"));
    p.get(1);
    assert_eq!(p.events().len(), 1);
}

#[test]
fn graceful_go_away_drains_in_flight_streams() {
    let mut p = Peer::open(Builder::new());
    p.get(1);
    p.events();
    p.conn.go_away(p.now);
    // Step one (§6.8): GOAWAY with 2^31-1, and a PING to time the round trip.
    let out = p.frames();
    let go_away = |last| {
        Out::Frame(Frame::GoAway {
            last_stream: StreamId(last),
            reason: Reason::NO_ERROR,
            debug: Bytes::new(),
        })
    };
    assert_eq!(out[0], go_away((1 << 31) - 1));
    let Out::Frame(Frame::Ping {
        ack: false,
        payload,
    }) = out[1]
    else {
        panic!("{out:?}")
    };
    // A request the client sent before it saw the GOAWAY is still served.
    p.get(3);
    assert_eq!(p.events().len(), 1);
    p.send(Frame::Ping { ack: true, payload });
    // Step two: the real last stream.
    assert_eq!(p.frames(), vec![go_away(3)]);
    // Later streams, and their bodies, are ignored without errors.
    p.headers(5, &post(None), false);
    p.data(5, b"ignored", true);
    assert!(p.events().is_empty());
    assert!(p.frames().is_empty());
    assert!(!p.conn.is_closed(), "streams 1 and 3 are still in flight");
    respond(&mut p, 1, b"done");
    respond(&mut p, 3, b"done");
    assert_eq!(p.frames().len(), 4);
    assert!(p.conn.is_closed(), "closes once the last stream is done");
    assert_eq!(p.conn.error(), None);
}

#[test]
fn graceful_go_away_without_ping_ack_finishes_at_the_timeout() {
    let mut p = Peer::open(Builder::new());
    p.conn.go_away(p.now);
    assert_eq!(p.frames().len(), 2);
    let deadline = p.conn.next_timeout().expect("shutdown deadline");
    p.conn.handle_timeout(deadline);
    let out = p.frames();
    assert!(
        matches!(
            &out[..],
            [Out::Frame(Frame::GoAway {
                last_stream: StreamId(0),
                ..
            })]
        ),
        "{out:?}"
    );
    assert!(p.conn.is_closed());
}

#[test]
fn peer_reset_reaches_the_application() {
    let mut p = Peer::open(Builder::new());
    p.headers(1, &post(None), false);
    p.events();
    p.send(Frame::RstStream {
        stream: StreamId(1),
        reason: Reason::CANCEL,
    });
    let ev = p.events();
    assert!(
        matches!(
            ev[..],
            [Event::Reset {
                reason: Reason::CANCEL,
                ..
            }]
        ),
        "{ev:?}"
    );
    assert_eq!(
        p.conn.send_response(StreamId(1), Response::new(()), true),
        Err(goro_http2::SendError::UnknownStream)
    );
}

#[test]
fn early_response_resets_unfinished_request_with_no_error() {
    let mut p = Peer::open(Builder::new());
    p.headers(1, &post(None), false);
    p.events();
    p.conn
        .send_response(StreamId(1), Response::new(()), true)
        .unwrap();
    let out = p.frames();
    assert!(out.contains(&Out::Frame(Frame::RstStream {
        stream: StreamId(1),
        reason: Reason::NO_ERROR
    })));
    // Body frames already in flight are ignored, not answered (§5.4.2).
    p.data(1, b"late", false);
    assert!(
        p.frames()
            .iter()
            .all(|o| !matches!(o, Out::Frame(Frame::RstStream { .. })))
    );
    assert!(!p.conn.is_closed());
}

#[test]
fn settings_timeout_fails_the_connection() {
    let mut p = Peer::raw(Builder::new().settings_timeout(std::time::Duration::from_secs(1)));
    p.send_raw(goro_http2::proto::PREFACE);
    p.send(Frame::Settings(Settings::default()));
    p.frames();
    let deadline = p.conn.next_timeout().unwrap();
    p.conn
        .handle_timeout(deadline - std::time::Duration::from_millis(1));
    assert!(!p.conn.is_closed());
    p.conn.handle_timeout(deadline);
    p.expect_goaway(Reason::SETTINGS_TIMEOUT);
}

#[test]
fn preface_timeout_closes() {
    let mut p = Peer::raw(Builder::new());
    p.frames();
    p.send_raw(&goro_http2::proto::PREFACE[..10]);
    let t = p.now + std::time::Duration::from_secs(10);
    p.conn.handle_timeout(t);
    p.expect_goaway(Reason::PROTOCOL_ERROR);
}

#[test]
fn preface_may_arrive_byte_by_byte() {
    let mut p = Peer::raw(Builder::new());
    for b in goro_http2::proto::PREFACE {
        p.send_raw(&[*b]);
    }
    p.send(Frame::Settings(Settings::default()));
    p.send(Frame::SettingsAck);
    let mut wire = Vec::new();
    let block = p.block(&owned(GET));
    Frame::Headers {
        stream: StreamId(1),
        fragment: block,
        end_stream: true,
        end_headers: true,
        priority: None,
    }
    .encode()
    .write_to(&mut wire);
    for b in wire {
        p.send_raw(&[b]);
    }
    assert_eq!(p.events().len(), 1);
}

#[test]
fn peer_header_table_size_is_honoured_by_our_encoder() {
    let ours = Settings {
        header_table_size: Some(0),
        ..Settings::default()
    };
    let mut p = Peer::open_with(Builder::new(), ours);
    p.dec.set_max_table_size(0);
    p.get(1);
    p.events();
    let resp = Response::builder().header("x-a", "1").body(()).unwrap();
    p.conn.send_response(StreamId(1), resp, true).unwrap();
    let raw: Vec<_> = std::iter::from_fn(|| p.conn.poll_transmit()).collect();
    // §4.2 of RFC 7541: the block opens with a size update to 0.
    assert_eq!(raw[0].payload[0], 0x20);
    // And the peer's strict decoder (which now requires it) accepts the block.
    let mut fields = Vec::new();
    p.dec
        .decode(&raw[0].payload, usize::MAX, |h| fields.push(h))
        .unwrap();
    assert_eq!(p.dec.table_size(), 0);
}

#[test]
fn peer_max_frame_size_allows_larger_data_frames() {
    let ours = Settings {
        max_frame_size: Some(100_000),
        initial_window_size: Some(1 << 20),
        ..Settings::default()
    };
    let mut p = Peer::open_with(Builder::new(), ours);
    p.send(Frame::WindowUpdate {
        stream: StreamId(0),
        increment: 1 << 20,
    });
    p.get(1);
    p.events();
    p.conn
        .send_response(StreamId(1), Response::new(()), false)
        .unwrap();
    p.conn
        .send_data(StreamId(1), Bytes::from(vec![0; 90_000]), true)
        .unwrap();
    let out = p.frames();
    assert!(
        matches!(&out[1], Out::Frame(Frame::Data { data, end_stream: true, .. }) if data.len() == 90_000)
    );
}

#[test]
fn connection_window_blocks_and_reopens_all_streams() {
    let mut p = Peer::open(Builder::new());
    p.get(1);
    p.get(3);
    p.events();
    for s in [1, 3] {
        p.conn
            .send_response(StreamId(s), Response::new(()), false)
            .unwrap();
        p.conn
            .send_data(StreamId(s), Bytes::from(vec![0; 50_000]), true)
            .unwrap();
    }
    let sent = |out: &[Out]| -> usize {
        out.iter()
            .map(|o| match o {
                Out::Frame(Frame::Data { data, .. }) => data.len(),
                _ => 0,
            })
            .sum()
    };
    assert_eq!(
        sent(&p.frames()),
        65_535,
        "the connection window bounds both streams"
    );
    p.send(Frame::WindowUpdate {
        stream: StreamId(0),
        increment: 100_000,
    });
    p.send(Frame::WindowUpdate {
        stream: StreamId(1),
        increment: 100_000,
    });
    p.send(Frame::WindowUpdate {
        stream: StreamId(3),
        increment: 100_000,
    });
    assert_eq!(sent(&p.frames()), 100_000 - 65_535);
    assert_eq!(p.conn.open_streams(), 0);
}

#[test]
fn request_split_over_continuation_with_padding_and_priority() {
    let mut p = Peer::open(Builder::new());
    let block = p.block(&owned(GET));
    let (a, b) = block.split_at(3);
    // HEADERS: PADDED | PRIORITY, pad length 2, priority on stream 0, then 3 octets.
    let mut payload = vec![2, 0, 0, 0, 0, 16];
    payload.extend_from_slice(a);
    payload.extend_from_slice(&[0, 0]);
    p.send_raw(&support::peer::raw_frame(
        0x1,
        0x1 | 0x8 | 0x20,
        1,
        &payload,
    ));
    assert!(p.events().is_empty());
    p.send(Frame::Continuation {
        stream: StreamId(1),
        fragment: Bytes::copy_from_slice(b),
        end_headers: true,
    });
    let ev = p.events();
    assert!(
        matches!(
            ev[..],
            [Event::Request {
                end_stream: true,
                ..
            }]
        ),
        "{ev:?}"
    );
}

#[test]
fn peer_go_away_closes_after_in_flight_streams() {
    let mut p = Peer::open(Builder::new());
    p.get(1);
    p.events();
    p.send(Frame::GoAway {
        last_stream: StreamId(0),
        reason: Reason::NO_ERROR,
        debug: Bytes::new(),
    });
    assert!(!p.conn.is_closed());
    respond(&mut p, 1, b"bye");
    p.frames();
    assert!(p.conn.is_closed());
    assert_eq!(p.conn.error(), None);
}

#[test]
fn data_after_trailers_is_stream_closed() {
    let mut p = Peer::open(Builder::new());
    p.headers(1, &post(None), false);
    p.headers(1, &owned(&[("x-t", "1")]), true);
    p.data(1, b"late", false);
    p.expect_rst(1, Reason::STREAM_CLOSED);
}

#[test]
fn request_body_bytes_released_when_stream_is_reset() {
    // Bytes the application never released must not leak from the
    // connection window when the stream ends early.
    let mut p = Peer::open(
        Builder::new()
            .initial_connection_window(65_535)
            .initial_stream_window(65_535),
    );
    for s in [1u32, 3, 5, 7, 9] {
        p.headers(s, &post(None), false);
        p.data(s, &[0; 16_000], false);
        p.send(Frame::RstStream {
            stream: StreamId(s),
            reason: Reason::CANCEL,
        });
    }
    // 80 000 bytes went through a 65 535-byte connection window: only
    // possible if reset streams gave their bytes back.
    assert_eq!(p.conn.error(), None);
    let out = p.frames();
    assert!(out.iter().any(|o| matches!(
        o,
        Out::Frame(Frame::WindowUpdate {
            stream: StreamId(0),
            ..
        })
    )));
}

#[test]
fn cookie_crumbs_are_joined_for_the_application() {
    let mut p = Peer::open(Builder::new());
    let mut fields = owned(GET);
    fields.extend(owned(&[
        ("cookie", "a=1"),
        ("x-other", "y"),
        ("cookie", "b=2"),
    ]));
    p.headers(1, &fields, true);
    let ev = p.events();
    let Event::Request { request, .. } = &ev[0] else {
        panic!("{ev:?}")
    };
    let cookies: Vec<_> = request.headers().get_all("cookie").iter().collect();
    assert_eq!(cookies, ["a=1; b=2"]);
}

#[test]
fn unknown_flags_are_ignored() {
    // §4.1: flags without meaning for a frame type MUST be ignored.
    let mut p = Peer::open(Builder::new());
    p.send_raw(&support::peer::raw_frame(0x6, 0xfe, 0, b"12345678"));
    assert_eq!(
        p.frames(),
        vec![Out::Frame(Frame::Ping {
            ack: true,
            payload: *b"12345678"
        })]
    );
}

#[test]
fn ping_acks_and_rst_streams_are_never_answered() {
    // §6.7: no response to a PING ACK; §5.4.2: no RST_STREAM for a RST_STREAM.
    let mut p = Peer::open(Builder::new());
    p.send(Frame::Ping {
        ack: true,
        payload: [9; 8],
    });
    p.headers(1, &post(None), false);
    p.send(Frame::RstStream {
        stream: StreamId(1),
        reason: Reason::CANCEL,
    });
    p.send(Frame::RstStream {
        stream: StreamId(1),
        reason: Reason::CANCEL,
    });
    assert!(p.frames().is_empty());
}

#[test]
fn negative_stream_window_after_settings_is_tracked() {
    // §6.9.2: a SETTINGS decrease can make a window negative; nothing is
    // sent until WINDOW_UPDATEs bring it above zero again.
    let ours = Settings {
        initial_window_size: Some(10),
        ..Settings::default()
    };
    let mut p = Peer::open_with(Builder::new(), ours);
    p.get(1);
    p.events();
    p.conn
        .send_response(StreamId(1), Response::new(()), false)
        .unwrap();
    p.conn
        .send_data(StreamId(1), Bytes::from_static(&[1; 30]), true)
        .unwrap();
    assert_eq!(p.frames().len(), 2, "headers and 10 bytes");
    p.send(Frame::Settings(Settings {
        initial_window_size: Some(0),
        ..Settings::default()
    }));
    assert_eq!(p.frames(), vec![Out::Frame(Frame::SettingsAck)]);
    // The window is now -10: an increment of 10 is not enough.
    p.send(Frame::WindowUpdate {
        stream: StreamId(1),
        increment: 10,
    });
    assert!(p.frames().is_empty());
    p.send(Frame::WindowUpdate {
        stream: StreamId(1),
        increment: 20,
    });
    let out = p.frames();
    assert!(
        matches!(&out[..], [Out::Frame(Frame::Data { data, end_stream: true, .. })] if data.len() == 20),
        "{out:?}"
    );
}

#[test]
fn connection_specific_response_fields_are_dropped() {
    // §8.2.2: they MUST NOT appear in an HTTP/2 message.
    let mut p = Peer::open(Builder::new());
    p.get(1);
    p.events();
    let resp = Response::builder()
        .header("connection", "close")
        .header("transfer-encoding", "chunked")
        .header("x-kept", "1")
        .body(())
        .unwrap();
    p.conn.send_response(StreamId(1), resp, true).unwrap();
    assert_eq!(
        p.frames(),
        vec![Out::Headers {
            stream: 1,
            fields: owned(&[(":status", "200"), ("x-kept", "1")]),
            end_stream: true
        }]
    );
}

#[test]
fn informational_and_101_responses_are_refused() {
    let mut p = Peer::open(Builder::new());
    p.get(1);
    p.events();
    for code in [100, 101] {
        let resp = Response::builder().status(code).body(()).unwrap();
        assert_eq!(
            p.conn.send_response(StreamId(1), resp, true),
            Err(goro_http2::SendError::InvalidState)
        );
    }
    assert!(p.frames().is_empty());
}
