//! Green-thread contexts: resume/suspend/finish, values both ways, panics,
//! dropping suspended contexts, migration between threads, pools.

use std::cell::Cell;
use std::rc::Rc;

mod common;

use common::panic_message;
use stackswitch::{Context, CurrentThread, Resume, Stack, StackPool, Yielder, remaining_stack};

#[test]
fn values_flow_both_ways_until_return() {
    let mut ctx = Context::new(Stack::new(64 * 1024).unwrap(), |y, first| {
        let mut acc = first;
        for i in 0..5 {
            acc += y.suspend(acc * 10 + i);
        }
        acc
    });
    assert!(!ctx.is_started());
    let mut expected_acc = 3;
    let mut out = ctx.resume(3);
    for i in 0..5 {
        match out {
            Resume::Suspended(v) => assert_eq!(v, expected_acc * 10 + i),
            other => panic!("unexpected {other:?}"),
        }
        expected_acc += i + 100;
        out = ctx.resume(i + 100);
    }
    assert!(matches!(out, Resume::Returned(v) if v == expected_acc));
    assert!(ctx.is_finished());
}

#[test]
fn panic_is_reported_to_the_resumer() {
    let mut ctx: Context<()> = Context::new(Stack::new(64 * 1024).unwrap(), |y, _| {
        y.suspend(1);
        panic!("context failed: {}", std::hint::black_box(42));
    });
    assert!(matches!(ctx.resume(0), Resume::Suspended(1)));
    match ctx.resume(0) {
        Resume::Panicked(p) => {
            assert_eq!(p.downcast_ref::<String>().unwrap(), "context failed: 42")
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn resuming_a_finished_context_panics_with_a_message() {
    let mut ctx = Context::new(Stack::new(16 * 1024).unwrap(), |_, _| 5u8);
    assert!(matches!(ctx.resume(0), Resume::Returned(5)));
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ctx.resume(0))).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("resume of the finished context on stack #"),
        "{msg}"
    );
}

