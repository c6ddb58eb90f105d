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
}

/// Runs `cmd`, echoing its stdout line by line (and stderr, unless `capture_stderr`),
/// counting libtest summary lines, and killing its whole process group after `limit`.
pub fn run(cmd: &mut Command, limit: Duration, capture_stderr: bool) -> Result<Outcome, String> {
    println!("$ {}", describe(cmd));
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
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            println!("{line}");
            if let Some(c) = TestCounts::parse_line(&line) {
                counts.add(c);
            }
        }
        let _ = tx.send(counts);
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
    let tests = rx.recv().unwrap_or_default();
    let stderr = err_reader.and_then(|h| h.join().ok()).unwrap_or_default();
    Ok(Outcome {
        success: status.success() && !timed_out,
        timed_out,
        tests,
        stderr,
    })
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
    fn time_limit_kills_the_child() {
        let mut cmd = Command::new("sleep");
        cmd.arg("5");
        let out = run(&mut cmd, Duration::from_millis(200), true).unwrap();
        assert!(out.timed_out && !out.success);
    }
}
