//! The two cgo switches: a green thread running code on its thread's system
//! stack (`on_system_stack`, Go's asmcgocall) and code there coming back onto
//! the green stack (`on_green_stack`, Go's cgocallback), nested to any depth.

mod common;

use common::{child_scenario, emulated, panic_message, run_child, signal_of};
use stackswitch::{
    Context, Resume, Stack, StackBounds, current_sp, green_thread_waiting, on_green_stack,
    on_green_stack_nounwind, on_system_stack, on_system_stack_leaf, on_system_stack_nounwind,
    on_system_stack_now, remaining_stack,
};

/// Where each level of a Rust→"C"→Rust chain ran.
#[derive(Debug, Default)]
struct Trace {
    green: Vec<usize>,
    system: Vec<usize>,
}

/// Alternates system/green levels `depth` times, recording stack pointers,
/// then unwinds; returns the number of levels that ran.
fn chain(depth: usize, trace: &mut Trace) -> usize {
    if depth == 0 {
        return 0;
    }
    on_system_stack(|| {
        trace.system.push(current_sp());
        assert!(on_system_stack_now());
        assert!(green_thread_waiting());
        // A big "C" frame on the system stack that the callback must not clobber.
        let guard = std::hint::black_box([depth as u8; 2048]);
        let n = on_green_stack(|| {
            trace.green.push(current_sp());
            assert!(!on_system_stack_now());
            1 + chain(depth - 1, trace)
        });
        assert!(
            guard.iter().all(|&b| b == depth as u8),
            "system frame clobbered at level {depth}"
        );
        n + 1
    })
}

#[test]
fn nested_chains_unwind_in_order_on_both_stacks() {
    let thread_stack = stackswitch::thread_stack_bounds().expect("glibc reports thread bounds");
    let mut g = Context::new(Stack::new(256 * 1024).unwrap(), move |_, _| {
        let mut trace = Trace::default();
        let levels = chain(6, &mut trace);
        (levels, trace)
    });
    let green_bounds = g.stack().bounds();
    let Resume::Returned((levels, trace)) = g.resume(0) else {
        panic!("context did not finish")
    };
    assert_eq!(levels, 12);
    assert_eq!(trace.system.len(), 6);
    assert_eq!(trace.green.len(), 6);
    for w in trace.system.windows(2) {
        assert!(
            w[1] < w[0],
            "system stack must grow down level by level: {trace:x?}"
        );
    }
    for w in trace.green.windows(2) {
        assert!(
            w[1] < w[0],
            "green stack must grow down level by level: {trace:x?}"
        );
    }
    assert!(
        trace.system.iter().all(|&sp| thread_stack.contains_sp(sp)),
        "{trace:x?} {thread_stack:x?}"
    );
    assert!(
        trace.green.iter().all(|&sp| green_bounds.contains_sp(sp)),
        "{trace:x?}"
    );
}

#[test]
fn repeated_chains_reuse_the_same_depths() {
    // The saved stack pointers are restored after every level, so the same
    // chain run twice lands at the same addresses (no drift, no leak).
    let mut g = Context::new(Stack::new(128 * 1024).unwrap(), |y, _| {
        for _ in 0..3 {
            let mut trace = Trace::default();
            chain(3, &mut trace);
            y.suspend(trace.system[2] ^ trace.green[2].rotate_left(32));
        }
    });
    let mut seen = Vec::new();
    while let Resume::Suspended(v) = g.resume(0) {
        seen.push(v);
    }
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|&v| v == seen[0]), "{seen:x?}");
}

#[test]
fn on_system_stack_runs_on_the_thread_stack_and_reports_its_room() {
    let thread_stack = stackswitch::thread_stack_bounds().unwrap();
    let mut g = Context::new(Stack::new(64 * 1024).unwrap(), move |_, _| {
        let green_room = remaining_stack().unwrap();
        let (sp, room) = on_system_stack(|| (current_sp(), remaining_stack()));
        (green_room, sp, room)
    });
    let Resume::Returned((green_room, sp, room)) = g.resume(0) else {
        panic!()
    };
    assert!(green_room < 64 * 1024);
    assert!(thread_stack.contains_sp(sp));
    let room = room.expect("system stack room is known");
    assert!(room > 64 * 1024, "system stack room {room}");
}

