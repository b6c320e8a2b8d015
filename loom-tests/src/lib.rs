//! Loom models of the workspace's atomic protocols live in `tests/`; they
//! compile only with `RUSTFLAGS="--cfg goro_loom"`.
//!
//! Each model runs one scenario against the real code and against a
//! deliberately broken twin (a weakened ordering or a missing re-check) kept
//! in this crate's `twins` module; the twin's test asserts that loom reports
//! the failure, which proves the scenario can catch that class of bug.

#[cfg(goro_loom)]
pub mod harness;
#[cfg(goro_loom)]
pub mod twins;
