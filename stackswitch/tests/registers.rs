//! Register-clobber test: assembly loads known values into every
//! callee-saved register (and, on x86_64, non-default MXCSR / x87 control
//! words), switches through a context, and reads them back afterwards. Both
//! directions are checked: the resumer's registers across resume, and the
//! context's registers across suspend. Contexts without floating-point
//! control preservation keep every general-purpose (and, on aarch64 and
//! riscv64, floating-point) callee-saved register the same way.

#![cfg(target_os = "linux")]

use core::ffi::c_void;

use stackswitch::{Context, ContextOptions, Resume, Stack, Yielder};

cfg_if::cfg_if! {
    if #[cfg(target_arch = "x86_64")] {
        // ss_probe(call = rdi, arg = rsi, pattern = rdx, out = rcx, mxcsr = r8, x87cw = r9):
        // saves the real callee-saved state, loads rbx, rbp, r12..r15 =
        // pattern + 0..5 and the given control words, calls call(arg), stores
        // rbx..r15, MXCSR, x87 CW to out[0..8], restores, returns.
        core::arch::global_asm!(
            ".globl ss_probe",
    "ss_probe:",
    "push rbp",
    "push rbx",
    "push r12",
    "push r13",
    "push r14",
    "push r15",
    "sub rsp, 40",
    "stmxcsr dword ptr [rsp]",
    "fnstcw word ptr [rsp + 4]",
    "mov [rsp + 8], rcx",
    "mov [rsp + 16], r8d",
    "ldmxcsr dword ptr [rsp + 16]",
    "mov [rsp + 24], r9w",
    "fldcw word ptr [rsp + 24]",
    "mov rax, rdi",
    "mov rdi, rsi",
    "mov rbx, rdx",
    "lea rbp, [rdx + 1]",
    "lea r12, [rdx + 2]",
    "lea r13, [rdx + 3]",
    "lea r14, [rdx + 4]",
    "lea r15, [rdx + 5]",
    "call rax",
    "mov rcx, [rsp + 8]",
    "mov [rcx], rbx",
    "mov [rcx + 8], rbp",
    "mov [rcx + 16], r12",
    "mov [rcx + 24], r13",
    "mov [rcx + 32], r14",
    "mov [rcx + 40], r15",
    "stmxcsr dword ptr [rcx + 48]",
    "fnstcw word ptr [rcx + 56]",
    "ldmxcsr dword ptr [rsp]",
    "fldcw word ptr [rsp + 4]",
    "add rsp, 40",
    "pop r15",
    "pop r14",
    "pop r13",
    "pop r12",
    "pop rbx",
    "pop rbp",
    "ret"
        );
        const N: usize = 8;
        const GPRS: usize = 6;
    } else if #[cfg(target_arch = "aarch64")] {
        // ss_probe(call = x0, arg = x1, pattern = x2, out = x3): x19..x29 =
        // pattern + 0..10, d8..d15 = pattern + 11..18 (as bits); after
        // call(arg) they are stored to out[0..19].
        core::arch::global_asm!(
            ".globl ss_probe",
    "ss_probe:",
    "sub sp, sp, #176",
    "stp x19, x20, [sp, #0]",
    "stp x21, x22, [sp, #16]",
    "stp x23, x24, [sp, #32]",
    "stp x25, x26, [sp, #48]",
    "stp x27, x28, [sp, #64]",
    "stp x29, x30, [sp, #80]",
    "stp d8, d9, [sp, #96]",
    "stp d10, d11, [sp, #112]",
    "stp d12, d13, [sp, #128]",
    "stp d14, d15, [sp, #144]",
    "str x3, [sp, #160]",
    "mov x9, x0",
    "mov x0, x1",
    "add x19, x2, #0",
    "add x20, x2, #1",
    "add x21, x2, #2",
    "add x22, x2, #3",
    "add x23, x2, #4",
    "add x24, x2, #5",
    "add x25, x2, #6",
    "add x26, x2, #7",
    "add x27, x2, #8",
    "add x28, x2, #9",
    "add x29, x2, #10",
    "add x10, x2, #11",
    "fmov d8, x10",
    "add x10, x2, #12",
    "fmov d9, x10",
    "add x10, x2, #13",
    "fmov d10, x10",
    "add x10, x2, #14",
    "fmov d11, x10",
    "add x10, x2, #15",
    "fmov d12, x10",
    "add x10, x2, #16",
    "fmov d13, x10",
    "add x10, x2, #17",
    "fmov d14, x10",
    "add x10, x2, #18",
    "fmov d15, x10",
    "blr x9",
    "ldr x3, [sp, #160]",
    "str x19, [x3, #0]",
    "str x20, [x3, #8]",
    "str x21, [x3, #16]",
    "str x22, [x3, #24]",
    "str x23, [x3, #32]",
    "str x24, [x3, #40]",
    "str x25, [x3, #48]",
    "str x26, [x3, #56]",
    "str x27, [x3, #64]",
    "str x28, [x3, #72]",
    "str x29, [x3, #80]",
    "str d8, [x3, #88]",
    "str d9, [x3, #96]",
    "str d10, [x3, #104]",
    "str d11, [x3, #112]",
    "str d12, [x3, #120]",
    "str d13, [x3, #128]",
    "str d14, [x3, #136]",
    "str d15, [x3, #144]",
    "ldp x19, x20, [sp, #0]",
    "ldp x21, x22, [sp, #16]",
    "ldp x23, x24, [sp, #32]",
    "ldp x25, x26, [sp, #48]",
    "ldp x27, x28, [sp, #64]",
    "ldp x29, x30, [sp, #80]",
    "ldp d8, d9, [sp, #96]",
    "ldp d10, d11, [sp, #112]",
    "ldp d12, d13, [sp, #128]",
    "ldp d14, d15, [sp, #144]",
    "add sp, sp, #176",
    "ret"
        );
        const N: usize = 19;
        const GPRS: usize = 19;
    } else if #[cfg(target_arch = "riscv64")] {
        // ss_probe(call = a0, arg = a1, pattern = a2, out = a3): s0..s11 =
        // pattern + 0..11, fs0..fs11 = pattern + 12..23 (as bits); after
        // call(arg) they are stored to out[0..24].
        core::arch::global_asm!(
            // Optimised builds assemble module-level assembly without the
            // target's D extension: enable it for this block (as stackswitch).
            ".option push",
            ".option arch, +d",
            ".globl ss_probe",
    "ss_probe:",
    "addi sp, sp, -224",
    "sd ra, 0(sp)",
    "sd s0, 8(sp)",
    "sd s1, 16(sp)",
    "sd s2, 24(sp)",
    "sd s3, 32(sp)",
    "sd s4, 40(sp)",
    "sd s5, 48(sp)",
    "sd s6, 56(sp)",
    "sd s7, 64(sp)",
    "sd s8, 72(sp)",
    "sd s9, 80(sp)",
    "sd s10, 88(sp)",
    "sd s11, 96(sp)",
    "fsd fs0, 104(sp)",
    "fsd fs1, 112(sp)",
    "fsd fs2, 120(sp)",
    "fsd fs3, 128(sp)",
    "fsd fs4, 136(sp)",
    "fsd fs5, 144(sp)",
    "fsd fs6, 152(sp)",
    "fsd fs7, 160(sp)",
    "fsd fs8, 168(sp)",
    "fsd fs9, 176(sp)",
    "fsd fs10, 184(sp)",
    "fsd fs11, 192(sp)",
    "sd a3, 200(sp)",
    "mv t0, a0",
    "mv a0, a1",
    "addi s0, a2, 0",
    "addi s1, a2, 1",
    "addi s2, a2, 2",
    "addi s3, a2, 3",
    "addi s4, a2, 4",
    "addi s5, a2, 5",
    "addi s6, a2, 6",
    "addi s7, a2, 7",
    "addi s8, a2, 8",
    "addi s9, a2, 9",
    "addi s10, a2, 10",
    "addi s11, a2, 11",
    "addi t1, a2, 12",
    "fmv.d.x fs0, t1",
    "addi t1, a2, 13",
    "fmv.d.x fs1, t1",
    "addi t1, a2, 14",
    "fmv.d.x fs2, t1",
    "addi t1, a2, 15",
    "fmv.d.x fs3, t1",
    "addi t1, a2, 16",
    "fmv.d.x fs4, t1",
    "addi t1, a2, 17",
    "fmv.d.x fs5, t1",
    "addi t1, a2, 18",
    "fmv.d.x fs6, t1",
    "addi t1, a2, 19",
    "fmv.d.x fs7, t1",
    "addi t1, a2, 20",
    "fmv.d.x fs8, t1",
    "addi t1, a2, 21",
    "fmv.d.x fs9, t1",
    "addi t1, a2, 22",
    "fmv.d.x fs10, t1",
    "addi t1, a2, 23",
    "fmv.d.x fs11, t1",
    "jalr t0",
    "ld a3, 200(sp)",
    "sd s0, 0(a3)",
    "sd s1, 8(a3)",
    "sd s2, 16(a3)",
    "sd s3, 24(a3)",
    "sd s4, 32(a3)",
    "sd s5, 40(a3)",
    "sd s6, 48(a3)",
    "sd s7, 56(a3)",
    "sd s8, 64(a3)",
    "sd s9, 72(a3)",
    "sd s10, 80(a3)",
    "sd s11, 88(a3)",
    "fsd fs0, 96(a3)",
    "fsd fs1, 104(a3)",
    "fsd fs2, 112(a3)",
    "fsd fs3, 120(a3)",
    "fsd fs4, 128(a3)",
    "fsd fs5, 136(a3)",
    "fsd fs6, 144(a3)",
    "fsd fs7, 152(a3)",
    "fsd fs8, 160(a3)",
    "fsd fs9, 168(a3)",
    "fsd fs10, 176(a3)",
    "fsd fs11, 184(a3)",
    "ld ra, 0(sp)",
    "ld s0, 8(sp)",
    "ld s1, 16(sp)",
    "ld s2, 24(sp)",
    "ld s3, 32(sp)",
    "ld s4, 40(sp)",
    "ld s5, 48(sp)",
    "ld s6, 56(sp)",
    "ld s7, 64(sp)",
    "ld s8, 72(sp)",
    "ld s9, 80(sp)",
    "ld s10, 88(sp)",
    "ld s11, 96(sp)",
    "fld fs0, 104(sp)",
    "fld fs1, 112(sp)",
    "fld fs2, 120(sp)",
    "fld fs3, 128(sp)",
    "fld fs4, 136(sp)",
    "fld fs5, 144(sp)",
    "fld fs6, 152(sp)",
    "fld fs7, 160(sp)",
    "fld fs8, 168(sp)",
    "fld fs9, 176(sp)",
    "fld fs10, 184(sp)",
    "fld fs11, 192(sp)",
    "addi sp, sp, 224",
    "ret",
            ".option pop",
        );
        const N: usize = 24;
        const GPRS: usize = 24;
    }
}