#[test]
fn panics_cross_both_switches_as_panics() {
    let mut g: Context<String> = Context::new(Stack::new(64 * 1024).unwrap(), |_, _| {
        let r = std::panic::catch_unwind(|| {
            on_system_stack(|| on_green_stack(|| panic!("from the callback")))
        });
        let msg = r.unwrap_err();
        msg.downcast_ref::<&str>().unwrap().to_string()
    });
    let Resume::Returned(msg) = g.resume(0) else {
        panic!()
    };
    assert_eq!(msg, "from the callback");
}

/// Go's `TestCallbackPanicLoop`: many panics unwinding out of a callback and
/// through both switches must not leak the system stack (each would leave its
/// frames behind if the saved system stack pointer were not restored on the
/// unwinding path), nor the green stack.
#[test]
fn repeated_panics_through_both_switches_leave_both_stacks_as_they_were() {
    let rounds = if emulated() { 2_000 } else { 100_000 };
    let mut g: Context<(usize, usize, usize, usize)> =
        Context::new(Stack::new(64 * 1024).unwrap(), move |_, _| {
            let before = (current_sp(), on_system_stack(current_sp));
            for i in 0..rounds {
                // `resume_unwind`: a panic without the panic hook's message.
                let r = std::panic::catch_unwind(|| {
                    on_system_stack(|| on_green_stack(|| std::panic::resume_unwind(Box::new(i))))
                });
                assert_eq!(*r.unwrap_err().downcast::<usize>().unwrap(), i);
            }
            let after = (current_sp(), on_system_stack(current_sp));
            (before.0, after.0, before.1, after.1)
        });
    let Resume::Returned((green_before, green_after, sys_before, sys_after)) = g.resume(0) else {
        panic!("the green thread failed")
    };
    assert_eq!(green_before, green_after, "green stack pointer moved");
    assert_eq!(
        sys_before, sys_after,
        "system stack leaked over {rounds} panics"
    );
}

#[test]
fn without_a_green_thread_both_switches_run_in_place() {
    let sp = current_sp();
    let here = StackBounds {
        lo: sp - 64 * 1024,
        hi: sp + 4096,
    };
    assert!(on_system_stack_now());
    assert!(!green_thread_waiting());
    assert!(here.contains_sp(on_system_stack(current_sp)));
    assert!(here.contains_sp(on_green_stack(current_sp)));
}

#[test]
fn context_resumed_from_the_system_stack_of_another_green_thread() {
    // A green thread calls "C", which runs a second green thread to
    // completion; that one calls "C" too and must land below the first C frame.
    let mut outer = Context::new(Stack::new(64 * 1024).unwrap(), |_, _| {
        on_system_stack(|| {
            let c_sp = current_sp();
            let mut inner = Context::new(Stack::new(64 * 1024).unwrap(), |_, _| {
                on_system_stack(current_sp)
            });
            let Resume::Returned(inner_sys_sp) = inner.resume(0) else {
                panic!()
            };
            (c_sp, inner_sys_sp)
        })
    });
    let Resume::Returned((c_sp, inner_sys_sp)) = outer.resume(0) else {
        panic!()
    };
    assert!(
        inner_sys_sp < c_sp,
        "{inner_sys_sp:#x} must be below {c_sp:#x}"
    );
}

#[test]
fn suspending_inside_a_callback_is_refused() {
    let mut g: Context<String> = Context::new(Stack::new(64 * 1024).unwrap(), |y, _| {
        let msg = panic_message(|| on_system_stack(|| on_green_stack(|| y.suspend(1))));
        // After the callback returned, suspending is fine again.
        y.suspend(2);
        msg
    });
    assert!(matches!(g.resume(0), Resume::Suspended(2)));
    let Resume::Returned(msg) = g.resume(0) else {
        panic!()
    };
    assert!(
        msg.contains("inside a callback from C (on_green_stack)"),
        "{msg}"
    );
}

