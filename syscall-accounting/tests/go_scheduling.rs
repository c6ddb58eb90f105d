//! Ported Go scenarios (Go 1.27):
//!
//! * `TestNotInGoMetric` / testprogcgo `NotInGoMetricCgoCall` (runtime/metrics_cgo_test.go,
//!   testdata/testprogcgo/notingo.go): 10 threads spinning in foreign code are counted as
//!   not in managed code, both while they hold their processors and after the processors
//!   were taken from them; the count returns to 0 once they are back.
//! * metrics_test `/cgo/go-to-c-calls:calls` equals `runtime.NumCgoCall()`
//!   (runtime/metrics_test.go): the total equals the sum of the per-thread counts.
//! * ptr_test `preemptduringcall` (cmd/cgo/internal/testerrors/ptr_test.go, issue 21306):
//!   100 threads × 100 foreign calls interleaved with changes of the processor count must
//!   neither crash nor lose a processor.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::FakeSched;
use syscall_accounting::{Procs, thread_calls};

#[test]
fn not_in_go_metric_cgo_call() {
    const THREADS: usize = 10;
    let fake = FakeSched::with_work(false);
    fake.keep.store(false, Ordering::SeqCst);
    let procs = Procs::new(THREADS, fake.clone()).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(Barrier::new(THREADS + 1));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (procs, stop, ready) = (procs.clone(), stop.clone(), ready.clone());
            std::thread::spawn(move || {
                let mut p = procs.acquire();
                let call = p.enter();
                ready.wait();
                while !stop.load(Ordering::Acquire) {
                    std::thread::sleep(Duration::from_micros(200)); // "spinning in C"
                }
                call.exit();
            })
        })
        .collect();
    ready.wait();
    assert_eq!(procs.stats().in_foreign, THREADS as u64);
    // Pending work: the monitor takes every processor; the threads stay in foreign code and
    // are still counted (Go: nGsyscallNoP), now without processors.
    fake.work.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(20);
    while procs.stats().foreign_without_processor < THREADS as u64 {
        assert!(
            Instant::now() < deadline,
            "processors not retaken: {:?}",
            procs.stats()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    fake.work.store(false, Ordering::SeqCst);
    let s = procs.stats();
    assert_eq!(
        (s.in_foreign, s.foreign_without_processor),
        (THREADS as u64, THREADS as u64)
    );
    stop.store(true, Ordering::Release);
    for t in threads {
        t.join().unwrap();
    }
    let s = common::settled_stats(&procs);
    assert_eq!(
        (s.in_foreign, s.foreign_without_processor, s.idle),
        (0, 0, THREADS),
        "{s:?}"
    );
}

#[test]
fn total_calls_equal_the_sum_of_per_thread_calls() {
    let procs = Procs::new(2, syscall_accounting::NoScheduler).unwrap();
    let threads: Vec<_> = (0..4u64)
        .map(|i| {
            let procs = procs.clone();
            std::thread::spawn(move || {
                let before = thread_calls();
                let mut p = procs.acquire();
                for _ in 0..(1000 * (i + 1)) {
                    p.enter().exit();
                }
                thread_calls() - before
            })
        })
        .collect();
    let sum: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(sum, 10_000);
    assert_eq!(procs.stats().calls, sum);
}

#[test]
fn preempt_during_call_with_changing_processor_count() {
    const THREADS: usize = 100;
    const CALLS: usize = 100;
    let fake = FakeSched::with_work(true);
    fake.keep.store(false, Ordering::SeqCst);
    let procs = Procs::new(4, fake).unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (procs, done) = (procs.clone(), done.clone());
            std::thread::spawn(move || {
                let mut p = procs.acquire();
                for i in 0..CALLS {
                    let call = p.enter();
                    if i % 10 == 0 {
                        std::thread::sleep(Duration::from_micros(100));
                    }
                    call.exit();
                    if p.is_retired() {
                        // A safe point: give a removed processor up, take another.
                        drop(p);
                        p = procs.acquire();
                    }
                }
                done.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    let mut n = 1;
    while done.load(Ordering::SeqCst) < THREADS {
        n = n % 8 + 1;
        procs.resize(n).unwrap();
        std::thread::sleep(Duration::from_micros(300));
    }
    for t in threads {
        t.join().unwrap();
    }
    common::settled_stats(&procs);
    procs.resize(3).unwrap();
    let s = procs.stats();
    assert_eq!(s.calls, (THREADS * CALLS) as u64);
    assert_eq!(
        (s.processors, s.idle, s.waiting, s.in_foreign),
        (3, 3, 0, 0),
        "{s:?}"
    );
}
