//! System-stack bounds: the real per-thread bounds (queried once per thread and
//! cached), the stack-pointer estimate, the guard limit, and the decision made
//! when C calls back in (`update_for_callback`).

use crate::arch;
use crate::os::{Imp, OsImp};
use crate::overflow::{self, Kind, Registration};
use crate::stack::StackError;
use crate::thread::{self, QUERY_PENDING};

/// Bytes kept free above the guard limit: Go's `stackGuard` on Linux
/// (`800` nosplit + `128` small-frame slack, no OS extra).
///
/// # References
/// Go `runtime/stack.go`, `stackGuard`; `internal/abi/stack.go`.
pub const STACK_GUARD: usize = 928;
/// An estimate from a stack pointer reaches this far above it.
pub const ESTIMATE_ABOVE: usize = 1024;
/// An estimate from a stack pointer reaches this far below it.
pub const ESTIMATE_BELOW: usize = 32 * 1024;

/// A stack's address range `[lo, hi)`; the stack grows down from `hi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct StackBounds {
    /// Lowest usable address.
    pub lo: usize,
    /// One past the highest usable address.
    pub hi: usize,
}

impl StackBounds {
    /// Whether a stack pointer `sp` lies in these bounds, as Go tests it:
    /// `lo < sp <= hi` (an empty stack has `sp == hi`).
    pub fn contains_sp(&self, sp: usize) -> bool {
        self.lo < sp && sp <= self.hi
    }

    /// `hi - lo`.
    pub fn size(&self) -> usize {
        self.hi.saturating_sub(self.lo)
    }

    /// The estimate used when the real bounds are unknown or do not contain
    /// `sp`: `[sp - 32 KiB, sp + 1 KiB)`.
    ///
    /// # References
    /// Go `runtime/cgocall.go`, `callbackUpdateSystemStack`.
    pub fn estimate(sp: usize) -> StackBounds {
        StackBounds {
            lo: sp.saturating_sub(ESTIMATE_BELOW),
            hi: sp.saturating_add(ESTIMATE_ABOVE),
        }
    }
}

/// The bounds this crate records for the current thread's system stack, and
/// whether they are the real ones (`accurate`) or an estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SystemStack {
    /// The recorded bounds; all zero when never set.
    pub bounds: StackBounds,
    /// `true` when `bounds` came from the OS and contain the stack pointer
    /// they were set for.
    pub accurate: bool,
}

impl SystemStack {
    /// Nothing recorded (Go: after `dropm`).
    pub const UNSET: SystemStack = SystemStack {
        bounds: StackBounds { lo: 0, hi: 0 },
        accurate: false,
    };

    /// Lowest stack pointer code may run at before it must stop: `lo + STACK_GUARD`.
    pub fn guard_limit(&self) -> usize {
        self.bounds.lo.saturating_add(STACK_GUARD)
    }

    /// Whether anything is recorded.
    pub fn is_set(&self) -> bool {
        self.bounds.hi != 0
    }
}

/// The calling thread's real stack bounds from the OS, queried on the first
/// call on each thread and cached: Linux `pthread_getattr_np` +
/// `pthread_attr_getstack`, macOS `pthread_get_stackaddr_np` (the high end) and
/// `pthread_get_stacksize_np`. `None` when the OS cannot tell.
///
/// With glibc, once the first threads have shown where their thread descriptor
/// keeps the stack block (the fields `pthread_getattr_np` reads; learned and
/// confirmed at run time against `pthread_getattr_np`, never assumed), later
/// threads read those fields directly: the same bounds without the
/// `sched_getaffinity` system call and the `malloc` that `pthread_getattr_np`
/// adds, which were most of the cost of a new C thread's first callback.
///
/// # References
/// Go `runtime/cgo/pthread_unix.c`, `x_cgo_getstackbound`.
pub fn thread_stack_bounds() -> Option<StackBounds> {
    os_bounds().map(|(lo, hi, _)| StackBounds { lo, hi })
}

fn os_bounds() -> Option<(usize, usize, usize)> {
    thread::with(|t| {
        let mut b = t.os_bounds.get();
        if b.0 == QUERY_PENDING {
            b = Imp::thread_stack().unwrap_or((0, 0, 0));
            t.os_bounds.set(b);
        }
        if b.0 == 0 || b.0 >= b.1 {
            None
        } else {
            Some(b)
        }
    })
}

/// The system-stack bounds recorded for the calling thread (see
/// [`update_for_callback`], [`register_current_thread`]). One thread-local
/// load; inlined so callers' hot paths pay no call.
#[inline]
pub fn system_stack() -> SystemStack {
    thread::with(|t| t.system.get())
}

