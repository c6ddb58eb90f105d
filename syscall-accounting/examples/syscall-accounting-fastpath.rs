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
fn thread_cpu() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer for clock_gettime.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn main() {
    let procs = Procs::new(1, NoScheduler).unwrap();
    let mut p = procs.acquire();
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let c = thread_cpu();
        for _ in 0..100_000_000 {
            sa_round_trip(&mut p);
        }
        let cpu = thread_cpu() - c;
        println!(
            "{:?} wall, {:?} thread CPU per round trip ({:?})",
            t.elapsed() / 100_000_000,
            cpu / 100_000_000,
            procs.backend()
        );
    }
}
