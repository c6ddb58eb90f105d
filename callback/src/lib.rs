//! C calling back into the runtime, on runtime threads and on foreign threads.
//!
//! This crate is part of the cgo-rs workspace; see the workspace README for the
//! crate map. Depends on `stackswitch` and `syscall-accounting`.
