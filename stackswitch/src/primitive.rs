//! The crate's atomics, from one place.
//!
//! Loom is not switched in here: every atomic of this crate lives in a
//! `static` that the SIGSEGV handler reads, which needs `const` construction
//! and async-signal safety that loom's model types do not provide. The
//! lock-free registry is small enough to be checked by the tests in
//! `tests/overflow.rs` and by review of the orderings stated at each use.

pub(crate) use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering, fence};
