//! Both panic policies: `Abort` (default) names the exported function and the payload;
//! `Propagate` resumes the panic at the Rust call site of the foreign call, the C frames
//! in between discarded; on a foreign thread with nothing above it aborts with a message.
// The C programs these scenarios use are built for Linux only (see build.rs).
#![cfg(target_os = "linux")]

mod common;

use std::os::raw::c_int;

use callback::{ForeignFn, PanicPolicy, call_foreign, callback, with_current};
use common::*;

extern "C-unwind" fn boom(x: c_int) -> c_int {
    callback("boom", || {
        if x > 0 {
            panic!("BOOM {x}");
        }
        x
    })
}

#[link(name = "callback_tests", kind = "static")]
unsafe extern "C-unwind" {
    fn cbt_call_unwind(cb: extern "C-unwind" fn(c_int) -> c_int, x: c_int) -> c_int;
    fn cbt_loop_unwind(
        cb: extern "C-unwind" fn(c_int) -> c_int,
        n: std::os::raw::c_long,
    ) -> std::os::raw::c_long;
}

fn child(var: &str) -> bool {
    std::env::var_os(var).is_some()
}

#[test]
fn abort_policy_names_the_function_and_payload() {
    if child("CBT_CHILD_ABORT") {
        init();
        // SAFETY: `boom` matches the declared signature.
        call_foreign(&const { ForeignFn::new("cbt_call") }, || unsafe {
            cbt_call_unwind(boom, 3)
        });
        unreachable!();
    }
    let err = stderr_of_dead_child(
        "abort_policy_names_the_function_and_payload",
        "CBT_CHILD_ABORT",
    );
    assert!(
        err.contains("panic in exported function `boom`: BOOM 3; aborting"),
        "{err}"
    );
}

#[test]
fn abort_policy_on_a_foreign_thread() {
    if child("CBT_CHILD_ABORT_FOREIGN") {
        init();
        // SAFETY: `panics_c` matches `Cb`.
        unsafe { cbt_thread_loop(panics_c, 1, 0) };
        unreachable!();
    }
    let err = stderr_of_dead_child(
        "abort_policy_on_a_foreign_thread",
        "CBT_CHILD_ABORT_FOREIGN",
    );
    assert!(
        err.contains("panic in exported function `panics_c`: BOOM"),
        "{err}"
    );
}

extern "C" fn panics_c(_x: c_int) -> c_int {
    callback("panics_c", || panic!("BOOM"))
}

static AFTER_C: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[test]
fn propagate_resumes_at_the_rust_call_site() {
    if child("CBT_CHILD_PROPAGATE") {
        init();
        callback::set_panic_policy(PanicPolicy::Propagate);
        let r = std::panic::catch_unwind(|| {
            call_foreign(&const { ForeignFn::new("cbt_loop") }, || {
                // SAFETY: `boom` matches the declared signature; the C code is built
                // with unwind tables.
                let v = unsafe { cbt_loop_unwind(boom, 5) };
                // Never reached: the C frames (the rest of the loop) are discarded.
                AFTER_C.store(true, std::sync::atomic::Ordering::SeqCst);
                v
            })
        });
        let payload = r.expect_err("the panic must reach the call site");
        let msg = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert_eq!(msg, "BOOM 1");
        assert!(!AFTER_C.load(std::sync::atomic::Ordering::SeqCst));
        with_current(|m| {
            let m = m.unwrap();
            assert_eq!(m.foreign_calls_in_flight(), 0);
            assert_eq!(m.callback_depth(), 0);
            assert_eq!(m.locked_count(), 0);
            assert!(!m.in_foreign_code());
        });
        // The thread keeps working: another foreign call with a callback.
        // SAFETY: as above.
        let ok = call_foreign(&const { ForeignFn::new("cbt_call") }, || unsafe {
            cbt_call_unwind(boom, 0)
        });
        assert_eq!(ok, 0);
        println!("CBT_PROPAGATED");
        return;
    }
    assert_child_passed(
        "propagate_resumes_at_the_rust_call_site",
        &[("CBT_CHILD_PROPAGATE", "1")],
        "CBT_PROPAGATED",
    );
}

extern "C-unwind" fn boom_with_context(x: c_int) -> c_int {
    callback::callback_with_context("boom_with_context", 0xC7C7, || {
        if x > 0 {
            // Without the panic hook's message: thousands of them follow.
            std::panic::resume_unwind(Box::new(x));
        }
        x
    })
}

