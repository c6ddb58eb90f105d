//! x86_64 (System V ABI: Linux and macOS).
//!
//! Callee-saved state preserved by a context switch: `rbx`, `rbp`, `r12`–`r15`,
//! the MXCSR control bits and the x87 control word (unless the context was
//! created without floating-point control preservation). `rbx` and `rbp` are
//! saved by the assembly itself (the compiler reserves them); `r12`–`r15` and
//! all caller-saved registers are declared clobbered, so the compiler saves
//! only those that are live, once per function rather than once per switch.
//!
//! # Context switch: `call` in, `ret` out
//!
//! The switch is inline assembly in both `resume` and `suspend`, and keeps the
//! processor's return-stack predictor balanced: `resume` enters the context
//! with `call [resume point]`, which pushes the resumer's return address `Q`
//! on the *resumer's* stack; `suspend` goes back with `ret` to `Q`. A switch
//! that used `ret` in both directions would mispredict every time.
//!
//! ```text
//!   resumer stack (LINK points here)             context stack (saved sp points here)
//!   +----------------------+ <- rsp at asm entry +----------------------+
//!   | rbp                  |  CFA-8              | rbp                  |
//!   | rbx                  |  CFA-16             | rbx                  |
//!   | MXCSR | x87 CW       |  CFA-24             | MXCSR | x87 CW       |
//!   | Q (return into resume)| CFA-32 <- *LINK    | P (resume point)     | <- saved sp
//!   +----------------------+                     +----------------------+
//! ```
//!
//! `resume(arg = rdi, ctx_sp = rsi, link = rdx)`: push rbp, rbx, the control
//! words, `call [rsi]`. At `P` (inside `suspend`, or `stackswitch_ctx_start`
//! the first time) the context stores `rsp` (pointing at `Q`) to `*link`,
//! moves to `ctx_sp + 8`, reloads its control words if they differ from the
//! resumer's, and pops its rbx, rbp. `suspend(value = rdi, link = rdx,
//! save = rcx)` mirrors it: push rbp, rbx, control words, push `P`, store
//! `rsp` to `*save`, load `*link`, `ret` to `Q`. Back in `resume`, the
//! resumer's control words are reloaded if they differ from the context's.
//! The comparison uses the words both sides stored: reading MXCSR again
//! (`stmxcsr`) is slow, and the exception-flag bits (0–5, caller-saved status)
//! are ignored.
//!
//! # Why both directions read MXCSR, and what it costs
//!
//! The ABI makes the MXCSR control bits and the x87 control word callee-saved,
//! so each side of a switch must get back, when its switch returns, the
//! words it had when it called it, even if the other side changed them while
//! it ran. Any code may change them at any time (`ldmxcsr` in `fesetround`,
//! `_mm_setcsr`, a signal handler's `sigreturn`), and nothing records that it
//! did, so at the moment a side switches away its words are known only by
//! reading them. Each of the two switches of a round trip leaves a side that
//! may have changed its words since it last ran, so a round trip that keeps
//! the guarantee needs two reads at least; this one has exactly two
//! (`stmxcsr` + `fnstcw` on the way out of each side) and loads (`ldmxcsr`,
//! `fldcw`) only when the stored words of the two sides differ. Skipping a
//! reload is correct because the words live in the register when the
//! comparison is made are the other side's freshly read ones: equal control
//! bits mean the register already holds the words the arriving side saved.
//! The exception flags (MXCSR bits 0–5) are caller-saved status and are
//! neither compared nor restored.
//!
//! Other ways of reading MXCSR are slower (`xsave`/`xsaveopt` of the SSE
//! component, `fxsave`); `vstmxcsr` costs the same. No cheaper *correct*
//! scheme exists: arithmetic probes can tell the rounding mode, FTZ and DAZ,
//! but not the exception masks. Measured on the AMD EPYC (Zen 4) VM the
//! benches run on (a loop of each instruction, ns per execution): `stmxcsr`
//! 6.3, `vstmxcsr` 5.7, `fnstcw` 0.8, `ldmxcsr` (after `stmxcsr`) 11.3,
//! `fldcw` 1.6, `xsaveopt` of SSE state 52, `fxsave` 34; `stmxcsr` does not
//! overlap with surrounding work (24 independent ALU/memory operations cost
//! 1.4–1.9 ns alone, 7.0–7.2 ns with one `stmxcsr`, 14.4–15.5 ns with two).
//! Two reads (≈ 12.6 ns) thus cost more than corosensei's whole round trip
//! there (4–8 ns; it preserves neither word), which bounds the default
//! configuration at ≈ 2.5–3.5× corosensei on that processor. Contexts created
//! with `preserve_fp_control: false` skip both reads.
//!
//! # Context stack top
//!
//! ```text
//!   top      ->  (16-byte aligned)
//!   top-8        zero
//!   top-16       LINK: the resumer's stack pointer, written by every resume
//!   top-24       entry data
//!   top-32       entry function
//!   top-40       P = stackswitch_ctx_start           <- initial saved sp
//! ```
//!
//! `stackswitch_ctx_start` runs the entry with `rsp = top-16`. Its CFI
//! computes the CFA as `*LINK + 32`, the resumer's `rsp` before its switch, and
//! finds the resumer's `rip` (`Q`), `rbx` and `rbp` below it, so unwinders
//! continue from the context into the function that resumed it.

