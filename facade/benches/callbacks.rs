//! Cost of C calling back into Rust through `export!`, in one group (`callbacks`) so
//! ratios come from one run, with the ids `cargo xtask bench-go` reads:
//!
//! - `runtime_thread`: a green thread calls C (no arguments to check), which calls an
//!   exported function once (Go's `BenchmarkCallbackFromGoThread`: one cgo call plus
//!   one callback);
//! - `runtime_thread_ptr_arg`: the same with the callback passed as a pointer
//!   argument (checked at level 1, like any raw pointer argument);
//! - `bound_foreign_thread`: a thread created by C calls an exported function in a
//!   loop; the time per callback, measured in C around the loop (Go's
//!   `BenchmarkCallbackFromCThreadCached`);
//! - `new_thread_with_callback` / `new_thread_plain`: create and join a C thread that
//!   makes one callback / none; the difference is what attaching and releasing an
//!   extra context costs (Go's `BenchmarkNewCThreadPaired`);
//! - group `callbacks_in_thread`, `new_c_thread_attach_callback_exit` /
//!   `new_c_thread_no_callback`: the same two timed inside each new thread, from its
//!   start to the end of its thread-key destructors (creation and joining left out,
//!   whose noise swamps the difference above); their difference is attach + callback +
//!   exit alone;
//! - `direct_call`: an empty C call, for scale.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::ffi::{c_int, c_void};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use facade::Runtime;

facade::c_functions! {
    #![link(name = "facade_callbacks", kind = "static")]
    fn facade_cb_call(cb: *const c_void, x: i64) -> i64;
    fn facade_cb_thread_loop(cb: *const c_void, n: i64, ns: *mut i64) -> i64;
    fn facade_thread_plain() -> c_int;
    fn facade_cb_store(cb: *const c_void);
    fn facade_cb_stored(x: i64) -> i64;
    fn facade_timed_thread(cb: *const c_void) -> i64;
}

#[link(name = "facade_tests", kind = "static")]
unsafe extern "C-unwind" {
    fn facade_empty();
}

facade::export! {
    /// The callback: returns its argument.
    fn bench_cb(x: i64) -> i64 {
        x
    }
}

fn cb() -> *const c_void {
    bench_cb as *const c_void
}

fn callbacks(c: &mut Criterion) {
    let rt = Runtime::builder().processors(1).build().expect("runtime");
    let mut g = c.benchmark_group("callbacks");
    g.bench_function("direct_call", |b| {
        b.iter_custom(|n| {
            rt.block_on(move || {
                let t = Instant::now();
                for _ in 0..n {
                    // SAFETY: an empty C function.
                    unsafe { facade_empty() }
                }
                t.elapsed()
            })
        })
    });
    // SAFETY: `bench_cb` has the signature C calls.
    unsafe { facade_cb_store(cb()) };
    g.bench_function("runtime_thread", |b| {
        b.iter_custom(|n| {
            rt.block_on(move || {
                let t = Instant::now();
                for i in 0..n {
                    // SAFETY: calls the stored `bench_cb`.
                    std::hint::black_box(unsafe { facade_cb_stored(i as i64) });
                }
                t.elapsed()
            })
        })
    });
    g.bench_function("runtime_thread_ptr_arg", |b| {
        b.iter_custom(|n| {
            rt.block_on(move || {
                let t = Instant::now();
                for i in 0..n {
                    // SAFETY: `bench_cb` has the signature C calls.
                    std::hint::black_box(unsafe { facade_cb_call(cb(), i as i64) });
                }
                t.elapsed()
            })
        })
    });
    g.bench_function("bound_foreign_thread", |b| {
        b.iter_custom(|n| {
            let mut ns = 0i64;
            // SAFETY: as above; `ns` is a valid i64.
            let r = unsafe { facade_cb_thread_loop(cb(), n as i64, &mut ns) };
            assert_ne!(r, i64::MIN, "pthread_create failed");
            Duration::from_nanos(ns as u64)
        })
    });
    g.bench_function("new_thread_with_callback", |b| {
        b.iter_custom(|n| {
            let t = Instant::now();
            for _ in 0..n {
                // SAFETY: as above; a null `ns` is allowed.
                let r = unsafe { facade_cb_thread_loop(cb(), 1, std::ptr::null_mut()) };
                assert_ne!(r, i64::MIN, "pthread_create failed");
            }
            t.elapsed()
        })
    });
    g.bench_function("new_thread_plain", |b| {
        b.iter_custom(|n| {
            let t = Instant::now();
            for _ in 0..n {
                // SAFETY: creates and joins a thread that does nothing.
                assert_eq!(unsafe { facade_thread_plain() }, 0);
            }
            t.elapsed()
        })
    });
    g.finish();

    // Every iteration is a thread (~50 us of real time for ~1 us measured), so the
    // group's measurement time is short.
    let mut g = c.benchmark_group("callbacks_in_thread");
    g.warm_up_time(Duration::from_millis(200));
    g.measurement_time(Duration::from_millis(300));
    g.sample_size(20);
    for (id, f) in [
        ("new_c_thread_no_callback", std::ptr::null()),
        ("new_c_thread_attach_callback_exit", cb()),
    ] {
        g.bench_function(id, |b| {
            b.iter_custom(|n| {
                let mut ns = 0;
                for _ in 0..n {
                    // SAFETY: `f` is `bench_cb`, of the signature C calls, or null (no
                    // callback); the thread is joined before the call returns.
                    let t = unsafe { facade_timed_thread(f) };
                    assert!(t >= 0, "pthread_create failed");
                    ns += t as u64;
                }
                Duration::from_nanos(ns)
            })
        });
    }
    g.finish();
    drop(rt);
}

criterion_group!(benches, callbacks);
criterion_main!(benches);
