//! Threads that leave managed code while in foreign code: `return_to_foreign` (a foreign
//! thread between callbacks) and `release_in_foreign` (giving the processor up without
//! taking one back), with the real monitor thread.

mod common;

use std::time::{Duration, Instant};

use common::FakeSched;
use syscall_accounting::{Config, Exit, NoScheduler, Procs, thread_calls};

/// Polls `cond` (bounded); panics with `what` if it never holds.
fn wait_until(what: &str, procs: &Procs, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting until {what}; stats {:?}",
            procs.stats()
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Thread A (returned) gives its processor up for a blocking call and, once the
/// returned sender fires, calls `exit`, which parks while someone else holds the
/// processor; A ends with how `exit` returned and the processor it got. Also returns
/// A's pthread.
fn exit_after_go(
    procs: &Procs,
) -> (
    std::thread::JoinHandle<(Exit, usize)>,
    std::sync::mpsc::Sender<()>,
    libc::pthread_t,
) {
    let p2 = procs.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let a = std::thread::spawn(move || {
        let mut p = p2.acquire();
        let call = p.enter_blocking();
        // SAFETY: pthread_self has no preconditions.
        tx.send(unsafe { libc::pthread_self() } as usize).unwrap();
        go_rx.recv().unwrap();
        let how = call.exit();
        (how, p.id())
    });
    let a_thread = rx.recv().unwrap() as libc::pthread_t;
    (a, go_tx, a_thread)
}

#[test]
fn release_in_foreign_gives_a_held_processor_back_and_ends_the_call() {
    let procs = Procs::new(2, NoScheduler).unwrap();
    let mut p = procs.acquire();
    p.enter_raw(syscall_accounting::CallKind::Lazy);
    let s = procs.stats();
    assert_eq!((s.in_foreign, s.idle, s.calls), (1, 1, 1), "{s:?}");
    assert!(p.release_in_foreign(), "nobody took the processor");
    let s = procs.stats();
    assert_eq!((s.in_foreign, s.idle, s.calls), (0, 2, 1), "{s:?}");
    assert_eq!(s.foreign_without_processor, 0);

    // Not in foreign code: the same as dropping the processor.
    let p = procs.acquire();
    assert!(p.release_in_foreign());
    assert_eq!(procs.stats().idle, 2);
}

#[test]
fn release_in_foreign_wakes_a_parked_exit_elsewhere() {
    // No monitor: it would retake B's processor for the parked A before B gives it up.
    let procs = Procs::with_config(1, NoScheduler, Config::default().with_monitor(false)).unwrap();
    // Thread A gives its processor up for a blocking call, then parks in exit because B
    // took the processor meanwhile.
    let (a, go_tx, _) = exit_after_go(&procs);
    let mut b = procs.acquire();
    let id = b.id();
    b.enter_raw(syscall_accounting::CallKind::Lazy);
    go_tx.send(()).unwrap();
    wait_until("A parks in exit", &procs, || procs.stats().waiting == 1);
    assert!(b.release_in_foreign());
    let (how, got) = a.join().unwrap();
    assert_eq!((how, got), (Exit::Parked, id));
    let s = procs.stats();
    assert_eq!(
        (s.exit_parks, s.idle, s.in_foreign, s.waiting),
        (1, 1, 0, 0),
        "{s:?}"
    );
}

static SIGNALS_SEEN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

extern "C" fn count_signal(_: libc::c_int) {
    // Relaxed: a plain counter, read after the signals were sent.
    SIGNALS_SEEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// Go's `TestEINTR`: signals delivered to a thread parked in `exit` (waiting for a
/// processor) interrupt its wait (the handler is installed without `SA_RESTART`), yet
/// it stays parked until a processor is free, and then takes exactly one.
#[test]
fn a_parked_exit_stays_parked_through_signals_and_takes_one_processor() {
    // SAFETY: installs a handler for SIGUSR1, which only this test sends, to one
    // thread of its own; the sigaction struct is fully initialised.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = count_signal as *const () as usize;
        sa.sa_flags = 0; // no SA_RESTART: an interrupted wait returns EINTR
        libc::sigemptyset(&mut sa.sa_mask);
        assert_eq!(libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()), 0);
    }
    let procs = Procs::with_config(1, NoScheduler, Config::default().with_monitor(false)).unwrap();
    let (a, go_tx, a_thread) = exit_after_go(&procs);
    let b = procs.acquire();
    let id = b.id();
    go_tx.send(()).unwrap();
    wait_until("A parks in exit", &procs, || procs.stats().waiting == 1);
    for i in 0..1_000 {
        // SAFETY: thread A is alive: it cannot finish before `b` is dropped below.
        assert_eq!(unsafe { libc::pthread_kill(a_thread, libc::SIGUSR1) }, 0);
        if i % 50 == 0 {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    wait_until("A handles a signal", &procs, || {
        // Relaxed: see `count_signal`.
        SIGNALS_SEEN.load(std::sync::atomic::Ordering::Relaxed) > 0
    });
    std::thread::sleep(Duration::from_millis(20));
    assert!(!a.is_finished(), "A left exit without a processor");
    assert_eq!(procs.stats().waiting, 1, "{:?}", procs.stats());
    drop(b);
    let (how, got) = a.join().unwrap();
    assert_eq!((how, got), (Exit::Parked, id));
    let s = procs.stats();
    assert_eq!((s.exit_parks, s.idle, s.waiting), (1, 1, 0), "{s:?}");
}

#[test]
fn release_in_foreign_after_a_retake_releases_nothing_more() {
    let fake = FakeSched::with_work(true);
    let procs = Procs::new(1, fake.clone()).unwrap();
    let mut p = procs.acquire();
    p.enter_raw(syscall_accounting::CallKind::Lazy);
    let (_, q) = fake
        .wait_handoff(Duration::from_secs(20))
        .expect("the monitor hands a processor blocked in foreign code on");
    let s = procs.stats();
    assert_eq!(
        (s.retakes, s.foreign_without_processor, s.in_foreign),
        (1, 1, 1),
        "{s:?}"
    );
    assert!(!p.release_in_foreign(), "the processor had been retaken");
    let s = procs.stats();
    assert_eq!(
        (s.foreign_without_processor, s.in_foreign, s.idle),
        (0, 0, 0),
        "{s:?}"
    );
    assert_eq!(s.calls, 1);
    drop(q);
    assert_eq!(procs.stats().idle, 1);
}

#[test]
fn returned_threads_are_retaken_but_not_counted_as_foreign_calls() {
    // n = 1: a foreign thread sits in its own code with the processor after a callback;
    // another thread's acquire waits, so the monitor hands the processor to it.
    let procs = Procs::new(1, NoScheduler).unwrap();
    let before = thread_calls();
    let mut p = procs.acquire();
    p.return_to_foreign();
    assert!(p.in_foreign());
    let s = procs.stats();
    assert_eq!(
        (s.calls, s.in_foreign, s.returned_to_foreign),
        (0, 0, 1),
        "{s:?}"
    );
    assert_eq!(thread_calls(), before);

    let p2 = procs.clone();
    let other = std::thread::spawn(move || {
        let q = p2.acquire();
        std::thread::sleep(Duration::from_millis(5));
        drop(q);
    });
    wait_until(
        "the monitor retakes the returned thread's processor",
        &procs,
        || procs.stats().retakes == 1,
    );
    let s = procs.stats();
    assert_eq!((s.in_foreign, s.foreign_without_processor), (0, 0), "{s:?}");
    assert_eq!(s.returned_to_foreign, 1, "{s:?}");

    // The next callback: exit waits for the processor, managed code, back to C with the
    // same kind (reenter), still not a foreign call of managed code.
    let how = p.exit();
    assert!(matches!(how, Exit::Parked | Exit::Idle), "{how:?}");
    other.join().unwrap();
    p.reenter();
    let s = procs.stats();
    assert_eq!(
        (s.calls, s.in_foreign, s.returned_to_foreign),
        (0, 0, 1),
        "{s:?}"
    );
    assert!(p.release_in_foreign());
    let s = procs.stats();
    assert_eq!((s.returned_to_foreign, s.idle), (0, 1), "{s:?}");
}

#[test]
fn processors_add_up_when_threads_leave_in_foreign_code() {
    // 8 foreign threads on 2 processors call in repeatedly, return to their own code in
    // between, and finally leave from foreign code, some right after a retake.
    const N: usize = 2;
    let threads = if common::emulated() { 4 } else { 8 };
    let fake = FakeSched::with_work(true);
    fake.keep.store(false, std::sync::atomic::Ordering::SeqCst);
    let procs = Procs::new(N, fake.clone()).unwrap();
    let mut hs = Vec::new();
    for t in 0..threads {
        let procs = procs.clone();
        hs.push(std::thread::spawn(move || {
            let mut p = procs.acquire();
            for i in 0..50u64 {
                p.return_to_foreign();
                if (i + t) % 7 == 0 {
                    std::thread::sleep(Duration::from_micros(300));
                }
                p.exit();
                p.reenter();
                p.exit();
            }
            p.return_to_foreign();
            std::thread::sleep(Duration::from_micros(200 * (t % 3)));
            p.release_in_foreign();
        }));
    }
    for h in hs {
        h.join().unwrap();
    }
    let s = common::settled_stats(&procs);
    assert_eq!((s.idle, s.processors, s.waiting), (N, N, 0), "{s:?}");
    assert_eq!(
        (s.in_foreign, s.returned_to_foreign, s.calls),
        (0, 0, 0),
        "{s:?}"
    );
    assert_eq!(s.foreign_without_processor, 0, "{s:?}");
}
