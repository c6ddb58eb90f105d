//! Callbacks from a signal handler that interrupts its thread's attach or the return of
//! its context (at thread exit, or after each call under `DetachEachCall`). Attach and
//! detach do not block signals; such a callback must borrow a second context for its
//! duration (Go's `badsignal`), leave the interrupted work intact, and give the context
//! and the processor back.
//!
//! The runtime of this binary raises the signal itself from inside the attach
//! (`lock_to_thread`, which attach calls for the extra context's green thread) or the
//! detach (`unlock_from_thread`), so the interruption is deterministic; the C handler
//! calls an exported function.
// The C programs these scenarios use are built for Linux only (see build.rs).
#![cfg(target_os = "linux")]

mod common;

use core::num::NonZeroUsize;
use std::os::raw::c_int;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use callback::{BindPolicy, Green, Runtime, callback, spare_stats, with_current};
use common::{Cb, cbt_thread_loop};
use syscall_accounting::{NoScheduler, Procs};

#[link(name = "callback_tests", kind = "static")]
unsafe extern "C" {
    fn cbt_install_calling_handler(sig: c_int, cb: Cb);
    fn cbt_take_handler_result() -> c_int;
}

static RAISE_IN_LOCK: AtomicBool = AtomicBool::new(false);
static RAISE_IN_UNLOCK: AtomicBool = AtomicBool::new(false);
static GREENS: AtomicUsize = AtomicUsize::new(1);
static PROCS: OnceLock<Procs> = OnceLock::new();

/// A runtime whose lock/unlock raise `SIGUSR1` once when asked to.
struct Raising;

fn raise_if(flag: &AtomicBool) {
    if flag.swap(false, Ordering::SeqCst) {
        // SAFETY: raise has no preconditions; the handler was installed by `init`.
        unsafe { libc::raise(libc::SIGUSR1) };
    }
}

impl Runtime for Raising {
    fn current_green(&self) -> Option<Green> {
        None
    }
    fn lock_to_thread(&self, _: Green) {
        raise_if(&RAISE_IN_LOCK);
    }
    fn unlock_from_thread(&self, _: Green) {
        raise_if(&RAISE_IN_UNLOCK);
    }
    fn new_extra_green(&self) -> Green {
        Green(NonZeroUsize::new(GREENS.fetch_add(1, Ordering::Relaxed)).unwrap())
    }
    fn free_extra_green(&self, _: Green) {}
    fn procs(&self) -> Option<Procs> {
        PROCS.get().cloned()
    }
}

static RT: Raising = Raising;
/// The scenarios share the process-wide policy and counters: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());
/// The context id seen by the handler's callback, and by the thread's own callbacks.
static HANDLER_CTX: AtomicUsize = AtomicUsize::new(0);
static THREAD_CTX: AtomicUsize = AtomicUsize::new(0);

/// One processor: a borrowed context that kept it would make the thread's own next
/// callback wait for ever (the scenario's time limit turns that into a failure).
fn init() -> std::sync::MutexGuard<'static, ()> {
    let _ = PROCS.get_or_init(|| Procs::new(1, NoScheduler).unwrap());
    let _ = callback::init(&RT);
    // SAFETY: `in_handler` matches `Cb`.
    unsafe { cbt_install_calling_handler(libc::SIGUSR1, in_handler) };
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

extern "C" fn in_handler(sig: c_int) -> c_int {
    callback("in_handler", || {
        let id = with_current(|m| m.map_or(0, |m| m.id()));
        HANDLER_CTX.store(id, Ordering::SeqCst);
        sig + 1000
    })
}

extern "C" fn body(x: c_int) -> c_int {
    callback("body", || {
        THREAD_CTX.store(with_current(|m| m.map_or(0, |m| m.id())), Ordering::SeqCst);
        x + 1
    })
}

/// Runs a C thread calling `body` `n` times with the signal armed by `arm`, within a
/// time limit, and checks what every scenario must show: the thread's callbacks all
/// returned, the handler's callback ran on a context of its own, and every context is
/// back (none in use).
fn scenario(arm: &AtomicBool, n: i64) {
    let base = spare_stats();
    HANDLER_CTX.store(0, Ordering::SeqCst);
    // SAFETY: no preconditions.
    let _ = unsafe { cbt_take_handler_result() };
    arm.store(true, Ordering::SeqCst);
    let start = Instant::now();
    // SAFETY: `body` matches `Cb`.
    let t = std::thread::spawn(move || unsafe { cbt_thread_loop(body, n as _, 0) });
    while !t.is_finished() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the thread hung after the signal (a context or processor not given back?)"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(t.join().unwrap(), (1..=n).sum::<i64>());
    assert!(!arm.load(Ordering::SeqCst), "the signal was never raised");
    // SAFETY: no preconditions.
    let r = unsafe { cbt_take_handler_result() };
    assert_eq!(
        r,
        libc::SIGUSR1 + 1000,
        "the handler's callback did not return"
    );
    let h = HANDLER_CTX.load(Ordering::SeqCst);
    assert!(h != 0, "the handler's callback ran without a context");
    assert_ne!(
        h,
        THREAD_CTX.load(Ordering::SeqCst),
        "the handler's callback used the thread's own context"
    );
    let after = spare_stats();
    assert_eq!(
        after.in_use, base.in_use,
        "a context is still in use: {after:?}"
    );
    assert!(after.spare <= 4, "spares beyond the cap: {after:?}");
}

#[test]
fn signal_during_attach_borrows_a_second_context() {
    let _g = init();
    scenario(&RAISE_IN_LOCK, 3);
}

#[test]
fn signal_while_returning_the_context_at_thread_exit_borrows_one() {
    let _g = init();
    scenario(&RAISE_IN_UNLOCK, 3);
}

#[test]
fn signal_during_detach_after_a_call_borrows_one() {
    let _g = init();
    callback::set_bind_policy(BindPolicy::DetachEachCall);
    scenario(&RAISE_IN_UNLOCK, 3);
    callback::set_bind_policy(BindPolicy::StayBound);
}
