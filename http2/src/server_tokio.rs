//! A tokio binding of the sans-IO core (feature `tokio`): one task per
//! connection drives [`Connection`], one spawned task per request runs the
//! handler.
//!
//! Back-pressure, end to end:
//! 1. Request bodies: the connection opens a stream's flow-control window
//!    only when the handler has taken the bytes (`RequestBody::data`), so a
//!    slow handler slows the client, and what is queued for it is bounded
//!    by the window.
//! 2. Response bodies: a streaming body is a bounded channel; the connection
//!    task reads from it only while the stream's send buffer has room
//!    (`send_capacity`), so a client that does not open its window stalls
//!    the producer instead of growing a buffer.
//! 3. Writes: frames go out as vectored writes of (head, payload) pairs,
//!    payloads being the handler's `Bytes` without a copy. While a write
//!    blocks the connection reads nothing, and the core's caps bound what
//!    piles up meanwhile.
//! 4. Handlers: at most `max_concurrent_streams` handler futures run at
//!    once, and a stream reset by the client keeps its handler's slot until
//!    the handler ends (Go's rapid-reset defence); later requests wait.

use std::collections::{HashMap, VecDeque};
use std::future::{Future, pending, poll_fn};
use std::io::{self, IoSlice};
use std::task::Poll;
use std::time::Instant;

use ::tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use ::tokio::sync::mpsc;
use bytes::Bytes;
use http::{HeaderMap, Request, Response};

use crate::frame::{OutFrame, StreamId};
use crate::server::Builder;
use crate::{Connection, Event, Reason};

enum Incoming {
    Data(Bytes),
    Trailers(HeaderMap),
    Reset(Reason),
}

enum Msg {
    Response(StreamId, Response<ResponseBody>),
    /// The handler ended without a response.
    Failed(StreamId),
    Release(StreamId, usize),
}

/// A request body, streamed from the connection.
#[derive(Debug)]
pub struct RequestBody {
    stream: StreamId,
    rx: Option<mpsc::UnboundedReceiver<Incoming>>,
    ctl: mpsc::UnboundedSender<Msg>,
    trailers: Option<HeaderMap>,
}

impl std::fmt::Debug for Incoming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Incoming")
    }
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Msg")
    }
}

impl RequestBody {
    /// The next chunk: `None` at the end, `Err` if the stream was reset.
    /// Taking a chunk is what lets the client send more.
    pub async fn data(&mut self) -> Option<Result<Bytes, Reason>> {
        let rx = self.rx.as_mut()?;
        match rx.recv().await {
            Some(Incoming::Data(b)) => {
                let _ = self.ctl.send(Msg::Release(self.stream, b.len()));
                Some(Ok(b))
            }
            Some(Incoming::Trailers(t)) => {
                self.trailers = Some(t);
                self.rx = None;
                None
            }
            Some(Incoming::Reset(r)) => {
                self.rx = None;
                Some(Err(r))
            }
            None => {
                self.rx = None;
                None
            }
        }
    }

    /// Trailers, once `data` has returned `None`.
    pub fn trailers(&self) -> Option<&HeaderMap> {
        self.trailers.as_ref()
    }

    /// Reads the whole body, refusing more than `limit` bytes.
    pub async fn collect(&mut self, limit: usize) -> Result<Bytes, Reason> {
        let mut out = Vec::new();
        while let Some(chunk) = self.data().await {
            let chunk = chunk?;
            if out.len() + chunk.len() > limit {
                return Err(Reason::CANCEL);
            }
            out.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(out))
    }
}

/// A piece of a streamed response body.
#[derive(Debug)]
pub enum BodyChunk {
    /// Body bytes.
    Data(Bytes),
    /// Trailers; they end the body.
    Trailers(HeaderMap),
}

/// A response body.
#[derive(Debug)]
pub enum ResponseBody {
    /// No body.
    Empty,
    /// The whole body at once.
    Full(Bytes),
    /// A body produced over time; dropping the sender ends it.
    Stream(mpsc::Receiver<BodyChunk>),
}

