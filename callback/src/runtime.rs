//! The pluggable runtime, initialisation, and the policies.
//!
//! The crate assumes no scheduler. A runtime plugs in by implementing [`Runtime`] and
//! calling [`init`] once it is ready to run callbacks. A callback that arrives before
//! that (a library loaded into a C host whose constructor calls in) waits for [`init`],
//! then proceeds.
//!
//! # References
//! Go `runtime/cgo/gcc_libinit_unix.c`: `_cgo_wait_runtime_init_done`,
//! `x_cgo_notify_runtime_init_done`.

use core::num::NonZeroUsize;
use std::sync::OnceLock;

use crate::primitive::{AtomicU8, Condvar, Mutex, Ordering, global, independent, lock};

/// An opaque handle to a green thread of the runtime ("G"), chosen by the runtime (an
/// index, or a pointer cast to an integer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Green(pub NonZeroUsize);

/// What the crate needs from a green-thread runtime.
///
/// Every method may be called on any thread, including a foreign thread that has just
/// attached; none may call back into this crate's callback entry.
pub trait Runtime: Sync + 'static {
    /// The green thread running on the calling OS thread, if the calling thread is a
    /// runtime worker running one.
    fn current_green(&self) -> Option<Green>;

    /// Locks green thread `g` to the current OS thread: until the matching
    /// [`unlock_from_thread`](Runtime::unlock_from_thread), `g` must not migrate (a
    /// callback's C frames live on this thread's stack). Called on the 0 → 1 transition
    /// of the context's internal lock count.
    fn lock_to_thread(&self, g: Green);

    /// Whether the runtime runs green threads at all (the default). A runtime that does
    /// not ([`ThreadsOnly`]) answers `false` once, at registration, and callbacks on its
    /// threads then never ask [`current_green`](Runtime::current_green), which would
    /// always answer `None`.
    fn has_green_threads(&self) -> bool {
        true
    }

    /// The green thread running on the calling OS thread, locked to it
    /// ([`current_green`](Runtime::current_green) then
    /// [`lock_to_thread`](Runtime::lock_to_thread), which the default does): what a
    /// callback on a runtime thread calls on entry. A runtime may override it to find
    /// its green thread once for both; it must behave exactly like the default.
    fn lock_current_green(&self) -> Option<Green> {
        let g = self.current_green()?;
        self.lock_to_thread(g);
        Some(g)
    }

    /// Undoes [`lock_to_thread`](Runtime::lock_to_thread) (1 → 0 transition).
    fn unlock_from_thread(&self, g: Green);

    /// Makes a parked green context for a new extra thread context (Go's
    /// `oneNewExtraM`: a goroutine permanently wired to the extra M, hidden from
    /// goroutine counts while parked).
    fn new_extra_green(&self) -> Green;

    /// Frees a green context made by [`new_extra_green`](Runtime::new_extra_green) when
    /// its extra context is freed (the spare list trims beyond its cap).
    fn free_extra_green(&self, g: Green);

    /// The processor set a foreign thread takes a processor from to run a callback
    /// (Go's `exitsyscall` on an extra M). `None` (the default): callbacks on foreign
    /// threads are not limited by processors.
    fn procs(&self) -> Option<syscall_accounting::Procs> {
        None
    }
}

/// A runtime without green threads: every thread is its own "green thread", nothing
/// migrates, so locking is a no-op and extra contexts get a numbered placeholder.
///
/// For hosts that only need the foreign-thread side (attach, bind, panics, accounting
/// through [`Runtime::procs`] left at `None`), for examples and for benchmarks.
#[derive(Debug, Default)]
pub struct ThreadsOnly;

/// Placeholder green ids of [`ThreadsOnly`] (an independent counter: see `primitive`).
static THREADS_ONLY_GREENS: independent::AtomicUsize = independent::AtomicUsize::new(1);

impl Runtime for ThreadsOnly {
    fn has_green_threads(&self) -> bool {
        false
    }
    fn current_green(&self) -> Option<Green> {
        None
    }
    fn lock_to_thread(&self, _: Green) {}
    fn unlock_from_thread(&self, _: Green) {}
    fn new_extra_green(&self) -> Green {
        // Relaxed: a unique number only.
        let n = THREADS_ONLY_GREENS.fetch_add(1, Ordering::Relaxed);
        Green(NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN))
    }
    fn free_extra_green(&self, _: Green) {}
}

/// Initialisation states (Go's `runtime_init_done`: 0 and 2; 1 is not needed here).
const NOT_READY: u8 = 0;
const READY: u8 = 2;

static RUNTIME: OnceLock<&'static dyn Runtime> = OnceLock::new();

/// The initialisation gate: a state word for the one-load check on the hot path, and a
/// flag under a mutex with a condition variable for callbacks that arrive early.
pub(crate) struct Gate {
    state: AtomicU8,
    ready: Mutex<bool>,
    cv: Condvar,
}

/// A closed [`Gate`] (a macro so that the `static` gets a `const` initialiser and loom
/// models the same value).
macro_rules! closed_gate {
    () => {
        Gate {
            state: AtomicU8::new(NOT_READY),
            ready: Mutex::new(false),
            cv: Condvar::new(),
        }
    };
}

global! {
    /// The program's initialisation gate, opened by [`init`].
    GATE: Gate = closed_gate!();
}

impl Gate {
    /// A closed gate (for loom models; the program's gate is [`GATE`]).
    #[cfg(all(loom, test))]
    pub(crate) fn new() -> Self {
        closed_gate!()
    }

