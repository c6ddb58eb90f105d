//! Callbacks on a thread with runtime frames above the C frames: nesting, a callback
//! making a foreign call, the switch back onto the green thread's stack, `nocallback`,
//! and a stack change under runtime frames.
// The C programs these scenarios use are built for Linux only (see build.rs).
#![cfg(target_os = "linux")]

mod common;

use std::cell::Cell;
use std::os::raw::c_int;

use callback::{ForeignFn, call_foreign, callback, with_current};
use common::*;

extern "C" fn add_one(x: c_int) -> c_int {
    callback("add_one", || x + 1)
}

#[test]
fn callback_inside_a_foreign_call_sees_the_runtime_frames() {
    init();
    let locks = LOCKS.load(std::sync::atomic::Ordering::Relaxed);
    // SAFETY: `add_one` matches `Cb`.
    let r = call_foreign(&const { ForeignFn::new("cbt_call") }, || unsafe {
        cbt_call(probe, 5)
    });
    assert_eq!(r, 5 * 100 + 1);
    // Outside: the record is back to "no foreign call".
    with_current(|m| {
        let m = m.unwrap();
        assert_eq!(m.foreign_calls_in_flight(), 0);
        assert_eq!(m.callback_depth(), 0);
        assert_eq!(m.locked_count(), 0);
    });
    let _ = locks;
}

extern "C" fn probe(x: c_int) -> c_int {
    callback("probe", || {
        with_current(|m| {
            let m = m.unwrap();
            assert_eq!(m.foreign_calls_in_flight(), 1);
            assert!(!m.in_foreign_code());
            assert_eq!(m.callback_depth(), 1);
            assert_eq!(m.locked_count(), 1);
            assert!(!m.is_extra());
        });
        x * 100 + 1
    })
}

/// The green thread a callback locks, asked of the runtime when the callback arrives
/// (the foreign call itself does not ask): `level` more foreign calls nest inside.
extern "C" fn green_probe(level: c_int) -> c_int {
    callback("green_probe", || {
        let green = with_current(|m| m.unwrap().green());
        assert_eq!(green, Some(GREEN_9));
        // Locked once, by the outermost callback only.
        assert_eq!(THREAD_LOCKED.with(Cell::get), 1);
        if level == 0 {
            // A callback nested in this one with no foreign call between (Rust calling an
            // exported function directly): it sees the same foreign call, locks nothing
            // more and leaves no processor (the thread is not in foreign code).
            let (calls, depth) = with_current(|m| {
                let m = m.unwrap();
                (m.foreign_calls_in_flight(), m.callback_depth())
            });
            return direct_nested(calls, depth);
        }
        // SAFETY: `green_probe` matches `Cb`.
        call_foreign(&const { ForeignFn::new("cbt_call") }, || unsafe {
            cbt_call(green_probe, level - 1)
        }) + 1
    })
}

/// The nested callback of `green_probe` (an exported function Rust calls directly).
fn direct_nested(calls: u32, depth: u32) -> c_int {
    extern "C" fn inner(_: c_int) -> c_int {
        callback("inner", || {
            with_current(|m| {
                let m = m.unwrap();
                assert!(m.callback_depth() >= 2);
                assert_eq!(m.green(), Some(GREEN_9));
                assert!(!m.nocallback());
                assert_eq!(THREAD_LOCKED.with(Cell::get), 1);
                m.foreign_calls_in_flight() as c_int
            })
        })
    }
    let seen = inner(0);
    assert_eq!(seen as u32, calls);
    let (d, locked, in_c) = with_current(|m| {
        let m = m.unwrap();
        (
            m.callback_depth(),
            THREAD_LOCKED.with(Cell::get),
            m.in_foreign_code(),
        )
    });
    assert_eq!((d, locked, in_c), (depth, 1, false));
    0
}

const GREEN_9: callback::Green = callback::Green(core::num::NonZeroUsize::new(9).unwrap());

