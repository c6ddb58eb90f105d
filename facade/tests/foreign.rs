//! Calls into C through `c_functions!`: hand-offs while a call blocks, the
//! accounting under stress, panics, and calls from outside the runtime.

mod common;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use facade::{HandoffPolicy, Runtime, spawn, yield_now};

/// One green thread sits 300 ms in C; 999 others each make C calls and yield.
/// Returns (latest finish of the others, return of the C call) relative to start,
/// and the runtime's stats.
///
/// Under qemu (debug build, emulated, on a shared machine) the same 1,000 green
/// threads make 3 C calls each instead of 10 and the C call lasts 2 s instead of
/// 300 ms, so the claim stays about hand-off, not about emulation speed.
fn blocking_scenario(procs: usize, blocking: bool) -> (Duration, Duration, facade::Stats) {
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
    (others, c_return, rt.stats())
}

#[test]
fn blocking_call_on_two_processors_lets_the_others_finish_first() {
    let (others, c_ret, s) = blocking_scenario(2, true);
    assert!(
        others < c_ret,
        "others finished at {others:?}, the C call returned at {c_ret:?}"
    );
    assert!(s.blocking_handoffs >= 1 && s.handoffs >= 1, "{s:?}");
    assert!(s.foreign_calls > 999 * 3, "{s:?}");
}

#[test]
fn blocking_call_on_one_processor_lets_the_others_finish_first() {
    let (others, c_ret, s) = blocking_scenario(1, true);
    assert!(
        others < c_ret,
        "others finished at {others:?}, the C call returned at {c_ret:?}"
    );
    assert!(s.blocking_handoffs >= 1, "{s:?}");
}

#[test]
fn long_lazy_call_is_retaken_by_the_monitor_on_one_processor() {
    let (others, c_ret, s) = blocking_scenario(1, false);
    assert!(
        others < c_ret,
        "others finished at {others:?}, the C call returned at {c_ret:?}"
    );
    assert!(s.retakes >= 1 && s.handoffs >= 1, "{s:?}");
}

#[test]
fn long_lazy_call_is_retaken_by_the_monitor_on_two_processors() {
    let (others, c_ret, s) = blocking_scenario(2, false);
    assert!(
        others < c_ret,
        "others finished at {others:?}, the C call returned at {c_ret:?}"
    );
    assert!(s.retakes >= 1, "{s:?}");
}

#[test]
fn never_policy_keeps_the_processor_during_a_lazy_call() {
    let rt = Runtime::builder()
        .processors(1)
        .handoff(HandoffPolicy::Never)
        .build()
        .unwrap();
    let order = rt.block_on(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let l1 = log.clone();
        let a = spawn(move || {
            // SAFETY: sleeps.
            unsafe { lazy::facade_sleep_ms(50) };
            l1.lock().unwrap().push("c-returned");
        });
        let l2 = log.clone();
        let b = spawn(move || l2.lock().unwrap().push("other-ran"));
        a.join().unwrap();
        b.join().unwrap();
        Arc::try_unwrap(log).unwrap().into_inner().unwrap()
    });
    // One processor, never retaken: the other green thread waits for the C call.
    assert_eq!(order, vec!["c-returned", "other-ran"]);
    assert_eq!(rt.stats().retakes, 0);
}

