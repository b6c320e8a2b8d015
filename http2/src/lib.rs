//! goro-http2: HTTP/2 (RFC 9113) with HPACK (RFC 7541), a sans-IO core and
//! servers on goro and on tokio.

pub mod error;
pub mod frame;
pub mod hpack;
pub mod proto;
pub mod server;

pub use error::{ProtoError, Reason};
pub use proto::{Connection, Event, SendError};
