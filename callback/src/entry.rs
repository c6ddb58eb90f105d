//! The callback entry: C calling an exported Rust function.
//!
//! [`callback`] is what an exported function's `extern "C"` wrapper calls. It finds the
//! thread's context (one TLS load), attaching an extra context on a foreign thread's first
//! call, and then runs one sequence for both kinds of thread, in Go's order:
//!
//! ```text
//!   bounds: save, update for this sp ── lock to thread ── accounting exit (may wait for a
//!   processor) ── nocallback check ── run f (on the green stack on a runtime thread) ──
//!   accounting reenter ── unlock ── bounds: restore
//! ```
//!
//! A foreign thread keeps its context bound until it exits ([`BindPolicy::StayBound`],
//! the default) or returns it after every call ([`BindPolicy::DetachEachCall`]). In the
//! bound steady state the sequence makes no system call.
//!
//! # References
//! Go `runtime/cgocall.go`: `cgocallbackg`, `cgocallbackg1`, `unwindm`;
//! `runtime/proc.go`: `needm`, `needAndBindM`, `dropm`; `runtime/asm_*.s`: `cgocallback`.

use core::ptr;
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::adapter;
use crate::context::{Bounds, Phase, ThreadContext, current_ptr, phase, set_current, set_phase};
use crate::extra;
use crate::foreign::ForeignFn;
use crate::primitive::Ordering;
use crate::runtime::{self, BindPolicy, Green, PanicPolicy, Runtime};

/// Runs the body `f` of the exported function `name`, called from C on this thread.
///
/// This is the whole callback protocol; an exported function's wrapper is
/// `extern "C" fn name(args) -> ret { callback::callback("name", || body(args)) }`.
/// A panic in `f` never unwinds into the C caller: it is handled per
/// [`panic_policy`](crate::panic_policy).
///
/// # Examples
/// ```
/// # let _ = callback::init(&callback::ThreadsOnly);
/// extern "C" fn add(a: i32, b: i32) -> i32 {
///     callback::callback("add", || a + b)
/// }
/// // C would call `add`; here a Rust thread stands in for the foreign thread.
/// assert_eq!(std::thread::spawn(|| add(2, 3)).join().unwrap(), 5);
/// ```
///
/// # References
/// Go `runtime/cgocall.go`: `cgocallbackg`; `cmd/cgo/out.go`: the exported wrapper.
#[inline]
pub fn callback<R>(name: &'static str, f: impl FnOnce() -> R) -> R {
    callback_with_context(name, 0, f)
}

/// [`callback`] with a callback-context word (Go's `ctxt` from the registered cgo context
/// function): a non-zero `ctxt` is pushed on the context's traceback stack
/// ([`ThreadContext::callback_contexts`]) for the duration of the call.
#[inline]
pub fn callback_with_context<R>(name: &'static str, ctxt: usize, f: impl FnOnce() -> R) -> R {
    let m = current_ptr();
    if (m as usize) > EXITED {
        // SAFETY: a context pointer above `EXITED` is this thread's installed context,
        // which stays installed for the whole callback: only the thread itself uninstalls
        // it, after its outermost callback (detach) or at thread exit.
        let mref = unsafe { &*m };
        if !mref.is_extra {
            // A runtime thread's context may come from a foreign call made before `init`:
            // then its bounds do not hold until it has the runtime, so its callbacks take
            // the out-of-line path, which waits for initialisation (once: the context
            // keeps the runtime).
            return run::<false, R, ThroughRuntime>(mref, name, ctxt, ThroughRuntime, f);
        }
        // The steady state of a bound foreign thread: no callback or foreign call in
        // progress on it (so no foreign-call record and no green stack to switch to) and
        // the stack pointer inside the bounds recorded at attach. An extra context is only
        // ever attached after initialisation (attach waited for it), so no check.
        if ctxt == 0
            && mref.depth.get() == 0
            && !mref.in_foreign_call()
            && mref.bound.get()
            && bounds_hold(mref)
        {
            return run_bound(mref, name, f);
        }
    }
    foreign_slow(m, name, ctxt, f)
}

