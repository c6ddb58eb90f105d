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
//!   resumer stack                                context stack (its saved sp points here)
//!   +----------------------+ <- rsp at asm entry +----------------------+
//!   | rbp                  |  CFA-8              | rbp                  |
//!   | rbx                  |  CFA-16             | rbx                  |
//!   | Q (return into resume)| CFA-24 <- LINK     | [MXCSR | x87 CW]     |  only with FP control
//!   +----------------------+                     | P (resume point)     | <- saved sp
//!                                                +----------------------+
//!   LINK = the first word of the context's header (heap): the resumer's rsp,
//!   stored by every resume point; the next word holds the resumer's MXCSR
//!   and x87 control word while the context runs (FP control only).
//! ```
//!
//! `resume(arg = rdi, ctx_sp = rsi, link = rdx, aux = rcx)`: push rbp, rbx,
//! `call [rsi]`. At `P` (inside `suspend`, or `stackswitch_ctx_start` the
//! first time) the context stores `rsp` (pointing at `Q`) to `*link`, moves to
//! `ctx_sp + 8` and pops its registers; `rdi` and `rcx` arrive unchanged.
//! `suspend(value = rdi, link = rdx)` mirrors it: push rbp, rbx, push `P`,
//! `rsi = rsp` (its frame, which `resume` returns), load `*link`, `ret` to
//! `Q`. The final switch of a finished context (`finish`) hands back
//! `rsi = 0` instead of a frame.
//!
//! The resumer half is the same for every context: the floating-point
//! control words, when preserved, are saved and restored entirely by the
//! context's half, in both directions (below), so a resume carries no branch
//! and no control-word code.
//!
//! # What a round trip costs
//!
//! The assembly of a resume + suspend round trip is as short as
//! corosensei's (the whole round trip, with the bookkeeping of
//! `context.rs`, takes about 1.01–1.03× corosensei's on the development
//! machine, an AMD EPYC Zen 4 VM), and the loop that measures it is bound by
//! the number of loads and stores (three per cycle at most):
//! each extra memory operation cost about a third of a cycle there. The layout above keeps them few:
//! the link lives in the context's header, so both sides address it through
//! the header pointer they already hold (no load of a link pointer); the
//! context's stack pointer comes back in a register instead of through
//! memory; a cancelled resume (dropping a suspended context) is signalled in
//! `rcx`, and a finished context by `rsi = 0`, instead of flags in memory.
//!
//! # Floating-point control words: both directions, on the context's side
//!
//! The ABI makes the MXCSR control bits and the x87 control word callee-saved,
//! so each side of a switch must get back, when its switch returns, the
//! words it had when it called it, even if the other side changed them while
//! it ran. Any code may change them at any time (`ldmxcsr` in `fesetround`,
//! `_mm_setcsr`, a signal handler's `sigreturn`), and nothing records that it
//! did, so at the moment a side switches away its words are known only by
//! reading them. Each of the two switches of a round trip leaves a side that
//! may have changed its words since it last ran, so a round trip that keeps
//! the guarantee needs two reads at least; this one has exactly two, both in
//! the context's half: `suspend` reads the context's words (`stmxcsr` +
//! `fnstcw`) before it leaves, and the resume point reads the resumer's words
//! (into the header, next to the link) as soon as it arrives. Loads (`ldmxcsr`,
//! `fldcw`) run only when the two sides' words differ. Skipping a reload is
//! correct because the words live in the register at the comparison are the
//! side's that was just read: equal control bits mean the register already
//! holds the words the arriving side saved. The exception flags (MXCSR bits
//! 0–5) are caller-saved status and are neither compared nor restored.
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
//! The bench group `fp_control_words` gives, in criterion: `stmxcsr` 4.2,
//! `vstmxcsr` 4.3, `fnstcw` 0.6, `ldmxcsr` + `fldcw` of the live words 1.1.
//! Two reads (≈ 8.5–12.6 ns) thus cost more than corosensei's whole round trip
//! there (≈ 4 ns; it preserves neither word), which bounds the default
//! configuration at ≈ 3.5–4× corosensei on that processor. Contexts created
//! with `preserve_fp_control: false` skip both reads and run the same
//! register set as corosensei.
//!
//! # Context stack top
//!
//! ```text
//!   top      ->  (16-byte aligned)
//!   top-8        zero
//!   top-16       pointer to LINK (in the header)
//!   top-24       entry data
//!   top-32       entry function
//!   top-40       P = stackswitch_ctx_start           <- initial saved sp
//! ```
//!
//! `stackswitch_ctx_start` runs the entry with `rsp = top-16`. Its CFI
//! computes the CFA as `**(top-16) + 24` (the resumer's `rsp` before its
//! switch, read through the pointer to the link) and finds the resumer's
//! `rip` (`Q`), `rbx` and `rbp` below it, so unwinders continue from the
//! context into the function that resumed it.

