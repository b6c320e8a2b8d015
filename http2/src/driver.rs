//! The connection driver both server bindings share: one task per
//! connection pumps the sans-IO [`Connection`] between the socket, the
//! request handlers and their bodies. A binding supplies only a
//! [`Transport`] (its socket) and a [`Runtime`] (spawn and a timer); see
//! `server_goro.rs` and `server_tokio.rs`.
//!
//! A connection starts with a [`Handshake`](crate::proto::Handshake)
//! (unless the builder turned `h2c_upgrade` off): prior knowledge, or an
//! HTTP/1.1 `Upgrade: h2c` answered with 101, or a refusal written before
//! closing. See [`start`].
//!
//! One turn of the loop in [`serve`]:
//! 1. hand every core event to its place (new request → a handler slot,
//!    DATA → the request body's channel, reset → drop its body);
//! 2. write everything the core has to send, up to 64 frames at a time,
//!    going back to 1 after each write (a write reads meanwhile, and what
//!    it read is handed out before the turn waits);
//! 3. wait for the first of: bytes from the socket (only while the core
//!    [wants to read](Connection::wants_read)), a handler's reply or body
//!    release, a chunk of a streamed body whose stream may send, the
//!    core's timer.
//!
//! Each turn also gives the core the time (`handle_timeout(now)`), which
//! keeps its idle clock exact; the timer is only re-armed when the core's
//! next deadline moves earlier (a later one is picked up when the armed
//! timer fires), so traffic does not re-arm it per frame.
//!
//! With a [`Watch`] (the bindings' `serve_with_shutdown`), the trigger of
//! its `ShutdownSignal` is one more thing the turn waits for: it starts the
//! core's graceful GOAWAY and, with a grace period, its close deadline.
//! The deadline also bounds a write blocked on a peer that does not read:
//! the write is dropped and the connection ends. A connection still in its
//! handshake when the trigger comes has taken no request and just closes.
//!
//! The write timeout (`Builder::write_timeout`, `write_stall.rs`) bounds
//! a write whose peer takes no byte for that long, with or without a
//! shutdown: the write is dropped, the socket closed, and `serve` returns
//! an error of kind `TimedOut`. Its timer lives across writes and is
//! re-armed only when it fires before the current deadline, so a busy
//! connection does not arm a timer per write.
//!
//! It ends once the core is closed, or once the socket has read end of
//! stream (a client that half-closed after its requests) and every open
//! stream and running handler has finished, or [`DRAIN_AFTER_EOF`] after
//! that end of stream, whichever comes first: responses produced after the
//! peer stopped writing still go out.
//!
//! Back-pressure, end to end:
//! 1. Request bodies: the connection opens a stream's flow-control window
//!    only when the handler has taken the bytes (`RequestBody::data`), so a
//!    slow handler slows the client, and what is queued for it is bounded
//!    by the window.
//! 2. Response bodies: a streaming body is a bounded channel; the driver
//!    reads from it only while the stream's send buffer has room
//!    (`send_capacity`), so a client that does not open its window stalls
//!    the producer instead of growing a buffer.
//! 3. Writes: while a write blocks, the connection still reads and
//!    processes frames (RFC 9113 §5.2.2: WINDOW_UPDATE, SETTINGS, PING and
//!    resets take effect at once), and the core's caps bound what piles up
//!    meanwhile: DATA by the windows, streams by `max_concurrent_streams`,
//!    owed answers by `max_queued_control_frames`. Requests and bodies
//!    read then are handed out once the write is done.
//! 4. Handlers: at most `max_concurrent_streams` handler futures run at
//!    once, and a stream reset by the client keeps its handler's slot until
//!    the handler ends (Go's rapid-reset defence, x/net 0.17); later
//!    requests wait.
//!
//! A handler's future is polled once on the connection task before it is
//! given a task of its own: one that answers at once (the common
//! `GET /`) costs no spawn, no channel message and no wake-up. A panic in
//! that first poll is caught and resets the stream, as a panic on the
//! handler's own task does (through [`Reply`]'s drop).

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::io;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};

