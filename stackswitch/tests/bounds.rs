//! System-stack bounds: real bounds (cached), the stack-pointer estimate, the
//! `update_for_callback` decision, nesting snapshots and runtime-thread
//! registration.

use stackswitch::{
    ESTIMATE_ABOVE, ESTIMATE_BELOW, STACK_GUARD, StackBounds, SystemStack, current_sp,
    enter_callback, register_current_thread, remaining_stack, set_system_stack, system_stack,
    thread_stack_bounds, update_for_callback,
};

/// Runs `f` on a fresh thread (fresh per-thread state) with a known stack size.
fn on_fresh_thread<R: Send + 'static>(stack: usize, f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn real_bounds_contain_the_stack_pointer_and_match_the_thread_size() {
    on_fresh_thread(1 << 20, || {
        let b = thread_stack_bounds().expect("glibc reports bounds");
        assert!(b.contains_sp(current_sp()), "{b:x?}");
        // glibc rounds the requested size up (and may hand out a larger cached
        // stack of an exited thread); the guard is outside the bounds.
        assert!(b.size() >= 1 << 20 && b.size() <= 8 << 20, "{}", b.size());
        assert_eq!(thread_stack_bounds(), Some(b), "cached value is stable");
    });
}

#[test]
fn main_like_threads_report_bounds_too() {
    // The test harness thread is a std thread; the bounds of whatever thread
    // runs this are known and contain sp.
    let b = thread_stack_bounds().unwrap();
    assert!(b.contains_sp(current_sp()));
}

#[test]
fn estimate_is_32_kib_below_and_1_kib_above() {
    let e = StackBounds::estimate(0x10_0000);
    assert_eq!(
        e,
        StackBounds {
            lo: 0x10_0000 - 32 * 1024,
            hi: 0x10_0000 + 1024
        }
    );
    assert_eq!((ESTIMATE_BELOW, ESTIMATE_ABOVE), (32 * 1024, 1024));
    assert_eq!(StackBounds::estimate(100).lo, 0, "saturates near zero");
    assert!(e.contains_sp(e.hi) && !e.contains_sp(e.lo), "lo < sp <= hi");
}

#[test]
fn guard_limit_is_lo_plus_the_fixed_guard() {
    let s = SystemStack {
        bounds: StackBounds {
            lo: 0x1000,
            hi: 0x9000,
        },
        accurate: true,
    };
    assert_eq!(STACK_GUARD, 928);
    assert_eq!(s.guard_limit(), 0x1000 + 928);
}

#[test]
fn update_for_callback_follows_the_rules() {
    on_fresh_thread(512 << 10, || {
        let real = thread_stack_bounds().unwrap();
        let sp = current_sp();
        assert_eq!(system_stack(), SystemStack::UNSET);

        // Nothing recorded: re-derive; the real bounds contain sp -> accurate.
        let u = update_for_callback(sp, false);
        assert!(!u.kept && u.changed());
        assert_eq!(
            u.current,
            SystemStack {
                bounds: real,
                accurate: true
            }
        );

        // Accurate and in bounds: kept, unchanged.
        let u = update_for_callback(sp - 100, false);
        assert!(u.kept && !u.changed());

        // A foreign stack (makecontext-like): the real bounds do not contain
        // sp, so they are ignored; estimate, not accurate.
        let foreign = vec![0u8; 64 << 10];
        let fsp = foreign.as_ptr() as usize + (60 << 10);
        let u = update_for_callback(fsp, false);
        assert!(!u.kept && u.changed());
        assert_eq!(
            u.current,
            SystemStack {
                bounds: StackBounds::estimate(fsp),
                accurate: false
            }
        );

        // Inside the estimate but not accurate: re-derived, not kept.
        let u = update_for_callback(fsp - 512, false);
        assert!(!u.kept);
        assert_eq!(u.current.bounds, StackBounds::estimate(fsp - 512));

        // Back on the thread's own stack: accurate again.
        let u = update_for_callback(sp, false);
        assert_eq!(
            u.current,
            SystemStack {
                bounds: real,
                accurate: true
            }
        );

        // In a signal handler the real bounds are never consulted.
        set_system_stack(SystemStack::UNSET);
        let u = update_for_callback(sp, true);
        assert_eq!(
            u.current,
            SystemStack {
                bounds: StackBounds::estimate(sp),
                accurate: false
            }
        );
        drop(foreign);
    });
}

#[test]
fn nested_callbacks_restore_the_outer_bounds() {
    on_fresh_thread(512 << 10, || {
        let sp = current_sp();
        let outer = enter_callback(sp);
        let outer_stack = system_stack();
        assert!(outer_stack.accurate);
        {
            let foreign = vec![0u8; 4096]; // heap: outside the thread's stack
            let inner = enter_callback(foreign.as_ptr() as usize + 4000);
            assert!(inner.update().changed());
            assert!(!system_stack().accurate);
            drop(inner);
            std::hint::black_box(&foreign);
        }
        assert_eq!(system_stack(), outer_stack);
        drop(outer);
        assert_eq!(
            system_stack(),
            SystemStack::UNSET,
            "back to nothing, like dropm"
        );
    });
}

#[test]
fn registered_runtime_thread_has_accurate_bounds_and_room() {
    on_fresh_thread(2 << 20, || {
        let reg = register_current_thread().unwrap();
        let s = reg.system_stack();
        assert!(s.accurate);
        assert_eq!(Some(s.bounds), thread_stack_bounds());
        assert_eq!(system_stack(), s);
        let room = remaining_stack().unwrap();
        assert!(
            room > (2 << 20) - (64 << 10) && room <= (2 << 20) + 4096,
            "{room}"
        );
        assert!(update_for_callback(current_sp(), false).kept);
    });
}