use core::arch::{asm, global_asm};

use super::EntryFn;

/// The pointer to the link (the resumer's stack pointer, in the context's
/// header) sits at `top - LINK_OFFSET`.
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
    // From here on rax, rdx, xmm0 and xmm1 are left as f left them: the routine
    // returns what f returns (`call::switch_call_nounwind` relies on it).
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
    // CFA = **(rsp + 0) + 24: DW_CFA_def_cfa_expression, 6 bytes:
    // DW_OP_breg7 (rsp) 0, DW_OP_deref (the pointer to the link),
    // DW_OP_deref (the link: the resumer's rsp at Q), DW_OP_plus_uconst 24.
    // Valid once rsp is on the stack-top slot (from the call below on).
    ".cfi_escape 0x0f, 0x06, 0x77, 0x00, 0x06, 0x06, 0x23, 0x18",
    // The resumer's return address Q (16 = return address column), rbp, rbx.
    ".cfi_offset 16, -24",
    ".cfi_offset rbp, -8",
    ".cfi_offset rbx, -16",
    // Entered by resume's `call [rsi]`: rsp = resumer's (at Q), rsi = initial
    // frame, rdx = link, rdi = first resume argument.
    "mov [rdx], rsp",
    "mov rax, [rsi + 8]",
    // rsp = top - 16, on the pointer to the link: 16-byte aligned before the
    // call.
    "lea rsp, [rsi + 24]",
    // entry(rdi = first resume argument, rsi = entry data).
    "mov rsi, [rsi + 16]",
    "call rax",
    // The entry never returns: it switches away for good when done.
    "ud2",
    ".cfi_endproc",
    asm_fn_end!("stackswitch_ctx_start"),
);

/// Lays out the initial frame of a context stack and returns its saved stack
/// pointer; `link` is the context's link (in its header).
///
/// # Safety
/// - `top` is the (exclusive) top of writable memory at least 64 bytes long.
/// - The returned stack pointer is resumed at most once.
pub(crate) unsafe fn init_context_stack(
    top: usize,
    entry: EntryFn,
    data: *mut u8,
    link: *mut usize,
) -> usize {
    let top = top & !15;
    let sp = top - LINK_OFFSET - 24;
    let words: [usize; 5] = [
        super::stackswitch_ctx_start as *const () as usize,
        entry as *const () as usize,
        data as usize,
        link as usize,
        0, // top - 8
    ];
    // SAFETY: [sp, top) is 40 bytes inside the caller's writable region (first
    // point of the contract), 8-byte aligned since top is 16-aligned.
    unsafe { core::ptr::copy_nonoverlapping(words.as_ptr(), sp as *mut usize, words.len()) };
    sp
}

