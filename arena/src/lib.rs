//! goro-arena: a bump arena, arena collections and a typed object pool.
//!
//! Work in progress: `Arena` and `Pool` land with their own issue.

mod sync;
