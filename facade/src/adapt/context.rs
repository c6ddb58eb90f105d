//! Green-thread contexts and the switch to the system stack (over `stackswitch`).
//!
//! What the runtime needs from a context library, and where `stackswitch` gives it:
//! - [`StackPool`]: guard-paged stacks of one size (`stackswitch::Stack`), reused
//!   after a green thread ends, each registered with the runtime's pointer checker
//!   as managed memory while it is mapped;
//! - [`Fiber`]: a context created on such a stack with an entry closure, resumed by
//!   any worker thread, suspended from inside, and finished
//!   (`stackswitch::Context`, made `Send` with `into_send`), resumed through the
//!   worker's [`CurrentThread`] (its thread's switching state, looked up once);
//! - [`Suspender`]: the handle a running fiber uses to switch back to its resumer;
//! - [`on_system_stack`]: run a closure on the worker thread's system stack below
//!   the point where it resumed the fiber — Go's `asmcgocall`
//!   (`stackswitch::on_system_stack`);
//! - [`register_worker`]: record a worker thread's real stack bounds and register
//!   its guard area with the overflow handler (`stackswitch::register_current_thread`).

use std::sync::Mutex;

use stackswitch::{Context, Resume, SendContext, Stack, Yielder};

pub(crate) use stackswitch::CurrentThread;

use crate::adapt::check::{self, Checker, RegionId};

pub(crate) use stackswitch::{StackError, ThreadRegistration};

/// A pool of green-thread stacks of one size.
pub(crate) struct StackPool {
    size: usize,
    cap: usize,
    free: Mutex<Vec<(Stack, Option<RegionId>)>>,
}

impl StackPool {
    pub(crate) fn new(size: usize, cap: usize) -> StackPool {
        StackPool {
            size,
            cap,
            free: Mutex::new(Vec::new()),
        }
    }

    /// Number of stacks currently waiting for reuse.
    pub(crate) fn pooled(&self) -> usize {
        crate::runtime::sched::lock(&self.free).len()
    }

    fn take(&self, checker: &Checker) -> Result<(Stack, Option<RegionId>), StackError> {
        if let Some(s) = crate::runtime::sched::lock(&self.free).pop() {
            return Ok(s);
        }
        let stack = Stack::new(self.size)?;
        let region = check::register_stack(checker, stack.bottom()..stack.top());
        Ok((stack, region))
    }

    fn give(&self, checker: &Checker, stack: Stack, region: Option<RegionId>) {
        let mut free = crate::runtime::sched::lock(&self.free);
        if free.len() < self.cap {
            free.push((stack, region));
            return;
        }
        drop(free);
        if let Some(id) = region {
            check::unregister(checker, id);
        }
        drop(stack);
    }
}

/// A green-thread context.
pub(crate) struct Fiber {
    ctx: SendContext<()>,
    region: Option<RegionId>,
}

/// Handle used inside a fiber to switch out.
#[derive(Clone, Copy)]
pub(crate) struct Suspender(*const Yielder);

// SAFETY: the pointer is only dereferenced on the fiber that owns the yielder (see
// `suspend`), which may run on any worker thread; elsewhere it is a plain address.
unsafe impl Send for Suspender {}

impl Suspender {
    /// Switch back to the resumer.
    ///
    /// # Safety
    /// Must be called on the fiber this suspender belongs to, while it runs on its
    /// own stack (not from inside [`on_system_stack`]).
    #[inline]
    pub(crate) unsafe fn suspend(self) {
        // SAFETY: the caller guarantees we run on the owning fiber, so the yielder,
        // which lives in that fiber's entry frame, is alive.
        unsafe { (*self.0).suspend(0) };
    }
}

/// Run `f` on the calling thread's system stack (no switch when already on it).
/// A panic in `f` propagates to the caller.
#[inline(always)]
pub(crate) fn on_system_stack<R>(f: impl FnOnce() -> R) -> R {
    stackswitch::on_system_stack(f)
}

/// Prepare a worker thread: real system-stack bounds, overflow reporting.
pub(crate) fn register_worker() -> Result<ThreadRegistration, StackError> {
    stackswitch::register_current_thread()
}

/// What a resume ended with.
pub(crate) enum Resumed {
    /// The fiber suspended itself and can be resumed again.
    Suspended,
    /// The entry closure returned.
    Finished,
}

impl Fiber {
    /// Create a fiber whose first resume calls `entry(suspender)`.
    /// The runtime's entries catch the user's panics themselves.
    pub(crate) fn new(
        pool: &StackPool,
        checker: &Checker,
        entry: Box<dyn FnOnce(Suspender) + Send>,
    ) -> Result<Fiber, StackError> {
        let (stack, region) = pool.take(checker)?;
        let ctx = Context::new(stack, move |y: &Yielder, _| entry(Suspender(y)));
        Ok(Fiber {
            // SAFETY: the runtime's green-thread code keeps nothing thread-bound across
            // a suspension: its own frames hold `Arc`s and plain data, thread-locals are
            // re-read after every switch through a non-inlined accessor, and user
            // closures are `Send` (the spawn bound). The runtime's module docs tell
            // users not to hold thread-bound values across a switch point.
            ctx: unsafe { ctx.into_send() },
            region,
        })
    }

    /// Switch into the fiber until it suspends or finishes, from the worker thread
    /// `here` stands for (the calling one: the worker's loop looks its thread's
    /// switching state up once, not per resume).
    #[inline]
    pub(crate) fn resume(&mut self, here: &CurrentThread) -> Resumed {
        match self.ctx.resume_on(here, 0) {
            Resume::Suspended(_) => Resumed::Suspended,
            Resume::Returned(()) => Resumed::Finished,
            // The runtime's entry catches the user's panic itself; reaching this means
            // the runtime's own bookkeeping panicked, which must not go unnoticed.
            Resume::Panicked(p) => std::panic::resume_unwind(p),
        }
    }

    /// Give a finished fiber's stack back to the pool.
    pub(crate) fn recycle(self, pool: &StackPool, checker: &Checker) {
        pool.give(checker, self.ctx.into_inner().into_stack(), self.region);
    }
}
