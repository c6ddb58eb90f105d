//! Steady-state callbacks on a bound foreign thread make zero system calls: the child
//! runs a C thread that binds with one callback, writes a BEGIN marker (a failing
//! `write(-1, …)`), makes 1,000 callbacks, writes an END marker; the parent traces it
//! (`strace -f` natively, qemu-user's `-strace` under an emulator) and counts that
//! thread's system calls between the markers.
// The C programs these scenarios use are built for Linux only (see build.rs).
#![cfg(target_os = "linux")]

mod common;

use std::os::raw::c_int;
use std::process::Command;

use callback::callback;
use common::*;

extern "C" fn quiet(x: c_int) -> c_int {
    callback("quiet", || x ^ 1)
}

/// The same callback making one system call: shows the counter sees what it should.
extern "C" fn noisy(x: c_int) -> c_int {
    // SAFETY: getppid has no preconditions.
    callback("noisy", || x ^ unsafe { libc::getppid() })
}

/// The system calls of the marker thread strictly between the markers.
fn between_markers(trace: &str) -> Result<Vec<String>, String> {
    let lines: Vec<&str> = trace.lines().collect();
    // strace shows `write(-1, "CBT_BEGIN", 9)`, qemu `write(-1,0x…,9)`: the markers are
    // the only writes to fd -1, BEGIN first.
    let marker = |l: &&str| l.contains("write(-1,");
    let begin = lines
        .iter()
        .position(marker)
        .ok_or("no BEGIN marker in the trace")?;
    let end = begin
        + 1
        + lines[begin + 1..]
            .iter()
            .position(marker)
            .ok_or("no END marker in the trace")?;
    let pid = |l: &str| {
        l.trim_start_matches("[pid")
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_end_matches(']')
            .to_string()
    };
    let tid = pid(lines[begin]);
    Ok(lines[begin + 1..end]
        .iter()
        .filter(|l| pid(l) == tid)
        .map(|l| l.to_string())
        .collect())
}

#[test]
fn steady_state_foreign_callbacks_make_no_syscalls() {
    if let Some(v) = std::env::var_os("CBT_CHILD_QUIET") {
        init();
        let cb: Cb = if v == "noisy" { noisy } else { quiet };
        // SAFETY: `cb` matches `Cb`.
        unsafe { cbt_quiet_thread(cb, 1000) };
        return;
    }
    let calls = traced_calls("quiet");
    assert!(
        calls.is_empty(),
        "1,000 bound callbacks made system calls:\n{}",
        calls.join("\n")
    );
}

#[test]
fn syscall_counter_sees_a_syscall_per_callback() {
    let calls = traced_calls("noisy");
    let n = calls.iter().filter(|l| l.contains("getppid")).count();
    assert_eq!(n, 1000, "{}", calls.join("\n"));
}

/// Runs the child scenario (`quiet` or `noisy` callbacks) under a syscall tracer and
/// returns the marker thread's system calls between the markers.
fn traced_calls(kind: &str) -> Vec<String> {
    let exe = std::env::current_exe().unwrap();
    let name = "steady_state_foreign_callbacks_make_no_syscalls";
    let runner = std::env::var("CGO_RS_RUNNER").unwrap_or_default();
    let mut words: Vec<&str> = runner.split_whitespace().collect();
    let out = if words.is_empty() {
        let log =
            std::env::temp_dir().join(format!("cbt-strace-{}-{kind}.txt", std::process::id()));
        let st = Command::new("strace")
            .args(["-f", "-qq", "-o"])
            .arg(&log)
            .arg(&exe)
            .args(["--exact", name, "--nocapture", "--test-threads=1"])
            .env("CBT_CHILD_QUIET", kind)
            .output();
        let st = match st {
            Ok(o) => o,
            Err(e) => panic!("strace is needed for this test and could not run: {e}"),
        };
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        let t = std::fs::read_to_string(&log).unwrap();
        let _ = std::fs::remove_file(&log);
        t
    } else {
        // qemu-user traces the guest's system calls itself with `-strace` (on stderr).
        let prog = words.remove(0);
        let o = Command::new(prog)
            .arg("-strace")
            .args(&words)
            .arg(&exe)
            .args(["--exact", name, "--nocapture", "--test-threads=1"])
            .env("CBT_CHILD_QUIET", kind)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    between_markers(&out).unwrap_or_else(|e| panic!("{e}:\n{out}"))
}
