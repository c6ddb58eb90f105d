//! C calling back into the runtime through `export!`: the scenarios of
//! `shared/spec/callback.md` that apply to the facade (nesting from a green thread,
//! a C-created thread calling in, a callback making a foreign call, switch points
//! inside a callback, the `nocallback` refusal, the abort panic policy on a runtime
//! thread and on a C-created one, the result check, a C function using 64 KiB / 1 MiB
//! of stack before calling back (Go issue 1328), a C thread calling in from
//! makecontext stacks (Go issue 62440), short-lived C threads giving their contexts
//! back). The propagate panic policy is process-wide: see `callback_propagate.rs`.

mod child;
mod common;

use child::{child, is_child};

use std::ffi::c_void;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use facade::Runtime;

facade::c_functions! {
    #![link(name = "facade_callbacks", kind = "static")]
    /// Calls `cb(x)`.
    pub fn facade_cb_call(cb: *const c_void, x: i64) -> i64;
    /// Calls `cb(x)`, declared as never calling back (a lie, for the refusal test).
    #[nocallback] pub fn facade_cb_call_nocallback(cb: *const c_void, x: i64) -> i64;
    /// A C thread calling `cb(0..n)`; returns the sum.
    #[blocking] pub fn facade_cb_thread_loop(cb: *const c_void, n: i64, ns: *mut i64) -> i64;
    /// Uses `kib` KiB of C stack, then calls `cb(x)`.
    pub fn facade_cb_big_stack(cb: *const c_void, kib: i64, x: i64) -> i64;
    /// A C thread calling `cb(x)` from its own stack, two makecontext stacks, its own.
    #[blocking] pub fn facade_cb_makecontext_thread(cb: *const c_void, x: i64) -> i64;
}

facade::c_functions! {
    #![link(name = "facade_tests", kind = "static")]
    fn facade_mix(x: i64) -> i64;
}

/// The deepest callback depth seen by `nest`.
/// Address of an unpinned object of a managed heap (result check child).
static MANAGED: AtomicUsize = AtomicUsize::new(0);

/// The deepest callback depth seen by `nest`.
static DEEPEST: AtomicUsize = AtomicUsize::new(0);

facade::export! {
    /// Rust → C → Rust … `d` levels deep; returns `d` and records the depth.
    fn test_nest(d: i64) -> i64 {
        let depth = facade::callback::with_current(|m| m.map_or(0, |m| m.callback_depth()));
        DEEPEST.fetch_max(depth as usize, Ordering::Relaxed);
        assert!(facade::in_green_thread(), "callback body left the green thread");
        if d == 0 {
            0
        } else {
            // SAFETY: `test_nest` has the signature `facade_cb_call` calls.
            unsafe { facade_cb_call(test_nest as *const c_void, d - 1) + 1 }
        }
    }

    /// A callback on a thread C created: `x * 2`, and not on a green thread.
    fn test_double(x: i64) -> i64 {
        assert!(!facade::in_green_thread());
        x * 2
    }

    /// `x + 1`, checking that the body runs on the calling green thread's stack.
    fn test_on_green_plus_one(x: i64) -> i64 {
        assert!(facade::in_green_thread(), "callback body left the green thread");
        x + 1
    }

    /// A callback that makes a foreign call itself.
    fn test_mix_in_callback(x: i64) -> i64 {
        // SAFETY: `facade_mix` only computes.
        unsafe { facade_mix(x) }
    }

    /// A callback that uses the switch points while locked to its thread.
    fn test_switch_points(x: i64) -> i64 {
        let before = std::thread::current().id();
        facade::yield_now();
        facade::sleep(Duration::from_millis(2));
        assert_eq!(before, std::thread::current().id(), "a locked green thread migrated");
        x + 1
    }

    /// Panics (for the abort-policy child).
    fn test_panics(x: i64) -> i64 {
        if x >= 0 {
            panic!("test_panics was asked to panic");
        }
        x
    }

    /// Returns a pointer to an unpinned managed object (result check child).
    fn test_returns_managed_pointer(_x: i64) -> *const u8 {
        MANAGED.load(Ordering::Relaxed) as *const u8
    }
}

