//! Behaviour of the public API with the real monitor thread: processor limits, the exit
//! paths, blocking hand-off, callbacks (exit + reenter), resizing, counters and misuse.

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::FakeSched;
use syscall_accounting::{
    Backend, BackendChoice, CallKind, Config, Error, Exit, NoScheduler, Policy, Procs, ThreadCalls,
    thread_calls,
};

#[test]
fn zero_processors_is_a_clear_error() {
    let e = Procs::new(0, NoScheduler).unwrap_err();
    assert_eq!(e, Error::ZeroProcessors);
    assert!(e.to_string().contains("at least 1 processor"), "{e}");
    let procs = Procs::new(1, NoScheduler).unwrap();
    assert_eq!(procs.resize(0), Err(Error::ZeroProcessors));
    assert_eq!(procs.processors(), 1);
}

#[test]
fn acquire_respects_the_limit_and_release_serves_parked_threads_in_order() {
    let procs = Procs::new(2, NoScheduler).unwrap();
    let a = procs.acquire();
    let b = procs.acquire();
    assert_ne!(a.id(), b.id());
    assert!(procs.try_acquire().is_none());
    let p2 = procs.clone();
    let t = std::thread::spawn(move || p2.acquire().id());
    while procs.stats().waiting == 0 {
        std::thread::yield_now();
    }
    let freed = a.id();
    drop(a);
    assert_eq!(t.join().unwrap(), freed);
    assert_eq!(procs.stats().acquire_parks, 1);
    drop(b);
    assert_eq!(procs.stats().idle, 2);
}

#[test]
fn fast_path_keeps_the_processor_and_counts() {
    let procs = Procs::new(1, NoScheduler).unwrap();
    let before = thread_calls();
    let mut p = procs.acquire();
    for _ in 0..1000 {
        let call = p.enter();
        assert!(call.processor().in_foreign());
        assert_eq!(call.exit(), Exit::Kept);
    }
    {
        let _short = p.enter_short();
    }
    assert!(!p.in_foreign());
    assert_eq!(thread_calls() - before, 1001);
    assert_eq!(procs.stats().calls, 1001);
    drop(p);
    assert_eq!(procs.stats().calls, 1001, "released leases stay counted");
}

#[test]
fn entering_through_a_thread_counter_counts_on_that_thread() {
    let procs = Procs::new(1, NoScheduler).unwrap();
    let mut p = procs.acquire();
    let here = ThreadCalls::current();
    let before = thread_calls();
    for kind in [CallKind::Lazy, CallKind::Short, CallKind::Lazy] {
        p.enter_raw_with(kind, &here);
        assert!(p.in_foreign());
        assert_eq!(p.exit(), Exit::Kept);
    }
    assert_eq!(thread_calls() - before, 3);
    assert_eq!(procs.stats().calls, 3);
    // Another thread's counter is its own: counting here does not touch it.
    let other = std::thread::spawn(move || {
        let procs2 = Procs::new(1, NoScheduler).unwrap();
        let mut q = procs2.acquire();
        q.enter_raw_with(CallKind::Lazy, &ThreadCalls::current());
        q.exit();
        thread_calls()
    });
    assert_eq!(other.join().unwrap(), 1);
    assert_eq!(thread_calls() - before, 3);
}

#[test]
fn both_backends_are_selectable() {
    let cas = Procs::with_config(
        1,
        NoScheduler,
        Config::default().with_backend(BackendChoice::Cas),
    )
    .unwrap();
    assert_eq!(cas.backend(), Backend::Cas);
    let mut p = cas.acquire();
    assert_eq!(p.enter().exit(), Exit::Kept);
    let auto = Procs::new(1, NoScheduler).unwrap();
    println!("auto backend here: {:?}", auto.backend());
}