/// [`callback`] on a runtime thread whose context `m` the caller holds
/// ([`RuntimeThread::callback`](crate::RuntimeThread::callback)), locking the green
/// thread with `lock`.
#[inline(always)]
pub(crate) fn run_runtime_thread<R, L: GreenLock>(
    m: &ThreadContext,
    name: &'static str,
    lock: L,
    f: impl FnOnce() -> R,
) -> R {
    run::<false, R, L>(m, name, 0, lock, f)
}

/// How the outermost callback during a foreign call on a runtime thread locks the green
/// thread that made the call to the thread (and names it), and unlocks it afterwards.
pub(crate) trait GreenLock {
    /// Locks and names the green thread; `None` when the runtime runs none.
    fn lock(&self, m: &ThreadContext) -> Option<Green>;
    /// Undoes [`GreenLock::lock`].
    fn unlock(&self, m: &ThreadContext, g: Green);
}

/// Through the context's runtime: `Runtime::lock_current_green` and
/// `Runtime::unlock_from_thread` (nothing when it runs no green threads).
pub(crate) struct ThroughRuntime;

impl GreenLock for ThroughRuntime {
    #[inline(always)]
    fn lock(&self, m: &ThreadContext) -> Option<Green> {
        m.green_rt.get()?.lock_current_green()
    }

    #[inline(always)]
    fn unlock(&self, m: &ThreadContext, g: Green) {
        if let Some(rt) = m.green_rt.get() {
            rt.unlock_from_thread(g);
        }
    }
}

/// Through a caller's closures that do what the runtime's two methods do, with the
/// green thread at hand ([`RuntimeThread::callback_locking`](crate::RuntimeThread::callback_locking)).
pub(crate) struct WithClosures<L, U>(pub(crate) L, pub(crate) U);

impl<L: Fn() -> Option<Green>, U: Fn(Green)> GreenLock for WithClosures<L, U> {
    #[inline(always)]
    fn lock(&self, _: &ThreadContext) -> Option<Green> {
        (self.0)()
    }

    #[inline(always)]
    fn unlock(&self, _: &ThreadContext, g: Green) {
        (self.1)(g)
    }
}

/// Waits for initialisation and keeps the runtime in the context (a runtime-thread
/// context created before `init`).
#[cold]
#[inline(never)]
fn ready_for(m: &ThreadContext) {
    m.set_runtime(runtime::wait_ready());
}

/// A foreign thread's callback off the steady state: the first one (attach), a nested
/// one, one on a moved stack, or one on an unbound context (detached afterwards).
#[inline(never)]
fn foreign_slow<R>(
    mut m: *mut ThreadContext,
    name: &'static str,
    ctxt: usize,
    f: impl FnOnce() -> R,
) -> R {
    if (m as usize) <= EXITED {
        if m as usize == EXITED || phase() != Phase::Idle {
            return transient(m, name, ctxt, f);
        }
        m = attach(runtime::wait_ready());
    }
    // SAFETY: `m` is this thread's installed extra context (just attached or found in
    // TLS); it stays installed at least until `run` returns (detach happens after it).
    let mref = unsafe { &*m };
    // A signal handler that interrupted the TLS check may have installed a runtime
    // context meanwhile (a foreign call of its own): treat it as one.
    let out = if mref.is_extra {
        run::<true, R, ThroughRuntime>(mref, name, ctxt, ThroughRuntime, f)
    } else {
        run::<false, R, ThroughRuntime>(mref, name, ctxt, ThroughRuntime, f)
    };
    if mref.is_extra && !mref.bound.get() && mref.depth.get() == 0 && !mref.in_foreign_call() {
        // SAFETY: the outermost callback of a foreign thread whose context is not bound:
        // nothing on this thread references the context any more.
        unsafe { detach(m) };
    }
    out
}

/// Whether the context's recorded bounds are accurate and contain the stack pointer, so a
/// callback need not consult `stackswitch`.
#[inline(always)]
fn bounds_hold(m: &ThreadContext) -> bool {
    m.bounds_hold(adapter::stack::current_sp())
}

