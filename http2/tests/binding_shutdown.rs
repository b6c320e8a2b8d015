//! Graceful shutdown, the idle timeout and the write timeout over real
//! sockets, once per binding: a raw HTTP/2 client on loopback watches the
//! frames the server writes while the application triggers its
//! `ShutdownSignal`, or stops reading.
//!
//! Nothing sleeps to synchronise: the test waits for events (a handler
//! was entered, a frame arrived, the `drained` future completed), each
//! under a generous deadline that only turns a hang into a failure.

#[macro_use]
mod common;
mod support;

use std::future::Future;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::pin::pin;
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{App, Binding, Options, Server};
use goro_http2::body::{BodyChunk, ResponseBody};
use goro_http2::frame::{HEAD_LEN, Head};
use goro_http2::hpack::Encoder;
use goro_http2::proto::PREFACE;
use goro_http2::server::Builder;
use goro_http2::shutdown::ShutdownSignal;
use http::Response;
use support::peer::raw_frame;

/// A guard against hangs, never a synchronisation.
const LIMIT: Duration = Duration::from_secs(20);

const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
const END_STREAM: u8 = 0x1;
const ACK: u8 = 0x1;

/// A door handlers wait at until the test opens it.
#[derive(Default)]
struct Gate {
    state: Mutex<(bool, Vec<Waker>)>,
}

