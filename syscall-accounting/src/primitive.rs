//! Every synchronisation primitive of the crate, from one place.
//!
//! Under `--cfg loom` the atomics, locks, `Arc` and threads come from [loom] so the model
//! tests in `src/tests/loom.rs` explore every interleaving of the real code; otherwise they
//! are `std`'s. Nothing else in the crate names `std::sync` or `std::sync::atomic`
//! directly.
//!
//! [loom]: https://docs.rs/loom

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU32, AtomicU64, fence};
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};
#[cfg(loom)]
pub(crate) use loom::thread_local;

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU32, AtomicU64, fence};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::thread_local;

pub(crate) use std::sync::atomic::Ordering;

/// A compiler-only fence: forbids the compiler to move memory accesses across it in either
/// direction, emits no instruction. `SeqCst` is required here: it is the only ordering
/// for which `compiler_fence` also forbids moving a later load above an earlier store,
/// which is exactly the reordering the asymmetric protocol must rule out.
///
/// Under loom a compiler fence alone would be unsound to model (loom cannot model
/// `membarrier(2)` on the other side), so the light fence becomes a real `SeqCst` fence:
/// the pair (light, heavy) then behaves exactly as the pair of `SeqCst` fences that the
/// asymmetric protocol emulates, and loom checks the protocol against that contract.
#[inline(always)]
pub(crate) fn light_fence() {
    #[cfg(loom)]
    fence(Ordering::SeqCst);
    #[cfg(not(loom))]
    std::sync::atomic::compiler_fence(Ordering::SeqCst);
}

/// Locks a mutex, ignoring poisoning: every critical section of the crate leaves the data
/// consistent before anything that can panic (hooks are never called under a lock).
#[inline]
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}
