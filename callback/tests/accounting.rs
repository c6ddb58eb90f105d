//! Processor accounting of foreign-thread callbacks: a bound foreign thread keeps its
//! processor parked in the foreign-code state between callbacks, reclaims it on the fast
//! path, and the monitor hands it on when another thread waits for it. Its own binary:
//! the processor set is registered once, at `init`.
// The C programs these scenarios use are built for Linux only (see build.rs).
#![cfg(target_os = "linux")]

mod common;

use std::os::raw::c_int;
use std::sync::mpsc;
use std::time::Duration;

use callback::{callback, with_current};
use common::*;
use syscall_accounting::{NoScheduler, Procs};

extern "C" fn step(x: c_int) -> c_int {
    callback("step", || {
        assert!(with_current(|m| !m.unwrap().in_foreign_code()));
        x + 1
    })
}

#[test]
fn bound_thread_keeps_its_processor_parked_between_callbacks() {
    let procs = Procs::new(1, NoScheduler).unwrap();
    assert!(PROCS.set(procs.clone()).is_ok());
    init();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (at_tx, at_rx) = mpsc::channel::<()>();
    // A Rust thread without a runtime context stands in for a C thread.
    let t = std::thread::spawn(move || {
        assert_eq!(step(1), 2);
        at_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        for i in 0..1000 {
            assert_eq!(step(i), i + 1);
        }
        at_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        assert_eq!(step(5), 6);
    });

    // Between callbacks the thread holds the only processor, parked in foreign code.
    at_rx.recv().unwrap();
    let s = procs.stats();
    assert_eq!(s.idle, 0, "{s:?}");
    // The thread is back in its own C code, not in a foreign call (Go's isExtraInC):
    // retakeable, but neither counted as a call nor as in foreign code.
    assert_eq!(s.returned_to_foreign, 1, "{s:?}");
    assert_eq!((s.calls, s.in_foreign), (0, 0), "{s:?}");
    assert!(with_current(|m| m.is_none()));

    // 1,000 more callbacks reclaim it on the fast path: no park, no idle exit.
    go_tx.send(()).unwrap();
    at_rx.recv().unwrap();
    let s2 = procs.stats();
    assert_eq!(s2.exit_parks, s.exit_parks, "{s2:?}");
    assert_eq!(s2.exits_idle, s.exits_idle, "{s2:?}");

    // Another thread needing the processor gets it: the monitor retakes it from the
    // thread sitting in foreign code.
    let p = procs.acquire();
    assert!(procs.stats().retakes > s2.retakes);
    // The bound thread's next callback waits until it is released.
    go_tx.send(()).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    assert!(!t.is_finished(), "the callback ran without a processor");
    drop(p);
    t.join().unwrap();
    // At thread exit the context gives its processor back.
    assert_eq!(procs.stats().idle, 1);
}
