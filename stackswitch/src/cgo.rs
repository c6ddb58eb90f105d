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
//! | |   g0 sp saved here    |             |   on_system_stack(..) |  (nests)
//! | +-----------------------+             +-----------------------+
//! ```
//!
//! Each level saves what it replaces on entry (the green thread's `curg_sp`,
//! the slot holding the system stack pointer below which a green thread's
//! `on_system_stack` goes) and restores it on exit, so Rust→C→Rust→C→Rust
//! chains of any depth unwind in order on both stacks.

use crate::call::{switch_call, switch_call_nounwind};
use crate::context::{CurrentThread, IN_CALLBACK};
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
    thread::with(|t| switch_to_system_stack::<R, F, true>(t, f))
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
    thread::with(|t| switch_to_system_stack::<R, F, false>(t, f))
}

/// [`on_system_stack_nounwind`] for a leaf: a function that never calls back
/// onto the green thread, such as a C function declared not to call back into
/// Rust (Go's `#cgo nocallback`). The switch records nothing for
/// [`on_green_stack`], so it is cheaper still: it only moves the thread to
/// its system stack and marks it as being there.
///
/// Everything else holds as in [`on_system_stack_nounwind`]: inside `f`,
/// [`on_system_stack_now`] is true, [`crate::remaining_stack`] measures the
/// system stack, a context resumed inside `f` runs nested below it, and a
/// panic of `f` aborts the process. The one difference: an
/// [`on_green_stack`] inside `f` does not reach the caller's green thread. It
/// does what it would do if this switch were not there: it runs its closure
/// in place, or, when the caller is a context that was itself resumed on the
/// system stack inside an enclosing [`on_system_stack`], on the green thread
/// waiting in that enclosing call. Neither is unsafe, but neither is a
/// callback onto the caller: use [`on_system_stack`] for functions that may
/// call back.
///
/// # References
/// Go `runtime/asm_amd64.s` (and arm64, riscv64), `asmcgocall`; Go's
/// `#cgo nocallback` (`cmd/cgo`), which lets a call skip the callback
/// bookkeeping.
#[inline]
pub fn on_system_stack_leaf<R, F: FnOnce() -> R>(f: F) -> R {
    // One look at the thread state decides and does the switch (each look is
    // a call, see `thread::with`).
    thread::with(|t| leaf_on(t, f))
}

impl CurrentThread {
    /// [`on_system_stack`] on this thread (the calling one), without looking
    /// its state up again.
    ///
    /// # References
    /// Go `runtime/asm_amd64.s` (and arm64, riscv64), `asmcgocall`.
    #[inline]
    pub fn on_system_stack<R, F: FnOnce() -> R>(&self, f: F) -> R {
        switch_to_system_stack::<R, F, true>(self.state(), f)
    }

    /// [`on_system_stack_nounwind`] on this thread, without looking its state
    /// up again.
    ///
    /// # References
    /// Go `runtime/asm_amd64.s` (and arm64, riscv64), `asmcgocall`.
    #[inline]
    pub fn on_system_stack_nounwind<R, F: FnOnce() -> R>(&self, f: F) -> R {
        switch_to_system_stack::<R, F, false>(self.state(), f)
    }

    /// [`on_system_stack_leaf`] on this thread, without looking its state up
    /// again.
    ///
    /// # References
    /// Go `runtime/asm_amd64.s` (and arm64, riscv64), `asmcgocall`; Go's
    /// `#cgo nocallback`.
    #[inline]
    pub fn on_system_stack_leaf<R, F: FnOnce() -> R>(&self, f: F) -> R {
        leaf_on(self.state(), f)
    }

    /// [`on_green_stack`] on this thread, without looking its state up again:
    /// for a callback layer that keeps a runtime thread's handle in its
    /// per-thread record (it finds that record anyway when C calls in).
    ///
    /// # References
    /// Go `runtime/asm_amd64.s` (and arm64, riscv64), `cgocallback`.
    #[inline]
    pub fn on_green_stack<R, F: FnOnce() -> R>(&self, f: F) -> R {
        switch_to_green_stack::<R, F, true>(self.state(), f)
    }

