//! Loom models of the exclusion protocol: enter/exit racing the monitor's retake and other
//! threads' acquire/release.
//!
//! Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p syscall-accounting --release --lib loom`.
//!
//! Every model runs twice: with the CAS backend and with the asymmetric backend, whose
//! light/heavy fence pair is modelled as two `SeqCst` fences (the contract that
//! `membarrier(2)` + compiler fence provide; loom cannot model the syscall itself).
//!
//! "Owner" below means a thread running managed code with a processor: a thread counts
//! itself in `owners[id]` after it got a processor (acquire, exit, hand-off) and out of it
//! before it enters foreign code or releases. The models assert the count never exceeds 1
//! (never two owners), that every processor ends idle (never lost), and loom itself fails
//! any execution in which a parked thread is never woken (deadlock).

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use crate::monitor::MonitorState;
use crate::primitive::{Mutex, lock};
use crate::procs::{MON_RUNNING, MON_SLEEPING};
use crate::{CallKind, Config, Exit, Processor, Procs, Scheduler};

struct Fake {
    work: bool,
    handed: Mutex<Vec<Processor>>,
}

impl Scheduler for Fake {
    fn has_work(&self) -> bool {
        self.work
    }
    fn handoff(&self, p: Processor) {
        lock(&self.handed).push(p);
    }
    fn wake_idle(&self) {}
}

fn config() -> Config {
    Config {
        monitor: false,
        ..Config::default()
    }
}

fn model(f: impl Fn(bool) + Sync + Send + 'static) {
    let f = std::sync::Arc::new(f);
    for asym in [false, true] {
        let mut b = loom::model::Builder::new();
        b.preemption_bound = Some(4);
        let f = f.clone();
        b.check(move || f(asym));
    }
}

struct Owners(Vec<AtomicUsize>);

impl Owners {
    fn new(n: usize) -> std::sync::Arc<Owners> {
        std::sync::Arc::new(Owners((0..n).map(|_| AtomicUsize::new(0)).collect()))
    }
    fn hold(&self, p: &Processor) {
        let before = self.0[p.id()].fetch_add(1, Ordering::SeqCst);
        assert_eq!(before, 0, "processor {} owned by two threads", p.id());
    }
    fn unhold(&self, p: &Processor) {
        self.0[p.id()].fetch_sub(1, Ordering::SeqCst);
    }
}

/// One processor under a fake scheduler that reports `work` (or not), with monitor
/// passes driven by the model itself, and an owner table to catch double ownership.
fn one_processor(work: bool, asym: bool) -> (std::sync::Arc<Fake>, Procs, std::sync::Arc<Owners>) {
    let fake = std::sync::Arc::new(Fake {
        work,
        handed: Mutex::new(Vec::new()),
    });
    let procs = Procs::build(1, Box::new(fake.clone()), config(), asym);
    (fake, procs, Owners::new(1))
}

fn assert_all_idle(procs: &Procs, n: usize) {
    let s = procs.stats();
    assert_eq!(s.idle, n, "a processor was lost: {s:?}");
    assert_eq!(s.waiting, 0);
    assert_eq!(s.foreign_without_processor, 0);
}

/// A holder leaves a lazy foreign call while the monitor, which already saw that call once,
/// retakes it for pending work; the monitor's thread then releases what it was handed.
#[test]
fn loom_exit_races_retake() {
    model(|asym| {
        let (fake, procs, owners) = one_processor(true, asym);
        let mut p = procs.acquire();
        owners.hold(&p);
        let mut st = MonitorState::default();
        owners.unhold(&p);
        p.enter_raw(CallKind::Lazy);
        procs.monitor_pass(&mut st); // first sighting: no retake yet
        assert_eq!(procs.stats().retakes, 0);

        let o = owners.clone();
        let t = thread::spawn(move || {
            let how = p.exit();
            o.hold(&p);
            o.unhold(&p);
            drop(p);
            how
        });
        procs.monitor_pass(&mut st);
        let handed: Vec<Processor> = lock(&fake.handed).drain(..).collect();
        for h in handed {
            owners.hold(&h);
            owners.unhold(&h);
            drop(h);
        }
        let how = t.join().unwrap();
        let s = procs.stats();
        assert_eq!(s.retakes == 1, how != Exit::Kept, "{how:?} {s:?}");
        assert_eq!(s.calls, 1);
        assert_all_idle(&procs, 1);
    });
}

/// Three threads: a holder leaving a foreign call, a thread parked in `acquire`, and the
/// monitor, which retakes for the waiter (no scheduler work). The waiter must get the
/// processor exactly once, the holder must get it back or park and be woken.
#[test]
fn loom_exit_races_retake_and_acquire() {
    model(|asym| {
        let (fake, procs, owners) = one_processor(false, asym);
        let mut p = procs.acquire();
        p.enter_raw(CallKind::Lazy);
        let mut st = MonitorState::default();
        procs.monitor_pass(&mut st);

        let o = owners.clone();
        let t1 = thread::spawn(move || {
            p.exit();
            o.hold(&p);
            o.unhold(&p);
        });
        let o = owners.clone();
        let pr = procs.clone();
        let t2 = thread::spawn(move || {
            let q = pr.acquire();
            o.hold(&q);
            o.unhold(&q);
        });
        procs.monitor_pass(&mut st);
        t1.join().unwrap();
        t2.join().unwrap();
        assert!(
            lock(&fake.handed).is_empty(),
            "no work: nothing goes to the scheduler"
        );
        assert_all_idle(&procs, 1);
    });
}

