//! Property tests of the connection: arbitrary client frame sequences never
//! panic, keep memory bounded, and a failed connection always ends with a
//! GOAWAY; valid request sequences are all answered.

mod support;

use bytes::Bytes;
use goro_http2::frame::{Frame, Settings, StreamId};
use goro_http2::server::Builder;
use goro_http2::{Event, Reason};
use proptest::prelude::*;
use support::peer::{GET, Out, Peer, owned};

#[derive(Debug, Clone)]
enum Step {
    Get(u32),
    Post(u32),
    Data(u32, usize, bool),
    Rst(u32),
    Window(u32, u32),
    Ping,
    Settings(Option<u32>),
    Raw(Vec<u8>),
    Respond,
}

fn step() -> impl Strategy<Value = Step> {
    let sid = (0u32..12).prop_map(|i| 2 * i + 1);
    prop_oneof![
        sid.clone().prop_map(Step::Get),
        sid.clone().prop_map(Step::Post),
        (sid.clone(), 0usize..20_000, any::<bool>()).prop_map(|(s, n, e)| Step::Data(s, n, e)),
        sid.clone().prop_map(Step::Rst),
        (0u32..12, 0u32..100_000).prop_map(|(s, n)| Step::Window(s * 2 + 1, n)),
        Just(Step::Ping),
        proptest::option::of(0u32..200_000).prop_map(Step::Settings),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Step::Raw),
        Just(Step::Respond),
    ]
}

fn run(p: &mut Peer, s: &Step) {
    match s {
        Step::Get(id) => p.get(*id),
        Step::Post(id) => {
            let post = owned(&[
                (":method", "POST"),
                (":scheme", "http"),
                (":path", "/"),
                (":authority", "a"),
            ]);
            p.headers(*id, &post, false)
        }
        Step::Data(id, n, end) => p.data(*id, &vec![0; *n.min(&16_384)], *end),
        Step::Rst(id) => p.send(Frame::RstStream {
            stream: StreamId(*id),
            reason: Reason::CANCEL,
        }),
        Step::Window(id, n) => p.send(Frame::WindowUpdate {
            stream: StreamId(*id),
            increment: *n,
        }),
        Step::Ping => p.send(Frame::Ping {
            ack: false,
            payload: [0; 8],
        }),
        Step::Settings(w) => p.send(Frame::Settings(Settings {
            initial_window_size: *w,
            ..Settings::default()
        })),
        Step::Raw(bytes) => p.send_raw(bytes),
        Step::Respond => {
            for ev in p.events() {
                if let Event::Request { stream, .. } = ev {
                    let _ = p.conn.send_response(stream, http::Response::new(()), false);
                    let _ = p
                        .conn
                        .send_data(stream, Bytes::from_static(&[1; 1000]), true);
                }
                if let Event::Data { stream, data, .. } = ev {
                    p.conn.release_capacity(stream, data.len());
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(128), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_client_sequences_are_handled(steps in proptest::collection::vec(step(), 1..40)) {
        let mut p = Peer::open(Builder::new());
        for s in &steps {
            run(&mut p, s);
            // The read buffer never holds more than one frame.
            prop_assert!(p.conn.buffered_input() <= 9 + 16_384);
            let out = p.frames();
            if let Some(reason) = p.conn.error() {
                let last_is_goaway = matches!(out.last(), Some(Out::Frame(Frame::GoAway { reason: r, .. })) if *r == reason);
                prop_assert!(last_is_goaway, "failed with {:?} without GOAWAY: {:?}", reason, out);
                prop_assert!(p.conn.is_closed());
                break;
            }
        }
    }

    #[test]
    fn every_valid_get_is_answered(n in 1u32..60) {
        let mut p = Peer::open(Builder::new());
        for i in 0..n {
            p.headers(2 * i + 1, &owned(GET), true);
        }
        let mut answered = 0;
        for ev in p.events() {
            if let Event::Request { stream, .. } = ev {
                p.conn.send_response(stream, http::Response::new(()), true).unwrap();
                answered += 1;
            }
        }
        prop_assert_eq!(answered, n);
        let heads = p.frames().into_iter().filter(|o| matches!(o, Out::Headers { end_stream: true, .. })).count();
        prop_assert_eq!(heads as u32, n);
        prop_assert_eq!(p.conn.open_streams(), 0);
    }
}
