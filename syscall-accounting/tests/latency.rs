//! Hand-off latency with a fake scheduler: n = 1, one holder blocked in foreign code for up
//! to 50 ms while work is pending must lose its processor quickly, both when the monitor
//! was asleep (idle process) and right after 30 ms of busy work; with no pending work
//! nothing is handed off and nobody is woken.
//!
//! Both monitor priorities are measured. With [`MonitorPriority::RealTime`] granted, in a
//! release build on native x86_64, the 99th percentile must stay within 500 µs (the goal is
//! 100 µs; whether it was met is printed) in both cases, even on a loaded machine. With [`MonitorPriority::Normal`] only the median
//! is checked (far below Go's 10 ms back-off): on a loaded machine with per-session group
//! scheduling (Linux autogroups) an ordinary monitor's tick waits a few milliseconds after
//! the process used more than its CPU share, which is what the busy phase does. The real
//! p50/p99 are printed
//! (`cargo test -p syscall-accounting --release --test latency -- --nocapture`).

mod common;

use std::time::{Duration, Instant};

use common::{FakeSched, emulated, wait_monitor_asleep};
use syscall_accounting::{Config, Exit, MonitorPriority, Procs};

const CALL: Duration = Duration::from_millis(50);

/// One scenario at a time: a busy phase fills both cores, and the monitor of another
/// scenario running meanwhile would then tick late (under qemu, late enough for
/// `no_pending_work_no_handoff_no_wake` to see less than 20 ms of its 50 ms call).
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// One sample: enter, block until handed off (the call ends early then; a hand-off later
/// than the 50 ms call is counted by the caller, and only a missing one fails), exit.
fn sample(procs: &Procs, fake: &FakeSched, p: &mut syscall_accounting::Processor) -> Duration {
    let t0 = Instant::now();
    let call = p.enter();
    let handed = fake.wait_handoff(Duration::from_secs(10));
    let (t1, q) = handed.unwrap_or_else(|| {
        panic!(
            "no hand-off within 10 s of a blocked foreign call; stats {:?}",
            procs.stats()
        )
    });
    drop(q); // the scheduler releases it at once
    assert_eq!(
        call.exit(),
        Exit::Idle,
        "the processor was taken, an idle one comes back"
    );
    t1 - t0
}

fn percentile(v: &mut [Duration], q: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * q).round() as usize]
}

/// Prints the figures; returns (p50, p99).
fn report(name: &str, v: &mut [Duration]) -> (Duration, Duration) {
    let p50 = percentile(v, 0.5);
    let p99 = percentile(v, 0.99);
    let max = *v.iter().max().unwrap();
    let late = v.iter().filter(|d| **d > CALL).count();
    println!(
        "hand-off latency {name}: n={} p50={p50:?} p99={p99:?} max={max:?} \
         (later than the 50 ms call: {late})",
        v.len()
    );
    (p50, p99)
}

/// The goal for the 99th percentile (printed as met or not).
const P99_GOAL: Duration = Duration::from_micros(100);
/// The asserted bound: the goal with room for a shared 2-core virtual machine under heavy
/// load (measured p99 with a real-time monitor: 55-90 µs from idle, 100-120 µs after busy
/// work while other builds kept both cores busy, one run of five at 290 µs). Still ~35x
/// below Go's 18 ms after busy work, and it fails on the 2-6 ms delays of an
/// ordinary-priority tick under group scheduling.
const P99_BOUND: Duration = Duration::from_micros(500);

/// Whether the p99 goal is asserted: a real-time monitor, optimised code, native x86_64
/// (the machine the goal was set on); emulators and debug builds only report.
fn assert_p99(realtime: bool) -> bool {
    realtime && !emulated() && !cfg!(debug_assertions) && cfg!(target_arch = "x86_64")
}

fn median_bound() -> Duration {
    // Go's monitor needs 10-20 ms here after busy work (median 18.4 ms on this machine);
    // ours ticks every 20 µs (measured medians: 45-140 µs natively on a loaded 2-core box,
    // 100-180 µs under qemu). The bound leaves room for heavy load without flaking.
    if emulated() {
        Duration::from_millis(25)
    } else {
        Duration::from_millis(10)
    }
}

/// Measures `samples` hand-offs from idle and as many right after 30 ms of busy work.
fn measure(priority: MonitorPriority) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let fake = FakeSched::with_work(true);
    let config = Config::default().with_monitor_priority(priority);
    let procs = Procs::with_config(1, fake.clone(), config).unwrap();
    let mut p = procs.acquire();
    let samples = if emulated() { 15 } else { 60 };

    // Start the monitor (first foreign call) so "idle" below means "monitor asleep". A
    // short call: a lazy one could be retaken while the monitor thread is being spawned
    // inside it, and the fake scheduler would keep the processor.
    p.enter_short().exit();
    let mut idle = Vec::new();
    for _ in 0..samples {
        assert!(
            wait_monitor_asleep(&procs, Duration::from_secs(10)),
            "the monitor never went to sleep with nobody in foreign code"
        );
        idle.push(sample(&procs, &fake, &mut p));
    }
    let mut busy = Vec::new();
    for _ in 0..samples {
        let until = Instant::now() + Duration::from_millis(30);
        let mut x = 0u64;
        while Instant::now() < until {
            for i in 0..200 {
                x = x.wrapping_mul(31).wrapping_add(i);
            }
            let _c = p.enter_short();
        }
        std::hint::black_box(x);
        busy.push(sample(&procs, &fake, &mut p));
    }
    let s = procs.stats();
    let rt = s.monitor_realtime;
    let name = |case: &str| format!("{case}, {priority:?} monitor (real-time granted: {rt})");
    let (m1, p1) = report(&name("from idle"), &mut idle);
    let (m2, p2) = report(&name("after 30 ms busy"), &mut busy);
    assert!(m1 < median_bound(), "median hand-off from idle {m1:?}");
    assert!(
        m2 < median_bound(),
        "median hand-off after busy work {m2:?}"
    );
    println!(
        "p99 goal {P99_GOAL:?} met: from idle {}, after busy work {}",
        p1 <= P99_GOAL,
        p2 <= P99_GOAL
    );
    if assert_p99(rt) {
        assert!(
            p1 <= P99_BOUND,
            "p99 hand-off from idle {p1:?} > {P99_BOUND:?}"
        );
        assert!(
            p2 <= P99_BOUND,
            "p99 hand-off after busy work {p2:?} > {P99_BOUND:?}"
        );
    }
    assert_eq!(s.retakes, 2 * samples as u64, "{s:?}");
    assert!(s.foreign_time > Duration::ZERO);
}

#[test]
fn handoff_from_idle_and_after_busy_work() {
    measure(MonitorPriority::Normal);
}

/// The p99 goal, asserted when the real-time priority is granted (see the module docs).
#[test]
fn handoff_from_idle_and_after_busy_work_realtime_monitor() {
    measure(MonitorPriority::RealTime);
}

#[test]
fn no_pending_work_no_handoff_no_wake() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let fake = FakeSched::with_work(false);
    let procs = Procs::new(1, fake.clone()).unwrap();
    let mut p = procs.acquire();
    let call = p.enter();
    std::thread::sleep(CALL);
    assert_eq!(call.exit(), Exit::Kept);
    let s = procs.stats();
    assert_eq!(s.retakes, 0, "{s:?}");
    assert_eq!(fake.handoffs.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(fake.wakes.load(std::sync::atomic::Ordering::SeqCst), 0);
    // The monitor did watch the call: the coarse clock saw most of the 50 ms.
    assert!(s.foreign_time >= Duration::from_millis(20), "{s:?}");
}
