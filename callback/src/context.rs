//! The per-thread runtime context, Go's "M", behind a fast thread-local.
//!
//! A [`ThreadContext`] exists for every thread that has taken part in the boundary: a
//! runtime worker that made a foreign call ([`call_foreign`](crate::call_foreign)), or a
//! foreign thread that called in (an *extra* context taken from the
//! [spare list](crate::extra)). The thread reaches its record through one
//! `const`-initialised thread-local pointer: no lazy-initialisation check, no destructor
//! registration, a single TLS-relative load on every architecture.
//!
//! The record belongs to exactly one thread at a time, so its fields are plain `Cell`s;
//! the only fields other threads read (the "extra and in foreign code" flag, read by a
//! monitor or a signal handler) are atomics.

use core::cell::{Cell, UnsafeCell};
use core::ptr;

use crate::adapter;
use crate::foreign::CallRecord;
use crate::primitive::{AtomicBool, AtomicPtr, AtomicUsize, Ordering, independent, signal_fence};
use crate::runtime::{Green, Runtime};

/// Stack bounds of the system stack a context's C code runs on: `lo < sp <= hi`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bounds {
    /// Lowest usable address (inclusive).
    pub lo: usize,
    /// Highest address (exclusive top of the stack).
    pub hi: usize,
    /// Whether the bounds come from the OS (true) or are an estimate from a stack
    /// pointer (false).
    pub accurate: bool,
}

impl Bounds {
    /// Whether `sp` lies inside `lo < sp <= hi`.
    #[inline]
    pub fn contains(&self, sp: usize) -> bool {
        self.lo < sp && sp <= self.hi
    }
}

/// The per-thread runtime context ("M").
///
/// Fields mirror the spec's list: calls in flight (the chain of call records, Go's
/// `m.ncgo` is its length), the in-foreign-code flag
/// (`incgo`), the internal lock count (one per callback in progress, so it is the
/// callback depth), extra or not, bounds and their accuracy, the current green thread,
/// the foreign call in progress with its no-callback flag, and the callback-context stack
/// used by tracebacks.
pub struct ThreadContext {
    /// A small number identifying the context in messages and tests.
    pub(crate) id: usize,
    /// Taken from the spare list for a foreign thread (Go's `m.isextra`).
    pub(crate) is_extra: bool,
    /// The thread is executing foreign code right now (Go's `m.incgo`).
    pub(crate) incgo: Cell<bool>,
    /// Callbacks in progress on this context (nesting depth). Each holds one internal
    /// lock of the thread (Go's `m.lockedInt`), so this is also the internal lock count.
    pub(crate) depth: Cell<u32>,
    /// An extra context whose thread is in foreign code with no runtime frames above:
    /// its processor (if any) is parked in the foreign-code state. Read by other threads.
    pub(crate) is_extra_in_c: AtomicBool,
    /// System-stack bounds of this thread (set with [`set_bounds`](Self::set_bounds)).
    bounds: Cell<Bounds>,
    /// The stack-pointer window `lo < sp <= hi` in which a callback keeps the bounds and
    /// takes the fast path: the bounds if accurate, else empty (`0, 0`), so the hot check
    /// is two comparisons. Also empty for a runtime-thread context that does not have the
    /// runtime yet, so that its callbacks take the slow path, which waits for
    /// initialisation.
    keep: Cell<(usize, usize)>,
    /// The green thread this context runs: for an extra context its parked green
    /// context; for a runtime thread the green thread locked by the outermost callback in
    /// progress (asked of the runtime when the callback arrives), otherwise none.
    pub(crate) curg: Cell<Option<Green>>,
    /// The innermost foreign call in progress (a record in its `call_foreign` frame,
    /// linked to the enclosing call's), or null. Runtime frames sit above the C frames
    /// exactly when it is set (Go's `m.ncgo != 0`); it stays set during the call's
    /// callbacks, whose Rust code runs on behalf of that call.
    pub(crate) call: Cell<*const CallRecord>,
    /// Callback context words pushed by callbacks in progress, newest last; published
    /// for asynchronous readers (profilers) as pointer, then capacity, then length.
    pub(crate) cgo_ctxt: UnsafeCell<Vec<usize>>,
    /// Length of `cgo_ctxt` as published to asynchronous readers.
    pub(crate) cgo_ctxt_len: AtomicUsize,
    /// Link in the spare list (Go's `m.schedlink`).
    /// Written and read only by the list's lock holder, so its accesses are `Relaxed`:
    /// the lock word's Acquire/Release orders them (an atomic only so that loom checks
    /// exactly that).
    pub(crate) next: AtomicPtr<ThreadContext>,
    /// The thread is bound (pthread key set): the context is returned at thread exit.
    pub(crate) bound: Cell<bool>,
    /// Processor accounting state of this thread (see [`adapter::acct`]).
    pub(crate) acct: adapter::acct::ThreadAcct,
    /// The overflow handler's registration of the foreign thread this extra context is
    /// attached to (dropped at detach, on that thread).
    pub(crate) registration: Cell<Option<adapter::stack::Registration>>,
    /// The runtime, once initialisation has finished (set at creation, or by the first
    /// callback after it): a runtime thread's callbacks and foreign calls read it here
    /// instead of checking the initialisation gate and the registry each time.
    pub(crate) rt: Cell<Option<&'static dyn Runtime>>,
    /// [`rt`](Self::rt) if it runs green threads ([`Runtime::has_green_threads`]): the
    /// runtime a runtime thread's callback asks for the green thread to lock. `None` for
    /// a runtime without green threads, so its callbacks skip the question.
    pub(crate) green_rt: Cell<Option<&'static dyn Runtime>>,
    /// A runtime thread's switching state, looked up once when its context is created
    /// (the context never leaves that thread), so that its callbacks switch back onto
    /// the green thread without looking the state up again. `None` for extra contexts,
    /// which move between foreign threads.
    pub(crate) here: Option<adapter::stack::CurrentThread>,
    /// A runtime thread's foreign-call counter, looked up once with `here` and for the
    /// same reason: [`call_foreign_on`](crate::call_foreign_on) then finds both through
    /// the context it looks up anyway. `None` for extra contexts.
    pub(crate) calls: Option<syscall_accounting::ThreadCalls>,
    /// Borrowed for one callback from a signal handler that interrupted its thread's
    /// attach or detach (see [`Phase`]): bounds are estimated from the stack pointer
    /// only, without asking the OS (Go's `needm(true)`).
    pub(crate) transient: Cell<bool>,
}

