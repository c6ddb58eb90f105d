//! x86_64 (System V ABI: Linux and macOS).
//!
//! Callee-saved state preserved by a switch: `rbx`, `rbp`, `r12`–`r15`, the
//! MXCSR control bits and the x87 control word. Every other register is
//! caller-saved, so the compiler already spilled what it needs across the
//! `call`.
//!
//! # `stackswitch_switch(arg = rdi, to_sp = rsi, save = rdx) -> rax`
//!
//! ```text
//!   this side's stack (after the pushes)         the other side's stack (saved earlier)
//!   +--------------------+ <- CFA                +--------------------+
//!   | return address     |  CFA-8                | return address     |  -> `ret` goes here
//!   | rbp                |  CFA-16               | rbp                |
//!   | rbx                |  CFA-24               | rbx                |
//!   | r12                |  CFA-32               | r12                |
//!   | r13                |  CFA-40               | r13                |
//!   | r14                |  CFA-48               | r14                |
//!   | r15                |  CFA-56               | r15                |
//!   | mxcsr | x87 cw     |  CFA-64 <- *save      | mxcsr | x87 cw     | <- to_sp
//!   +--------------------+                       +--------------------+
//! ```
//!
//! Both sides use the same 64-byte frame, so the CFI written for the first half
//! describes the second half too.
//!
//! # Context stack top
//!
//! ```text
//!   top       ->  (16-byte aligned)
//!   top-8         zero
//!   top-16        LINK: the resumer's saved stack pointer (written by every resume)
//!   top-24        initial frame: return address = stackswitch_ctx_start
//!   top-32        rbp = 0 (ends frame-pointer walks)
//!   top-40        rbx = entry function
//!   top-48        r12 = entry data
//!   top-56..72    r13, r14, r15 = 0
//!   top-80        MXCSR 0x1F80, x87 control word 0x037F (the ABI defaults)  <- initial sp
//! ```
//!
//! `stackswitch_ctx_start` runs with `rsp = top-16`. Its CFI computes the CFA
//! as `*LINK + 64`, i.e. it describes the resumer's `stackswitch_switch`
//! frame, so unwinders walk from the context straight into the function that
//! resumed it.

use core::arch::{asm, global_asm};

use super::EntryFn;

/// The link slot (resumer's stack pointer) sits at `top - LINK_OFFSET`.
pub(crate) const LINK_OFFSET: usize = 16;

/// Size of the frame `stackswitch_switch` leaves on a suspended stack.
const SWITCH_FRAME: usize = 64;

global_asm!(
    asm_fn_begin!("stackswitch_on_stack"),
    ".cfi_startproc",
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
    asm_fn_begin!("stackswitch_switch"),
    ".cfi_startproc",
    "push rbp",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset rbp, 0",
    "push rbx",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset rbx, 0",
    "push r12",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset r12, 0",
    "push r13",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset r13, 0",
    "push r14",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset r14, 0",
    "push r15",
    ".cfi_adjust_cfa_offset 8",
    ".cfi_rel_offset r15, 0",
    "sub rsp, 8",
    ".cfi_adjust_cfa_offset 8",
    "stmxcsr dword ptr [rsp]",
    "fnstcw word ptr [rsp + 4]",
    "mov [rdx], rsp",
    // From here on rsp points at the other side's frame, same layout.
    "mov rsp, rsi",
    // ldmxcsr and fldcw are slow; most switches see equal control words, so
    // compare the saved 6 bytes with the live ones and skip the loads then.
    "stmxcsr dword ptr [rsp - 8]",
    "fnstcw word ptr [rsp - 4]",
    "mov eax, dword ptr [rsp]",
    "cmp eax, dword ptr [rsp - 8]",
    "jne 2f",
    "mov ax, word ptr [rsp + 4]",
    "cmp ax, word ptr [rsp - 4]",
    "jne 2f",
    "3:",
    ".cfi_remember_state",
    "add rsp, 8",
    ".cfi_adjust_cfa_offset -8",
    "pop r15",
    ".cfi_adjust_cfa_offset -8",
    ".cfi_restore r15",
    "pop r14",
    ".cfi_adjust_cfa_offset -8",
    ".cfi_restore r14",
    "pop r13",
    ".cfi_adjust_cfa_offset -8",
    ".cfi_restore r13",
    "pop r12",
    ".cfi_adjust_cfa_offset -8",
    ".cfi_restore r12",
    "pop rbx",
    ".cfi_adjust_cfa_offset -8",
    ".cfi_restore rbx",
    "pop rbp",
    ".cfi_adjust_cfa_offset -8",
    ".cfi_restore rbp",
    // The value handed over by the other side.
    "mov rax, rdi",
    "ret",
    // Slow path: this side's control words differ from the live ones.
    ".cfi_restore_state",
    "2:",
    "ldmxcsr dword ptr [rsp]",
    "fldcw word ptr [rsp + 4]",
    "jmp 3b",
    ".cfi_endproc",
    asm_fn_end!("stackswitch_switch"),
);

global_asm!(
    asm_fn_begin!("stackswitch_ctx_start"),
    ".cfi_startproc",
    // CFA = *(rsp + 0) + 64: DW_CFA_def_cfa_expression, 5 bytes:
    // DW_OP_breg7 (rsp) 0, DW_OP_deref, DW_OP_plus_uconst 64.
    ".cfi_escape 0x0f, 0x05, 0x77, 0x00, 0x06, 0x23, 0x40",
    // The resumer's registers, saved by its stackswitch_switch (16 = return address column).
    ".cfi_offset 16, -8",
    ".cfi_offset rbp, -16",
    ".cfi_offset rbx, -24",
    ".cfi_offset r12, -32",
    ".cfi_offset r13, -40",
    ".cfi_offset r14, -48",
    ".cfi_offset r15, -56",
    // rax: the first resume argument; r12: entry data; rbx: entry function.
    "mov rdi, rax",
    "mov rsi, r12",
    "call rbx",
    // The entry never returns: it switches away for good when done.
    "ud2",
    ".cfi_endproc",
    asm_fn_end!("stackswitch_ctx_start"),
);

/// Lays out the initial frame of a context stack and returns its stack pointer.
///
/// # Safety
/// - `top` is the (exclusive) top of writable memory at least 128 bytes long.
/// - The returned stack pointer is switched to at most once.
pub(crate) unsafe fn init_context_stack(top: usize, entry: EntryFn, data: *mut u8) -> usize {
    let top = top & !15;
    let sp = top - LINK_OFFSET - SWITCH_FRAME;
    let words: [usize; 10] = [
        0x037F_usize << 32 | 0x1F80, // MXCSR | x87 CW << 32
        0,                           // r15
        0,                           // r14
        0,                           // r13
        data as usize,               // r12
        entry as *const () as usize, // rbx
        0,                           // rbp
        stackswitch_ctx_start_addr(),
        0, // LINK
        0, // top - 8
    ];
    // SAFETY: [sp, top) is 80 bytes inside the caller's writable region (first
    // point of the contract), 8-byte aligned since top is 16-aligned.
    unsafe { core::ptr::copy_nonoverlapping(words.as_ptr(), sp as *mut usize, words.len()) };
    sp
}

fn stackswitch_ctx_start_addr() -> usize {
    super::stackswitch_ctx_start as *const () as usize
}

/// The current stack pointer.
#[inline(always)]
pub(crate) fn current_sp() -> usize {
    let sp: usize;
    // SAFETY: reads rsp into a register; no memory access, no side effects.
    unsafe { asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}
