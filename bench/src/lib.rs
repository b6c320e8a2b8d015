//! Shared benchmark shapes.
