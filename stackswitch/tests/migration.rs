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
/// the program, which suspends.
#[inline(never)]
fn switch_point(y: &Yielder) {
    y.suspend(0);
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
    let ctx: SendContext<usize> = unsafe { ctx.into_send() };
    // Two threads take turns resuming it, handing it over through channels,
    // so every suspend is followed by a resume on the other thread.
    let (to_b, from_a) = mpsc::channel::<SendContext<usize>>();
    let (to_a, from_b) = mpsc::channel::<SendContext<usize>>();
    let b = std::thread::spawn(move || {
        while let Ok(mut ctx) = from_a.recv() {
            match ctx.resume(0) {
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
        match ctx.resume(0) {
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
    let bad = a_result
        .or(b_result)
        .expect("the context finished on one thread");
    assert_eq!(
        bad,
        0,
        "{bad} of {} checks saw another thread's state",
        2 * ROUNDS
    );
}
