//! Hot paths side by side, one group each, so ratios come from one run:
//! - `on_stack`: direct call / `psm::on_stack` / `stackswitch::on_stack`;
//! - `context_switch` (a resume + suspend round trip): direct call /
//!   `corosensei` resume+yield / `stackswitch` resume+suspend twice:
//!   `stackswitch_default` keeps the MXCSR and x87 control words across the
//!   switch as the ABI requires (corosensei does not), and
//!   `stackswitch_like_corosensei` (`preserve_fp_control: false`) keeps the
//!   same register set as corosensei: the like-for-like comparison. Both
//!   resume through a `CurrentThread` made before the loop, as a scheduler does;
//!   `stackswitch_like_corosensei_lookup` resumes with `Context::resume`,
//!   which looks the thread's state up on every call;
//! - `fp_control_words` (x86_64): the control-word instructions on their own;
//! - `register_current_thread` (Linux): a new C thread that registers and
//!   drops its registration, next to one that does nothing, both timed inside
//!   the thread from its start to the end of its destructors (creation and
//!   joining left out): the difference is what registering costs a C thread
//!   that calls into a runtime once (the callback crate's attach and exit).

// criterion_group! expands to an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use corosensei::{Coroutine, CoroutineResult};
use criterion::{Criterion, criterion_group, criterion_main};
use stackswitch::{Context, ContextOptions, CurrentThread, Resume, Stack, on_stack};

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
    let here = CurrentThread::get();
    g.bench_function("stackswitch_default", |b| {
        b.iter(|| match ctx.resume_on(&here, black_box(7)) {
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
        b.iter(|| match ctx_nofp.resume_on(&here, black_box(7)) {
            Resume::Suspended(v) => v,
            _ => unreachable!(),
        })
    });
    g.bench_function("stackswitch_like_corosensei_lookup", |b| {
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

#[cfg(target_os = "linux")]
mod timed {
    #[link(name = "stackswitch_ctests", kind = "static")]
    unsafe extern "C" {
        pub fn ss_timed_thread(work: Option<extern "C" fn()>) -> std::os::raw::c_long;
    }
}

/// Registers the calling (new C) thread and drops the registration.
#[cfg(target_os = "linux")]
extern "C" fn register_and_drop() {
    let reg = stackswitch::register_current_thread().expect("register_current_thread");
    drop(black_box(reg));
}

/// `iters` new C threads running `work`, timed inside each (see
/// `tests/c/timed_thread.c`), summed.
#[cfg(target_os = "linux")]
fn timed_threads(work: Option<extern "C" fn()>, iters: u64) -> std::time::Duration {
    let mut ns = 0u64;
    for _ in 0..iters {
        // SAFETY: `work` is a valid C-ABI function without arguments, or none;
        // the thread is joined before ss_timed_thread returns.
        let t = unsafe { timed::ss_timed_thread(work) };
        assert!(t >= 0, "could not create a thread");
        ns += t as u64;
    }
    std::time::Duration::from_nanos(ns)
}

#[cfg(target_os = "linux")]
fn register_group(c: &mut Criterion) {
    use std::time::Duration;
    let mut g = c.benchmark_group("register_current_thread");
    // Every iteration is a thread (~50 us of real time for ~1 us measured).
    g.warm_up_time(Duration::from_millis(200));
    g.measurement_time(Duration::from_millis(500));
    g.sample_size(20);
    g.bench_function("new_c_thread_nothing", |b| {
        b.iter_custom(|iters| timed_threads(None, iters))
    });
    g.bench_function("new_c_thread_register_drop", |b| {
        b.iter_custom(|iters| timed_threads(Some(register_and_drop), iters))
    });
    g.finish();
}

#[cfg(not(target_os = "linux"))]
fn register_group(_: &mut Criterion) {}

criterion_group!(
    benches,
    on_stack_group,
    context_group,
    fp_control_group,
    register_group
);
criterion_main!(benches);
