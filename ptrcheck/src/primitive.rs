//! The one place this crate takes its atomics from.
//!
//! Every atomic in the crate is imported from here, so a model checker can be
//! swapped in at a single point. The crate does not depend on loom today (the
//! issue does not ask for a loom model of the registry; Miri checks it instead),
//! so both configurations use `std`'s atomics.

pub(crate) use std::sync::atomic::{AtomicU8, AtomicU32, AtomicUsize, Ordering, fence};