/// [`run`] for the steady state of a bound foreign thread (checked by the caller: extra,
/// bound, no callback or foreign call in progress, no context word, bounds hold). With
/// nothing in progress there is no foreign-call record (so no `nocallback` mark to
/// check), no green thread to lock or to switch to (an extra context's green thread was
/// wired at attach), and the context stays bound afterwards, so only the accounting and
/// the flags other threads read remain.
#[inline(always)]
fn run_bound<R>(m: &ThreadContext, name: &'static str, f: impl FnOnce() -> R) -> R {
    // One internal lock, the only callback in progress.
    m.depth.set(1);
    // As in `run`: clear the flag before the exit, restore it (not recompute it) after.
    // No foreign call is in progress, so only the context's own processor is accounted.
    let prev_incgo = m.incgo.replace(false);
    if prev_incgo {
        adapter::acct::exit_extra(m);
    }
    // Relaxed read: only this thread writes the flag.
    let prev_in_c = m.is_extra_in_c.load(Ordering::Relaxed);
    if prev_in_c {
        // Release: a monitor that sees "not in C" also sees our accounting exit.
        m.is_extra_in_c.store(false, Ordering::Release);
    }
    let result = catch_unwind(AssertUnwindSafe(f));
    if prev_in_c {
        // Release: the monitor may hand the parked processor on once it sees this.
        m.is_extra_in_c.store(true, Ordering::Release);
    }
    if prev_incgo {
        adapter::acct::reenter_extra(m);
    }
    m.incgo.set(prev_incgo);
    m.depth.set(0);
    match result {
        Ok(r) => r,
        Err(payload) => panicked(m, name, payload),
    }
}

/// The common sequence (Go's `cgocallbackg` + `cgocallbackg1`).
///
/// `EXTRA` is `m.is_extra`, fixed at compile time so that each path tests it once (the
/// caller did). A runtime thread's context (`!EXTRA`) locks the green thread to the
/// thread per outermost callback with `lock`, if its runtime runs green threads.
/// Always inlined, so that a wrapper's callback path (and a `RuntimeThread`'s) keeps
/// its state in registers.
#[inline(always)]
fn run<const EXTRA: bool, R, L: GreenLock>(
    m: &ThreadContext,
    name: &'static str,
    ctxt: usize,
    lock: L,
    f: impl FnOnce() -> R,
) -> R {
    // Bounds: the context's copy answers the steady-state question without leaving this
    // crate; only a change goes to `stackswitch`, out of line (and is undone on the way
    // out), so the common case carries no saved record.
    let sp = adapter::stack::current_sp();
    if !m.bounds_hold(sp) {
        return run_moved::<EXTRA, R, L>(m, sp, name, ctxt, lock, f);
    }
    run_here::<EXTRA, R, L>(m, name, ctxt, lock, f)
}

/// [`run`] for a callback whose stack pointer is outside the recorded bounds (or the
/// bounds are estimates, or a runtime thread's context does not have the runtime yet):
/// wait for initialisation if needed, re-derive the bounds, run, and put the caller's
/// back afterwards, also when a propagated panic unwinds through here.
#[cold]
#[inline(never)]
fn run_moved<const EXTRA: bool, R, L: GreenLock>(
    m: &ThreadContext,
    sp: usize,
    name: &'static str,
    ctxt: usize,
    lock: L,
    f: impl FnOnce() -> R,
) -> R {
    if !EXTRA && m.rt.get().is_none() {
        ready_for(m);
    }
    let _restore = RestoreBounds(m, update_bounds(m, sp, name));
    run_here::<EXTRA, R, L>(m, name, ctxt, lock, f)
}

/// Puts back the bounds a callback on a moved stack replaced (see [`run_moved`]).
struct RestoreBounds<'a>(&'a ThreadContext, stackswitch::SystemStack);

impl Drop for RestoreBounds<'_> {
    fn drop(&mut self) {
        adapter::stack::restore(self.1);
        self.0.set_bounds(adapter::stack::to_bounds(self.1));
    }
}

