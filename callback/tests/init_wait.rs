//! A call arriving before the runtime is initialised (a library loaded into a C host)
//! waits until `init`, then succeeds. Its own binary: initialisation is process-wide.
// The C programs these scenarios use are built for Linux only (see build.rs).
#![cfg(target_os = "linux")]

mod common;

use std::os::raw::c_int;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use callback::callback;
use common::*;

static RAN: AtomicBool = AtomicBool::new(false);

extern "C" fn early(x: c_int) -> c_int {
    callback("early", || {
        assert!(callback::is_initialized());
        RAN.store(true, Ordering::SeqCst);
        x * 2
    })
}

#[test]
fn call_before_initialisation_waits_then_succeeds() {
    assert!(!callback::is_initialized());
    // SAFETY: `early` matches `Cb`.
    let t = std::thread::spawn(|| unsafe { cbt_thread_loop(early, 1, 0) });
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        !RAN.load(Ordering::SeqCst),
        "the callback ran before initialisation"
    );
    assert!(!t.is_finished());
    init();
    assert_eq!(t.join().unwrap(), 0);
    assert!(RAN.load(Ordering::SeqCst));
    assert_eq!(callback::init(&FAKE), Err(callback::AlreadyInitialized));
}
