//! Architecture back ends: the switching assembly.
//!
//! Every back end (`x86_64.rs`, `aarch64.rs`, `riscv64.rs`) exports the same items:
//!
//! | item | what it does |
//! |---|---|
//! | `stackswitch_on_stack(data, f, sp)` | call `f(data, caller_sp)` with the stack pointer set to `sp`, then come back |
//! | `resume(arg, ctx_sp, link, fp)` | switch from the resumer into a context, recording the resumer's stack pointer in the context's link slot; returns what the context hands back |
//! | `suspend(value, link, save, fp)` | switch from a context back to its resumer, saving the context's stack pointer to `*save`; returns the next resume argument |
//! | `init_context_stack(top, entry, data)` | lay out a fresh context stack so that the first resume calls `entry(arg, data)` |
//! | `reset_fp_control()` | give a new context the ABI's default floating-point control state |
//! | `current_sp()` | the current stack pointer |
//! | `LINK_OFFSET` | a context's link slot (the resumer's saved stack pointer) is at `top - LINK_OFFSET` |
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
const _: unsafe fn(usize, usize, *mut usize, bool) -> usize = resume;
const _: unsafe fn(usize, *mut usize, *mut usize, bool) -> usize = suspend;
const _: unsafe fn(usize, EntryFn, *mut u8) -> usize = init_context_stack;
const _: fn() = reset_fp_control;
const _: fn() -> usize = current_sp;
const _: usize = LINK_OFFSET;
// The entry runs with the stack pointer on the link slot (x86_64) or just
// below a 16-byte frame (aarch64, riscv64): it must keep 16-byte alignment.
static_assertions::const_assert_eq!(LINK_OFFSET % 16, 0);