/// [`run`] once the bounds hold: lock, leave foreign code, check `nocallback`, run `f`
/// (on the green thread's stack when runtime frames are above), and undo it all.
#[inline(always)]
fn run_here<const EXTRA: bool, R, L: GreenLock>(
    m: &ThreadContext,
    name: &'static str,
    ctxt: usize,
    lock: L,
    f: impl FnOnce() -> R,
) -> R {
    // One internal lock per callback (the depth counts them).
    let depth = m.depth.get();
    m.depth.set(depth + 1);
    // The foreign call this callback came from, if any. It stays linked: a callback nested
    // in this one without a foreign call between (a signal handler, or Rust calling an
    // exported function directly) finds it too, and passes its `nocallback` check (this
    // one did), leaves no processor (the flag says the thread is not in foreign code) and
    // locks nothing (not the outermost callback).
    let rec = m.call.get();
    // An extra context's green thread is wired to its thread for good (locked once at
    // attach), so only runtime threads lock, in their outermost callback: the green
    // thread that made the foreign call, asked of the runtime now (the worker runs it for
    // the whole call, so the call itself need not ask); or, with no foreign call in
    // progress, the green thread that called the exported function directly, whose body
    // must not continue on another thread after a switch point (this callback's state is
    // this thread's).
    let green = if !EXTRA && depth == 0 {
        let g = lock.lock(m);
        // Recorded for the callback's duration (`ThreadContext::green`).
        m.curg.set(g);
        g
    } else {
        None
    };
    // SAFETY: a linked record lives in the frame of the `call_foreign` this callback
    // came from, which cannot return (or unwind) before this callback has.
    let proc = match unsafe { rec.as_ref() } {
        Some(r) => {
            if r.func.nocallback {
                refuse_nocallback(name, r.func);
            }
            r.proc
        }
        None => ptr::null_mut(),
    };

    // Leave foreign code, if the thread was in it (a callback from a signal handler that
    // interrupted Rust code runs on behalf of that code, which holds the processor):
    // on the foreign call's processor, or on an extra context's own one outside a
    // foreign call. The flag is cleared first, so a handler interrupting the exit itself
    // sees "not in foreign code" and leaves the accounting alone; it is restored (not
    // recomputed) on the way out, so an interrupted callback's flags stay as they were.
    let prev_incgo = m.incgo.replace(false);
    let left = if prev_incgo { proc } else { ptr::null_mut() };
    let left_own = EXTRA && prev_incgo && proc.is_null();
    if !left.is_null() {
        // SAFETY: `left` is the processor of the foreign call this callback came from,
        // alive for the whole call and in foreign code (the call entered it, and the
        // in-foreign-code flag says no callback has left it since).
        unsafe { adapter::acct::exit_call(left) };
    } else if left_own {
        adapter::acct::exit_extra(m);
    }
    // Relaxed read: only this thread writes the flag.
    let prev_in_c = EXTRA && m.is_extra_in_c.load(Ordering::Relaxed);
    if prev_in_c {
        // Release: a monitor that sees "not in C" also sees our accounting exit.
        m.is_extra_in_c.store(false, Ordering::Release);
    }
    if ctxt != 0 {
        m.push_ctxt(ctxt);
    }

    // Runtime frames above (a foreign call in progress): run on the green thread that made
    // it (`stackswitch` knows whether there is one: a runtime thread asks it directly). A
    // foreign thread's callback runs on its own stack.
    let result = if !EXTRA || !rec.is_null() {
        // A runtime thread's context keeps the thread's switching state; an extra
        // context (which moves between threads) has none, and the state is looked up.
        let here = if EXTRA { None } else { m.here.as_ref() };
        // The panic is caught on the green stack, so the switch needs no catching frame
        // of its own (`adapter::stack::on_green_stack` has none).
        adapter::stack::on_green_stack(here, || catch_unwind(AssertUnwindSafe(f)))
    } else {
        catch_unwind(AssertUnwindSafe(f))
    };

    if ctxt != 0 {
        m.pop_ctxt();
    }
    // Decremented in place: nothing but this callback changed it (nested ones restored
    // it), and the old value need not stay in a register across `f`.
    m.depth.set(m.depth.get() - 1);
    if let Some(g) = green {
        m.curg.set(None);
        lock.unlock(m, g);
    }
    if prev_in_c {
        // Release: the monitor may hand the parked processor on once it sees this.
        m.is_extra_in_c.store(true, Ordering::Release);
    }
    if !left.is_null() {
        // SAFETY: as for `exit_call` above; the processor is in managed code since.
        unsafe { adapter::acct::reenter_call(left) };
    } else if left_own {
        adapter::acct::reenter_extra(m);
    }
    m.incgo.set(prev_incgo);

    match result {
        Ok(r) => r,
        Err(payload) => panicked(m, name, payload),
    }
}

