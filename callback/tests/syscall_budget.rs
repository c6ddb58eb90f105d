//! System-call budgets of the callback paths, measured by tracing a child process.
//!
//! Each test re-runs this binary as a child under a system-call tracer (`strace -f`
//! natively, qemu-user's own `-strace` when `CGO_RS_RUNNER` names an emulator); the child
//! runs one scenario whose thread writes a marker (`write(-1, "CBT_BEGIN", 9)`, which
//! fails with `EBADF` but shows in the trace) before the part being measured and, where
//! the part ends before the thread does, an end marker (`CBT_END`). The parent counts the
//! marker thread's system calls in between:
//!
//! - steady-state callbacks on a bound foreign thread: **zero** for 1,000 callbacks;
//! - steady-state foreign calls with a callback inside, on a runtime thread holding a
//!   processor: **zero** for 1,000 of them;
//! - a new C thread's first callback (attach) and thread exit (the context returned by
//!   the thread-key destructor): at most [`ATTACH_EXIT_BUDGET`] calls beyond those of
//!   the same thread without a callback, printed by name;
//! - a control: the same bound loop with a callback that calls `getppid` is seen making
//!   exactly 1,000 calls, so a tracer that sees nothing cannot pass the zero tests.
//!
//! The tests need `strace` natively; without it they fail with a message saying so,
//! unless `CBT_SKIP_STRACE=1` is set (then they print that they were skipped).
// The C programs these scenarios use are built for Linux only (see build.rs).
#![cfg(target_os = "linux")]

mod common;

use std::os::raw::{c_int, c_long};
use std::process::Command;

use callback::{ForeignFn, call_foreign_on, callback};
use common::*;
use syscall_accounting::{CallKind, Config, NoScheduler, Procs};

/// System calls a new thread's attach + exit may make beyond the same thread without a
/// callback: one, `sigaltstack`, in `stackswitch`'s registration of the thread with the
/// overflow handler (installing the handler's pooled alternate stack; at exit it stays
/// parked for the thread's successor, no system call). The thread's real stack bounds
/// cost none once `stackswitch` has learned where glibc's thread descriptor keeps them
/// (the first threads of the process still call `pthread_getattr_np`, whose
/// `sched_getaffinity` is then the second call; see `LEARNING_THREADS`). This crate's
/// own share is none: attach and detach mark the thread's phase instead of blocking
/// signals, so no `rt_sigprocmask` may appear (asserted apart). The test prints the list.
const ATTACH_EXIT_BUDGET: usize = 1;

/// Callback threads started before the measured one: the process's first (one-time
/// set-up), and the threads whose `pthread_getattr_np` teaches and confirms
/// `stackswitch` the descriptor layout (one finds it, two confirm it).
const LEARNING_THREADS: usize = 3;

/// Callbacks (or foreign calls) in each steady-state run.
const N: c_long = 1000;

extern "C" fn quiet(x: c_int) -> c_int {
    callback("quiet", || x ^ 1)
}

/// The same callback making one system call: shows the counter sees what it should.
extern "C" fn noisy(x: c_int) -> c_int {
    // SAFETY: getppid has no preconditions.
    callback("noisy", || x ^ unsafe { libc::getppid() })
}

/// Writes a trace marker: a `write` to fd -1, which fails and changes nothing.
fn marker(text: &str) {
    // SAFETY: `text` is valid for `text.len()` bytes; writing to fd -1 only fails (EBADF).
    let r = unsafe { libc::write(-1, text.as_ptr().cast(), text.len()) };
    assert_eq!(r, -1);
}

/// One system call of a trace: the thread that made it and its name.
#[derive(Debug, Clone)]
struct Sys {
    tid: String,
    name: String,
    line: String,
}

/// Parses a `strace -f -o` or `qemu -strace` trace into system calls. Lines that are not
/// the start of a call (`<... resumed>` halves, `+++ exited`, `--- SIGNAL`, qemu's
/// continuation lines) are left out, so a call split by another thread counts once.
/// qemu writes a call's start and the next call on one line when threads interleave
/// (`…)7310 futex(…`): such lines are split at the repeated id.
fn parse(trace: &str) -> Vec<Sys> {
    let mut out = Vec::new();
    for raw in trace.lines() {
        let rest = raw.trim_start();
        // strace writes `[pid N] ` when tracing to a terminal, `N ` to a file; qemu `N `.
        let rest = rest.strip_prefix("[pid").unwrap_or(rest).trim_start();
        let Some((tid, _)) = rest.split_once(' ') else {
            continue;
        };
        let tid = tid.trim_end_matches(']');
        if tid.is_empty() || !tid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let glued = format!("){tid} ");
        let mut starts = vec![0];
        starts.extend(rest.match_indices(&glued).map(|(i, _)| i + 1));
        starts.push(rest.len());
        for w in starts.windows(2) {
            let line = &rest[w[0]..w[1]];
            let Some(call) = line.split_once(' ').map(|(_, c)| c.trim_start()) else {
                continue;
            };
            let Some((name, _)) = call.split_once('(') else {
                continue;
            };
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                continue;
            }
            out.push(Sys {
                tid: tid.to_string(),
                name: name.to_string(),
                line: line.to_string(),
            });
        }
    }
    out
}