use crate::body::{BodyChunk, BodyStream, Incoming, Msg, RequestBody, ResponseBody};
use crate::chan::{self, Receiver, Sender};
use crate::frame::{OutFrame, StreamId};
use crate::proto::{IdMap, SWITCHING_PROTOCOLS, Sniffed};
use crate::server::Builder;
use crate::shutdown::{Trigger, Watch};
use crate::write_stall::{Progress, Stall};
use crate::{Connection, Event, Reason};

/// Frames gathered per write.
pub(crate) const FRAMES_PER_WRITE: usize = 64;

/// How long responses may still be written after the peer's end of
/// stream. A stream whose request body was cut off can never finish, so
/// the wait is bounded.
pub(crate) const DRAIN_AFTER_EOF: Duration = Duration::from_secs(10);

/// How long, and how many bytes, a refused HTTP/1.1 client is read after
/// its response (see [`linger`]).
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 256 * 1024;

/// A connection's byte stream, as a binding drives it.
pub(crate) trait Transport {
    /// Polls for the next bytes read; an empty slice is end of stream. The
    /// read in flight must survive a `Pending` (it is polled again later).
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>>;

    /// Takes `frames` (leaving the list empty) to write whole and in
    /// order; [`poll_write`] writes them. The previous write has finished.
    /// Taken, not borrowed: payloads move to the socket without a clone.
    ///
    /// [`poll_write`]: Transport::poll_write
    fn start_write(&mut self, frames: &mut Vec<OutFrame>);

    /// Drives the write that [`start_write`](Transport::start_write) began,
    /// adding to `progress` the bytes each partial write hands to the
    /// socket (the write timeout's clock). `poll_read` may be called
    /// between its calls: a pending write does not stop reading (§5.2.2).
    fn poll_write(&mut self, cx: &mut Context<'_>, progress: &Progress) -> Poll<io::Result<()>>;

    /// Writes raw bytes whole (the HTTP/1.1 answer to an upgrade request).
    fn write_raw(&mut self, bytes: &[u8]) -> impl Future<Output = io::Result<()>>;

    /// Ends the write side after the last frame (best effort).
    fn shutdown(&mut self) -> impl Future<Output = ()>;
}

/// What a binding's runtime lends the driver.
pub(crate) trait Runtime {
    /// A timer future.
    type Sleep: Future<Output = ()> + Unpin;

    /// A timer firing at `deadline`.
    fn sleep_until(deadline: Instant) -> Self::Sleep;