#[test]
fn the_green_thread_is_locked_by_the_outermost_callback_only() {
    init();
    // This thread stands in for a worker running green thread 9.
    CURRENT_GREEN.with(|g| g.set(Some(GREEN_9)));
    let r = call_foreign(&const { ForeignFn::new("cbt_call") }, || {
        // The foreign call's own side reports the green thread without locking it.
        assert_eq!(with_current(|m| m.unwrap().green()), Some(GREEN_9));
        assert_eq!(THREAD_LOCKED.with(Cell::get), 0);
        // SAFETY: `green_probe` matches `Cb`.
        unsafe { cbt_call(green_probe, 3) }
    });
    assert_eq!(r, 3);
    // Unlocked when the outermost callback returned; no green thread outside a call.
    assert_eq!(THREAD_LOCKED.with(Cell::get), 0);
    assert_eq!(with_current(|m| m.unwrap().green()), None);
    // Without a green thread running, a callback locks nothing.
    CURRENT_GREEN.with(|g| g.set(None));
    // SAFETY: `add_one` matches `Cb`.
    let r = call_foreign(&const { ForeignFn::new("cbt_call") }, || unsafe {
        cbt_call(add_one, 1)
    });
    assert_eq!(r, 2);
    assert_eq!(THREAD_LOCKED.with(Cell::get), 0);
}

/// Rust → C → Rust → … 100 levels deep: each level's callback makes the next foreign
/// call; every level sees its depth, and everything unwinds in order.
extern "C" fn nest(level: c_int) -> c_int {
    callback("nest", || {
        let (calls, depth) = with_current(|m| {
            let m = m.unwrap();
            (m.foreign_calls_in_flight(), m.callback_depth())
        });
        assert_eq!(calls, 100 - level as u32 + 1);
        assert_eq!(depth, 100 - level as u32 + 1);
        if level == 1 {
            return 1;
        }
        // SAFETY: `nest` matches `Cb`.
        1 + call_foreign(&const { ForeignFn::new("cbt_call") }, || unsafe {
            cbt_call(nest, level - 1)
        })
    })
}

#[test]
fn nested_callbacks_100_deep() {
    init();
    // SAFETY: `nest` matches `Cb`.
    let r = call_foreign(&const { ForeignFn::new("cbt_call") }, || unsafe {
        cbt_call(nest, 100)
    });
    assert_eq!(r, 100);
    with_current(|m| assert_eq!(m.unwrap().foreign_calls_in_flight(), 0));
}

/// A callback that itself makes a foreign call (C → Rust → C → Rust).
extern "C" fn calls_c(x: c_int) -> c_int {
    callback("calls_c", || {
        // SAFETY: `add_one` matches `Cb`.
        let inner = call_foreign(&const { ForeignFn::new("cbt_loop") }, || unsafe {
            cbt_loop(add_one, 10)
        });
        x + inner as c_int
    })
}

#[test]
fn callback_making_a_foreign_call() {
    init();
    // SAFETY: `calls_c` matches `Cb`.
    let r = call_foreign(&const { ForeignFn::new("cbt_call") }, || unsafe {
        cbt_call(calls_c, 1000)
    });
    // cbt_loop(add_one, 10) = sum of (i + 1) for i in 0..10 = 55.
    assert_eq!(r, 1055);
}

#[test]
fn callback_from_a_foreign_thread_making_a_foreign_call() {
    init();
    // SAFETY: `calls_c` matches `Cb`.
    let r = unsafe { cbt_thread_loop(calls_c, 3, 0) };
    // Callback args are 0, 1, 2; each adds 55.
    assert_eq!(r, 3 + 3 * 55);
}

/// Inside a green thread (a `stackswitch` context), the foreign call runs on the
/// system stack and the callback runs back on the green thread's stack.
extern "C" fn on_green(x: c_int) -> c_int {
    callback("on_green", || {
        assert!(
            !stackswitch::on_system_stack_now(),
            "callback must run on the green stack"
        );
        with_current(|m| assert!(m.unwrap().green().is_some()));
        x + 1
    })
}

