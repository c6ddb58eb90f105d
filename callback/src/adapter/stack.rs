//! Stacks, from `stackswitch`: the stack pointer, the recorded system-stack bounds, the
//! switch back onto the green thread's stack, and the overflow handler's knowledge of a
//! foreign thread's stack.

use stackswitch::{StackBounds, SystemStack};

use crate::context::{Bounds, ThreadContext};

/// The current stack pointer.
#[inline(always)]
pub(crate) fn current_sp() -> usize {
    stackswitch::current_sp()
}

/// The system-stack bounds recorded for this thread.
#[inline(always)]
pub(crate) fn recorded() -> SystemStack {
    stackswitch::system_stack()
}

/// Puts back bounds saved by [`recorded`] (nested callbacks see their outer bounds
/// again; a detaching thread records [`SystemStack::UNSET`]).
#[inline(always)]
pub(crate) fn restore(s: SystemStack) {
    stackswitch::set_system_stack(s);
}

/// Re-derives the bounds for a callback at `sp`: the estimate from `sp`, replaced by the
/// thread's real (cached) bounds when they contain `sp`, unless `in_signal` (a callback
/// from a signal handler that interrupted the thread's attach or detach: the OS query
/// allocates, so the estimate stays).
#[inline]
pub(crate) fn update(sp: usize, in_signal: bool) -> SystemStack {
    stackswitch::update_for_callback(sp, in_signal).current
}

/// Records the thread's real stack bounds as its system stack unless bounds are recorded
/// already (a runtime worker registered by its runtime); returns the record.
pub(crate) fn record_system_stack() -> SystemStack {
    let rec = recorded();
    if rec.is_set() {
        return rec;
    }
    match stackswitch::thread_stack_bounds() {
        Some(bounds) => {
            let s = SystemStack {
                bounds,
                accurate: true,
            };
            restore(s);
            s
        }
        None => rec,
    }
}

/// Converts `stackswitch`'s record to this crate's [`Bounds`].
#[inline]
pub(crate) fn to_bounds(s: SystemStack) -> Bounds {
    Bounds {
        lo: s.bounds.lo,
        hi: s.bounds.hi,
        accurate: s.accurate,
    }
}

/// Whether `sp` lies in the recorded bounds.
#[inline(always)]
pub(crate) fn contains(s: &SystemStack, sp: usize) -> bool {
    StackBounds::contains_sp(&s.bounds, sp)
}

/// Runs `f` on the green thread suspended in a foreign call on this thread, or in place
/// when there is none (a foreign thread: callbacks run on its own stack); through `here`
/// (the calling thread's switching state, kept by its context) when given. `f` must not
/// panic (the callback body catches its panics): the switch has no catching frame, so
/// a panic would abort there.
#[inline(always)]
pub(crate) fn on_green_stack<R>(here: Option<&CurrentThread>, f: impl FnOnce() -> R) -> R {
    match here {
        Some(here) => here.on_green_stack_nounwind(f),
        None => stackswitch::on_green_stack_nounwind(f),
    }
}

/// Runs `f` (the foreign call) on this thread's system stack; through `here` (the
/// calling thread's switching state, looked up once by the caller) when given. With
/// `unwinds`, a panic coming out of `f` (one a callback propagated through the C frames)
/// is caught on the system stack and resumed on the caller's; without, the switch has no
/// catching frame (less to do per call) and such a panic would abort there.
#[inline(always)]
pub(crate) fn on_system_stack<R>(
    here: Option<&CurrentThread>,
    unwinds: bool,
    f: impl FnOnce() -> R,
) -> R {
    match (here, unwinds) {
        (Some(here), true) => here.on_system_stack(f),
        (Some(here), false) => here.on_system_stack_nounwind(f),
        (None, true) => stackswitch::on_system_stack(f),
        (None, false) => stackswitch::on_system_stack_nounwind(f),
    }
}

pub(crate) use stackswitch::CurrentThread;

/// Per-thread overflow registration of an attached foreign thread.
pub(crate) type Registration = stackswitch::ThreadRegistration;

/// Makes the overflow handler know this (foreign) thread's stack, so an overflow inside
/// C prints one line naming the thread's stack and its size instead of a bare SIGSEGV.
/// Also records the thread's real bounds as accurate.
pub(crate) fn register_thread(m: &ThreadContext) -> Option<Registration> {
    match stackswitch::register_current_thread() {
        Ok(r) => Some(r),
        Err(e) => {
            // Not fatal: callbacks work, only the overflow message is lost.
            let _ = m;
            eprintln!(
                "callback: cannot give this foreign thread a signal stack ({e}); a stack overflow in C on it will not be reported"
            );
            None
        }
    }
}
