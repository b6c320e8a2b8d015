//! The driver against a scripted transport: orderings of reads and writes
//! that real sockets produce only by chance, made to happen every time.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Wake;

use super::*;
use crate::frame::{HEAD_LEN, Head, flags, kind};
use crate::hpack::Encoder;
use crate::proto::PREFACE;

/// A socket whose reads come from a script and whose writes each stay
/// pending for one poll (waking the task, as a socket that drains would).
/// Reads listed in `during_write` become available only once a write is
/// pending, so the driver sees them through its read-meanwhile path.
struct Scripted {
    reads: VecDeque<Vec<u8>>,
    during_write: VecDeque<Vec<u8>>,
    /// The bytes `poll_read` lent out last.
    current: Vec<u8>,
    /// The write in progress, and whether it was already polled pending.
    write: Option<(Vec<u8>, bool)>,
    written: Arc<Mutex<Vec<u8>>>,
}

impl Transport for Scripted {
    fn poll_read(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        // Nothing else ever arrives: no waker is kept, as a socket whose
        // peer went quiet would never use it.
        match self.reads.pop_front() {
            Some(bytes) => {
                self.current = bytes;
                Poll::Ready(Ok(&self.current))
            }
            None => Poll::Pending,
        }
    }

    fn start_write(&mut self, frames: &mut Vec<OutFrame>) {
        let mut bytes = Vec::new();
        for f in frames.drain(..) {
            bytes.extend_from_slice(&f.head);
            bytes.extend_from_slice(&f.payload);
        }
        self.write = Some((bytes, false));
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, progress: &Progress) -> Poll<io::Result<()>> {
        match &mut self.write {
            None => Poll::Ready(Ok(())),
            Some((_, polled @ false)) => {
                *polled = true;
                self.reads.extend(self.during_write.drain(..));
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Some((bytes, true)) => {
                progress.add(bytes.len());
                self.written.lock().expect("lock").append(bytes);
                self.write = None;
                Poll::Ready(Ok(()))
            }
        }
    }

    async fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.written.lock().expect("lock").extend_from_slice(bytes);
        Ok(())
    }

    async fn shutdown(&mut self) {}
}

/// A runtime whose timers never fire and that must spawn nothing: the
/// handler below answers at its first poll.
struct Inline;

struct Never;

impl Future for Never {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl Runtime for Inline {
    type Sleep = Never;

    fn sleep_until(_deadline: Instant) -> Never {
        Never
    }

    fn spawn(_task: impl Future<Output = ()> + Send + 'static) {
        panic!("nothing here needs a task of its own");
    }
}

#[derive(Default)]
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Polls `fut` until it ends or stops waking itself (it waits on input
/// that will never come); true if it ended.
fn run_until_quiet(fut: impl Future<Output = io::Result<()>>) -> bool {
    let flag = Arc::new(Flag::default());
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    for _ in 0..1_000 {
        flag.0.store(false, Ordering::SeqCst);
        if let Poll::Ready(r) = fut.as_mut().poll(&mut cx) {
            r.expect("the connection ended with an error");
            return true;
        }
        if !flag.0.load(Ordering::SeqCst) {
            return false;
        }
    }
    panic!("the driver kept waking itself");
}

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let head = Head {
        len: payload.len() as u32,
        kind,
        flags,
        stream: StreamId(stream),
    };
    let mut v = head.encode().to_vec();
    v.extend_from_slice(payload);
    v
}

/// `GET /` on `stream`, ending it.
fn get(stream: u32) -> Vec<u8> {
    let mut block = Vec::new();
    let fields: [(&[u8], &[u8], bool); 4] = [
        (b":method", b"GET", false),
        (b":scheme", b"http", false),
        (b":path", b"/", false),
        (b":authority", b"example.com", false),
    ];
    Encoder::new(4096).encode(fields, &mut block);
    frame(
        kind::HEADERS,
        flags::END_HEADERS | flags::END_STREAM,
        stream,
        &block,
    )
}

/// The (kind, flags, stream, payload) of every frame in `wire`.
fn frames(wire: &[u8]) -> Vec<(u8, u8, u32, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + HEAD_LEN <= wire.len() {
        let head = Head::parse(wire[at..at + HEAD_LEN].try_into().expect("9 octets"));
        let end = at + HEAD_LEN + head.len as usize;
        out.push((
            head.kind,
            head.flags,
            head.stream.0,
            wire[at + HEAD_LEN..end].to_vec(),
        ));
        at = end;
    }
    out
}

/// A request read while the driver's write is pending, when nothing else
/// arrives afterwards, is still answered: its event is handed out after
/// the write instead of waiting for a wake that never comes. Before the
/// fix the driver went straight to its wait, and the client waited for
/// ever (the goro runs of `binding_read_while_writing` stalled about one
/// time in 50 on this).
#[test]
fn a_request_read_during_a_write_is_answered_when_nothing_follows() {
    let mut hello = PREFACE.to_vec();
    hello.extend(frame(kind::SETTINGS, 0, 0, &[]));
    let written = Arc::new(Mutex::new(Vec::new()));
    let io = Scripted {
        reads: VecDeque::from([hello]),
        during_write: VecDeque::from([get(1)]),
        current: Vec::new(),
        write: None,
        written: written.clone(),
    };
    let handler = |_req: Request<RequestBody>| async {
        Response::new(ResponseBody::Full(Bytes::from_static(b"hello")))
    };
    let ended = run_until_quiet(serve::<_, Inline, _, _>(io, Builder::new(), None, handler));
    assert!(!ended, "the connection should wait for more requests");
    let out = frames(&written.lock().expect("lock"));
    let on_stream_1: Vec<_> = out.iter().filter(|f| f.2 == 1).collect();
    assert!(
        matches!(on_stream_1.first(), Some((k, _, _, _)) if *k == kind::HEADERS),
        "no response head for the request read during the write: {out:?}"
    );
    assert!(
        on_stream_1
            .iter()
            .any(|(k, f, _, p)| *k == kind::DATA && f & flags::END_STREAM != 0 && p == b"hello"),
        "no response body: {out:?}"
    );
}