impl Gate {
    fn open(&self) {
        let wakers = {
            let mut s = self.state.lock().unwrap();
            s.0 = true;
            std::mem::take(&mut s.1)
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    async fn wait(&self) {
        std::future::poll_fn(|cx| {
            let mut s = self.state.lock().unwrap();
            if s.0 {
                Poll::Ready(())
            } else {
                s.1.push(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

/// Routes: `/slow` answers "slow done" once the gate opens, `/big` is
/// 32 MiB at once, anything else "hello". Each request is reported on
/// the returned channel (by path) when its handler starts.
fn app(gate: Arc<Gate>) -> (App, mpsc::Receiver<String>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let app: App = Arc::new(move |req| {
        let path = req.uri().path().to_owned();
        let _ = tx.lock().unwrap().send(path.clone());
        let gate = gate.clone();
        Box::pin(async move {
            let body = match path.as_str() {
                "/slow" => {
                    gate.wait().await;
                    Bytes::from_static(b"slow done")
                }
                "/big" => Bytes::from(vec![7u8; 32 << 20]),
                _ => Bytes::from_static(b"hello"),
            };
            Response::new(ResponseBody::Full(body))
        })
    });
    (app, rx)
}

/// Polls `fut` on this thread until it completes or `limit` passes.
fn wait_for(fut: impl Future<Output = ()>, limit: Duration) -> bool {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    let end = Instant::now() + limit;
    loop {
        if fut.as_mut().poll(&mut cx).is_ready() {
            return true;
        }
        let now = Instant::now();
        if now >= end {
            return false;
        }
        std::thread::park_timeout(end - now);
    }
}

/// A frame the server wrote.
#[derive(Debug)]
struct Got {
    kind: u8,
    flags: u8,
    stream: u32,
    payload: Vec<u8>,
}

/// A raw HTTP/2 client that acknowledges the server's SETTINGS itself.
struct Client {
    tcp: TcpStream,
    enc: Encoder,
}

impl Client {
    /// Connects and sends the preface, `settings` and, if `window`, a
    /// connection WINDOW_UPDATE of that size.
    fn connect(addr: SocketAddr, settings: &[u8], window: Option<u32>) -> Client {
        let tcp = TcpStream::connect(addr).expect("connect");
        tcp.set_read_timeout(Some(LIMIT)).expect("read timeout");
        let mut c = Client {
            tcp,
            enc: Encoder::default(),
        };
        let mut wire = PREFACE.to_vec();
        wire.extend(raw_frame(SETTINGS, 0, 0, settings));
        if let Some(n) = window {
            wire.extend(raw_frame(0x8, 0, 0, &n.to_be_bytes()));
        }
        c.send(&wire);
        c
    }

    fn send(&mut self, bytes: &[u8]) {
        self.tcp.write_all(bytes).expect("send");
    }

    /// `GET path` on `stream`, without a body.
    fn get(&mut self, stream: u32, path: &str) {
        let fields = [
            (":method", "GET"),
            (":scheme", "http"),
            (":path", path),
            (":authority", "a"),
        ];
        let mut block = Vec::new();
        self.enc.encode(
            fields
                .iter()
                .map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)),
            &mut block,
        );
        self.send(&raw_frame(HEADERS, 0x4 | END_STREAM, stream, &block));
    }

    /// The next frame, or `None` at end of stream (or a reset).
    fn next(&mut self) -> Option<Got> {
        let mut head = [0u8; HEAD_LEN];
        match self.tcp.read_exact(&mut head) {
            Ok(()) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset
                ) =>
            {
                return None;
            }
            Err(e) => panic!("read: {e}"),
        }
        let head = Head::parse(&head);
        let mut payload = vec![0; head.len as usize];
        self.tcp.read_exact(&mut payload).expect("frame payload");
        if head.kind == SETTINGS && head.flags & ACK == 0 {
            self.send(&raw_frame(SETTINGS, ACK, 0, &[]));
        }
        Some(Got {
            kind: head.kind,
            flags: head.flags,
            stream: head.stream.0,
            payload,
        })
    }

    /// Reads until a frame `want` accepts; panics at end of stream.
    fn until(&mut self, want: impl Fn(&Got) -> bool) -> Got {
        loop {
            match self.next() {
                Some(f) if want(&f) => return f,
                Some(_) => {}
                None => panic!("end of stream before the frame wanted"),
            }
        }
    }

    /// Every frame up to end of stream.
    fn rest(&mut self) -> Vec<Got> {
        std::iter::from_fn(|| self.next()).collect()
    }
}

/// GOAWAY's last stream id and error code.
fn go_away(f: &Got) -> (u32, u32) {
    assert_eq!(f.kind, GOAWAY);
    let word = |i: usize| u32::from_be_bytes(f.payload[i..i + 4].try_into().unwrap());
    (word(0) & 0x7fff_ffff, word(4))
}

fn is_go_away(f: &Got) -> bool {
    f.kind == GOAWAY
}

fn with_signal(
    b: Binding,
    builder: Builder,
) -> (Server, ShutdownSignal, Arc<Gate>, mpsc::Receiver<String>) {
    let signal = ShutdownSignal::new();
    let gate = Arc::new(Gate::default());
    let (app, entered) = app(gate.clone());
    let server = Server::start_with(
        b,
        Options {
            builder,
            signal: Some(signal.clone()),
            app: Some(app),
            socket_buffers: None,
        },
    );
    (server, signal, gate, entered)
}

fn shutdown_drains_the_in_flight_request(b: Binding) {
    let (server, signal, gate, entered) = with_signal(b, Builder::new());
    let mut c = Client::connect(server.addr, &[], None);
    c.get(1, "/slow");
    assert_eq!(
        entered.recv_timeout(LIMIT).expect("handler entered"),
        "/slow"
    );
    assert_eq!(signal.connections(), 1);
    signal.shutdown();
    // Step one: GOAWAY(2^31-1, NO_ERROR) and a PING we answer.
    assert_eq!(go_away(&c.until(is_go_away)), ((1 << 31) - 1, 0));
    let ping = c.until(|f| f.kind == PING && f.flags & ACK == 0);
    c.send(&raw_frame(PING, ACK, 0, &ping.payload));
    // Step two: the last stream taken is 1.
    assert_eq!(go_away(&c.until(is_go_away)), (1, 0));
    assert_eq!(signal.connections(), 1, "stream 1 is still in flight");
    // A stream opened now is past the last id: ignored, never served.
    c.get(3, "/");
    gate.open();
    let rest = c.rest();
    let body: Vec<u8> = rest
        .iter()
        .filter(|f| f.kind == DATA && f.stream == 1)
        .flat_map(|f| f.payload.clone())
        .collect();
    assert_eq!(body, b"slow done", "frames: {rest:?}");
    assert!(
        rest.iter()
            .any(|f| f.kind == DATA && f.stream == 1 && f.flags & END_STREAM != 0),
        "stream 1 must end: {rest:?}"
    );
    assert!(
        rest.iter().all(|f| f.stream != 3),
        "stream 3 must be ignored: {rest:?}"
    );
    assert!(entered.try_recv().is_err(), "no handler ran for stream 3");
    assert!(wait_for(signal.drained(), LIMIT), "drained never completed");
    assert_eq!(signal.connections(), 0);
}

fn grace_deadline_cuts_off_a_request_that_never_ends(b: Binding) {
    let (server, signal, gate, entered) = with_signal(b, Builder::new());
    let mut c = Client::connect(server.addr, &[], None);
    c.get(1, "/slow");
    entered.recv_timeout(LIMIT).expect("handler entered");
    signal.shutdown_within(Duration::from_millis(200));
    // The PING goes unanswered and the handler never replies: only the
    // deadline can end this connection.
    let rest = c.rest();
    let goaways: Vec<(u32, u32)> = rest.iter().filter(|f| is_go_away(f)).map(go_away).collect();
    assert_eq!(goaways.first(), Some(&((1 << 31) - 1, 0)), "{rest:?}");
    assert!(goaways.len() >= 2, "a closing GOAWAY follows: {rest:?}");
    assert!(rest.iter().all(|f| f.kind != DATA), "no response: {rest:?}");
    assert!(wait_for(signal.drained(), LIMIT), "drained never completed");
    gate.open(); // let the handler task end before the runtime drops
}

fn grace_deadline_ends_a_write_blocked_on_a_peer_that_does_not_read(b: Binding) {
    let (server, signal, _gate, entered) = with_signal(b, Builder::new());
    // Windows wide open, so only TCP can hold the 32 MiB back.
    let initial_window = [0x00, 0x04, 0x7f, 0xff, 0xff, 0xff];
    let mut c = Client::connect(server.addr, &initial_window, Some((1 << 31) - 1 - 65_535));
    c.get(1, "/big");
    entered.recv_timeout(LIMIT).expect("handler entered");
    signal.shutdown_within(Duration::from_millis(200));
    // Nothing is read meanwhile: the server's write stays blocked until the
    // deadline drops it.
    assert!(
        wait_for(signal.drained(), LIMIT),
        "a blocked write held the connection"
    );
    assert_eq!(signal.connections(), 0);
    drop(c);
}

fn idle_connection_gets_go_away_and_is_closed(b: Binding) {
    let idle = Duration::from_millis(300);
    let server = Server::start_with(
        b,
        Options {
            builder: Builder::new().idle_timeout(idle),
            ..Options::default()
        },
    );
    let mut c = Client::connect(server.addr, &[], None);
    c.get(1, "/");
    c.until(|f| f.kind == DATA && f.stream == 1 && f.flags & END_STREAM != 0);
    let answered = Instant::now();
    let rest = c.rest();
    let waited = answered.elapsed();
    let goaway = rest
        .iter()
        .find(|f| is_go_away(f))
        .expect("GOAWAY before the close");
    assert_eq!(go_away(goaway), (1, 0), "NO_ERROR, naming stream 1");
    // The server's clock starts when the response leaves, a little before
    // it arrives here; a close much before the timeout is a bug.
    assert!(
        waited >= idle / 2,
        "closed after {waited:?}, timeout {idle:?}"
    );
}

/// A handler whose response never ends: 64 KiB chunks sent from a thread
/// of the test's own until the connection drops the body, which is
/// reported on `closed`.
fn endless(closed: mpsc::Sender<()>) -> App {
    let closed = Mutex::new(closed);
    Arc::new(move |_req| {
        let (tx, body) = ResponseBody::channel(4);
        let closed = closed.lock().unwrap().clone();
        std::thread::spawn(move || {
            let chunk = Bytes::from(vec![7u8; 64 << 10]);
            let end = Instant::now() + LIMIT;
            loop {
                let mut refused = false;
                let send = async {
                    refused = tx.send(BodyChunk::Data(chunk.clone())).await.is_err();
                };
                if !wait_for(send, end.saturating_duration_since(Instant::now())) {
                    return; // still blocked at the limit: the test fails on `closed`
                }
                if refused {
                    let _ = closed.send(());
                    return;
                }
            }
        });
        Box::pin(async move { Response::new(body) })
    })
}

fn write_timeout_closes_a_connection_whose_peer_stopped_reading(b: Binding) {
    let timeout = Duration::from_millis(300);
    let (closed_tx, closed) = mpsc::channel();
    let server = Server::start_with(
        b,
        Options {
            builder: Builder::new().write_timeout(timeout),
            app: Some(endless(closed_tx)),
            ..Options::default()
        },
    );
    // Windows wide open, so only TCP holds the response back; a stream
    // stays open, so the idle timeout cannot be what closes it.
    let initial_window = [0x00, 0x04, 0x7f, 0xff, 0xff, 0xff];
    let mut c = Client::connect(server.addr, &initial_window, Some((1 << 31) - 1 - 65_535));
    c.get(1, "/endless");
    let asked = Instant::now();
    // The client reads nothing: the server's write fills the socket
    // buffers and blocks, and only the write timeout can end it.
    closed
        .recv_timeout(LIMIT)
        .expect("the connection outlived a peer that stopped reading");
    let waited = asked.elapsed();
    assert!(
        waited >= timeout,
        "closed after {waited:?}, before the timeout {timeout:?}"
    );
    // The socket is closed too: what the kernel buffered, then the end.
    let mut buf = vec![0u8; 256 << 10];
    let mut got = 0usize;
    loop {
        match c.tcp.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!("read after {got} bytes: {e}"),
        }
    }
    assert!(got > 0, "the response had started");
}

per_binding!(
    write_timeout_closes_a_connection_whose_peer_stopped_reading,
    shutdown_drains_the_in_flight_request,
    grace_deadline_cuts_off_a_request_that_never_ends,
    grace_deadline_ends_a_write_blocked_on_a_peer_that_does_not_read,
    idle_connection_gets_go_away_and_is_closed,
);
