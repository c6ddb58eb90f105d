//! The fast path's machine code (`objdump -d` this example, symbol `sa_round_trip`) and a
//! quick timing in thread CPU time (immune to other processes on a shared machine).

use syscall_accounting::{NoScheduler, Processor, Procs};

/// One enter + exit, kept out of line so its code can be read.
#[inline(never)]
#[unsafe(no_mangle)]
pub fn sa_round_trip(p: &mut Processor) {
    let c = p.enter();
    std::hint::black_box(c.exit());
}

/// CPU time of the calling thread (wall time where unavailable).
fn thread_cpu() -> std::time::Duration {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec for clock_gettime to fill.
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }
    #[cfg(not(unix))]
    {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START.get_or_init(std::time::Instant::now).elapsed()
    }
}

fn main() {
    const N: u32 = 100_000_000;
    let procs = Procs::new(1, NoScheduler).unwrap();
    let mut p = procs.acquire();
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let c = thread_cpu();
        for _ in 0..N {
            sa_round_trip(&mut p);
        }
        let cpu = thread_cpu() - c;
        println!(
            "{:.2} ns wall, {:.2} ns thread CPU per round trip ({:?})",
            t.elapsed().as_secs_f64() * 1e9 / f64::from(N),
            cpu.as_secs_f64() * 1e9 / f64::from(N),
            procs.backend()
        );
    }
}
