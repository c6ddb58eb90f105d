//! Processor accounting around callbacks, from `syscall-accounting`.
//!
//! A callback leaves the foreign-code state that the outer foreign call (or, on a
//! foreign thread, the previous callback) entered, which may wait for a processor, and
//! re-enters it on the way back:
//!
//! - inside [`call_foreign_on`](crate::call_foreign_on) the processor is the caller's,
//!   reached through a raw pointer in the call's record for the duration of the call;
//! - on a foreign thread the context owns a processor of its own: taken from
//!   [`Runtime::procs`](crate::Runtime::procs) on the first callback (waiting for one if
//!   none is free), then kept parked in the foreign-code state between callbacks, so the
//!   next callback reclaims it on the fast path unless the monitor handed it on
//!   meanwhile (Go 1.27's extra M keeps its P the same way);
//! - with no processor set configured (a runtime without processor limits) nothing is
//!   accounted.

use core::cell::UnsafeCell;
use core::ptr;

use syscall_accounting::{CallKind, Processor, Procs, ThreadCalls};

use crate::context::ThreadContext;

/// Per-thread accounting state (the processor of a foreign call in progress is in the
/// call's record instead).
pub(crate) struct ThreadAcct {
    /// The processor set foreign threads take processors from.
    procs: UnsafeCell<Option<Procs>>,
    /// An extra context's own processor (see the module docs).
    own: UnsafeCell<Option<Processor>>,
}

impl core::fmt::Debug for ThreadAcct {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ThreadAcct").finish_non_exhaustive()
    }
}

impl ThreadAcct {
    pub(crate) const fn new() -> Self {
        ThreadAcct {
            procs: UnsafeCell::new(None),
            own: UnsafeCell::new(None),
        }
    }

    /// The extra context's own processor slot.
    ///
    /// # Safety
    /// Only the thread the context is installed on calls this, and never while another
    /// reference from it is live (the callback sequence is strictly nested).
    #[allow(clippy::mut_from_ref)]
    unsafe fn own(&self) -> &mut Option<Processor> {
        // SAFETY: per the contract, exclusive use by the owning thread.
        unsafe { &mut *self.own.get() }
    }
}

/// A foreign thread attached: it takes processors from the runtime's set.
pub(crate) fn attach(m: &ThreadContext) {
    let procs = crate::runtime::get().and_then(|rt| rt.procs());
    // SAFETY: the context was just taken by this thread; nobody else touches it.
    unsafe { *m.acct.procs.get() = procs };
}

/// Leaves the foreign-code state of a foreign call's processor for a callback (may wait
/// for a processor).
///
/// # Safety
/// `p` is the processor of the foreign call in progress on this thread (borrowed by its
/// `call_foreign_on`, or the context's own), alive for the whole call, and in foreign
/// code.
#[inline(always)]
pub(crate) unsafe fn exit_call(p: *mut Processor) {
    // SAFETY: per the contract.
    unsafe { (*p).exit() };
}

/// Re-enters the foreign-code state of a foreign call's processor after a callback.
///
/// # Safety
/// `p` was passed to [`exit_call`] by this callback; it is alive (its foreign call is
/// still in progress).
#[inline(always)]
pub(crate) unsafe fn reenter_call(p: *mut Processor) {
    // SAFETY: per the contract.
    unsafe { (*p).reenter() };
}

/// Leaves the foreign-code state for a callback on an extra context with no foreign
/// call in progress: on its own processor, taken on the first callback.
#[inline(always)]
pub(crate) fn exit_extra(m: &ThreadContext) {
    // SAFETY: only this thread uses its context's slot; nothing else borrows it now.
    let own = unsafe { m.acct.own() };
    match own {
        Some(p) => {
            p.exit();
        }
        None => {
            // SAFETY: `procs` is only written by `attach`/`detach` on this thread.
            if unsafe { (*m.acct.procs.get()).is_some() } {
                acquire(m, own);
            }
        }
    }
}

#[cold]
#[inline(never)]
fn acquire(m: &ThreadContext, own: &mut Option<Processor>) {
    // SAFETY: `procs` is only written by `attach` on this thread.
    if let Some(procs) = unsafe { &*m.acct.procs.get() } {
        *own = Some(procs.acquire());
    }
}

/// Undoes [`exit_extra`] after the callback.
#[inline(always)]
pub(crate) fn reenter_extra(m: &ThreadContext) {
    // SAFETY: as in `exit_extra`.
    if let Some(p) = unsafe { m.acct.own() } {
        // Parked until the next callback: back in the thread's own foreign code, which the
        // monitor may retake from but which is not a foreign call (Go's `isExtraInC`), so
        // it is not counted as one.
        p.return_to_foreign();
    }
}

/// Enters the foreign-code state for a foreign call made with `p` (or, when `p` is null,
/// with an extra context's own processor, if it has one). Returns the processor entered,
/// or null: the one [`leave`] and callbacks use. The call is counted in the calling
/// thread's `thread_calls`, through `calls` when given.
///
/// Always inlined: with `p` and `calls` known at the call site, most of it folds away;
/// out of line (the compiler's choice once `calls` is known only at run time), it cost a
/// call on every foreign call.
#[inline(always)]
pub(crate) fn enter(
    m: &ThreadContext,
    p: *mut Processor,
    kind: CallKind,
    calls: Option<&ThreadCalls>,
) -> *mut Processor {
    let p = if p.is_null() && m.is_extra {
        // SAFETY: as in `exit_extra`; the pointer stays valid while the context's slot is
        // not reassigned, which only `acquire`/`detach` do, never during a foreign call.
        match unsafe { m.acct.own() } {
            Some(own) => own as *mut Processor,
            None => ptr::null_mut(),
        }
    } else {
        p
    };
    if !p.is_null() {
        // SAFETY: `p` is the caller's processor (alive for the whole foreign call) or the
        // context's own, in managed code right now.
        // The call counter through `calls` (the calling thread's, looked up once by the
        // caller) when given.
        match calls {
            // SAFETY: as above.
            Some(calls) => unsafe { (*p).enter_raw_with(kind, calls) },
            // SAFETY: as above.
            None => unsafe { (*p).enter_raw(kind) },
        }
    }
    p
}

/// Leaves the foreign-code state after a foreign call; `p` is what [`enter`] returned.
#[inline(always)]
pub(crate) fn leave(p: *mut Processor) {
    if !p.is_null() {
        // SAFETY: entered by `enter` for this call; still alive (see `enter`).
        unsafe { (*p).exit() };
    }
}

/// The context leaves its thread: release the processor it kept.
pub(crate) fn detach(m: &ThreadContext) {
    // SAFETY: as in `exit_extra`; the thread is detaching, no callback is in progress.
    if let Some(p) = unsafe { m.acct.own() }.take() {
        // Give the processor up from foreign code without taking one back first (Go's
        // `dropm`): dropping it would exit foreign code, which may wait for a processor
        // only to release it.
        p.release_in_foreign();
    }
    // SAFETY: as above.
    unsafe { *m.acct.procs.get() = None };
}
