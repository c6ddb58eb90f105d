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

/// The system calls of the marker thread strictly between the markers.
fn between_markers(trace: &str) -> Result<Vec<String>, String> {
    let lines: Vec<&str> = trace.lines().collect();
    let begin = lines
        .iter()
        .position(|l| l.contains("CBT_BEGIN"))
        .ok_or("no BEGIN marker in the trace")?;
    let end = lines
        .iter()
        .position(|l| l.contains("CBT_END"))
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
    if std::env::var_os("CBT_CHILD_QUIET").is_some() {
        init();
        // SAFETY: `quiet` matches `Cb`.
        unsafe { cbt_quiet_thread(quiet, 1000) };
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let name = "steady_state_foreign_callbacks_make_no_syscalls";
    let runner = std::env::var("CGO_RS_RUNNER").unwrap_or_default();
    let mut words: Vec<&str> = runner.split_whitespace().collect();
    let out = if words.is_empty() {
        let log = std::env::temp_dir().join(format!("cbt-strace-{}.txt", std::process::id()));
        let st = Command::new("strace")
            .args(["-f", "-qq", "-o"])
            .arg(&log)
            .arg(&exe)
            .args(["--exact", name, "--nocapture", "--test-threads=1"])
            .env("CBT_CHILD_QUIET", "1")
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
            .env("CBT_CHILD_QUIET", "1")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let calls = between_markers(&out).unwrap_or_else(|e| panic!("{e}:\n{out}"));
    assert!(
        calls.is_empty(),
        "1,000 bound callbacks made system calls:\n{}",
        calls.join("\n")
    );
}
