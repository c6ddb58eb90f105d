//! Every synchronisation primitive of the crate, from one place.
//!
//! Under `--cfg loom` the atomics, locks and threads of the crate's protocols (the spare
//! list's lock word and counters, a context's flags read by other threads, the
//! initialisation gate) come from [loom], so the models in `src/tests/loom.rs` explore
//! every interleaving of the real code; otherwise they are `std`'s. Nothing else in the
//! crate names `std::sync` or `std::sync::atomic` directly.
//!
//! Loom's types have no `const` constructors, so the two process-wide protocol objects
//! (the spare list and the initialisation gate) are declared with [`global!`], which
//! makes a plain `static` normally and a per-execution `loom::lazy_static!` under loom.
//! The [`independent`] atomics are the exception: process-wide values that are each
//! read and written on their own and order nothing else (context ids, placeholder green
//! ids, the policies), so there is no protocol to model and they stay `std`'s.
//!
//! [loom]: https://docs.rs/loom

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, AtomicU32, AtomicUsize};
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, AtomicU32, AtomicUsize};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

pub(crate) use std::sync::atomic::Ordering;

/// Atomics that are never part of a protocol (see the module docs): `std`'s even under
/// loom, so they can be `static`s with `const` constructors.
pub(crate) mod independent {
    pub(crate) use std::sync::atomic::{AtomicU8, AtomicUsize};
}

/// A spin-wait hint: the CPU's pause instruction normally; under loom a yield, so the
/// model lets the thread being waited for run.
#[inline(always)]
pub(crate) fn spin_loop() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    core::hint::spin_loop();
}

/// A compiler-only fence for a signal handler on the same thread: it runs on this
/// thread, so ordering the compiler's code is enough for it to see our stores to
/// thread-local state in program order (no CPU fence; loom has no signals to model).
#[inline(always)]
pub(crate) fn signal_fence() {
    std::sync::atomic::compiler_fence(Ordering::SeqCst);
}

/// Declares a process-wide protocol object: `global!(NAME: Type = init);` is
/// `static NAME: Type = init;` (so `init` must be `const`), and under loom a
/// `loom::lazy_static!` that is built afresh in every model execution.
macro_rules! global {
    ($(#[$a:meta])* $name:ident: $ty:ty = $init:expr;) => {
        #[cfg(not(loom))]
        $(#[$a])*
        static $name: $ty = $init;
        #[cfg(loom)]
        loom::lazy_static! {
            $(#[$a])*
            static ref $name: $ty = $init;
        }
    };
}
pub(crate) use global;

/// Locks a mutex, ignoring poisoning: the crate's critical sections only store plain
/// values and never panic while holding a lock.
#[inline]
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}
