//! The scheduler interface: the only thing this crate knows about the runtime above it.

use crate::Processor;

/// What a runtime tells the accounting layer about its scheduler.
///
/// The monitor calls these from its own thread, and the thread-side slow paths call them
/// from the thread that gives a processor up. They are never called with an internal lock
/// held, so an implementation may call back into [`Procs`](crate::Procs) (for example
/// [`Procs::try_acquire`](crate::Procs::try_acquire)). They should return quickly: the
/// monitor's tick waits for them.
///
/// The [`Procs`](crate::Procs) owns its scheduler: a scheduler that needs the `Procs`
/// should keep a [`WeakProcs`](crate::WeakProcs), or the pair keeps itself (and its
/// monitor thread) alive.
///
/// Go's equivalents: `has_work` is "the run queue is not empty" in `retake`/`handoffp`,
/// `handoff` is `startm(pp, ...)`, `wake_idle` is `wakep()`.
pub trait Scheduler: Send + Sync {
    /// Is there work that another processor could run right now (runnable tasks waiting)?
    fn has_work(&self) -> bool;

    /// Take `processor` and run pending work on it, on an idle or a new thread. The
    /// processor belongs to the callee from now on; dropping it releases it.
    fn handoff(&self, processor: Processor);

    /// A processor became idle while [`Scheduler::has_work`] was true: wake an idle thread
    /// so that it calls [`Procs::acquire`](crate::Procs::acquire) or
    /// [`Procs::try_acquire`](crate::Procs::try_acquire).
    fn wake_idle(&self);
}

impl<S: Scheduler + ?Sized> Scheduler for std::sync::Arc<S> {
    fn has_work(&self) -> bool {
        (**self).has_work()
    }
    fn handoff(&self, processor: Processor) {
        (**self).handoff(processor)
    }
    fn wake_idle(&self) {
        (**self).wake_idle()
    }
}

impl<S: Scheduler + ?Sized> Scheduler for Box<S> {
    fn has_work(&self) -> bool {
        (**self).has_work()
    }
    fn handoff(&self, processor: Processor) {
        (**self).handoff(processor)
    }
    fn wake_idle(&self) {
        (**self).wake_idle()
    }
}

/// A scheduler with no other work: nothing is ever handed off, nothing woken. Useful when
/// only the counters and the processor limit are wanted.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoScheduler;

impl Scheduler for NoScheduler {
    fn has_work(&self) -> bool {
        false
    }
    fn handoff(&self, processor: Processor) {
        drop(processor);
    }
    fn wake_idle(&self) {}
}
