//! Scripted mock-peer tests of how a connection ends on the server's
//! initiative: graceful shutdown with a grace deadline (`go_away` +
//! `close_at`) and the idle timeout. Time is injected: every instant is
//! `p.now` plus a whole number of seconds, and nothing sleeps.

mod support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use goro_http2::Reason;
use goro_http2::frame::{Frame, StreamId};
use goro_http2::server::Builder;
use http::Response;
use support::peer::{Out, Peer, post};

const IDLE: Duration = Duration::from_secs(60);

fn secs(p: &Peer, n: u64) -> Instant {
    p.now + Duration::from_secs(n)
}

fn go_away(last: u32) -> Out {
    Out::Frame(Frame::GoAway {
        last_stream: StreamId(last),
        reason: Reason::NO_ERROR,
        debug: Bytes::new(),
    })
}

/// Answers `stream` with 200 and `body`, ending the stream.
fn respond(p: &mut Peer, stream: u32, body: &'static [u8]) {
    let resp = Response::new(());
    p.conn
        .send_response(StreamId(stream), resp, false)
        .expect("response head");
    p.conn
        .send_data(StreamId(stream), Bytes::from_static(body), true)
        .expect("response body");
}

/// Runs the first step of a graceful shutdown and acknowledges its PING,
/// so the final GOAWAY is out; returns every frame written meanwhile.
fn shut_down(p: &mut Peer) -> Vec<Out> {
    p.conn.go_away(p.now);
    let mut out = p.frames();
    let payload = out
        .iter()
        .find_map(|o| match o {
            Out::Frame(Frame::Ping {
                ack: false,
                payload,
            }) => Some(*payload),
            _ => None,
        })
        .expect("shutdown PING");
    p.send(Frame::Ping { ack: true, payload });
    out.extend(p.frames());
    out
}

#[test]
fn graceful_shutdown_drains_a_streaming_request_then_closes() {
    let mut p = Peer::open(Builder::new());
    p.headers(1, &post(None), false);
    p.data(1, b"part one", false);
    assert_eq!(p.events().len(), 2);
    let out = shut_down(&mut p);
    assert_eq!(out.first(), Some(&go_away((1 << 31) - 1)));
    assert_eq!(out.last(), Some(&go_away(1)), "{out:?}");
    // Stream 1 is below the last id: its body still arrives, and its
    // response goes out; a new stream is ignored.
    p.data(1, b"part two", true);
    p.get(3);
    let events = p.events();
    assert_eq!(events.len(), 1, "only stream 1's DATA: {events:?}");
    assert!(!p.conn.is_closed());
    respond(&mut p, 1, b"done");
    let out = p.frames();
    assert!(
        matches!(
            out.last(),
            Some(Out::Frame(Frame::Data {
                stream: StreamId(1),
                ..
            }))
        ),
        "{out:?}"
    );
    assert!(p.conn.is_closed(), "closes once stream 1 is done");
    assert_eq!(p.conn.error(), None);
}

#[test]
fn grace_deadline_cuts_off_a_stream_that_does_not_finish() {
    let mut p = Peer::open(Builder::new());
    p.get(1);
    p.events();
    shut_down(&mut p);
    p.conn.close_at(secs(&p, 30));
    p.conn.close_at(secs(&p, 40)); // a later deadline does not extend it
    assert_eq!(p.conn.next_timeout(), Some(secs(&p, 30)));
    p.conn.handle_timeout(secs(&p, 29));
    assert!(p.frames().is_empty());
    assert!(!p.conn.is_closed(), "stream 1 still has time");
    p.conn.handle_timeout(secs(&p, 30));
    // Cut off: one more GOAWAY that keeps the last id, then closed.
    assert_eq!(p.frames(), vec![go_away(1)]);
    assert!(p.conn.is_closed());
    assert_eq!(p.conn.error(), None, "a deadline is not a protocol error");
    assert_eq!(p.conn.next_timeout(), None);
}

