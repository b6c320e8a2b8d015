//! One test per denial-of-service class: each shows the limit holding in the
//! sans-IO core — the connection ends with the right code (or the attack is
//! absorbed), and what the server holds stays bounded.

mod support;

use bytes::Bytes;
use goro_http2::frame::{Frame, Priority, Settings, StreamId, flags, kind};
use goro_http2::server::Builder;
use goro_http2::{Event, Reason, SendError};
use http::Response;
use support::peer::{GET, Out, Peer, owned, post, raw_frame};

/// CVE-2023-44487: HEADERS then RST_STREAM, in a loop, in one burst.
#[test]
fn rapid_reset_gets_enhance_your_calm() {
    let mut p = Peer::open(Builder::new());
    let mut wire = Vec::new();
    for i in 0..1000u32 {
        let s = 2 * i + 1;
        let fragment = p.block(&owned(GET));
        Frame::Headers {
            stream: StreamId(s),
            fragment,
            end_stream: true,
            end_headers: true,
            priority: None,
        }
        .encode()
        .write_to(&mut wire);
        Frame::RstStream {
            stream: StreamId(s),
            reason: Reason::CANCEL,
        }
        .encode()
        .write_to(&mut wire);
    }
    p.send_raw(&wire);
    assert!(
        p.events().is_empty(),
        "no reset request may reach the application"
    );
    let out = p.frames();
    let Some(Out::Frame(Frame::GoAway {
        last_stream,
        reason,
        ..
    })) = out.last()
    else {
        panic!("{out:?}")
    };
    assert_eq!(*reason, Reason::ENHANCE_YOUR_CALM);
    // Stopped after about the configured 20 resets, not after 1000.
    assert!(
        last_stream.0 <= 2 * 21 + 1,
        "stopped at stream {}",
        last_stream.0
    );
    assert!(p.conn.is_closed());
}

/// A client whose requests the application does take is not punished for
/// cancelling them (browsers do this on navigation).
#[test]
fn resets_after_acceptance_are_allowed() {
    let mut p = Peer::open(Builder::new());
    for i in 0..200u32 {
        let s = 2 * i + 1;
        p.headers(s, &post(None), false);
        assert_eq!(p.events().len(), 1);
        p.send(Frame::RstStream {
            stream: StreamId(s),
            reason: Reason::CANCEL,
        });
        assert!(matches!(p.events()[..], [Event::Reset { .. }]));
    }
    assert!(!p.conn.is_closed());
}

/// 2024 CONTINUATION flood: a header block that never ends.
#[test]
fn continuation_flood_is_cut_off() {
    let mut p = Peer::open(Builder::new());
    let fragment = p.block(&owned(GET));
    p.send(Frame::Headers {
        stream: StreamId(1),
        fragment,
        end_stream: true,
        end_headers: false,
        priority: None,
    });
    for _ in 0..10_000 {
        p.send(Frame::Continuation {
            stream: StreamId(1),
            fragment: Bytes::from_static(b"\x40\x01a\x01b"),
            end_headers: false,
        });
        if p.conn.is_closed() || !p.conn.wants_read() {
            break;
        }
    }
    p.expect_goaway(Reason::ENHANCE_YOUR_CALM);
}

/// The same flood with large frames: the block is capped by size first.
#[test]
fn oversized_header_block_is_cut_off_by_size() {
    let mut p = Peer::open(Builder::new().max_continuation_frames(1000));
    let fragment = p.block(&owned(GET));
    p.send(Frame::Headers {
        stream: StreamId(1),
        fragment,
        end_stream: true,
        end_headers: false,
        priority: None,
    });
    let mut sent = 0;
    while p.conn.wants_read() {
        p.send(Frame::Continuation {
            stream: StreamId(1),
            fragment: Bytes::from(vec![0x82; 16_000]),
            end_headers: false,
        });
        sent += 16_000;
        assert!(sent < 200_000, "block grew past the 64 KiB limit");
    }
    p.expect_goaway(Reason::ENHANCE_YOUR_CALM);
}

