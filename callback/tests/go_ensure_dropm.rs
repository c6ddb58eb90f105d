//! Ports Go `TestEnsureDropM` (testprogcgo `EnsureDropM`) with
//! `BindPolicy::DetachEachCall`: the context goes back to the spare list after every
//! callback, and the next thread (or call) takes it again (Go `TestEnsureDropM`). Its own
//! binary: the policy is process-wide.
// The C programs these scenarios use are built for Linux only (see build.rs).
#![cfg(target_os = "linux")]

mod common;

use std::os::raw::c_int;
use std::sync::Mutex;

use callback::{BindPolicy, callback, spare_stats, with_current};
use common::*;

static IDS: Mutex<Vec<usize>> = Mutex::new(Vec::new());

extern "C" fn who(x: c_int) -> c_int {
    callback("who", || {
        IDS.lock().unwrap().push(with_current(|m| m.unwrap().id()));
        x
    })
}

#[test]
fn go_ensure_drop_m_detach_each_call_reuses_the_context() {
    init();
    callback::set_bind_policy(BindPolicy::DetachEachCall);
    let base = spare_stats();
    // Two successive C threads: both get the same context back from the list.
    // SAFETY: `who` matches `Cb`.
    unsafe {
        cbt_thread_loop(who, 1, 0);
        cbt_thread_loop(who, 1, 0);
    }
    // One thread calling 3 times: detached between calls, so nothing in use after.
    // SAFETY: as above.
    unsafe { cbt_thread_loop(who, 3, 0) };
    let ids = IDS.lock().unwrap().clone();
    assert_eq!(ids.len(), 5);
    assert!(ids.iter().all(|&i| i == ids[0]), "contexts {ids:?}");
    assert_eq!(spare_stats().in_use, base.in_use);
    with_current(|m| assert!(m.is_none(), "this Rust thread never called in"));
}
