//! Ports Go's `TestZeroArgCallback` (`cmd/cgo/internal/test/callback.go`): C
//! calls back a function that takes no arguments, whose body allocates in a
//! loop; Go's bug was a callback entered on a misaligned stack. Here every way
//! this crate reaches C code, or comes back from it, is checked for the ABI's
//! 16-byte stack alignment at the C function's entry (its canonical frame
//! address mod 16, see `tests/c/zero_arg_callback.c`): a call on the system
//! stack from a green thread (all three switch flavours), `on_stack`, a call
//! straight from the green stack, and, inside a zero-argument callback from C,
//! a call below the C frames, on the green stack, and on the system stack again
//! from the green stack (the nested switch below the C frames).

#![cfg(target_os = "linux")]

use std::hint::black_box;
use std::sync::Mutex;

use stackswitch::{
    Context, Resume, Stack, on_green_stack, on_green_stack_nounwind, on_stack, on_system_stack,
    on_system_stack_leaf, on_system_stack_nounwind,
};

type ZeroArg = extern "C" fn();

#[link(name = "stackswitch_ctests", kind = "static")]
unsafe extern "C" {
    fn ss_entry_misalignment() -> usize;
    fn ss_call_zero_arg(cb: ZeroArg) -> usize;
}

/// What each path saw: (path, CFA mod 16 at the C entry).
static SEEN: Mutex<Vec<(&'static str, usize)>> = Mutex::new(Vec::new());

fn record(path: &'static str, misalignment: usize) {
    SEEN.lock().unwrap().push((path, misalignment));
}

fn c_entry() -> usize {
    // SAFETY: a C function with no arguments and no preconditions.
    unsafe { ss_entry_misalignment() }
}

/// The callback: no arguments, so everything it reports goes through `SEEN`.
extern "C" fn zero_arg() {
    // Go's body: allocations in a loop (each boxes its argument).
    let mut x = 1usize;
    for i in 0..10_000usize {
        let v: Vec<Box<dyn std::any::Any>> = vec![Box::new(x), Box::new(i), Box::new(x)];
        x = *black_box(&v)[0].downcast_ref::<usize>().unwrap();
    }
    assert_eq!(x, 1, "bad x");
    record("callback: below the C frames", c_entry());
    record("callback: on the green stack", on_green_stack(c_entry));
    record(
        "callback: on the green stack, no catching frame",
        on_green_stack_nounwind(c_entry),
    );
    record(
        "callback: on the green stack, then the system stack again",
        on_green_stack(|| on_system_stack(c_entry)),
    );
}

#[test]
fn every_c_entry_and_callback_runs_on_a_16_byte_aligned_stack() {
    SEEN.lock().unwrap().clear();
    record("a plain thread", c_entry());
    let mut big = Stack::new(64 * 1024).unwrap();
    record("on_stack", on_stack(&mut big, c_entry));
    let mut g = Context::new(Stack::new(256 * 1024).unwrap(), |_, _| {
        record("the green stack", c_entry());
        record("on_system_stack", on_system_stack(c_entry));
        record(
            "on_system_stack_nounwind",
            on_system_stack_nounwind(c_entry),
        );
        record("on_system_stack_leaf", on_system_stack_leaf(c_entry));
        // Odd-sized Rust frames between the switch and C change nothing.
        let pad = black_box([0u8; 24]);
        record(
            "on_system_stack, then C calling back",
            on_system_stack(|| {
                // SAFETY: `zero_arg` has the C signature the function expects.
                unsafe { ss_call_zero_arg(zero_arg) }
            }),
        );
        black_box(pad);
    });
    assert!(matches!(g.resume(0), Resume::Returned(())));
    let seen = SEEN.lock().unwrap().clone();
    assert_eq!(seen.len(), 11, "every path reported: {seen:?}");
    let bad: Vec<_> = seen.iter().filter(|(_, m)| *m != 0).collect();
    assert!(
        bad.is_empty(),
        "misaligned C entries: {bad:?} (all: {seen:?})"
    );
}
