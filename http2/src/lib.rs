//! goro-http2: HTTP/2 (RFC 9113) with HPACK (RFC 7541) as a sans-IO core.
//!
//! Layered one way: [`frame`] (codec) → [`hpack`] → [`proto`] (connection
//! and stream state, flow control, validation, limits) → a server binding.
//! The core takes bytes and the time, and gives back [`Event`]s and frames as
//! `(head, payload)` pairs; it never touches a socket. [`server::Builder`]
//! holds every limit, with safe defaults, and the idle and write timeouts. The
//! bindings (`server_goro`, `server_tokio`) serve connections; a
//! `shutdown::ShutdownSignal` shuts them down gracefully.
//!
//! ```
//! use goro_http2::{Event, frame::{Frame, Settings, StreamId}, hpack::Encoder, proto::PREFACE};
//! let mut conn = goro_http2::server::Builder::new().connection(std::time::Instant::now());
//! let (mut wire, mut block) = (PREFACE.to_vec(), Vec::new());
//! Frame::Settings(Settings::default()).encode().write_to(&mut wire);
//! let get = [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "a")];
//! Encoder::default().encode(get.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)), &mut block);
//! let stream = StreamId(1);
//! Frame::Headers { stream, fragment: block.into(), end_stream: true, end_headers: true, priority: None }
//!     .encode().write_to(&mut wire);
//! conn.recv(&wire);
//! let Some(Event::Request { request, .. }) = conn.poll_event() else { panic!() };
//! assert_eq!(request.uri().path(), "/");
//! conn.send_response(stream, http::Response::new(()), false).unwrap();
//! conn.send_data(stream, bytes::Bytes::from_static(b"hello"), true).unwrap();
//! while let Some(frame) = conn.poll_transmit() {
//!     let [_head, _payload] = frame.slices(); // one vectored write each
//! }
//! ```

#[cfg(any(feature = "goro", feature = "tokio"))]
pub mod body;
#[cfg(any(feature = "goro", feature = "tokio"))]
mod chan;
#[cfg(any(feature = "goro", feature = "tokio"))]
mod driver;
pub mod error;
pub mod frame;
pub mod hpack;
pub mod proto;
pub mod server;
#[cfg(feature = "goro")]
pub mod server_goro;
#[cfg(feature = "tokio")]
pub mod server_tokio;
#[cfg(any(feature = "goro", feature = "tokio"))]
pub mod shutdown;
#[cfg(any(feature = "goro", feature = "tokio"))]
mod write_stall;

pub use error::{ProtoError, Reason};
pub use proto::{Connection, Event, SendError};