/// CVE-2019-9512: PINGs from a peer that does not read its socket.
#[test]
fn ping_flood_is_bounded() {
    let mut p = Peer::open(Builder::new());
    let mut sent = 0;
    while p.conn.wants_read() {
        p.send(Frame::Ping {
            ack: false,
            payload: [1; 8],
        });
        sent += 1;
        assert!(sent <= 1001, "queue grew past the cap");
    }
    p.expect_goaway(Reason::ENHANCE_YOUR_CALM);
}

/// A peer that reads its acks is served, however many PINGs it sends.
#[test]
fn pings_from_a_reading_peer_are_fine() {
    let mut p = Peer::open(Builder::new());
    for _ in 0..5_000 {
        p.send(Frame::Ping {
            ack: false,
            payload: [1; 8],
        });
        assert_eq!(p.frames().len(), 1);
    }
    assert!(!p.conn.is_closed());
}

/// CVE-2019-9515: SETTINGS whose ACKs queue up.
#[test]
fn settings_flood_is_bounded() {
    let mut p = Peer::open(Builder::new());
    let mut sent = 0;
    while p.conn.wants_read() {
        p.send(Frame::Settings(Settings::default()));
        sent += 1;
        assert!(sent <= 1001);
    }
    p.expect_goaway(Reason::ENHANCE_YOUR_CALM);
}

/// CVE-2019-9514 and "MadeYouReset" (CVE-2025-8671): invalid frames that
/// make the server reset streams, even if the peer reads every RST.
#[test]
fn reset_flood_caps_server_sent_resets() {
    let mut p = Peer::open(Builder::new().max_local_error_resets(100));
    let mut streams = 0;
    for i in 0..1000u32 {
        let s = 2 * i + 1;
        p.headers(s, &post(None), false);
        p.send(Frame::WindowUpdate {
            stream: StreamId(s),
            increment: 0,
        }); // stream error
        streams += 1;
        if !p.conn.wants_read() {
            break;
        }
        p.frames();
        p.events();
    }
    assert_eq!(streams, 101);
    p.expect_goaway(Reason::ENHANCE_YOUR_CALM);
}

/// CVE-2019-9518: endless empty DATA frames.
#[test]
fn empty_data_frame_flood_is_cut_off() {
    let mut p = Peer::open(Builder::new());
    p.headers(1, &post(None), false);
    let mut sent = 0;
    while p.conn.wants_read() {
        p.data(1, b"", false);
        sent += 1;
        assert!(sent <= 101);
    }
    p.expect_goaway(Reason::ENHANCE_YOUR_CALM);
}

/// CVE-2019-9518 with empty CONTINUATION frames.
#[test]
fn empty_continuation_flood_is_cut_off() {
    let mut p = Peer::open(Builder::new().max_continuation_frames(100_000));
    let fragment = p.block(&owned(GET));
    p.send(Frame::Headers {
        stream: StreamId(1),
        fragment,
        end_stream: true,
        end_headers: false,
        priority: None,
    });
    let mut sent = 0;
    while p.conn.wants_read() {
        p.send(Frame::Continuation {
            stream: StreamId(1),
            fragment: Bytes::new(),
            end_headers: false,
        });
        sent += 1;
        assert!(sent <= 101);
    }
    p.expect_goaway(Reason::ENHANCE_YOUR_CALM);
}

