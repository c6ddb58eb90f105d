//! Shared helpers for tests that re-run the test binary as a child process, and
//! for tests of refused calls.

#![allow(dead_code)]

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Name of the environment variable that tells the child which scenario to run.
pub const CHILD_ENV: &str = "STACKSWITCH_TEST_CHILD";

/// Whether the tests run under an emulator (`CGO_RS_RUNNER` set, as `cargo
/// xtask ci` does for qemu-user): loops are scaled down.
pub fn emulated() -> bool {
    std::env::var("CGO_RS_RUNNER").is_ok_and(|r| !r.trim().is_empty())
}

/// The scenario this process must run, if it is a child.
pub fn child_scenario() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// Re-runs this test binary on the single test `test` with `CHILD_ENV` set
/// to `scenario`, prefixed by the words of `CGO_RS_RUNNER` (qemu-user) when
/// that is set, and returns its output (see [`output_with_limit`]).
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
    output_with_limit(cmd, &format!("{test} ({scenario})"))
}

/// How long a child scenario may run before it is killed and its test fails:
/// generous for qemu-user, far below the CI step's own limit.
pub const CHILD_LIMIT: Duration = Duration::from_secs(180);

/// Runs `cmd`, a child that may crash on purpose, and returns its output.
///
/// Two guards: the child starts with a zero core-file limit (under qemu-user,
/// dumping the core of a multi-threaded guest can hang qemu for good, and
/// natively a crash test must not litter the directory with cores), and a
/// child still running after [`CHILD_LIMIT`] is killed and the test fails,
/// naming `what` and showing the child's stderr.
pub fn output_with_limit(mut cmd: Command, what: &str) -> Output {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    /// Runs in the forked child before `exec`: no core file.
    fn no_core_dumps() -> std::io::Result<()> {
        let none = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `setrlimit` only reads the `rlimit` behind the pointer, a live local.
        if unsafe { libc::setrlimit(libc::RLIMIT_CORE, &none) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
    // SAFETY: the hook runs in the forked child before `exec`, where only
    // async-signal-safe work is allowed: it makes one `setrlimit` system call on
    // a local value and neither allocates nor takes locks.
    unsafe { cmd.pre_exec(no_core_dumps) };
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the child for {what}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if start.elapsed() > CHILD_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            let err = stderr.join().unwrap_or_default();
            panic!(
                "the child for {what} was still running after {} s and was killed; its stderr:\n{}",
                CHILD_LIMIT.as_secs(),
                String::from_utf8_lossy(&err)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// The signal that ended the child, if any (qemu-user re-raises the guest's).
pub fn signal_of(out: &Output) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    out.status.signal()
}

/// The message of the panic that `f` must raise (a `String` payload, as
/// `panic!` with arguments makes): the refusal a test checks.
pub fn panic_message<R>(f: impl FnOnce() -> R) -> String {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(_) => panic!("the call under test returned instead of panicking"),
        Err(payload) => *payload.downcast::<String>().unwrap(),
    }
}
