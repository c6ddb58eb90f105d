//! aarch64 (AAPCS64: Linux and macOS).
//!
//! Callee-saved state preserved by a switch: `x19`–`x28`, the frame pointer
//! `x29`, the link register `x30` (it is the resume address) and the low
//! halves `d8`–`d15` of `v8`–`v15`. `x18` is the platform register and is
//! never touched.
//!
//! # `stackswitch_switch(value = x0, aux = x1, to_sp = x2, save = x3) -> (x0, x1)`
//!
//! ```text
//!   this side's stack                            the other side's stack (saved earlier)
//!   +------------------+ <- CFA                  +------------------+
//!   | x29 | x30        |  CFA-16 / CFA-8         | x29 | x30        |  -> `ret` goes to x30
//!   | x27 | x28        |  CFA-32 / CFA-24        | x27 | x28        |
//!   | ...  x19 .. x26  |                         | ...              |
//!   | d14 | d15        |  CFA-112 / CFA-104      | d14 | d15        |
//!   | ...  d8 .. d13   |                         | ...              |
//!   | d8  | d9         |  CFA-160 <- *save       | d8  | d9         | <- to_sp
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
//!   top-176     initial 160-byte frame: x30 = stackswitch_ctx_start, x29 = 0,
//!               x19 = entry function, x20 = entry data, the rest zero  <- initial sp
//! ```
//!
//! `stackswitch_ctx_start` runs with `sp = top-16`; its CFI computes the CFA as
//! `**(top-16) + 160` (the link, read through the pointer to it) so
//! unwinders continue in the function that resumed the context.

use core::arch::{asm, global_asm};

use super::EntryFn;

pub(crate) use super::symmetric::{finish, resume, start_fp_control, suspend};

/// The pointer to the link (the resumer's stack pointer, in the context's
/// header) sits at `top - LINK_OFFSET`.
pub(crate) const LINK_OFFSET: usize = 16;

/// Size of the frame `stackswitch_switch` leaves on a suspended stack.
const SWITCH_FRAME: usize = 160;