#[test]
fn a_callback_refuses_suspend_inside_on_stack_raw_and_nested_callbacks_until_it_returns() {
    // Caller-managed memory: `remaining_stack` can only know it from the range
    // `on_stack_raw` records (it is in no registry).
    let mut mem = vec![0u128; 32 * 1024 / 16];
    let bottom = mem.as_mut_ptr() as usize;
    let top = bottom + 32 * 1024;
    let mut g: Context<Vec<String>> = Context::new(Stack::new(64 * 1024).unwrap(), move |y, _| {
        let mut msgs = Vec::new();
        on_system_stack(|| {
            on_green_stack(|| {
                // SAFETY: `mem` is 32 KiB nothing else uses while the closure
                // runs, far more than it needs.
                let (room, msg) = unsafe {
                    stackswitch::on_stack_raw(top, bottom, || {
                        (remaining_stack(), panic_message(|| y.suspend(1)))
                    })
                };
                let room = room.unwrap();
                assert!(room > 16 * 1024 && room < 32 * 1024, "{room}");
                msgs.push(msg);
                // A callback nested in this one, and this one again after it.
                on_system_stack(|| on_green_stack(|| msgs.push(panic_message(|| y.suspend(1)))));
                msgs.push(panic_message(|| y.suspend(1)));
            })
        });
        // Every callback returned: suspending is fine again.
        assert_eq!(y.suspend(2), 5);
        msgs
    });
    assert!(matches!(g.resume(0), Resume::Suspended(2)));
    let Resume::Returned(msgs) = g.resume(5) else {
        panic!()
    };
    drop(mem);
    assert_eq!(msgs.len(), 3);
    for msg in msgs {
        assert!(
            msg.contains("inside a callback from C (on_green_stack)"),
            "{msg}"
        );
    }
}

#[test]
fn nounwind_switch_runs_on_the_system_stack_and_nests() {
    let thread_stack = stackswitch::thread_stack_bounds().unwrap();
    let mut g = Context::new(Stack::new(64 * 1024).unwrap(), move |_, _| {
        let green_sp = current_sp();
        let (sp, on_sys, back_sp, inner_sp) = on_system_stack_nounwind(|| {
            let sp = current_sp();
            // A callback onto the green stack, and a second call from there,
            // which must land below the first one's frames.
            let (back_sp, inner_sp) =
                on_green_stack(|| (current_sp(), on_system_stack_nounwind(current_sp)));
            (sp, on_system_stack_now(), back_sp, inner_sp)
        });
        (
            green_sp,
            sp,
            on_sys,
            back_sp,
            inner_sp,
            on_system_stack_now(),
        )
    });
    let Resume::Returned((green_sp, sp, on_sys, back_sp, inner_sp, after)) = g.resume(0) else {
        panic!()
    };
    assert!(
        thread_stack.contains_sp(sp),
        "{sp:#x} not in {thread_stack:x?}"
    );
    assert!(on_sys);
    assert!(back_sp < green_sp && green_sp - back_sp < 64 * 1024);
    assert!(inner_sp < sp, "{inner_sp:#x} must be below {sp:#x}");
    assert!(!after, "back on the green stack afterwards");
    // Outside a context it runs in place.
    let here = current_sp();
    let r = on_system_stack_nounwind(current_sp);
    assert!(r <= here && here - r < 4096);
}

#[test]
fn nounwind_switch_aborts_on_a_panic() {
    if child_scenario().as_deref() == Some("nounwind_panic") {
        let mut g = Context::new(Stack::new(64 * 1024).unwrap(), |_, _| {
            on_system_stack_nounwind(|| panic!("a panic on the system stack"))
        });
        let _ = g.resume(0);
        unreachable!("the panic must abort the process");
    }
    assert_aborted_at_the_switch(
        "nounwind_switch_aborts_on_a_panic",
        "nounwind_panic",
        "a panic on the system stack",
    );
}

