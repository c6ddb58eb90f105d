//! Being called by C: the [`export!`](macro@crate::export) macro and the runtime it plugs
//! into `callback`.
//!
//! # The call sequence
//!
//! A function defined with `export!` is an `extern "C-unwind"` function with an
//! unmangled name, callable from C at any time on any thread. Its body runs through
//! `callback`'s sequence (Go's `cgocallback`): on a runtime worker through the worker's
//! [`callback::RuntimeThread`], which the wrapper reaches through the worker state it
//! looks up for step 1 anyway (and the worker locks its green thread itself, step 3);
//! on any other thread through [`callback::callback`], which finds the thread's context:
//!
//! 1. **Refuse a `nocallback` violation**: if the calling thread is a runtime worker
//!    whose green thread is inside a C function declared `#[nocallback]`, print one
//!    line naming both functions and abort (before anything else happens).
//! 2. **Find or attach the thread's context**: a runtime worker inside a foreign call
//!    finds the record of that call (its green thread, its processor); a thread C
//!    created itself attaches an extra context on its first call and stays bound to
//!    it until it exits ([`callback::BindPolicy`]).
//! 3. **Lock the green thread to the OS thread** (its C frames are on this thread's
//!    stack; a green thread calling the function directly, from Rust, is locked as
//!    well, since the callback's state is its worker's): until the callback returns,
//!    the green thread's switch points
//!    ([`yield_now`](crate::yield_now), channel waits, [`sleep`](crate::sleep)) wait
//!    on the OS thread instead of switching to another green thread.
//! 4. **Leave foreign code** (take the processor back, waiting for one if the
//!    monitor handed it on), **run the body** — on a runtime worker on the green
//!    thread's own stack, so the body may make foreign calls of its own, nesting
//!    Rust → C → Rust → C to any depth — then **check the result** with `ptrcheck`
//!    (a returned value may not hold a pointer to unpinned managed memory, Go's
//!    `cgoCheckResult`) and **re-enter foreign code** on the way back to C.
//!
//! A panic in the body never unwinds into C silently: by default the process aborts
//! with a line naming the function ([`callback::PanicPolicy::Abort`]); with
//! [`callback::PanicPolicy::Propagate`] the panic discards the C frames and resumes
//! at the Rust call site of the foreign call (the C code must have unwind tables:
//! compile it with `-funwind-tables` or `-fexceptions`).
//!
//! # Foreign threads and processors
//!
//! The facade registers one process-wide adapter with [`callback::init`] the first
//! time a runtime is built or an exported function is called. Several facade runtimes
//! may exist at once, so callbacks on threads C created are not limited by any
//! runtime's processors (`callback::Runtime::procs` is `None`): they run on the
//! foreign thread, concurrently with the runtimes' workers.
//!
//! # References
//! Go `cmd/cgo/out.go` (the `//export` wrappers), `runtime/cgocall.go`
//! (`cgocallbackg`, `cgoCheckResult`).

use core::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};

use callback::Green;

use crate::runtime::sched::{Task, WorkerLocal, current_local, running_task};

/// The facade's side of the `callback::Runtime` contract, for all runtimes at once.
struct FacadeRuntime;

static FACADE: FacadeRuntime = FacadeRuntime;

/// Numbers for the placeholder green threads of extra contexts (odd, so they never
/// equal a task address, which is aligned).
static EXTRA_GREENS: AtomicUsize = AtomicUsize::new(1);

impl callback::Runtime for FacadeRuntime {
    fn current_green(&self) -> Option<Green> {
        let local = current_local()?;
        let t = running_task(local)?;
        NonZeroUsize::new(core::ptr::from_ref::<Task>(t) as usize).map(Green)
    }

    fn lock_to_thread(&self, g: Green) {
        if let Some(t) = task_of(g) {
            t.locked.set(t.locked.get() + 1);
        }
    }

    /// `current_green` + `lock_to_thread` with one worker lookup.
    fn lock_current_green(&self) -> Option<Green> {
        lock_running(current_local()?)
    }

    fn unlock_from_thread(&self, g: Green) {
        unlock(g);
    }

    fn new_extra_green(&self) -> Green {
        // Relaxed: a unique number is all that is needed.
        let n = EXTRA_GREENS.fetch_add(2, Ordering::Relaxed);
        Green(NonZeroUsize::new(n | 1).unwrap_or(NonZeroUsize::MIN))
    }

    fn free_extra_green(&self, _: Green) {}
}

/// Locks the green thread running on worker `local` to its thread and names it.
#[inline(always)]
fn lock_running(local: &WorkerLocal) -> Option<Green> {
    let t = running_task(local)?;
    t.locked.set(t.locked.get() + 1);
    NonZeroUsize::new(core::ptr::from_ref::<Task>(t) as usize).map(Green)
}

/// Undoes [`lock_running`] (or `lock_to_thread`).
#[inline(always)]
fn unlock(g: Green) {
    if let Some(t) = task_of(g) {
        t.locked.set(t.locked.get().saturating_sub(1));
    }
}