// SAFETY: a context is only ever used by one thread at a time: the thread it is installed
// on (through `CURRENT`), or the spare list's lock holder while it is on the list. The
// hand-over between threads goes through the list's Release/Acquire lock word, which
// orders every plain write of the previous owner before the next owner's reads. The one
// field that names a thread, `here`, is set only in runtime-thread contexts, which never
// change threads (they are never put on the spare list), and is used only by that thread;
// the same holds for `calls`.
unsafe impl Send for ThreadContext {}
// SAFETY: the only fields touched from other threads are atomics (`is_extra_in_c`,
// `cgo_ctxt_len`); every `Cell` field is only touched by the owning thread (see `Send`).
unsafe impl Sync for ThreadContext {}

/// Source of context ids (an independent counter: see `primitive`).
static NEXT_ID: independent::AtomicUsize = independent::AtomicUsize::new(1);

impl ThreadContext {
    /// A runtime thread's switching state and foreign-call counter, kept in its context
    /// (`None` for an extra context, which moves between threads): the context's thread
    /// is the calling one, so they are this thread's.
    #[inline(always)]
    pub(crate) fn handles(
        &self,
    ) -> Option<(
        &adapter::stack::CurrentThread,
        &syscall_accounting::ThreadCalls,
    )> {
        Some((self.here.as_ref()?, self.calls.as_ref()?))
    }

    /// A fresh context. `green` is the parked green context of an extra context.
    pub(crate) fn new(is_extra: bool, green: Option<Green>) -> Box<Self> {
        let m = Box::new(ThreadContext {
            // Relaxed: a unique number, no ordering with anything else.
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            is_extra,
            incgo: Cell::new(false),
            depth: Cell::new(0),
            is_extra_in_c: AtomicBool::new(is_extra),
            bounds: Cell::new(Bounds::default()),
            keep: Cell::new((0, 0)),
            curg: Cell::new(green),
            call: Cell::new(ptr::null()),
            cgo_ctxt: UnsafeCell::new(Vec::new()),
            cgo_ctxt_len: AtomicUsize::new(0),
            next: AtomicPtr::new(ptr::null_mut()),
            bound: Cell::new(false),
            acct: adapter::acct::ThreadAcct::new(),
            registration: Cell::new(None),
            rt: Cell::new(None),
            green_rt: Cell::new(None),
            transient: Cell::new(false),
            here: None,
            calls: None,
        });
        if let Some(rt) = crate::runtime::ready_runtime() {
            m.set_runtime(rt);
        }
        m
    }

    /// Keeps the runtime, once initialisation has finished.
    pub(crate) fn set_runtime(&self, rt: &'static dyn Runtime) {
        self.rt.set(Some(rt));
        self.green_rt.set(rt.has_green_threads().then_some(rt));
        // Callbacks may take the fast path from now on.
        self.set_bounds(self.bounds.get());
    }