unsafe extern "C" {
    fn ss_probe(
        call: extern "C" fn(*mut c_void),
        arg: *mut c_void,
        pattern: u64,
        out: *mut u64,
        mxcsr: u64,
        x87cw: u64,
    );
}

const OUTER: u64 = 0x5555_0000_0000_1000;
const INNER: u64 = 0xAAAA_0000_0000_2000;
// Non-default rounding modes: toward zero (outer) and down (inner).
const OUTER_MXCSR: u64 = 0x7F80;
const INNER_MXCSR: u64 = 0x3F80;
/// The resumer's MXCSR in the second round: differs from both others, so
/// the context's resume point and its final switch each have to reload.
const OUTER2_MXCSR: u64 = 0x5F80;
const OUTER_X87: u64 = 0x0F7F;
const INNER_X87: u64 = 0x077F;

struct Resumer {
    ctx: Context<[u64; N]>,
    last: Option<Resume<[u64; N]>>,
}

extern "C" fn resume_thunk(arg: *mut c_void) {
    // SAFETY: `arg` is the test's Resumer, exclusively lent for this call.
    let r = unsafe { &mut *arg.cast::<Resumer>() };
    r.last = Some(r.ctx.resume(0));
}

extern "C" fn suspend_thunk(arg: *mut c_void) {
    // SAFETY: `arg` is the Yielder of the running context (see the closure).
    let y = unsafe { &*arg.cast::<Yielder>() };
    y.suspend(0);
}

