//! Calls into C through `c_functions!`: hand-offs while a call blocks, the
//! accounting under stress, panics, and calls from outside the runtime.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use facade::{Runtime, spawn, yield_now};

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
    // The 200 µs calls were retaken: the ownership assertions ran across hand-offs.
    assert!(s.retakes > 0, "{s:?}");
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