/// The CFI rules for a saved switch frame (offsets from the CFA), written once:
/// used by `stackswitch_switch` and by `stackswitch_ctx_start`, whose CFA is the
/// resumer's. DWARF numbers 72..79 are d8..d15.
macro_rules! cfi_switch_frame {
    () => {
        concat!(
            ".cfi_offset 72, -160",
            "\n",
            ".cfi_offset 73, -152",
            "\n",
            ".cfi_offset 74, -144",
            "\n",
            ".cfi_offset 75, -136",
            "\n",
            ".cfi_offset 76, -128",
            "\n",
            ".cfi_offset 77, -120",
            "\n",
            ".cfi_offset 78, -112",
            "\n",
            ".cfi_offset 79, -104",
            "\n",
            ".cfi_offset x19, -96",
            "\n",
            ".cfi_offset x20, -88",
            "\n",
            ".cfi_offset x21, -80",
            "\n",
            ".cfi_offset x22, -72",
            "\n",
            ".cfi_offset x23, -64",
            "\n",
            ".cfi_offset x24, -56",
            "\n",
            ".cfi_offset x25, -48",
            "\n",
            ".cfi_offset x26, -40",
            "\n",
            ".cfi_offset x27, -32",
            "\n",
            ".cfi_offset x28, -24",
            "\n",
            ".cfi_offset x29, -16",
            "\n",
            ".cfi_offset x30, -8",
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
    "stp x29, x30, [sp, #-16]!",
    ".cfi_def_cfa_offset 16",
    ".cfi_offset x30, -8",
    ".cfi_offset x29, -16",
    // x29 anchors the CFA for the whole call, whatever the new stack holds.
    "mov x29, sp",
    ".cfi_def_cfa_register x29",
    "mov x3, x1",
    // Second argument of f: the stack pointer we are leaving.
    "mov x1, sp",
    "mov sp, x2",
    "blr x3",
    // From here on x0, x1 and v0-v3 are left as f left them: the routine
    // returns what f returns (`call::switch_call_nounwind` relies on it).
    "mov sp, x29",
    ".cfi_def_cfa_register sp",
    "ldp x29, x30, [sp], #16",
    ".cfi_def_cfa_offset 0",
    ".cfi_restore x29",
    ".cfi_restore x30",
    "ret",
    ".cfi_endproc",
    asm_fn_end!("stackswitch_on_stack"),
);

global_asm!(
    asm_fn_begin!("stackswitch_switch"),
    ".cfi_startproc",
    "sub sp, sp, #160",
    ".cfi_def_cfa_offset 160",
    "stp d8, d9, [sp, #0]",
    "stp d10, d11, [sp, #16]",
    "stp d12, d13, [sp, #32]",
    "stp d14, d15, [sp, #48]",
    "stp x19, x20, [sp, #64]",
    "stp x21, x22, [sp, #80]",
    "stp x23, x24, [sp, #96]",
    "stp x25, x26, [sp, #112]",
    "stp x27, x28, [sp, #128]",
    "stp x29, x30, [sp, #144]",
    cfi_switch_frame!(),
    "mov x4, sp",
    "str x4, [x3]",
    // From here on sp points at the other side's frame, same layout.
    "mov sp, x2",
    "ldp d8, d9, [sp, #0]",
    "ldp d10, d11, [sp, #16]",
    "ldp d12, d13, [sp, #32]",
    "ldp d14, d15, [sp, #48]",
    "ldp x19, x20, [sp, #64]",
    "ldp x21, x22, [sp, #80]",
    "ldp x23, x24, [sp, #96]",
    "ldp x25, x26, [sp, #112]",
    "ldp x27, x28, [sp, #128]",
    "ldp x29, x30, [sp, #144]",
    "add sp, sp, #160",
    ".cfi_def_cfa_offset 0",
    // x0 / x1 still hold the value and aux handed over; x30 is the other
    // side's resume address.
    "ret",
    ".cfi_endproc",
    asm_fn_end!("stackswitch_switch"),
);

global_asm!(
    asm_fn_begin!("stackswitch_ctx_start"),
    ".cfi_startproc",
    // CFA = **(sp + 0) + 160: DW_CFA_def_cfa_expression, 7 bytes:
    // DW_OP_breg31 (sp) 0, DW_OP_deref (the pointer to the link), DW_OP_deref
    // (the link: the resumer's sp), DW_OP_plus_uconst 160 (uleb128 0xa0 0x01).
    ".cfi_escape 0x0f, 0x07, 0x8f, 0x00, 0x06, 0x06, 0x23, 0xa0, 0x01",
    // The resumer's registers, saved by its stackswitch_switch.
    cfi_switch_frame!(),
    // x0: first resume argument (already in place), x1 (aux) unused;
    // x20: entry data; x19: entry.
    "mov x1, x20",
    "blr x19",
    // The entry never returns: it switches away for good when done.
    "brk #0",
    ".cfi_endproc",
    asm_fn_end!("stackswitch_ctx_start"),
);

/// Lays out the initial frame of a context stack and returns its stack
/// pointer; `link` is the context's link (in its header).
///
/// # Safety
/// - `top` is the (exclusive) top of writable memory at least 192 bytes long.
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
    words[8] = entry as *const () as usize; // x19
    words[9] = data as usize; // x20
    words[18] = 0; // x29
    words[19] = super::stackswitch_ctx_start as *const () as usize; // x30
    words[20] = link as usize; // top - 16
    // SAFETY: [sp, top) is 176 bytes inside the caller's writable region (first
    // point of the contract), 8-byte aligned since top is 16-aligned.
    unsafe { core::ptr::copy_nonoverlapping(words.as_ptr(), sp as *mut usize, words.len()) };
    sp
}

/// The current stack pointer.
#[inline(always)]
pub(crate) fn current_sp() -> usize {
    let sp: usize;
    // SAFETY: reads sp into a register; no memory access, no side effects.
    unsafe { asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}