fn is_marker(s: &Sys) -> bool {
    s.name == "write" && s.line.contains("write(-1,")
}

/// The system calls of the thread that wrote the `k`-th marker (0-based), after that
/// marker and up to its next marker or its `exit` (included).
///
/// qemu-user prints the process id on every line, not the thread's, so under an
/// emulator the calls of threads running meanwhile would count too: the scenarios keep
/// every other thread blocked joining the marker thread while it runs, and under an
/// emulator `futex` calls are left out, since the joining thread's wait may be printed
/// after the marker (natively every call of the marker thread counts).
fn after_marker(calls: &[Sys], k: usize) -> Result<Vec<Sys>, String> {
    let at = calls
        .iter()
        .enumerate()
        .filter(|(_, s)| is_marker(s))
        .nth(k)
        .map(|(i, _)| i)
        .ok_or_else(|| format!("marker {k} missing from the trace"))?;
    let tid = &calls[at].tid;
    let mut out = Vec::new();
    let emulated = emulated();
    let theirs = |s: &Sys| emulated && s.name == "futex";
    for s in calls[at + 1..]
        .iter()
        .filter(|s| &s.tid == tid && !theirs(s))
    {
        if is_marker(s) {
            break;
        }
        out.push(s.clone());
        if s.name == "exit" {
            break;
        }
    }
    Ok(out)
}

/// Asserts the first marker thread made no system call between its markers; `what`
/// names the steady state for the message.
fn assert_none_between(calls: &[Sys], what: &str) {
    let between = after_marker(calls, 0).unwrap();
    assert!(
        between.is_empty(),
        "{N} {what} made system calls: {}",
        names(&between)
    );
}

