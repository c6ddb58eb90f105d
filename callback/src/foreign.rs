//! Foreign calls made by the runtime side (Go's `cgocall`), as seen by callbacks.
//!
//! A callback needs to know whether runtime frames sit above the C frames that called
//! it, which green thread they belong to, and whether the C function was declared
//! `nocallback`. [`call_foreign`] records exactly that on the thread's context for the
//! duration of the foreign call, does the accounting entry and exit around it, and is
//! the landing point of a panic propagated out of a callback
//! ([`PanicPolicy::Propagate`](crate::PanicPolicy::Propagate)): the C frames in between
//! are discarded and the panic resumes here, at the Rust call site.
//!
//! # References
//! Go `runtime/cgocall.go`: `cgocall`, `cgoNoCallback`, `unwindm`.

use syscall_accounting::{CallKind, Processor, ThreadCalls};

use crate::adapter;
use crate::context::{ThreadContext, current_ptr, set_current};

/// A foreign function as declared to the runtime: a `const` or `static` per function
/// (the foreign-call path records a `&'static` to it, one word, for callbacks to read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForeignFn {
    /// The C name, for messages.
    pub name: &'static str,
    /// Declared `nocallback`: a callback into Rust during the call is refused with a
    /// message naming both functions, then the process aborts.
    pub nocallback: bool,
}

impl ForeignFn {
    /// A foreign function that may call back.
    pub const fn new(name: &'static str) -> Self {
        ForeignFn {
            name,
            nocallback: false,
        }
    }

    /// A foreign function declared `nocallback`.
    pub const fn nocallback(name: &'static str) -> Self {
        ForeignFn {
            name,
            nocallback: true,
        }
    }
}

/// The context of the current thread, creating a runtime-thread context (bound to the
/// thread until it exits) if it has none.
#[inline]
fn current_or_create() -> &'static ThreadContext {
    let mut m = current_ptr();
    if (m as usize) <= 1 {
        // Null, or 1: a thread that returned its context at exit (see `entry::EXITED`)
        // and makes a foreign call from a later destructor; it gets a fresh context.
        m = create_runtime_context();
    }
    // SAFETY: `m` is this thread's installed context; it lives until this thread exits
    // (thread-key destructor), so for any borrow taken on this thread.
    unsafe { &*m }
}

#[cold]
#[inline(never)]
fn create_runtime_context() -> *mut ThreadContext {
    let mut m = ThreadContext::new(false, None);
    // This thread's switching state, for its callbacks (a runtime context stays here).
    m.here = Some(adapter::stack::CurrentThread::get());
    // And its foreign-call counter.
    m.calls = Some(ThreadCalls::current());
    let m = Box::into_raw(m);
    // SAFETY: just created, owned by this thread.
    let mref = unsafe { &*m };
    // The thread may be running a green thread right now, so its stack pointer says
    // nothing about the system stack: record the thread's real bounds, if the runtime has
    // not registered the thread already.
    mref.set_bounds(adapter::stack::to_bounds(
        adapter::stack::record_system_stack(),
    ));
    adapter::key::create();
    adapter::key::set(m.cast());
    mref.bound.set(true);
    set_current(m);
    m
}

/// Calls the foreign function `f` (described by `func`) as a foreign call of the current
/// thread, so that a callback from C during `f` finds the runtime frames above it.
///
/// The sequence: accounting entry, record the call (the function, its processor, the
/// in-foreign-code flag) and link it from the context, `f`, unlink the record,
/// accounting exit, restore the flag. A panic
/// propagated out of a callback under [`PanicPolicy::Propagate`](crate::PanicPolicy)
/// resumes here after the C frames between were discarded.
///
/// Works on any thread: a runtime worker, a foreign thread inside a callback (nesting
/// Rust → C → Rust → C … to any depth), or a plain thread.
///
/// # Examples
/// ```
/// use callback::{ForeignFn, call_foreign};
/// // A foreign function that does not call back: the record is there during the call.
/// const STRLEN: ForeignFn = ForeignFn::nocallback("strlen");
/// let n = call_foreign(&STRLEN, || {
///     callback::with_current(|m| m.unwrap().foreign_calls_in_flight())
/// });
/// assert_eq!(n, 1);
/// ```
///
/// # References
/// Go `runtime/cgocall.go`: `cgocall`.
#[inline]
pub fn call_foreign<R>(func: &'static ForeignFn, f: impl FnOnce() -> R) -> R {
    let m = current_or_create();
    call(
        m,
        core::ptr::null_mut(),
        CallKind::Lazy,
        func,
        m.handles(),
        move |_| f(),
    )
}

