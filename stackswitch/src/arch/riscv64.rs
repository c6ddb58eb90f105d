//! riscv64 (LP64D: Linux).
//!
//! Callee-saved state preserved by a switch: `s0`–`s11`, `ra` (it is the
//! resume address) and `fs0`–`fs11`. `gp` and `tp` are never touched (global
//! pointer and thread pointer are per-thread, not per-stack).
//!
//! # `stackswitch_switch(value = a0, aux = a1, to_sp = a2, save = a3) -> (a0, a1)`
//!
//! ```text
//!   this side's stack                            the other side's stack (saved earlier)
//!   +------------------+ <- CFA                  +------------------+
//!   | ra               |  CFA-8                  | ra               |  -> `ret` goes here
//!   | s0 .. s11        |  CFA-16 .. CFA-104      | s0 .. s11        |
//!   | fs0 .. fs11      |  CFA-112 .. CFA-200     | fs0 .. fs11      |
//!   | (padding)        |  CFA-208 <- *save       | (padding)        | <- to_sp
//!   +------------------+                         +------------------+
//! ```
//!
//! # Context stack top
//!
//! ```text
//!   top      -> (16-byte aligned)
//!   top-8       zero
//!   top-16      pointer to LINK (in the header: the resumer's saved stack pointer,
//!               written by every resume)
//!   top-224     initial 208-byte frame: ra = stackswitch_ctx_start, s0 = 0,
//!               s1 = entry function, s2 = entry data, the rest zero  <- initial sp
//! ```
//!
//! `stackswitch_ctx_start` runs with `sp = top-16`; its CFI computes the CFA as
//! `**(top-16) + 208` (the link, read through the pointer to it) so
//! unwinders continue in the function that resumed the context.

use core::arch::{asm, global_asm};

use super::EntryFn;

pub(crate) use super::symmetric::{finish, resume, start_fp_control, suspend};

/// The pointer to the link (the resumer's stack pointer, in the context's
/// header) sits at `top - LINK_OFFSET`.
pub(crate) const LINK_OFFSET: usize = 16;

/// Size of the frame `stackswitch_switch` leaves on a suspended stack.
const SWITCH_FRAME: usize = 208;

/// The CFI rules for a saved switch frame (offsets from the CFA), written once:
/// used by `stackswitch_switch` and by `stackswitch_ctx_start`, whose CFA is the
/// resumer's.
macro_rules! cfi_switch_frame {
    () => {
        concat!(
            ".cfi_offset ra, -8",
            "\n",
            ".cfi_offset s0, -16",
            "\n",
            ".cfi_offset s1, -24",
            "\n",
            ".cfi_offset s2, -32",
            "\n",
            ".cfi_offset s3, -40",
            "\n",
            ".cfi_offset s4, -48",
            "\n",
            ".cfi_offset s5, -56",
            "\n",
            ".cfi_offset s6, -64",
            "\n",
            ".cfi_offset s7, -72",
            "\n",
            ".cfi_offset s8, -80",
            "\n",
            ".cfi_offset s9, -88",
            "\n",
            ".cfi_offset s10, -96",
            "\n",
            ".cfi_offset s11, -104",
            "\n",
            ".cfi_offset fs0, -112",
            "\n",
            ".cfi_offset fs1, -120",
            "\n",
            ".cfi_offset fs2, -128",
            "\n",
            ".cfi_offset fs3, -136",
            "\n",
            ".cfi_offset fs4, -144",
            "\n",
            ".cfi_offset fs5, -152",
            "\n",
            ".cfi_offset fs6, -160",
            "\n",
            ".cfi_offset fs7, -168",
            "\n",
            ".cfi_offset fs8, -176",
            "\n",
            ".cfi_offset fs9, -184",
            "\n",
            ".cfi_offset fs10, -192",
            "\n",
            ".cfi_offset fs11, -200",
            "\n",
        )
    };
}

global_asm!(
    asm_fn_begin!("stackswitch_on_stack"),
    ".cfi_startproc",
    // Marked as a signal frame: debuggers then accept that the caller's frame
    // lies on another stack at a lower address (gdb otherwise stops with
    // "previous frame inner to this frame"); unwinders look the caller up
    // at its exact return address, which is inside the calling function.
    ".cfi_signal_frame",
    "addi sp, sp, -16",
    ".cfi_def_cfa_offset 16",
    "sd ra, 8(sp)",
    "sd s0, 0(sp)",
    ".cfi_offset ra, -8",
    ".cfi_offset s0, -16",
    // s0 anchors the CFA for the whole call, whatever the new stack holds.
    "mv s0, sp",
    ".cfi_def_cfa s0, 16",
    "mv t0, a1",
    // Second argument of f: the stack pointer we are leaving.
    "mv a1, sp",
    "mv sp, a2",
    "jalr t0",
    // From here on a0, a1, fa0 and fa1 are left as f left them: the routine
    // returns what f returns (`call::switch_call_nounwind` relies on it).
    "mv sp, s0",
    ".cfi_def_cfa sp, 16",
    "ld ra, 8(sp)",
    "ld s0, 0(sp)",
    ".cfi_restore ra",
    ".cfi_restore s0",
    "addi sp, sp, 16",
    ".cfi_def_cfa_offset 0",
    "ret",
    ".cfi_endproc",
    asm_fn_end!("stackswitch_on_stack"),
);