    /// Runs `task` on a task of its own.
    fn spawn(task: impl Future<Output = ()> + Send + 'static);
}

/// Serves one HTTP/2 connection over `io` until it ends; with `watch`, a
/// trigger of its signal shuts the connection down gracefully.
pub(crate) async fn serve<T, R, H, F>(
    mut io: T,
    builder: Builder,
    mut watch: Option<Watch>,
    handler: H,
) -> io::Result<()>
where
    T: Transport,
    R: Runtime,
    H: FnMut(Request<RequestBody>) -> F,
    F: Future<Output = Response<ResponseBody>> + Send + 'static,
{
    let cfg = builder.clone().config();
    let conn = if cfg.h2c_upgrade {
        match start::<T, R>(&mut io, builder, watch.as_mut()).await? {
            Some(conn) => conn,
            None => return Ok(()),
        }
    } else {
        builder.connection(Instant::now())
    };
    let max_running = (cfg.max_concurrent_streams as usize).max(1);
    let waker = poll_fn(|cx| Poll::Ready(cx.waker().clone())).await;
    let mut d: Driver<H, R> = Driver::new(conn, max_running, handler, waker);
    let mut frames: Vec<OutFrame> = Vec::with_capacity(FRAMES_PER_WRITE);
    let mut timer: Option<(Instant, R::Sleep)> = None;
    // When the peer's end of stream was read: from then on nothing is
    // read, and the connection ends once its streams are done.
    let mut eof: Option<Instant> = None;
    // The shutdown's grace deadline, once one was given.
    let mut hard: Option<Instant> = None;
    let mut writes = Writes::<R> {
        stall_timeout: cfg.write_timeout,
        stall_timer: None,
    };
    loop {
        d.conn.handle_timeout(Instant::now());
        // Events, then writes, until neither is left. A write reads
        // meanwhile (§5.2.2), and the events of what it read must be
        // handed out before the wait below: nothing else may ever end
        // that wait (the client sent its last bytes during the write and
        // now waits for the answer).
        loop {
            while let Some(ev) = d.conn.poll_event() {
                d.dispatch(ev);
            }
            if !d.gather(&mut frames) {
                break;
            }
            let written = writes
                .write(
                    &mut io,
                    &mut frames,
                    &mut d.conn,
                    watch.as_mut(),
                    &mut hard,
                    &mut eof,
                )
                .await?;
            frames.clear();
            match written {
                Written::All => {}
                // Cut off at the deadline: no shutdown, which could wait
                // on the same peer; dropping the socket closes it.
                Written::CutOff => return Ok(()),
                // The same, but nobody asked for it: say why.
                Written::Stalled => return Err(io::ErrorKind::TimedOut.into()),
            }
        }
        let drained = eof.map(|at| d.idle() || at.elapsed() >= DRAIN_AFTER_EOF);
        if d.conn.is_closed() || drained == Some(true) {
            io.shutdown().await;
            return Ok(());
        }
        let deadline = match (d.conn.next_timeout(), eof) {
            (t, None) => t,
            (None, Some(at)) => Some(at + DRAIN_AFTER_EOF),
            (Some(t), Some(at)) => Some(t.min(at + DRAIN_AFTER_EOF)),
        };
        match deadline {
            None => timer = None,
            // An earlier timer stays: it fires, the turn finds nothing
            // due, and the next turn arms this deadline.
            Some(t) if timer.as_ref().is_some_and(|(at, _)| *at <= t) => {}
            Some(t) => timer = Some((t, R::sleep_until(t))),
        }
        let reading = d.conn.wants_read() && eof.is_none();
        let ended = poll_fn(|cx| {
            let mut woke = d.poll_work(cx);
            if let Some(w) = &mut watch {
                if let Poll::Ready(trigger) = w.poll_trigger(cx) {
                    apply(&mut d.conn, trigger, &mut hard);
                    woke = true;
                }
            }
            if reading {
                match io.poll_read(cx) {
                    Poll::Ready(Ok([])) => return Poll::Ready(Ok(true)),
                    Poll::Ready(Ok(bytes)) => {
                        d.conn.recv(bytes);
                        woke = true;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {}
                }
            }
            if let Some((_, sleep)) = &mut timer {
                if Pin::new(sleep).poll(cx).is_ready() {
                    // The next turn applies what is due.
                    timer = None;
                    woke = true;
                }
            }
            if woke {
                Poll::Ready(Ok(false))
            } else {
                Poll::Pending
            }
        })
        .await?;
        if ended {
            eof = Some(Instant::now());
        }
    }
}

/// Starts the core's graceful shutdown for a trigger, with its deadline.
fn apply(conn: &mut Connection, trigger: Trigger, hard: &mut Option<Instant>) {
    conn.go_away(Instant::now());
    if let Some(at) = trigger.deadline {
        conn.close_at(at);
        *hard = Some(hard.map_or(at, |h| h.min(at)));
    }
}

/// How long a write begun after the shutdown deadline may take: the
/// GOAWAY that ends the connection there still gets its chance (an
/// io_uring write is never done at its first poll).
const LAST_WRITE: Duration = Duration::from_millis(500);

/// When a write begun at `now` is dropped, given the shutdown deadline.
fn write_deadline(hard: Instant, now: Instant) -> Instant {
    if now >= hard { now + LAST_WRITE } else { hard }
}

/// How a write of frames ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    /// Every byte went out.
    All,
    /// The shutdown deadline came first; the write was dropped.
    CutOff,
    /// The peer took no byte for the write timeout; the write was dropped.
    Stalled,
}

/// The writes of one connection, under the shutdown deadline and the
/// write timeout.
struct Writes<R: Runtime> {
    stall_timeout: Option<Duration>,
    /// The write timeout's timer and when it fires. It outlives a write:
    /// one that fires before the current deadline is re-armed, one that
    /// fires later is replaced, so steady traffic arms about one timer
    /// per timeout instead of one per write.
    stall_timer: Option<(Instant, R::Sleep)>,
}

impl<R: Runtime> Writes<R> {
    /// Writes `frames` whole, unless the shutdown deadline comes first
    /// (one begun after it gets [`LAST_WRITE`]) or the peer takes no byte
    /// for the write timeout. Triggers arriving meanwhile are applied, so
    /// a grace period given while a write is blocked still bounds it, and
    /// the socket is read meanwhile ([`read_meanwhile`]); end of stream
    /// read then is noted in `eof`.
    async fn write<T: Transport>(
        &mut self,
        io: &mut T,
        frames: &mut Vec<OutFrame>,
        conn: &mut Connection,
        mut watch: Option<&mut Watch>,
        hard: &mut Option<Instant>,
        eof: &mut Option<Instant>,
    ) -> io::Result<Written> {
        let progress = Progress::default();
        io.start_write(frames);
        // The clocks start at the first pending poll: a write done at once
        // reads no clock and arms no timer.
        let mut begun: Option<Instant> = None;
        let mut stall: Option<Stall> = None;
        let mut cut: Option<R::Sleep> = None;
        poll_fn(|cx| {
            if let Poll::Ready(done) = io.poll_write(cx, &progress) {
                return Poll::Ready(done.map(|()| Written::All));
            }
            read_meanwhile(io, cx, conn, eof)?;
            if watch.is_none() && self.stall_timeout.is_none() {
                return Poll::Pending;
            }
            let now = Instant::now();
            let begun = *begun.get_or_insert_with(|| {
                cut = hard.map(|h| R::sleep_until(write_deadline(h, now)));
                now
            });
            if let Some(w) = watch.as_mut() {
                if let Poll::Ready(trigger) = w.poll_trigger(cx) {
                    apply(conn, trigger, hard);
                    cut = hard.map(|h| R::sleep_until(write_deadline(h, begun)));
                }
            }
            if let Some(sleep) = cut.as_mut() {
                if Pin::new(sleep).poll(cx).is_ready() {
                    return Poll::Ready(Ok(Written::CutOff));
                }
            }
            let Some(timeout) = self.stall_timeout else {
                return Poll::Pending;
            };
            let clock = stall.get_or_insert_with(|| Stall::new(timeout, begun));
            clock.observe(progress.get(), now);
            if clock.stalled(now) {
                return Poll::Ready(Ok(Written::Stalled));
            }
            let due = clock.deadline();
            // A timer due no later than `due` may stay: when it fires,
            // this runs again and moves it on.
            let keep = self.stall_timer.as_ref().is_some_and(|(at, _)| *at <= due);
            if !keep {
                self.stall_timer = Some((due, R::sleep_until(due)));
            }
            let (at, sleep) = self.stall_timer.as_mut().expect("armed above");
            if *at < due && Pin::new(sleep).poll(cx).is_ready() {
                // An earlier deadline passed without a stall: re-arm.
                self.stall_timer = Some((due, R::sleep_until(due)));
            }
            if let Some((at, sleep)) = self.stall_timer.as_mut() {
                if *at == due && Pin::new(sleep).poll(cx).is_ready() {
                    // Due now (the clock read above was just early).
                    return Poll::Ready(Ok(Written::Stalled));
                }
            }
            Poll::Pending
        })
        .await
    }
}

/// Reads at most this many times per poll while a write is pending, then
/// yields (waking itself), so a peer that never stops sending cannot hold
/// the thread.
const READS_PER_POLL: usize = 16;

/// RFC 9113 §5.2.2: frames are read and processed as they arrive, also
/// while a write waits for the peer, or two peers that both write before
/// they read would wait on each other. What is read meanwhile is bounded
/// by the core's limits: DATA by the flow-control windows, new streams by
/// `max_concurrent_streams`, and the answers it owes (PING and SETTINGS
/// acknowledgements, resets) by `max_queued_control_frames`. Its events
/// (requests, bodies) are handed out after the write.
fn read_meanwhile<T: Transport>(
    io: &mut T,
    cx: &mut Context<'_>,
    conn: &mut Connection,
    eof: &mut Option<Instant>,
) -> io::Result<()> {
    for _ in 0..READS_PER_POLL {
        if eof.is_some() || !conn.wants_read() {
            return Ok(());
        }
        match io.poll_read(cx) {
            Poll::Ready(Ok([])) => *eof = Some(Instant::now()),
            Poll::Ready(Ok(bytes)) => conn.recv(bytes),
            Poll::Ready(Err(e)) => return Err(e),
            Poll::Pending => return Ok(()),
        }
    }
    cx.waker().wake_by_ref();
    Ok(())
}

/// Reads the connection's first bytes through a [`Handshake`]: prior
/// knowledge or `Upgrade: h2c` give the connection (after the 101 is
/// written); a refusal is written, then the socket lingers so the client
/// reads it, and `None` ends the connection. So does end of stream or the
/// preface timeout before anything was decided, and so does a shutdown
/// trigger: no request was taken yet.
async fn start<T: Transport, R: Runtime>(
    io: &mut T,
    builder: Builder,
    mut watch: Option<&mut Watch>,
) -> io::Result<Option<Connection>> {
    let mut hs = builder.handshake(Instant::now());
    let mut timer = R::sleep_until(hs.deadline());
    let sniffed = loop {
        let read = poll_fn(|cx| match io.poll_read(cx) {
            Poll::Ready(Ok([])) => Poll::Ready(Ok(None)),
            Poll::Ready(Ok(bytes)) => Poll::Ready(Ok(Some(hs.recv(bytes)))),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let shut = watch
                    .as_mut()
                    .is_some_and(|w| w.poll_trigger(cx).is_ready());
                match Pin::new(&mut timer).poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Ok(None)),
                    Poll::Pending if shut => Poll::Ready(Ok(None)),
                    Poll::Pending => Poll::Pending,
                }
            }
        })
        .await?;
        match read {
            None => {
                io.shutdown().await;
                return Ok(None);
            }
            Some(None) => continue,
            Some(Some(sniffed)) => break sniffed,
        }
    };
    match sniffed {
        Sniffed::PriorKnowledge(conn) => Ok(Some(conn)),
        Sniffed::Upgraded(conn) => {
            io.write_raw(SWITCHING_PROTOCOLS).await?;
            Ok(Some(conn))
        }
        Sniffed::Refused(refusal) => {
            io.write_raw(&refusal.response).await?;
            io.shutdown().await;
            linger::<T, R>(io).await;
            Ok(None)
        }
    }
}

