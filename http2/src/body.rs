//! Request and response bodies of the server bindings, the same types on
//! goro ([`server_goro`](crate)) and on tokio ([`server_tokio`](crate)):
//! they only use `std::task::Waker`, so a handler written against them runs
//! on either runtime.
//!
//! Back-pressure: a request body's flow-control window reopens only when
//! the handler takes the bytes ([`RequestBody::data`]); a streamed response
//! body is a bounded channel ([`ResponseBody::channel`]) that the
//! connection drains only while the stream may send.

use bytes::Bytes;
use http::HeaderMap;

use crate::Reason;
use crate::chan::{Receiver, Sender};
use crate::frame::StreamId;

/// What the connection hands a request body.
pub(crate) enum Incoming {
    Data(Bytes),
    Trailers(HeaderMap),
    Reset(Reason),
}

/// What handlers and bodies tell the connection.
pub(crate) enum Msg {
    Response(StreamId, http::Response<ResponseBody>),
    /// The handler ended without a response (panicked or was cancelled).
    Failed(StreamId),
    /// The handler took `n` body bytes: reopen the window by that much.
    Release(StreamId, usize),
}

/// A request body, streamed from the connection.
pub struct RequestBody {
    pub(crate) stream: StreamId,
    pub(crate) rx: Option<Receiver<Incoming>>,
    pub(crate) ctl: Sender<Msg>,
    pub(crate) trailers: Option<HeaderMap>,
}

impl std::fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBody")
            .field("stream", &self.stream.0)
            .field("done", &self.rx.is_none())
            .finish()
    }
}

impl RequestBody {
    /// The next chunk: `None` at the end, `Err` if the stream was reset.
    /// Taking a chunk is what lets the client send more.
    pub async fn data(&mut self) -> Option<Result<Bytes, Reason>> {
        let rx = self.rx.as_mut()?;
        match rx.recv().await {
            Some(Incoming::Data(b)) => {
                let _ = self.ctl.try_send(Msg::Release(self.stream, b.len()));
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
pub enum ResponseBody {
    /// No body.
    Empty,
    /// The whole body at once.
    Full(Bytes),
    /// A body produced over time by a [`BodySender`]; dropping every
    /// sender ends it.
    Stream(BodyStream),
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResponseBody::Empty => f.write_str("Empty"),
            ResponseBody::Full(b) => f.debug_tuple("Full").field(&b.len()).finish(),
            ResponseBody::Stream(_) => f.write_str("Stream"),
        }
    }
}

impl ResponseBody {
    /// A streamed body and its sender; `depth` chunks may wait in between.
    pub fn channel(depth: usize) -> (BodySender, ResponseBody) {
        let (tx, rx) = crate::chan::bounded(depth);
        (BodySender { tx }, ResponseBody::Stream(BodyStream { rx }))
    }
}

/// The receiving side of a streamed response body (held by the connection).
pub struct BodyStream {
    pub(crate) rx: Receiver<BodyChunk>,
}

/// Feeds a streamed response body; made by [`ResponseBody::channel`].
#[derive(Clone)]
pub struct BodySender {
    tx: Sender<BodyChunk>,
}

impl std::fmt::Debug for BodySender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BodySender")
    }
}

/// The body's stream was reset or its connection closed: nobody reads it.
#[derive(Debug)]
pub struct BodyClosed(pub BodyChunk);

impl std::fmt::Display for BodyClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the response body is no longer read (stream reset or connection closed)")
    }
}

impl std::error::Error for BodyClosed {}

impl BodySender {
    /// Queues a chunk, waiting while the channel is full (that is, while
    /// the client does not take the body fast enough).
    pub async fn send(&self, chunk: BodyChunk) -> Result<(), BodyClosed> {
        self.tx.send(chunk).await.map_err(BodyClosed)
    }

    /// True once nobody reads the body any more.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}