use core::arch::{asm, global_asm};

use super::EntryFn;

/// The link slot (resumer's stack pointer) sits at `top - LINK_OFFSET`.
pub(crate) const LINK_OFFSET: usize = 16;

global_asm!(
    asm_fn_begin!("stackswitch_on_stack"),
    ".cfi_startproc",
    // Marked as a signal frame: debuggers then accept that the caller's frame
    // lies on another stack at a lower address (gdb otherwise stops with
    // "previous frame inner to this frame"); unwinders look the caller up
    // at its exact return address, which is inside the calling function.
    ".cfi_signal_frame",
    "push rbp",
    ".cfi_def_cfa_offset 16",
    ".cfi_offset rbp, -16",
    // rbp anchors the CFA for the whole call, whatever the new stack holds.
    "mov rbp, rsp",
    ".cfi_def_cfa_register rbp",
    "mov rax, rsi",
    // Second argument of f: the stack pointer we are leaving.
    "mov rsi, rsp",
    "mov rsp, rdx",
    "call rax",
    "mov rsp, rbp",
    "pop rbp",
    ".cfi_def_cfa rsp, 8",
    "ret",
    ".cfi_endproc",
    asm_fn_end!("stackswitch_on_stack"),
);

global_asm!(
    asm_fn_begin!("stackswitch_ctx_start"),
    ".cfi_startproc",
    // CFA = *(rsp + 0) + 32: DW_CFA_def_cfa_expression, 5 bytes:
    // DW_OP_breg7 (rsp) 0, DW_OP_deref, DW_OP_plus_uconst 32. Valid once rsp
    // is on the link slot (from the call below on).
    ".cfi_escape 0x0f, 0x05, 0x77, 0x00, 0x06, 0x23, 0x20",
    // The resumer's return address Q (16 = return address column), rbp, rbx.
    ".cfi_offset 16, -32",
    ".cfi_offset rbp, -8",
    ".cfi_offset rbx, -16",
    // Entered by resume's `call [rsi]`: rsp = resumer's (at Q), rsi = initial
    // frame, rdx = link slot (= top - 16), rdi = first resume argument.
    "mov [rdx], rsp",
    "mov rax, [rsi + 8]",
    "mov rsi, [rsi + 16]",
    // rsp = top - 16: on the link slot, 16-byte aligned before the call.
    "mov rsp, rdx",
    "call rax",
    // The entry never returns: it switches away for good when done.
    "ud2",
    ".cfi_endproc",
    asm_fn_end!("stackswitch_ctx_start"),
);

/// Lays out the initial frame of a context stack and returns its saved stack
/// pointer.
///
/// # Safety
/// - `top` is the (exclusive) top of writable memory at least 64 bytes long.
/// - The returned stack pointer is resumed at most once.
pub(crate) unsafe fn init_context_stack(top: usize, entry: EntryFn, data: *mut u8) -> usize {
    let top = top & !15;
    let sp = top - LINK_OFFSET - 24;
    let words: [usize; 5] = [
        super::stackswitch_ctx_start as *const () as usize,
        entry as *const () as usize,
        data as usize,
        0, // LINK
        0, // top - 8
    ];
    // SAFETY: [sp, top) is 40 bytes inside the caller's writable region (first
    // point of the contract), 8-byte aligned since top is 16-aligned.
    unsafe { core::ptr::copy_nonoverlapping(words.as_ptr(), sp as *mut usize, words.len()) };
    sp
}

/// The resumer half of a switch; `$save` / `$restore` are the control-word
/// instructions (empty for contexts without floating-point control
/// preservation: the slot stays, so the frame layout and CFI are the same).
macro_rules! resume_asm {
    ($arg:expr, $ctx_sp:expr, $link:expr => $ret:ident; [$($save:literal),*]; [$($restore:literal),*]) => {
        asm!(
            "push rbp",
            "push rbx",
            "sub rsp, 8",
            $($save,)*
            // Push Q and enter the context at its resume point.
            "call [rsi]",
            // Q: rsi = the context's frame.
            $($restore,)*
            "add rsp, 8",
            "pop rbx",
            "pop rbp",
            inlateout("rdi") $arg => $ret,
            inlateout("rsi") $ctx_sp => _,
            inlateout("rdx") $link => _,
            lateout("r12") _, lateout("r13") _, lateout("r14") _, lateout("r15") _,
            clobber_abi("sysv64"),
        )
    };
}

