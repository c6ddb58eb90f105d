//! Per-thread switching state (the analogue of Go's `m.g0`, `m.curg` and
//! their saved stack pointers), one `thread_local!` with constant
//! initialisation so every access is a plain TLS load or store.

use core::cell::Cell;

use crate::bounds::SystemStack;
use crate::context::Header;
use crate::overflow::{Found, Slot};

pub(crate) struct ThreadState {
    /// The green context whose stack this thread runs on, or null on the
    /// system stack. `Context::resume` sets it on the way in and puts the
    /// previous value back when the context switches back to it (the
    /// context's own switches never touch it).
    pub(crate) current: Cell<*const Header>,
    /// While no context is current: the `on_stack_raw` stack we run on as
    /// `(lowest usable address, top)`, or `(0, 0)` elsewhere (the system
    /// stack, or an `on_stack` stack: registered stacks are found by address). While
    /// a context is current its header's `range` is the live one, and this
    /// keeps the value of the code that resumed the outermost context
    /// (switches do not touch it; see `Header::range`). The same shape as the
    /// header's, so that `on_stack_raw` saves and restores either through one
    /// pointer.
    pub(crate) range: Cell<(usize, usize)>,
    /// While a context is current: where the slot holding the system stack
    /// pointer below which its `on_system_stack` switches is, when that slot
    /// is not the current context's own link. Null (the usual case) means the
    /// current context's link: it is the outermost context running on this
    /// thread, and its resume saved the resumer's stack pointer there (the
    /// link is the header's first word, so the header pointer in `current`
    /// is the slot's address; [`sys_slot`]). Otherwise it is the link of the
    /// outermost context (set by a nested resume, which runs below the
    /// same system-stack frames), or, inside a callback (`on_green_stack`),
    /// a slot in the callback's frame holding the stack pointer below the C
    /// frames that called back.
    ///
    /// Null whenever no context is current: everything that sets it puts the
    /// previous value back before it makes the previous context current again
    /// (or none), and the system-stack switches, which leave `current` null,
    /// null it for their duration. So the usual resume, from outside any
    /// context, stores only `current`: this is null already, and a round trip
    /// costs one store fewer.
    pub(crate) sys_link: Cell<*const usize>,
    /// The green context suspended in `on_system_stack`, and its stack pointer.
    pub(crate) curg: Cell<*const Header>,
    pub(crate) curg_sp: Cell<usize>,
    /// This thread's system-stack bounds as last set (Go's `g0.stack` plus
    /// `g0StackAccurate`).
    pub(crate) system: Cell<SystemStack>,
    /// Cached OS bounds: `(lo, hi, guard)`; `QUERY_PENDING` until asked once.
    pub(crate) os_bounds: Cell<(usize, usize, usize)>,
    /// The thread has an alternate signal stack (its own, or one this crate
    /// installed), so `ensure_signal_stack` needs no system call.
    pub(crate) alt_known: Cell<bool>,
    /// The mapping of the alternate stack installed for this thread's
    /// registration (`register_current_thread`), given back when its last
    /// registration is dropped; 0 = none.
    pub(crate) alt_registered: Cell<usize>,
    /// The mapping of the alternate stack this thread's last registration
    /// left installed when it was dropped (parked for the thread to take
    /// back, see `overflow::Parked`); 0 = none.
    pub(crate) alt_parked: Cell<usize>,
    /// Live `ThreadRegistration`s of this thread: only the first registers
    /// the guard range and the signal stack, only the last gives them back.
    pub(crate) registrations: Cell<usize>,
    /// The overflow registry slot of this thread's system stack, or null.
    pub(crate) guard_slot: Cell<*const Slot>,
    /// The registered stack that [`crate::remaining_stack`] last found by
    /// address (an [`crate::on_stack`] stack: `on_stack` records nothing), so
    /// the next query on it costs one load instead of a walk of the registry.
    pub(crate) found: Cell<Found>,
}

/// Marker in `os_bounds.0` for "not queried yet".
pub(crate) const QUERY_PENDING: usize = usize::MAX;

thread_local! {
    pub(crate) static STATE: ThreadState = const {
        ThreadState {
            current: Cell::new(core::ptr::null()),
            range: Cell::new((0, 0)),
            sys_link: Cell::new(core::ptr::null()),
            curg: Cell::new(core::ptr::null()),
            curg_sp: Cell::new(0),
            system: Cell::new(SystemStack::UNSET),
            os_bounds: Cell::new((QUERY_PENDING, 0, 0)),
            alt_known: Cell::new(false),
            alt_registered: Cell::new(0),
            alt_parked: Cell::new(0),
            registrations: Cell::new(0),
            guard_slot: Cell::new(core::ptr::null()),
            found: Cell::new(Found::NONE),
        }
    };
}

// Without a destructor, the state's storage lives as long as its thread and
// `with` may hand out a plain reference (below).
const _: () = assert!(!core::mem::needs_drop::<ThreadState>());

