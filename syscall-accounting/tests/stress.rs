//! Real-thread stress: n = 2 processors, 16 threads, each doing `ITERS` rounds of
//! enter → (short, or 1 in 64 a 200 µs blocking) foreign work → exit. A live counter checks
//! that at most n threads run managed code at any instant, and at the end every counter
//! adds up: calls, exits by outcome, processors lost vs. regained, nothing leaked.
//!
//! Iterations: 10^5 per thread natively (the figure); under an emulator
//! (`CGO_RS_RUNNER` set) 20 000 per thread (about 2 s per backend under qemu), which still
//! makes every thread lose and regain its processor about 300 times (each long call is
//! retaken while others wait).
//! `SYSCALL_ACCOUNTING_STRESS_ITERS` overrides both.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{FakeSched, emulated};
use syscall_accounting::{BackendChoice, Config, Exit, Procs, thread_calls};

const N: usize = 2;
const THREADS: usize = 16;

fn iters() -> u64 {
    if let Some(v) = std::env::var("SYSCALL_ACCOUNTING_STRESS_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return v;
    }
    if emulated() { 20_000 } else { 100_000 }
}

/// xorshift: a cheap per-thread random sequence.
fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

struct Live {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl Live {
    fn hold(&self) {
        // SeqCst: a test-side global order of holds/unholds, so the bound check is exact.
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        assert!(n <= N, "{n} threads hold a processor at once (n = {N})");
        self.max.fetch_max(n, Ordering::SeqCst);
    }
    fn unhold(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

fn run(backend: BackendChoice, work: bool) {
    let iters = iters();
    let fake = FakeSched::with_work(work);
    // Handed processors are released at once by the fake scheduler (to parked threads).
    fake.keep.store(false, Ordering::SeqCst);
    let config = Config::default().with_backend(backend);
    let procs = Procs::with_config(N, fake.clone(), config).unwrap();
    let live = Arc::new(Live {
        now: AtomicUsize::new(0),
        max: AtomicUsize::new(0),
    });
    let outcomes: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
    let long_calls = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let procs = procs.clone();
            let live = live.clone();
            let outcomes = outcomes.clone();
            let long_calls = long_calls.clone();
            std::thread::spawn(move || {
                let before = thread_calls();
                let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ (t as u64 + 1);
                let mut p = procs.acquire();
                live.hold();
                for _ in 0..iters {
                    live.unhold();
                    let call = p.enter();
                    let r = next(&mut rng);
                    if r % 64 == 0 {
                        long_calls.fetch_add(1, Ordering::Relaxed);
                        std::thread::sleep(Duration::from_micros(200));
                    } else {
                        for _ in 0..(r % 32) {
                            std::hint::spin_loop();
                        }
                    }
                    let how = call.exit();
                    live.hold();
                    let i = match how {
                        Exit::Kept => 0,
                        Exit::Idle => 1,
                        Exit::Parked => 2,
                    };
                    outcomes[i].fetch_add(1, Ordering::Relaxed);
                }
                live.unhold();
                drop(p);
                assert_eq!(thread_calls() - before, iters, "per-thread call count");
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let elapsed = start.elapsed();
    let s = common::settled_stats(&procs);
    let kept = outcomes[0].load(Ordering::Relaxed);
    let idle = outcomes[1].load(Ordering::Relaxed);
    let parked = outcomes[2].load(Ordering::Relaxed);
    println!(
        "stress {backend:?} work={work}: {} threads x {iters} in {elapsed:?}; kept {kept}, idle {idle}, parked {parked}; \
         long calls {}; {s:?}",
        THREADS,
        long_calls.load(Ordering::Relaxed)
    );
    let total = THREADS as u64 * iters;
    assert_eq!(s.calls, total, "Stats::calls");
    assert_eq!(kept + idle + parked, total);
    assert_eq!(s.exits_idle, idle);
    assert_eq!(s.exit_parks, parked);
    // Every lost processor is found lost by exactly one exit.
    assert_eq!(s.retakes + s.blocking_handoffs, idle + parked);
    assert_eq!(s.blocking_handoffs, 0);
    assert!(
        s.retakes > 0,
        "no retake although threads waited during long calls"
    );
    assert_eq!(s.idle, N, "every processor is back in the idle list");
    assert_eq!(s.waiting, 0);
    assert_eq!(s.foreign_without_processor, 0);
    assert!(live.max.load(Ordering::SeqCst) <= N);
    assert!(s.foreign_time > Duration::ZERO);
    assert!(
        s.foreign_time <= elapsed * THREADS as u32 * 2,
        "foreign time {:?}",
        s.foreign_time
    );
    if work {
        assert_eq!(s.handoffs, fake.handoffs.load(Ordering::SeqCst) as u64);
    }
}

#[test]
fn stress_default_backend() {
    run(BackendChoice::Auto, false);
}

#[test]
fn stress_cas_backend_with_scheduler_work() {
    run(BackendChoice::Cas, true);
}

/// Go's `TestCgoSignalDeadlock` shape: many processors and more threads than
/// processors, every thread in a loop of foreign calls (some with a callback into
/// managed code), and panics thrown from inside the calls and from inside the
/// callbacks, caught by the thread around the call. The unwinding guard leaves each
/// call; no processor is lost and every call is counted (a deadlock hangs the test,
/// which the CI step's time limit turns into a failure).
#[test]
fn panics_inside_calls_and_callbacks_lose_nothing_with_many_processors() {
    const PROCS: usize = 100;
    const THREADS: usize = 200;
    let rounds: u64 = if emulated() { 200 } else { 2_000 };
    let procs = Procs::new(PROCS, syscall_accounting::NoScheduler).unwrap();
    let panics = AtomicU64::new(0);
    std::thread::scope(|s| {
        for t in 0..THREADS as u64 {
            let (procs, panics) = (&procs, &panics);
            s.spawn(move || {
                let mut p = procs.acquire();
                let mut x = t + 1;
                for i in 0..rounds {
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let mut call = p.enter();
                        match next(&mut x) % 8 {
                            // `resume_unwind`: a panic without the panic hook's message.
                            0 => std::panic::resume_unwind(Box::new(i)),
                            1 => call.callback(|_| std::panic::resume_unwind(Box::new(i))),
                            2 => call.callback(|_| std::hint::black_box(i)),
                            _ => std::hint::black_box(i),
                        }
                    }));
                    if r.is_err() {
                        panics.fetch_add(1, Ordering::Relaxed);
                    }
                    assert!(!p.in_foreign(), "a panic left the thread in foreign code");
                }
            });
        }
    });
    let s = procs.stats();
    assert!(
        panics.load(Ordering::Relaxed) > 0,
        "no round panicked: the test tests nothing"
    );
    assert_eq!(s.calls, THREADS as u64 * rounds, "{s:?}");
    assert_eq!((s.idle, s.in_foreign, s.waiting), (PROCS, 0, 0), "{s:?}");
}
