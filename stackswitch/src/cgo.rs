//! The two cgo switches, composed from the primitives: a green thread calling
//! a function on its thread's system stack (Go's `asmcgocall`), and code on
//! the system stack calling back onto the suspended green thread's stack (Go's
//! `cgocallback`).
//!
//! ```text
//!   system stack                          green stack
//!   +-----------------------+             +-----------------------+
//!   | scheduler: resume(g)  |--switch---->| g's code              |
//!   |   saved sp = LINK     |             | on_system_stack(f) ---+--.
//!   |.......................|             |   curg_sp saved here  |  |
//! .-| f: C code             |<------------+-----------------------+  |
//! | |   callback            |                                        |
//! | |   on_green_stack(h) --+-----------> | h: Rust callback      |
//! | |   g0_sp saved here    |             |   on_system_stack(..) |  (nests)
//! | +-----------------------+             +-----------------------+
//! ```
//!
//! Each level saves the previous `curg_sp` / `g0_sp` on entry and restores it
//! on exit, so Rust→C→Rust→C→Rust chains of any depth unwind in order on both
//! stacks.

use crate::call::{switch_call, switch_call_nounwind};
use crate::thread;

/// Runs `f` on the current thread's system stack and returns its result
/// (Go's `asmcgocall` / `systemstack`).
///
/// Inside a green [`crate::Context`], the thread switches to the system stack
/// below the point where it left it (the scheduler's resume, or the C frames of
/// an enclosing [`on_green_stack`]), runs `f`, and switches back. On the system
/// stack already, `f` just runs. A panic in `f` reaches the caller as a panic.
///
/// While `f` runs, [`on_green_stack`] can switch back onto the green thread.
///
/// # References
/// Go `runtime/asm_amd64.s` (and arm64, riscv64), `asmcgocall`.
#[inline]
pub fn on_system_stack<R, F: FnOnce() -> R>(f: F) -> R {
    // Fast path, kept small enough to inline into every caller: on the system
    // stack already (one thread-local load), `f` just runs.
    if thread::with(|t| t.current.get().is_null()) {
        return f();
    }
    switch_to_system_stack::<R, F, true>(f)
}

/// [`on_system_stack`] for a function that does not panic, such as a call of a
/// C function that cannot call back into Rust: the same switch, without the
/// frame that catches a panic on the system stack to resume it on the green
/// one (a little cheaper: nothing is moved through a `Result`). If `f` panics
/// anyway, the process aborts there (the Rust runtime's "panic in a function
/// that cannot unwind"): the panic never unwinds through the switch.
///
/// # References
/// Go `runtime/asm_amd64.s` (and arm64, riscv64), `asmcgocall`.
#[inline]
pub fn on_system_stack_nounwind<R, F: FnOnce() -> R>(f: F) -> R {
    if thread::with(|t| t.current.get().is_null()) {
        return f();
    }
    switch_to_system_stack::<R, F, false>(f)
}

/// The switching part of [`on_system_stack`]: a green context runs here.
/// `CATCH`: whether a panic of `f` is caught on the system stack and resumed
/// on the green one ([`on_system_stack`]), or aborts the process
/// ([`on_system_stack_nounwind`]).
fn switch_to_system_stack<R, F: FnOnce() -> R, const CATCH: bool>(f: F) -> R {
    thread::with(|t| {
        let g = t.current.get();
        if g.is_null() {
            return f();
        }
        let g0_sp = t.g0_sp.get();
        let sys_sp = if g0_sp != 0 {
            g0_sp
        } else {
            // SAFETY: `current` is non-null, so a context runs on this thread;
            // following `parent` leads through the contexts that resumed each
            // other (all alive: each is blocked in its resume) to the one
            // resumed from the system stack, whose link slot holds the system
            // stack pointer saved by that resume.
            unsafe {
                let mut outer = g;
                while !(*outer).parent.get().is_null() {
                    outer = (*outer).parent.get();
                }
                *(*outer).link
            }
        };
        // The green thread's limit stays in its header (`Header::limit`);
        // with no context current, `t.limit` is again the limit of the stack
        // under the resumers, where `sys_sp` points.
        let saved = (t.curg.get(), t.curg_sp.get(), g0_sp);
        t.current.set(core::ptr::null());
        // On the system stack there is no override (see ThreadState::g0_sp).
        t.g0_sp.set(0);
        let restore = Restore(t, g, saved);
        let on_system = move |green_sp| {
            t.curg.set(g);
            t.curg_sp.set(green_sp);
            f()
        };
        // Everything below `sys_sp` on the system stack is dead: the thread
        // left the system stack there (a switch into the context, or the C
        // frames of the callback that resumed this green stack) and only comes
        // back to it when we return. The system stack ends in the thread's
        // guard area.
        let r = if CATCH {
            // SAFETY: the stack contract holds (above); a panic of `f` is
            // resumed here, and `restore` is dropped while it unwinds.
            unsafe { switch_call(sys_sp, on_system) }
        } else {
            // SAFETY: the stack contract holds (above); a panic of `f` aborts
            // inside the switch, so nothing unwinds past `restore`.
            unsafe { switch_call_nounwind(sys_sp, on_system) }
        };
        drop(restore);
        r
    })
}