fn names(calls: &[Sys]) -> String {
    calls
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs this binary's test `test` as a child with `CBT_BUDGET=scenario` under a tracer
/// and returns the parsed trace, or `None` when tracing was opted out of.
fn traced(test: &str, scenario: &str) -> Option<Vec<Sys>> {
    let exe = std::env::current_exe().unwrap();
    let runner = std::env::var("CGO_RS_RUNNER").unwrap_or_default();
    let mut words: Vec<&str> = runner.split_whitespace().collect();
    let args = ["--exact", test, "--nocapture", "--test-threads=1"];
    let trace = if words.is_empty() {
        let log =
            std::env::temp_dir().join(format!("cbt-strace-{}-{scenario}.txt", std::process::id()));
        let mut cmd = Command::new("strace");
        cmd.args(["-f", "-qq", "-o"])
            .arg(&log)
            .arg(&exe)
            .args(args)
            .env("CBT_BUDGET", scenario);
        let st = match common::try_output_with_limit(cmd, test) {
            Ok(o) => o,
            Err(e) if std::env::var_os("CBT_SKIP_STRACE").is_some() => {
                eprintln!("{test}: SKIPPED (strace cannot run: {e}; CBT_SKIP_STRACE is set)");
                return None;
            }
            Err(e) => panic!(
                "{test}: strace is needed to count system calls and could not run ({e}); \
                 install it (apt-get install strace) or set CBT_SKIP_STRACE=1 to skip"
            ),
        };
        assert!(
            st.status.success(),
            "traced child failed: {}",
            String::from_utf8_lossy(&st.stderr)
        );
        let t = std::fs::read_to_string(&log).unwrap();
        let _ = std::fs::remove_file(&log);
        t
    } else {
        // qemu-user traces the guest's system calls itself with `-strace` (on stderr).
        let prog = words.remove(0);
        let mut cmd = Command::new(prog);
        cmd.arg("-strace")
            .args(&words)
            .arg(&exe)
            .args(args)
            .env("CBT_BUDGET", scenario);
        let o = common::output_with_limit(cmd, test);
        assert!(
            o.status.success(),
            "traced child failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let calls = parse(&trace);
    assert!(
        calls.iter().any(is_marker),
        "no marker in the trace of {scenario}:\n{trace}"
    );
    Some(calls)
}

/// The child side: runs `scenario` when this process is the traced child.
fn child(scenario: &str) -> bool {
    match std::env::var("CBT_BUDGET") {
        Ok(s) if s == scenario => {}
        _ => return false,
    }
    init();
    match scenario {
        "quiet" => {
            // SAFETY: `quiet` matches `Cb`; the C thread is joined before return.
            unsafe { cbt_quiet_thread(quiet, N) }
        }
        "noisy" => {
            // SAFETY: `noisy` matches `Cb`; the C thread is joined before return.
            unsafe { cbt_quiet_thread(noisy, N) }
        }
        "runtime" => runtime_thread_scenario(),
        "attach" => {
            // SAFETY: as above. A first thread that calls in pays the process's one-time
            // set-up (overflow handler, the alternate-stack pool), it and the next two
            // teach stackswitch the descriptor layout; then a thread without a callback
            // and one with a callback are compared.
            unsafe {
                for _ in 0..LEARNING_THREADS {
                    cbt_marked_thread(Some(quiet));
                }
                cbt_marked_thread(None);
                cbt_marked_thread(Some(quiet));
            }
        }
        _ => unreachable!("unknown scenario {scenario}"),
    }
    true
}

/// In the child: runs `name` and returns `None`. In the parent: the trace of a child
/// running it (`None` when tracing was opted out of).
fn scenario(test: &str, name: &str) -> Option<Vec<Sys>> {
    if child(name) {
        return None;
    }
    traced(test, name)
}

/// A runtime thread holding a processor makes foreign calls whose C code calls back.
fn runtime_thread_scenario() {
    const F: ForeignFn = ForeignFn::new("cbt_call");
    std::thread::spawn(|| {
        // No monitor thread: under an emulator the trace cannot tell its ticks from the
        // marker thread's calls (see `after_marker`), and natively a retake during a
        // preempted iteration would send one exit down the slow path by chance.
        let cfg = Config::default().with_monitor(false);
        let procs = Procs::with_config(1, NoScheduler, cfg).unwrap();
        let mut p = procs.acquire();
        let call = |p: &mut syscall_accounting::Processor| {
            call_foreign_on(p, CallKind::Lazy, &F, || {
                // SAFETY: `quiet` matches `Cb`; cbt_call only calls it.
                unsafe { cbt_call(quiet, 1) }
            })
        };
        // Warm-up: the first call creates the thread's context and records its bounds.
        call(&mut p);
        marker("CBT_BEGIN");
        for _ in 0..N {
            assert_eq!(call(&mut p), 0);
        }
        marker("CBT_END");
    })
    .join()
    .unwrap();
}

#[test]
fn steady_state_bound_foreign_callbacks_make_no_syscalls() {
    let me = "steady_state_bound_foreign_callbacks_make_no_syscalls";
    let Some(calls) = scenario(me, "quiet") else {
        return;
    };
    assert_none_between(&calls, "bound foreign-thread callbacks");
}

#[test]
fn steady_state_runtime_thread_callbacks_make_no_syscalls() {
    let me = "steady_state_runtime_thread_callbacks_make_no_syscalls";
    let Some(calls) = scenario(me, "runtime") else {
        return;
    };
    assert_none_between(&calls, "foreign calls with a callback on a runtime thread");
}

#[test]
fn syscall_counter_sees_a_syscall_per_callback() {
    let me = "syscall_counter_sees_a_syscall_per_callback";
    let Some(calls) = scenario(me, "noisy") else {
        return;
    };
    let between = after_marker(&calls, 0).unwrap();
    let n = between.iter().filter(|s| s.name == "getppid").count();
    assert_eq!(n, N as usize, "{}", names(&between));
}

#[test]
fn new_thread_attach_and_exit_stay_within_budget() {
    let me = "new_thread_attach_and_exit_stay_within_budget";
    let Some(calls) = scenario(me, "attach") else {
        return;
    };
    let first = after_marker(&calls, 0).unwrap();
    let plain = after_marker(&calls, LEARNING_THREADS).unwrap();
    let with_cb = after_marker(&calls, LEARNING_THREADS + 1).unwrap();
    // The trace must reach each thread's end, or the comparison says nothing.
    for (what, c) in [("plain", &plain), ("callback", &with_cb)] {
        assert!(
            c.iter().any(|s| s.name == "exit"),
            "the {what} thread's exit is missing from the trace: {}",
            names(c)
        );
    }
    // The calls the callback thread made beyond the plain one (as a multiset).
    let mut extra: Vec<String> = with_cb.iter().map(|s| s.name.clone()).collect();
    for s in &plain {
        if let Some(i) = extra.iter().position(|n| *n == s.name) {
            extra.remove(i);
        }
    }
    eprintln!(
        "attach + exit: {} system calls beyond a plain thread's end: {}\n  plain thread: {}\n  \
         callback thread: {}\n  first callback thread of the process (one-time set-up): {}",
        extra.len(),
        extra.join(", "),
        names(&plain),
        names(&with_cb),
        names(&first)
    );
    assert!(
        !extra.iter().any(|n| n == "rt_sigprocmask"),
        "attach or exit changed the signal mask: {}",
        extra.join(", ")
    );
    assert!(
        extra.len() <= ATTACH_EXIT_BUDGET,
        "a new thread's attach + exit made {} system calls beyond a plain thread (budget \
         {ATTACH_EXIT_BUDGET}): {}",
        extra.len(),
        extra.join(", ")
    );
}