/// Reads and drops what the client still sends after a refusal, until
/// its end of stream, [`LINGER_BYTES`] or [`LINGER_TIME`]: closing with
/// unread input would reset the connection and could destroy the
/// response before the client reads it.
async fn linger<T: Transport, R: Runtime>(io: &mut T) {
    let mut timer = R::sleep_until(Instant::now() + LINGER_TIME);
    let mut left = LINGER_BYTES;
    poll_fn(|cx| {
        loop {
            match io.poll_read(cx) {
                Poll::Ready(Ok(bytes)) if !bytes.is_empty() && bytes.len() < left => {
                    left -= bytes.len();
                }
                Poll::Ready(_) => return Poll::Ready(()),
                Poll::Pending => return Pin::new(&mut timer).poll(cx),
            }
        }
    })
    .await
}

/// Sends the handler's reply, or on drop without one (the handler
/// panicked or its task was cancelled) tells the connection to reset the
/// stream, so the handler slot is always returned.
struct Reply {
    stream: StreamId,
    ctl: Sender<Msg>,
    sent: bool,
}

impl Reply {
    fn send(mut self, resp: Response<ResponseBody>) {
        self.sent = true;
        let _ = self.ctl.try_send(Msg::Response(self.stream, resp));
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if !self.sent {
            let _ = self.ctl.try_send(Msg::Failed(self.stream));
        }
    }
}