/// Runs `f` with this thread's state.
///
/// The state's address comes from [`state_ptr`], a call the optimiser can
/// neither see into nor move, made anew by every `with`. A green thread can
/// continue on another OS thread after any switch, and the compiler treats a
/// thread-local's address as a constant of the function it is used in: once
/// code calling into this crate is inlined into a loop that also switches
/// (a scheduler's yield), the compiler may compute the address once, before
/// the loop, and later iterations would then read and write the state of the
/// thread the green thread *started* on (measured: an optimised loop of
/// `on_system_stack` + yield on two workers recorded its callback state on
/// the wrong thread in 46% of the calls). Callers keep the reference only for
/// the duration of one operation that cannot switch threads.
#[inline(always)]
pub(crate) fn with<R>(f: impl FnOnce(&ThreadState) -> R) -> R {
    // SAFETY: `state_ptr` returns this thread's STATE, which is
    // constant-initialised and needs no drop (asserted above), so its storage
    // is valid, and never deallocated, for as long as this thread runs code;
    // the reference is only used by `f`, during this call, on this thread.
    f(unsafe { &*state_ptr() })
}

/// The address of this thread's [`STATE`].
///
/// Never inlined, and containing an assembly block with side effects, so
/// that the compiler treats every call as one that must be made where it is
/// written: it cannot reuse an earlier call's result or hoist the call out
/// of a loop (see [`with`]). A plain `#[inline(never)]` would not be enough:
/// the compiler infers that a function which only computes a thread-local
/// address reads no memory, and moves calls to such functions freely.
#[inline(never)]
fn state_ptr() -> *const ThreadState {
    let t: *const ThreadState = STATE.with(|t| t as *const ThreadState);
    // SAFETY: an empty assembly block: it executes nothing, touches no
    // register, memory, stack or flag. Its only effect is on the optimiser
    // (it is assumed to have side effects), as explained above.
    unsafe { core::arch::asm!("", options(nostack, preserves_flags)) };
    t
}

/// The slot holding the system stack pointer below which the current context
/// `g` (non-null) switches to the system stack, given the thread's `sys_link`
/// (`over`): that if set, else `g`'s own link (the first word of its header,
/// at the header's address).
#[inline(always)]
pub(crate) fn sys_slot(over: *const usize, g: *const Header) -> *const usize {
    if over.is_null() {
        crate::context::link_of(g)
    } else {
        over
    }
}

/// The stack range `(bottom, top)` recorded for the code running now: the
/// current context's (its stack, or an `on_stack_raw` stack it runs in), or,
/// with no context current, that of the `on_stack_raw` stack we run on
/// (`(0, 0)`: none recorded).
#[inline]
pub(crate) fn range(t: &ThreadState) -> (usize, usize) {
    // SAFETY: `range_cell` returns a Cell that is alive while this thread
    // runs the current code, read here on this thread.
    crate::context::unmarked(unsafe { (*range_cell(t)).get() })
}

/// The cell holding the stack range of the code running now: the current
/// context's header's, or, with no context current, the thread state's. It
/// stays valid while the current context runs (or, with none, for the
/// thread's life) and is only touched by the thread running that code.
#[inline(always)]
fn range_cell(t: &ThreadState) -> *const Cell<(usize, usize)> {
    let g = t.current.get();
    if g.is_null() {
        &t.range
    } else {
        // SAFETY: a non-null `current` is the header of the context running on
        // this thread, alive while it runs; only the address of its Cell is taken.
        unsafe { &(*g).range }
    }
}

/// Where the stack range of the code running now is kept: the current
/// context's header, or, with no context current, the thread's state.
pub(crate) struct RangeSlot(*const Cell<(usize, usize)>);

/// Sets the stack range `(bottom, top)` of the code running now (where
/// [`range`] reads it) and returns where it is kept and the previous
/// range, for [`restore_range`]. In a context's header the new range carries
/// the `OFF_STACK` mark, and keeps the `IN_CALLBACK` mark if set (code running
/// inside the callback is still inside it); see `Header::range`.
#[inline]
pub(crate) fn replace_range(new: (usize, usize)) -> (RangeSlot, (usize, usize)) {
    with(|t| {
        let slot = range_cell(t);
        // SAFETY: `range_cell` returns a Cell alive while the current code
        // runs (the thread's state for as long as the thread, the running
        // context's header while it runs), only used by this thread.
        let prev = unsafe { (*slot).get() };
        // A context's header, not the thread's own range: mark it.
        let marks = if core::ptr::eq(slot, &t.range) {
            0
        } else {
            crate::context::OFF_STACK | (prev.0 & crate::context::IN_CALLBACK)
        };
        // SAFETY: as above.
        unsafe { (*slot).set((new.0 | marks, new.1)) };
        (RangeSlot(slot), prev)
    })
}

/// Puts back the range [`replace_range`] replaced, where it was kept, without
/// looking the thread's state up again.
///
/// # Safety
/// - `slot` and `prev` come from a [`replace_range`] made by the code calling
///   this, which has run only on stacks switched to from there since and has
///   come back (a context's code may have moved to another thread meanwhile:
///   its header is still the one in use; code outside any context cannot
///   move, so the thread's state is still its thread's).
#[inline]
pub(crate) unsafe fn restore_range(slot: RangeSlot, prev: (usize, usize)) {
    // SAFETY: by the contract, the Cell is the running context's header's
    // (alive while it runs, written only by the thread running it) or, with
    // no context current, the caller's thread's state (the caller ran on this
    // thread throughout, and the state lives as long as it).
    unsafe { (*slot.0).set(prev) }
}
