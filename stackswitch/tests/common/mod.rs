//! Shared helpers for tests that re-run the test binary as a child process.

#![allow(dead_code)]

use std::process::{Command, Output};

/// Name of the environment variable that tells the child which scenario to run.
pub const CHILD_ENV: &str = "STACKSWITCH_TEST_CHILD";

/// The scenario this process must run, if it is a child.
pub fn child_scenario() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// Re-runs this test binary on the single test `test` with `CHILD_ENV` set
/// to `scenario`, prefixed by the words of `CGO_RS_RUNNER` (qemu-user) when
/// that is set, and returns its output.
pub fn run_child(test: &str, scenario: &str) -> Output {
    let exe = std::env::current_exe().expect("test binary path");
    let runner = std::env::var("CGO_RS_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    let mut cmd = match words.next() {
        Some(program) => {
            let mut c = Command::new(program);
            c.args(words).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    cmd.args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, scenario);
    cmd.output().expect("spawn the child test process")
}

/// The signal that ended the child, if any (qemu-user re-raises the guest's).
pub fn signal_of(out: &Output) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    out.status.signal()
}
