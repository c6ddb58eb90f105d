//! Minimal use of `syscall-accounting` on its own: two processors, a foreign call, counters.

use syscall_accounting::{NoScheduler, Procs};

fn main() {
    let procs = Procs::new(2, NoScheduler).expect("2 processors");
    let mut p = procs.acquire();
    {
        let _call = p.enter(); // foreign code would run here
    } // the guard exits: the same processor comes back
    drop(p);
    let s = procs.stats();
    println!(
        "backend {:?}: {} foreign call(s), {} idle processors",
        procs.backend(),
        s.calls,
        s.idle
    );
}
