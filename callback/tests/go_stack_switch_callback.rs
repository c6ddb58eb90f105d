//! Ports Go `TestStackSwitchCallback` (testprogcgo `StackSwitchCallback`, Go issue
//! 62440): a C thread calls in from its own stack and from two makecontext stacks.
// The C programs these scenarios use are built for Linux only (see build.rs).
#![cfg(target_os = "linux")]

mod common;

use std::os::raw::c_int;
use std::sync::Mutex;

use callback::{callback, with_current};
use common::*;

static BOUNDS: Mutex<Vec<(usize, usize, bool)>> = Mutex::new(Vec::new());

extern "C" fn bounds_probe(x: c_int) -> c_int {
    callback("bounds_probe", || {
        let b = with_current(|m| m.unwrap().bounds());
        let sp = stackswitch::current_sp();
        assert!(b.lo < sp && sp <= b.hi, "sp {sp:#x} outside {b:?}");
        BOUNDS.lock().unwrap().push((b.lo, b.hi, b.accurate));
        x
    })
}

/// Go issue 62440 (`TestStackSwitchCallback`): a C thread calls in from its own stack,
/// then from two malloc'ed 64 KiB makecontext stacks, then from its own stack again;
/// each time the bounds contain the stack pointer, and the thread's real bounds are used
/// again at the end.
#[test]
fn go_62440_stack_switch_callback() {
    init();
    BOUNDS.lock().unwrap().clear();
    // SAFETY: `bounds_probe` matches `Cb`.
    assert_eq!(unsafe { cbt_stack_switch(bounds_probe) }, 1 + 2 + 3);
    let b = BOUNDS.lock().unwrap().clone();
    assert_eq!(b.len(), 4);
    assert!(b[0].2, "own stack: real bounds");
    assert!(!b[1].2 && !b[2].2, "makecontext stacks: estimates");
    assert_ne!(b[1], b[2]);
    assert_eq!((b[3].0, b[3].1), (b[0].0, b[0].1), "back on the own stack");
}
