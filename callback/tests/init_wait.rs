//! A call arriving before the runtime is initialised (a library loaded into a C host)
//! waits until `init`, then succeeds. Its own binary: initialisation is process-wide.
// The C programs these scenarios use are built for Linux only (see build.rs).
#![cfg(target_os = "linux")]

mod common;

use std::num::NonZeroUsize;
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

static RAN_IN_CALL: AtomicBool = AtomicBool::new(false);

/// A callback inside a foreign call made before initialisation (a runtime thread whose
/// context was created then): it waits, then locks the green thread the runtime reports.
extern "C" fn early_in_call(x: c_int) -> c_int {
    callback("early_in_call", || {
        assert!(callback::is_initialized());
        assert_eq!(THREAD_LOCKED.with(std::cell::Cell::get), 1);
        RAN_IN_CALL.store(true, Ordering::SeqCst);
        x + 1
    })
}

#[test]
fn call_before_initialisation_waits_then_succeeds() {
    assert!(!callback::is_initialized());
    // SAFETY: `early` matches `Cb`.
    let t = std::thread::spawn(|| unsafe { cbt_thread_loop(early, 1, 0) });
    let t2 = std::thread::spawn(|| {
        CURRENT_GREEN.with(|g| g.set(Some(callback::Green(NonZeroUsize::new(5).unwrap()))));
        const F: callback::ForeignFn = callback::ForeignFn::new("cbt_call");
        // SAFETY: `early_in_call` matches `Cb`.
        let first = callback::call_foreign(&F, || unsafe { cbt_call(early_in_call, 1) });
        // The context has the runtime now: the next callback takes the fast path.
        // SAFETY: as above.
        let second = callback::call_foreign(&F, || unsafe { cbt_call(early_in_call, 2) });
        assert_eq!(THREAD_LOCKED.with(std::cell::Cell::get), 0);
        (first, second)
    });
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        !RAN.load(Ordering::SeqCst),
        "the callback ran before initialisation"
    );
    assert!(
        !RAN_IN_CALL.load(Ordering::SeqCst),
        "the callback inside a foreign call ran before initialisation"
    );
    assert!(!t.is_finished());
    assert!(!t2.is_finished());
    init();
    assert_eq!(t.join().unwrap(), 0);
    assert_eq!(t2.join().unwrap(), (2, 3));
    assert!(RAN.load(Ordering::SeqCst));
    assert_eq!(callback::init(&FAKE), Err(callback::AlreadyInitialized));
}
