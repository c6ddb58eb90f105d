//! `PanicPolicy::Propagate` through the facade: a panic in an exported function
//! discards the C frames and resumes at the Rust call site of the foreign call (the
//! policy is process-wide, so this binary sets it once and keeps it).

use std::ffi::c_void;
use std::sync::Once;

use facade::Runtime;
use facade::callback::{PanicPolicy, set_panic_policy};

facade::c_functions! {
    #![link(name = "facade_callbacks", kind = "static")]
    fn facade_cb_call(cb: *const c_void, x: i64) -> i64;
}

facade::export! {
    /// Panics for x > 0; otherwise calls C again with x + 1 (so the panic crosses
    /// several C frames when started from a negative x).
    fn prop_panics(x: i64) -> i64 {
        if x > 0 {
            panic!("prop_panics: {x}");
        }
        // SAFETY: `prop_panics` has the signature `facade_cb_call` calls.
        unsafe { facade_cb_call(prop_panics as *const c_void, x + 1) }
    }
}

fn propagate() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| set_panic_policy(PanicPolicy::Propagate));
}

fn message(e: Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>().cloned().unwrap_or_default()
}

#[test]
fn a_panic_in_a_callback_reaches_join_through_c_frames() {
    propagate();
    let rt = Runtime::builder().processors(2).build().unwrap();
    let e = rt
        .spawn(|| {
            // SAFETY: `prop_panics` has the callback signature.
            unsafe { facade_cb_call(prop_panics as *const c_void, -3) }
        })
        .join()
        .unwrap_err();
    assert_eq!(message(e), "prop_panics: 1");
    // The runtime is intact: foreign calls and callbacks keep working.
    let r = rt.block_on(|| {
        let caught = std::panic::catch_unwind(|| {
            // SAFETY: as above.
            unsafe { facade_cb_call(prop_panics as *const c_void, 0) }
        });
        assert_eq!(message(caught.unwrap_err()), "prop_panics: 1");
        facade::spawn(|| 5).join().unwrap()
    });
    assert_eq!(r, 5);
}