/// 10^5 C calls per green thread (10^4 under qemu) on 2 processors with random
/// yields and occasional 200 µs calls the monitor retakes; debug builds assert
/// on every call that no processor is used by two workers.
fn stress_round(rt: &Runtime, threads: u64, calls: u64) {
    let total = rt.block_on(move || {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                spawn(move || {
                    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ t;
                    let mut acc = 0i64;
                    for i in 0..calls {
                        // xorshift64: cheap randomness for the yield pattern.
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        // SAFETY: pure arithmetic.
                        acc = acc.wrapping_add(unsafe { facade_mix(i as i64) });
                        if x % 16 == 0 {
                            yield_now();
                        }
                        if x % 4096 == 1 {
                            // SAFETY: busy-waits in C.
                            unsafe { facade_spin_us(200) };
                        }
                    }
                    acc
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap())
            .fold(0i64, i64::wrapping_add)
    });
    let per_thread = (0..calls as i64)
        .map(|i| i * 3 + 1)
        .fold(0i64, i64::wrapping_add);
    assert_eq!(total, per_thread.wrapping_mul(threads as i64));
}

#[test]
fn many_c_calls_with_random_yields_are_correct_and_memory_stays_flat() {
    let calls = if under_emulation() { 10_000 } else { 100_000 };
    let threads = 8;
    let rt = Runtime::builder().processors(2).build().unwrap();
    let before = rt.stats().foreign_calls;
    stress_round(&rt, threads, calls);
    // Warmed up (stacks pooled, workers started): later rounds must not grow.
    let rss1 = rss_bytes();
    for _ in 0..2 {
        stress_round(&rt, threads, calls);
    }
    let rss2 = rss_bytes();
    let s = rt.stats();
    assert!(s.foreign_calls - before >= 3 * threads * calls, "{s:?}");
    assert!(
        rss2 <= rss1 + 4 * 1024 * 1024,
        "memory grew from {} KiB to {} KiB over two rounds",
        rss1 / 1024,
        rss2 / 1024
    );
}

#[test]
fn c_runs_on_the_system_stack_not_the_small_green_stack() {
    // A 256 KiB C frame would overflow the 64 KiB green stack.
    let rt = Runtime::builder()
        .processors(1)
        .stack_size(64 * 1024)
        .build()
        .unwrap();
    // SAFETY: uses its own stack only.
    let v = rt.block_on(|| unsafe { facade_big_frame(1) });
    assert_eq!(v, 2);
}

#[test]
fn calls_from_plain_threads_are_direct_and_not_counted() {
    let rt = Runtime::builder().processors(1).build().unwrap();
    let before = rt.stats().foreign_calls;
    let h = std::thread::spawn(|| {
        let mut buf = [0u8; 8];
        // SAFETY: writes 8 bytes into buf.
        unsafe { facade_fill(&mut buf[..], 8, 7) };
        // SAFETY: pure arithmetic.
        (buf, unsafe { facade_mix(5) })
    });
    assert_eq!(h.join().unwrap(), ([7u8; 8], 16));
    assert!(!facade::in_green_thread());
    assert_eq!(rt.stats().foreign_calls, before);
}

#[test]
fn counters_count_each_call_once() {
    let rt = Runtime::builder().processors(2).build().unwrap();
    let n = Arc::new(AtomicU64::new(0));
    let n2 = n.clone();
    rt.block_on(move || {
        for _ in 0..1000 {
            // SAFETY: empty function.
            unsafe { facade_empty() };
            n2.fetch_add(1, Ordering::Relaxed);
        }
    });
    assert_eq!(rt.stats().foreign_calls, 1000);
    assert_eq!(n.load(Ordering::Relaxed), 1000);
}

static SEEN: Mutex<Vec<Option<&'static str>>> = Mutex::new(Vec::new());

extern "C" fn record_nocallback_mark() {
    SEEN.lock()
        .unwrap()
        .push(facade::foreign::nocallback_function());
}

#[test]
fn nocallback_calls_mark_the_green_thread_for_their_duration() {
    let rt = Runtime::builder().processors(1).build().unwrap();
    let outside = rt.block_on(|| {
        // SAFETY: calls the given function once.
        unsafe { facade_call_fn(record_nocallback_mark as extern "C" fn()) };
        // SAFETY: as above.
        unsafe { may_call_back::facade_call_fn(record_nocallback_mark as extern "C" fn()) };
        facade::foreign::nocallback_function()
    });
    assert_eq!(*SEEN.lock().unwrap(), vec![Some("facade_call_fn"), None]);
    assert_eq!(outside, None);
}