/// CVE-2019-9511 (data dribble) and 9517 (internal buffering): the client
/// asks for a large body and opens the window one byte at a time, or not at
/// all. The server's buffer for the stream stays at its cap.
#[test]
fn data_dribble_keeps_send_buffer_bounded() {
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
    let chunk = Bytes::from(vec![0u8; 64 * 1024]);
    let mut queued = 0;
    loop {
        match p.conn.send_data(StreamId(1), chunk.clone(), false) {
            Ok(()) => queued += chunk.len(),
            Err(SendError::BufferFull) => break,
            Err(e) => panic!("{e}"),
        }
        assert!(queued < 10 << 20);
    }
    // Cap (400 KiB) plus at most one chunk.
    assert!(queued <= 400 * 1024 + chunk.len(), "queued {queued}");
    assert_eq!(p.conn.send_capacity(StreamId(1)), 0);
    p.frames();
    // One byte of window → one byte of DATA, and one more chunk's worth of room only
    // once the buffer drains below the cap.
    for _ in 0..10 {
        p.send(Frame::WindowUpdate {
            stream: StreamId(1),
            increment: 1,
        });
        let out = p.frames();
        assert!(
            matches!(&out[..], [Out::Frame(Frame::Data { data, .. })] if data.len() == 1),
            "{out:?}"
        );
    }
    assert_eq!(
        p.conn.send_data(StreamId(1), chunk, false),
        Err(SendError::BufferFull)
    );
}

/// HPACK bomb (CVE-2016-6581 and kin): a small block that decodes to
/// megabytes. Answered with 431; nothing past the limit is kept, and the
/// connection stays usable.
#[test]
fn hpack_bomb_gets_431_and_bounded_memory() {
    let mut p = Peer::open(Builder::new().max_header_list_size(16 << 10));
    let big = "a".repeat(4000);
    let mut fields = owned(GET);
    fields.push(("x-bomb".into(), big));
    let mut block = p.block(&fields).to_vec();
    // The entry just inserted is dynamic index 62: reference it 4000 times.
    block.extend(std::iter::repeat_n(0xbe, 4000));
    assert!(block.len() < 16 << 10, "the wire block itself is small");
    p.send(Frame::Headers {
        stream: StreamId(1),
        fragment: Bytes::from(block),
        end_stream: true,
        end_headers: true,
        priority: None,
    });
    assert!(p.events().is_empty());
    let out = p.frames();
    assert_eq!(
        out,
        vec![Out::Headers {
            stream: 1,
            fields: owned(&[(":status", "431")]),
            end_stream: true
        }]
    );
    p.get(3);
    assert_eq!(p.events().len(), 1, "HPACK state survived the bomb");
}

/// CVE-2019-9516: many empty header values; each costs 32 octets in the
/// list accounting, so the list limit stops them.
#[test]
fn zero_length_headers_count_against_the_list_limit() {
    let mut p = Peer::open(Builder::new().max_header_list_size(16 << 10));
    let mut fields = owned(GET);
    for i in 0..1000 {
        fields.push((format!("x{i}"), String::new()));
    }
    p.headers(1, &fields, true);
    assert!(p.events().is_empty());
    assert!(matches!(
        &p.frames()[..],
        [Out::Headers {
            end_stream: true,
            ..
        }]
    ));
}

/// CVE-2019-9513: PRIORITY churn. PRIORITY is ignored, so no tree or
/// per-stream state grows.
#[test]
fn priority_churn_keeps_no_state() {
    let mut p = Peer::open(Builder::new());
    let mut wire = Vec::new();
    for i in 0..10_000u32 {
        let prio = Priority {
            dependency: StreamId(2 * i + 3),
            exclusive: i % 2 == 0,
            weight: 200,
        };
        Frame::Priority {
            stream: StreamId(2 * i + 1),
            priority: prio,
        }
        .encode()
        .write_to(&mut wire);
    }
    p.send_raw(&wire);
    assert_eq!(p.conn.open_streams(), 0);
    assert!(p.frames().is_empty());
    assert!(!p.conn.is_closed());
}

/// Input is parsed as it arrives: what is held is at most one partial frame.
#[test]
fn input_buffer_is_bounded_by_one_frame() {
    let mut p = Peer::open(Builder::new());
    p.headers(1, &post(None), false);
    let frame = raw_frame(kind::DATA, flags::END_STREAM, 1, &[0; 16_384]);
    p.send_raw(&frame[..16_000]);
    assert!(p.conn.buffered_input() <= 16_384 + 9);
    p.send_raw(&frame[16_000..]);
    assert_eq!(p.conn.buffered_input(), 0);
}
