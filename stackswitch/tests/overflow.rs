//! Overflow detection: a fault in a known guard page prints one line naming the
//! stack and aborts; other faults go to the previously installed handler.
//! Each scenario runs in a child process (see `common::run_child`).

mod common;

use std::hint::black_box;

use common::{child_scenario, run_child, signal_of};
use stackswitch::{Context, Stack, on_stack};

#[inline(never)]
#[allow(unconditional_recursion)] // the point: run off the end of the stack
fn bottomless(n: u64) -> u64 {
    let frame = black_box([n; 64]);
    bottomless(black_box(n + 1)) + frame[3]
}

fn assert_overflow_report(test: &str, needle: &str) {
    let out = run_child(test, test);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(needle),
        "stderr lacks {needle:?}:\n{stderr}"
    );
    let lines = stderr
        .lines()
        .filter(|l| l.starts_with("stackswitch: stack overflow"))
        .count();
    assert_eq!(lines, 1, "exactly one report line:\n{stderr}");
    assert_eq!(
        signal_of(&out),
        Some(libc::SIGABRT),
        "status {:?}, stderr:\n{stderr}",
        out.status
    );
}

#[test]
fn overflow_in_on_stack_names_the_stack_and_aborts() {
    if child_scenario().is_some() {
        let mut stack = Stack::new(64 * 1024).unwrap();
        eprintln!("child: stack #{}", stack.id());
        on_stack(&mut stack, || bottomless(0));
        unreachable!();
    }
    assert_overflow_report(
        "overflow_in_on_stack_names_the_stack_and_aborts",
        "stackswitch: stack overflow on green-thread stack #",
    );
    let out = run_child("overflow_in_on_stack_names_the_stack_and_aborts", "again");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(" of 64 KiB (fault at 0x"), "{stderr}");
    assert!(
        stderr.contains("run this code on a larger Stack; aborting"),
        "{stderr}"
    );
}

#[test]
fn overflow_in_a_context_names_the_stack_and_aborts() {
    if child_scenario().is_some() {
        let mut ctx: Context<u64> =
            Context::new(Stack::new(32 * 1024).unwrap(), |_, _| bottomless(0));
        let _ = ctx.resume(0);
        unreachable!();
    }
    assert_overflow_report(
        "overflow_in_a_context_names_the_stack_and_aborts",
        "of 32 KiB (fault at",
    );
}

#[test]
fn overflow_of_a_registered_thread_stack_names_the_thread() {
    if child_scenario().is_some() {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let _reg = stackswitch::register_current_thread().unwrap();
                bottomless(0)
            })
            .unwrap()
            .join()
            .unwrap();
        unreachable!();
    }
    assert_overflow_report(
        "overflow_of_a_registered_thread_stack_names_the_thread",
        "stackswitch: stack overflow on the system stack of thread ",
    );
}

static PREVIOUS_RAN: &[u8] = b"previous handler ran\n";

extern "C" fn previous_handler(_: libc::c_int) {
    // SAFETY: write and _exit are async-signal-safe; the buffer is static.
    unsafe {
        libc::write(2, PREVIOUS_RAN.as_ptr().cast(), PREVIOUS_RAN.len());
        libc::_exit(42);
    }
}

#[test]
fn other_faults_go_to_the_previous_handler() {
    if child_scenario().is_some() {
        // SAFETY: installs a plain handler for SIGSEGV in this child process
        // before stackswitch's; the sigaction struct is fully initialised.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = previous_handler as *const () as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(libc::SIGSEGV, &sa, std::ptr::null_mut());
        }
        stackswitch::install_overflow_handler().unwrap();
        stackswitch::install_overflow_handler().unwrap(); // idempotent
        let _keep = Stack::new(16 * 1024).unwrap();
        // SAFETY: deliberately faults (address 8 is never mapped) to test chaining.
        unsafe { std::ptr::write_volatile(black_box(8usize) as *mut u64, 1) };
        unreachable!();
    }
    let out = run_child("other_faults_go_to_the_previous_handler", "chain");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("previous handler ran"), "{stderr}");
    assert!(!stderr.contains("stackswitch: stack overflow"), "{stderr}");
    assert_eq!(out.status.code(), Some(42), "{:?}", out.status);
}

/// Runs `test`'s child `scenario` and checks it died of SIGSEGV with no
/// overflow report: the fault or signal was not taken for an overflow.
fn assert_killed_by_sigsegv_without_report(test: &str, scenario: &str) {
    let out = run_child(test, scenario);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("stackswitch: stack overflow"), "{stderr}");
    assert_eq!(
        signal_of(&out),
        Some(libc::SIGSEGV),
        "{:?} {stderr}",
        out.status
    );
}

#[test]
fn other_faults_keep_the_default_action() {
    if child_scenario().is_some() {
        let _keep = Stack::new(16 * 1024).unwrap();
        // SAFETY: deliberately faults to check the default action still applies.
        unsafe { std::ptr::write_volatile(black_box(8usize) as *mut u64, 1) };
        unreachable!();
    }
    assert_killed_by_sigsegv_without_report("other_faults_keep_the_default_action", "default");
}