#[test]
fn callback_runs_on_the_green_stack() {
    init();
    let stack = stackswitch::Stack::new(256 * 1024).unwrap();
    let mut ctx = stackswitch::Context::new(stack, |_y, _arg| {
        CURRENT_GREEN.with(|g| {
            g.set(Some(callback::Green(
                core::num::NonZeroUsize::new(7).unwrap(),
            )))
        });
        let r = call_foreign(&const { ForeignFn::new("cbt_call") }, || {
            assert!(
                stackswitch::on_system_stack_now(),
                "C must run on the system stack"
            );
            // SAFETY: `on_green` matches `Cb`.
            unsafe { cbt_call(on_green, 41) }
        });
        CURRENT_GREEN.with(|g| g.set(None));
        r
    });
    match ctx.resume(0) {
        stackswitch::Resume::Returned(r) => assert_eq!(r, 42),
        _ => panic!("green thread did not return"),
    }
}

extern "C" fn refused(x: c_int) -> c_int {
    callback("refused", || x)
}

#[test]
fn nocallback_violation_is_refused_with_the_message() {
    if std::env::var_os("CBT_CHILD_NOCALLBACK").is_some() {
        init();
        // SAFETY: `refused` matches `Cb`.
        call_foreign(&const { ForeignFn::nocallback("cbt_call") }, || unsafe {
            cbt_call(refused, 1)
        });
        unreachable!("the callback must have been refused");
    }
    let err = stderr_of_dead_child(
        "nocallback_violation_is_refused_with_the_message",
        "CBT_CHILD_NOCALLBACK",
    );
    assert!(
        err.contains("function marked with #cgo nocallback called back into Go"),
        "{err}"
    );
    assert!(
        err.contains("`refused`") && err.contains("`cbt_call`"),
        "{err}"
    );
}

#[test]
fn nocallback_call_without_callback_is_fine() {
    init();
    let r = call_foreign(&const { ForeignFn::nocallback("pure") }, || 3);
    assert_eq!(r, 3);
}

extern "C" fn elsewhere(x: c_int) -> c_int {
    callback("elsewhere", || x)
}

#[test]
fn stack_change_under_runtime_frames_is_fatal() {
    if std::env::var_os("CBT_CHILD_STACKCHANGE").is_some() {
        init();
        // SAFETY: `elsewhere` matches `Cb`.
        call_foreign(
            &const { ForeignFn::new("cbt_call_on_other_stack") },
            || unsafe { cbt_call_on_other_stack(elsewhere) },
        );
        unreachable!("the stack change must have been refused");
    }
    let err = stderr_of_dead_child(
        "stack_change_under_runtime_frames_is_fatal",
        "CBT_CHILD_STACKCHANGE",
    );
    assert!(err.contains("called on a different stack"), "{err}");
    assert!(err.contains("`cbt_call_on_other_stack`"), "{err}");
}

extern "C" fn with_ctxt(x: c_int) -> c_int {
    callback::callback_with_context("with_ctxt", 0x100 + x as usize, || {
        let ctxts = with_current(|m| m.unwrap().callback_contexts());
        if x == 0 {
            // Innermost: both levels' words, newest last.
            assert_eq!(ctxts, vec![0x101, 0x100]);
            return 0;
        }
        assert_eq!(ctxts, vec![0x101]);
        // SAFETY: `with_ctxt` matches `Cb`.
        call_foreign(&const { ForeignFn::new("cbt_call") }, || unsafe {
            cbt_call(with_ctxt, x - 1)
        }) + 1
    })
}

/// The callback-context words used by tracebacks are pushed per callback level and
/// popped on the way out.
#[test]
fn callback_context_words_nest_and_pop() {
    init();
    // SAFETY: `with_ctxt` matches `Cb`.
    let r = call_foreign(&const { ForeignFn::new("cbt_call") }, || unsafe {
        cbt_call(with_ctxt, 1)
    });
    assert_eq!(r, 1);
    assert!(with_current(|m| m.unwrap().callback_contexts().is_empty()));
}
