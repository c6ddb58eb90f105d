//! Shared by the integration tests: a minimal fake runtime, the C test library, and the
//! child-process helper for scenarios that abort.
#![allow(dead_code)]

use core::num::NonZeroUsize;
use std::cell::Cell;
use std::os::raw::{c_int, c_long};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use callback::{Green, Runtime};

/// A C function pointer to an exported callback.
pub type Cb = extern "C" fn(c_int) -> c_int;

#[link(name = "callback_tests", kind = "static")]
unsafe extern "C" {
    pub fn cbt_call(cb: Cb, x: c_int) -> c_int;
    pub fn cbt_loop(cb: Cb, n: c_long) -> c_long;
    pub fn cbt_big_stack(cb: Cb, kib: c_int) -> c_int;
    pub fn cbt_thread_loop(cb: Cb, n: c_long, stack: usize) -> c_long;
    pub fn cbt_threads_parallel(cb: Cb, nthreads: c_int, n: c_long) -> c_long;
    pub fn cbt_short_threads(cb: Cb, nthreads: c_int, batch: c_int) -> c_long;
    pub fn cbt_stack_switch(cb: Cb) -> c_int;
    pub fn cbt_call_on_other_stack(cb: Cb) -> c_int;
    pub fn cbt_overflow_thread(cb: Cb);
    pub fn cbt_overflow_stack_size() -> usize;
    pub fn cbt_quiet_thread(cb: Cb, n: c_long);
    pub fn cbt_marked_thread(cb: Option<Cb>);
    pub fn cbt_needm_deadlock(cb: Cb, n: c_long, senders: c_int, per: c_int) -> c_int;
}

/// Counters of the fake runtime.
pub static LOCKS: AtomicUsize = AtomicUsize::new(0);
pub static UNLOCKS: AtomicUsize = AtomicUsize::new(0);
pub static GREENS_MADE: AtomicUsize = AtomicUsize::new(0);
pub static GREENS_FREED: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// The green thread the fake scheduler says runs on this OS thread.
    pub static CURRENT_GREEN: Cell<Option<Green>> = const { Cell::new(None) };
    /// Green threads locked to this OS thread right now (lock minus unlock calls made on
    /// it), for tests that check the lock balance of one thread while others run.
    pub static THREAD_LOCKED: Cell<isize> = const { Cell::new(0) };
}

/// The fake runtime: green threads are numbers; lock/unlock and extra greens are counted.
pub struct Fake;

impl Runtime for Fake {
    fn current_green(&self) -> Option<Green> {
        CURRENT_GREEN.with(Cell::get)
    }
    fn lock_to_thread(&self, _g: Green) {
        LOCKS.fetch_add(1, Ordering::Relaxed);
        THREAD_LOCKED.with(|c| c.set(c.get() + 1));
    }
    fn unlock_from_thread(&self, _g: Green) {
        UNLOCKS.fetch_add(1, Ordering::Relaxed);
        THREAD_LOCKED.with(|c| c.set(c.get() - 1));
    }
    fn new_extra_green(&self) -> Green {
        let n = GREENS_MADE.fetch_add(1, Ordering::Relaxed) + 1_000_000;
        Green(NonZeroUsize::new(n).unwrap())
    }
    fn free_extra_green(&self, _g: Green) {
        GREENS_FREED.fetch_add(1, Ordering::Relaxed);
    }
    fn procs(&self) -> Option<syscall_accounting::Procs> {
        PROCS.get().cloned()
    }
}

/// The processor set foreign threads take processors from, if a test configured one
/// (before `init`).
pub static PROCS: std::sync::OnceLock<syscall_accounting::Procs> = std::sync::OnceLock::new();

pub static FAKE: Fake = Fake;

/// Registers the fake runtime (idempotent across tests of one binary).
pub fn init() {
    let _ = callback::init(&FAKE);
}

/// Whether the tests run under an emulator (`CGO_RS_RUNNER` set): scale loops down.
pub fn emulated() -> bool {
    std::env::var("CGO_RS_RUNNER").is_ok_and(|r| !r.trim().is_empty())
}

/// Re-runs this test binary's test `name` as a child with `env` set, honouring
/// `CGO_RS_RUNNER`, and returns its output.
pub fn run_child(name: &str, env: &[(&str, &str)]) -> Output {
    let exe = std::env::current_exe().unwrap();
    let runner = std::env::var("CGO_RS_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    let mut cmd = match words.next() {
        Some(prog) => {
            let mut c = Command::new(prog);
            c.args(words).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    cmd.args(["--exact", name, "--nocapture", "--test-threads=1"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    output_with_limit(cmd, name)
}

/// Re-runs this test binary's test `name` as a child with `env`, and asserts that the
/// child exited successfully and printed `marker` on stdout (its scenario ran to the
/// end); the twin of [`stderr_of_dead_child`] for scenarios that must survive.
pub fn assert_child_passed(name: &str, env: &[(&str, &str)], marker: &str) {
    let out = run_child(name, env);
    let so = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{env:?}: {:?}\n{so}\n{err}",
        out.status
    );
    assert!(so.contains(marker), "{env:?}: no {marker:?}:\n{so}\n{err}");
}

/// Re-runs this test binary's test `name` as a child with `var=1`, asserts that the
/// child died (the scenario aborts), and returns its stderr for the message checks.
pub fn stderr_of_dead_child(name: &str, var: &str) -> String {
    let out = run_child(name, &[(var, "1")]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(died(&out), "child survived: {err}");
    err
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
pub fn output_with_limit(cmd: Command, what: &str) -> Output {
    try_output_with_limit(cmd, what)
        .unwrap_or_else(|e| panic!("cannot start the child for {what}: {e}"))
}

/// [`output_with_limit`], with a failure to start the child returned instead of
/// panicking (for tests that must tell a missing tool apart).
pub fn try_output_with_limit(mut cmd: Command, what: &str) -> std::io::Result<Output> {
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
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
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
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Whether the child died abnormally (signal, or qemu's re-raised signal status).
pub fn died(out: &Output) -> bool {
    use std::os::unix::process::ExitStatusExt;
    out.status.signal().is_some() || !out.status.success()
}

/// Resident set size of this process in KiB.
pub fn rss_kib() -> usize {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = s.split_whitespace().nth(1).unwrap().parse().unwrap();
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    pages * page / 1024
}
