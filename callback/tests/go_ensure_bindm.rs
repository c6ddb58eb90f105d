//! Ports Go `TestEnsureBindM` (runtime/crash_cgo_test.go, testprogcgo `EnsureBindM`):
//! two C threads each make 100 callbacks; every callback from one thread runs on the
//! same (bound) context.
// The C programs these scenarios use are built for Linux only (see build.rs).
#![cfg(target_os = "linux")]

mod common;

use std::collections::HashSet;
use std::os::raw::c_int;
use std::sync::Mutex;

use callback::{callback, with_current};
use common::*;

static SEEN: Mutex<Vec<(u64, usize)>> = Mutex::new(Vec::new());

extern "C" fn record(x: c_int) -> c_int {
    callback("record", || {
        let (id, extra, bounded, depth) = with_current(|m| {
            let m = m.unwrap();
            (
                m.id(),
                m.is_extra(),
                m.bounds().contains(stackswitch::current_sp()),
                m.callback_depth(),
            )
        });
        assert!(extra);
        assert!(bounded, "bounds must contain the callback's stack pointer");
        assert_eq!(depth, 1);
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() } as u64;
        SEEN.lock().unwrap().push((tid, id));
        x
    })
}

/// Go `TestEnsureBindM`: every callback from one C thread sees the same context.
#[test]
fn go_ensure_bind_m_same_context_per_thread() {
    init();
    SEEN.lock().unwrap().clear();
    // SAFETY: `record` matches `Cb`.
    unsafe {
        assert_eq!(
            cbt_threads_parallel(record, 2, 100),
            2 * (0..100).sum::<i64>()
        );
    }
    let seen = SEEN.lock().unwrap();
    let tids: HashSet<u64> = seen.iter().map(|s| s.0).collect();
    assert_eq!(tids.len(), 2);
    for t in tids {
        let ids: HashSet<usize> = seen.iter().filter(|s| s.0 == t).map(|s| s.1).collect();
        assert_eq!(ids.len(), 1, "thread {t} saw contexts {ids:?}");
    }
}