/// Records `s` as the calling thread's system stack (for example a snapshot
/// taken before a nested callback, or [`SystemStack::UNSET`] when a foreign
/// thread leaves the runtime: Go's `dropm`). One thread-local store.
#[inline]
pub fn set_system_stack(s: SystemStack) {
    thread::with(|t| t.system.set(s));
}

/// What [`update_for_callback`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoundsUpdate {
    /// The recorded bounds were trusted and left alone.
    pub kept: bool,
    /// The bounds before the call.
    pub previous: SystemStack,
    /// The bounds now recorded.
    pub current: SystemStack,
}

impl BoundsUpdate {
    /// Whether the recorded stack changed (different bounds or accuracy).
    pub fn changed(&self) -> bool {
        self.previous != self.current
    }
}

/// Decides the system-stack bounds when C calls in at stack pointer `sp`
/// (`in_signal`: called from a signal handler, running on the sigaltstack).
///
/// 1. If the recorded bounds contain `sp` (`lo < sp <= hi`) and are accurate,
///    keep them.
/// 2. Otherwise estimate `[sp - 32 KiB, sp + 1 KiB)`, not accurate.
/// 3. Unless `in_signal`, take the thread's real bounds (cached, see
///    [`thread_stack_bounds`]) instead when they contain `sp`, and mark them
///    accurate. Real bounds that do not contain `sp` are ignored: the thread
///    is on a stack of its own making (makecontext, fibers; Go issue 62440).
///
/// The guard limit is then [`SystemStack::guard_limit`].
///
/// # References
/// Go `runtime/cgocall.go`, `callbackUpdateSystemStack`.
pub fn update_for_callback(sp: usize, in_signal: bool) -> BoundsUpdate {
    let previous = system_stack();
    if previous.accurate && previous.bounds.contains_sp(sp) {
        return BoundsUpdate {
            kept: true,
            previous,
            current: previous,
        };
    }
    let mut current = SystemStack {
        bounds: StackBounds::estimate(sp),
        accurate: false,
    };
    if !in_signal {
        if let Some(real) = thread_stack_bounds() {
            if real.contains_sp(sp) {
                current = SystemStack {
                    bounds: real,
                    accurate: true,
                };
            }
        }
    }
    set_system_stack(current);
    BoundsUpdate {
        kept: false,
        previous,
        current,
    }
}

/// Snapshot of the recorded bounds around one callback; restores them on drop
/// so nested callbacks see their outer bounds again (Go's `cgocallbackg`).
#[derive(Debug)]
pub struct CallbackBounds {
    saved: SystemStack,
    update: BoundsUpdate,
    _not_send: core::marker::PhantomData<*const ()>,
}

impl CallbackBounds {
    /// What entering did.
    pub fn update(&self) -> BoundsUpdate {
        self.update
    }
}

impl Drop for CallbackBounds {
    fn drop(&mut self) {
        set_system_stack(self.saved);
    }
}

/// Snapshots the recorded bounds, then runs [`update_for_callback`]`(sp, false)`;
/// the returned guard puts the snapshot back when dropped.
///
/// # References
/// Go `runtime/cgocall.go`, `cgocallbackg`.
pub fn enter_callback(sp: usize) -> CallbackBounds {
    let saved = system_stack();
    let update = update_for_callback(sp, false);
    CallbackBounds {
        saved,
        update,
        _not_send: core::marker::PhantomData,
    }
}

/// The current stack pointer.
#[inline(always)]
pub fn current_sp() -> usize {
    arch::current_sp()
}