#[test]
fn blocking_call_hands_the_processor_to_a_waiting_thread() {
    let procs = Procs::new(1, NoScheduler).unwrap();
    let mut p = procs.acquire();
    let p2 = procs.clone();
    let waiter = std::thread::spawn(move || {
        let q = p2.acquire();
        std::thread::sleep(Duration::from_millis(5));
        drop(q);
    });
    while procs.stats().waiting == 0 {
        std::thread::yield_now();
    }
    let call = p.enter_blocking();
    assert_eq!(procs.stats().blocking_handoffs, 1);
    assert_eq!(procs.stats().foreign_without_processor, 1);
    let how = call.exit(); // parks until the waiter releases
    assert!(matches!(how, Exit::Idle | Exit::Parked), "{how:?}");
    waiter.join().unwrap();
    assert_eq!(procs.stats().foreign_without_processor, 0);
}

#[test]
fn blocking_call_hands_to_the_scheduler_when_it_has_work() {
    let fake = FakeSched::with_work(true);
    let procs = Procs::new(1, fake.clone()).unwrap();
    let mut p = procs.acquire();
    let call = p.enter_blocking();
    let (_, q) = fake
        .wait_handoff(Duration::from_secs(10))
        .expect("hand-off at once");
    drop(q);
    assert_eq!(call.exit(), Exit::Idle);
    let s = procs.stats();
    assert_eq!((s.blocking_handoffs, s.handoffs, s.retakes), (1, 1, 0));
}

#[test]
fn callback_exits_and_reenters_without_counting_a_new_call() {
    let procs = Procs::new(1, NoScheduler).unwrap();
    let mut p = procs.acquire();
    let mut call = p.enter();
    let r = call.callback(|q| {
        assert!(!q.in_foreign());
        // A callback may itself call foreign code.
        q.enter().exit();
        7
    });
    assert_eq!(r, 7);
    assert!(call.processor().in_foreign());
    call.exit();
    assert_eq!(procs.stats().calls, 2);
}

#[test]
fn raw_api_supports_a_bound_thread_parked_in_foreign_state() {
    // The callback crate's pattern: a C thread keeps its processor in foreign state between
    // callbacks; each callback does exit -> managed code -> reenter.
    let fake = FakeSched::with_work(false);
    let procs = Procs::new(1, fake.clone()).unwrap();
    let mut p = procs.acquire();
    p.enter_raw(CallKind::Lazy);
    for _ in 0..3 {
        assert_eq!(p.exit(), Exit::Kept);
        p.reenter();
    }
    // While it sits in C, pending work makes the monitor take the processor away.
    fake.work.store(true, Ordering::SeqCst);
    let (_, q) = fake
        .wait_handoff(Duration::from_secs(5))
        .expect("retake of the idle bound thread");
    drop(q);
    assert_eq!(p.exit(), Exit::Idle);
    assert_eq!(procs.stats().calls, 1);
}

#[test]
#[should_panic(expected = "not in foreign code; call enter() (or reenter()) first")]
fn exit_without_enter_panics_with_a_clear_message() {
    let procs = Procs::new(1, NoScheduler).unwrap();
    let mut p = procs.acquire();
    p.exit();
}

#[test]
#[should_panic(expected = "already in foreign code; call exit() before entering again")]
fn double_enter_panics_with_a_clear_message() {
    let procs = Procs::new(1, NoScheduler).unwrap();
    let mut p = procs.acquire();
    p.enter_raw(CallKind::Lazy);
    p.enter_raw(CallKind::Lazy);
}

#[test]
fn resize_grows_for_parked_threads_and_shrinks_at_the_next_exit() {
    let procs = Procs::new(1, NoScheduler).unwrap();
    let a = procs.acquire();
    let p2 = procs.clone();
    let t = std::thread::spawn(move || p2.acquire());
    while procs.stats().waiting == 0 {
        std::thread::yield_now();
    }
    procs.resize(2).unwrap();
    let b = t.join().unwrap();
    assert_eq!(b.id(), 1);
    // Shrink to 1: processor 1 is held; it is retired, and given up at release.
    procs.resize(1).unwrap();
    assert!(b.is_retired());
    assert!(!a.is_retired());
    drop(b);
    assert_eq!(
        procs.stats().idle,
        0,
        "the retired processor is gone, not idle"
    );
    // Shrinking under a holder in foreign code: its exit gives the processor up.
    procs.resize(2).unwrap();
    let mut c = procs.acquire();
    assert_eq!(c.id(), 1);
    let call = c.enter();
    procs.resize(1).unwrap();
    drop(a); // processor 0 goes idle; c's exit moves there
    assert_eq!(call.exit(), Exit::Idle);
    assert_eq!(c.id(), 0);
    drop(c);
    let s = procs.stats();
    assert_eq!((s.processors, s.idle), (1, 1));
}

