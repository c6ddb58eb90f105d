//! Hot paths side by side, one group each, so ratios come from one run:
//! - `on_stack`: direct call / `psm::on_stack` / `stackswitch::on_stack`;
//! - `context_switch` (a resume + suspend round trip): direct call /
//!   `corosensei` resume+yield / `stackswitch` resume+suspend twice:
//!   `stackswitch_default` keeps the MXCSR and x87 control words across the
//!   switch as the ABI requires (corosensei does not), and
//!   `stackswitch_like_corosensei` (`preserve_fp_control: false`) keeps the
//!   same register set as corosensei: the like-for-like comparison;
//! - `fp_control_words` (x86_64): the control-word instructions on their own.

// criterion_group! expands to an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use corosensei::{Coroutine, CoroutineResult};
use criterion::{Criterion, criterion_group, criterion_main};
use stackswitch::{Context, ContextOptions, Resume, Stack, on_stack};

#[inline(never)]
fn work(x: usize) -> usize {
    black_box(x).wrapping_mul(3).wrapping_add(1)
}

fn on_stack_group(c: &mut Criterion) {
    let mut g = c.benchmark_group("on_stack");
    g.bench_function("direct_call", |b| b.iter(|| work(black_box(7))));
    let mut psm_stack = vec![0u128; 64 * 1024 / 16];
    let base = psm_stack.as_mut_ptr().cast::<u8>();
    g.bench_function("psm", |b| {
        b.iter(|| {
            // SAFETY: `psm_stack` is 64 KiB of writable memory used by nothing else.
            unsafe { psm::on_stack(base, 64 * 1024, || work(black_box(7))) }
        })
    });
    let mut stack = Stack::new(64 * 1024).unwrap();
    g.bench_function("stackswitch", |b| {
        b.iter(|| on_stack(&mut stack, || work(black_box(7))))
    });
    g.finish();
}

fn context_group(c: &mut Criterion) {
    let mut g = c.benchmark_group("context_switch");
    g.bench_function("direct_call", |b| b.iter(|| work(black_box(7))));
    let mut co = Coroutine::new(|y: &corosensei::Yielder<usize, usize>, mut v: usize| {
        loop {
            v = y.suspend(work(v));
        }
    });
    g.bench_function("corosensei", |b| {
        b.iter(|| match co.resume(black_box(7)) {
            CoroutineResult::Yield(v) => v,
            CoroutineResult::Return(()) => unreachable!(),
        })
    });
    let mut ctx: Context<()> = Context::new(Stack::new(64 * 1024).unwrap(), |y, mut v| {
        loop {
            v = y.suspend(work(v));
        }
    });
    g.bench_function("stackswitch_default", |b| {
        b.iter(|| match ctx.resume(black_box(7)) {
            Resume::Suspended(v) => v,
            _ => unreachable!(),
        })
    });
    let mut ctx_nofp: Context<()> = Context::with_options(
        Stack::new(64 * 1024).unwrap(),
        ContextOptions {
            preserve_fp_control: false,
        },
        |y, mut v| loop {
            v = y.suspend(work(v));
        },
    );
    g.bench_function("stackswitch_like_corosensei", |b| {
        b.iter(|| match ctx_nofp.resume(black_box(7)) {
            Resume::Suspended(v) => v,
            _ => unreachable!(),
        })
    });
    g.finish();
}

/// What the floating-point control words cost on their own (x86_64): why
/// `stackswitch_default` cannot reach corosensei's round trip. One asm block
/// per iteration, against an empty one; the operand points at two words that
/// hold the live MXCSR and x87 control word.
#[cfg(target_arch = "x86_64")]
fn fp_control_group(c: &mut Criterion) {
    use core::arch::asm;
    let mut g = c.benchmark_group("fp_control_words");
    let mut words = [0u32; 2];
    let p = words.as_mut_ptr();
    // SAFETY: stores the live words, so that the loads measured below change
    // nothing.
    unsafe {
        asm!("stmxcsr dword ptr [{0}]", "fnstcw word ptr [{0} + 4]", in(reg) p, options(nostack))
    };
    macro_rules! bench_asm {
        ($name:literal, $($insn:literal),*) => {
            g.bench_function($name, |b| {
                b.iter(|| {
                    // SAFETY: the instructions only store the live control
                    // words to `words` or load them back from there.
                    unsafe { asm!($($insn,)* "/* {0} */", in(reg) black_box(p), options(nostack)) }
                })
            });
        };
    }
    bench_asm!("empty",);
    bench_asm!("stmxcsr", "stmxcsr dword ptr [{0}]");
    if std::arch::is_x86_feature_detected!("avx") {
        bench_asm!("vstmxcsr", "vstmxcsr dword ptr [{0}]");
    }
    bench_asm!("fnstcw", "fnstcw word ptr [{0} + 4]");
    bench_asm!(
        "stmxcsr_fnstcw",
        "stmxcsr dword ptr [{0}]",
        "fnstcw word ptr [{0} + 4]"
    );
    bench_asm!(
        "ldmxcsr_fldcw_same_words",
        "ldmxcsr dword ptr [{0}]",
        "fldcw word ptr [{0} + 4]"
    );
    g.finish();
}

#[cfg(not(target_arch = "x86_64"))]
fn fp_control_group(_: &mut Criterion) {}

criterion_group!(benches, on_stack_group, context_group, fp_control_group);
criterion_main!(benches);