/// [`call_foreign`] for a runtime worker holding processor `p`: the foreign call is
/// accounted on `p` (entered with `kind` before `f`, exited after), and a callback during
/// `f` exits and re-enters it around the Rust code (Go's `exitsyscall` /
/// `reentersyscall` in `cgocallbackg`).
///
/// # Examples
/// ```
/// use callback::{ForeignFn, call_foreign_on};
/// use syscall_accounting::{CallKind, NoScheduler, Procs};
/// let procs = Procs::new(1, NoScheduler).unwrap();
/// let mut p = procs.acquire();
/// const WORK: ForeignFn = ForeignFn::new("work");
/// let in_foreign = call_foreign_on(&mut p, CallKind::Lazy, &WORK, || {
///     callback::with_current(|m| m.unwrap().in_foreign_code())
/// });
/// assert!(in_foreign);
/// assert!(!p.in_foreign());
/// ```
///
/// # References
/// Go `runtime/cgocall.go`: `cgocall`.
#[inline]
pub fn call_foreign_on<R>(
    p: &mut Processor,
    kind: CallKind,
    func: &'static ForeignFn,
    f: impl FnOnce() -> R,
) -> R {
    let m = current_or_create();
    call(m, p, kind, func, m.handles(), move |_| f())
}

/// [`call_foreign_on`] for a runtime worker that keeps its thread's switching state and
/// foreign-call counter, each looked up once ([`stackswitch::CurrentThread`],
/// [`ThreadCalls`]), in per-thread state of its own: the same call, with those two.
/// ([`call_foreign_on`] takes them from the thread's context, kept there when the
/// context was made; an extra context, which moves between threads, keeps none, and
/// the call then looks both up, each with a call the optimiser may not inline or move.)
/// `here` and `calls` must be the calling thread's, which their
/// types ensure: neither can leave the thread that made it (a runtime reaches them
/// through its worker state, looked up for each call, never keeping them across a
/// switch of green threads).
///
/// # Examples
/// ```
/// use callback::{ForeignFn, call_foreign_on_with};
/// use stackswitch::CurrentThread;
/// use syscall_accounting::{CallKind, NoScheduler, Procs, ThreadCalls};
/// let procs = Procs::new(1, NoScheduler).unwrap();
/// let mut p = procs.acquire();
/// let (here, calls) = (CurrentThread::get(), ThreadCalls::current());
/// const WORK: ForeignFn = ForeignFn::new("work");
/// for _ in 0..3 {
///     let in_foreign = call_foreign_on_with(&here, &calls, &mut p, CallKind::Lazy, &WORK, || {
///         callback::with_current(|m| m.unwrap().in_foreign_code())
///     });
///     assert!(in_foreign);
/// }
/// assert_eq!(syscall_accounting::thread_calls(), 3);
/// ```
///
/// # References
/// Go `runtime/cgocall.go`: `cgocall`.
#[inline]
pub fn call_foreign_on_with<R>(
    here: &stackswitch::CurrentThread,
    calls: &ThreadCalls,
    p: &mut Processor,
    kind: CallKind,
    func: &'static ForeignFn,
    f: impl FnOnce() -> R,
) -> R {
    call(
        current_or_create(),
        p,
        kind,
        func,
        Some((here, calls)),
        move |_| f(),
    )
}