/// The `nocallback` violation: C function `fr`, declared not to call back, called the
/// exported function `name`.
#[cold]
#[inline(never)]
fn refuse_nocallback(name: &str, fr: &ForeignFn) -> ! {
    crate::fatal(format_args!(
        "callback: exported function `{name}` was called from C function `{}`, which is \
         marked nocallback (function marked with #cgo nocallback called back into Go); \
         drop the nocallback mark from `{}` or do not call back from it",
        fr.name, fr.name
    ))
}

/// Re-derives the thread's bounds for a callback at `sp` (Go's
/// `callbackUpdateSystemStack`): accepted between independent calls, fatal when runtime
/// frames sit above the C frames on a stack the callback is no longer on. Returns the
/// record to restore after the callback.
#[cold]
#[inline(never)]
fn update_bounds(m: &ThreadContext, sp: usize, name: &'static str) -> stackswitch::SystemStack {
    let old = adapter::stack::recorded();
    if m.in_foreign_call() && old.is_set() && !adapter::stack::contains(&old, sp) {
        let call = m.foreign_fn().map_or("?", |f| f.name);
        crate::fatal(format_args!(
            "callback: exported function `{name}` was called on a different stack \
             (sp={sp:#x}, outside [{:#x}, {:#x}]) while foreign call `{call}` is still in \
             progress on thread context {}; C code must not switch stacks \
             (makecontext/swapcontext, fibers) under a call from Rust — switch only between \
             independent calls",
            old.bounds.lo, old.bounds.hi, m.id
        ));
    }
    let new = adapter::stack::update(sp, m.transient.get());
    m.set_bounds(adapter::stack::to_bounds(new));
    old
}

/// Handles a panic that escaped an exported function.
#[cold]
fn panicked(m: &ThreadContext, name: &'static str, payload: Box<dyn Any + Send>) -> ! {
    let msg = payload_str(&*payload);
    match runtime::panic_policy() {
        PanicPolicy::Abort => crate::fatal(format_args!(
            "callback: panic in exported function `{name}`: {msg}; aborting (a panic must not \
             unwind into C; use PanicPolicy::Propagate to resume it at the Rust call site)"
        )),
        PanicPolicy::Propagate => {
            if m.in_foreign_call() && !m.foreign_call_unwinds() {
                let call = m.foreign_fn().map_or("?", |f| f.name);
                crate::fatal(format_args!(
                    "callback: panic in exported function `{name}`: {msg}; aborting (the \
                     foreign call `{call}` it came from began under PanicPolicy::Abort, so \
                     nothing catches the panic at its call site; set PanicPolicy::Propagate \
                     before making the foreign call)"
                ))
            }
            if m.in_foreign_call() {
                // Runtime frames sit above the C frames: unwind through the C frames
                // (they have no destructors, so nothing of theirs runs: they are
                // discarded, as `longjmp` would) to the `call_foreign` that made the
                // foreign call, which restores its state and lets the panic continue.
                std::panic::resume_unwind(payload)
            }
            crate::fatal(format_args!(
                "callback: panic in exported function `{name}` on a foreign thread with no Rust \
                 frames above the C caller, so it cannot propagate: {msg}; aborting"
            ))
        }
    }
}

/// The text of a panic payload.
pub(crate) fn payload_str(p: &(dyn Any + Send)) -> &str {
    if let Some(s) = p.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = p.downcast_ref::<String>() {
        s
    } else {
        "<non-string panic payload>"
    }
}