#[test]
fn a_protocol_error_after_the_final_go_away_keeps_its_last_id() {
    let mut p = Peer::open(Builder::new());
    p.get(1);
    p.events();
    shut_down(&mut p);
    p.get(3); // ignored, but seen
    p.send_raw(&support::peer::raw_frame(0x8, 0, 0, &[0, 0, 0, 0])); // WINDOW_UPDATE 0
    let out = p.frames();
    let Some(Out::Frame(Frame::GoAway {
        last_stream,
        reason,
        ..
    })) = out.last()
    else {
        panic!("{out:?}")
    };
    assert_eq!(*reason, Reason::PROTOCOL_ERROR);
    assert_eq!(*last_stream, StreamId(1), "the last id may not grow (§6.8)");
}

#[test]
fn go_away_before_the_preface_closes_with_last_stream_zero() {
    let mut p = Peer::raw(Builder::new());
    p.conn.go_away(p.now);
    let out = p.frames();
    assert_eq!(out.last(), Some(&go_away(0)), "{out:?}");
    assert!(p.conn.is_closed());
    assert_eq!(p.conn.error(), None);
}

#[test]
fn idle_connection_is_closed_with_go_away_no_error() {
    let mut p = Peer::open(Builder::new().idle_timeout(IDLE));
    p.conn.handle_timeout(p.now); // the clock reads the handshake's frames
    assert_eq!(p.conn.next_timeout(), Some(secs(&p, 60)));
    p.conn.handle_timeout(secs(&p, 59));
    assert!(p.frames().is_empty());
    p.conn.handle_timeout(secs(&p, 60));
    assert_eq!(p.frames(), vec![go_away(0)]);
    assert!(p.conn.is_closed());
    assert_eq!(p.conn.error(), None);
}

#[test]
fn idle_clock_restarts_on_every_frame() {
    let mut p = Peer::open(Builder::new().idle_timeout(IDLE));
    p.conn.handle_timeout(p.now);
    p.send(Frame::Ping {
        ack: false,
        payload: *b"keepaliv",
    });
    p.conn.handle_timeout(secs(&p, 50));
    assert_eq!(p.conn.next_timeout(), Some(secs(&p, 110)));
    p.conn.handle_timeout(secs(&p, 60)); // the old deadline: nothing
    assert_eq!(p.frames().len(), 1, "only the PING ACK");
    assert!(!p.conn.is_closed());
    p.conn.handle_timeout(secs(&p, 110));
    assert_eq!(p.frames(), vec![go_away(0)]);
    assert!(p.conn.is_closed());
}

#[test]
fn idle_clock_waits_for_the_last_stream_to_end() {
    let mut p = Peer::open(Builder::new().idle_timeout(IDLE));
    p.get(1);
    p.events();
    p.conn.handle_timeout(p.now);
    // A slow handler: the deadline passes with stream 1 open.
    p.conn.handle_timeout(secs(&p, 120));
    assert!(p.frames().is_empty(), "not idle while a stream is open");
    assert!(!p.conn.is_closed());
    assert_eq!(p.conn.next_timeout(), None);
    respond(&mut p, 1, b"late");
    p.frames();
    // The stream's end starts the clock at the next reading of the time.
    p.conn.handle_timeout(secs(&p, 130));
    assert_eq!(p.conn.next_timeout(), Some(secs(&p, 190)));
    p.conn.handle_timeout(secs(&p, 190));
    assert_eq!(p.frames(), vec![go_away(1)], "names the last stream taken");
    assert!(p.conn.is_closed());
}

#[test]
fn idle_timeout_none_keeps_the_connection() {
    let mut p = Peer::open(Builder::new().idle_timeout(None));
    p.conn.handle_timeout(p.now);
    assert_eq!(p.conn.next_timeout(), None);
    p.conn
        .handle_timeout(p.now + Duration::from_secs(24 * 3600));
    assert!(p.frames().is_empty());
    assert!(!p.conn.is_closed());
}

#[test]
fn draining_connection_has_no_idle_timer() {
    let mut p = Peer::open(Builder::new().idle_timeout(IDLE));
    p.get(1);
    p.events();
    shut_down(&mut p);
    p.conn.handle_timeout(secs(&p, 1));
    assert_eq!(p.conn.next_timeout(), None, "draining waits for stream 1");
}
