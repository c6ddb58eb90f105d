//! A small fake scheduler shared by the behaviour tests.

#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use syscall_accounting::{Processor, Scheduler};

/// Records every hook call. `keep` decides whether handed processors are kept (for the
/// test to release) or dropped at once (released to parked threads / the idle list).
#[derive(Default)]
pub struct FakeSched {
    pub work: AtomicBool,
    pub keep: AtomicBool,
    pub handed: Mutex<Vec<(Instant, Processor)>>,
    pub handed_cv: Condvar,
    pub handoffs: AtomicUsize,
    pub wakes: AtomicUsize,
}

impl FakeSched {
    pub fn with_work(work: bool) -> std::sync::Arc<FakeSched> {
        let f = FakeSched::default();
        f.work.store(work, Ordering::SeqCst);
        f.keep.store(true, Ordering::SeqCst);
        std::sync::Arc::new(f)
    }

    /// Waits up to `timeout` for a hand-off; returns its time and processor.
    pub fn wait_handoff(&self, timeout: Duration) -> Option<(Instant, Processor)> {
        let deadline = Instant::now() + timeout;
        let mut g = self.handed.lock().unwrap();
        loop {
            if !g.is_empty() {
                return Some(g.remove(0));
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            g = self.handed_cv.wait_timeout(g, deadline - now).unwrap().0;
        }
    }
}

impl Scheduler for FakeSched {
    fn has_work(&self) -> bool {
        self.work.load(Ordering::SeqCst)
    }
    fn handoff(&self, p: Processor) {
        let now = Instant::now();
        self.handoffs.fetch_add(1, Ordering::SeqCst);
        if self.keep.load(Ordering::SeqCst) {
            self.handed.lock().unwrap().push((now, p));
            self.handed_cv.notify_all();
        }
    }
    fn wake_idle(&self) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

/// True when the tests run under an emulator (`CGO_RS_RUNNER` set by `cargo xtask ci`).
pub fn emulated() -> bool {
    std::env::var("CGO_RS_RUNNER").is_ok_and(|r| !r.trim().is_empty())
}

/// Waits (bounded) until the monitor sleeps; false if it never did within `timeout`.
pub fn wait_monitor_asleep(procs: &syscall_accounting::Procs, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if procs.stats().monitor_asleep {
            return true;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    false
}

/// The counters once the monitor has nothing in flight. A retake made just before the
/// last thread left may still be on its way to the scheduler (the fake one drops it back
/// to the idle list), and the monitor sleeps only after its pass has placed everything it
/// took; so a test that counts idle processors after joining its threads reads them
/// here. Panics if the monitor does not sleep within 10 s.
pub fn settled_stats(procs: &syscall_accounting::Procs) -> syscall_accounting::Stats {
    assert!(
        wait_monitor_asleep(procs, Duration::from_secs(10)),
        "the monitor never went to sleep after the threads left: {:?}",
        procs.stats()
    );
    procs.stats()
}
