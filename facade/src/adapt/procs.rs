//! Processors and foreign-code accounting (over `syscall-accounting`).
//!
//! What the runtime needs, and where `syscall-accounting` gives it:
//! - processor tokens `0..n` that a worker must hold to run green threads
//!   (`Procs`, `Processor`, acquired with `try_acquire`, released by drop);
//! - `enter`/`exit` around foreign code, with a fast path that keeps the same
//!   processor, a slow path that takes an idle one or parks the thread until one is
//!   free, a "short" kind the monitor never retakes and a "blocking" kind that hands
//!   the processor on at once (`Processor::enter_raw`, `Processor::exit`);
//! - a monitor that retakes a processor stuck in foreign code and hands it to the
//!   runtime through the `Scheduler` trait (implemented by the runtime's `Hooks`).

use std::time::Duration;

pub(crate) use syscall_accounting::{CallKind, Exit, Processor, Procs, Scheduler};

use crate::runtime::HandoffPolicy;

/// Build the processor set of a runtime.
pub(crate) fn new_procs(
    n: usize,
    tick: Duration,
    handoff: HandoffPolicy,
    realtime_monitor: bool,
    hooks: impl Scheduler + 'static,
) -> Result<Procs, syscall_accounting::Error> {
    let mut cfg = syscall_accounting::Config::default();
    cfg.tick = tick;
    if realtime_monitor {
        cfg.monitor_priority = syscall_accounting::MonitorPriority::RealTime;
    }
    cfg.policy = match handoff {
        HandoffPolicy::Lazy => syscall_accounting::Policy::Lazy,
        HandoffPolicy::Never => syscall_accounting::Policy::Never,
    };
    Procs::with_config(n, hooks, cfg)
}