    /// A small number identifying this context.
    pub fn id(&self) -> usize {
        self.id
    }

    /// Whether this is an extra context (serving a foreign thread).
    pub fn is_extra(&self) -> bool {
        self.is_extra
    }

    /// Foreign calls in flight (runtime frames above C frames when non-zero).
    pub fn foreign_calls_in_flight(&self) -> u32 {
        let mut n = 0;
        let mut r = self.call.get();
        // SAFETY: linked records live in the frames of the `call_foreign`s in progress on
        // this thread (the only one that reaches this context's `Cell`s), each of which
        // unlinks its record before its frame goes away, on return and on unwinding.
        while let Some(rec) = unsafe { r.as_ref() } {
            n += 1;
            r = rec.outer;
        }
        n
    }

    /// Whether a foreign call is in progress on this context: runtime frames sit above
    /// the C frames (Go's `m.ncgo != 0`).
    #[inline(always)]
    pub(crate) fn in_foreign_call(&self) -> bool {
        !self.call.get().is_null()
    }

    /// Whether the thread is executing foreign code right now.
    pub fn in_foreign_code(&self) -> bool {
        self.incgo.get()
    }

    /// Internal lock count held by callbacks in progress: each callback holds one, so
    /// this equals [`callback_depth`](Self::callback_depth).
    pub fn locked_count(&self) -> u32 {
        self.depth.get()
    }

    /// Callbacks in progress on this context.
    pub fn callback_depth(&self) -> u32 {
        self.depth.get()
    }

    /// Whether this is an extra context parked in foreign code with no runtime frames
    /// above (Go's `m.isExtraInC`).
    pub fn is_extra_in_foreign_code(&self) -> bool {
        // Acquire: pairs with the Release stores of the owning thread.
        self.is_extra_in_c.load(Ordering::Acquire)
    }

    /// The system-stack bounds recorded for this thread.
    pub fn bounds(&self) -> Bounds {
        self.bounds.get()
    }

    /// Records the thread's system-stack bounds.
    #[inline]
    pub(crate) fn set_bounds(&self, b: Bounds) {
        self.bounds.set(b);
        let ready = self.is_extra || self.rt.get().is_some();
        self.keep.set(if b.accurate && ready {
            (b.lo, b.hi)
        } else {
            (0, 0)
        });
    }

    /// Whether a callback at `sp` takes the fast path: the bounds are accurate and contain
    /// `sp`, and a runtime thread's context has the runtime (see `keep`).
    #[inline(always)]
    pub(crate) fn bounds_hold(&self, sp: usize) -> bool {
        let (lo, hi) = self.keep.get();
        lo < sp && sp <= hi
    }

    /// The green thread this context runs, if any: an extra context's parked green
    /// context; on a runtime thread, the green thread of the foreign call in progress
    /// (asked of the runtime, which knows which green thread the worker runs; during a
    /// callback, the one the callback locked).
    pub fn green(&self) -> Option<Green> {
        if let Some(g) = self.curg.get() {
            return Some(g);
        }
        if self.is_extra || !self.in_foreign_call() {
            return None;
        }
        // A runtime registered but still initialising has its green threads already.
        self.rt.get().or_else(crate::runtime::get)?.current_green()
    }

    /// Whether the innermost foreign call in progress was declared `nocallback`.
    pub fn nocallback(&self) -> bool {
        self.foreign_fn().is_some_and(|f| f.nocallback)
    }

    /// The innermost foreign call in progress.
    pub(crate) fn foreign_fn(&self) -> Option<&'static crate::ForeignFn> {
        // SAFETY: a linked record lives in the frame of the `call_foreign` in progress on
        // this thread (the only thread that reaches this context's `Cell`s), which
        // unlinks it before its frame goes away, on return and on unwinding alike.
        unsafe { self.call.get().as_ref() }.map(|r| r.func)
    }

    /// Whether the innermost foreign call in progress catches a panic propagated out of
    /// its C frames (it began under `PanicPolicy::Propagate`).
    pub(crate) fn foreign_call_unwinds(&self) -> bool {
        // SAFETY: as in `foreign_fn`.
        unsafe { self.call.get().as_ref() }.is_some_and(|r| r.unwinds)
    }

    /// The callback-context words of the callbacks in progress, newest last.
    pub fn callback_contexts(&self) -> Vec<usize> {
        // SAFETY: `cgo_ctxt` is only mutated by the owning thread, which is the caller
        // (a `&ThreadContext` is only handed out by `with_current` on that thread), and
        // not while this shared borrow exists.
        unsafe { (*self.cgo_ctxt.get()).clone() }
    }

    /// Pushes a callback-context word and publishes the new length.
    pub(crate) fn push_ctxt(&self, word: usize) {
        // SAFETY: only the owning thread mutates `cgo_ctxt`, and no reference into it is
        // live (readers clone under the same single-thread rule).
        let v = unsafe { &mut *self.cgo_ctxt.get() };
        v.push(word);
        // Release: an asynchronous reader that sees the new length also sees the word.
        self.cgo_ctxt_len.store(v.len(), Ordering::Release);
    }

    /// Pops the newest callback-context word.
    pub(crate) fn pop_ctxt(&self) {
        // SAFETY: as in `push_ctxt`.
        let v = unsafe { &mut *self.cgo_ctxt.get() };
        v.pop();
        // Release: publishes the shorter length before the slot can be reused.
        self.cgo_ctxt_len.store(v.len(), Ordering::Release);
    }
}

