//! Processor accounting around callbacks, from `syscall-accounting`.
//!
//! A callback leaves the foreign-code state the outer foreign call (or the attach of a
//! foreign thread) entered, which may wait for a processor, and re-enters it on the way
//! back. A bound foreign thread keeps its processor parked in the foreign-code state
//! between callbacks, so the next callback reclaims it on the fast path unless the
//! monitor handed it on meanwhile.
//!
//! Until `syscall-accounting` publishes its thread-side API (see the crate report), these
//! hooks only keep the per-thread call counters; no processor is taken or released.

use core::cell::Cell;

use crate::context::ThreadContext;

/// Per-thread accounting state.
#[derive(Debug)]
pub(crate) struct ThreadAcct {
    /// Accounting exits (callbacks that left the foreign-code state).
    pub(crate) exits: Cell<u64>,
    /// Foreign calls entered.
    pub(crate) enters: Cell<u64>,
}

impl ThreadAcct {
    pub(crate) const fn new() -> Self {
        ThreadAcct {
            exits: Cell::new(0),
            enters: Cell::new(0),
        }
    }
}

/// A foreign thread attached: its green context is in the foreign-code state, without a
/// processor.
#[inline]
pub(crate) fn attach(_m: &ThreadContext) {}

/// Leaves the foreign-code state for a callback.
#[inline]
pub(crate) fn exit(m: &ThreadContext) {
    m.acct.exits.set(m.acct.exits.get() + 1);
}

/// Re-enters the foreign-code state after a callback.
#[inline]
pub(crate) fn reenter(_m: &ThreadContext) {}

/// Enters the foreign-code state for a foreign call.
#[inline]
pub(crate) fn enter(m: &ThreadContext) {
    m.acct.enters.set(m.acct.enters.get() + 1);
}

/// The context leaves its thread: release anything still held.
#[inline]
pub(crate) fn detach(_m: &ThreadContext) {}