/// Bytes left below the current stack pointer on the stack the caller runs
/// on: a context's stack, an [`crate::on_stack`] stack, or the system stack
/// (recorded bounds if they contain the stack pointer, else the OS bounds).
/// `None` when the bounds of the system stack are unknown.
///
/// The stack is found from the stack pointer, in this order: the range
/// recorded for the running context (or [`crate::on_stack_raw`] call); the
/// thread's recorded system stack when accurate; the registered stack the
/// previous query on this thread found; the system stack, when the thread's
/// OS bounds (queried once per thread) contain the stack pointer; any
/// registered stack (each [`crate::Stack`], and the system stack of each
/// registered thread: a walk of the registry, whose answer is kept for the
/// next query); the recorded system stack (an estimate made off the thread's
/// own stack, or with the OS bounds unknown).
/// [`crate::on_stack`] records nothing, so that it costs no more than the
/// switch itself: queries inside it take the third step after the first, and
/// queries on the system stack never walk the registry.
pub fn remaining_stack() -> Option<usize> {
    let sp = arch::current_sp();
    // `Ok(lo)`: the stack's lowest usable address; `Err`: not known from the
    // thread's state alone (with the recorded system stack, for later).
    let known = thread::with(|t| {
        let (lo, hi) = thread::range(t);
        if lo <= sp && sp < hi {
            return Ok(lo);
        }
        let system = t.system.get();
        if system.accurate && system.bounds.contains_sp(sp) {
            return Ok(system.bounds.lo);
        }
        let found = t.found.get();
        if found.holds(sp) {
            return Ok(found.lo);
        }
        Err(system)
    });
    let system = match known {
        Ok(lo) => return Some(sp - lo),
        Err(system) => system,
    };
    // On the system stack: the recorded bounds if they contain the stack
    // pointer (an estimate), else the OS bounds.
    let os = thread_stack_bounds();
    if let Some(os) = os.filter(|b| b.contains_sp(sp)) {
        let lo = if system.bounds.contains_sp(sp) {
            system.bounds.lo
        } else {
            os.lo
        };
        return Some(sp - lo);
    }
    if let Some(found) = overflow::stack_containing(sp) {
        // Kept for the next query (the state is looked up anew: references to
        // it do not outlive one `thread::with`).
        thread::with(|t| t.found.set(found));
        return Some(sp - found.lo);
    }
    // A recorded estimate off the thread's own stack (a callback from a stack
    // the C code made itself, such as a makecontext stack).
    system.bounds.contains_sp(sp).then(|| sp - system.bounds.lo)
}

/// A runtime thread registered with [`register_current_thread`]; its guard
/// range stays known to the overflow handler, and the signal stack installed
/// for it stays installed, until the thread's last registration is dropped.
#[derive(Debug)]
pub struct ThreadRegistration {
    system: SystemStack,
    _not_send: core::marker::PhantomData<*const ()>,
}

impl ThreadRegistration {
    /// The bounds recorded for the thread.
    pub fn system_stack(&self) -> SystemStack {
        self.system
    }
}

impl Drop for ThreadRegistration {
    fn drop(&mut self) {
        // A registration is not Send: this runs on the thread it registered.
        let last = thread::with(|t| {
            let n = t.registrations.get() - 1;
            t.registrations.set(n);
            n == 0
        });
        if !last {
            return;
        }
        let slot = thread::with(|t| t.guard_slot.replace(core::ptr::null()));
        if !slot.is_null() {
            // SAFETY: a non-null `guard_slot` was set from
            // `Registration::into_slot` by this thread's first registration
            // and is taken (replaced by null) exactly once, here; registry
            // slots are 'static.
            drop(Registration::from_slot(unsafe { &*slot }));
        }
        overflow::release_registration_alt_stack();
    }
}

/// Prepares the calling thread to run contexts and C code: records its real
/// system-stack bounds as accurate (Go's `mstart` for runtime-created threads),
/// registers the guard area below them with the overflow handler, installs the
/// handler and gives the thread a signal stack if it has none.
///
/// When the OS cannot tell the bounds, an estimate around the current stack
/// pointer is recorded instead (not accurate) and no guard is registered.
///
/// A thread registered already (a registration of it is alive) only gets its
/// bounds recorded again: the guard range and signal stack are shared, and
/// given back when the last registration is dropped. The signal stack, if this
/// installs one, comes from a pool of stacks of exited registrations and goes
/// back to it on drop (one `sigaltstack` call each way); nothing is allocated
/// and no thread-local destructor is registered, so a C thread that registers
/// once and exits stays cheap.
///
/// # Errors
/// The signal stack could not be mapped.
///
/// # References
/// Go `runtime/proc.go`, `mstart0` (OS-stack bounds for runtime threads) and
/// `runtime/cgo/pthread_unix.c`, `x_cgo_getstackbound`.
pub fn register_current_thread() -> Result<ThreadRegistration, StackError> {
    let first = thread::with(|t| t.registrations.get() == 0);
    if first {
        overflow::install_handler();
        overflow::ensure_registration_alt_stack()?;
    }
    let system = match os_bounds() {
        Some((lo, hi, guard)) => {
            if first {
                let guard = guard.max(Imp::page_size());
                let reg = overflow::register(
                    (lo.saturating_sub(guard), lo),
                    (lo, hi),
                    Kind::System(overflow::self_token()),
                );
                thread::with(|t| t.guard_slot.set(reg.into_slot()));
            }
            SystemStack {
                bounds: StackBounds { lo, hi },
                accurate: true,
            }
        }
        None => SystemStack {
            bounds: StackBounds::estimate(arch::current_sp()),
            accurate: false,
        },
    };
    thread::with(|t| t.registrations.set(t.registrations.get() + 1));
    set_system_stack(system);
    Ok(ThreadRegistration {
        system,
        _not_send: core::marker::PhantomData,
    })
}