global_asm!(
    // The target has the D extension (riscv64gc), but LLVM assembles
    // module-level assembly of an optimised build without the target's
    // features, and rejects `fsd` / `fld` there; enable D for this block only.
    ".option push",
    ".option arch, +d",
    asm_fn_begin!("stackswitch_switch"),
    ".cfi_startproc",
    "addi sp, sp, -208",
    ".cfi_def_cfa_offset 208",
    "sd ra, 200(sp)",
    "sd s0, 192(sp)",
    "sd s1, 184(sp)",
    "sd s2, 176(sp)",
    "sd s3, 168(sp)",
    "sd s4, 160(sp)",
    "sd s5, 152(sp)",
    "sd s6, 144(sp)",
    "sd s7, 136(sp)",
    "sd s8, 128(sp)",
    "sd s9, 120(sp)",
    "sd s10, 112(sp)",
    "sd s11, 104(sp)",
    "fsd fs0, 96(sp)",
    "fsd fs1, 88(sp)",
    "fsd fs2, 80(sp)",
    "fsd fs3, 72(sp)",
    "fsd fs4, 64(sp)",
    "fsd fs5, 56(sp)",
    "fsd fs6, 48(sp)",
    "fsd fs7, 40(sp)",
    "fsd fs8, 32(sp)",
    "fsd fs9, 24(sp)",
    "fsd fs10, 16(sp)",
    "fsd fs11, 8(sp)",
    cfi_switch_frame!(),
    "sd sp, 0(a3)",
    // From here on sp points at the other side's frame, same layout.
    "mv sp, a2",
    "ld ra, 200(sp)",
    "ld s0, 192(sp)",
    "ld s1, 184(sp)",
    "ld s2, 176(sp)",
    "ld s3, 168(sp)",
    "ld s4, 160(sp)",
    "ld s5, 152(sp)",
    "ld s6, 144(sp)",
    "ld s7, 136(sp)",
    "ld s8, 128(sp)",
    "ld s9, 120(sp)",
    "ld s10, 112(sp)",
    "ld s11, 104(sp)",
    "fld fs0, 96(sp)",
    "fld fs1, 88(sp)",
    "fld fs2, 80(sp)",
    "fld fs3, 72(sp)",
    "fld fs4, 64(sp)",
    "fld fs5, 56(sp)",
    "fld fs6, 48(sp)",
    "fld fs7, 40(sp)",
    "fld fs8, 32(sp)",
    "fld fs9, 24(sp)",
    "fld fs10, 16(sp)",
    "fld fs11, 8(sp)",
    "addi sp, sp, 208",
    ".cfi_def_cfa_offset 0",
    // a0 / a1 still hold the value and aux handed over; ra is the other
    // side's resume address.
    "ret",
    ".cfi_endproc",
    asm_fn_end!("stackswitch_switch"),
    ".option pop",
);

global_asm!(
    asm_fn_begin!("stackswitch_ctx_start"),
    ".cfi_startproc",
    // CFA = **(sp + 0) + 208: DW_CFA_def_cfa_expression, 7 bytes:
    // DW_OP_breg2 (sp) 0, DW_OP_deref (the pointer to the link), DW_OP_deref
    // (the link: the resumer's sp), DW_OP_plus_uconst 208 (uleb128 0xd0 0x01).
    ".cfi_escape 0x0f, 0x07, 0x72, 0x00, 0x06, 0x06, 0x23, 0xd0, 0x01",
    // The resumer's registers, saved by its stackswitch_switch.
    cfi_switch_frame!(),
    // a0: first resume argument (already in place), a1 (aux) unused;
    // s2: entry data; s1: entry.
    "mv a1, s2",
    "jalr s1",
    // The entry never returns: it switches away for good when done.
    "unimp",
    ".cfi_endproc",
    asm_fn_end!("stackswitch_ctx_start"),
);

/// Lays out the initial frame of a context stack and returns its stack
/// pointer; `link` is the context's link (in its header).
///
/// # Safety
/// - `top` is the (exclusive) top of writable memory at least 240 bytes long.
/// - The returned stack pointer is switched to at most once.
pub(crate) unsafe fn init_context_stack(
    top: usize,
    entry: EntryFn,
    data: *mut u8,
    link: *mut usize,
) -> usize {
    let top = top & !15;
    let sp = top - LINK_OFFSET - SWITCH_FRAME;
    let mut words = [0usize; (SWITCH_FRAME + LINK_OFFSET) / 8];
    words[25] = super::stackswitch_ctx_start as *const () as usize; // ra at 200
    words[24] = 0; // s0 at 192
    words[23] = entry as *const () as usize; // s1 at 184
    words[22] = data as usize; // s2 at 176
    words[26] = link as usize; // top - 16
    // SAFETY: [sp, top) is 224 bytes inside the caller's writable region (first
    // point of the contract), 8-byte aligned since top is 16-aligned.
    unsafe { core::ptr::copy_nonoverlapping(words.as_ptr(), sp as *mut usize, words.len()) };
    sp
}

/// The current stack pointer.
#[inline(always)]
pub(crate) fn current_sp() -> usize {
    let sp: usize;
    // SAFETY: reads sp into a register; no memory access, no side effects.
    unsafe { asm!("mv {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}
