//! Internal tests: the debug ownership check of processors.

use crate::CheckLevel;
use crate::runtime::sched::Shared;
use crate::runtime::{Config, HandoffPolicy};
use std::time::Duration;

fn shared() -> std::sync::Arc<Shared> {
    Shared::new(Config {
        procs: 2,
        stack_size: 64 * 1024,
        stack_pool: 4,
        monitor_tick: Duration::from_micros(20),
        handoff: HandoffPolicy::Lazy,
        realtime_monitor: false,
        check: CheckLevel::Calls,
    })
    .expect("runtime state")
}

#[test]
#[cfg(debug_assertions)]
fn a_processor_claimed_twice_is_caught() {
    let sh = shared();
    sh.claim(1, 7);
    let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sh.claim(1, 8))).unwrap_err();
    let msg = e.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("processor 1 taken by worker 8 while worker 7 uses it"),
        "{msg}"
    );
}

#[test]
#[cfg(debug_assertions)]
fn a_release_by_the_wrong_worker_is_caught() {
    let sh = shared();
    sh.claim(0, 3);
    let e =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sh.unclaim(0, 4))).unwrap_err();
    let msg = e.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("released by worker 4 but used by worker 3"),
        "{msg}"
    );
}

#[test]
fn claim_and_release_in_order_pass() {
    let sh = shared();
    for w in 1..10 {
        sh.claim(0, w);
        sh.unclaim(0, w);
    }
}
