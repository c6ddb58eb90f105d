//! Operating-system specific parts, behind one private trait per concern.
//!
//! * [`Parker`](ParkerApi): a one-waiter parking spot. Linux: a futex word. Elsewhere (and
//!   under loom): a mutex and condition variable.
//! * [`HeavyFence`](HeavyFenceApi): the process-wide barrier of the asymmetric protocol.
//!   Linux: `membarrier(2)` with `MEMBARRIER_CMD_PRIVATE_EXPEDITED`. Elsewhere it reports
//!   itself unavailable and the crate runs its portable compare-and-swap protocol.
//!
//! Exactly one file is selected here; every file exports `Parker` and `HeavyFence`.

/// A parking spot for exactly one thread. `unpark` may come before `park`; a park consumes
/// one unpark.
pub(crate) trait ParkerApi: Send + Sync {
    fn new() -> Self;
    /// Blocks until [`ParkerApi::unpark`] has been called (possibly before this call), and
    /// consumes that notification.
    fn park(&self);
    /// Wakes the parked thread, or makes its next `park` return at once.
    fn unpark(&self);
}

/// The heavy side of an asymmetric fence pair.
pub(crate) trait HeavyFenceApi {
    /// Tries once per process to make [`HeavyFenceApi::heavy`] available; returns whether it is.
    fn available() -> bool;
    /// Every thread of the process that is running executes a full memory barrier before this
    /// returns (threads not running pass one when they are scheduled again). Only called
    /// after `available()` returned true.
    fn heavy();
}

cfg_if::cfg_if! {
    if #[cfg(loom)] {
        mod generic;
        pub(crate) use generic::{HeavyFence, Parker};
    } else if #[cfg(target_os = "linux")] {
        mod linux;
        pub(crate) use linux::{HeavyFence, Parker};
    } else if #[cfg(any(target_os = "macos", target_os = "windows", unix))] {
        mod generic;
        pub(crate) use generic::{HeavyFence, Parker};
    } else {
        compile_error!("syscall-accounting does not support this operating system yet: it needs threads and a mutex/condition variable (Linux, macOS, Windows and other Unixes are supported)");
    }
}

const _: fn() -> Parker = <Parker as ParkerApi>::new;
const _: fn() -> bool = <HeavyFence as HeavyFenceApi>::available;