/// `CURRENT` value of a thread whose context was returned at thread exit: a callback
/// arriving later (from a signal handler, or another library's thread-exit destructor)
/// borrows a context for its duration ([`transient`]).
pub(crate) const EXITED: usize = 1;

/// Attaches an extra context to this foreign thread (Go's `needm` + `cgoBindM`).
///
/// Signals stay unblocked (Go blocks them here, at the cost of two `rt_sigprocmask`
/// calls): the thread is marked [`Phase::Attaching`] until the context is installed, and
/// a callback from a signal handler that interrupts the attach borrows a second context
/// instead of touching the half-built state ([`transient`]). The last spare is left on
/// the list for such a callback, so it finds one without allocating.
#[cold]
#[inline(never)]
fn attach(rt: &dyn Runtime) -> *mut ThreadContext {
    set_phase(Phase::Attaching);
    // A signal handler may have attached this thread (as a thread of its own) between
    // the caller's TLS check and the phase store: use its context.
    let cur = current_ptr();
    if !cur.is_null() {
        finish_phase();
        return cur;
    }
    let m = extra::take_unless_last().unwrap_or_else(extra::create_in_use);
    // SAFETY: `m` was just taken from the list or created: we own it exclusively.
    let mref = unsafe { &*m };
    mref.incgo.set(true);
    // The overflow handler learns this thread's stack (and the real bounds are recorded
    // as accurate), so an overflow inside C later names this thread's stack.
    mref.registration.set(adapter::stack::register_thread(mref));
    mref.set_bounds(adapter::stack::to_bounds(adapter::stack::recorded()));
    adapter::acct::attach(mref);
    if let Some(g) = mref.curg.get() {
        // The extra context's green thread stays wired to this thread while attached.
        rt.lock_to_thread(g);
    }
    let bind = runtime::bind_policy() == BindPolicy::StayBound;
    if bind {
        adapter::key::set(m.cast());
    }
    mref.bound.set(bind);
    // The commit point: from here on a callback on this thread uses `m`.
    set_current(m);
    finish_phase();
    // Off the hot path: make up for takers that found the list empty or held.
    extra::replenish();
    m
}

/// Returns this thread's extra context to the spare list (Go's `dropm`).
///
/// # Safety
/// `m` is this thread's installed extra context and nothing references it any more.
pub(crate) unsafe fn detach(m: *mut ThreadContext) {
    // Uninstalled first: a callback from a signal handler during the rest sees no
    // context and borrows one ([`transient`]), as during attach.
    set_phase(Phase::Detaching);
    set_current(core::ptr::null_mut());
    // SAFETY: forwarded from this function's contract; uninstalled just above.
    unsafe { release(m) };
    finish_phase();
}

/// Tears an uninstalled extra context down and returns it to the spare list.
///
/// # Safety
/// `m` was this thread's extra context, is no longer installed (`CURRENT` changed and
/// [`Phase::Detaching`] set), and nothing references it any more.
unsafe fn release(m: *mut ThreadContext) {
    // SAFETY: per the contract, `m` is live and ours.
    let mref = unsafe { &*m };
    adapter::acct::detach(mref);
    if let (Some(g), Some(rt)) = (mref.curg.get(), runtime::get()) {
        rt.unlock_from_thread(g);
    }
    drop(mref.registration.take());
    adapter::stack::restore(stackswitch::SystemStack::UNSET);
    mref.set_bounds(Bounds::default());
    if mref.bound.replace(false) {
        adapter::key::set(core::ptr::null_mut());
    }
    // SAFETY: uninstalled; the caller guarantees nothing else references it.
    unsafe { extra::put(m) };
}

