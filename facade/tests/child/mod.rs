//! Re-running this test binary as a child process, for scenarios that abort.
//!
//! The child runs one named test with `FACADE_CHILD=<name>`; under qemu-user
//! (no binfmt_misc) the command is prefixed with the words of `CGO_RS_RUNNER`.

use std::process::Command;

/// True inside the child that runs scenario `name`.
pub fn is_child(name: &str) -> bool {
    std::env::var("FACADE_CHILD").is_ok_and(|c| c == name)
}

/// Runs this test binary's test `name` in a child process with `FACADE_CHILD=name`,
/// through `CGO_RS_RUNNER` when set; returns (stderr, exited successfully).
pub fn child(name: &str) -> (String, bool) {
    let exe = std::env::current_exe().unwrap();
    let runner = std::env::var("CGO_RS_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    let mut cmd = match words.next() {
        Some(r) => {
            let mut c = Command::new(r);
            c.args(words).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    let out = cmd
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env("FACADE_CHILD", name)
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}