/// Re-runs `test` as a child in `scenario` and checks that the panic `message`
/// aborted the process at a switch without a catching frame.
fn assert_aborted_at_the_switch(test: &str, scenario: &str, message: &str) {
    let out = run_child(test, scenario);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(message), "{stderr}");
    assert!(
        stderr.contains("panic in a function that cannot unwind"),
        "{stderr}"
    );
    assert_eq!(signal_of(&out), Some(libc::SIGABRT), "{stderr}");
}

#[test]
fn nounwind_green_switch_runs_on_the_green_stack_and_nests() {
    let mut g = Context::new(Stack::new(64 * 1024).unwrap(), move |y, _| {
        let green_sp = current_sp();
        let here = stackswitch::CurrentThread::get();
        let (sys_sp, back_sp, on_green, deeper_sp, inner_sys_sp, refused) = on_system_stack(|| {
            let sys_sp = current_sp();
            on_green_stack_nounwind(|| {
                let back_sp = current_sp();
                // Nested: C called from the callback calls back again, through
                // the handle's variant this time.
                let (deeper_sp, inner_sys_sp) = on_system_stack_nounwind(|| {
                    let inner_sys_sp = current_sp();
                    (here.on_green_stack_nounwind(current_sp), inner_sys_sp)
                });
                // Still a callback: a suspend is refused.
                let refused = panic_message(|| y.suspend(1)).contains("inside a callback from C");
                (
                    sys_sp,
                    back_sp,
                    !on_system_stack_now(),
                    deeper_sp,
                    inner_sys_sp,
                    refused,
                )
            })
        });
        // After the callbacks return, suspending works again.
        y.suspend(2);
        (
            green_sp,
            sys_sp,
            back_sp,
            on_green,
            deeper_sp,
            inner_sys_sp,
            refused,
        )
    });
    assert!(matches!(g.resume(0), Resume::Suspended(2)));
    let Resume::Returned((green_sp, sys_sp, back_sp, on_green, deeper_sp, inner_sys_sp, refused)) =
        g.resume(0)
    else {
        panic!()
    };
    assert!(on_green, "the callback runs on the green stack");
    assert!(back_sp < green_sp && green_sp - back_sp < 32 * 1024);
    assert!(
        deeper_sp < back_sp,
        "{deeper_sp:#x} must be below {back_sp:#x}"
    );
    assert!(
        inner_sys_sp < sys_sp,
        "{inner_sys_sp:#x} must be below {sys_sp:#x}"
    );
    assert!(refused, "suspend must be refused inside the callback");
    // Without a green thread waiting, it runs in place, on the system stack.
    assert!(on_green_stack_nounwind(on_system_stack_now));
    assert!(!green_thread_waiting());
}

#[test]
fn nounwind_green_switch_aborts_on_a_panic() {
    if child_scenario().as_deref() == Some("nounwind_green_panic") {
        let mut g = Context::new(Stack::new(64 * 1024).unwrap(), |_, _| {
            on_system_stack(|| on_green_stack_nounwind(|| panic!("a panic in the callback")))
        });
        let _ = g.resume(0);
        unreachable!("the panic must abort the process");
    }
    assert_aborted_at_the_switch(
        "nounwind_green_switch_aborts_on_a_panic",
        "nounwind_green_panic",
        "a panic in the callback",
    );
}

