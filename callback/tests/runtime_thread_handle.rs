//! `RuntimeThread`: a runtime worker's handles, looked up once. Foreign calls and
//! callbacks made through it behave as the looked-up forms (`call_foreign_on`,
//! `callback`): the same record, accounting, nesting and `nocallback` refusal; a
//! foreign thread's extra context gets no handle.
// The C programs these scenarios use are built for Linux only (see build.rs).
#![cfg(target_os = "linux")]

mod common;

use std::cell::RefCell;
use std::os::raw::c_int;

use callback::{ForeignFn, Green, RuntimeThread, call_foreign, with_current};
use common::*;
use syscall_accounting::{CallKind, NoScheduler, Procs, thread_calls};

thread_local! {
    /// The test thread's handle, for the exported functions C calls back (a runtime
    /// keeps it in its worker state instead).
    static HANDLE: RefCell<Option<RuntimeThread>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's handle, made on first use.
fn with_handle<R>(f: impl FnOnce(&RuntimeThread) -> R) -> R {
    HANDLE.with(|h| {
        let mut h = h.borrow_mut();
        // SAFETY: this thread-local is only read by the test code of this thread, never
        // from its exit-time destructors.
        let rt = h.get_or_insert_with(|| unsafe { RuntimeThread::current() }.unwrap());
        f(rt)
    })
}

/// What a callback through the handle saw: calls in flight, depth, in foreign code.
type Seen = (u32, u32, bool);

extern "C" fn probe(x: c_int) -> c_int {
    // Not through `with_handle`: the handle's `RefCell` is borrowed by the outer call.
    // SAFETY: used on this thread, during this callback only.
    let rt = unsafe { RuntimeThread::current() }.unwrap();
    rt.callback("probe", || {
        let seen: Seen = with_current(|m| {
            let m = m.unwrap();
            (
                m.foreign_calls_in_flight(),
                m.callback_depth(),
                m.in_foreign_code(),
            )
        });
        SEEN.with(|s| s.borrow_mut().push(seen));
        if x > 0 {
            // A foreign call from inside the callback, and a callback from that one.
            // SAFETY: `probe` matches `Cb`.
            return call_foreign(&const { ForeignFn::new("cbt_call") }, || unsafe {
                cbt_call(probe, x - 1)
            }) + 1;
        }
        x
    })
}

thread_local! {
    static SEEN: RefCell<Vec<Seen>> = const { RefCell::new(Vec::new()) };
}

#[test]
fn calls_and_callbacks_through_the_handle_match_the_looked_up_forms() {
    init();
    let procs = Procs::new(1, NoScheduler).unwrap();
    let mut p = procs.acquire();
    std::thread::spawn(move || {
        let before = thread_calls();
        let (id, here_id) = with_handle(|rt| {
            let id = rt.context().id();
            // The handle's context is the thread's installed one.
            (id, with_current(|m| m.unwrap().id()))
        });
        assert_eq!(id, here_id);
        let r = with_handle(|rt| {
            rt.call_foreign_on(
                &mut p,
                CallKind::Lazy,
                &const { ForeignFn::new("cbt_call") },
                // SAFETY: `probe` matches `Cb`.
                || unsafe { cbt_call(probe, 2) },
            )
        });
        // probe(0) = 0; each level above adds 1 (cbt_call returns its callback's value).
        assert_eq!(r, 2);
        // Each callback: out of foreign code, one more call in flight and one level
        // deeper than the one that made its foreign call.
        let seen = SEEN.with(|s| s.take());
        assert_eq!(seen, vec![(1, 1, false), (2, 2, false), (3, 3, false)]);
        // Everything undone; the handle's call is counted through its `ThreadCalls` (the
        // nested `call_foreign`s account on no processor of this thread).
        with_current(|m| {
            let m = m.unwrap();
            assert_eq!(m.foreign_calls_in_flight(), 0);
            assert_eq!(m.callback_depth(), 0);
            assert!(!m.in_foreign_code());
        });
        assert!(!p.in_foreign());
        assert_eq!(thread_calls() - before, 1);
    })
    .join()
    .unwrap();
}

extern "C" fn refused(_: c_int) -> c_int {
    with_handle(|rt| rt.callback("refused", || 0))
}

#[test]
fn a_nocallback_call_refuses_a_callback_through_the_handle() {
    if std::env::var_os("CBT_CHILD_HANDLE_NOCALLBACK").is_some() {
        init();
        let procs = Procs::new(1, NoScheduler).unwrap();
        let mut p = procs.acquire();
        // SAFETY: used on this thread only, dropped before it exits.
        let rt = unsafe { RuntimeThread::current() }.unwrap();
        rt.call_foreign_on(
            &mut p,
            CallKind::Lazy,
            &const { ForeignFn::nocallback("cbt_call") },
            // SAFETY: `refused` matches `Cb`.
            || unsafe { cbt_call(refused, 0) },
        );
        unreachable!("the callback must abort");
    }
    let err = stderr_of_dead_child(
        "a_nocallback_call_refuses_a_callback_through_the_handle",
        "CBT_CHILD_HANDLE_NOCALLBACK",
    );
    assert!(
        err.contains(
            "callback: exported function `refused` was called from C function `cbt_call`, \
             which is marked nocallback"
        ),
        "{err}"
    );
}

extern "C" fn no_handle_here(_: c_int) -> c_int {
    callback::callback("no_handle_here", || {
        // SAFETY: not kept; only asked for.
        let none = unsafe { RuntimeThread::current() }.is_none();
        let extra = with_current(|m| m.unwrap().is_extra());
        c_int::from(none && extra)
    })
}

#[test]
fn a_foreign_threads_extra_context_gets_no_handle() {
    init();
    // SAFETY: `no_handle_here` matches `Cb`; the C thread is joined before returning.
    // Each of the 3 callbacks adds 1 when it got no handle (cbt_thread_loop sums them).
    let got = unsafe { cbt_thread_loop(no_handle_here, 3, 0) };
    assert_eq!(got, 3);
}

thread_local! {
    /// Lock count kept by `locking_probe`'s closures, and how often `lock` ran.
    static LOCKED: std::cell::Cell<(u32, u32)> = const { std::cell::Cell::new((0, 0)) };
    /// What each `locking_probe` level saw: its green thread and the lock count.
    static GREENS: RefCell<Vec<(Option<Green>, u32)>> = const { RefCell::new(Vec::new()) };
}

const LOCKED_GREEN: Green = Green(std::num::NonZeroUsize::new(0x40).unwrap());

extern "C" fn locking_probe(level: c_int) -> c_int {
    // SAFETY: used on this thread, during this callback only.
    let rt = unsafe { RuntimeThread::current() }.unwrap();
    rt.callback_locking(
        "locking_probe",
        || {
            LOCKED.with(|l| l.set((l.get().0 + 1, l.get().1 + 1)));
            Some(LOCKED_GREEN)
        },
        |g| {
            assert_eq!(g, LOCKED_GREEN);
            LOCKED.with(|l| l.set((l.get().0 - 1, l.get().1)));
        },
        || {
            let green = with_current(|m| m.unwrap().green());
            GREENS.with(|s| s.borrow_mut().push((green, LOCKED.with(|l| l.get().0))));
            if level > 0 {
                // SAFETY: `locking_probe` matches `Cb`.
                return call_foreign(&const { ForeignFn::new("cbt_call") }, || unsafe {
                    cbt_call(locking_probe, level - 1)
                });
            }
            0
        },
    )
}

#[test]
fn callback_locking_locks_once_per_outermost_callback_with_the_callers_closures() {
    init();
    std::thread::spawn(|| {
        // A callback outside any foreign call (Rust calling the function directly): the
        // outermost callback locks too, so its body cannot continue on another thread.
        assert_eq!(locking_probe(0), 0);
        assert_eq!(LOCKED.with(|l| l.get()), (0, 1));
        // Inside a foreign call: the outermost callback locks, the nested one (inside a
        // foreign call the first made) does not, and sees the same green thread.
        // SAFETY: `locking_probe` matches `Cb`.
        call_foreign(&const { ForeignFn::new("cbt_call") }, || unsafe {
            cbt_call(locking_probe, 1)
        });
        let seen = GREENS.with(|s| s.take());
        assert_eq!(
            seen,
            vec![
                (Some(LOCKED_GREEN), 1),
                (Some(LOCKED_GREEN), 1),
                (Some(LOCKED_GREEN), 1)
            ]
        );
        // Unlocked again, and `lock` ran once per outermost callback.
        assert_eq!(LOCKED.with(|l| l.get()), (0, 2));
        assert_eq!(with_current(|m| m.unwrap().green()), None);
    })
    .join()
    .unwrap();
}