    /// Opens the gate: every waiter returns, and every later check passes; both see the
    /// writes made before the call.
    pub(crate) fn open(&self) {
        let mut ready = lock(&self.ready);
        *ready = true;
        // Release: a check that sees READY also sees the writes made before `open` (the
        // runtime and the thread key).
        self.state.store(READY, Ordering::Release);
        // Notified under the lock: a waiter is either not yet checking (it will see the
        // flag) or already waiting (it gets the notification).
        self.cv.notify_all();
        drop(ready);
    }

    /// Whether the gate is open (one load).
    #[inline]
    pub(crate) fn is_open(&self) -> bool {
        // Acquire: pairs with the Release in `open`.
        self.state.load(Ordering::Acquire) == READY
    }

    /// Waits until the gate is open.
    #[cold]
    pub(crate) fn wait(&self) {
        // The mutex orders `open`'s earlier writes before our return.
        let mut ready = lock(&self.ready);
        while !*ready {
            ready = match self.cv.wait(ready) {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
        }
    }
}

/// The registered runtime, if [`init`] has run.
#[inline]
pub(crate) fn get() -> Option<&'static dyn Runtime> {
    RUNTIME.get().copied()
}

/// Error returned by [`init`] when a runtime is already registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlreadyInitialized;

impl core::fmt::Display for AlreadyInitialized {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("callback::init called twice: a runtime is already registered")
    }
}

impl std::error::Error for AlreadyInitialized {}

/// Registers the runtime, seeds the spare list with one extra context and releases every
/// callback waiting for initialisation.
///
/// # Errors
/// [`AlreadyInitialized`] if a runtime was registered before; nothing changes then.
///
/// # References
/// Go `runtime/cgo/gcc_libinit_unix.c`: `x_cgo_notify_runtime_init_done`;
/// `runtime/proc.go`: `mstartm0` (seeds the extra-M list).
pub fn init(rt: &'static dyn Runtime) -> Result<(), AlreadyInitialized> {
    RUNTIME.set(rt).map_err(|_| AlreadyInitialized)?;
    crate::adapter::key::create();
    crate::extra::seed();
    GATE.open();
    Ok(())
}

/// Whether [`init`] has run.
#[inline]
pub fn is_initialized() -> bool {
    GATE.is_open()
}

/// Waits until [`init`] has run (fast path: one load).
///
/// # References
/// Go `runtime/cgo/gcc_libinit_unix.c`: `_cgo_wait_runtime_init_done`.
#[inline]
pub(crate) fn wait_ready() -> &'static dyn Runtime {
    if let Some(rt) = ready_runtime() {
        return rt;
    }
    wait_slow()
}

/// The registered runtime once [`init`] has finished, without waiting.
#[inline(always)]
pub(crate) fn ready_runtime() -> Option<&'static dyn Runtime> {
    if is_initialized() { get() } else { None }
}

#[cold]
fn wait_slow() -> &'static dyn Runtime {
    GATE.wait();
    match get() {
        Some(rt) => rt,
        None => crate::fatal(format_args!(
            "callback: initialisation reported ready without a runtime"
        )),
    }
}

/// What a panic escaping an exported function does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PanicPolicy {
    /// Print one line naming the exported function and the payload, then abort.
    #[default]
    Abort,
    /// When the thread has runtime frames above the C frames (a foreign call made through
    /// [`call_foreign`](crate::call_foreign) is in progress), discard the C frames and
    /// resume the panic at that call site, as Go does; on a foreign thread with nothing
    /// above, abort with a message. It takes effect for foreign calls begun while it is
    /// set: only those switch to the system stack with a frame that catches the panic
    /// (the default call leaves that frame out), so a panic in a callback of a call begun
    /// under `Abort` aborts, with a message saying so.
    Propagate,
}

/// What a foreign thread's context does after a callback.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BindPolicy {
    /// Keep the context bound to the thread until it exits (Go ≥ 1.21 `bindm`).
    #[default]
    StayBound,
    /// Return the context to the spare list after every callback (Go < 1.21, Windows).
    DetachEachCall,
}

// Independent settings (see `primitive`).
static PANIC_POLICY: independent::AtomicU8 = independent::AtomicU8::new(0);
static BIND_POLICY: independent::AtomicU8 = independent::AtomicU8::new(0);

/// Sets the process-wide panic policy.
pub fn set_panic_policy(p: PanicPolicy) {
    // Relaxed: an independent setting, read on its own by each panicking callback.
    PANIC_POLICY.store(p as u8, Ordering::Relaxed);
}

/// The process-wide panic policy (default [`PanicPolicy::Abort`]).
#[inline]
pub fn panic_policy() -> PanicPolicy {
    // Relaxed: see `set_panic_policy`.
    match PANIC_POLICY.load(Ordering::Relaxed) {
        0 => PanicPolicy::Abort,
        _ => PanicPolicy::Propagate,
    }
}

/// Sets the process-wide bind policy for foreign threads.
pub fn set_bind_policy(p: BindPolicy) {
    // Relaxed: an independent setting, read by each attaching callback.
    BIND_POLICY.store(p as u8, Ordering::Relaxed);
}

/// The process-wide bind policy (default [`BindPolicy::StayBound`]).
pub fn bind_policy() -> BindPolicy {
    // Relaxed: see `set_bind_policy`.
    match BIND_POLICY.load(Ordering::Relaxed) {
        0 => BindPolicy::StayBound,
        _ => BindPolicy::DetachEachCall,
    }
}