fn addr(f: extern "C-unwind" fn(i64) -> i64) -> *const c_void {
    f as *const c_void
}

#[test]
fn rust_c_rust_nested_100_deep_from_a_green_thread() {
    // Every level's Rust frames live on the green thread's stack (the C frames on the
    // worker's system stack); unoptimised frames need more than the default 64 KiB
    // for 100 levels, and green stacks do not grow: size them for the nesting.
    let rt = Runtime::builder()
        .processors(2)
        .stack_size(1 << 20)
        .build()
        .unwrap();
    let r = rt.block_on(|| {
        facade::spawn(|| {
            // SAFETY: `test_nest` has the signature `facade_cb_call` calls.
            unsafe { facade_cb_call(addr(test_nest), 100) }
        })
        .join()
        .unwrap()
    });
    assert_eq!(r, 100);
    assert_eq!(DEEPEST.load(Ordering::Relaxed), 101);
    assert!(rt.stats().foreign_calls >= 101);
}

fn callbacks_from_a_c_thread(n: i64) {
    let mut ns = 0i64;
    // SAFETY: `test_double` has the callback signature; `ns` is a valid i64.
    let sum = unsafe { facade_cb_thread_loop(addr(test_double), n, &mut ns) };
    assert_eq!(sum, n * (n - 1));
    assert!(ns > 0);
}

#[test]
fn a_c_thread_calls_in_100_000_times() {
    // 100,000 on every architecture: a bound foreign thread's callback makes no system
    // call, so this stays well under a second even under qemu.
    callbacks_from_a_c_thread(100_000);
    // And the same started from a green thread (the C call blocks its worker).
    let rt = Runtime::builder().processors(2).build().unwrap();
    rt.block_on(|| {
        facade::spawn(|| callbacks_from_a_c_thread(10_000))
            .join()
            .unwrap()
    });
}

#[test]
fn many_c_threads_attach_and_exit() {
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..20 {
                    callbacks_from_a_c_thread(10);
                }
            });
        }
    });
}

#[test]
fn a_callback_makes_a_foreign_call() {
    let rt = Runtime::builder().processors(2).build().unwrap();
    let before = rt.stats().foreign_calls;
    let r = rt.block_on(|| {
        // SAFETY: `test_mix_in_callback` has the callback signature.
        unsafe { facade_cb_call(addr(test_mix_in_callback), 7) }
    });
    assert_eq!(r, 22);
    assert_eq!(rt.stats().foreign_calls - before, 2);
    // From a C thread: the inner call is a direct call.
    let mut ns = 0;
    // SAFETY: as above; `ns` is a valid i64.
    let s = unsafe { facade_cb_thread_loop(addr(test_mix_in_callback), 4, &mut ns) };
    assert_eq!(s, 1 + 4 + 7 + 10);
}

#[test]
fn switch_points_inside_a_callback_keep_the_green_thread_on_its_thread() {
    let rt = Runtime::builder().processors(2).build().unwrap();
    static DONE: AtomicI64 = AtomicI64::new(0);
    let done = &DONE;
    rt.block_on(move || {
        let hs: Vec<_> = (0..8)
            .map(|i| {
                facade::spawn(move || {
                    // SAFETY: `test_switch_points` has the callback signature.
                    unsafe { facade_cb_call(addr(test_switch_points), i) }
                })
            })
            .collect();
        for (i, h) in hs.into_iter().enumerate() {
            assert_eq!(h.join().unwrap(), i as i64 + 1);
            done.fetch_add(1, Ordering::Relaxed);
        }
    });
    assert_eq!(done.load(Ordering::Relaxed), 8);
}

