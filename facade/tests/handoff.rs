//! Hand-off of the processor of a green thread sitting in C: 1,000 green threads
//! on 1 and 2 processors while one blocks 300 ms in C, with `#[blocking]` and with
//! the monitor's lazy retake; and the `Never` policy.
//!
//! In its own test binary, and one scenario at a time, so that the timing claims
//! ("all the others finish before the C call returns") are not disturbed by the
//! CPU-heavy stress tests of `tests/foreign.rs`.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use facade::{HandoffPolicy, Runtime, spawn, yield_now};

static SERIAL: Mutex<()> = Mutex::new(());

/// One green thread sits 300 ms in C; 999 others each make C calls and yield.
/// Asserts that all the others finished before the C call returned, and returns
/// the runtime's stats.
///
/// Under qemu (debug build, emulated, on a shared machine) the same 1,000 green
/// threads make 3 C calls each instead of 10 and the C call lasts 2 s instead of
/// 300 ms, so the claim stays about hand-off, not about emulation speed.
fn blocking_scenario(procs: usize, blocking: bool) -> facade::Stats {
    // One scenario at a time: each claims something about timing.
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (calls, ms) = if under_emulation() {
        (3i64, 2000)
    } else {
        (10i64, 300)
    };
    let rt = Runtime::builder().processors(procs).build().unwrap();
    let t0 = Instant::now();
    let (others, c_return) = rt.block_on(move || {
        let in_c = Arc::new(AtomicUsize::new(0));
        let flag = in_c.clone();
        let sleeper = spawn(move || {
            flag.store(1, Ordering::Release);
            // SAFETY: sleeps; no pointers.
            let ms = unsafe {
                if blocking {
                    facade_sleep_ms(ms)
                } else {
                    lazy::facade_sleep_ms(ms)
                }
            };
            assert_eq!(ms, if under_emulation() { 2000 } else { 300 });
            t0.elapsed()
        });
        // Make sure the sleeper is in (or entering) C before the others start.
        while in_c.load(Ordering::Acquire) == 0 {
            yield_now();
        }
        let latest = Arc::new(Mutex::new(Duration::ZERO));
        let hs: Vec<_> = (0..999i64)
            .map(|i| {
                let latest = latest.clone();
                spawn(move || {
                    let mut acc = 0i64;
                    for k in 0..calls {
                        // SAFETY: pure arithmetic.
                        acc += unsafe { facade_mix(i + k) };
                        yield_now();
                    }
                    assert_eq!(acc, (0..calls).map(|k| (i + k) * 3 + 1).sum::<i64>());
                    let mut l = latest.lock().unwrap();
                    *l = (*l).max(t0.elapsed());
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        let c_return = sleeper.join().unwrap();
        let others = *latest.lock().unwrap();
        (others, c_return)
    });
    assert!(
        others < c_return,
        "others finished at {others:?}, the C call returned at {c_return:?}"
    );
    rt.stats()
}

#[test]
fn blocking_call_on_two_processors_lets_the_others_finish_first() {
    let s = blocking_scenario(2, true);
    assert!(s.blocking_handoffs >= 1 && s.handoffs >= 1, "{s:?}");
    assert!(s.foreign_calls > 999 * 3, "{s:?}");
}

#[test]
fn blocking_call_on_one_processor_lets_the_others_finish_first() {
    let s = blocking_scenario(1, true);
    assert!(s.blocking_handoffs >= 1, "{s:?}");
}

#[test]
fn long_lazy_call_is_retaken_by_the_monitor_on_one_processor() {
    let s = blocking_scenario(1, false);
    assert!(s.retakes >= 1 && s.handoffs >= 1, "{s:?}");
}

#[test]
fn long_lazy_call_is_retaken_by_the_monitor_on_two_processors() {
    let s = blocking_scenario(2, false);
    assert!(s.retakes >= 1, "{s:?}");
}

/// On `rt`, a green thread sleeps `ms` in a lazy C call while another is spawned
/// right after it; returns the order in which "c-returned" and "other-ran" happened.
fn sleep_in_c_then_other(rt: &Runtime, ms: i32) -> Vec<&'static str> {
    rt.block_on(move || {
        let log = Arc::new(Mutex::new(Vec::new()));
        let l1 = log.clone();
        let a = spawn(move || {
            // SAFETY: sleeps.
            unsafe { lazy::facade_sleep_ms(ms) };
            l1.lock().unwrap().push("c-returned");
        });
        let l2 = log.clone();
        let b = spawn(move || l2.lock().unwrap().push("other-ran"));
        a.join().unwrap();
        b.join().unwrap();
        Arc::try_unwrap(log).unwrap().into_inner().unwrap()
    })
}

#[test]
fn never_policy_keeps_the_processor_during_a_lazy_call() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rt = Runtime::builder()
        .processors(1)
        .handoff(HandoffPolicy::Never)
        .build()
        .unwrap();
    let order = sleep_in_c_then_other(&rt, 50);
    // One processor, never retaken: the other green thread waits for the C call.
    assert_eq!(order, vec!["c-returned", "other-ran"]);
    assert_eq!(rt.stats().retakes, 0);
}

/// Whether this process may use `SCHED_FIFO` (root, `CAP_SYS_NICE` usually comes with
/// it, or a non-zero `RLIMIT_RTPRIO`).
fn may_use_realtime() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit.
    unsafe { libc::getrlimit(libc::RLIMIT_RTPRIO, &mut lim) == 0 && lim.rlim_cur >= 1 }
}

#[test]
fn realtime_monitor_is_granted_when_permitted_and_retakes() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rt = Runtime::builder()
        .processors(1)
        .realtime_monitor(true)
        .build()
        .unwrap();
    let order = sleep_in_c_then_other(&rt, if under_emulation() { 1000 } else { 200 });
    // The monitor (started by the first C call) retook the processor for the other
    // green thread while the first one slept in C.
    assert_eq!(order, vec!["other-ran", "c-returned"]);
    let s = rt.stats();
    assert!(s.retakes >= 1, "{s:?}");
    assert_eq!(
        s.monitor_realtime,
        may_use_realtime(),
        "real-time priority granted iff permitted: {s:?}"
    );
}
