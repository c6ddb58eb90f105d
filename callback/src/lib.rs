//! C calling back into a green-thread runtime, on runtime threads and on foreign threads.
//!
//! This is Go's `cgocallback` side of the boundary, for any Rust runtime: when C calls
//! an exported function, the thread either is a runtime thread inside a foreign call
//! (runtime frames above the C frames) or a thread the runtime never created. Both go
//! through one sequence ([`callback`]): update the system-stack bounds, lock the green
//! thread to the OS thread, leave the foreign-code accounting state, refuse if the C
//! function was declared `nocallback`, run the body (on the green thread's stack on a
//! runtime thread), then undo all of it in reverse.
//!
//! # Parts
//! - [`ThreadContext`]: the per-thread runtime context ("M"), reached through one
//!   `const` thread-local load ([`with_current`]).
//! - The [spare list](spare_stats) of extra contexts for foreign threads: Go's lock-bit
//!   protocol and waiter count, but a taker never waits (it creates a context when the
//!   list is empty or held), so a signal handler calling in mid-attach cannot deadlock.
//! - Attach and detach do not block signals (Go's `needm`/`dropm` do, with two or three
//!   `rt_sigprocmask` calls per thread): the thread marks its attach or detach in a
//!   thread-local phase, and a callback from a signal handler that interrupts it, or
//!   that arrives after the context was returned at thread exit, borrows a second
//!   context for its duration, as Go does for a signal on a thread without an M. An
//!   attach leaves the last spare on the list for such a callback.
//! - Foreign threads attach on their first call and stay bound until they exit (a
//!   thread-key destructor returns the context), or detach after each call
//!   ([`BindPolicy`]). A bound thread's steady-state callback makes no system call.
//! - [`call_foreign`] / [`call_foreign_on`]: the runtime's side of a foreign call,
//!   recorded so callbacks know what is above them (nesting Rust → C → Rust → C … to any
//!   depth); `call_foreign_on` accounts the call on a `syscall_accounting::Processor`,
//!   and a callback exits and re-enters it around the Rust code;
//!   [`call_foreign_on_with`] does the same through the worker's switching state and
//!   call counter, looked up once by the runtime instead of per call, and a
//!   [`RuntimeThread`] (made once per worker) also holds the thread's context, so its
//!   foreign calls and the callbacks its `extern "C"` wrappers route to it look nothing
//!   up ([`RuntimeThread::callback_locking`] also takes the green-thread lock from the
//!   caller, who has the green thread at hand).
//! - On a foreign thread, the context takes a processor from [`Runtime::procs`] on its
//!   first callback and keeps it parked in the foreign-code state between callbacks: the
//!   next callback reclaims it on the accounting fast path unless the monitor handed it
//!   on meanwhile.
//! - [`Runtime`]: what the crate needs from a scheduler ([`ThreadsOnly`] for hosts
//!   without green threads); [`init`] registers it and releases callbacks that arrived
//!   before initialisation.
//! - [`PanicPolicy`]: abort with a line naming the function (default), or propagate
//!   the panic to the Rust call site of the foreign call, discarding the C frames.
//!
//! # Example
//! ```
//! use callback::{ForeignFn, ThreadsOnly, call_foreign, callback};
//!
//! static RT: ThreadsOnly = ThreadsOnly;
//! let _ = callback::init(&RT);
//!
//! // The exported function C would call.
//! extern "C" fn twice(x: i32) -> i32 {
//!     callback("twice", || 2 * x)
//! }
//! // A "C function" that calls back, called through the runtime's foreign-call path.
//! const C_APPLY: ForeignFn = ForeignFn::new("c_apply");
//! let r = call_foreign(&C_APPLY, || twice(21));
//! assert_eq!(r, 42);
//! ```
//!
//! # Panics through C
//! With [`PanicPolicy::Propagate`] a panic unwinds through the C frames to
//! [`call_foreign`]: the C code must be compiled with unwind tables (GCC and Clang emit
//! them by default on x86_64 and aarch64 Linux; pass `-funwind-tables` elsewhere) and the
//! exported wrapper and the foreign declaration must use the `"C-unwind"` ABI. The C
//! frames have no destructors, so none of their code runs: they are discarded, as Go
//! discards them. A call that begins under [`PanicPolicy::Abort`] cannot unwind (its
//! callbacks abort first): [`RuntimeThread::call_foreign_on_unwinding`] tells its
//! closure so, and the closure may then call the function through an `extern "C"`
//! declaration, which lets the switch to the system stack end in a tail call into C.
//!
//! # Verification
//! - `tests/syscall_budget.rs` traces a child process (`strace -f` natively, qemu's
//!   `-strace` under emulation) and proves zero system calls for 1,000 steady-state
//!   callbacks on a bound foreign thread and for 1,000 foreign calls with a callback on a
//!   runtime thread holding a processor, and holds a new thread's attach + exit to 4
//!   system calls beyond a plain thread, none of them a signal-mask change (a control
//!   callback making `getppid` shows the counter sees calls). Without `strace` the tests fail saying so, unless
//!   `CBT_SKIP_STRACE=1` is set.
//! - Loom models of the spare list and the initialisation gate (`src/tests/loom.rs`):
//!   `RUSTFLAGS="--cfg loom" cargo test -p callback --release --lib loom`.
//!
//! # Supported targets
//! | target | status |
//! |---|---|
//! | x86_64, aarch64, riscv64 Linux (glibc) | supported, tested (the latter two under qemu) |
//! | x86_64, aarch64 macOS | compiles (pthread keys, `stackswitch` support) |
//! | Windows | not supported: fails to compile with a message (from `stackswitch` first, then this crate) |
//!
//! # Cargo features
//! None.

#![cfg_attr(not(unix), allow(unused))]

#[cfg(not(unix))]
compile_error!(
    "callback does not support this OS yet: it needs pthread thread-key destructors to \
     return a foreign thread's context at exit (Windows would need FLS callbacks) and \
     stackswitch support; supported: Linux and macOS"
);

mod adapter;
mod context;
mod entry;
mod extra;
mod foreign;
mod primitive;
mod runtime;

#[cfg(test)]
mod tests;

pub use context::{Bounds, ThreadContext, with_current};
pub use entry::{callback, callback_with_context};
#[doc(hidden)]
pub use extra::{SpareListHold, hold_spare_list};
pub use extra::{SpareStats, spare_stats};
pub use foreign::{
    ForeignFn, RuntimeThread, Unwinding, call_foreign, call_foreign_on, call_foreign_on_with,
};
pub use runtime::{
    AlreadyInitialized, BindPolicy, Green, PanicPolicy, Runtime, ThreadsOnly, bind_policy, init,
    is_initialized, panic_policy, set_bind_policy, set_panic_policy,
};

/// Prints one line to stderr and aborts the process.
#[cold]
#[inline(never)]
pub(crate) fn fatal(args: core::fmt::Arguments<'_>) -> ! {
    use std::io::Write;
    let line = format!("{args}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    std::process::abort()
}