#[test]
fn a_channel_wait_inside_a_callback_is_woken_by_another_green_thread() {
    static RX: std::sync::Mutex<Option<facade::Receiver<i64>>> = std::sync::Mutex::new(None);
    facade::export! {
        fn test_recv(x: i64) -> i64 {
            let rx = RX.lock().unwrap().take().unwrap();
            rx.recv().unwrap() + x
        }
    }
    let rt = Runtime::builder().processors(2).build().unwrap();
    let r = rt.block_on(|| {
        let (tx, rx) = facade::channel(1);
        *RX.lock().unwrap() = Some(rx);
        let h = facade::spawn(|| {
            // SAFETY: `test_recv` has the callback signature.
            unsafe { facade_cb_call(addr(test_recv), 1) }
        });
        facade::sleep(Duration::from_millis(5));
        tx.send(41).unwrap();
        h.join().unwrap()
    });
    assert_eq!(r, 42);
}

#[test]
fn a_nocallback_function_calling_back_aborts_naming_both() {
    const NAME: &str = "a_nocallback_function_calling_back_aborts_naming_both";
    if is_child(NAME) {
        let rt = Runtime::builder().processors(1).build().unwrap();
        rt.block_on(|| {
            // SAFETY: deliberately breaks the nocallback promise; the runtime aborts.
            unsafe { facade_cb_call_nocallback(addr(test_double), 1) }
        });
        return;
    }
    let (err, ok) = child(NAME);
    assert!(!ok, "the child survived a nocallback violation: {err}");
    assert!(
        err.contains("function marked with #cgo nocallback called back into Go"),
        "{err}"
    );
    let line = err
        .lines()
        .find(|l| l.contains("nocallback called back"))
        .unwrap();
    assert!(line.contains("`test_double`"), "{line}");
    assert!(line.contains("`facade_cb_call_nocallback`"), "{line}");
}

/// Runs child scenario `name`, in which `test_panics` panics under the default
/// policy, and checks that it aborted with the function's name and the payload.
fn assert_child_aborted_naming_test_panics(name: &str) {
    let (err, ok) = child(name);
    assert!(!ok, "the child survived a panic in a callback: {err}");
    assert!(
        err.contains("panic in exported function `test_panics`"),
        "{err}"
    );
    assert!(err.contains("test_panics was asked to panic"), "{err}");
}

#[test]
fn a_panic_in_a_callback_aborts_naming_the_function_by_default() {
    const NAME: &str = "a_panic_in_a_callback_aborts_naming_the_function_by_default";
    if is_child(NAME) {
        let rt = Runtime::builder().processors(1).build().unwrap();
        rt.block_on(|| {
            // SAFETY: `test_panics` has the callback signature.
            unsafe { facade_cb_call(addr(test_panics), 1) }
        });
        return;
    }
    assert_child_aborted_naming_test_panics(NAME);
}

#[test]
fn a_returned_unpinned_managed_pointer_is_refused() {
    const NAME: &str = "a_returned_unpinned_managed_pointer_is_refused";
    facade::c_functions! {
        #![link(name = "facade_callbacks", kind = "static")]
        fn facade_cb_call(cb: *const c_void, x: i64) -> i64;
    }
    if is_child(NAME) {
        let rt = Runtime::builder().processors(1).build().unwrap();
        let heap = std::sync::Arc::new(common::SlotHeap::new(4));
        rt.checker()
            .registry()
            .add_heap(heap.range(), heap.clone())
            .unwrap();
        MANAGED.store(heap.slot(1) as usize, Ordering::Relaxed);
        rt.block_on(|| {
            // SAFETY: C receives the pointer only as an integer; the result check aborts
            // before C sees it.
            unsafe { facade_cb_call(test_returns_managed_pointer as *const c_void, 1) }
        });
        return;
    }
    let (err, ok) = child(NAME);
    assert!(
        !ok,
        "the child returned a stack pointer to C unnoticed: {err}"
    );
    let line = err
        .lines()
        .find(|l| l.contains("panic in exported function"))
        .unwrap();
    assert!(line.contains("`test_returns_managed_pointer`"), "{line}");
    assert!(line.contains("unpinned"), "{line}");
}

