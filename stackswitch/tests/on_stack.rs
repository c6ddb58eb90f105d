//! `on_stack`: results, panics, deep recursion, remaining-stack accounting.

use std::hint::black_box;

use stackswitch::{Stack, on_stack, on_stack_raw, remaining_stack};

/// Recursion with a 1 KiB frame per level; returns the depth reached.
#[inline(never)]
fn recurse(n: usize) -> usize {
    let buf = black_box([n as u8; 1024]);
    if n == 0 {
        buf[0] as usize
    } else {
        1 + recurse(black_box(n - 1)) + buf[1023] as usize - (n as u8) as usize
    }
}

#[test]
fn returns_the_closure_result() {
    let mut stack = Stack::new(64 * 1024).unwrap();
    #[allow(clippy::useless_vec)]
    let v = vec![1, 2, 3]; // heap data owned by the caller, read on the other stack
    let sum: i32 = on_stack(&mut stack, || v.iter().sum());
    assert_eq!(sum, 6);
}

#[test]
fn runs_on_the_given_stack() {
    let mut stack = Stack::new(64 * 1024).unwrap();
    let bounds = stack.bounds();
    let sp = on_stack(&mut stack, stackswitch::current_sp);
    assert!(bounds.contains_sp(sp), "sp {sp:#x} not in {bounds:?}");
    assert!(!bounds.contains_sp(stackswitch::current_sp()));
}

#[test]
fn deep_recursion_of_more_than_one_mib() {
    let mut stack = Stack::new(8 << 20).unwrap();
    // 2048 levels of >= 1 KiB frames: at least 2 MiB of frames.
    let (depth, low_water) = on_stack(&mut stack, || {
        let before = remaining_stack().unwrap();
        let d = recurse(2048);
        (d, before)
    });
    assert_eq!(depth, 2048);
    assert!(low_water <= 8 << 20 && low_water > (8 << 20) - 4096);
}

#[test]
fn panic_reaches_the_caller() {
    let mut stack = Stack::new(64 * 1024).unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        on_stack(&mut stack, || -> u32 { panic!("boom on the other stack") })
    }));
    let payload = r.unwrap_err();
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"boom on the other stack")
    );
    // The stack is still usable afterwards.
    assert_eq!(on_stack(&mut stack, || 7), 7);
}

#[test]
fn remaining_stack_measures_the_switched_stack() {
    let mut stack = Stack::new(256 * 1024).unwrap();
    let outer = remaining_stack();
    let inner = on_stack(&mut stack, || remaining_stack().unwrap());
    assert!(inner <= 256 * 1024 && inner > 250 * 1024, "{inner}");
    assert_eq!(remaining_stack().is_some(), outer.is_some());
}

#[test]
fn nested_on_stack_on_two_stacks() {
    let mut a = Stack::new(64 * 1024).unwrap();
    let mut b = Stack::new(64 * 1024).unwrap();
    let (ba, bb) = (a.bounds(), b.bounds());
    let (sa, sb) = on_stack(&mut a, || {
        let sa = stackswitch::current_sp();
        let sb = on_stack(&mut b, stackswitch::current_sp);
        (sa, sb)
    });
    assert!(ba.contains_sp(sa) && bb.contains_sp(sb));
}

#[test]
fn raw_variant_on_caller_managed_memory() {
    let mut mem = vec![0u128; 4096]; // 64 KiB, 16-byte aligned
    let lo = mem.as_mut_ptr() as usize;
    let hi = lo + 64 * 1024;
    // SAFETY: `mem` is writable, unused while the call runs and large enough
    // for this closure (it uses a few hundred bytes).
    let sp = unsafe { on_stack_raw(hi, lo, stackswitch::current_sp) };
    assert!(lo < sp && sp <= hi);
    drop(mem);
}

/// `on_stack` records nothing: `remaining_stack` finds a `Stack` by address and keeps
/// what it found. A stack freed and another mapped (often at the same address, with
/// another size) must not be measured with the first one's bounds.
#[test]
fn remaining_stack_follows_stacks_freed_and_mapped_again() {
    for round in 0..8 {
        for size in [256 * 1024, 64 * 1024, 128 * 1024, 32 * 1024] {
            let mut stack = Stack::new(size).unwrap();
            let b = stack.bounds();
            let (sp, room) = on_stack(&mut stack, || {
                // Twice: the second query is answered from what the first found.
                let first = remaining_stack().unwrap();
                let sp = stackswitch::current_sp();
                let second = remaining_stack().unwrap();
                assert!(first.abs_diff(second) < 512, "{first} {second}");
                (sp, second)
            });
            assert!(b.contains_sp(sp), "round {round}: {sp:#x} outside {b:?}");
            assert!(
                room <= size && room + 2048 > sp - b.lo && room > size - 4096,
                "round {round}, size {size}: {room} bytes left reported"
            );
        }
    }
}

#[test]
fn remaining_stack_in_nested_on_stacks_measures_the_innermost() {
    let mut a = Stack::new(512 * 1024).unwrap();
    let mut b = Stack::new(64 * 1024).unwrap();
    let (outer_before, inner, outer_after) = on_stack(&mut a, || {
        let before = remaining_stack().unwrap();
        let inner = on_stack(&mut b, || remaining_stack().unwrap());
        (before, inner, remaining_stack().unwrap())
    });
    assert!(outer_before > 500 * 1024, "{outer_before}");
    assert!(inner <= 64 * 1024 && inner > 60 * 1024, "{inner}");
    assert!(
        outer_after.abs_diff(outer_before) < 512,
        "{outer_before} {outer_after}"
    );
}

/// `on_stack_raw` on memory the crate did not allocate (not registered) records its
/// range, so `remaining_stack` measures it.
#[test]
fn remaining_stack_on_caller_managed_memory() {
    let mut mem = vec![0u128; 64 * 1024 / 16];
    let lo = mem.as_mut_ptr() as usize;
    let hi = lo + 64 * 1024;
    // SAFETY: `mem` is 64 KiB of writable memory that nothing else uses; the closure
    // needs far less.
    let room = unsafe { on_stack_raw(hi, lo, || remaining_stack().unwrap()) };
    assert!(room < 64 * 1024 && room > 60 * 1024, "{room}");
}
