//! Internal tests: the spare list's lock-bit protocol, and loom models of the crate's
//! atomic protocols (`--cfg loom`).

#[cfg(loom)]
mod loom;
#[cfg(not(loom))]
mod spare;