impl core::fmt::Debug for ThreadContext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ThreadContext")
            .field("id", &self.id)
            .field("is_extra", &self.is_extra)
            .field("foreign_calls_in_flight", &self.foreign_calls_in_flight())
            .field("incgo", &self.incgo.get())
            .field("depth", &self.depth.get())
            .field("bounds", &self.bounds.get())
            .finish_non_exhaustive()
    }
}

/// Where a thread is in attaching or returning its context.
///
/// Attach and detach do not block signals (that cost two or three `rt_sigprocmask`
/// calls per foreign thread, most of its attach + exit cost). Instead the thread marks
/// the stretch during which its own state is half set up or half torn down, and a
/// callback that arrives in that stretch (from a signal handler that interrupted it)
/// leaves that state alone: it borrows a second context for its duration, as Go does
/// for a signal on a thread without an M (`badsignal` → `needm(true)`). Stores and
/// loads of the phase and of the current context are separated by compiler fences, so
/// a handler on the same thread sees them in program order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Nothing in progress.
    Idle,
    /// Attaching: the current context is not installed yet.
    Attaching,
    /// Detaching: the current context is uninstalled and being returned.
    Detaching,
}

std::thread_local! {
    /// This thread's [`Phase`].
    static PHASE: Cell<Phase> = const { Cell::new(Phase::Idle) };
}

stackswitch::thread_slot! {
    /// The context installed on this thread, or null. A `stackswitch::thread_slot!`,
    /// not a `thread_local!`: the foreign-call path runs on a runtime's green threads,
    /// inlined into their code, and a green thread can continue on another OS thread
    /// after any switch, so each read must be made where it is written (an inlined
    /// `thread_local!` read may be made once before a loop that switches; a bug
    /// stackswitch had, measured in the facade's `tests/migration.rs`). On x86_64 Linux
    /// the slot is read without a call.
    static CURRENT: *mut ThreadContext = "callback_current_context";
}

/// The context installed on this thread, or null (see [`CURRENT`]).
#[inline(always)]
pub(crate) fn current_ptr() -> *mut ThreadContext {
    CURRENT.get()
}

/// Installs `m` (or null) as this thread's context. The store is ordered, for a signal
/// handler on this thread, after everything before it and before everything after it.
#[inline]
pub(crate) fn set_current(m: *mut ThreadContext) {
    signal_fence();
    CURRENT.set(m);
    signal_fence();
}

/// This thread's attach/detach phase (read only off the hot path).
#[inline]
pub(crate) fn phase() -> Phase {
    PHASE.with(Cell::get)
}

/// Sets this thread's phase, ordered for a signal handler on this thread like
/// [`set_current`].
#[inline]
pub(crate) fn set_phase(p: Phase) {
    signal_fence();
    PHASE.with(|c| c.set(p));
    signal_fence();
}

/// Calls `f` with this thread's context, if it has one.
///
/// # Examples
/// ```
/// // A thread that never touched the boundary has no context.
/// assert!(callback::with_current(|m| m.is_some()) == false);
/// ```
pub fn with_current<R>(f: impl FnOnce(Option<&ThreadContext>) -> R) -> R {
    let p = current_ptr();
    // 1 marks a thread that returned its context at exit (see `entry::EXITED`).
    let p = if p as usize == 1 { ptr::null_mut() } else { p };
    // SAFETY: a non-null `CURRENT` points at the live context installed on this thread;
    // it is only freed after being uninstalled by this same thread (thread exit or
    // detach), which cannot happen during `f` because `f` runs on this thread and the
    // crate never uninstalls while a callback or foreign call is in progress.
    f(unsafe { p.as_ref() })
}
