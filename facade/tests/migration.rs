//! Green threads that move between workers at every switch point keep calling C,
//! being called back and switching stacks on the thread they run on.
//!
//! Regression test for a bug only optimised builds show: thread-local accesses of
//! the crates below the facade were inlined into green-thread code, and the
//! compiler, which treats a thread-local's address as fixed within a function,
//! computed it once before a loop that also yields. After the green thread moved to
//! another worker, the loop recorded its callback state on the old worker's thread
//! (46% of the calls in the loop below with two workers), and callbacks or suspends
//! then failed with misuse reports or hung. `cargo xtask ci` runs this file in
//! release mode on every architecture (step `release`); in debug builds it passes
//! either way.

use std::ffi::c_void;

use facade::Runtime;

facade::c_functions! {
    #![link(name = "facade_callbacks", kind = "static")]
    /// Calls `cb(x)`.
    fn facade_cb_call(cb: *const c_void, x: i64) -> i64;
}

facade::c_functions! {
    #![link(name = "facade_tests", kind = "static")]
    #[nocallback] #[noescape] fn facade_empty_ptr(p: *mut c_void);
    fn facade_mix(x: i64) -> i64;
}

facade::export! {
    /// `x + 1`, checking that the body runs on the calling green thread.
    fn migration_inc(x: i64) -> i64 {
        if facade::in_green_thread() { x + 1 } else { i64::MIN }
    }

    /// Yields inside its body and reports 1 if that moved it to another worker thread.
    fn migration_yield_inside(x: i64) -> i64 {
        let before = std::thread::current().id();
        for _ in 0..20 {
            facade::yield_now();
        }
        x + i64::from(before != std::thread::current().id())
    }
}

const ROUNDS: i64 = 20_000;

/// One green thread's loop: every kind of crossing, each followed by a yield.
fn crossings() -> u64 {
    let mut bad = 0;
    for i in 0..ROUNDS {
        if !facade::on_system_stack(facade::stackswitch::green_thread_waiting) {
            bad += 1;
        }
        facade::yield_now();
        // SAFETY: `migration_inc` has the signature `facade_cb_call` calls.
        if unsafe { facade_cb_call(migration_inc as *const c_void, i) } != i + 1 {
            bad += 1;
        }
        facade::yield_now();
        let mut x = 0u64;
        // SAFETY: the C function ignores its argument.
        unsafe { facade_empty_ptr(std::ptr::from_mut(&mut x).cast::<c_void>()) };
        facade::yield_now();
        // SAFETY: a pure C function.
        if unsafe { facade_mix(i) } != i * 3 + 1 {
            bad += 1;
        }
        facade::yield_now();
    }
    bad
}

#[test]
fn green_threads_moving_between_workers_cross_into_c_and_back_correctly() {
    let rt = Runtime::builder().processors(2).build().unwrap();
    let bad: u64 = rt.block_on(|| {
        let handles: Vec<_> = (0..4).map(|_| facade::spawn(crossings)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(bad, 0, "{bad} crossings saw another thread's state");
}

/// An exported function that a green thread calls directly (Rust to Rust, no C in
/// between) runs as a callback too, whose state belongs to the worker thread it began
/// on: its switch points must not move it to another worker. Before the outermost
/// callback locked its green thread in this case as well, up to half of these calls
/// finished on another worker, touching the first worker's callback state from there.
#[test]
fn an_exported_function_called_directly_stays_on_its_worker() {
    let rt = Runtime::builder().processors(2).build().unwrap();
    let moved: i64 = rt.block_on(|| {
        let handles: Vec<_> = (0..4)
            .map(|_| facade::spawn(|| (0..2_000).map(|_| migration_yield_inside(0)).sum::<i64>()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(
        moved, 0,
        "{moved} direct calls moved to another worker inside the body"
    );
}