#[test]
fn leaf_switch_runs_on_the_system_stack_and_nests() {
    let thread_stack = stackswitch::thread_stack_bounds().unwrap();
    let mut g = Context::new(Stack::new(64 * 1024).unwrap(), move |_, _| {
        let (sp, on_sys, room) =
            on_system_stack_leaf(|| (current_sp(), on_system_stack_now(), remaining_stack()));
        // Inside a callback, a leaf lands below the C frames that called back.
        let (c_sp, leaf_sp) = on_system_stack(|| {
            let c_sp = current_sp();
            let guard = std::hint::black_box([7u8; 2048]);
            let leaf_sp = on_green_stack(|| on_system_stack_leaf(current_sp));
            assert!(guard.iter().all(|&b| b == 7), "C frame clobbered");
            (c_sp, leaf_sp)
        });
        // A context resumed inside a leaf runs its own system-stack calls
        // below the leaf's frames, not at the callback's stack pointer.
        let (outer_sp, inner_sp) = on_system_stack(|| {
            on_green_stack(|| {
                on_system_stack_leaf(|| {
                    let outer_sp = current_sp();
                    let mut inner = Context::new(Stack::new(64 * 1024).unwrap(), |_, _| {
                        on_system_stack(current_sp)
                    });
                    let Resume::Returned(inner_sp) = inner.resume(0) else {
                        panic!()
                    };
                    (outer_sp, inner_sp)
                })
            })
        });
        (
            sp,
            on_sys,
            room,
            c_sp,
            leaf_sp,
            outer_sp,
            inner_sp,
            on_system_stack_now(),
        )
    });
    let Resume::Returned((sp, on_sys, room, c_sp, leaf_sp, outer_sp, inner_sp, after)) =
        g.resume(0)
    else {
        panic!()
    };
    assert!(
        thread_stack.contains_sp(sp),
        "{sp:#x} not in {thread_stack:x?}"
    );
    assert!(on_sys, "on_system_stack_now inside a leaf");
    assert!(
        room.is_some_and(|r| r > 64 * 1024),
        "remaining_stack inside a leaf measures the system stack: {room:?}"
    );
    assert!(leaf_sp < c_sp, "{leaf_sp:#x} must be below {c_sp:#x}");
    assert!(thread_stack.contains_sp(leaf_sp));
    assert!(
        inner_sp < outer_sp,
        "{inner_sp:#x} must be below {outer_sp:#x}"
    );
    assert!(!after, "back on the green stack afterwards");
    // Outside a context it runs in place.
    let here = current_sp();
    let r = on_system_stack_leaf(current_sp);
    assert!(r <= here && here - r < 4096);
}

#[test]
fn on_green_stack_inside_a_leaf_does_not_reach_the_caller() {
    let mut g = Context::new(Stack::new(64 * 1024).unwrap(), |_, _| {
        on_system_stack_leaf(|| {
            let waiting = green_thread_waiting();
            let leaf_sp = current_sp();
            let back_sp = on_green_stack(current_sp);
            (waiting, leaf_sp, back_sp, on_system_stack_now())
        })
    });
    let Resume::Returned((waiting, leaf_sp, back_sp, on_sys)) = g.resume(0) else {
        panic!()
    };
    assert!(!waiting, "a leaf records no green thread for callbacks");
    assert!(
        back_sp <= leaf_sp && leaf_sp - back_sp < 4096,
        "on_green_stack ran in place: {back_sp:#x} vs {leaf_sp:#x}"
    );
    assert!(on_sys);
}

/// Resumes `b` from a frame `depth` KiB below the caller's, returning the
/// stack pointer there and `b`'s result.
#[inline(never)]
fn resume_deep(b: &mut Context<usize>, depth: usize) -> (usize, Resume<usize>) {
    if depth > 0 {
        let pad = std::hint::black_box([0u8; 1024]);
        let r = resume_deep(b, depth - 1);
        std::hint::black_box(&pad);
        return r;
    }
    (current_sp(), b.resume(0))
}

#[test]
fn a_context_resumed_nested_then_from_the_system_stack_switches_below_its_resumer() {
    // `b` first runs nested inside `a` (its system-stack calls go below where
    // `a` was resumed), then, after `a` has finished, from the system stack
    // again: its next call must go below that new resumer, not the old one.
    let b = Context::new(Stack::new(64 * 1024).unwrap(), |y, _| {
        let first = on_system_stack(current_sp);
        y.suspend(first);
        on_system_stack(current_sp)
    });
    let mut a = Context::new(Stack::new(64 * 1024).unwrap(), move |_, _| {
        let mut b = b;
        let Resume::Suspended(first) = b.resume(0) else {
            panic!()
        };
        (first, b)
    });
    let a_resumer = current_sp();
    let Resume::Returned((first, mut b)) = a.resume(0) else {
        panic!()
    };
    assert!(
        first < a_resumer && a_resumer - first < 16 * 1024,
        "nested: {first:#x} must be just below {a_resumer:#x}"
    );
    let (deep_sp, r) = resume_deep(&mut b, 32);
    let Resume::Returned(second) = r else {
        panic!()
    };
    assert!(
        deep_sp < a_resumer - 16 * 1024,
        "the deep resumer is deep: {deep_sp:#x}"
    );
    assert!(
        second < deep_sp && deep_sp - second < 16 * 1024,
        "from the system stack: {second:#x} must be just below {deep_sp:#x}"
    );
}