fn probe(
    call: extern "C" fn(*mut c_void),
    arg: *mut c_void,
    pattern: u64,
    mxcsr: u64,
    x87: u64,
) -> [u64; N] {
    let mut out = [0u64; N];
    // SAFETY: ss_probe preserves every callee-saved register for its caller,
    // calls `call(arg)` once, and writes N words to `out`.
    unsafe { ss_probe(call, arg, pattern, out.as_mut_ptr(), mxcsr, x87) };
    out
}

fn check(out: &[u64; N], pattern: u64, fp: Option<(u64, u64)>, who: &str) {
    for (i, v) in out.iter().take(GPRS).enumerate() {
        assert_eq!(
            *v,
            pattern + i as u64,
            "{who}: callee-saved register #{i} changed across the switch"
        );
    }
    // x86_64 only: the two words after the registers are MXCSR and x87 CW.
    if let (&[mx, cw], Some((mxcsr, x87))) = (&out[GPRS..], fp) {
        assert_eq!(
            mx & 0xFFFF_FFFF,
            mxcsr,
            "{who}: MXCSR changed across the switch"
        );
        assert_eq!(
            cw & 0xFFFF,
            x87,
            "{who}: x87 control word changed across the switch"
        );
    }
}

/// Runs the two rounds with a context created with `options`; the control
/// words are checked when the context preserves them.
fn registers_survive_switches_both_ways(options: ContextOptions) {
    let ctx = Context::with_options(Stack::new(64 * 1024).unwrap(), options, |y, _| {
        let y: *const Yielder = y;
        // Suspends with the context's registers loaded; checked after resume.
        probe(
            suspend_thunk,
            y.cast_mut().cast(),
            INNER,
            INNER_MXCSR,
            INNER_X87,
        )
    });
    let fp = options.preserve_fp_control;
    let words = |mxcsr, x87| fp.then_some((mxcsr, x87));
    let mut r = Resumer { ctx, last: None };
    // First round: the resumer's registers across resume -> suspend.
    let outer = probe(
        resume_thunk,
        (&raw mut r).cast(),
        OUTER,
        OUTER_MXCSR,
        OUTER_X87,
    );
    check(&outer, OUTER, words(OUTER_MXCSR, OUTER_X87), "resumer");
    assert!(matches!(r.last.take(), Some(Resume::Suspended(0))));
    // Second round with other values in the resumer: the context's registers
    // across suspend -> resume, and the resumer's across the final switch.
    let outer2 = probe(
        resume_thunk,
        (&raw mut r).cast(),
        OUTER ^ 0xFF00,
        OUTER2_MXCSR,
        OUTER_X87,
    );
    check(
        &outer2,
        OUTER ^ 0xFF00,
        words(OUTER2_MXCSR, OUTER_X87),
        "resumer (second)",
    );
    let Some(Resume::Returned(inner)) = r.last.take() else {
        panic!("context did not finish")
    };
    check(&inner, INNER, words(INNER_MXCSR, INNER_X87), "context");
}

#[test]
fn every_callee_saved_register_survives_switches_both_ways() {
    registers_survive_switches_both_ways(ContextOptions::default());
}

#[test]
fn without_fp_control_the_other_callee_saved_registers_survive() {
    registers_survive_switches_both_ways(ContextOptions {
        preserve_fp_control: false,
    });
}
