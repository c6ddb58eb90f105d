//! Calling a closure on another stack: `on_stack` and the raw core shared by
//! the cgo-shaped switches.

use core::mem::{ManuallyDrop, MaybeUninit};
use std::panic::{self, AssertUnwindSafe};
use std::thread::Result as PanicResult;

use crate::arch;
use crate::stack::Stack;
use crate::thread;

/// The closure and its result, living on the caller's stack while the
/// trampoline runs on the other one.
struct Frame<F, R> {
    /// Moved out (read) exactly once, by the trampoline.
    f: MaybeUninit<F>,
    out: MaybeUninit<R>,
}

/// Runs the frame's closure on the new stack. It is an `extern "C"` function,
/// so a panic of `f` cannot unwind out of it: the Rust runtime aborts the
/// process at its frame ("panic in a function that cannot unwind"), never
/// unwinding through the assembly frame. Callers that must survive a panic
/// pass a closure that catches it ([`switch_call_catching`]).
unsafe extern "C" fn trampoline<F: FnOnce(usize) -> R, R>(data: *mut u8, caller_sp: usize) {
    // SAFETY: `data` is the `Frame<F, R>` that `switch_call_nounwind` passed
    // for this very instantiation; it lives on the caller's stack, which is
    // suspended while we run, and nothing else references it. `f` was
    // initialised there and is read exactly once, here.
    unsafe {
        let frame = &mut *data.cast::<Frame<F, R>>();
        let f = frame.f.as_ptr().read();
        frame.out.write(f(caller_sp));
    }
}

/// Whether an `extern "C"` function returns an `R` in the return registers:
/// zero-sized types (nothing is returned) and sizes 1, 2, 4 and 8 with the
/// alignment of their size (integers, pointers, `f32`, `f64`, and structs or
/// unions holding one such value). On every supported ABI (System V x86_64,
/// AAPCS64, RISC-V LP64D) such a value fits one register and none of its
/// fields is misaligned, so it never comes back through memory: a caller
/// passes no hidden result pointer, which on x86_64 and riscv64 would take
/// the first argument register and shift the others.
const fn returned_in_registers<R>() -> bool {
    let (size, align) = (size_of::<R>(), align_of::<R>());
    size == 0 || (size <= 8 && size == align)
}

/// The [`trampoline`] for a result returned in registers
/// ([`returned_in_registers`]): it returns `f`'s result as its own, and the
/// switch routine, which touches none of the return registers after its
/// call, hands it to the caller as is. The result is not stored on the caller's
/// stack, and when `f` ends in a call that cannot unwind (a C function
/// declared `extern "C"`), the compiler makes that call a tail call: the C
/// function returns straight into the switch routine.
///
/// The result travels as a `MaybeUninit<R>`, which has the ABI of `R`, so
/// that the call of the switch routine is never one the compiler takes for a
/// call that cannot return (`R` = `!`): code then follows the call in the
/// caller, and the return address the switch routine's caller-side CFI
/// reports (exactly, as for a signal frame) stays inside the caller.
unsafe extern "C" fn trampoline_direct<F: FnOnce(usize) -> R, R>(
    data: *mut u8,
    caller_sp: usize,
) -> MaybeUninit<R> {
    // SAFETY: `data` points at the `F` that `switch_call_nounwind` wrapped in
    // `ManuallyDrop` for this very instantiation; it lives on the caller's
    // stack, which is suspended while we run, and is read exactly once, here.
    let f = unsafe { data.cast::<F>().read() };
    MaybeUninit::new(f(caller_sp))
}

/// Runs `f(caller_sp)` with the stack pointer at `top` (rounded down to 16
/// bytes), `caller_sp` being where the caller's stack was left, and returns
/// its result. Nothing catches a panic of `f`: it aborts the process.
///
/// # Safety
/// - `[top - n, top)` is writable memory, unused by anything else until this
///   returns, with `n` large enough for `f` (or ending in a guard page).
#[inline(always)]
pub(crate) unsafe fn switch_call_nounwind<F: FnOnce(usize) -> R, R>(top: usize, f: F) -> R {
    // Decided at compile time (`const`): a call here, with `f` live, would
    // give this frame unwind tables that do not cover the switch routine's
    // call below, and a panic that aborts in the trampoline would then stop
    // the unwinder's search here instead ("failed to initiate panic").
    if const { returned_in_registers::<R>() } {
        // Moved out by the trampoline, never dropped here.
        let f = ManuallyDrop::new(f);
        // The switch routine returns whatever its callee left in the return
        // registers (see `arch`): called with a callee that returns an `R`,
        // it returns that `R`.
        type Direct<R> = unsafe extern "C" fn(
            *mut u8,
            unsafe extern "C" fn(*mut u8, usize) -> MaybeUninit<R>,
            usize,
        ) -> MaybeUninit<R>;
        // SAFETY: a function pointer to a function pointer of the same size.
        // The assembly routine has no Rust signature of its own: it passes
        // its first argument and the caller's stack pointer to its second,
        // called with the stack pointer at its third, then restores the
        // stack pointer and its frame registers and returns, leaving every
        // return register as its callee left it (`arch` module docs). So
        // with a callee returning `R` in registers (checked above: no hidden
        // result pointer shifts the arguments) it is a function returning
        // that `R`; `MaybeUninit<R>` has the ABI of `R`.
        let direct: Direct<R> = unsafe {
            core::mem::transmute::<unsafe extern "C" fn(*mut u8, arch::OnStackFn, usize), Direct<R>>(
                arch::stackswitch_on_stack,
            )
        };
        // SAFETY: the stack contract is the caller's; `f` outlives the call
        // and is read once by the trampoline of its own type, which never
        // unwinds (`extern "C"`).
        let out = unsafe {
            direct(
                (&raw const f).cast_mut().cast(),
                trampoline_direct::<F, R>,
                top & !15,
            )
        };
        // SAFETY: the trampoline returned normally, with `f`'s result.
        return unsafe { out.assume_init() };
    }
    let mut frame = Frame {
        f: MaybeUninit::new(f),
        out: MaybeUninit::uninit(),
    };
    // SAFETY: the stack contract is the caller's; the frame outlives the call,
    // the trampoline matches its type, and it never unwinds (`extern "C"`).
    unsafe { arch::stackswitch_on_stack((&raw mut frame).cast(), trampoline::<F, R>, top & !15) };
    // SAFETY: the trampoline returned normally, so it wrote `out` (and consumed
    // `f`, which MaybeUninit does not drop again).
    unsafe { frame.out.assume_init() }
}

