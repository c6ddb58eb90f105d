//! Criterion benches, compared side by side in one group each:
//!
//! The fast-path groups measure the **thread CPU time** of the measuring thread(s) on Unix
//! (`CLOCK_THREAD_CPUTIME_ID`), wall time elsewhere: on a shared machine wall time per
//! nanosecond-scale operation mostly measures how often the thread was descheduled. The
//! direct-call baseline is measured the same way, so ratios stay comparable.
//!
//! * `enter_exit`: the fast-path round trip (enter + exit of an empty foreign call) with the
//!   membarrier backend and with the portable CAS backend, next to a direct call of an
//!   empty `extern "C"` function (the floor). Go 1.27's whole empty cgo call on this machine
//!   is 30.8 ns (from `shared/tools/go-anchor`, quoted, not re-run here).
//! * `enter_exit_2_threads`: the same with 2 threads on 2 processors running at once.
//! * `retake_park_wake`: a full hand-off cycle with the default 20 µs tick: a holder enters
//!   a call that lasts until the monitor retakes its processor for pending work, exits and
//!   parks (no processor free), and is woken when the scheduler releases the processor.
//!   Wall time; the waiting threads yield instead of spinning so the monitor gets a CPU on
//!   a 2-core machine.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use syscall_accounting::{BackendChoice, Config, Exit, NoScheduler, Processor, Procs, Scheduler};

#[inline(never)]
extern "C" fn empty_c_function() {}

/// CPU time of the calling thread (wall time where unavailable).
fn thread_cpu() -> Duration {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec for clock_gettime to fill.
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }
    #[cfg(not(unix))]
    {
        static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        START.get_or_init(Instant::now).elapsed()
    }
}

/// Runs `f` `iters` times and returns the thread CPU time it took.
fn cpu_timed(iters: u64, mut f: impl FnMut()) -> Duration {
    let t = thread_cpu();
    for _ in 0..iters {
        f();
    }
    thread_cpu() - t
}

fn procs(backend: BackendChoice, n: usize) -> Procs {
    Procs::with_config(n, NoScheduler, Config::default().with_backend(backend)).unwrap()
}

fn enter_exit(c: &mut Criterion) {
    let mut g = c.benchmark_group("enter_exit");
    g.bench_function("direct_call", |b| {
        let f: extern "C" fn() = black_box(empty_c_function);
        b.iter_custom(|iters| cpu_timed(iters, || f()))
    });
    for (name, backend) in [
        ("membarrier", BackendChoice::Auto),
        ("cas", BackendChoice::Cas),
    ] {
        let ps = procs(backend, 1);
        let label = format!("{name}({:?})", ps.backend());
        let mut p = ps.acquire();
        g.bench_function(label, |b| {
            b.iter_custom(|iters| {
                cpu_timed(iters, || {
                    let call = p.enter();
                    black_box(call.exit());
                })
            })
        });
    }
    g.finish();
}

fn enter_exit_2_threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("enter_exit_2_threads");
    for (name, backend) in [
        ("membarrier", BackendChoice::Auto),
        ("cas", BackendChoice::Cas),
    ] {
        let ps = procs(backend, 2);
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let go = Arc::new(AtomicBool::new(false));
                let other = {
                    let ps = ps.clone();
                    let go = go.clone();
                    std::thread::spawn(move || {
                        let mut p = ps.acquire();
                        while !go.load(Ordering::Acquire) {
                            std::hint::spin_loop();
                        }
                        cpu_timed(iters, || {
                            let call = p.enter();
                            black_box(call.exit());
                        })
                    })
                };
                let mut p = ps.acquire();
                go.store(true, Ordering::Release);
                let mine = cpu_timed(iters, || {
                    let call = p.enter();
                    black_box(call.exit());
                });
                let theirs = other.join().unwrap();
                // Per-call time as each thread saw it (both ran concurrently).
                (mine + theirs) / 2
            })
        });
    }
    g.finish();
}

#[derive(Default)]
struct Handoff {
    slot: Mutex<Option<Processor>>,
    ready: AtomicBool,
}

impl Scheduler for Handoff {
    fn has_work(&self) -> bool {
        true
    }
    fn handoff(&self, p: Processor) {
        *self.slot.lock().unwrap() = Some(p);
        self.ready.store(true, Ordering::Release);
    }
    fn wake_idle(&self) {}
}

fn retake_park_wake(c: &mut Criterion) {
    let mut g = c.benchmark_group("retake_park_wake");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("default_tick", |b| {
        b.iter_custom(|iters| {
            let hooks = Arc::new(Handoff::default());
            let ps = Procs::new(1, hooks.clone()).unwrap();
            let parks = Arc::new(AtomicU64::new(0));
            let cycles = Arc::new(AtomicU64::new(0));
            let stop = Arc::new(AtomicBool::new(false));
            let holder = {
                let ps = ps.clone();
                let cycles = cycles.clone();
                let parks = parks.clone();
                let hooks = hooks.clone();
                std::thread::spawn(move || {
                    let mut p = ps.acquire();
                    for _ in 0..iters {
                        let call = p.enter();
                        // Foreign code "blocks" until the monitor has handed the processor on.
                        while !hooks.ready.load(Ordering::Acquire) {
                            std::thread::yield_now();
                        }
                        if call.exit() == Exit::Parked {
                            parks.fetch_add(1, Ordering::Relaxed);
                        }
                        cycles.fetch_add(1, Ordering::Release);
                    }
                    stop.store(true, Ordering::Release);
                })
            };
            let t = Instant::now();
            for i in 0..iters {
                while !hooks.ready.load(Ordering::Acquire) {
                    std::thread::yield_now();
                }
                let q = hooks.slot.lock().unwrap().take().unwrap();
                // Let the holder reach its exit and park before releasing.
                while ps.stats().waiting == 0 && cycles.load(Ordering::Acquire) == i {
                    std::thread::yield_now();
                }
                hooks.ready.store(false, Ordering::Release);
                drop(q);
                while cycles.load(Ordering::Acquire) == i {
                    std::thread::yield_now();
                }
            }
            let e = t.elapsed();
            holder.join().unwrap();
            e
        })
    });
    g.finish();
}

criterion_group!(benches, enter_exit, enter_exit_2_threads, retake_park_wake);
criterion_main!(benches);
