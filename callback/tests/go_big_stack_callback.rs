//! Ports the scenario of Go issue 1328 ("cgo: fix g0 stack guard"): C uses 64 KiB and
//! 1 MiB of its stack before calling back.
// The C programs these scenarios use are built for Linux only (see build.rs).
#![cfg(target_os = "linux")]

mod common;

use std::os::raw::c_int;

use callback::callback;
use common::*;

extern "C" fn deep_ok(x: c_int) -> c_int {
    callback("deep_ok", || x + 10)
}

/// Go issue 1328: C uses 64 KiB and 1 MiB of its stack before calling back.
#[test]
fn go_1328_big_c_stack_before_callback() {
    init();
    // Run on a C thread with a known 8 MiB stack (and not on this test thread, which
    // would stay attached until the harness ends it and skew the other tests' counters).
    extern "C" fn big64_then_call(_x: c_int) -> c_int {
        // SAFETY: `deep_ok` matches `Cb`.
        unsafe { cbt_big_stack(deep_ok, 64) }
    }
    // SAFETY: `big64_then_call` matches `Cb`.
    assert_eq!(unsafe { cbt_thread_loop(big64_then_call, 1, 8 << 20) }, 10);
    extern "C" fn big_then_call(_x: c_int) -> c_int {
        // SAFETY: `deep_ok` matches `Cb`.
        unsafe { cbt_big_stack(deep_ok, 1024) }
    }
    // SAFETY: `big_then_call` matches `Cb` (it is a plain C-ABI function run by the C
    // thread; only `deep_ok` is an exported callback).
    assert_eq!(unsafe { cbt_thread_loop(big_then_call, 1, 8 << 20) }, 10);
    // From a runtime thread inside a foreign call too.
    let r = callback::call_foreign(&const { callback::ForeignFn::new("cbt_big_stack") }, || {
        // SAFETY: as above.
        unsafe { cbt_thread_loop(big_then_call, 2, 8 << 20) }
    });
    assert_eq!(r, 20);
}