/// Sets ZF when the control words stored at `[$a]` and `[$b]` (MXCSR, then
/// the x87 control word at +4) are equal, ignoring the MXCSR exception flags
/// (bits 0-5); clobbers eax and r8d. Loads of exactly the stored sizes, so
/// the stores forward.
macro_rules! fp_words_differ {
    ($a:literal, $b:literal) => {
        concat!(
            "mov eax, dword ptr [",
            $a,
            "]\n",
            "xor eax, dword ptr [",
            $b,
            "]\n",
            "and eax, -64\n",
            "movzx r8d, word ptr [",
            $a,
            " + 4]\n",
            "xor r8w, word ptr [",
            $b,
            " + 4]\n",
            "or eax, r8d"
        )
    };
}

/// The context half of a switch. `$leave` runs after rbp and rbx are pushed
/// (and must leave rsp on what the resume point pops after P); `$arrive` runs
/// at the resume point P with rsi = our frame (P), rdx = link, and must
/// leave rsp on the saved rbx.
macro_rules! suspend_asm {
    ($value:expr, $link:expr => $arg:ident, $aux:ident;
     [$($leave:expr),*]; [$($arrive:expr),*]) => {
        asm!(
            "push rbp",
            "push rbx",
            $($leave,)*
            // Push our resume point P; the resumer gets our frame in rsi.
            "lea rax, [rip + 2f]",
            "push rax",
            "mov rsi, rsp",
            "mov rsp, [rdx]",
            "ret",
            // P: resumed by `call [rsi]`; rsp = resumer's (at Q), rsi = our
            // frame, rdx = link, rdi / rcx = the resume's arg / aux.
            "2:",
            "mov [rdx], rsp",
            $($arrive,)*
            "pop rbx",
            "pop rbp",
            inlateout("rdi") $value => $arg,
            inlateout("rdx") $link => _,
            lateout("rcx") $aux,
            lateout("r12") _, lateout("r13") _, lateout("r14") _, lateout("r15") _,
            clobber_abi("sysv64"),
        )
    };
}

/// Switches into the context whose saved stack pointer is `ctx_sp`, records
/// the resumer's stack pointer in `*link`, and hands it `arg` and `aux`.
/// Returns the value the context hands back and its new saved stack pointer
/// (0: the context finished).
///
/// The resumer saves rbx and rbp (the compiler reserves them) and pushes its
/// return address; everything else is declared clobbered. The floating-point
/// control words are the context's half's business, so this half is the same
/// for every context.
///
/// # Safety
/// - `ctx_sp` came from `init_context_stack` or from the previous `resume` of
///   this context (non-zero), and has not been resumed since; `link` is the
///   context's link.
#[inline(always)]
pub(crate) unsafe fn resume(
    arg: usize,
    aux: usize,
    ctx_sp: usize,
    link: *mut usize,
) -> (usize, usize) {
    let ret: usize;
    let new_sp: usize;
    // SAFETY: the contract above; the frame pushed here (rbp, rbx, Q) is
    // exactly the one the context's resume points and stackswitch_ctx_start's
    // CFI expect.
    unsafe {
        asm!(
            "push rbp",
            "push rbx",
            // Push Q and enter the context at its resume point.
            "call [rsi]",
            // Q: rdi = the value handed back, rsi = the context's frame (or 0).
            "pop rbx",
            "pop rbp",
            inlateout("rdi") arg => ret,
            inlateout("rsi") ctx_sp => new_sp,
            in("rdx") link,
            in("rcx") aux,
            lateout("r12") _, lateout("r13") _, lateout("r14") _, lateout("r15") _,
            clobber_abi("sysv64"),
        )
    };
    (ret, new_sp)
}

