//! Many foreign threads calling in concurrently.
// The C programs these scenarios use are built for Linux only (see build.rs).
#![cfg(target_os = "linux")]

mod common;

use std::os::raw::c_int;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use callback::{callback, spare_stats};
use common::*;

static RUNNING: AtomicUsize = AtomicUsize::new(0);
static MAX_RUNNING: AtomicUsize = AtomicUsize::new(0);
static START: OnceLock<Instant> = OnceLock::new();

extern "C" fn inc(x: c_int) -> c_int {
    callback("inc", || {
        // At most 2 callbacks run at once: each holds one of the 2 processors.
        let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
        MAX_RUNNING.fetch_max(now, Ordering::SeqCst);
        assert!(now <= 2, "{now} callbacks running with 2 processors");
        // Callbacks take nanoseconds, so on a loaded machine two may never overlap by
        // chance: until they have, each waits (holding its processor, within a global
        // 2-second allowance) for another thread to come in on the second processor.
        let start = *START.get_or_init(Instant::now);
        while MAX_RUNNING.load(Ordering::SeqCst) < 2 && start.elapsed() < Duration::from_secs(2) {
            std::thread::yield_now();
        }
        std::hint::black_box(x);
        RUNNING.fetch_sub(1, Ordering::SeqCst);
        x + 1
    })
}

/// 8 C threads each making 10^5 callbacks with 2 processors (10^4 under qemu, where
/// each callback costs ~50× more); at most 2 run Rust code at once, every result
/// arrives, and every context is back at the end.
#[test]
fn eight_threads_times_many_callbacks_two_processors() {
    let procs = syscall_accounting::Procs::new(2, syscall_accounting::NoScheduler).unwrap();
    assert!(PROCS.set(procs.clone()).is_ok());
    init();
    let n: i64 = if emulated() { 10_000 } else { 100_000 };
    let before = spare_stats();
    // SAFETY: `inc` matches `Cb`.
    let s = unsafe { cbt_threads_parallel(inc, 8, n as _) };
    let per: i64 = (0..n).map(|i| (i & 0xff) + 1).sum();
    assert_eq!(s, 8 * per);
    assert_eq!(spare_stats().in_use, before.in_use);
    assert_eq!(
        MAX_RUNNING.load(Ordering::SeqCst),
        2,
        "both processors were used"
    );
    println!("stats: {:?}", procs.stats());
}