/// A runtime thread's handles, looked up (or made) once: its context, its switching state
/// ([`stackswitch::CurrentThread`]) and its foreign-call counter ([`ThreadCalls`]). For a
/// runtime's worker that keeps them in per-thread state of its own and reaches that state
/// for each call anyway: [`RuntimeThread::call_foreign_on`] and
/// [`RuntimeThread::callback`] then look nothing up, not even the context (a read of a
/// per-thread slot, `stackswitch::thread_slot!`: no call on x86_64 Linux, a call that
/// the optimiser may not inline or move elsewhere).
///
/// Neither `Send` nor `Sync`: it stays on the thread that made it, like the two handles
/// it holds (and with the same one way around that: a green thread moved to another
/// thread while it holds one across a suspension, which `stackswitch`'s
/// `Context::into_send` contract rules out).
///
/// ```
/// use callback::{ForeignFn, RuntimeThread};
/// use syscall_accounting::{CallKind, NoScheduler, Procs};
/// let procs = Procs::new(1, NoScheduler).unwrap();
/// let mut p = procs.acquire();
/// // SAFETY: used on this thread only, and dropped long before it exits.
/// let rt = unsafe { RuntimeThread::current() }.expect("a plain thread gets a runtime context");
/// const WORK: ForeignFn = ForeignFn::new("work");
/// let in_foreign = rt.call_foreign_on(&mut p, CallKind::Lazy, &WORK, || {
///     callback::with_current(|m| m.unwrap().in_foreign_code())
/// });
/// assert!(in_foreign && !p.in_foreign());
/// ```
pub struct RuntimeThread {
    m: &'static ThreadContext,
    here: stackswitch::CurrentThread,
    calls: ThreadCalls,
}

impl core::fmt::Debug for RuntimeThread {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RuntimeThread")
            .field("context", &self.m.id)
            .finish()
    }
}

impl RuntimeThread {
    /// The calling thread's handles, making its runtime context if it has none (as the
    /// first [`call_foreign`] would). `None` on a thread whose context is a foreign
    /// thread's extra context (it may be returned to the spare list after any callback),
    /// and on a thread that has returned its context at exit.
    ///
    /// # Safety
    /// The context is freed when the thread exits (by a thread-key destructor), so the
    /// handle must not be used after that: do not keep it where code running in the
    /// thread's exit-time destructors can reach it (a runtime keeps it in a worker's
    /// frame, gone before the thread exits).
    pub unsafe fn current() -> Option<RuntimeThread> {
        if current_ptr() as usize == crate::entry::EXITED {
            return None;
        }
        let m = current_or_create();
        if m.is_extra {
            return None;
        }
        Some(RuntimeThread {
            m,
            here: adapter::stack::CurrentThread::get(),
            calls: ThreadCalls::current(),
        })
    }

    /// This thread's switching state.
    #[inline]
    pub fn here(&self) -> &stackswitch::CurrentThread {
        &self.here
    }

    /// This thread's foreign-call counter.
    #[inline]
    pub fn calls(&self) -> &ThreadCalls {
        &self.calls
    }

    /// This thread's runtime context.
    #[inline]
    pub fn context(&self) -> &ThreadContext {
        self.m
    }

    /// [`call_foreign_on_with`] on this thread, without looking its context up.
    ///
    /// # References
    /// Go `runtime/cgocall.go`: `cgocall`.
    #[inline]
    pub fn call_foreign_on<R>(
        &self,
        p: &mut Processor,
        kind: CallKind,
        func: &'static ForeignFn,
        f: impl FnOnce() -> R,
    ) -> R {
        self.call_foreign_on_unwinding(p, kind, func, move |_| f())
    }