/// The connection task's state.
struct Driver<H, R> {
    conn: Connection,
    handler: H,
    /// The connection task's waker, for the first poll of handlers.
    waker: Waker,
    ctl: Sender<Msg>,
    inbox: Receiver<Msg>,
    bodies_in: IdMap<Sender<Incoming>>,
    bodies_out: Vec<(StreamId, BodyStream)>,
    /// Handler futures started and not finished. Bounded by
    /// `max_concurrent_streams` even when their streams were reset: a
    /// reset frees the stream slot at once, but not the handler's.
    running: usize,
    max_running: usize,
    /// Requests waiting for a handler slot; bounded by the core's stream
    /// limit, since each is an open stream.
    waiting: VecDeque<(StreamId, Request<RequestBody>)>,
    runtime: PhantomData<fn() -> R>,
}

impl<H, F, R> Driver<H, R>
where
    H: FnMut(Request<RequestBody>) -> F,
    F: Future<Output = Response<ResponseBody>> + Send + 'static,
    R: Runtime,
{
    fn new(conn: Connection, max_running: usize, handler: H, waker: Waker) -> Self {
        let (ctl, inbox) = chan::unbounded();
        Driver {
            conn,
            handler,
            waker,
            ctl,
            inbox,
            bodies_in: IdMap::default(),
            bodies_out: Vec::new(),
            running: 0,
            max_running,
            waiting: VecDeque::new(),
            runtime: PhantomData,
        }
    }

    /// True when no stream is open and no handler runs or waits.
    fn idle(&self) -> bool {
        self.conn.open_streams() == 0 && self.running == 0 && self.waiting.is_empty()
    }

    /// Moves up to [`FRAMES_PER_WRITE`] frames to `out`; false if none.
    fn gather(&mut self, out: &mut Vec<OutFrame>) -> bool {
        while out.len() < FRAMES_PER_WRITE {
            match self.conn.poll_transmit() {
                Some(f) => out.push(f),
                None => break,
            }
        }
        !out.is_empty()
    }

    /// Takes every handler message and every body chunk that can go out
    /// now; true if anything was taken.
    fn poll_work(&mut self, cx: &mut Context<'_>) -> bool {
        let mut woke = false;
        while let Poll::Ready(Some(msg)) = self.inbox.poll_recv(cx) {
            self.on_msg(msg);
            woke = true;
        }
        let mut i = 0;
        while i < self.bodies_out.len() {
            let (stream, body) = &mut self.bodies_out[i];
            if self.conn.send_capacity(*stream) > 0 {
                if let Poll::Ready(chunk) = body.rx.poll_recv(cx) {
                    woke = true;
                    if self.on_body(i, chunk) {
                        continue; // `i` now holds another body
                    }
                }
            }
            i += 1;
        }
        woke
    }

    /// Starts waiting requests while handler slots are free.
    fn run_waiting(&mut self) {
        while self.running < self.max_running {
            let Some((stream, request)) = self.waiting.pop_front() else {
                break;
            };
            self.run(stream, request);
        }
    }

    /// Runs a request's handler in a free slot.
    fn run(&mut self, stream: StreamId, request: Request<RequestBody>) {
        self.running += 1;
        if let Poll::Ready(resp) = self.start(stream, request) {
            self.running -= 1;
            self.respond(stream, resp);
        }
    }

    /// Calls the handler and polls its future once; if it is not done,
    /// it goes on on its own task and replies through the inbox.
    fn start(
        &mut self,
        stream: StreamId,
        request: Request<RequestBody>,
    ) -> Poll<Option<Response<ResponseBody>>> {
        let mut fut = Box::pin((self.handler)(request));
        let mut cx = Context::from_waker(&self.waker);
        match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(&mut cx))) {
            Ok(Poll::Ready(resp)) => Poll::Ready(Some(resp)),
            Err(_panic) => Poll::Ready(None),
            Ok(Poll::Pending) => {
                let reply = Reply {
                    stream,
                    ctl: self.ctl.clone(),
                    sent: false,
                };
                R::spawn(async move {
                    let resp = fut.await;
                    reply.send(resp);
                });
                Poll::Pending
            }
        }
    }

    /// Sends a handler's response (`None`: it failed; reset the stream).
    fn respond(&mut self, s: StreamId, resp: Option<Response<ResponseBody>>) {
        let Some(resp) = resp else {
            self.conn.reset_stream(s, Reason::INTERNAL_ERROR);
            return;
        };
        let (parts, body) = resp.into_parts();
        let head = Response::from_parts(parts, ());
        let empty = matches!(body, ResponseBody::Empty);
        if self.conn.send_response(s, head, empty).is_ok() {
            match body {
                ResponseBody::Empty => {}
                ResponseBody::Full(b) => {
                    let _ = self.conn.send_data(s, b, true);
                }
                ResponseBody::Stream(rx) => self.bodies_out.push((s, rx)),
            }
        }
    }

    fn on_msg(&mut self, msg: Msg) {
        match msg {
            Msg::Release(s, n) => self.conn.release_capacity(s, n),
            Msg::Failed(s) => {
                self.running -= 1;
                self.respond(s, None);
                self.run_waiting();
            }
            Msg::Response(s, resp) => {
                self.running -= 1;
                self.respond(s, Some(resp));
                self.run_waiting();
            }
        }
    }

    /// Sends one chunk of body `i`; true if that body is finished (and
    /// removed by a swap with the last one).
    fn on_body(&mut self, i: usize, chunk: Option<BodyChunk>) -> bool {
        let s = self.bodies_out[i].0;
        let done = match chunk {
            Some(BodyChunk::Data(b)) => self.conn.send_data(s, b, false).is_err(),
            Some(BodyChunk::Trailers(t)) => {
                if self.conn.send_trailers(s, t).is_err() {
                    // Refused on a CONNECT stream (§8.5): end it without them.
                    let _ = self.conn.send_data(s, Bytes::new(), true);
                }
                true
            }
            None => {
                let _ = self.conn.send_data(s, Bytes::new(), true);
                true
            }
        };
        if done {
            self.bodies_out.swap_remove(i);
        }
        done
    }

    fn dispatch(&mut self, ev: Event) {
        match ev {
            Event::Request {
                stream,
                request,
                end_stream,
            } => {
                let rx = if end_stream {
                    None
                } else {
                    let (tx, rx) = chan::unbounded();
                    self.bodies_in.insert(stream.0, tx);
                    Some(rx)
                };
                let body = RequestBody {
                    stream,
                    rx,
                    ctl: self.ctl.clone(),
                    trailers: None,
                };
                let request = request.map(|()| body);
                if self.running < self.max_running && self.waiting.is_empty() {
                    self.run(stream, request);
                } else {
                    self.waiting.push_back((stream, request));
                }
            }
            Event::Data {
                stream,
                data,
                end_stream,
            } => {
                let len = data.len();
                let delivered = match self.bodies_in.get(&stream.0) {
                    Some(tx) => tx.try_send(Incoming::Data(data)).is_ok(),
                    None => false,
                };
                if !delivered {
                    // Nobody reads this body any more: keep the window open.
                    self.conn.release_capacity(stream, len);
                }
                if end_stream {
                    self.bodies_in.remove(&stream.0);
                }
            }
            Event::Trailers { stream, trailers } => {
                if let Some(tx) = self.bodies_in.remove(&stream.0) {
                    let _ = tx.try_send(Incoming::Trailers(trailers));
                }
            }
            Event::Reset { stream, reason } => {
                if let Some(tx) = self.bodies_in.remove(&stream.0) {
                    let _ = tx.try_send(Incoming::Reset(reason));
                }
                self.bodies_out.retain(|(s, _)| *s != stream);
                self.waiting.retain(|(s, _)| *s != stream);
            }
        }
    }
}

#[cfg(test)]
#[path = "driver_tests.rs"]
mod tests;