    /// [`on_green_stack_nounwind`] on this thread, without looking its state
    /// up again.
    ///
    /// # References
    /// Go `runtime/asm_amd64.s` (and arm64, riscv64), `cgocallback`.
    #[inline]
    pub fn on_green_stack_nounwind<R, F: FnOnce() -> R>(&self, f: F) -> R {
        switch_to_green_stack::<R, F, false>(self.state(), f)
    }
}

/// [`on_system_stack_leaf`] on the thread whose state is `t` (the calling
/// thread's).
#[inline(always)]
fn leaf_on<R, F: FnOnce() -> R>(t: &thread::ThreadState, f: F) -> R {
    let Some((g, over, sys_sp)) = leaving_green(t) else {
        return f();
    };
    // On the system stack: no context current (so queries and a context
    // resumed inside `f` see the system stack), and so no `sys_link`.
    // `curg` / `curg_sp` are left as they are: that is the leaf's saving.
    t.current.set(core::ptr::null());
    if !over.is_null() {
        t.sys_link.set(core::ptr::null());
    }
    // SAFETY: as in `switch_to_system_stack`: everything below `sys_sp`
    // on the system stack is dead until we return, and the system stack
    // ends in the thread's guard area. A panic of `f` aborts inside the
    // switch, so the stores below always run before anything else reads the
    // state.
    let r = unsafe { switch_call_nounwind(sys_sp, move |_| f()) };
    t.current.set(g);
    // Whatever ran inside `f` left `sys_link` null again.
    if !over.is_null() {
        t.sys_link.set(over);
    }
    r
}

/// The current context, the thread's `sys_link` (to put back: null in the
/// usual case) and the system stack pointer below which the context switches
/// to run on the system stack; `None` when no context is current.
#[inline(always)]
fn leaving_green(
    t: &thread::ThreadState,
) -> Option<(*const crate::context::Header, *const usize, usize)> {
    let g = t.current.get();
    if g.is_null() {
        return None;
    }
    let over = t.sys_link.get();
    let slot = thread::sys_slot(over, g);
    // SAFETY: a context is current, so `slot` is the slot its system-stack
    // switches go below (`ThreadState::sys_link`): its own link, or that of
    // the outermost context running on this thread, whose resumer is blocked
    // in the switch that stored its stack pointer there, or the slot of the
    // callback that runs on this green thread, which lives in the callback's
    // frame on the system stack until the callback returns. Each holds a
    // stack pointer written before the context started to run.
    Some((g, over, unsafe { *slot }))
}

/// [`on_system_stack`] and [`on_system_stack_nounwind`] on the thread whose
/// state is `t` (the calling thread's): on the system stack already, `f` just
/// runs; in a green context, the switch. `CATCH`: whether a
/// panic of `f` is caught on the system stack and resumed on the green one
/// ([`on_system_stack`]), or aborts the process
/// ([`on_system_stack_nounwind`]).
#[inline]
fn switch_to_system_stack<R, F: FnOnce() -> R, const CATCH: bool>(
    t: &thread::ThreadState,
    f: F,
) -> R {
    let Some((g, over, sys_sp)) = leaving_green(t) else {
        return f();
    };
    // The green thread's limit stays in its header (`Header::limit`);
    // with no context current, `t.limit` is again the limit of the stack
    // under the resumers, where `sys_sp` points.
    let saved = (t.curg.get(), t.curg_sp.get());
    t.current.set(core::ptr::null());
    if !over.is_null() {
        t.sys_link.set(core::ptr::null());
    }
    let restore = Restore(t, g, over, saved);
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
}

/// Puts back the thread state that [`switch_to_system_stack`] changed: the
/// green context as current with its `sys_link` (only when that was set:
/// whatever ran in between left it null), and the outer level's `curg` and
/// `curg_sp`.
struct Restore<'a>(
    &'a thread::ThreadState,
    *const crate::context::Header,
    *const usize,
    (*const crate::context::Header, usize),
);

impl Drop for Restore<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        self.0.current.set(self.1);
        if !self.2.is_null() {
            self.0.sys_link.set(self.2);
        }
        self.0.curg.set(self.3.0);
        self.0.curg_sp.set(self.3.1);
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
    thread::with(|t| switch_to_green_stack::<R, F, true>(t, f))
}

