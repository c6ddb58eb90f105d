//! Every synchronisation primitive of the crate, from one place.
//!
//! Nothing else in the crate names `std::sync` directly, so a later switch to loom's
//! atomics (`--cfg loom`) is one edit here. (The spare list's statics need `const`
//! constructors, which loom's atomics do not have, so the crate has no loom models yet;
//! its lock-bit protocol is exercised by real-thread stress tests instead.)

pub(crate) use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicUsize};

pub(crate) use std::sync::atomic::Ordering;
pub(crate) use std::sync::{Condvar, Mutex};

/// Locks a mutex, ignoring poisoning: the crate's critical sections only store plain
/// values and never panic while holding a lock.
#[inline]
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}
