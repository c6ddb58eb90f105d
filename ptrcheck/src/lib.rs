//! Run-time checks of the cgo pointer-passing rules, with pinning.
//!
//! This crate is part of the cgo-rs workspace; see the workspace README for the
//! crate map. A leaf crate: it depends on no sibling crate.