/// `enter_blocking` gives the processor away at once while another thread acquires; the
/// blocking thread's exit then finds it idle or parks until the other releases it.
#[test]
fn loom_blocking_handoff_and_parked_exit() {
    model(|asym| {
        let (_fake, procs, owners) = one_processor(false, asym);
        let mut p = procs.acquire();
        let o = owners.clone();
        let t1 = thread::spawn(move || {
            o.hold(&p);
            o.unhold(&p);
            p.enter_raw(CallKind::Blocking);
            let how = p.exit();
            assert_ne!(how, Exit::Kept);
            o.hold(&p);
            o.unhold(&p);
        });
        let o = owners.clone();
        let pr = procs.clone();
        let t2 = thread::spawn(move || {
            let q = pr.acquire();
            o.hold(&q);
            o.unhold(&q);
        });
        t1.join().unwrap();
        t2.join().unwrap();
        let s = procs.stats();
        assert_eq!(s.blocking_handoffs, 1);
        assert_all_idle(&procs, 1);
    });
}

/// The monitor decides to sleep while a holder enters a (long) foreign call: either the
/// monitor sees the call and stays awake, or the holder sees the monitor asleep and wakes
/// it. Never both miss (the store-buffering race closed by the fence pair).
#[test]
fn loom_monitor_sleep_races_enter() {
    model(|asym| {
        let procs = Procs::build(1, Box::new(crate::NoScheduler), config(), asym);
        let mut p = procs.acquire();
        let t = thread::spawn(move || {
            p.enter_raw(CallKind::Lazy);
            p // still in foreign code when the race is judged
        });
        let slept = procs.shared.prepare_sleep();
        let mut p = t.join().unwrap();
        if slept {
            // The entry must have seen SLEEPING and set the flag back to RUNNING; with the
            // flag still SLEEPING nobody would ever wake the monitor.
            let flag = procs.shared.monitor_flag.load(Ordering::SeqCst);
            assert_eq!(flag, MON_RUNNING, "monitor asleep through a foreign call");
        } else {
            assert_ne!(
                procs.shared.monitor_flag.load(Ordering::SeqCst),
                MON_SLEEPING
            );
        }
        p.exit();
    });
}

/// The callback pattern (exit → managed code → reenter → exit) races two monitor passes
/// that saw the call before the callback: the reentered window is a new call, so the
/// monitor may only take the processor while the thread is back in foreign code, and the
/// thread's exits always end with exactly one owner.
#[test]
fn loom_callback_reenter_races_retake() {
    model(|asym| {
        let (fake, procs, owners) = one_processor(true, asym);
        let mut p = procs.acquire();
        p.enter_raw(CallKind::Lazy);
        let mut st = MonitorState::default();
        procs.monitor_pass(&mut st);

        let o = owners.clone();
        let t = thread::spawn(move || {
            p.exit(); // callback starts
            o.hold(&p);
            o.unhold(&p);
            p.reenter(); // back into C
            p.exit(); // the foreign call returns
            o.hold(&p);
            o.unhold(&p);
        });
        procs.monitor_pass(&mut st);
        let handed: Vec<Processor> = lock(&fake.handed).drain(..).collect();
        for h in handed {
            owners.hold(&h);
            owners.unhold(&h);
        }
        t.join().unwrap();
        assert_eq!(procs.stats().calls, 1, "reenter is not a new call");
        assert_all_idle(&procs, 1);
    });
}

/// `resize` shrinks the set while the holder of the removed processor leaves foreign code
/// and the holder of the surviving one releases it: the removed processor is never handed
/// out again and the survivor ends idle.
#[test]
fn loom_resize_races_exit() {
    model(|asym| {
        let procs = Procs::build(2, Box::new(crate::NoScheduler), config(), asym);
        let owners = Owners::new(2);
        let a = procs.acquire();
        let mut b = procs.acquire();
        assert_eq!((a.id(), b.id()), (0, 1));
        b.enter_raw(CallKind::Lazy);
        let o = owners.clone();
        let t = thread::spawn(move || {
            let how = b.exit();
            o.hold(&b);
            o.unhold(&b);
            (how, b)
        });
        procs.resize(1).unwrap();
        drop(a);
        let (how, b) = t.join().unwrap();
        if how != Exit::Kept {
            assert_eq!(b.id(), 0, "an exit after the shrink moves to processor 0");
        }
        drop(b);
        let s = procs.stats();
        assert_eq!((s.processors, s.idle, s.waiting), (1, 1, 0), "{s:?}");
    });
}

/// A foreign thread back in its own code (`return_to_foreign`) leaves for good with
/// `release_in_foreign` while the monitor retakes its processor for a thread parked in
/// `acquire`: the processor is released exactly once (by the leaver if it still held it,
/// else by the retake), the waiter gets it and nothing is lost.
#[test]
fn loom_release_in_foreign_races_retake_and_acquire() {
    model(|asym| {
        let (fake, procs, owners) = one_processor(false, asym);
        let mut p = procs.acquire();
        p.return_to_foreign();
        let mut st = MonitorState::default();
        procs.monitor_pass(&mut st); // first sighting

        let t1 = thread::spawn(move || p.release_in_foreign());
        let o = owners.clone();
        let pr = procs.clone();
        let t2 = thread::spawn(move || {
            let q = pr.acquire();
            o.hold(&q);
            o.unhold(&q);
        });
        procs.monitor_pass(&mut st);
        let held = t1.join().unwrap();
        t2.join().unwrap();
        let s = procs.stats();
        assert_eq!(held, s.retakes == 0, "released by exactly one side: {s:?}");
        assert!(
            lock(&fake.handed).is_empty(),
            "no work: nothing to the scheduler"
        );
        assert_eq!(
            (s.returned_to_foreign, s.in_foreign, s.calls),
            (0, 0, 0),
            "{s:?}"
        );
        assert_all_idle(&procs, 1);
    });
}