/// Go's `TestCallbackPanicLoop` under `Propagate`: many panics, each discarding the C
/// frames between the callback and the Rust call site, leave nothing behind: the same
/// system stack pointer at the next C call (no leaked frames), no callback depth, lock
/// or callback-context word, and the thread out of foreign code.
#[test]
fn propagate_in_a_loop_leaks_no_stack_and_no_state() {
    if child("CBT_CHILD_PROPAGATE_LOOP") {
        init();
        callback::set_panic_policy(PanicPolicy::Propagate);
        static F: ForeignFn = ForeignFn::new("cbt_loop");
        let sp_at_c = || call_foreign(&F, stackswitch::current_sp);
        let before = sp_at_c();
        let rounds: c_int = if emulated() { 2_000 } else { 100_000 };
        for i in 1..=rounds {
            let r = std::panic::catch_unwind(|| {
                // SAFETY: the callback matches the declared signature; the C code is
                // built with unwind tables.
                call_foreign(&F, || unsafe { cbt_loop_unwind(boom_with_context, 5) })
            });
            let payload = r.expect_err("the panic must reach the call site");
            assert_eq!(*payload.downcast::<c_int>().unwrap(), 1, "round {i}");
        }
        assert_eq!(sp_at_c(), before, "the system stack leaked");
        with_current(|m| {
            let m = m.unwrap();
            assert_eq!(m.foreign_calls_in_flight(), 0);
            assert_eq!(m.callback_depth(), 0);
            assert_eq!(m.locked_count(), 0);
            assert!(
                m.callback_contexts().is_empty(),
                "{:x?}",
                m.callback_contexts()
            );
            assert!(!m.in_foreign_code());
        });
        println!("CBT_LOOPED {rounds}");
        return;
    }
    assert_child_passed(
        "propagate_in_a_loop_leaks_no_stack_and_no_state",
        &[("CBT_CHILD_PROPAGATE_LOOP", "1")],
        "CBT_LOOPED",
    );
}

#[test]
fn propagate_set_during_a_call_begun_under_abort_aborts_naming_both() {
    // The switch of a call begun under `Abort` has no frame to catch a panic at its call
    // site; a policy change in the middle of the call must not make the callback try.
    if child("CBT_CHILD_PROPAGATE_LATE") {
        init();
        call_foreign(&const { ForeignFn::new("cbt_call") }, || {
            callback::set_panic_policy(PanicPolicy::Propagate);
            // SAFETY: `boom` matches the declared signature.
            unsafe { cbt_call_unwind(boom, 4) }
        });
        unreachable!();
    }
    let err = stderr_of_dead_child(
        "propagate_set_during_a_call_begun_under_abort_aborts_naming_both",
        "CBT_CHILD_PROPAGATE_LATE",
    );
    assert!(
        err.contains(
            "panic in exported function `boom`: BOOM 4; aborting (the foreign call \
             `cbt_call` it came from began under PanicPolicy::Abort"
        ),
        "{err}"
    );
    assert_eq!(
        err.lines().filter(|l| l.starts_with("callback:")).count(),
        1,
        "{err}"
    );
}

#[test]
fn propagate_on_a_foreign_thread_with_nothing_above_aborts() {
    if child("CBT_CHILD_PROPAGATE_FOREIGN") {
        init();
        callback::set_panic_policy(PanicPolicy::Propagate);
        // SAFETY: `panics_c` matches `Cb`.
        unsafe { cbt_thread_loop(panics_c, 1, 0) };
        unreachable!();
    }
    let err = stderr_of_dead_child(
        "propagate_on_a_foreign_thread_with_nothing_above_aborts",
        "CBT_CHILD_PROPAGATE_FOREIGN",
    );
    assert!(
        err.contains("`panics_c` on a foreign thread with no Rust frames above"),
        "{err}"
    );
    assert!(err.contains("BOOM"), "{err}");
}

#[test]
fn call_foreign_on_unwinding_tells_the_policy_the_call_began_under() {
    // The closure learns whether a callback's panic can unwind out of the call: not
    // under `Abort` (even if the policy changes during the call), and under
    // `Propagate`, where the panic does come out through the `C-unwind` declaration.
    if child("CBT_CHILD_UNWINDING") {
        use callback::{RuntimeThread, Unwinding};
        use syscall_accounting::{CallKind, NoScheduler, Procs};
        init();
        let procs = Procs::new(1, NoScheduler).expect("one processor");
        let mut p = procs.acquire();
        // SAFETY: used on this thread only, and dropped before it exits.
        let worker = unsafe { RuntimeThread::current() }.expect("a runtime thread");
        const CALL: ForeignFn = ForeignFn::new("cbt_call");
        let seen = worker.call_foreign_on_unwinding(&mut p, CallKind::Lazy, &CALL, |u| {
            callback::set_panic_policy(PanicPolicy::Propagate);
            // SAFETY: `boom` matches the declared signature; 0 does not panic.
            assert_eq!(unsafe { cbt_call_unwind(boom, 0) }, 0);
            u
        });
        assert_eq!(seen, Unwinding::Aborts, "begun under Abort");
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            worker.call_foreign_on_unwinding(&mut p, CallKind::Lazy, &CALL, |u| {
                assert_eq!(u, Unwinding::Propagates, "begun under Propagate");
                // SAFETY: `boom` matches the declared signature; the C code is built
                // with unwind tables.
                unsafe { cbt_call_unwind(boom, 3) }
            })
        }));
        let payload = r.expect_err("the panic must reach the call site");
        assert_eq!(
            payload.downcast_ref::<String>().map(String::as_str),
            Some("BOOM 3")
        );
        assert!(!p.in_foreign(), "the processor left foreign code");
        println!("CBT_UNWINDING_TOLD");
        return;
    }
    assert_child_passed(
        "call_foreign_on_unwinding_tells_the_policy_the_call_began_under",
        &[("CBT_CHILD_UNWINDING", "1")],
        "CBT_UNWINDING_TOLD",
    );
}
