//! Port of Go's `TestStackSwitchCallback` (runtime/crash_cgo_test.go, program
//! testprogcgo/stackswitch.c; Go issue 62440): a C thread calls in on its own
//! stack, then from two malloc'ed 64 KiB makecontext/swapcontext stacks, then
//! from a stack whose top lies just above the previous estimate's low end, and
//! on its own stack again. Each call must see bounds that contain its stack
//! pointer: the real thread bounds (accurate) on the thread's own stack, a
//! fresh estimate (not accurate) on the others.

#![cfg(target_os = "linux")]

use std::sync::Mutex;

use stackswitch::{
    StackBounds, SystemStack, current_sp, remaining_stack, thread_stack_bounds, update_for_callback,
};

type Callback = extern "C" fn(*mut core::ffi::c_void, i32) -> usize;

#[link(name = "stackswitch_ctests", kind = "static")]
unsafe extern "C" {
    fn ss_stack_switch_callback(cb: Callback, arg: *mut core::ffi::c_void) -> i32;
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    which: i32,
    sp: usize,
    recorded: SystemStack,
    kept: bool,
    real: Option<StackBounds>,
    room: Option<usize>,
}

extern "C" fn callback(arg: *mut core::ffi::c_void, which: i32) -> usize {
    // SAFETY: `arg` is the Mutex<Vec<Seen>> the test passed; it outlives the
    // C call that invokes us (the test joins the C thread before returning).
    let log = unsafe { &*arg.cast::<Mutex<Vec<Seen>>>() };
    let sp = current_sp();
    let update = update_for_callback(sp, false);
    let seen = Seen {
        which,
        sp,
        recorded: update.current,
        kept: update.kept,
        real: thread_stack_bounds(),
        room: remaining_stack(),
    };
    if let Ok(mut v) = log.lock() {
        v.push(seen);
    }
    update.current.bounds.lo
}

#[test]
fn stack_switch_callback() {
    let log: Mutex<Vec<Seen>> = Mutex::new(Vec::new());
    // SAFETY: the callback matches the C typedef; `log` outlives the call.
    let rc = unsafe { ss_stack_switch_callback(callback, (&raw const log).cast_mut().cast()) };
    assert_eq!(
        rc, 0,
        "C side failed (1: allocation/context, 2: estimate outside block)"
    );
    let seen = log.into_inner().unwrap();
    let order: Vec<i32> = seen.iter().map(|s| s.which).collect();
    assert_eq!(order, [0, 1, 2, 30, 3, 4]);
    let real = seen[0].real.expect("glibc reports the C thread's bounds");
    for s in &seen {
        assert!(
            s.recorded.bounds.contains_sp(s.sp),
            "bounds must contain sp: {s:x?}"
        );
        assert!(
            s.recorded.guard_limit() < s.sp,
            "sp above the guard limit: {s:x?}"
        );
        let own = s.which == 0 || s.which == 4;
        assert_eq!(real.contains_sp(s.sp), own, "{s:x?}");
        if own {
            assert_eq!(
                s.recorded,
                SystemStack {
                    bounds: real,
                    accurate: true
                },
                "{s:x?}"
            );
            // remaining_stack measures from its own (slightly lower) stack pointer.
            let room = s.room.expect("known on the thread's own stack");
            assert!(
                room <= s.sp - real.lo && room + 1024 > s.sp - real.lo,
                "{s:x?}"
            );
        } else {
            assert_eq!(
                s.recorded,
                SystemStack {
                    bounds: StackBounds::estimate(s.sp),
                    accurate: false
                },
                "{s:x?}"
            );
            assert!(
                !s.kept,
                "an estimate is never trusted for the next call: {s:x?}"
            );
        }
    }
    // The two makecontext stacks are distinct allocations, each call got its own estimate.
    assert_ne!(seen[1].recorded, seen[0].recorded);
    assert!(seen[3].recorded.bounds.lo != seen[4].recorded.bounds.lo);
    // The last call on the thread's own stack found the real bounds again.
    assert!(!seen[5].kept);
}
