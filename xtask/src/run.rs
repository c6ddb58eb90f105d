//! Running child commands: echo, time limits, and counting the tests they ran.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Tests counted from libtest's `test result:` lines.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TestCounts {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
}

impl TestCounts {
    pub fn add(&mut self, other: TestCounts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.ignored += other.ignored;
    }

    /// Parses one libtest summary line:
    /// `test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; ...`
    pub fn parse_line(line: &str) -> Option<TestCounts> {
        let rest = line.trim().strip_prefix("test result: ")?;
        let mut counts = TestCounts::default();
        for part in rest.split(';') {
            let words: Vec<&str> = part.split_whitespace().collect();
            // Each part ends in `<number> <word>`; the first part starts with `ok.`/`FAILED.`.
            let [.., n, what] = words.as_slice() else {
                continue;
            };
            let Ok(n) = n.parse::<u64>() else { continue };
            match *what {
                "passed" => counts.passed = n,
                "failed" => counts.failed = n,
                "ignored" => counts.ignored = n,
                _ => {}
            }
        }
        Some(counts)
    }
}

/// What a finished child command produced.
pub struct Outcome {
    pub success: bool,
    /// `None` when the child was killed for exceeding its time limit.
    pub timed_out: bool,
    pub tests: TestCounts,
    /// Captured stderr (only when asked for).
    pub stderr: String,
    /// What was running when the time limit struck: the last test binary cargo
    /// started and the tests libtest reported as running for over 60 seconds.
    pub running: Progress,
}

/// What a `cargo test` run was doing, read from its output as it goes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The last `Running <binary>` line (the binary whose tests were running).
    pub binary: Option<String>,
    /// Tests of that binary that libtest reported as still running after 60 s.
    pub slow_tests: Vec<String>,
}

impl Progress {
    /// Updates the picture from one line of `cargo test` output.
    pub fn observe(&mut self, line: &str) {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Running ") {
            self.binary = Some(rest.to_string());
            self.slow_tests.clear();
        } else if let Some(i) = line.find("test ") {
            // libtest: `test <name> has been running for over 60 seconds`, possibly
            // after the progress dots of `-q`.
            if let Some(name) = line[i + 5..].strip_suffix(" has been running for over 60 seconds")
            {
                self.slow_tests.push(name.to_string());
            }
        }
    }

    /// One line for a step's summary: which binary and tests were still running.
    pub fn describe(&self) -> String {
        let mut s = match &self.binary {
            Some(b) => format!("still running {b}"),
            None => "no test binary had started".to_string(),
        };
        if !self.slow_tests.is_empty() {
            s.push_str(&format!(
                "; running for over 60 s: {}",
                self.slow_tests.join(", ")
            ));
        }
        s
    }
}

/// Runs `cmd`, echoing its stdout line by line (and stderr, unless `capture_stderr`),
/// counting libtest summary lines, and killing its whole process group after `limit`.
pub fn run(cmd: &mut Command, limit: Duration, capture_stderr: bool) -> Result<Outcome, String> {
    run_labelled(cmd, limit, capture_stderr, None)
}

/// [`run`] with every echoed stdout line (and the command line) prefixed by
/// `[label] `, for commands that run side by side.
pub fn run_labelled(
    cmd: &mut Command,
    limit: Duration,
    capture_stderr: bool,
    label: Option<&str>,
) -> Result<Outcome, String> {
    let prefix = label.map(|l| format!("[{l}] ")).unwrap_or_default();
    println!("{prefix}$ {}", describe(cmd));
    cmd.stdout(Stdio::piped());
    if capture_stderr {
        cmd.stderr(Stdio::piped());
    }
    // A group of its own, so a timeout kills cargo and the test binaries it started.
    cmd.process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(cmd)))?;
    let stdout = child.stdout.take().expect("stdout was piped");
    let (tx, rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        let mut counts = TestCounts::default();
        let mut progress = Progress::default();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            println!("{prefix}{line}");
            if let Some(c) = TestCounts::parse_line(&line) {
                counts.add(c);
            }
            progress.observe(&line);
        }
        let _ = tx.send((counts, progress));
    });
    let err_reader = child.stderr.take().map(|mut err| {
        thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        })
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > limit => {
                timed_out = true;
                let pgid = child.id();
                eprintln!(
                    "xtask: time limit of {} s exceeded, killing process group {pgid}",
                    limit.as_secs()
                );
                let _ = Command::new("kill")
                    .args(["-s", "KILL", "--", &format!("-{pgid}")])
                    .status();
                break child.wait().map_err(|e| e.to_string())?;
            }
            Ok(None) => thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(format!("waiting for `{}`: {e}", describe(cmd))),
        }
    };
    let _ = reader.join();
    let (tests, running) = rx.recv().unwrap_or_default();
    let stderr = err_reader.and_then(|h| h.join().ok()).unwrap_or_default();
    Ok(Outcome {
        success: status.success() && !timed_out,
        timed_out,
        tests,
        stderr,
        running,
    })
}