/// One of the three switches to the system stack, running a closure.
type Switch = fn(&mut dyn FnMut() -> usize) -> usize;

/// The three switches to the system stack, by name.
const SWITCHES: [(&str, Switch); 3] = [
    ("on_system_stack", |f| on_system_stack(f)),
    ("on_system_stack_nounwind", |f| on_system_stack_nounwind(f)),
    ("on_system_stack_leaf", |f| on_system_stack_leaf(f)),
];

/// A green thread's switches to the system stack keep going below *its*
/// resumer after the code it ran there resumed another context from the system
/// stack (which, while it runs, switches below its own, deeper resumer): each
/// of the three switches puts the green thread's system stack pointer back.
#[test]
fn a_context_resumed_on_the_system_stack_leaves_the_green_threads_switch_point() {
    for (name, switch) in SWITCHES {
        let mut a = Context::new(Stack::new(64 * 1024).unwrap(), move |_, _| {
            let before = on_system_stack(current_sp);
            let inner = switch(&mut || {
                // On the system stack: resume `b` 32 KiB further down, where its
                // own switches go.
                let mut b = Context::new(Stack::new(64 * 1024).unwrap(), |y, _| {
                    let sp = on_system_stack_leaf(current_sp);
                    y.suspend(sp);
                    0
                });
                let (deep, r) = resume_deep(&mut b, 32);
                let Resume::Suspended(b_sp) = r else { panic!() };
                assert!(b_sp < deep, "{name}: b switched below its resumer");
                // `b` is dropped here, suspended: its link slot is gone.
                b_sp
            });
            let after = on_system_stack(current_sp);
            let leaf_after = on_system_stack_leaf(current_sp);
            (before, inner, after, leaf_after)
        });
        let resumer = current_sp();
        let Resume::Returned((before, inner, after, leaf_after)) = a.resume(0) else {
            panic!()
        };
        for (what, sp) in [
            ("before", before),
            ("after", after),
            ("leaf after", leaf_after),
        ] {
            assert!(
                sp < resumer && resumer - sp < 16 * 1024,
                "{name}, {what}: {sp:#x} must be just below a's resumer {resumer:#x}"
            );
        }
        assert!(
            inner < resumer - 32 * 1024,
            "{name}: b ran deep ({inner:#x})"
        );
    }
}

/// Where a green thread's system-stack switches go is overridden inside a
/// callback (below the callback's C frames) and inside a nested context (below
/// the outer context's resumer); each switch clears the override for the code it
/// runs and must put it back, so the *second* switch of the same code still goes
/// there, for each of the three switches.
#[test]
fn repeated_system_stack_switches_keep_the_callbacks_and_nested_contexts_switch_point() {
    for (name, switch) in SWITCHES {
        // Inside a callback: below its "C" frames, both times.
        let mut a = Context::new(Stack::new(64 * 1024).unwrap(), move |_, _| {
            on_system_stack(|| {
                let c_frames = current_sp();
                on_green_stack(|| {
                    let first = switch(&mut current_sp);
                    let second = switch(&mut current_sp);
                    (c_frames, first, second)
                })
            })
        });
        let Resume::Returned((c_frames, first, second)) = a.resume(0) else {
            panic!()
        };
        for (what, sp) in [("first", first), ("second", second)] {
            assert!(
                sp < c_frames && c_frames - sp < 16 * 1024,
                "{name}, callback, {what}: {sp:#x} must be just below the callback's frames at {c_frames:#x}"
            );
        }
        // Inside a nested context: below the outer context's resumer, both times.
        let mut outer = Context::new(Stack::new(64 * 1024).unwrap(), move |_, _| {
            let mut inner = Context::new(Stack::new(64 * 1024).unwrap(), move |_, _| {
                let first = switch(&mut current_sp);
                let second = switch(&mut current_sp);
                (first, second)
            });
            let Resume::Returned(sps) = inner.resume(0) else {
                panic!()
            };
            sps
        });
        let resumer = current_sp();
        let Resume::Returned((first, second)) = outer.resume(0) else {
            panic!()
        };
        for (what, sp) in [("first", first), ("second", second)] {
            assert!(
                sp < resumer && resumer - sp < 16 * 1024,
                "{name}, nested, {what}: {sp:#x} must be just below the outer resumer at {resumer:#x}"
            );
        }
    }
}

