//! Stacks, stack switching, system-stack bounds and overflow detection.
//!
//! This crate is part of the cgo-rs workspace; see the workspace README for the
//! crate map. A leaf crate: it depends on no sibling crate.