#[test]
fn dropping_a_suspended_context_runs_its_destructors() {
    struct Flag(Rc<Cell<u32>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let dropped = Rc::new(Cell::new(0));
    let d = dropped.clone();
    let mut ctx = Context::new(Stack::new(64 * 1024).unwrap(), move |y, _| {
        let _a = Flag(d.clone());
        y.suspend(0);
        let _b = Flag(d);
        unreachable!("never resumed normally");
    });
    assert!(matches!(ctx.resume(0), Resume::Suspended(0)));
    assert_eq!(dropped.get(), 0);
    drop(ctx);
    // `_a` ran its destructor during the forced unwind; the closure's captured
    // `d` was moved into `_b`'s would-be place and dropped with the closure.
    assert_eq!(dropped.get(), 1);
    assert_eq!(Rc::strong_count(&dropped), 1);
}

#[test]
fn never_started_context_drops_its_closure() {
    let rc = Rc::new(());
    let held = rc.clone();
    let ctx = Context::new(Stack::new(16 * 1024).unwrap(), move |_, _| drop(held));
    assert_eq!(Rc::strong_count(&rc), 2);
    drop(ctx);
    assert_eq!(Rc::strong_count(&rc), 1);
}

#[test]
fn remaining_stack_inside_a_context() {
    let mut ctx = Context::new(Stack::new(128 * 1024).unwrap(), |y, _| {
        let r = remaining_stack().unwrap();
        y.suspend(r);
        remaining_stack().unwrap()
    });
    let Resume::Suspended(r1) = ctx.resume(0) else {
        panic!()
    };
    assert!(r1 <= 128 * 1024 && r1 > 100 * 1024, "{r1}");
    let Resume::Returned(r2) = ctx.resume(0) else {
        panic!()
    };
    assert!(r2 <= 128 * 1024 && r2 > 100 * 1024, "{r2}");
}

#[test]
fn nested_contexts() {
    let mut outer = Context::new(Stack::new(64 * 1024).unwrap(), |y, _| {
        let mut inner = Context::new(Stack::new(64 * 1024).unwrap(), |yi, a| {
            let b = yi.suspend(a + 1);
            b * 2
        });
        let Resume::Suspended(v) = inner.resume(10) else {
            panic!()
        };
        let back = y.suspend(v); // suspend the outer while the inner is suspended
        let Resume::Returned(w) = inner.resume(back) else {
            panic!()
        };
        w
    });
    assert!(matches!(outer.resume(0), Resume::Suspended(11)));
    assert!(matches!(outer.resume(4), Resume::Returned(8)));
}

#[test]
fn contexts_migrate_between_threads() {
    let ctx = Context::new(Stack::new(64 * 1024).unwrap(), |y, a| {
        let b = y.suspend(a + 1);
        let c = y.suspend(b + 1);
        c + 1
    });
    // SAFETY: the closure keeps only integers across suspensions.
    let mut ctx = unsafe { ctx.into_send() };
    let mut v = 0;
    for step in 0..3 {
        let (next, back) = std::thread::spawn(move || {
            let r = ctx.resume(v);
            (r, ctx)
        })
        .join()
        .unwrap();
        ctx = back;
        v = match next {
            Resume::Suspended(x) | Resume::Returned(x) => x,
            Resume::Panicked(_) => panic!("panicked at step {step}"),
        };
    }
    assert_eq!(v, 3);
    assert!(ctx.is_finished());
}

#[test]
fn stacks_go_back_to_a_pool() {
    let pool = StackPool::new(32 * 1024, 4);
    let mut ids = Vec::new();
    for round in 0..3 {
        let mut ctx = Context::new(pool.take().unwrap(), move |_, a| a + round);
        assert!(matches!(ctx.resume(1), Resume::Returned(r) if r == 1 + round));
        let stack = ctx.into_stack();
        ids.push(stack.id());
        pool.give(stack);
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[1], ids[2]);
    assert_eq!(pool.cached(), 1);
}

#[test]
fn suspend_from_the_system_stack_is_refused() {
    let mut ctx: Context<()> = Context::new(Stack::new(64 * 1024).unwrap(), |y, _| {
        let msg = panic_message(|| stackswitch::on_system_stack(|| y.suspend(0)));
        assert!(msg.contains("while not running on its stack"), "{msg}");
    });
    assert!(matches!(ctx.resume(0), Resume::Returned(())));
}

#[test]
fn suspending_inside_on_stack_keeps_that_stack_and_its_room() {
    let mut ctx = Context::new(Stack::new(64 * 1024).unwrap(), |y, _| {
        let mut big = Stack::new(512 * 1024).unwrap();
        let inner = big.bounds();
        stackswitch::on_stack(&mut big, || {
            let before = remaining_stack().unwrap();
            y.suspend(before);
            let after = remaining_stack().unwrap();
            let sp = stackswitch::current_sp();
            assert!(inner.contains_sp(sp));
            after
        })
    });
    let Resume::Suspended(before) = ctx.resume(0) else {
        panic!()
    };
    assert!(before > 400 * 1024, "{before}");
    // The resumer's own room is unaffected by the suspended on_stack.
    let here = remaining_stack();
    let Resume::Returned(after) = ctx.resume(0) else {
        panic!()
    };
    assert!(
        after > 400 * 1024 && after.abs_diff(before) < 4096,
        "{before} {after}"
    );
    assert_eq!(remaining_stack().is_some(), here.is_some());
}

/// Resumes a new context that calls `outer.suspend` (the misuse: `outer`
/// belongs to the context that resumes it) and returns the panic message.
fn suspend_from_a_nested_context(outer: &Yielder) -> String {
    let outer = outer as *const Yielder;
    let mut inner: Context<String> = Context::new(Stack::new(64 * 1024).unwrap(), move |_, _| {
        // SAFETY: the outer context is alive and blocked in the resume of
        // this one, so its Yielder is valid; the call is the misuse under
        // test and must panic before switching.
        panic_message(|| unsafe { (*outer).suspend(1) })
    });
    let Resume::Returned(msg) = inner.resume(0) else {
        panic!("the inner context did not return")
    };
    msg
}

#[test]
fn suspend_of_the_outer_context_from_a_nested_one_is_refused() {
    let mut outer: Context<()> = Context::new(Stack::new(64 * 1024).unwrap(), |y, _| {
        let msg = suspend_from_a_nested_context(y);
        assert!(msg.contains("while not running on its stack"), "{msg}");
        // The outer context still suspends normally afterwards.
        assert_eq!(y.suspend(5), 6);
    });
    assert!(matches!(outer.resume(0), Resume::Suspended(5)));
    assert!(matches!(outer.resume(6), Resume::Returned(())));
}

#[test]
fn suspend_on_the_system_stack_inside_on_stack_is_refused() {
    let mut ctx: Context<()> = Context::new(Stack::new(64 * 1024).unwrap(), |y, _| {
        let mut big = Stack::new(256 * 1024).unwrap();
        let msg = stackswitch::on_stack(&mut big, || {
            panic_message(|| stackswitch::on_system_stack(|| y.suspend(0)))
        });
        assert!(msg.contains("while not running on its stack"), "{msg}");
        // And from the on_stack stack itself it is allowed.
        let back = stackswitch::on_stack(&mut big, || y.suspend(7));
        assert_eq!(back, 8);
    });
    assert!(matches!(ctx.resume(0), Resume::Suspended(7)));
    assert!(matches!(ctx.resume(8), Resume::Returned(())));
}

/// Memory for `on_stack_raw` in the executable's data, below every mapped
/// stack on Linux, so that a check of `raw bottom <= sp < context stack`
/// alone would take any other stack for this one.
#[repr(align(16))]
struct RawStack(std::cell::UnsafeCell<[u8; 64 * 1024]>);
// SAFETY: only the one test below uses it, from one thread at a time.
unsafe impl Sync for RawStack {}
static RAW_STACK: RawStack = RawStack(std::cell::UnsafeCell::new([0; 64 * 1024]));

#[test]
fn inside_on_stack_raw_suspend_is_allowed_but_not_from_other_stacks() {
    let bottom = RAW_STACK.0.get() as usize;
    let top = bottom + 64 * 1024;
    let mut ctx: Context<Vec<String>> =
        Context::new(Stack::new(64 * 1024).unwrap(), move |y, _| {
            let body = || {
                let mut msgs = Vec::new();
                msgs.push(panic_message(|| {
                    stackswitch::on_system_stack(|| y.suspend(0))
                }));
                // A context made now has its stack mapped below this one's.
                msgs.push(suspend_from_a_nested_context(y));
                // From the raw stack itself, suspending is allowed.
                assert_eq!(y.suspend(7), 8);
                assert!((bottom..top).contains(&stackswitch::current_sp()));
                msgs
            };
            // SAFETY: RAW_STACK is 64 KiB that only this test uses, far more than
            // the closure needs.
            unsafe { stackswitch::on_stack_raw(top, bottom, body) }
        });
    assert!(matches!(ctx.resume(0), Resume::Suspended(7)));
    let Resume::Returned(msgs) = ctx.resume(8) else {
        panic!()
    };
    assert_eq!(msgs.len(), 2);
    for msg in msgs {
        assert!(msg.contains("while not running on its stack"), "{msg}");
    }
}

#[test]
fn a_resumer_resumes_like_resume() {
    let here = CurrentThread::get();
    let mut ctx = Context::new(Stack::new(64 * 1024).unwrap(), |y, mut v| {
        for _ in 0..100 {
            // A context resumed inside this one through the same CurrentThread runs
            // nested, and on_system_stack inside it still reaches the system
            // stack.
            let here = CurrentThread::get();
            let mut inner: Context<bool> = Context::new(Stack::new(32 * 1024).unwrap(), |_, _| {
                stackswitch::on_system_stack(stackswitch::on_system_stack_now)
            });
            assert!(matches!(inner.resume_on(&here, 0), Resume::Returned(true)));
            assert!(!stackswitch::on_system_stack_now());
            v = y.suspend(v + 1);
        }
        v
    });
    let mut v = 0;
    loop {
        match ctx.resume_on(&here, v) {
            Resume::Suspended(x) => v = x,
            Resume::Returned(x) => {
                assert_eq!(x, 100);
                break;
            }
            Resume::Panicked(p) => std::panic::resume_unwind(p),
        }
        assert!(stackswitch::on_system_stack_now());
    }
}
