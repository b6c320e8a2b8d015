//! Deliberately broken twins of the workspace's protocols.
//!
//! Each twin keeps the real protocol's shape and breaks exactly one thing,
//! named in its module header. They exist only so that the models can prove
//! they catch that bug; nothing outside `tests/` uses them.

pub mod arena_pool;
pub mod idle;
pub mod idle_rest;
pub mod inject;
pub mod mpsc;
pub mod netpoll_park;
pub mod netpoll_readiness;
pub mod netpoll_waker;
pub mod notify;
pub mod oneshot;
pub mod queue;
pub mod registry_slots;
pub mod task_state;
pub mod timer_duty;
pub mod waitgroup;
