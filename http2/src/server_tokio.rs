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

use std::collections::HashMap;
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

/// Serves one HTTP/2 (prior knowledge, h2c or already-TLS) connection until
/// it ends. `handler` is called once per request; its future runs on its own
/// task.
pub async fn serve<IO, H, F>(mut io: IO, builder: Builder, mut handler: H) -> io::Result<()>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    H: FnMut(Request<RequestBody>) -> F,
    F: Future<Output = Response<ResponseBody>> + Send + 'static,
{
    let mut conn = builder.connection(Instant::now());
    let (ctl, mut msgs) = mpsc::unbounded_channel();
    let mut bodies_in: HashMap<u32, mpsc::UnboundedSender<Incoming>> = HashMap::new();
    let mut bodies_out: Vec<(StreamId, mpsc::Receiver<BodyChunk>)> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while let Some(ev) = conn.poll_event() {
            dispatch(
                &mut conn,
                ev,
                &mut handler,
                &ctl,
                &mut bodies_in,
                &mut bodies_out,
            );
        }
        flush(&mut conn, &mut io).await?;
        if conn.is_closed() {
            let _ = io.shutdown().await;
            return Ok(());
        }
        let open: Vec<bool> = bodies_out
            .iter()
            .map(|(s, _)| conn.send_capacity(*s) > 0)
            .collect();
        let deadline = conn.next_timeout();
        let reading = conn.wants_read();
        let wake = ::tokio::select! {
            r = io.read(&mut buf), if reading => Wake::Read(r),
            m = msgs.recv() => Wake::Msg(m),
            (i, c) = next_chunk(&mut bodies_out, &open) => Wake::Body(i, c),
            _ = timer(deadline) => Wake::Timer,
        };
        match wake {
            Wake::Read(Ok(0)) => return Ok(()),
            Wake::Read(Ok(n)) => conn.recv(&buf[..n]),
            Wake::Read(Err(e)) => return Err(e),
            Wake::Msg(Some(msg)) => {
                on_msg(&mut conn, msg, &mut bodies_out);
                // Take every reply that is already there, so that one
                // vectored write carries many responses.
                while let Ok(msg) = msgs.try_recv() {
                    on_msg(&mut conn, msg, &mut bodies_out);
                }
            }
            Wake::Msg(None) => unreachable!("the connection holds a sender"),
            Wake::Body(i, chunk) => {
                let s = bodies_out[i].0;
                let done = match chunk {
                    Some(BodyChunk::Data(b)) => conn.send_data(s, b, false).is_err(),
                    Some(BodyChunk::Trailers(t)) => {
                        let _ = conn.send_trailers(s, t);
                        true
                    }
                    None => {
                        let _ = conn.send_data(s, Bytes::new(), true);
                        true
                    }
                };
                if done {
                    bodies_out.swap_remove(i);
                }
            }
            Wake::Timer => conn.handle_timeout(Instant::now()),
        }
    }
}

fn on_msg(
    conn: &mut Connection,
    msg: Msg,
    bodies_out: &mut Vec<(StreamId, mpsc::Receiver<BodyChunk>)>,
) {
    match msg {
        Msg::Release(s, n) => conn.release_capacity(s, n),
        Msg::Response(s, resp) => {
            let (parts, body) = resp.into_parts();
            let head = Response::from_parts(parts, ());
            let empty = matches!(body, ResponseBody::Empty);
            if conn.send_response(s, head, empty).is_ok() {
                match body {
                    ResponseBody::Empty => {}
                    ResponseBody::Full(b) => {
                        let _ = conn.send_data(s, b, true);
                    }
                    ResponseBody::Stream(rx) => bodies_out.push((s, rx)),
                }
            }
        }
    }
}

fn dispatch<H, F>(
    conn: &mut Connection,
    ev: Event,
    handler: &mut H,
    ctl: &mpsc::UnboundedSender<Msg>,
    bodies_in: &mut HashMap<u32, mpsc::UnboundedSender<Incoming>>,
    bodies_out: &mut Vec<(StreamId, mpsc::Receiver<BodyChunk>)>,
) where
    H: FnMut(Request<RequestBody>) -> F,
    F: Future<Output = Response<ResponseBody>> + Send + 'static,
{
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
                bodies_in.insert(stream.0, tx);
                Some(rx)
            };
            let body = RequestBody {
                stream,
                rx,
                ctl: ctl.clone(),
                trailers: None,
            };
            let fut = handler(request.map(|()| body));
            let ctl = ctl.clone();
            ::tokio::spawn(async move {
                let resp = fut.await;
                let _ = ctl.send(Msg::Response(stream, resp));
            });
        }
        Event::Data {
            stream,
            data,
            end_stream,
        } => {
            let len = data.len();
            let delivered = match bodies_in.get(&stream.0) {
                Some(tx) => tx.send(Incoming::Data(data)).is_ok(),
                None => false,
            };
            if !delivered {
                // Nobody reads this body any more: keep the window open.
                conn.release_capacity(stream, len);
            }
            if end_stream {
                bodies_in.remove(&stream.0);
            }
        }
        Event::Trailers { stream, trailers } => {
            if let Some(tx) = bodies_in.remove(&stream.0) {
                let _ = tx.send(Incoming::Trailers(trailers));
            }
        }
        Event::Reset { stream, reason } => {
            if let Some(tx) = bodies_in.remove(&stream.0) {
                let _ = tx.send(Incoming::Reset(reason));
            }
            bodies_out.retain(|(s, _)| *s != stream);
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
