//! Callbacks from threads C created itself: attach on the first call, stay bound until
//! thread exit, contexts returned, bounds per stack, overflow in C after calling in.
// The C programs these scenarios use are built for Linux only (see build.rs).
#![cfg(target_os = "linux")]

mod common;

use std::os::raw::c_int;
use std::sync::Mutex;

use callback::{callback, spare_stats};
use common::*;

/// Serialises the tests that assert on the process-wide spare counters.
static COUNTERS: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    COUNTERS.lock().unwrap_or_else(|p| p.into_inner())
}

extern "C" fn plain(x: c_int) -> c_int {
    callback("plain", || x + 1)
}

/// At thread exit the destructor returns the context: nothing stays in use.
#[test]
fn contexts_are_returned_at_thread_exit() {
    init();
    let _g = lock();
    let before = spare_stats();
    // SAFETY: `plain` matches `Cb`.
    let sum = unsafe { cbt_thread_loop(plain, 10, 0) };
    assert_eq!(sum, (1..=10).sum::<i64>());
    let after = spare_stats();
    assert_eq!(after.in_use, before.in_use);
    assert!(after.spare >= 1);
}

/// 1,000 short-lived C threads each calling in once: live contexts back to the spare
/// baseline after each round, memory flat across 10 rounds.
#[test]
fn thousand_short_lived_threads_return_every_context() {
    init();
    let _g = lock();
    let rounds = if emulated() { 3 } else { 10 };
    let threads = if emulated() { 200 } else { 1000 };
    let base = spare_stats();
    let mut rss = Vec::new();
    for _ in 0..rounds {
        // SAFETY: `plain` matches `Cb`.
        let s = unsafe { cbt_short_threads(plain, threads, 16) };
        assert_eq!(s, threads as i64, "every thread called back once");
        let st = spare_stats();
        assert_eq!(st.in_use, base.in_use, "contexts still in use: {st:?}");
        assert!(
            st.live <= base.in_use + callback_spare_cap(),
            "live contexts beyond the spare cap: {st:?}"
        );
        rss.push(rss_kib());
    }
    // Flat: the last round uses no more than the second (the first warms the allocator)
    // plus a small slack. Under qemu-user the emulator itself keeps memory per guest
    // thread it ever ran, so there the growth is compared with a control run of the same
    // C threads that do not call in.
    let growth = rss.last().unwrap().saturating_sub(rss[1]);
    let allowed = if emulated() {
        let mut ctl = Vec::new();
        for _ in 0..rounds {
            // SAFETY: `plain_c` matches `Cb` (a plain C-ABI function, no callback).
            unsafe { cbt_short_threads(plain_c, threads, 16) };
            ctl.push(rss_kib());
        }
        ctl.last().unwrap().saturating_sub(ctl[1]) + 4096
    } else {
        2048
    };
    assert!(
        growth <= allowed,
        "memory grew across rounds: {rss:?} KiB (allowed {allowed})"
    );
}

extern "C" fn plain_c(x: c_int) -> c_int {
    x + 1
}

fn callback_spare_cap() -> u32 {
    4
}

extern "C" fn once(x: c_int) -> c_int {
    callback("once", || x)
}

/// A 64 KiB C thread that called in once and then overflows its stack inside C: one
/// line naming that thread's stack and its size, then abort.
#[test]
fn overflow_in_c_after_calling_in_is_reported() {
    if std::env::var_os("CBT_CHILD_OVERFLOW").is_some() {
        init();
        // SAFETY: `once` matches `Cb`.
        unsafe { cbt_overflow_thread(once) };
        unreachable!("the C thread must have overflowed");
    }
    let out = run_child(
        "overflow_in_c_after_calling_in_is_reported",
        &[("CBT_CHILD_OVERFLOW", "1")],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("stackswitch: stack overflow"))
        .collect();
    assert_eq!(lines.len(), 1, "exactly one report line:\n{err}");
    assert!(lines[0].contains("system stack of thread"), "{err}");
    // SAFETY: no preconditions.
    let kib = unsafe { cbt_overflow_stack_size() } / 1024;
    assert!(lines[0].contains(&format!("of {kib} KiB")), "{err}");
    assert!(
        lines[0].contains("give this thread a larger stack"),
        "{err}"
    );
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGABRT),
        "{:?} {err}",
        out.status
    );
}

#[link(name = "callback_tests", kind = "static")]
unsafe extern "C" {
    fn cbt_sigstack_thread(cb: Cb, n: c_int) -> c_int;
}

extern "C" fn identity(x: c_int) -> c_int {
    callback("identity", || x)
}

/// Go's `TestSigStackSwapping`: a C thread that installed its own alternate signal
/// stack keeps it across its callbacks, whether its context stays bound or is given
/// back after each call (a child process per policy: the policy is process-wide).
#[test]
fn a_c_threads_own_signal_stack_survives_its_callbacks() {
    if let Ok(policy) = std::env::var("CBT_CHILD_SIGSTACK") {
        init();
        if policy == "detach" {
            callback::set_bind_policy(callback::BindPolicy::DetachEachCall);
        }
        // SAFETY: `identity` matches `Cb`.
        let ok = unsafe { cbt_sigstack_thread(identity, 3) };
        assert_eq!(ok, 1, "the C thread's alternate signal stack was replaced");
        println!("CBT_SIGSTACK_KEPT");
        return;
    }
    for policy in ["stay", "detach"] {
        assert_child_passed(
            "a_c_threads_own_signal_stack_survives_its_callbacks",
            &[("CBT_CHILD_SIGSTACK", policy)],
            "CBT_SIGSTACK_KEPT",
        );
    }
}