/// The `CurrentThread` forms of the three system-stack switches do what the
/// free functions do: switch below the resumer's frames, let a callback reach
/// the green thread (all but the leaf), and nest.
#[test]
fn current_thread_switches_match_the_free_functions() {
    let here = stackswitch::CurrentThread::get();
    let mut ctx: Context<()> = Context::new(Stack::new(64 * 1024).unwrap(), |y, _| {
        for round in 0..3 {
            // Looked up inside the context, as a runtime's worker state would be.
            let here = stackswitch::CurrentThread::get();
            let green_sp = current_sp();
            let (sys, cb) = here.on_system_stack(|| {
                // Off the 64 KiB green stack, on the thread's own.
                let sys = current_sp().abs_diff(green_sp) > 64 * 1024 && on_system_stack_now();
                let cb = on_green_stack(|| {
                    // Back on the green stack, below the frame that switched.
                    let sp = current_sp();
                    !on_system_stack_now() && sp < green_sp && green_sp - sp < 32 * 1024
                });
                (sys, cb)
            });
            assert!(sys && cb, "on_system_stack, round {round}");
            let (sys, cb) = here.on_system_stack_nounwind(|| {
                (
                    on_system_stack_now(),
                    on_green_stack(|| !on_system_stack_now()),
                )
            });
            assert!(sys && cb, "on_system_stack_nounwind, round {round}");
            // The leaf records nothing for callbacks: on_green_stack runs in place.
            let (sys, cb) = here.on_system_stack_leaf(|| {
                (on_system_stack_now(), on_green_stack(on_system_stack_now))
            });
            assert!(sys && cb, "on_system_stack_leaf, round {round}");
            // Nested: a handle's switch inside a free function's callback.
            let nested = on_system_stack(|| {
                on_green_stack(|| here.on_system_stack_leaf(on_system_stack_now))
            });
            assert!(nested, "nested, round {round}");
            // The handle's callback switch: back on the green stack below the frame
            // that switched, and nested inside a free function's switch.
            let (sys, cb, nested) = on_system_stack(|| {
                let cb = here.on_green_stack(|| {
                    let sp = current_sp();
                    !on_system_stack_now() && sp < green_sp && green_sp - sp < 32 * 1024
                });
                let nested = here.on_green_stack(|| {
                    here.on_system_stack(|| here.on_green_stack(|| !on_system_stack_now()))
                });
                (on_system_stack_now(), cb, nested)
            });
            assert!(
                sys && cb && nested,
                "CurrentThread::on_green_stack, round {round}"
            );
            assert!(!on_system_stack_now());
            y.suspend(round);
        }
    });
    for round in 0..3 {
        assert!(matches!(ctx.resume_on(&here, 0), Resume::Suspended(r) if r == round));
    }
    assert!(matches!(ctx.resume_on(&here, 0), Resume::Returned(())));
    // Outside any context the switches run in place.
    assert!(here.on_system_stack(on_system_stack_now));
    assert!(here.on_system_stack_leaf(|| on_green_stack(|| 7)) == 7);
    let outer = current_sp();
    assert!(here.on_green_stack(|| outer.abs_diff(current_sp()) < 4096));
}