impl ResponseBody {
    /// A streamed body and its sender; `depth` chunks may wait in between.
    pub fn channel(depth: usize) -> (mpsc::Sender<BodyChunk>, ResponseBody) {
        let (tx, rx) = mpsc::channel(depth.max(1));
        (tx, ResponseBody::Stream(rx))
    }
}

enum Wake {
    Read(io::Result<usize>),
    Msg(Option<Msg>),
    Body(usize, Option<BodyChunk>),
    Timer,
}

/// Sends the handler's reply, or on drop without one (the handler
/// panicked or its task was cancelled) tells the connection to reset the
/// stream, so the handler slot is always returned.
struct Reply {
    stream: StreamId,
    ctl: mpsc::UnboundedSender<Msg>,
    sent: bool,
}

impl Reply {
    fn send(mut self, resp: Response<ResponseBody>) {
        self.sent = true;
        let _ = self.ctl.send(Msg::Response(self.stream, resp));
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if !self.sent {
            let _ = self.ctl.send(Msg::Failed(self.stream));
        }
    }
}

/// The connection task's state.
struct Driver<H> {
    conn: Connection,
    handler: H,
    ctl: mpsc::UnboundedSender<Msg>,
    bodies_in: HashMap<u32, mpsc::UnboundedSender<Incoming>>,
    bodies_out: Vec<(StreamId, mpsc::Receiver<BodyChunk>)>,
    /// Handler futures started and not finished. Bounded by
    /// `max_concurrent_streams` even when their streams were reset, which is
    /// Go's defence against rapid reset (x/net 0.17): a reset frees the
    /// stream slot at once, but not the handler's.
    running: usize,
    max_running: usize,
    /// Requests waiting for a handler slot; bounded by the core's stream
    /// limit, since each is an open stream.
    waiting: VecDeque<(StreamId, Request<RequestBody>)>,
}

/// Serves one HTTP/2 (prior knowledge, h2c or already-TLS) connection until
/// it ends. `handler` is called once per request; its future runs on its own
/// task. At most `max_concurrent_streams` handler futures run at once.
pub async fn serve<IO, H, F>(mut io: IO, builder: Builder, handler: H) -> io::Result<()>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    H: FnMut(Request<RequestBody>) -> F,
    F: Future<Output = Response<ResponseBody>> + Send + 'static,
{
    let max_running = (builder.clone().config().max_concurrent_streams as usize).max(1);
    let (ctl, mut msgs) = mpsc::unbounded_channel();
    let mut d = Driver {
        conn: builder.connection(Instant::now()),
        handler,
        ctl,
        bodies_in: HashMap::new(),
        bodies_out: Vec::new(),
        running: 0,
        max_running,
        waiting: VecDeque::new(),
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while let Some(ev) = d.conn.poll_event() {
            d.dispatch(ev);
        }
        flush(&mut d.conn, &mut io).await?;
        if d.conn.is_closed() {
            let _ = io.shutdown().await;
            return Ok(());
        }
        let open: Vec<bool> = d
            .bodies_out
            .iter()
            .map(|(s, _)| d.conn.send_capacity(*s) > 0)
            .collect();
        let deadline = d.conn.next_timeout();
        let reading = d.conn.wants_read();
        let wake = ::tokio::select! {
            r = io.read(&mut buf), if reading => Wake::Read(r),
            m = msgs.recv() => Wake::Msg(m),
            (i, c) = next_chunk(&mut d.bodies_out, &open) => Wake::Body(i, c),
            _ = timer(deadline) => Wake::Timer,
        };
        match wake {
            Wake::Read(Ok(0)) => return Ok(()),
            Wake::Read(Ok(n)) => d.conn.recv(&buf[..n]),
            Wake::Read(Err(e)) => return Err(e),
            Wake::Msg(Some(msg)) => {
                d.on_msg(msg);
                // Take every reply that is already there, so that one
                // vectored write carries many responses.
                while let Ok(msg) = msgs.try_recv() {
                    d.on_msg(msg);
                }
            }
            Wake::Msg(None) => unreachable!("the driver holds a sender"),
            Wake::Body(i, chunk) => d.on_body(i, chunk),
            Wake::Timer => d.conn.handle_timeout(Instant::now()),
        }
    }
}

