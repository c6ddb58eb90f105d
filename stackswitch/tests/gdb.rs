//! gdb's `bt` crosses the switch routines: a backtrace taken by gdb on
//! another stack (inside `on_stack`, inside a context, on the system stack
//! under green code) lists the frames of the code that switched, and does not
//! stop at the switch ("previous frame inner to this frame", "Backtrace
//! stopped").
//!
//! Each test re-runs this test binary under `gdb -batch` on one child
//! scenario that stops itself with `SIGTRAP` at the interesting point; gdb
//! prints `bt` there and the test checks the frame names in order.
//!
//! Needs `gdb` on `PATH`. Without it the tests fail with a message saying so,
//! unless `STACKSWITCH_NO_GDB=1` is set: then they print that they are skipped
//! and why. Under `CGO_RS_RUNNER` (qemu-user for aarch64/riscv64) they print
//! that they run natively only and return.

mod common;

use std::process::Command;

use common::{CHILD_ENV, child_scenario};
use stackswitch::{Context, Resume, Stack, on_stack, on_system_stack};

/// Stops the process with `SIGTRAP`: gdb takes the signal and runs `bt`.
#[inline(never)]
fn trap_here_6d20() {
    // SAFETY: raise only sends a signal to the calling thread; under gdb the
    // SIGTRAP stops the process (the child never runs without gdb).
    unsafe { libc::raise(libc::SIGTRAP) };
}

#[inline(never)]
fn gdb_caller_of_on_stack_3b9e() {
    let mut stack = Stack::new(256 * 1024).unwrap();
    on_stack(&mut stack, trap_here_6d20);
}

#[inline(never)]
fn gdb_resumer_of_context_8f14() {
    let mut ctx = Context::new(Stack::new(256 * 1024).unwrap(), |_, _| trap_here_6d20());
    assert!(matches!(ctx.resume(0), Resume::Returned(())));
}

#[inline(never)]
fn gdb_green_code_calling_c_2a57() {
    on_system_stack(trap_here_6d20);
}

#[inline(never)]
fn gdb_resumer_of_green_code_c461() {
    let mut ctx = Context::new(Stack::new(256 * 1024).unwrap(), |_, _| {
        gdb_green_code_calling_c_2a57()
    });
    assert!(matches!(ctx.resume(0), Resume::Returned(())));
}

/// Whether this test should run gdb at all; `false` after printing why not.
fn gdb_available(test: &str) -> bool {
    if std::env::var("CGO_RS_RUNNER").is_ok_and(|r| !r.trim().is_empty()) {
        println!(
            "{test}: runs natively only (CGO_RS_RUNNER is set: the binary runs under qemu-user); not run"
        );
        return false;
    }
    let found = Command::new("gdb")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return true;
    }
    if std::env::var("STACKSWITCH_NO_GDB").as_deref() == Ok("1") {
        println!("{test}: SKIPPED: gdb is not installed and STACKSWITCH_NO_GDB=1 is set");
        return false;
    }
    panic!(
        "{test}: gdb is not installed (needed to check that gdb's bt crosses the stack switch); \
         install it (Debian: apt-get install -y gdb) or set STACKSWITCH_NO_GDB=1 to skip this test"
    );
}

/// Runs this test binary's `test` as a child under gdb (which stops at the
/// child's SIGTRAP) and returns gdb's backtrace output.
fn gdb_backtrace(test: &str) -> String {
    let exe = std::env::current_exe().expect("test binary path");
    let out = Command::new("gdb")
        .args([
            "-nx",
            "-batch",
            "-ex",
            "set pagination off",
            "-ex",
            "set confirm off",
            "-ex",
            "run",
            "-ex",
            "bt",
            "--args",
        ])
        .arg(&exe)
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test)
        .output()
        .expect("spawn gdb");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("SIGTRAP"),
        "gdb did not stop at the child's SIGTRAP; stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    // The backtrace: from the first frame line (`#0 `) on.
    match stdout.find("#0 ") {
        Some(i) => stdout[i..].to_owned(),
        None => panic!("gdb printed no backtrace; stdout:\n{stdout}\nstderr:\n{stderr}"),
    }
}

/// The frame of `stackswitch_on_stack`: gdb labels it `<signal handler
/// called>` because its CFI marks it as a signal frame (which is what lets gdb
/// accept a caller on another stack), and older versions print the symbol.
const ON_STACK_FRAME: &str = "stackswitch_on_stack|<signal handler called>";

/// `names` appear in `bt` in this order (each one of its `|`-separated
/// spellings), and gdb did not give up on the way.
fn assert_bt(bt: &str, names: &[&str]) {
    let mut at = 0;
    for name in names {
        let first = name
            .split('|')
            .filter_map(|n| bt[at..].find(n).map(|i| at + i + n.len()))
            .min();
        match first {
            Some(end) => at = end,
            None => panic!("{name} missing (or out of order) in gdb's backtrace:\n{bt}"),
        }
    }
    for stop in ["previous frame inner to this frame", "Backtrace stopped"] {
        assert!(
            !bt.contains(stop),
            "gdb's backtrace stopped ({stop}):\n{bt}"
        );
    }
}

/// In the child: run `scenario`; in the parent: check gdb's backtrace of it.
fn check(test: &str, scenario: fn(), names: &[&str]) {
    if child_scenario().as_deref() == Some(test) {
        scenario();
        return;
    }
    if !gdb_available(test) {
        return;
    }
    let bt = gdb_backtrace(test);
    assert_bt(&bt, names);
}

#[test]
fn gdb_bt_inside_on_stack_shows_the_caller() {
    check(
        "gdb_bt_inside_on_stack_shows_the_caller",
        gdb_caller_of_on_stack_3b9e,
        &[
            "trap_here_6d20",
            ON_STACK_FRAME,
            "gdb_caller_of_on_stack_3b9e",
            "gdb_bt_inside_on_stack_shows_the_caller",
        ],
    );
}

#[test]
fn gdb_bt_inside_a_context_shows_the_resumer() {
    check(
        "gdb_bt_inside_a_context_shows_the_resumer",
        gdb_resumer_of_context_8f14,
        &[
            "trap_here_6d20",
            "stackswitch_ctx_start",
            "gdb_resumer_of_context_8f14",
            "gdb_bt_inside_a_context_shows_the_resumer",
        ],
    );
}

#[test]
fn gdb_bt_on_the_system_stack_shows_green_code_then_its_resumer() {
    check(
        "gdb_bt_on_the_system_stack_shows_green_code_then_its_resumer",
        gdb_resumer_of_green_code_c461,
        &[
            "trap_here_6d20",
            ON_STACK_FRAME,
            "gdb_green_code_calling_c_2a57",
            "stackswitch_ctx_start",
            "gdb_resumer_of_green_code_c461",
            "gdb_bt_on_the_system_stack_shows_green_code_then_its_resumer",
        ],
    );
}