/// Sets this process's soft core-file limit to zero; every command started
/// afterwards inherits it.
///
/// The crash tests abort or fault on purpose, dozens of times per run. Where a
/// core limit is set (`ulimit -c unlimited` is common on CI machines), each such
/// child under qemu-user writes two cores, the guest's and qemu's own (about
/// 190 MB together, into the crate directory), and qemu-user can hang for good
/// while it dumps a multi-threaded guest's core: one CI run lost its whole cross
/// step to that. The hard limit is left alone.
pub fn disable_core_dumps() -> Result<(), String> {
    use std::ffi::{c_int, c_ulong};
    /// `struct rlimit`: `rlim_t` is `unsigned long` on the 64-bit Linux hosts xtask runs on.
    #[repr(C)]
    struct Rlimit {
        cur: c_ulong,
        max: c_ulong,
    }
    // `RLIMIT_CORE` in <sys/resource.h>, the same on every Linux architecture we host on.
    const RLIMIT_CORE: c_int = 4;
    unsafe extern "C" {
        fn getrlimit(resource: c_int, limit: *mut Rlimit) -> c_int;
        fn setrlimit(resource: c_int, limit: *const Rlimit) -> c_int;
    }
    let mut limit = Rlimit { cur: 0, max: 0 };
    // SAFETY: `getrlimit` only writes one `struct rlimit` through the pointer, which
    // points to a live, correctly laid out local.
    if unsafe { getrlimit(RLIMIT_CORE, &mut limit) } != 0 {
        return Err(std::io::Error::last_os_error().to_string());
    }
    limit.cur = 0;
    // SAFETY: `setrlimit` only reads the `struct rlimit` the pointer names, a live
    // local; lowering a soft limit affects nothing but later core dumps.
    if unsafe { setrlimit(RLIMIT_CORE, &limit) } != 0 {
        return Err(std::io::Error::last_os_error().to_string());
    }
    Ok(())
}

/// Runs a command quietly and returns its stdout if it succeeded.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A shell-like rendering of a command for logs.
pub fn describe(cmd: &Command) -> String {
    let mut s = String::new();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            s.push_str(&format!(
                "{}={:?} ",
                k.to_string_lossy(),
                v.to_string_lossy()
            ));
        }
    }
    s.push_str(&cmd.get_program().to_string_lossy());
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_libtest_summaries() {
        let ok = "test result: ok. 12 passed; 0 failed; 3 ignored; 0 measured; 0 filtered out; finished in 0.01s";
        assert_eq!(
            TestCounts::parse_line(ok),
            Some(TestCounts {
                passed: 12,
                failed: 0,
                ignored: 3
            })
        );
        let bad = "test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(TestCounts::parse_line(bad).unwrap().failed, 2);
        assert_eq!(TestCounts::parse_line("running 3 tests"), None);
    }

    #[test]
    fn progress_names_the_binary_and_the_slow_tests() {
        let mut p = Progress::default();
        assert_eq!(p.describe(), "no test binary had started");
        p.observe("     Running tests/a.rs (target/debug/deps/a-1)");
        p.observe("test x ... ok");
        p.observe("........test b::slow has been running for over 60 seconds");
        assert_eq!(
            p.describe(),
            "still running tests/a.rs (target/debug/deps/a-1); running for over 60 s: b::slow"
        );
        // A new binary starts with a clean slate.
        p.observe("     Running tests/c.rs (target/debug/deps/c-2)");
        assert_eq!(p.slow_tests, Vec::<String>::new());
    }

    #[test]
    fn children_inherit_a_zero_core_limit() {
        disable_core_dumps().unwrap();
        let out = output(Command::new("sh").args(["-c", "ulimit -c"])).unwrap();
        assert_eq!(out.trim(), "0");
    }

    #[test]
    fn time_limit_kills_the_child() {
        let mut cmd = Command::new("sleep");
        cmd.arg("5");
        let out = run(&mut cmd, Duration::from_millis(200), true).unwrap();
        assert!(out.timed_out && !out.success);
    }
}