/// Puts back the thread state that [`switch_to_system_stack`] changed: the
/// green context as current, and the outer level's `curg`, `curg_sp`, `g0_sp`.
struct Restore<'a>(
    &'a thread::ThreadState,
    *const crate::context::Header,
    (*const crate::context::Header, usize, usize),
);

impl Drop for Restore<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        self.0.current.set(self.1);
        self.0.curg.set(self.2.0);
        self.0.curg_sp.set(self.2.1);
        self.0.g0_sp.set(self.2.2);
    }
}

/// Runs `f` back on the green thread that is waiting in [`on_system_stack`]
/// on this thread (Go's `cgocallback`), and returns its result.
///
/// The current (system) stack pointer is recorded first, so that an
/// [`on_system_stack`] inside `f` continues below the caller's C frames, and is
/// restored afterwards. When no green thread is waiting (a thread that never
/// ran one, or code already on a green stack), `f` just runs on the current
/// stack. A panic in `f` reaches the caller as a panic: a caller that is an
/// `extern "C"` function called by C must catch it before returning to C.
///
/// # References
/// Go `runtime/asm_amd64.s` (and arm64, riscv64), `cgocallback`.
#[inline]
pub fn on_green_stack<R, F: FnOnce() -> R>(f: F) -> R {
    // Fast path, kept small enough to inline into every caller: no green
    // thread waits in `on_system_stack` here (two thread-local loads).
    if thread::with(|t| !t.current.get().is_null() || t.curg.get().is_null()) {
        return f();
    }
    switch_to_green_stack(f)
}

/// The switching part of [`on_green_stack`]: a green thread waits in
/// [`on_system_stack`] on this thread.
fn switch_to_green_stack<R, F: FnOnce() -> R>(f: F) -> R {
    thread::with(|t| {
        let g = t.curg.get();
        if !t.current.get().is_null() || g.is_null() {
            return f();
        }
        let green_sp = t.curg_sp.get();
        let saved = (t.g0_sp.get(), t.curg_sp.get());
        struct Restore<'a>(
            &'a thread::ThreadState,
            *const crate::context::Header,
            (usize, usize),
        );
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                // SAFETY: `self.1` is the live header of the green thread
                // blocked in on_system_stack; only its Cell is touched.
                unsafe { (*self.1).callbacks.set((*self.1).callbacks.get() - 1) };
                self.0.current.set(core::ptr::null());
                self.0.g0_sp.set(self.2.0);
                self.0.curg.set(self.1);
                self.0.curg_sp.set(self.2.1);
            }
        }
        // SAFETY: `g` is the live header of the green thread blocked in
        // on_system_stack; Restore undoes this.
        unsafe { (*g).callbacks.set((*g).callbacks.get() + 1) };
        let _restore = Restore(t, g, saved);
        // SAFETY: the green thread `g` is blocked in on_system_stack, which
        // left its stack at `green_sp`; everything below is dead until that
        // call returns, which cannot happen before we return (we run inside
        // it, on the system stack). The green stack ends in its guard page.
        unsafe {
            switch_call(green_sp, move |system_sp| {
                t.g0_sp.set(system_sp);
                // The green thread's limit is live again through its header.
                t.current.set(g);
                t.curg.set(core::ptr::null());
                t.curg_sp.set(0);
                f()
            })
        }
    })
}

/// Whether the caller runs on its thread's system stack (not on a green
/// context's stack).
pub fn on_system_stack_now() -> bool {
    thread::with(|t| t.current.get().is_null())
}

/// Whether a green thread of this thread is waiting in [`on_system_stack`], so
/// that [`on_green_stack`] would switch to it.
pub fn green_thread_waiting() -> bool {
    thread::with(|t| t.current.get().is_null() && !t.curg.get().is_null())
}
