//! Callback costs, side by side in one group so ratios come from one run:
//! a plain C → Rust call (no protocol), a callback on a runtime thread inside a foreign
//! call (with and without processor accounting, and with accounting through the
//! per-thread handles a runtime's workers make once), a bound foreign-thread callback, a
//! callback that attaches and detaches every time, and a new C thread that calls in once
//! (attach + exit) next to one that does not.

#![allow(missing_docs)] // `criterion_group!` generates an undocumented function.

use std::hint::black_box;
use std::os::raw::{c_int, c_long};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use callback::{
    BindPolicy, ForeignFn, RuntimeThread, ThreadsOnly, call_foreign, call_foreign_on, callback,
};
use criterion::{Criterion, criterion_group, criterion_main};
use syscall_accounting::{CallKind, NoScheduler, Procs};

type Cb = extern "C" fn(c_int) -> c_int;

#[link(name = "callback_tests", kind = "static")]
unsafe extern "C" {
    fn cbt_call(cb: Cb, x: c_int) -> c_int;
    fn cbt_loop(cb: Cb, n: c_long) -> c_long;
    fn cbt_thread_loop(cb: Cb, n: c_long, stack: usize) -> c_long;
    fn cbt_timed_thread(cb: Option<Cb>) -> c_long;
}

/// `cbt_call(cb, x)`.
fn c_call(cb: Cb, x: c_int) -> c_int {
    // SAFETY: `cb` is a valid C-ABI function of the declared type; cbt_call only calls it.
    unsafe { cbt_call(cb, x) }
}

/// `cbt_loop(cb, n)`.
fn c_loop(cb: Cb, n: u64) {
    // SAFETY: as in `c_call`.
    unsafe { cbt_loop(cb, n as c_long) };
}

/// `cbt_thread_loop(cb, 1, 0)`: a new C thread calling `cb` once.
fn c_thread_once(cb: Cb) -> c_long {
    // SAFETY: as in `c_call`; the thread is joined before returning.
    unsafe { cbt_thread_loop(cb, 1, 0) }
}

/// Time inside a new C thread from before its first callback (or where it would be) to
/// the end of its destructors, summed over `iters` threads (see `cbt_timed_thread`).
fn timed_threads(cb: Option<Cb>, iters: u64) -> Duration {
    let mut ns = 0u64;
    for _ in 0..iters {
        // SAFETY: `cb` is a valid C-ABI function of the declared type, or none; the
        // thread is joined before returning.
        let t = unsafe { cbt_timed_thread(cb) };
        assert!(t >= 0, "could not create a thread");
        ns += t as u64;
    }
    Duration::from_nanos(ns)
}

static RT: ThreadsOnly = ThreadsOnly;

extern "C" fn direct(x: c_int) -> c_int {
    black_box(x) + 1
}

extern "C" fn exported(x: c_int) -> c_int {
    callback("exported", || black_box(x) + 1)
}

const F: ForeignFn = ForeignFn::new("cbt_call");

fn benches(c: &mut Criterion) {
    let _ = callback::init(&RT);
    let mut g = c.benchmark_group("callback");

    g.bench_function("c_calls_plain_rust_fn", |b| {
        b.iter(|| c_call(direct, black_box(1)))
    });
    g.bench_function("runtime_thread_call_and_callback", |b| {
        b.iter(|| call_foreign(&F, || c_call(exported, black_box(1))))
    });
    let procs = Procs::new(1, NoScheduler).unwrap();
    let mut p = procs.acquire();
    g.bench_function("runtime_thread_call_and_callback_with_processor", |b| {
        b.iter(|| {
            call_foreign_on(&mut p, CallKind::Lazy, &F, || {
                c_call(exported, black_box(1))
            })
        })
    });
    // The same through the handles a runtime's worker makes once (the facade's workers
    // do): the call looks nothing up (the callback, from C, still looks up its context).
    // SAFETY: used on this thread only, dropped before it exits.
    let rt = unsafe { RuntimeThread::current() }.expect("a runtime thread");
    g.bench_function(
        "runtime_thread_call_and_callback_with_processor_handles",
        |b| {
            b.iter(|| {
                rt.call_foreign_on(&mut p, CallKind::Lazy, &F, || {
                    c_call(exported, black_box(1))
                })
            })
        },
    );
    drop(p);

    // A foreign thread (no runtime context until its first callback) runs C loops of
    // callbacks on request and reports the time per batch.
    let (req_tx, req_rx) = mpsc::channel::<(Cb, u64)>();
    let (done_tx, done_rx) = mpsc::channel::<Duration>();
    let worker = std::thread::spawn(move || {
        for (cb, n) in req_rx {
            let t = Instant::now();
            c_loop(cb, n);
            done_tx.send(t.elapsed()).unwrap();
        }
    });
    // Bind the worker first.
    req_tx.send((exported, 1)).unwrap();
    done_rx.recv().unwrap();
    for (name, cb) in [
        ("foreign_thread_plain_loop", direct as Cb),
        ("bound_foreign_thread_callback", exported as Cb),
    ] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                req_tx.send((cb, iters)).unwrap();
                done_rx.recv().unwrap()
            })
        });
    }
    drop(req_tx);
    worker.join().unwrap();

    // Attach + detach without thread creation's noise: a thread that has never called
    // in, with the policy of returning the context after every call (Go before 1.21),
    // attaches and detaches on every callback of a C loop.
    g.bench_function("foreign_thread_attach_detach_each_call", |b| {
        b.iter_custom(|iters| {
            callback::set_bind_policy(BindPolicy::DetachEachCall);
            let t = std::thread::spawn(move || {
                let t = Instant::now();
                c_loop(exported, iters);
                t.elapsed()
            })
            .join()
            .unwrap();
            callback::set_bind_policy(BindPolicy::StayBound);
            t
        })
    });

    g.bench_function("new_c_thread_no_callback", |b| {
        b.iter(|| c_thread_once(direct))
    });
    g.bench_function("new_c_thread_attach_callback_exit", |b| {
        b.iter(|| c_thread_once(exported))
    });
    g.finish();

    // The same two, timed inside each thread (creation and joining left out): the
    // difference is attach + callback + exit. Every iteration is a thread (~50 us of
    // real time for ~1 us measured), so the group's measurement time is short.
    let mut g = c.benchmark_group("callback_in_thread");
    g.warm_up_time(Duration::from_millis(200));
    g.measurement_time(Duration::from_millis(300));
    g.sample_size(20);
    g.bench_function("new_c_thread_no_callback", |b| {
        b.iter_custom(|iters| timed_threads(None, iters))
    });
    g.bench_function("new_c_thread_attach_callback_exit", |b| {
        b.iter_custom(|iters| timed_threads(Some(exported), iters))
    });
    g.finish();
}

criterion_group!(callback_benches, benches);
criterion_main!(callback_benches);