#[test]
fn never_policy_counts_time_but_never_retakes() {
    let fake = FakeSched::with_work(true);
    let procs = Procs::with_config(
        1,
        fake.clone(),
        Config::default().with_policy(Policy::Never),
    )
    .unwrap();
    let mut p = procs.acquire();
    let call = p.enter();
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(call.exit(), Exit::Kept);
    let s = procs.stats();
    assert_eq!(s.retakes, 0);
    assert!(s.foreign_time >= Duration::from_millis(5), "{s:?}");
}

#[test]
fn monitor_sleeps_when_idle_and_wakes_on_entry() {
    let fake = FakeSched::with_work(true);
    let procs = Procs::new(1, fake.clone()).unwrap();
    let mut p = procs.acquire();
    assert!(
        procs.stats().monitor_asleep,
        "not started before the first call"
    );
    // A short call starts the monitor: a lazy one could be retaken (the monitor thread is
    // spawned inside it, slowly under an emulator) and handed to the fake scheduler,
    // which keeps it, so that its exit would wait forever.
    p.enter_short().exit();
    assert!(common::wait_monitor_asleep(&procs, Duration::from_secs(5)));
    let t0 = Instant::now();
    let call = p.enter();
    let (t1, q) = fake
        .wait_handoff(Duration::from_secs(5))
        .expect("woken monitor retakes");
    println!("hand-off after an idle spell: {:?}", t1 - t0);
    drop(q);
    call.exit();
}

/// A real-time monitor runs the hooks at its priority, but a thread a hook starts (a new
/// worker) is an ordinary thread.
#[cfg(target_os = "linux")]
#[test]
fn realtime_monitor_does_not_pass_its_priority_to_threads_hooks_start() {
    use std::sync::Mutex;
    use syscall_accounting::{MonitorPriority, Processor, Scheduler};

    #[derive(Default)]
    struct Spawner {
        /// (policy of the hook's thread, policy of the thread it started).
        seen: Mutex<Option<(i32, i32)>>,
    }
    impl Scheduler for Spawner {
        fn has_work(&self) -> bool {
            true
        }
        fn handoff(&self, p: Processor) {
            // SAFETY: sched_getscheduler(0) only queries the calling thread.
            let here = unsafe { libc::sched_getscheduler(0) };
            let child = std::thread::spawn(move || {
                drop(p);
                // SAFETY: as above.
                unsafe { libc::sched_getscheduler(0) }
            })
            .join()
            .unwrap();
            *self.seen.lock().unwrap() = Some((here, child));
        }
        fn wake_idle(&self) {}
    }

    let hooks = std::sync::Arc::new(Spawner::default());
    let config = Config::default().with_monitor_priority(MonitorPriority::RealTime);
    let procs = Procs::with_config(1, hooks.clone(), config).unwrap();
    let mut p = procs.acquire();
    let call = p.enter();
    let deadline = Instant::now() + Duration::from_secs(10);
    while hooks.seen.lock().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "no hand-off: {:?}",
            procs.stats()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    call.exit();
    let (here, child) = hooks.seen.lock().unwrap().unwrap();
    if procs.stats().monitor_realtime {
        assert_eq!(here & !libc::SCHED_RESET_ON_FORK, libc::SCHED_FIFO);
    } else {
        println!("real-time priority not granted here; the hook ran with policy {here}");
    }
    assert_eq!(
        child,
        libc::SCHED_OTHER,
        "a thread started by a hook is ordinary"
    );
}
