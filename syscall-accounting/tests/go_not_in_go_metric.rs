//! Port of Go's `TestNotInGoMetric` (`runtime/metrics_cgo_test.go`), whose three programs
//! live in `runtime/testdata/testprogcgo/notingo.go`: `NotInGoMetricCgoCall`,
//! `NotInGoMetricCgoCallback` and `NotInGoMetricCgoCallAndCallback`. The metric
//! `/sched/goroutines/not-in-go:goroutines` is [`Stats::in_foreign`] here; Go's
//! stop-the-world (`runtime.ReadMemStats`), which takes every `P` back, is a thread that
//! acquires every processor (the monitor retakes them from threads in foreign code) and
//! releases them. C threads "spinning in C" are threads in foreign code polling a flag.
//!
//! [`Stats::in_foreign`]: syscall_accounting::Stats::in_foreign

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::FakeSched;
use syscall_accounting::{CallKind, Procs};

/// Go's count of goroutines / C threads in each program.
const N: usize = 10;
/// Fewer processors than threads, so that the retake paths run.
const PROCS: usize = 2;

/// Spins (in "C") until `cond`, bounded so that a bug fails instead of hanging.
fn spin_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::yield_now();
    }
}

/// Go's `runtime.ReadMemStats` as used here: take every processor back, then release.
fn stop_the_world(procs: &Procs) {
    let all: Vec<_> = (0..procs.processors()).map(|_| procs.acquire()).collect();
    drop(all);
}

fn not_in_go(procs: &Procs) -> u64 {
    procs.stats().in_foreign
}

/// `NotInGoMetricCgoCall`: N goroutines spin in C; the metric reads N before and after
/// the stop-the-world.
#[test]
fn not_in_go_metric_cgo_call() {
    let procs = Procs::new(PROCS, FakeSched::with_work(false)).unwrap();
    let spinning = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let hs: Vec<_> = (0..N)
        .map(|_| {
            let (procs, spinning, stop) = (procs.clone(), spinning.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut p = procs.acquire();
                let _call = p.enter();
                spinning.fetch_add(1, Ordering::SeqCst);
                spin_until("the test ends", || stop.load(Ordering::SeqCst));
            })
        })
        .collect();
    spin_until("all goroutines spin in C", || {
        spinning.load(Ordering::SeqCst) == N
    });
    assert_eq!(not_in_go(&procs), N as u64, "pre-STW: {:?}", procs.stats());
    stop_the_world(&procs);
    assert_eq!(not_in_go(&procs), N as u64, "post-STW: {:?}", procs.stats());
    stop.store(true, Ordering::SeqCst);
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(procs.stats().idle, PROCS);
}

/// `NotInGoMetricCgoCallback`: N C threads call in twice (with a stop-the-world while they
/// pass through, and one after they are back in C), then spin in C with no managed code
/// on their stack; the metric reads 0.
#[test]
fn not_in_go_metric_cgo_callback() {
    let procs = Procs::new(PROCS, FakeSched::with_work(false)).unwrap();
    let spinning = Arc::new(AtomicUsize::new(0));
    let released = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    // Go's `readyCh` is unbuffered, but a goroutine blocked on it gives its `P` up; a
    // thread here would block holding its processor, so `Ready` does not wait.
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let hs: Vec<_> = (0..N)
        .map(|_| {
            let (procs, spinning, released, stop, ready) = (
                procs.clone(),
                spinning.clone(),
                released.clone(),
                stop.clone(),
                ready_tx.clone(),
            );
            std::thread::spawn(move || {
                // First callback: the C thread takes a processor, runs `Ready`, returns to C.
                let mut p = procs.acquire();
                ready.send(()).unwrap();
                p.return_to_foreign();
                spinning.fetch_add(1, Ordering::SeqCst);
                spin_until("release", || released.load(Ordering::SeqCst));
                // Second callback: back into managed code (taking a processor back), then C.
                p.exit();
                ready.send(()).unwrap();
                p.reenter();
                spinning.fetch_add(1, Ordering::SeqCst);
                spin_until("the test ends", || stop.load(Ordering::SeqCst));
                p.release_in_foreign();
            })
        })
        .collect();
    for i in 0..2 {
        for j in 0..N {
            ready_rx.recv().unwrap();
            if j == 2 {
                stop_the_world(&procs);
            }
        }
        spin_until("all C threads are back in C", || {
            spinning.load(Ordering::SeqCst) == N
        });
        stop_the_world(&procs);
        if i == 0 {
            spinning.store(0, Ordering::SeqCst);
            released.store(true, Ordering::SeqCst);
        }
    }
    let s = procs.stats();
    assert_eq!(s.in_foreign, 0, "expected 0 not-in-go threads: {s:?}");
    assert_eq!(s.returned_to_foreign, N as u64, "{s:?}");
    assert_eq!(s.calls, 0, "callbacks are not foreign calls: {s:?}");
    stop.store(true, Ordering::SeqCst);
    for h in hs {
        h.join().unwrap();
    }
    let s = procs.stats();
    assert_eq!(
        (s.idle, s.returned_to_foreign, s.in_foreign),
        (PROCS, 0, 0),
        "{s:?}"
    );
}

/// `NotInGoMetricCgoCallAndCallback`: N C threads called in and block in managed code
/// (without a processor, like a parked goroutine), plus N goroutines spinning in C; the
/// metric reads N before and after the stop-the-world (the callbacks must not cancel the
/// foreign calls out).
#[test]
fn not_in_go_metric_cgo_call_and_callback() {
    let procs = Procs::new(PROCS, FakeSched::with_work(false)).unwrap();
    let spinning = Arc::new(AtomicUsize::new(0));
    let blocked = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut hs = Vec::new();
    for _ in 0..N {
        let (procs, blocked, stop) = (procs.clone(), blocked.clone(), stop.clone());
        hs.push(std::thread::spawn(move || {
            // A C thread calls in, then blocks in managed code: the goroutine parks and
            // its processor goes back.
            let mut p = procs.acquire();
            p.enter_raw(CallKind::Short);
            p.exit();
            drop(p);
            blocked.fetch_add(1, Ordering::SeqCst);
            spin_until("the test ends", || stop.load(Ordering::SeqCst));
        }));
    }
    for _ in 0..N {
        let (procs, spinning, stop) = (procs.clone(), spinning.clone(), stop.clone());
        hs.push(std::thread::spawn(move || {
            let mut p = procs.acquire();
            let _call = p.enter();
            spinning.fetch_add(1, Ordering::SeqCst);
            spin_until("the test ends", || stop.load(Ordering::SeqCst));
        }));
    }
    spin_until("all blocked and spinning", || {
        spinning.load(Ordering::SeqCst) == N && blocked.load(Ordering::SeqCst) == N
    });
    assert_eq!(not_in_go(&procs), N as u64, "pre-STW: {:?}", procs.stats());
    stop_the_world(&procs);
    assert_eq!(not_in_go(&procs), N as u64, "post-STW: {:?}", procs.stats());
    stop.store(true, Ordering::SeqCst);
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(procs.stats().idle, PROCS);
}
