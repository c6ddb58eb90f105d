//! A context that continues on another OS thread after each switch (what a
//! work-stealing runtime does with its green threads) keeps using the state of
//! the thread it runs on.
//!
//! Regression test for a bug that only optimised builds show: the crate's
//! thread-local accesses were inlined into the caller, and the compiler, which
//! treats a thread-local's address as fixed within a function, computed it
//! once before a loop that also suspends; after a move to another thread the
//! loop recorded its callback state on the old thread (46% of the calls in a
//! two-worker measurement). `cargo xtask ci` runs this file in release mode on
//! every architecture (step `release`); in debug builds it passes either way.

use std::sync::mpsc;

use stackswitch::{
    Context, Resume, SendContext, Stack, Yielder, current_sp, green_thread_waiting, on_green_stack,
    on_system_stack, on_system_stack_leaf, on_system_stack_now, thread_stack_bounds,
};

const ROUNDS: usize = 20_000;

/// What one iteration of the context's loop saw; all `true` when correct.
fn one_round() -> bool {
    // On the system stack of the thread we run on, with this green thread
    // recorded there for a callback.
    let on_system = on_system_stack(|| {
        let here = thread_stack_bounds().is_some_and(|b| b.contains_sp(current_sp()));
        let waiting = green_thread_waiting();
        // The callback lands on the green stack, and a nested call below it.
        let back =
            on_green_stack(|| !on_system_stack_now() && on_system_stack(on_system_stack_now));
        here && waiting && back
    });
    let leaf = on_system_stack_leaf(|| {
        on_system_stack_now() && thread_stack_bounds().is_some_and(|b| b.contains_sp(current_sp()))
    });
    on_system && leaf && !on_system_stack_now()
}

/// A scheduler's yield as green code sees it: a call into another part of
/// the program, which suspends; returns the next resume's argument.
#[inline(never)]
fn switch_point(y: &Yielder) -> usize {
    y.suspend(0)
}

#[test]
fn a_context_moving_between_threads_uses_the_state_of_the_thread_it_runs_on() {
    let ctx: Context<usize> = Context::new(Stack::new(256 * 1024).unwrap(), |y, _| {
        let mut bad = 0;
        for _ in 0..ROUNDS {
            // The shape that showed the bug: the call inlined into a loop that
            // suspends.
            if !on_system_stack(green_thread_waiting) {
                bad += 1;
            }
            switch_point(y);
            if !one_round() {
                bad += 1;
            }
            switch_point(y);
        }
        bad
    });
    // SAFETY: the context's code keeps nothing tied to a thread across a
    // suspend (plain integers only), and `usize` is Send.
    let bad = take_turns(unsafe { ctx.into_send() }, || 0, || 0);
    assert_eq!(
        bad,
        0,
        "{bad} of {} checks saw another thread's state",
        2 * ROUNDS
    );
}

stackswitch::thread_slot! {
    /// A per-thread marker: the address of the resuming thread's own static.
    static MARKER: *const u8 = "stackswitch_migration_test_marker";
}

#[test]
fn a_thread_slot_read_in_a_loop_that_suspends_is_the_running_threads() {
    static A: u8 = 0;
    static B: u8 = 0;
    let ctx: Context<usize> = Context::new(Stack::new(256 * 1024).unwrap(), |y, first| {
        let mut expected = first;
        let mut bad = 0;
        for _ in 0..ROUNDS {
            // Read (inlined, no call) on both sides of a switch, where a
            // compiler may reuse a `thread_local!`'s address computed before
            // the switch. (This toolchain did not: a plain `thread_local!`
            // passes here too. What fails is a slot that is not per thread or
            // not read anew after the move.)
            if MARKER.get() as usize != expected {
                bad += 1;
            }
            // Resumed by the other thread, which says which marker it set.
            expected = switch_point(y);
            if MARKER.get() as usize != expected {
                bad += 1;
            }
            expected = switch_point(y);
        }
        bad
    });
    // Each thread sets its own marker, then resumes the context with it.
    let a = || {
        MARKER.set(&A);
        &raw const A as usize
    };
    let b = || {
        MARKER.set(&B);
        &raw const B as usize
    };
    // SAFETY: as in the first test: plain integers only across a suspend.
    let bad = take_turns(unsafe { ctx.into_send() }, a, b);
    assert_eq!(
        bad,
        0,
        "{bad} of {} reads of a thread_slot! saw another thread's value",
        2 * ROUNDS
    );
}

/// Runs `ctx` to completion on two threads taking turns: this one and a new one,
/// each resuming it with the value its closure returns (`a` here, `b` there), so
/// that every suspend is followed by a resume on the other thread. Returns the
/// context's result.
fn take_turns(
    ctx: SendContext<usize>,
    a: impl Fn() -> usize,
    b: impl Fn() -> usize + Send + 'static,
) -> usize {
    // Handed over through channels.
    let (to_b, from_a) = mpsc::channel::<SendContext<usize>>();
    let (to_a, from_b) = mpsc::channel::<SendContext<usize>>();
    let b = std::thread::spawn(move || {
        while let Ok(mut ctx) = from_a.recv() {
            match ctx.resume(b()) {
                Resume::Suspended(_) => to_a.send(ctx).unwrap(),
                Resume::Returned(bad) => return Some(bad),
                Resume::Panicked(p) => std::panic::resume_unwind(p),
            }
        }
        None
    });
    let mut ctx = ctx;
    let mut a_result = None;
    loop {
        match ctx.resume(a()) {
            Resume::Suspended(_) => to_b.send(ctx).unwrap(),
            Resume::Returned(bad) => {
                a_result = Some(bad);
                drop(to_b);
                break;
            }
            Resume::Panicked(p) => std::panic::resume_unwind(p),
        }
        match from_b.recv() {
            Ok(c) => ctx = c,
            Err(_) => break,
        }
    }
    let b_result = b.join().unwrap();
    a_result
        .or(b_result)
        .expect("the context finished on one thread")
}
