//! Ports Go `TestNeedmDeadlock` (testprogcgo `NeedmDeadlock`, issue 42207): a C thread
//! calls in repeatedly while other threads signal it, and its signal handler calls in
//! too; plus the direct form: a foreign thread attaching while another thread holds the
//! spare list completes instead of waiting for it.
// The C programs these scenarios use are built for Linux only (see build.rs).
#![cfg(target_os = "linux")]

mod common;

use std::os::raw::c_int;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use callback::{callback, hold_spare_list, spare_stats};
use common::*;

static CALLS: AtomicUsize = AtomicUsize::new(0);

/// Every test of this binary runs with one processor, so callbacks from signal handlers
/// also meet the processor accounting.
fn init_one_processor() {
    let _ = PROCS.get_or_init(|| {
        syscall_accounting::Procs::new(1, syscall_accounting::NoScheduler).unwrap()
    });
    init();
}

extern "C" fn count(x: c_int) -> c_int {
    callback("count", || {
        CALLS.fetch_add(1, Ordering::Relaxed);
        x
    })
}

#[test]
fn go_needm_deadlock_signals_calling_in() {
    init_one_processor();
    let per = if emulated() { 20 } else { 100 };
    // SAFETY: `count` matches `Cb`; the C side installs and restores its SIGCHLD handler.
    let handled = unsafe { cbt_needm_deadlock(count, 10, 10, per) };
    assert!(handled > 0, "no signal handler called in");
    assert!(CALLS.load(Ordering::Relaxed) >= 10);
}

#[test]
fn attach_while_the_spare_list_is_held_completes() {
    init_one_processor();
    let hold = hold_spare_list();
    let before = spare_stats();
    let start = Instant::now();
    // SAFETY: `count` matches `Cb`.
    let t = std::thread::spawn(|| unsafe { cbt_thread_loop(count, 5, 0) });
    while !t.is_finished() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "attach waited for the held list"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(t.join().unwrap(), (0..5).sum::<i64>());
    assert!(spare_stats().contended > before.contended);
    drop(hold);
}