/// Sends SIGSEGV to the calling thread, as `kill`/`tgkill` from another
/// process or thread would: no fault, no fault address.
#[cfg(target_os = "linux")]
fn send_sigsegv_to_self() {
    // SAFETY: getpid/gettid have no preconditions; tgkill sends a signal to
    // this very thread.
    let r = unsafe {
        libc::syscall(
            libc::SYS_tgkill,
            libc::getpid(),
            libc::gettid(),
            libc::SIGSEGV,
        )
    };
    assert_eq!(r, 0, "tgkill: {}", std::io::Error::last_os_error());
}

/// Go's `TgkillSegvInCgo`: a SIGSEGV sent with `tgkill` kills the process,
/// with the overflow handler installed (chained to std's handler, which
/// resets the default action and returns, waiting for a fault that never
/// comes back) as without it. It is not mistaken for an overflow either: its
/// `si_addr` holds the sender's pid and uid.
#[test]
#[cfg(target_os = "linux")]
fn a_sent_sigsegv_still_kills_the_process() {
    if child_scenario().is_some() {
        let _keep = Stack::new(16 * 1024).unwrap();
        send_sigsegv_to_self();
        // Only reached if the signal was swallowed.
        eprintln!("survived a sent SIGSEGV");
        std::process::exit(0);
    }
    assert_killed_by_sigsegv_without_report("a_sent_sigsegv_still_kills_the_process", "sent");
}

#[cfg(target_os = "linux")]
static SENT_SEEN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[cfg(target_os = "linux")]
extern "C" fn counting_handler(_: libc::c_int) {
    // Relaxed: a counter read by the same thread after the handler returned.
    SENT_SEEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// A sent SIGSEGV reaches a handler installed before ours exactly once, and
/// when that handler keeps itself installed (it handled the signal), the
/// process goes on, as without the overflow handler. A previous `SIG_IGN`
/// keeps the signal ignored.
#[test]
#[cfg(target_os = "linux")]
fn a_sent_sigsegv_goes_to_the_previous_disposition_once() {
    if let Some(which) = child_scenario() {
        // SAFETY: installs a plain handler (or SIG_IGN) for SIGSEGV in this
        // child process before stackswitch's; the sigaction is initialised.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = if which == "ignore" {
                libc::SIG_IGN
            } else {
                counting_handler as *const () as usize
            };
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(libc::SIGSEGV, &sa, std::ptr::null_mut());
        }
        stackswitch::install_overflow_handler().unwrap();
        send_sigsegv_to_self();
        send_sigsegv_to_self();
        // Relaxed: written by handlers that ran on this thread.
        let seen = SENT_SEEN.load(std::sync::atomic::Ordering::Relaxed);
        println!("seen={seen}");
        std::process::exit(0);
    }
    for (which, expect) in [("count", "seen=2"), ("ignore", "seen=0")] {
        let out = run_child(
            "a_sent_sigsegv_goes_to_the_previous_disposition_once",
            which,
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{which}: {:?} {stderr}",
            out.status
        );
        assert!(stdout.contains(expect), "{which}: {stdout} {stderr}");
    }
}

#[test]
fn installation_is_idempotent_and_thread_safe() {
    let handles: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(|| {
                stackswitch::install_overflow_handler().map(|_| Stack::new(8192).unwrap().id())
            })
        })
        .collect();
    let mut ids: Vec<u64> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 8);
}

#[test]
fn many_stacks_fill_more_than_one_registry_chunk() {
    // 600 live stacks spill over the first 256-slot chunk; dropping them frees
    // the slots for reuse, and an overflow is still recognised after that.
    let stacks: Vec<Stack> = (0..600).map(|_| Stack::new(4096).unwrap()).collect();
    let ids: std::collections::HashSet<u64> = stacks.iter().map(Stack::id).collect();
    assert_eq!(ids.len(), 600);
    drop(stacks);
    let again: Vec<Stack> = (0..300).map(|_| Stack::new(4096).unwrap()).collect();
    assert_eq!(again.len(), 300);
}

#[test]
fn threads_without_a_signal_stack_get_one() {
    std::thread::spawn(|| {
        // SAFETY: disables this thread's sigaltstack (std's) to simulate a
        // thread created by C; the query struct is written by the call.
        unsafe {
            let off = libc::stack_t {
                ss_sp: std::ptr::null_mut(),
                ss_flags: libc::SS_DISABLE,
                ss_size: 0,
            };
            libc::sigaltstack(&off, std::ptr::null_mut());
        }
        stackswitch::ensure_signal_stack().unwrap();
        // SAFETY: query only.
        let st = unsafe {
            let mut st: libc::stack_t = std::mem::zeroed();
            libc::sigaltstack(std::ptr::null(), &mut st);
            st
        };
        assert_eq!(st.ss_flags & libc::SS_DISABLE, 0);
        assert!(st.ss_size >= 64 * 1024);
    })
    .join()
    .unwrap();
}
