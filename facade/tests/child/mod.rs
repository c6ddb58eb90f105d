//! Re-running this test binary as a child process, for scenarios that abort.
//!
//! The child runs one named test with `FACADE_CHILD=<name>`; under qemu-user
//! (no binfmt_misc) the command is prefixed with the words of `CGO_RS_RUNNER`.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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
    cmd.args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env("FACADE_CHILD", name);
    let out = output_with_limit(cmd, name);
    (
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
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
