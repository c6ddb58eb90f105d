//! Architecture back ends: the switching assembly.
//!
//! Every back end (`x86_64.rs`, `aarch64.rs`, `riscv64.rs`) exports the same items:
//!
//! | item | what it does |
//! |---|---|
//! | `stackswitch_on_stack(data, f, sp)` | call `f(data, caller_sp)` with the stack pointer set to `sp`, then come back, leaving the return registers as `f` left them (so it returns what `f` returns) |
//! | `resume(arg, aux, ctx_sp, link) -> (value, new_ctx_sp)` | switch from the resumer into a context, recording the resumer's stack pointer in `*link`; returns what the context hands back and its new saved stack pointer (0: finished) |
//! | `suspend(value, link, fp) -> (arg, aux)` | switch from a context back to its resumer; returns the next resume's `arg` and `aux` |
//! | `finish(value, link, fp) -> !` | the last switch of a finished context (the resumer gets stack pointer 0) |
//! | `init_context_stack(top, entry, data, link)` | lay out a fresh context stack so that the first resume calls `entry(arg, data)` |
//! | `start_fp_control(link)` | at a context's start: record the resumer's floating-point control state, give the context the ABI's defaults |
//! | `current_sp()` | the current stack pointer |
//! | `LINK_OFFSET` | a context stack keeps a pointer to its link at `top - LINK_OFFSET` (its start routine's CFI reads the resumer's frame through it) |
//!
//! The link (the resumer's stack pointer while the context runs) is the
//! first word of the context's header, followed by one word the back end may
//! use (x86_64: the resumer's MXCSR and x87 control word). `aux` travels with
//! a resume (the context's code uses it to learn that it is being cancelled).
//!
//! The signatures are pinned below, so a back end that drifts stops the build.
//! Symbol naming (ELF vs Mach-O) and function framing are written once, as the
//! macros in this file.

// ELF: global, hidden, typed and sized symbols.
#[cfg(not(target_vendor = "apple"))]
#[allow(unused_macros)] // unused on targets that end in compile_error!
macro_rules! asm_fn_begin {
    ($name:literal) => {
        concat!(
            ".text\n.p2align 4\n.globl ",
            $name,
            "\n.hidden ",
            $name,
            "\n.type ",
            $name,
            ", %function\n",
            $name,
            ":\n"
        )
    };
}
#[cfg(not(target_vendor = "apple"))]
#[allow(unused_macros)] // unused on targets that end in compile_error!
macro_rules! asm_fn_end {
    ($name:literal) => {
        concat!(".size ", $name, ", . - ", $name, "\n")
    };
}
// Mach-O: C symbols carry a leading underscore; `.private_extern` is the
// equivalent of ELF's hidden visibility and there is no `.type`/`.size`.
#[cfg(target_vendor = "apple")]
#[allow(unused_macros)] // unused on targets that end in compile_error!
macro_rules! asm_fn_begin {
    ($name:literal) => {
        concat!(
            ".text\n.p2align 4\n.globl _",
            $name,
            "\n.private_extern _",
            $name,
            "\n_",
            $name,
            ":\n"
        )
    };
}
#[cfg(target_vendor = "apple")]
#[allow(unused_macros)] // unused on targets that end in compile_error!
macro_rules! asm_fn_end {
    ($name:literal) => {
        ""
    };
}

cfg_if::cfg_if! {
    if #[cfg(all(target_arch = "x86_64", unix))] {
        mod x86_64;
        pub(crate) use self::x86_64::*;
    } else if #[cfg(all(target_arch = "aarch64", unix))] {
        mod symmetric;
        mod aarch64;
        pub(crate) use self::aarch64::*;
    } else if #[cfg(all(target_arch = "riscv64", target_os = "linux"))] {
        mod symmetric;
        mod riscv64;
        pub(crate) use self::riscv64::*;
    } else if #[cfg(windows)] {
        compile_error!(
            "stackswitch does not support Windows yet: it needs TIB stack-limit updates \
             (NtCurrentTeb StackBase/StackLimit/DeallocationStack) in every switch and a \
             vectored exception handler instead of SIGSEGV; supported: x86_64, aarch64 and \
             riscv64 Linux, x86_64 and aarch64 macOS"
        );
    } else {
        compile_error!(
            "stackswitch does not support this architecture yet: supported are x86_64, \
             aarch64 and riscv64 Linux, x86_64 and aarch64 macOS"
        );
    }
}

/// The function a stack switch calls on the new stack: `f(data, caller_sp)`.
pub(crate) type OnStackFn = unsafe extern "C" fn(data: *mut u8, caller_sp: usize);
/// The entry of a fresh context: `entry(first_resume_arg, data)`; never returns.
pub(crate) type EntryFn = unsafe extern "C" fn(arg: usize, data: *mut u8) -> !;

unsafe extern "C" {
    /// Runs `f(data, caller_sp)` on the stack whose top is `sp`.
    ///
    /// # Safety
    /// - `sp` is 16-byte aligned and is the top of writable memory that nothing
    ///   else uses until `f` returns, large enough for `f`.
    /// - `f` does not unwind (catch panics inside it).
    pub(crate) fn stackswitch_on_stack(data: *mut u8, f: OnStackFn, sp: usize);

    /// First code run on a fresh context stack (entered by the first resume).
    /// Never called directly.
    pub(crate) fn stackswitch_ctx_start();
}

// Pin the signatures: a back end whose items drift from these stops the build.
const _: unsafe extern "C" fn(*mut u8, OnStackFn, usize) = stackswitch_on_stack;
const _: unsafe fn(usize, usize, usize, *mut usize) -> (usize, usize) = resume;
const _: unsafe fn(usize, *mut usize, bool) -> (usize, usize) = suspend;
const _: unsafe fn(usize, *mut usize, bool) -> ! = finish;
const _: unsafe fn(usize, EntryFn, *mut u8, *mut usize) -> usize = init_context_stack;
const _: unsafe fn(*mut usize) = start_fp_control;
const _: fn() -> usize = current_sp;
const _: usize = LINK_OFFSET;
// The entry runs with the stack pointer on the stack-top slot (x86_64) or just
// below a 16-byte frame (aarch64, riscv64): it must keep 16-byte alignment.
static_assertions::const_assert_eq!(LINK_OFFSET % 16, 0);
