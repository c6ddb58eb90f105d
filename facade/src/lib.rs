//! A green-thread runtime that calls C the way Go's runtime does, composed from the cgo-rs crates.
//!
//! This crate is part of the cgo-rs workspace; see the workspace README for the
//! crate map. The top of the layering: depends on every other library crate and re-exports each under a module.

pub use callback;
pub use directives;
pub use ptrcheck;
pub use stackswitch;
pub use syscall_accounting;
