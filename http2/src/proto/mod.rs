//! Connection and stream state machines (RFC 9113 §5, §6.9, §8) on top of
//! the frame and HPACK layers. Sans-IO: see [`Connection`].

mod connection;
mod flow;
mod headers;
mod idmap;
mod send;
mod stream;

pub use connection::{Connection, Event, PREFACE};
pub use headers::Malformed;
pub use send::SendError;

pub(crate) use idmap::IdMap;