/// [`on_green_stack`] for a function that does not panic, such as a callback
/// body that catches its own panics (an `extern "C"` function called by C
/// must catch them anyway): the same switch, without the frame that catches
/// a panic on the green stack to resume it on the system stack. If `f`
/// panics anyway, the process aborts there (the Rust runtime's "panic in a
/// function that cannot unwind"): the panic never unwinds through the switch.
///
/// # References
/// Go `runtime/asm_amd64.s` (and arm64, riscv64), `cgocallback`.
#[inline]
pub fn on_green_stack_nounwind<R, F: FnOnce() -> R>(f: F) -> R {
    thread::with(|t| switch_to_green_stack::<R, F, false>(t, f))
}

/// [`on_green_stack`] on the thread whose state is `t` (the calling thread's,
/// which stays the calling thread's until this returns: the green thread that
/// `f` runs on is blocked in a foreign call of this thread, so it cannot switch
/// away from it): when no green thread waits in [`on_system_stack`] here, `f`
/// just runs; otherwise the switch.
/// With `CATCH`, a panic of `f` is caught on the green stack and resumed on
/// the system stack ([`on_green_stack`]); without, it aborts
/// ([`on_green_stack_nounwind`]).
#[inline]
fn switch_to_green_stack<R, F: FnOnce() -> R, const CATCH: bool>(
    t: &thread::ThreadState,
    f: F,
) -> R {
    let g = t.curg.get();
    if !t.current.get().is_null() || g.is_null() {
        return f();
    }
    let green_sp = t.curg_sp.get();
    // SAFETY: `g` is the live header of the green thread blocked in
    // on_system_stack; only its Cell is read.
    let (limit, top) = unsafe { (*g).range.get() };
    // Where the callback's system stack pointer is kept while it runs (the
    // green thread's `sys_link` then): below it, the C frames that called
    // back stay intact when the callback calls `on_system_stack` again. It
    // lives in this frame, on the system stack, until the callback returns.
    let g0_sp = core::cell::Cell::new(0usize);
    let g0_slot = &g0_sp;
    // The state of the enclosing level (`current` is null here, and so is
    // the thread's `sys_link`, which is nulled again afterwards: the
    // `on_system_stack` this callback came from puts its own back).
    struct Restore<'a>(
        &'a thread::ThreadState,
        *const crate::context::Header,
        usize,
        usize,
    );
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            // SAFETY: `self.1` is the live header of the green thread
            // blocked in on_system_stack; only its Cell is touched.
            unsafe { (*self.1).set_limit(self.3) };
            self.0.current.set(core::ptr::null());
            self.0.sys_link.set(core::ptr::null());
            self.0.curg.set(self.1);
            self.0.curg_sp.set(self.2);
        }
    }
    // Marks the green thread as running a callback, which its `suspend`
    // refuses (C frames lie below its resumer); Restore puts the limit back
    // as it was (still marked when this callback is nested in another). The
    // top is only ever changed by `on_stack_raw`, which puts it back itself.
    // SAFETY: as above.
    unsafe { (*g).range.set((limit | IN_CALLBACK, top)) };
    let _restore = Restore(t, g, green_sp, limit);
    let on_green = move |system_sp| {
        g0_slot.set(system_sp);
        // The green thread's limit is live again through its header.
        t.current.set(g);
        t.sys_link.set(g0_slot.as_ptr());
        t.curg.set(core::ptr::null());
        t.curg_sp.set(0);
        f()
    };
    if CATCH {
        // SAFETY: the green thread `g` is blocked in on_system_stack, which
        // left its stack at `green_sp`; everything below is dead until that
        // call returns, which cannot happen before we return (we run inside
        // it, on the system stack). The green stack ends in its guard page.
        // A panic of `f` is resumed here, and `_restore` is dropped while it
        // unwinds.
        unsafe { switch_call(green_sp, on_green) }
    } else {
        // SAFETY: the stack contract as above; a panic of `f` aborts inside
        // the switch, so nothing unwinds past `_restore`.
        unsafe { switch_call_nounwind(green_sp, on_green) }
    }
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