    /// [`RuntimeThread::call_foreign_on`] for a caller that calls its foreign function
    /// through one of two declarations: `f` is told whether anything can unwind out of
    /// the call ([`Unwinding`]), which the panic policy at the call's start decides.
    /// Under [`PanicPolicy::Abort`](crate::PanicPolicy::Abort) a callback's panic
    /// aborts the process before it leaves the callback, so `f` may call the function
    /// through an `extern "C"` declaration, which lets the compiler make that call the
    /// last act of the switch to the system stack (a tail call: the function returns
    /// straight to the switch); under `Propagate` it must use `extern "C-unwind"`.
    ///
    /// # Examples
    /// ```
    /// use callback::{ForeignFn, RuntimeThread, Unwinding};
    /// use syscall_accounting::{CallKind, NoScheduler, Procs};
    /// unsafe extern "C-unwind" {
    ///     fn abs(x: i32) -> i32;
    /// }
    /// let procs = Procs::new(1, NoScheduler).unwrap();
    /// let mut p = procs.acquire();
    /// // SAFETY: used on this thread only, and dropped before it exits.
    /// let worker = unsafe { RuntimeThread::current() }.unwrap();
    /// const ABS: ForeignFn = ForeignFn::new("abs");
    /// let r = worker.call_foreign_on_unwinding(&mut p, CallKind::Lazy, &ABS, |u| {
    ///     // The same C function, declared as not unwinding.
    ///     unsafe extern "C" {
    ///         #[link_name = "abs"]
    ///         fn abs_nounwind(x: i32) -> i32;
    ///     }
    ///     // SAFETY (both arms): `abs` is defined for every value but i32::MIN.
    ///     match u {
    ///         Unwinding::Aborts => unsafe { abs_nounwind(-4) },
    ///         Unwinding::Propagates => unsafe { abs(-4) },
    ///     }
    /// });
    /// assert_eq!(r, 4);
    /// ```
    ///
    /// # References
    /// Go `runtime/cgocall.go`: `cgocall`.
    #[inline]
    pub fn call_foreign_on_unwinding<R>(
        &self,
        p: &mut Processor,
        kind: CallKind,
        func: &'static ForeignFn,
        f: impl FnOnce(Unwinding) -> R,
    ) -> R {
        call(self.m, p, kind, func, Some((&self.here, &self.calls)), f)
    }

    /// [`callback`](crate::callback) arriving on this thread, without looking its context
    /// up: for a runtime's `extern "C"` wrapper that has found its worker state (and in it
    /// this handle) already.
    ///
    /// # References
    /// Go `runtime/cgocall.go`: `cgocallbackg`; `cmd/cgo/out.go`: the exported wrapper.
    #[inline(always)]
    pub fn callback<R>(&self, name: &'static str, f: impl FnOnce() -> R) -> R {
        crate::entry::run_runtime_thread(self.m, name, crate::entry::ThroughRuntime, f)
    }

    /// [`RuntimeThread::callback`] for a runtime that has the green thread running on
    /// this thread at hand: the outermost callback during a foreign call locks it with
    /// `lock` and unlocks it with `unlock`, instead of asking the registered runtime
    /// ([`Runtime::lock_current_green`](crate::Runtime::lock_current_green),
    /// [`Runtime::unlock_from_thread`](crate::Runtime::unlock_from_thread)), which would
    /// look the green thread up again behind a dynamic call. The two closures must do
    /// what those methods do: `lock` locks the green thread running on this thread (the
    /// one whose foreign call the callback came from, or that called the exported
    /// function directly) to this thread and names it (`None` if the thread runs none),
    /// `unlock` undoes it. Both run for the outermost callback only (also one with no
    /// foreign call in progress: Rust calling the exported function directly), and
    /// neither may panic: they run inside the callback's bookkeeping, outside
    /// the frame that catches the body's panic (as the runtime's methods do).
    ///
    /// # References
    /// Go `runtime/cgocall.go`: `cgocallbackg` (`lockOSThread` / `unlockOSThread`).
    #[inline(always)]
    pub fn callback_locking<R>(
        &self,
        name: &'static str,
        lock: impl Fn() -> Option<crate::Green>,
        unlock: impl Fn(crate::Green),
        f: impl FnOnce() -> R,
    ) -> R {
        crate::entry::run_runtime_thread(self.m, name, crate::entry::WithClosures(lock, unlock), f)
    }
}