impl<H, F> Driver<H>
where
    H: FnMut(Request<RequestBody>) -> F,
    F: Future<Output = Response<ResponseBody>> + Send + 'static,
{
    fn start(&mut self, stream: StreamId, request: Request<RequestBody>) {
        self.running += 1;
        let fut = (self.handler)(request);
        let reply = Reply {
            stream,
            ctl: self.ctl.clone(),
            sent: false,
        };
        ::tokio::spawn(async move {
            let resp = fut.await;
            reply.send(resp);
        });
    }

    fn handler_done(&mut self) {
        self.running -= 1;
        while self.running < self.max_running {
            let Some((stream, request)) = self.waiting.pop_front() else {
                break;
            };
            self.start(stream, request);
        }
    }

    fn on_msg(&mut self, msg: Msg) {
        match msg {
            Msg::Release(s, n) => self.conn.release_capacity(s, n),
            Msg::Failed(s) => {
                self.handler_done();
                self.conn.reset_stream(s, Reason::INTERNAL_ERROR);
            }
            Msg::Response(s, resp) => {
                self.handler_done();
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
        }
    }

    fn on_body(&mut self, i: usize, chunk: Option<BodyChunk>) {
        let s = self.bodies_out[i].0;
        let done = match chunk {
            Some(BodyChunk::Data(b)) => self.conn.send_data(s, b, false).is_err(),
            Some(BodyChunk::Trailers(t)) => {
                let _ = self.conn.send_trailers(s, t);
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
                    let (tx, rx) = mpsc::unbounded_channel();
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
                if self.running < self.max_running {
                    self.start(stream, request);
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
                    Some(tx) => tx.send(Incoming::Data(data)).is_ok(),
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
                    let _ = tx.send(Incoming::Trailers(trailers));
                }
            }
            Event::Reset { stream, reason } => {
                if let Some(tx) = self.bodies_in.remove(&stream.0) {
                    let _ = tx.send(Incoming::Reset(reason));
                }
                self.bodies_out.retain(|(s, _)| *s != stream);
                self.waiting.retain(|(s, _)| *s != stream);
            }
        }
    }
}

/// The next chunk of any streamed body whose stream has buffer room.
async fn next_chunk(
    bodies: &mut [(StreamId, mpsc::Receiver<BodyChunk>)],
    open: &[bool],
) -> (usize, Option<BodyChunk>) {
    poll_fn(|cx| {
        for (i, (_, rx)) in bodies.iter_mut().enumerate() {
            if open[i] {
                if let Poll::Ready(c) = rx.poll_recv(cx) {
                    return Poll::Ready((i, c));
                }
            }
        }
        Poll::Pending
    })
    .await
}

async fn timer(deadline: Option<Instant>) {
    match deadline {
        Some(d) => ::tokio::time::sleep_until(d.into()).await,
        None => pending().await,
    }
}

/// Writes everything the connection has to send, 64 frames per vectored write.
async fn flush<IO: AsyncWrite + Unpin>(conn: &mut Connection, io: &mut IO) -> io::Result<()> {
    let mut frames: Vec<OutFrame> = Vec::with_capacity(64);
    loop {
        while frames.len() < 64 {
            match conn.poll_transmit() {
                Some(f) => frames.push(f),
                None => break,
            }
        }
        if frames.is_empty() {
            return io.flush().await;
        }
        let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(frames.len() * 2);
        for f in &frames {
            slices.push(IoSlice::new(&f.head));
            if !f.payload.is_empty() {
                slices.push(IoSlice::new(&f.payload));
            }
        }
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            let n = io.write_vectored(rest).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            IoSlice::advance_slices(&mut rest, n);
        }
        frames.clear();
    }
}
