//! Stacks, stack switching, system-stack bounds and overflow detection: the
//! bottom layer of a green-thread runtime that calls C the way Go's cgo does.
//!
//! This crate is part of the cgo-rs workspace; see the workspace README for the
//! crate map. A leaf crate: it depends on no sibling crate.
//!
//! # Parts
//!
//! - [`Stack`] and [`StackPool`]: `mmap`ed stacks with a guard page, reused
//!   through a pool. Allocation failure is a [`StackError`].
//! - [`on_stack`] / [`on_stack_raw`]: run a closure on another stack and return
//!   its result (panics are caught on the other stack and resumed on return).
//! - [`Context`], [`Yielder`], [`Resume`]: green threads. Create one on a
//!   [`Stack`], [`Context::resume`] it, [`Yielder::suspend`] out of it, and get
//!   its return value or panic back. [`ContextOptions`] can drop the x86_64
//!   floating-point control words from the switch; [`SendContext`] lets a
//!   runtime move contexts between threads; a [`CurrentThread`] lets a scheduler
//!   loop look its thread's switching state up once instead of per resume.
//! - [`on_system_stack`] (Go's `asmcgocall`) and [`on_green_stack`] (Go's
//!   `cgocallback`): the two cgo switches, nestable to any depth.
//! - System-stack bounds: [`thread_stack_bounds`] (real, cached per thread),
//!   [`StackBounds::estimate`], [`SystemStack`] with its accuracy flag and
//!   [`SystemStack::guard_limit`], [`update_for_callback`] /
//!   [`enter_callback`] (Go's `callbackUpdateSystemStack`),
//!   [`register_current_thread`] for runtime threads, and [`remaining_stack`].
//! - Overflow detection: [`install_overflow_handler`] (done for you by
//!   [`Stack::new`] and [`register_current_thread`]) reports a fault in a
//!   known guard page as one line naming the stack, then aborts; other faults
//!   go to the previous handler. [`ensure_signal_stack`] gives threads started
//!   by C a signal stack to run the handler on.
//! - [`thread_slot!`]: a per-thread pointer that code running on green threads
//!   may read without a call (a `thread_local!` read inlined into a loop that
//!   switches may be computed once, on the thread the loop started on); see
//!   [`slot`].
//! - The switch routines carry DWARF CFI: backtraces (and gdb's `bt`) taken in
//!   [`on_stack`] or in a context continue into the code that switched.
//!
//! # Panics across switches
//!
//! A panic never unwinds through the switching assembly: [`on_stack`],
//! [`on_system_stack`] and [`on_green_stack`] catch it on the stack where it
//! happened and resume it on the caller's stack (identical on every
//! architecture, and no unwind tables are needed across the switch); a
//! context's panic is returned as [`Resume::Panicked`]. The `_nounwind`
//! variants ([`on_system_stack_nounwind`], [`on_system_stack_leaf`],
//! [`on_green_stack_nounwind`]) leave that catching frame out, for closures
//! that cannot panic or catch their own panics (a C call; a callback body):
//! a panic reaching their switch aborts the process instead.
//!
//! # How the cgo switches compose
//!
//! A scheduler on a worker thread ([`register_current_thread`]) resumes
//! contexts. A context calls C with [`on_system_stack`], which runs on the
//! thread's own stack below the point where the scheduler left it. C calls
//! back; the callback (an `extern "C"` function) uses [`enter_callback`] to
//! settle the system-stack bounds and [`on_green_stack`] to continue on the
//! context's stack, below its suspended frames. Every level records the stack
//! pointer it left and restores the previous one on return. A context may not
//! suspend while a callback from C runs on it (the C frames would be
//! overwritten); [`Yielder::suspend`] panics with a message in that case.
//!
//! # Example
//!
//! ```
//! use stackswitch::{Context, Resume, Stack, on_system_stack, remaining_stack};
//!
//! // A green thread that calls "C" on the system stack, then yields.
//! let mut g = Context::new(Stack::new(64 * 1024)?, |y, n| {
//!     let on_green = remaining_stack().unwrap();
//!     assert!(on_green < 64 * 1024);
//!     let doubled = on_system_stack(|| n * 2); // runs on the thread's own stack
//!     let next = y.suspend(doubled);
//!     next + 1
//! });
//! assert!(matches!(g.resume(21), Resume::Suspended(42)));
//! assert!(matches!(g.resume(9), Resume::Returned(10)));
//! # Ok::<(), stackswitch::StackError>(())
//! ```
//!
//! # Supported targets
//!
//! | target | status |
//! |---|---|
//! | x86_64 Linux (glibc) | tested |
//! | aarch64 Linux (glibc) | tested (qemu) |
//! | riscv64 Linux (glibc) | tested (qemu) |
//! | x86_64 / aarch64 macOS | compiles (Mach-O assembly, `pthread_get_stackaddr_np`) |
//! | Windows | compile error naming what is missing |
//!
//! # Performance
//!
//! `benches/switch.rs` measures, in one run each: `on_stack` against
//! `psm::on_stack` and a direct call, and a context resume+suspend round trip
//! against `corosensei` resume+yield and a direct call, with and without
//! floating-point control preservation; a third group times the x86_64
//! control-word instructions alone. On the development machine (a shared
//! 2-core AMD EPYC (Zen 4) VM, 0.1.8; the like-for-like row and corosensei:
//! medians of 14 runs interleaved with the same bench of 0.1.7, the others:
//! three runs):
//!
//! | round trip | ns | × corosensei |
//! |---|---|---|
//! | direct call | 1.39–1.44 | 0.36 |
//! | corosensei (preserves neither MXCSR nor the x87 control word) | 3.97 | 1 |
//! | `ContextOptions { preserve_fp_control: false }` (same registers as corosensei) | 4.10 | 1.03 |
//! | default (MXCSR and x87 control word preserved, as the ABI requires) | 14.7–15.1 | 3.7–3.8 |
//!
//! On the runs' minima the like-for-like ratio is 1.01 (3.93 ns against
//! 3.90 ns); 0.1.7 took 1.12× in the same runs. `on_stack` takes 3.85 ns
//! against psm's 5.23 ns (0.74×, see its docs). The round trip is bound by
//! loads and stores, so the switch keeps them few: the resumer half has no
//! floating-point code and no state flags, the context's stack pointer and a
//! cancellation travel in registers, the context's half touches no thread
//! state, and `suspend` checks its preconditions with one load (see
//! [`Yielder::suspend`] and the x86_64 back end's docs). A round trip makes 27
//! loads and stores to corosensei's 26; the extra one, and most of the
//! remaining difference, is the record of which context runs on the thread,
//! which [`on_system_stack`] and callbacks need. Our round trip also varies
//! more from run to run than corosensei's (3.9–5.2 ns in ten fresh processes,
//! against 3.9–4.1 ns). A likely cause, not confirmed: it touches two more
//! cache lines (the header and the thread's state), so where the allocator
//! and the kernel place them relative to the stacks matters.
//!
//! The default cannot get close: each direction has to read MXCSR once
//! (`stmxcsr`, 4.2 ns on that processor and not overlapped with other work),
//! so two reads cost more than corosensei's whole round trip; the reloads
//! (`ldmxcsr` / `fldcw`) only run when the two sides' words differ. The
//! x86_64 back end's source docs give the argument.
//! [`ContextOptions::preserve_fp_control`] says what turning it off gives up.
//!
//! # Cargo features
//!
//! None.

