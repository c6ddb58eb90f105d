//! Processor tokens, enter/exit accounting of foreign code, and the hand-off monitor.
//!
//! This crate is part of the cgo-rs workspace; see the workspace README for the
//! crate map. A leaf crate: it depends on no sibling crate.