/// Switches from the running context back to its resumer (whose stack
/// pointer is in `*link`), handing it `value` (and the context's stack
/// pointer, which `resume` returns); returns the next resume's `arg` and
/// `aux`.
///
/// With `fp`, the control words are saved and restored here, on the context
/// side, in both directions: the context's own in its frame, the resumer's
/// in the word after the link (`link.add(1)`, stored by `start_fp_control`
/// and by every resume point).
///
/// # Safety
/// - Runs on the context's own stack (or an `on_stack` stack of it), and
///   `*link` holds the stack pointer its current resumer stored.
/// - `fp` is the same for every switch of this context, and with `fp` the
///   context started with `start_fp_control`.
#[inline(always)]
pub(crate) unsafe fn suspend(value: usize, link: *mut usize, fp: bool) -> (usize, usize) {
    let arg: usize;
    let aux: usize;
    if fp {
        // SAFETY: the contract above; the frame pushed here (P, control
        // words, rbx, rbp) is the one the resume point pops, and the
        // resumer's words after the link are valid (stored by
        // start_fp_control or by the last resume point).
        unsafe {
            suspend_asm!(value, link => arg, aux;
            [
                "sub rsp, 8",
                // Our control words, for our resume point.
                "stmxcsr dword ptr [rsp]",
                "fnstcw word ptr [rsp + 4]",
                // Give the resumer its own words back, loading them only
                // if they differ from ours.
                fp_words_differ!("rsp", "rdx + 8"),
                "jz 3f",
                "ldmxcsr dword ptr [rdx + 8]",
                "fldcw word ptr [rdx + 12]",
                "3:"
            ];
            [
                // The resumer's words, for our next suspend.
                "stmxcsr dword ptr [rdx + 8]",
                "fnstcw word ptr [rdx + 12]",
                // Back on our stack, at our saved control words.
                "lea rsp, [rsi + 8]",
                fp_words_differ!("rsp", "rdx + 8"),
                "jz 4f",
                "ldmxcsr dword ptr [rsp]",
                "fldcw word ptr [rsp + 4]",
                "4:",
                "add rsp, 8"
            ])
        };
    } else {
        // SAFETY: as above, without the control words: the frame is P, rbx,
        // rbp.
        unsafe { suspend_asm!(value, link => arg, aux; []; ["lea rsp, [rsi + 8]"]) };
    }
    (arg, aux)
}

/// The last switch of a finished context: back to its resumer for good,
/// handing it `value` and no frame (`rsi = 0`), with the resumer's control
/// words back in place (`fp`).
///
/// # Safety
/// - As `suspend`; nothing on the context's stack is used afterwards (it is
///   abandoned without unwinding).
#[inline(always)]
pub(crate) unsafe fn finish(value: usize, link: *mut usize, fp: bool) -> ! {
    if fp {
        // SAFETY: the contract above; the resumer's words after the link are
        // valid (stored by its resume point).
        unsafe {
            asm!(
                "ldmxcsr dword ptr [rdx + 8]",
                "fldcw word ptr [rdx + 12]",
                "mov rsp, [rdx]",
                "xor esi, esi",
                "ret",
                in("rdi") value,
                in("rdx") link,
                options(noreturn),
            )
        }
    } else {
        // SAFETY: as above.
        unsafe {
            asm!(
                "mov rsp, [rdx]",
                "xor esi, esi",
                "ret",
                in("rdi") value,
                in("rdx") link,
                options(noreturn),
            )
        }
    }
}

/// Starts a context that preserves the floating-point control words: stores
/// the resumer's words in the word after the link (for the context's first
/// `suspend`) and gives the context the ABI's defaults (MXCSR 0x1F80, x87
/// control word 0x037F).
///
/// # Safety
/// - `link` is the link of the context this runs at the start of, followed
///   by its writable control-word slot.
#[inline]
pub(crate) unsafe fn start_fp_control(link: *mut usize) {
    let defaults: [u32; 2] = [0x1F80, 0x037F];
    // SAFETY: stores the live words into the 8 bytes after the link (the
    // contract), loads two valid control words from a local array.
    unsafe {
        asm!(
            "stmxcsr dword ptr [{link} + 8]",
            "fnstcw word ptr [{link} + 12]",
            "ldmxcsr dword ptr [{defaults}]",
            "fldcw word ptr [{defaults} + 4]",
            link = in(reg) link,
            defaults = in(reg) defaults.as_ptr(),
            options(nostack, preserves_flags)
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