#[test]
fn exported_functions_work_from_plain_threads_and_before_any_runtime() {
    assert_eq!(std::thread::spawn(|| test_double(21)).join().unwrap(), 42);
    let _ = common::under_emulation();
}

/// Go issue 1328 through `export!`: a C function that uses 64 KiB, then 1 MiB of its
/// (system) stack calls back; the callback runs on the green thread, and the C frame
/// is intact afterwards.
#[test]
fn a_c_function_using_64_kib_and_1_mib_of_stack_calls_back() {
    let rt = Runtime::builder().processors(1).build().unwrap();
    for kib in [64, 1024] {
        let r = rt.block_on(move || {
            // SAFETY: `test_on_green_plus_one` has the callback signature.
            unsafe { facade_cb_big_stack(addr(test_on_green_plus_one), kib, 5) }
        });
        assert_eq!(r, 6, "{kib} KiB of C stack, then a callback");
    }
}

/// Go issue 62440 through `export!`: a C thread calls in from its own stack, from two
/// makecontext stacks and from its own stack again; every call is accepted.
#[test]
fn a_c_thread_calls_in_from_its_own_stack_and_two_makecontext_stacks() {
    // SAFETY: `test_double` has the callback signature.
    let r = unsafe { facade_cb_makecontext_thread(addr(test_double), 5) };
    assert_eq!(r, 4 * 10);
    // The same, with the C thread started from a green thread.
    let rt = Runtime::builder().processors(1).build().unwrap();
    // SAFETY: as above.
    let r = rt.block_on(|| unsafe { facade_cb_makecontext_thread(addr(test_double), 6) });
    assert_eq!(r, 4 * 12);
}

/// A panic in an exported function called by a thread C created: one line naming the
/// function and the payload, then abort (the default policy; nothing above the C
/// frames to propagate to).
#[test]
fn a_panic_on_a_c_created_thread_aborts_naming_the_function() {
    const NAME: &str = "a_panic_on_a_c_created_thread_aborts_naming_the_function";
    if is_child(NAME) {
        let mut ns = 0i64;
        // SAFETY: `test_panics` has the callback signature; `ns` is a valid i64.
        unsafe { facade_cb_thread_loop(addr(test_panics), 1, &mut ns) };
        unreachable!("the panic must abort the process");
    }
    assert_child_aborted_naming_test_panics(NAME);
}

/// 1,000 short-lived C threads (200 under qemu) each calling in once give their
/// contexts back when they exit: the number in use returns to where it was, and the
/// contexts alive stay few (reused, not leaked). Counted in a child process, where no
/// other test starts C threads meanwhile.
#[test]
fn short_lived_c_threads_give_their_contexts_back() {
    const NAME: &str = "short_lived_c_threads_give_their_contexts_back";
    if is_child(NAME) {
        callbacks_from_a_c_thread(1);
        let base = facade::callback::spare_stats();
        let threads = if common::under_emulation() { 200 } else { 1000 };
        for _ in 0..threads {
            callbacks_from_a_c_thread(1);
        }
        let after = facade::callback::spare_stats();
        assert_eq!(after.in_use, base.in_use, "{base:?} -> {after:?}");
        assert!(after.live <= base.live + 2, "{base:?} -> {after:?}");
        eprintln!("contexts given back over {threads} threads");
        return;
    }
    let (err, ok) = child(NAME);
    assert!(ok, "child failed:\n{err}");
    assert!(err.contains("contexts given back"), "{err}");
}

/// The switch points in a callback on a thread C created (no green thread there):
/// `yield_now` and `sleep` act on the OS thread, and the callback returns normally.
#[test]
fn switch_points_in_a_callback_on_a_c_created_thread_act_on_that_thread() {
    let mut ns = 0i64;
    // SAFETY: `test_switch_points` has the callback signature; `ns` is a valid i64.
    let sum = unsafe { facade_cb_thread_loop(addr(test_switch_points), 3, &mut ns) };
    assert_eq!(sum, 1 + 2 + 3);
    assert!(ns >= 3 * 2_000_000, "three 2 ms sleeps took {ns} ns");
}
