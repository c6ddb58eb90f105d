//! White-box checks of the thread-side protocol, driving monitor passes by hand.

use std::sync::Arc;
use std::sync::Mutex;

use crate::monitor::MonitorState;
use crate::{CallKind, Config, Exit, Processor, Procs, Scheduler};

#[derive(Default)]
struct Fake {
    work: std::sync::atomic::AtomicBool,
    handed: Mutex<Vec<Processor>>,
    wakes: std::sync::atomic::AtomicUsize,
}

impl Scheduler for Fake {
    fn has_work(&self) -> bool {
        self.work.load(std::sync::atomic::Ordering::SeqCst)
    }
    fn handoff(&self, p: Processor) {
        self.handed.lock().unwrap().push(p);
    }
    fn wake_idle(&self) {
        self.wakes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

fn manual(n: usize, fake: &Arc<Fake>, asym: bool) -> Procs {
    Procs::build(
        n,
        Box::new(fake.clone()),
        Config {
            monitor: false,
            ..Config::default()
        },
        asym,
    )
}

fn backends() -> Vec<bool> {
    let mut v = vec![false];
    if crate::imp::HeavyFence::available() {
        v.push(true);
    }
    v
}

use crate::imp::HeavyFenceApi;

#[test]
fn same_call_needs_two_sightings_then_retakes_for_work() {
    for asym in backends() {
        let fake = Arc::new(Fake::default());
        fake.work.store(true, std::sync::atomic::Ordering::SeqCst);
        let procs = manual(1, &fake, asym);
        let mut p = procs.acquire();
        let mut st = MonitorState::default();
        p.enter_raw(CallKind::Lazy);
        Procs::monitor_pass(&procs, &mut st);
        assert_eq!(procs.stats().retakes, 0, "one sighting is not enough");
        Procs::monitor_pass(&procs, &mut st);
        assert_eq!(procs.stats().retakes, 1);
        let handed: Vec<_> = fake.handed.lock().unwrap().drain(..).collect();
        assert_eq!(handed.len(), 1);
        assert_eq!(procs.stats().foreign_without_processor, 1);
        drop(handed); // release: the processor goes idle
        assert_eq!(p.exit(), Exit::Idle);
        assert_eq!(procs.stats().foreign_without_processor, 0);
    }
}

#[test]
fn a_new_call_between_ticks_is_not_the_same_call() {
    for asym in backends() {
        let fake = Arc::new(Fake::default());
        fake.work.store(true, std::sync::atomic::Ordering::SeqCst);
        let procs = manual(1, &fake, asym);
        let mut p = procs.acquire();
        let mut st = MonitorState::default();
        p.enter_raw(CallKind::Lazy);
        Procs::monitor_pass(&procs, &mut st);
        p.exit();
        p.enter_raw(CallKind::Lazy);
        Procs::monitor_pass(&procs, &mut st);
        assert_eq!(procs.stats().retakes, 0);
        // A callback in the middle (exit + reenter) also starts a new window.
        p.exit();
        p.reenter();
        Procs::monitor_pass(&procs, &mut st);
        assert_eq!(procs.stats().retakes, 0);
        assert_eq!(procs.stats().calls, 2, "reenter is not a new call");
        assert_eq!(p.exit(), Exit::Kept);
    }
}

#[test]
fn no_work_no_retake_and_short_calls_never() {
    for asym in backends() {
        let fake = Arc::new(Fake::default());
        let procs = manual(1, &fake, asym);
        let mut p = procs.acquire();
        let mut st = MonitorState::default();
        p.enter_raw(CallKind::Lazy);
        for _ in 0..5 {
            Procs::monitor_pass(&procs, &mut st);
        }
        assert_eq!(procs.stats().retakes, 0);
        assert_eq!(p.exit(), Exit::Kept);
        fake.work.store(true, std::sync::atomic::Ordering::SeqCst);
        p.enter_raw(CallKind::Short);
        for _ in 0..5 {
            Procs::monitor_pass(&procs, &mut st);
        }
        assert_eq!(procs.stats().retakes, 0);
        assert_eq!(p.exit(), Exit::Kept);
        assert_eq!(fake.wakes.load(std::sync::atomic::Ordering::SeqCst), 0);
    }
}

#[test]
fn monitor_does_not_sleep_while_a_holder_is_in_foreign_code() {
    for asym in backends() {
        let fake = Arc::new(Fake::default());
        let procs = manual(1, &fake, asym);
        let mut p = procs.acquire();
        p.enter_raw(CallKind::Lazy);
        assert!(!procs.shared.prepare_sleep());
        p.exit();
        assert!(procs.shared.prepare_sleep());
        // The next entry wakes it (flag back to running).
        p.enter_raw(CallKind::Lazy);
        assert_eq!(
            procs
                .shared
                .monitor_flag
                .load(std::sync::atomic::Ordering::SeqCst),
            crate::procs::MON_RUNNING
        );
        p.exit();
    }
}

#[test]
fn dropping_every_handle_stops_the_monitor_thread() {
    let procs = Procs::new(1, crate::NoScheduler).unwrap();
    let mut p = procs.acquire();
    p.enter().exit(); // starts the monitor
    let ctl = procs.shared.ctl.clone();
    let handle = crate::monitor::take_thread(&ctl).expect("monitor started by the first call");
    drop(p);
    drop(procs);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !handle.is_finished() {
        assert!(
            std::time::Instant::now() < deadline,
            "monitor thread still running"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    handle.join().unwrap();
}