#[inline]
fn call<R>(
    m: &'static ThreadContext,
    p: *mut Processor,
    kind: CallKind,
    func: &'static ForeignFn,
    handles: Option<(&stackswitch::CurrentThread, &ThreadCalls)>,
    f: impl FnOnce(Unwinding) -> R,
) -> R {
    // The processor to account the call on (an extra context's own when none is given),
    // in the foreign-code state from here until the record's `Drop`.
    let proc = adapter::acct::enter(m, p, kind, handles.map(|h| h.1));
    // Only a call made under `Propagate` can have a callback's panic come out of `f`;
    // under `Abort` (the default) the switch leaves out the frame that would catch it.
    let unwinds = crate::runtime::panic_policy() == crate::PanicPolicy::Propagate;
    let rec = CallRecord {
        func,
        proc,
        outer: m.call.get(),
        incgo: m.incgo.get(),
        unwinds,
    };
    // Linked for callbacks (which read it through the context) and for the tail below,
    // which also runs when a callback's panic propagates through here.
    m.call.set(&rec);
    m.incgo.set(true);
    let _tail = Tail { m, rec: &rec };
    let here = handles.map(|h| h.0);
    // Each branch tells `f` its own constant, which the compiler folds into `f`.
    if unwinds {
        adapter::stack::on_system_stack(here, true, move || f(Unwinding::Propagates))
    } else {
        adapter::stack::on_system_stack(here, false, move || f(Unwinding::Aborts))
    }
}

/// Whether a callback's panic can unwind out of a foreign call in progress: told to
/// the closure of [`RuntimeThread::call_foreign_on_unwinding`], which calls the
/// foreign function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unwinding {
    /// The call began under [`PanicPolicy::Abort`](crate::PanicPolicy::Abort): a
    /// callback that panics during it aborts the process before the panic leaves the
    /// callback (even if the policy changes meanwhile), so nothing unwinds out of the
    /// foreign function. It may be called through an `extern "C"` declaration.
    Aborts,
    /// The call began under [`PanicPolicy::Propagate`](crate::PanicPolicy::Propagate):
    /// a callback's panic unwinds through the foreign function's frames to the call
    /// site. It must be called through an `extern "C-unwind"` declaration.
    Propagates,
}

/// A foreign call in progress: lives in [`call_foreign`]'s frame and is linked from the
/// context (its `call` field) for the duration of the call, so callbacks read what
/// they need (the `nocallback` mark, the processor to leave foreign code on) with the
/// saved state of the call in one place. The green thread that made the call is not
/// recorded: a callback asks the runtime for it only when one arrives (the worker runs the
/// same green thread for the whole call), so a foreign call without a callback never
/// asks.
pub(crate) struct CallRecord {
    /// The foreign function being called.
    pub(crate) func: &'static ForeignFn,
    /// The processor the call is accounted on, or null.
    pub(crate) proc: *mut Processor,
    /// The context's record before this call: the enclosing foreign call (whose callback
    /// made this one), or null.
    pub(crate) outer: *const CallRecord,
    /// The in-foreign-code flag before this call.
    incgo: bool,
    /// The panic policy was `Propagate` when the call began, so its switch to the system
    /// stack catches a panic coming out of the C frames and resumes it at the call site.
    /// A call begun under `Abort` has no such frame: a callback that panics during it
    /// aborts, even if the policy changed to `Propagate` meanwhile.
    pub(crate) unwinds: bool,
}

/// The tail of a foreign call; also runs when a callback's panic propagates through it
/// (Go's `unwindm` work for the frames a panic skips).
struct Tail<'a> {
    m: &'static ThreadContext,
    rec: &'a CallRecord,
}

impl Drop for Tail<'_> {
    #[inline]
    fn drop(&mut self) {
        let (m, rec) = (self.m, self.rec);
        // In Go's order (`cgocall`: `incgo = false`, `ncgo--`, `exitsyscall`): a signal
        // handler's callback from here on finds the thread out of foreign code and leaves
        // the accounting alone.
        m.incgo.set(rec.incgo);
        m.call.set(rec.outer);
        adapter::acct::leave(rec.proc);
    }
}
