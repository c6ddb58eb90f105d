//! Ports Go's `TestDestructorCallback` (`runtime/testdata/testprogcgo`,
//! `DestructorCallback`): a C `__attribute__((destructor))` function calls back into
//! the runtime while the process exits. By then `exit` has run the exiting thread's
//! thread-local destructors, so the callback must not depend on thread-local state
//! that is gone. Each scenario runs in a child process that stores the callback and
//! exits; the C destructor prints whether the callback returned the right value.
// The C programs these scenarios use are built for Linux only (see build.rs).
#![cfg(target_os = "linux")]

mod common;

use std::os::raw::c_int;

use callback::{ForeignFn, call_foreign, callback};
use common::*;

#[link(name = "callback_tests", kind = "static")]
unsafe extern "C" {
    fn cbt_call_at_exit(cb: extern "C" fn(c_int) -> c_int);
}

extern "C" fn plus_one(x: c_int) -> c_int {
    callback("plus_one", || x + 1)
}

const SCENARIO: &str = "CBT_CHILD_DESTRUCTOR";

/// Runs the child scenario `which` and checks the destructor's callback worked.
fn check(which: &str) {
    assert_child_passed(
        "a_c_destructor_calls_back_while_the_process_exits",
        &[(SCENARIO, which)],
        "CBT_DESTRUCTOR_CALLBACK_OK",
    );
}

#[test]
fn a_c_destructor_calls_back_while_the_process_exits() {
    if let Ok(which) = std::env::var(SCENARIO) {
        init();
        // SAFETY: `plus_one` matches the C function pointer type.
        unsafe { cbt_call_at_exit(plus_one) };
        match which.as_str() {
            // The exiting thread called in before (its context exists and is bound).
            "after_callbacks" => {
                assert_eq!(plus_one(1), 2);
                // A callback during a foreign call, too.
                static F: ForeignFn = ForeignFn::new("plus_one_caller");
                assert_eq!(call_foreign(&F, || plus_one(2)), 3);
            }
            // The first call from this thread comes from the destructor.
            "first" => {}
            other => panic!("unknown scenario {other}"),
        }
        std::process::exit(0);
    }
    check("first");
    check("after_callbacks");
}