/// A value of each shape a switch can hand back: the ones an `extern "C"`
/// function returns in registers (nothing, integers, a pointer, floats, a
/// struct holding one of those), which come back through the switch
/// routine's return registers, and larger ones returned through memory.
#[derive(Debug, Clone, PartialEq)]
struct Results {
    unit: (),
    byte: u8,
    half: u16,
    word: u32,
    quad: u64,
    signed: i32,
    single: f32,
    double: f64,
    pointer: *const u8,
    boxed: Box<u64>,
    one_int: OneInt,
    one_float: OneFloat,
    pair: (u32, u16),
    wide: u128,
    text: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct OneInt(u32);
#[derive(Debug, Clone, Copy, PartialEq)]
struct OneFloat(f64);

/// [`Results`] from `seed`, each field computed by `$via!(expression)`.
macro_rules! results {
    ($seed:expr, $via:ident) => {{
        let s: u64 = std::hint::black_box($seed);
        Results {
            unit: $via!(()),
            byte: $via!(s as u8 ^ 0xA5),
            half: $via!(s as u16 ^ 0xBEEF),
            word: $via!(s as u32 ^ 0xDEAD_BEEF),
            quad: $via!(s ^ 0x0123_4567_89AB_CDEF),
            signed: $via!(-(s as i32) - 7),
            single: $via!(s as f32 * 0.5 + 0.25),
            double: $via!(s as f64 * 1.5 - 0.125),
            pointer: $via!(core::ptr::without_provenance::<u8>(s as usize * 8 + 8)),
            boxed: $via!(Box::new(s + 99)),
            one_int: $via!(OneInt(s as u32 + 5)),
            one_float: $via!(OneFloat(s as f64 / 4.0)),
            pair: $via!((s as u32 + 1, s as u16 + 2)),
            wide: $via!(u128::from(s) << 64 | 0xFFFF),
            text: $via!(format!("seed {s}")),
        }
    }};
}

/// Counts its drops.
struct Dropped<'a>(&'a std::cell::Cell<usize>);
impl Drop for Dropped<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn every_result_shape_comes_back_through_each_nounwind_switch() {
    /// Runs `f` through switch `which` from the green stack; instantiated
    /// per result type, as the switches are.
    fn through<R>(which: usize, f: impl FnOnce() -> R) -> R {
        assert!(!on_system_stack_now(), "called on the green stack");
        let r = match which {
            0 => on_system_stack_nounwind(|| {
                assert!(on_system_stack_now());
                f()
            }),
            1 => on_system_stack_leaf(|| {
                assert!(on_system_stack_now());
                f()
            }),
            // From the system stack back onto the green one.
            _ => on_system_stack(|| {
                on_green_stack_nounwind(|| {
                    assert!(!on_system_stack_now());
                    f()
                })
            }),
        };
        assert!(!on_system_stack_now(), "back on the green stack");
        r
    }
    let mut g = Context::new(Stack::new(256 * 1024).unwrap(), |_, seed| {
        (0..3)
            .map(|which| {
                macro_rules! switched {
                    ($e:expr) => {
                        through(which, || $e)
                    };
                }
                let r = results!(seed as u64, switched);
                // A closure that owns a value is consumed once: the value is
                // dropped by the code that ran it, never again by the switch.
                let drops = std::cell::Cell::new(0);
                let owned = Dropped(&drops);
                through(which, move || drop(owned));
                let owned = Dropped(&drops);
                let len = through(which, move || std::mem::size_of_val(&owned) as u32);
                assert_eq!(
                    (drops.get(), len),
                    (2, 8),
                    "switch {which}: each closure dropped once"
                );
                r
            })
            .collect::<Vec<_>>()
    });
    let Resume::Returned(all) = g.resume(41) else {
        panic!("context did not finish")
    };
    macro_rules! direct {
        ($e:expr) => {
            $e
        };
    }
    let expected = results!(41, direct);
    for (which, r) in all.iter().enumerate() {
        assert_eq!(r, &expected, "switch {which}");
    }
}