cfg_if::cfg_if! {
    if #[cfg(all(
        any(target_os = "linux", target_vendor = "apple"),
        any(target_arch = "x86_64", target_arch = "aarch64", all(target_arch = "riscv64", target_os = "linux")),
    ))] {
        #[macro_use]
        mod arch;
        mod bounds;
        mod call;
        mod cgo;
        mod context;
        mod os;
        mod overflow;
        mod primitive;
        pub mod slot;
        mod stack;
        mod thread;
        #[cfg(test)]
        mod tests;

        pub use bounds::{
            BoundsUpdate, CallbackBounds, ESTIMATE_ABOVE, ESTIMATE_BELOW, STACK_GUARD, StackBounds,
            SystemStack, ThreadRegistration, current_sp, enter_callback, register_current_thread,
            remaining_stack, set_system_stack, system_stack, thread_stack_bounds,
            update_for_callback,
        };
        pub use call::{on_stack, on_stack_raw};
        pub use cgo::{
            green_thread_waiting, on_green_stack, on_green_stack_nounwind, on_system_stack,
            on_system_stack_leaf, on_system_stack_nounwind, on_system_stack_now,
        };
        pub use context::{Context, ContextOptions, Resume, CurrentThread, SendContext, Yielder};
        pub use overflow::{ensure_signal_stack, install_overflow_handler};
        pub use stack::{Stack, StackError, StackPool};
    } else {
        // Exactly one error: arch/mod.rs ends in the compile_error! for this target.
        mod arch;
    }
}