/// The task behind `g`, if `g` names a task (extra contexts' placeholders are odd).
///
/// `callback` locks and unlocks only the green thread that `current_green` (or
/// `lock_current_green`, or the wrapper's `lock_running`) named when a callback arrived
/// on the calling thread: that task is alive and either suspended inside a foreign call
/// on this very thread or running the callback itself, locked to the thread, so no
/// lookup is needed to reach it.
#[inline]
fn task_of(g: Green) -> Option<&'static Task> {
    let addr = g.0.get();
    (addr & 1 == 0).then(|| {
        // SAFETY: an even `Green` was made from a live task's address; per the contract
        // above, that task is blocked in a foreign call on this thread, or runs the
        // callback itself, for the whole callback, and the worker holds its `Arc` until
        // the task switches out, which it cannot do while locked.
        unsafe { &*(addr as *const Task) }
    })
}

/// Registers the facade's adapter with `callback` (once per process; a no-op when
/// done already, or when another runtime was registered first).
#[inline]
pub(crate) fn ensure_init() {
    if !callback::is_initialized() {
        init_slow();
    }
}

#[cold]
#[inline(never)]
fn init_slow() {
    // Another host runtime may have registered first; callbacks then go through it.
    let _ = callback::init(&FACADE);
}

/// The body of every `export!` wrapper. Not public API.
#[doc(hidden)]
#[inline(always)]
pub fn enter<R: ptrcheck::Pointers>(name: &'static str, f: impl FnOnce() -> R) -> R {
    // A runtime worker (C called back during a foreign call of one of its green
    // threads, or a green thread called the function directly): its state has the
    // `nocallback` mark and the worker's `callback` context, so nothing else is looked
    // up. Any other thread goes through `callback`'s own lookup.
    let body = || {
        let r = crate::foreign::claimed(f);
        check_result(name, &r);
        r
    };
    let Some(l) = current_local() else {
        ensure_init();
        return callback::callback(name, body);
    };
    if let Some(c) = l.nocallback.get() {
        nocallback_violation(name, c.name);
    }
    // No `ensure_init`: building the worker's runtime registered the adapter. The green
    // thread a callback locks is the one this worker runs: locked here, without the
    // runtime's dynamic call and its second worker lookup.
    l.thread
        .callback_locking(name, || lock_running(l), unlock, body)
}

#[inline(always)]
fn check_result<R: ptrcheck::Pointers>(name: &'static str, r: &R) {
    if R::HAS_POINTERS {
        check_result_slow(name, r);
    }
}

#[inline(never)]
fn check_result_slow<R: ptrcheck::Pointers>(name: &'static str, r: &R) {
    if let Some(local) = current_local() {
        if let Err(v) = local.shared.checker.check_result(name, r) {
            panic!("{v}");
        }
    }
}

#[cold]
#[inline(never)]
fn nocallback_violation(name: &str, c_function: &str) -> ! {
    use std::io::Write;
    let line = format!(
        "facade: exported function `{name}` was called back from C function `{c_function}`, \
         which is declared #[nocallback] (function marked with #cgo nocallback called back \
         into Go); remove #[nocallback] from `{c_function}` or do not call `{name}` from it\n"
    );
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    std::process::abort()
}

/// Define Rust functions that C calls: each becomes an `extern "C-unwind"` function
/// with an unmangled symbol name, whose body runs through the callback protocol (see
/// the [module docs](mod@crate::export)).
///
/// ```
/// use std::ffi::c_int;
/// facade::export! {
///     /// Adds two numbers; C declares `int facade_doc_add(int, int);`.
///     pub fn facade_doc_add(a: c_int, b: c_int) -> c_int {
///         a + b
///     }
/// }
/// // C would call it; here Rust does, from a plain thread and from a green thread.
/// assert_eq!(std::thread::spawn(|| facade_doc_add(2, 3)).join().unwrap(), 5);
/// let rt = facade::Runtime::builder().processors(1).build()?;
/// assert_eq!(rt.block_on(|| facade_doc_add(20, 22)), 42);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Safety contract
/// The symbol is global: two exported functions with one name fail to link. C must
/// call it with the declared signature (C types matching the Rust ones), on a thread
/// with at least a few KiB of stack left, and must not switch stacks
/// (`swapcontext`, fibers) between a Rust foreign call and the callback it makes.
/// The macro itself needs no `unsafe`: the body is ordinary Rust, and a panic in it
/// is handled by [`callback::PanicPolicy`], never unwound into C unannounced.
/// The result type must implement [`ptrcheck::Pointers`] (it is checked like Go's
/// `cgoCheckResult`).
#[macro_export]
macro_rules! export {
    ($(
        $(#[$attr:meta])*
        $vis:vis fn $name:ident ( $($arg:ident : $ty:ty),* $(,)? ) $(-> $ret:ty)? $body:block
    )*) => {$(
        $(#[$attr])*
        #[unsafe(no_mangle)]
        $vis extern "C-unwind" fn $name($($arg: $ty),*) $(-> $ret)? {
            $crate::export::enter(::core::stringify!($name), move || $body)
        }
    )*};
}
