//! Hot paths side by side, one group each, so ratios come from one run:
//! - `on_stack`: direct call / `psm::on_stack` / `stackswitch::on_stack`;
//! - `context_switch` (a resume + suspend round trip): direct call /
//!   `corosensei` resume+yield / `stackswitch` resume+suspend (with and
//!   without floating-point control preservation).

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
    g.bench_function("stackswitch", |b| {
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
    g.bench_function("stackswitch_no_fp_control", |b| {
        b.iter(|| match ctx_nofp.resume(black_box(7)) {
            Resume::Suspended(v) => v,
            _ => unreachable!(),
        })
    });
    g.finish();
}

criterion_group!(benches, on_stack_group, context_group);
criterion_main!(benches);