/// [`switch_call_nounwind`] that catches a panic of `f` on the new stack and
/// returns its payload, so unwinding never crosses the assembly frame.
///
/// # Safety
/// As [`switch_call_nounwind`].
#[inline(always)]
pub(crate) unsafe fn switch_call_catching<F: FnOnce(usize) -> R, R>(
    top: usize,
    f: F,
) -> PanicResult<R> {
    // SAFETY: forwarded from this function's contract; the closure catches
    // every panic, so nothing unwinds into the non-unwinding trampoline.
    unsafe {
        switch_call_nounwind(top, move |sp| {
            panic::catch_unwind(AssertUnwindSafe(move || f(sp)))
        })
    }
}

/// [`switch_call_catching`], resuming a panic of `f` on the caller's stack.
///
/// # Safety
/// As [`switch_call_catching`].
#[inline(always)]
pub(crate) unsafe fn switch_call<F: FnOnce(usize) -> R, R>(top: usize, f: F) -> R {
    // SAFETY: forwarded from this function's contract.
    match unsafe { switch_call_catching(top, f) } {
        Ok(r) => r,
        Err(payload) => panic::resume_unwind(payload),
    }
}

/// Runs `f` on `stack` and returns its result on the caller's stack.
///
/// A panic in `f` is caught on `stack` and resumed on the caller's stack, so
/// it reaches the caller as an ordinary panic (on every architecture, with no
/// unwinding through assembly). Backtraces taken inside `f` continue into the
/// caller (the switch has DWARF CFI). [`crate::remaining_stack`] inside `f`
/// measures `stack`.
///
/// ```
/// let mut stack = stackswitch::Stack::new(1 << 20)?;
/// let depth = stackswitch::on_stack(&mut stack, || {
///     fn down(n: u64) -> u64 { if n == 0 { 0 } else { 1 + down(std::hint::black_box(n - 1)) } }
///     down(10_000)
/// });
/// assert_eq!(depth, 10_000);
/// # Ok::<(), stackswitch::StackError>(())
/// ```
///
/// `stack` is borrowed mutably so that nothing else (another thread, or a
/// nested `on_stack` inside `f`) can run on it at the same time.
///
/// # Cost
/// The switch and nothing else: `on_stack` records nothing about the stack,
/// because a [`Stack`] is registered (for overflow reports) when it is
/// created, and [`crate::remaining_stack`] finds it there by address (the
/// first query inside a stack walks the registry, later ones check what it
/// found with one load). A round trip costs about 0.75× `psm::on_stack`'s on
/// the development machine (see the `on_stack` bench group).
#[inline]
pub fn on_stack<R, F: FnOnce() -> R>(stack: &mut Stack, f: F) -> R {
    // SAFETY: the exclusive borrow means nothing else uses the stack's memory
    // until we return; it is `size()` bytes ending in a registered guard page,
    // so `f` may run out of it only into that page.
    unsafe { switch_call(stack.top(), move |_| f()) }
}

/// [`on_stack`] on memory the caller manages: runs `f` with the stack pointer
/// at `top` (rounded down to 16 bytes); `bottom` is the lowest usable address,
/// reported by [`crate::remaining_stack`] inside `f`.
///
/// # Safety
/// - `[bottom, top)` is writable memory that nothing else uses until this
///   returns, large enough for `f`, or `f` never goes below `bottom`.
/// - Memory below `bottom` is unmapped or a guard page if `f` may overflow.
#[inline]
pub unsafe fn on_stack_raw<R, F: FnOnce() -> R>(top: usize, bottom: usize, f: F) -> R {
    let (slot, prev) = thread::replace_range((bottom, top));
    // SAFETY: forwarded from this function's contract.
    let out = unsafe { switch_call_catching(top, move |_| f()) };
    // `out` holds any panic, so the range is restored on every path.
    // SAFETY: `slot` and `prev` come from the replace above, and `f` ran on the
    // stack switched to from here and came back.
    unsafe { thread::restore_range(slot, prev) };
    match out {
        Ok(r) => r,
        Err(payload) => panic::resume_unwind(payload),
    }
}
