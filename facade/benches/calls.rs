//! Cost of the facade's call path and scheduler, side by side in one group so
//! ratios come from one run: a direct call of an empty C function, the facade
//! call, the `nocallback`+`noescape` call with a pointer, a checked `&b[0]`
//! argument, spawn+join of an empty green thread, and a `yield_now` round trip.
//!
//! Every loop runs inside a green thread (`iter_custom` times it there). Group
//! `calls`, snake_case ids: `cargo xtask bench-go` reads `calls/facade_call`,
//! `calls/facade_call_nocallback_noescape_ptr` and `calls/facade_call_checked_slice_elem`.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::ffi::c_void;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use facade::{Runtime, elem, spawn, yield_now};

#[link(name = "facade_tests", kind = "static")]
unsafe extern "C-unwind" {
    #[link_name = "facade_empty"]
    fn direct_empty();
}

facade::c_functions! {
    #![link(name = "facade_tests", kind = "static")]
    fn facade_empty();
    #[nocallback] #[noescape] fn facade_empty_ptr(p: *mut c_void);
}

mod checked {
    facade::c_functions! {
        #![link(name = "facade_tests", kind = "static")]
        pub fn facade_empty_ptr(p: *const u8);
    }
}

mod checked_ptrs {
    facade::c_functions! {
        #![link(name = "facade_tests", kind = "static")]
        pub fn facade_empty_ptr(p: *const *const u8);
    }
}

/// Time `iters` runs of `f` on a green thread of `rt`. Generic, so `f` is inlined
/// into the loop (as the call in Go's benchmark loop is): the rows measure the
/// call, not an indirect call through a function pointer around it.
fn on_green(rt: &Runtime, iters: u64, f: impl Fn() + Copy + Send + 'static) -> Duration {
    rt.block_on(move || {
        let t = Instant::now();
        for _ in 0..iters {
            f();
        }
        t.elapsed()
    })
}

fn calls(c: &mut Criterion) {
    let rt = Runtime::builder().processors(1).build().expect("runtime");
    let mut g = c.benchmark_group("calls");
    g.bench_function("direct_call", |b| {
        // SAFETY: an empty C function.
        b.iter_custom(|n| on_green(&rt, n, || unsafe { direct_empty() }))
    });
    g.bench_function("facade_call", |b| {
        // SAFETY: as above.
        b.iter_custom(|n| on_green(&rt, n, || unsafe { facade_empty() }))
    });
    g.bench_function("facade_call_nocallback_noescape_ptr", |b| {
        b.iter_custom(|n| {
            on_green(&rt, n, || {
                let mut x = 0u64;
                let p = std::hint::black_box(&mut x as *mut u64 as *mut c_void);
                // SAFETY: the C function ignores its argument.
                unsafe { facade_empty_ptr(p) }
            })
        })
    });
    g.bench_function("facade_call_raw_ptr", |b| {
        b.iter_custom(|n| {
            on_green(&rt, n, || {
                let buf = std::hint::black_box([0u8; 64]);
                // SAFETY: as above.
                unsafe { checked::facade_empty_ptr(buf.as_ptr()) }
            })
        })
    });
    g.bench_function("facade_call_checked_slice_elem", |b| {
        b.iter_custom(|n| {
            on_green(&rt, n, || {
                let buf = std::hint::black_box([0u8; 64]);
                // SAFETY: as above.
                unsafe { checked::facade_empty_ptr(elem(&buf, 0)) }
            })
        })
    });
    g.bench_function("facade_call_checked_ptr_slice_elem_walked", |b| {
        b.iter_custom(|n| {
            on_green(&rt, n, || {
                let ptrs = std::hint::black_box([std::ptr::null::<u8>(); 16]);
                // SAFETY: as above.
                unsafe { checked_ptrs::facade_empty_ptr(elem(&ptrs, 0)) }
            })
        })
    });
    // The two parts of the call path, for the breakdown: the switch to the system
    // stack (stackswitch) and the enter/exit pair (syscall-accounting).
    g.bench_function("part_on_system_stack", |b| {
        b.iter_custom(|n| {
            on_green(&rt, n, || {
                facade::on_system_stack(|| {
                    // SAFETY: an empty C function.
                    unsafe { direct_empty() }
                })
            })
        })
    });
    g.bench_function("part_enter_exit", |b| {
        b.iter_custom(|n| {
            rt.block_on(move || {
                use facade::syscall_accounting::{CallKind, NoScheduler, Procs};
                let procs = Procs::new(1, NoScheduler).expect("one processor");
                let mut p = procs.acquire();
                let t = Instant::now();
                for _ in 0..n {
                    p.enter_raw(CallKind::Lazy);
                    // SAFETY: an empty C function.
                    unsafe { direct_empty() };
                    p.exit();
                }
                t.elapsed()
            })
        })
    });
    g.bench_function("spawn_join", |b| {
        b.iter_custom(|n| on_green(&rt, n, || spawn(|| ()).join().expect("empty green thread")))
    });
    g.bench_function("yield_now", |b| {
        b.iter_custom(|n| on_green(&rt, n, yield_now))
    });
    g.finish();
}

criterion_group!(benches, calls);
criterion_main!(benches);
