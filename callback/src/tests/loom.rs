//! Loom models of the crate's atomic protocols: the spare list's lock-bit protocol (take,
//! put, a held list, replenish) and the initialisation gate.
//!
//! Run with
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=/work/target-loom-cb cargo test -p callback --release --lib loom`.
//! The models run the crate's real `SpareList` and `Gate` code; only their atomics,
//! mutex and condition variable are loom's (see `primitive`).

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use crate::extra::SpareList;
use crate::runtime::Gate;

/// Runs `f` under loom with a preemption bound that keeps the models to seconds.
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(3);
    b.check(f);
}

/// Takes a spare unless it is the last or, when the list is short, empty or held,
/// creates one (what attach does).
fn take_or_create(list: &SpareList) -> *mut crate::context::ThreadContext {
    list.take_unless_last()
        .unwrap_or_else(|| list.create_in_use())
}

/// Takes any spare, the last included, or creates one (what a callback that borrows a
/// context for a signal handler does).
fn borrow(list: &SpareList) -> *mut crate::context::ThreadContext {
    match list.take() {
        Some((m, _)) => m,
        None => list.create_in_use(),
    }
}

/// Checks the counters while the contexts `held` are held, returns them, and frees
/// every spare: each must be reachable from the head exactly once (a lost or duplicated
/// link shows as a count mismatch or a double free), and nothing may stay alive.
fn return_and_drain(list: &SpareList, held: &[usize]) {
    let s = list.stats();
    assert_eq!(s.in_use as usize, held.len(), "{s:?}");
    assert_eq!(s.live as usize, s.spare as usize + held.len(), "{s:?}");
    for &m in held {
        // SAFETY: each context is held by the model's main thread alone now.
        unsafe { list.put(m as *mut _) };
    }
    let s = list.stats();
    assert_eq!(s.in_use, 0, "{s:?}");
    assert_eq!(list.drain(), s.spare, "{s:?}");
    assert_eq!(list.stats().live, 0);
}

/// Two threads attach (take or create) while a third returns a context (put), on a list
/// seeded with one spare: the two attached threads never hold the same context, no
/// context is lost or freed twice, and the counters add up.
#[test]
fn loom_spare_list_take_and_put_never_lose_a_context() {
    model(|| {
        let list = Arc::new(SpareList::new());
        list.seed();
        let returning = list.create_in_use() as usize;
        let takers: Vec<_> = (0..2)
            .map(|_| {
                let list = list.clone();
                thread::spawn(move || take_or_create(&list) as usize)
            })
            .collect();
        // SAFETY: created above and handed to nobody else; installed nowhere.
        unsafe { list.put(returning as *mut _) };
        let held: Vec<usize> = takers.into_iter().map(|t| t.join().unwrap()).collect();
        // Both are still held: one context handed to both threads would show here.
        assert_ne!(held[0], held[1], "one context was handed to two threads");
        return_and_drain(&list, &held);
    });
}

/// A taker never waits on a list held by another thread (Go's NeedmDeadlock case): while
/// one thread holds the list, a second attaches and a third returns a context; both
/// finish whatever the interleaving (loom reports a deadlock otherwise), the returner
/// freeing its context if the list stays held, and the list is consistent afterwards.
#[test]
fn loom_held_spare_list_never_blocks_take_or_put() {
    model(|| {
        let list = Arc::new(SpareList::new());
        list.seed();
        let returned = list.create_in_use();
        let returned = returned as usize;

        let holder = {
            let list = list.clone();
            thread::spawn(move || {
                // Hold the list for a moment, as an attaching thread does between its
                // CAS and its unlock.
                loop {
                    if let Ok(head) = list.try_lock(true) {
                        thread::yield_now();
                        list.unlock(head);
                        break;
                    }
                    thread::yield_now();
                }
            })
        };
        let taker = {
            let list = list.clone();
            thread::spawn(move || take_or_create(&list) as usize)
        };
        let putter = {
            let list = list.clone();
            thread::spawn(move || {
                // SAFETY: created above for this thread alone, installed nowhere.
                unsafe { list.put(returned as *mut _) };
            })
        };
        holder.join().unwrap();
        putter.join().unwrap();
        return_and_drain(&list, &[taker.join().unwrap()]);
    });
}

/// The spare list is replenished concurrently with a taker: every context created is
/// either on the list or held, never both, and none is lost.
#[test]
fn loom_replenish_races_with_take() {
    model(|| {
        let list = Arc::new(SpareList::new());
        let taker = {
            let list = list.clone();
            thread::spawn(move || take_or_create(&list) as usize)
        };
        list.replenish();
        return_and_drain(&list, &[taker.join().unwrap()]);
    });
}

/// An attach and a borrowing callback race on a list seeded with one spare while a
/// third thread returns a context without freeing it (`put_no_free`, what a borrowed
/// context does while its thread attaches or detaches): the attach never takes the
/// last spare (it creates instead, so the borrower never has to allocate when it comes
/// second), nobody gets a context twice, and `trim` brings the list back under the cap.
#[test]
fn loom_attach_leaves_the_last_spare_for_a_borrowing_callback() {
    model(|| {
        let list = Arc::new(SpareList::new());
        list.seed();
        let returned = list.create_in_use() as usize;
        let attacher = {
            let list = list.clone();
            thread::spawn(move || take_or_create(&list) as usize)
        };
        let borrower = {
            let list = list.clone();
            thread::spawn(move || borrow(&list) as usize)
        };
        // SAFETY: created above for this thread alone, installed nowhere.
        let pushed = unsafe { list.put_no_free(returned as *mut _) };
        let a = attacher.join().unwrap();
        let b = borrower.join().unwrap();
        assert_ne!(a, b, "one context was handed to two threads");
        let mut held = vec![a, b];
        if !pushed {
            held.push(returned);
        }
        list.trim();
        assert!(list.stats().spare <= crate::extra::SPARE_CAP);
        return_and_drain(&list, &held);
    });
}

/// `take_unless_last` on a list holding exactly one spare leaves it there.
#[test]
fn loom_take_unless_last_keeps_the_last_spare() {
    model(|| {
        let list = SpareList::new();
        list.seed();
        assert!(list.take_unless_last().is_none());
        assert_eq!(list.stats().spare, 1);
        assert_eq!(list.drain(), 1);
    });
}

/// The initialisation gate: a callback that arrives before `init` either sees the gate
/// open on its one-load check or waits; either way it sees what was written before the
/// gate opened (the registered runtime), and it never sleeps through the opening.
#[test]
fn loom_init_gate_releases_early_callbacks_with_the_runtime_visible() {
    model(|| {
        let gate = Arc::new(Gate::new());
        let runtime = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let gate = gate.clone();
                let runtime = runtime.clone();
                thread::spawn(move || {
                    if !gate.is_open() {
                        gate.wait();
                    }
                    // Relaxed: the gate is what must order the write before this read.
                    assert_eq!(runtime.load(Ordering::Relaxed), 42);
                })
            })
            .collect();
        // Relaxed: published by `open`.
        runtime.store(42, Ordering::Relaxed);
        gate.open();
        for w in waiters {
            w.join().unwrap();
        }
        assert!(gate.is_open());
    });
}