/// A callback that found its thread attaching or detaching (a signal handler that
/// interrupted it), or past the return of its context at thread exit: it borrows a
/// second context for its own duration and gives it back, leaving the thread's state as
/// it found it (Go's `badsignal`: `needm(true)` … `dropm`, "a second extra M for the
/// duration of the signal"). Its bounds are estimates from the stack pointer (no OS
/// query, which allocates); it runs without processor limits when the list has no
/// spare, as any first callback from a signal handler may allocate.
#[cold]
#[inline(never)]
fn transient<R>(
    cur: *mut ThreadContext,
    name: &'static str,
    ctxt: usize,
    f: impl FnOnce() -> R,
) -> R {
    let rt = runtime::wait_ready();
    let m = match extra::take() {
        Some((m, _)) => m,
        None => extra::create_in_use(),
    };
    // SAFETY: `m` was just taken or created: we own it exclusively.
    let mref = unsafe { &*m };
    mref.transient.set(true);
    mref.incgo.set(true);
    adapter::acct::attach(mref);
    if let Some(g) = mref.curg.get() {
        rt.lock_to_thread(g);
    }
    set_current(m);
    // A panic does not come back here: with nothing above on this context it aborts.
    let out = run::<true, R, ThroughRuntime>(mref, name, ctxt, ThroughRuntime, f);
    set_current(cur);
    adapter::acct::detach(mref);
    if let Some(g) = mref.curg.get() {
        rt.unlock_from_thread(g);
    }
    mref.set_bounds(Bounds::default());
    mref.transient.set(false);
    if phase() == Phase::Idle {
        // SAFETY: uninstalled above, referenced by nobody.
        unsafe { extra::put(m) };
    } else {
        // The code we interrupted may be inside the allocator or hold the list: return
        // the context without freeing it, or leave it for that code to return.
        // SAFETY: as above.
        if !unsafe { extra::put_no_free(m) } {
            stash(m);
        }
    }
    out
}

std::thread_local! {
    /// Contexts a [`transient`] callback could not return (the list was held by the
    /// code it interrupted), chained through `next`; returned by [`finish_phase`].
    static STASH: core::cell::Cell<*mut ThreadContext> =
        const { core::cell::Cell::new(core::ptr::null_mut()) };
}

/// Keeps `m` for [`finish_phase`].
fn stash(m: *mut ThreadContext) {
    let head = STASH.with(|s| s.get());
    // SAFETY: `m` is owned by this thread and on no list; `next` is free to chain it
    // (Relaxed: only this thread reads the chain).
    unsafe { (*m).next.store(head, Ordering::Relaxed) };
    STASH.with(|s| s.set(m));
}

/// Ends an attach or detach: returns what [`transient`] callbacks left in [`STASH`]
/// and trims the list, then marks the thread idle (checking again afterwards, as a
/// callback may have stashed a context just before).
fn finish_phase() {
    loop {
        let mut m = STASH.with(|s| s.replace(core::ptr::null_mut()));
        while !m.is_null() {
            // SAFETY: stashed contexts are owned by this thread; `next` was set by `stash`.
            let next = unsafe { (*m).next.load(Ordering::Relaxed) };
            // SAFETY: as above; uninstalled and referenced by nobody.
            unsafe { extra::put(m) };
            m = next;
        }
        extra::trim();
        let p = phase();
        set_phase(Phase::Idle);
        if STASH.with(|s| s.get()).is_null() {
            return;
        }
        set_phase(p);
    }
}

/// The thread-exit hook: runs from the thread-key destructor with the context the thread
/// had bound.
///
/// # Safety
/// `m` is the context stored in the key by this thread, which is exiting.
pub(crate) unsafe fn thread_exit(m: *mut ThreadContext) {
    // SAFETY: the key only ever holds live contexts installed on this thread.
    let mref = unsafe { &*m };
    // Uninstalled first, for good: a callback during or after the rest (a signal
    // handler, a later destructor) borrows a context for its duration ([`transient`]).
    set_phase(Phase::Detaching);
    set_current(EXITED as *mut ThreadContext);
    if mref.is_extra {
        // SAFETY: the thread is exiting: no callback or foreign call is in progress;
        // the context is uninstalled just above.
        unsafe { release(m) };
    } else {
        adapter::acct::detach(mref);
        // SAFETY: runtime-thread contexts are created by `call_foreign` as a `Box` owned
        // by the thread, and the thread is exiting.
        drop(unsafe { Box::from_raw(m) });
    }
    finish_phase();
}