/// The context half of a switch; `$save` / `$restore` as in `resume_asm!`
/// (`$restore` runs with rsp on the context's control-word slot, the flags
/// of the comparison set by `$compare`).
macro_rules! suspend_asm {
    ($value:expr, $link:expr, $save_sp:expr => $ret:ident;
     [$($save:literal),*]; [$($compare:literal),*]; [$($restore:literal),*]) => {
        asm!(
            "push rbp",
            "push rbx",
            "sub rsp, 8",
            $($save,)*
            "lea rax, [rip + 2f]",
            "push rax",
            "mov [rcx], rsp",
            // For the resumer at Q.
            "mov rsi, rsp",
            "mov rsp, [rdx]",
            "ret",
            // P: resumed by `call [rsi]`; rsp = resumer's (at Q), rsi = our
            // frame, rdx = link slot, rdi = the resume argument.
            "2:",
            "mov [rdx], rsp",
            $($compare,)*
            "lea rsp, [rsi + 8]",
            $($restore,)*
            "add rsp, 8",
            "pop rbx",
            "pop rbp",
            inlateout("rdi") $value => $ret,
            inlateout("rdx") $link => _,
            inlateout("rcx") $save_sp => _,
            lateout("r12") _, lateout("r13") _, lateout("r14") _, lateout("r15") _,
            clobber_abi("sysv64"),
        )
    };
}

/// Switches into the context whose saved stack pointer is `ctx_sp`, records
/// the resumer's stack pointer in `*link`, and returns the value the context
/// hands back when it suspends (or finishes).
///
/// # Safety
/// - `ctx_sp` came from `init_context_stack` or from the context's last
///   `suspend`, and has not been resumed since; `link` is its link slot.
/// - `fp` is the same for every switch of this context.
#[inline(always)]
pub(crate) unsafe fn resume(arg: usize, ctx_sp: usize, link: *mut usize, fp: bool) -> usize {
    let ret: usize;
    if fp {
        // SAFETY: the contract above; the frame pushed here is exactly the one
        // the context's resume point and stackswitch_ctx_start's CFI expect.
        unsafe {
            resume_asm!(arg, ctx_sp, link => ret;
            ["stmxcsr dword ptr [rsp]", "fnstcw word ptr [rsp + 4]"];
            [
                // Reload ours only if they differ from the context's live
                // words (ignoring the MXCSR exception flags, bits 0-5).
                // Loads of exactly the stored sizes, so the stores forward.
                "mov eax, dword ptr [rsp]",
                "xor eax, dword ptr [rsi + 8]",
                "and eax, -64",
                "movzx ecx, word ptr [rsp + 4]",
                "xor cx, word ptr [rsi + 12]",
                "or eax, ecx",
                "jz 3f",
                "ldmxcsr dword ptr [rsp]",
                "fldcw word ptr [rsp + 4]",
                "3:"
            ])
        };
    } else {
        // SAFETY: as above, without the control words.
        unsafe { resume_asm!(arg, ctx_sp, link => ret; []; []) };
    }
    ret
}

/// Switches from the running context back to its resumer (whose stack
/// pointer is in `*link`), handing it `value`; stores the context's stack
/// pointer to `*save` and returns the argument of the next resume.
///
/// # Safety
/// - Runs on the context's own stack, and `*link` holds the stack pointer its
///   current resumer stored; `save` is valid for a write.
/// - `fp` is the same for every switch of this context.
#[inline(always)]
pub(crate) unsafe fn suspend(value: usize, link: *mut usize, save: *mut usize, fp: bool) -> usize {
    let ret: usize;
    if fp {
        // SAFETY: the contract above; the frame pushed here is the one
        // `resume` expects at `*save` (P, control words, rbx, rbp).
        unsafe {
            suspend_asm!(value, link, save => ret;
                ["stmxcsr dword ptr [rsp]", "fnstcw word ptr [rsp + 4]"];
                [
                    // Our saved words against the resumer's live ones (its slot).
                    "mov eax, dword ptr [rsi + 8]",
                    "xor eax, dword ptr [rsp + 8]",
                    "and eax, -64",
                    "movzx ecx, word ptr [rsi + 12]",
                    "xor cx, word ptr [rsp + 12]",
                    "or eax, ecx"
                ];
                ["jz 3f", "ldmxcsr dword ptr [rsp]", "fldcw word ptr [rsp + 4]", "3:"])
        };
    } else {
        // SAFETY: as above, without the control words.
        unsafe { suspend_asm!(value, link, save => ret; []; []; []) };
    }
    ret
}

/// Gives a new context the ABI's default floating-point control state
/// (MXCSR 0x1F80, x87 control word 0x037F).
#[inline]
pub(crate) fn reset_fp_control() {
    let words: [u32; 2] = [0x1F80, 0x037F];
    // SAFETY: loads two valid control words from a local array.
    unsafe {
        asm!(
            "ldmxcsr dword ptr [{0}]",
            "fldcw word ptr [{0} + 4]",
            in(reg) words.as_ptr(),
            options(nostack, readonly, preserves_flags)
        )
    };
}

/// The current stack pointer.
#[inline(always)]
pub(crate) fn current_sp() -> usize {
    let sp: usize;
    // SAFETY: reads rsp into a register; no memory access, no side effects.
    unsafe { asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}
