//! Connection and stream state machines (RFC 9113 §5, §6.9, §8) on top of
//! the frame and HPACK layers. Sans-IO: see [`Connection`], and
//! [`Handshake`] for how a cleartext connection starts (prior knowledge or
//! `Upgrade: h2c`).

mod connection;
mod flow;
mod headers;
mod http1;
mod idmap;
mod lifecycle;
mod send;
mod stream;
mod upgrade;

pub use connection::{Connection, Event, PREFACE};
pub use headers::{Malformed, RequestHead, request_head};
pub use send::SendError;
pub use upgrade::{
    Handshake, MAX_UPGRADE_BODY, Refusal, RefuseReason, SWITCHING_PROTOCOLS, Sniffed,
};

pub(crate) use idmap::IdMap;
