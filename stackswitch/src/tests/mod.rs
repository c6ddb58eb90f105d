//! Internal tests: the guard-range registry and the overflow message.

use crate::overflow::{Kind, Report, format_report, lookup, register};

#[test]
fn registry_finds_registered_ranges_and_forgets_dropped_ones() {
    // Addresses that no real mapping of this test uses (the top of the
    // canonical lower half, page aligned).
    let base = 0x7fff_0000_0000usize;
    let a = register(
        (base, base + 0x1000),
        (base + 0x1000, base + 0x9000),
        Kind::Green(7),
    );
    let b = register(
        (base + 0x10000, base + 0x11000),
        (base + 0x11000, base + 0x21000),
        Kind::System(42),
    );
    assert_eq!(
        lookup(base),
        Some((Kind::Green(7), base + 0x1000, base + 0x9000))
    );
    assert_eq!(
        lookup(base + 0xfff),
        Some((Kind::Green(7), base + 0x1000, base + 0x9000))
    );
    assert_eq!(
        lookup(base + 0x1000),
        None,
        "the usable range is not the guard"
    );
    assert_eq!(lookup(base + 0x10800).map(|e| e.0), Some(Kind::System(42)));
    drop(a);
    assert_eq!(lookup(base), None);
    assert!(lookup(base + 0x10000).is_some());
    drop(b);
    assert_eq!(lookup(base + 0x10000), None);
}

#[test]
fn report_names_the_stack_its_bounds_and_size() {
    let line = format_report(Report::Green(3), 0x10000, 0x20000, 0xfff8);
    assert_eq!(
        std::str::from_utf8(line.as_bytes()).unwrap(),
        "stackswitch: stack overflow on green-thread stack #3 [0x10000, 0x20000) of 64 KiB \
         (fault at 0xfff8); run this code on a larger Stack; aborting\n"
    );
    let line = format_report(Report::Thread(0), 0, usize::MAX, 0);
    let text = std::str::from_utf8(line.as_bytes()).unwrap();
    assert!(
        text.starts_with(
            "stackswitch: stack overflow on the system stack of thread 0 [0x0, 0xffffffffffffffff)"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("give this thread a larger stack; aborting\n"),
        "{text}"
    );
}

/// The calling thread's alternate signal stack: `(ss_sp, ss_size)`, or `None`
/// when disabled.
fn current_alt_stack() -> Option<(usize, usize)> {
    // SAFETY: querying with a null new stack only writes `cur`.
    let cur = unsafe {
        let mut cur: libc::stack_t = core::mem::zeroed();
        libc::sigaltstack(core::ptr::null(), &mut cur);
        cur
    };
    (cur.ss_flags & libc::SS_DISABLE == 0).then_some((cur.ss_sp as usize, cur.ss_size))
}

/// Disables the calling thread's alternate stack (the standard library's, if
/// any: it only unmaps its memory at thread exit), so it looks like a C thread.
fn disable_alt_stack() {
    let off = libc::stack_t {
        ss_sp: core::ptr::null_mut(),
        ss_flags: libc::SS_DISABLE,
        ss_size: 0,
    };
    // SAFETY: sigaltstack with valid pointers only changes this thread's
    // alternate stack; nothing of ours runs on it.
    unsafe { libc::sigaltstack(&off, core::ptr::null_mut()) };
}

/// A thread without an alternate stack (like a C thread) that gets one from
/// `ensure_signal_stack`; returns where it was.
fn thread_given_alt_stack() -> usize {
    std::thread::spawn(|| {
        disable_alt_stack();
        assert_eq!(current_alt_stack(), None);
        crate::ensure_signal_stack().unwrap();
        let (sp, size) = current_alt_stack().expect("an alternate stack after ensure_signal_stack");
        assert_eq!(size, 64 * 1024);
        crate::ensure_signal_stack().unwrap(); // known now: unchanged
        assert_eq!(current_alt_stack(), Some((sp, size)));
        sp
    })
    .join()
    .unwrap()
}

/// Serialises the tests that take and give back pooled alternate stacks, so
/// each sees the pool as it left it.
static ALT_POOL_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn alt_stack_of_an_exited_thread_is_pooled_and_reused() {
    let _serial = ALT_POOL_TESTS.lock().unwrap_or_else(|p| p.into_inner());

    let page = crate::os::Imp::page_size();
    let first = thread_given_alt_stack();
    // Given back at thread exit (disabled there), not unmapped.
    assert!(crate::overflow::alt_pool_contents().contains(&(first - page)));
    let second = thread_given_alt_stack();
    // The other pool test is held off (ALT_POOL_TESTS), so the pooled one is
    // the one handed out next.
    assert_eq!(first, second);
    assert!(crate::overflow::alt_pool_contents().contains(&(second - page)));
}

#[test]
fn thread_with_its_own_alt_stack_keeps_it_when_the_pool_has_one() {
    let _serial = ALT_POOL_TESTS.lock().unwrap_or_else(|p| p.into_inner());

    let page = crate::os::Imp::page_size();
    // Make sure the pool holds a stack, then meet a thread that has its own.
    let pooled = thread_given_alt_stack();
    std::thread::spawn(move || {
        let mut own = vec![0u8; 64 * 1024];
        let st = libc::stack_t {
            ss_sp: own.as_mut_ptr().cast(),
            ss_flags: 0,
            ss_size: own.len(),
        };
        // SAFETY: `own` outlives every use: it is disabled again below, before
        // the buffer is dropped.
        unsafe { libc::sigaltstack(&st, core::ptr::null_mut()) };
        crate::ensure_signal_stack().unwrap();
        assert_eq!(
            current_alt_stack(),
            Some((own.as_ptr() as usize, own.len())),
            "the thread's own alternate stack was replaced"
        );
        assert!(crate::overflow::alt_pool_contents().contains(&(pooled - page)));
        let off = libc::stack_t {
            ss_sp: core::ptr::null_mut(),
            ss_flags: libc::SS_DISABLE,
            ss_size: 0,
        };
        // SAFETY: disables the alternate stack set above.
        unsafe { libc::sigaltstack(&off, core::ptr::null_mut()) };
    })
    .join()
    .unwrap();
}

/// A std thread with its alternate stack disabled (as a C thread has none)
/// that registers, drops the registration, registers again; returns its
/// `pthread_t` token and the alternate stack its registration installed.
fn registered_thread_round_trip() -> (usize, usize) {
    std::thread::spawn(|| {
        disable_alt_stack();
        let me = crate::overflow::self_token();
        let reg = crate::register_current_thread().unwrap();
        let (sp, size) = current_alt_stack().expect("registration installs an alternate stack");
        assert_eq!(size, 64 * 1024);
        let map = sp - crate::os::Imp::page_size();
        drop(reg);
        // Left installed and parked, no system call.
        assert_eq!(current_alt_stack(), Some((sp, size)));
        assert!(crate::overflow::parked_contents().contains(&(me, map)));
        // Registering again takes it back.
        let reg = crate::register_current_thread().unwrap();
        assert_eq!(current_alt_stack(), Some((sp, size)));
        assert!(!crate::overflow::parked_contents().contains(&(me, map)));
        drop(reg);
        assert!(crate::overflow::parked_contents().contains(&(me, map)));
        (me, sp)
    })
    .join()
    .unwrap()
}

use crate::os::OsImp;

#[test]
fn registration_parks_its_alt_stack_for_itself_and_for_its_descriptors_next_thread() {
    let _serial = ALT_POOL_TESTS.lock().unwrap_or_else(|p| p.into_inner());
    // glibc gives an exited thread's cached stack, and so its pthread_t, to
    // the next thread of the same stack size: sequential threads meet one.
    let mut last = registered_thread_round_trip();
    let mut reused = 0;
    for _ in 0..8 {
        let next = registered_thread_round_trip();
        if next.0 == last.0 {
            assert_eq!(
                next.1, last.1,
                "a thread with an exited thread's pthread_t takes its parked stack"
            );
            reused += 1;
        }
        last = next;
    }
    assert!(reused > 0, "no thread reused an exited thread's pthread_t");
}

#[test]
fn nested_registrations_share_the_guard_until_the_last_is_dropped() {
    std::thread::spawn(|| {
        let a = crate::register_current_thread().unwrap();
        let b = crate::register_current_thread().unwrap();
        assert_eq!(a.system_stack(), b.system_stack());
        let s = a.system_stack();
        assert!(s.accurate);
        let below = s.bounds.lo - 1;
        let found = lookup(below).expect("the guard below the thread's stack is registered");
        assert_eq!((found.1, found.2), (s.bounds.lo, s.bounds.hi));
        assert_eq!(found.0, Kind::System(crate::overflow::self_token()));
        drop(a);
        assert!(lookup(below).is_some(), "dropped with a registration alive");
        drop(b);
        assert_eq!(lookup(below), None);
    })
    .join()
    .unwrap();
}

/// A pthread with the given attributes running `f`, joined.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn on_pthread(attr: &mut libc::pthread_attr_t, f: fn()) {
    extern "C" fn run(f: *mut libc::c_void) -> *mut libc::c_void {
        // SAFETY: `f` is the `fn()` passed to pthread_create below.
        let f: fn() = unsafe { core::mem::transmute::<*mut libc::c_void, fn()>(f) };
        f();
        core::ptr::null_mut()
    }
    let mut t = core::mem::MaybeUninit::<libc::pthread_t>::uninit();
    // SAFETY: `attr` is an initialised attribute object; `run` receives a valid
    // `fn()` and does not unwind (a failed assertion aborts the process, which
    // fails the test); the thread is joined before returning.
    unsafe {
        assert_eq!(
            libc::pthread_create(t.as_mut_ptr(), attr, run, f as *mut libc::c_void),
            0
        );
        assert_eq!(
            libc::pthread_join(t.assume_init(), core::ptr::null_mut()),
            0
        );
    }
}

/// Asserts, on the calling thread, that the OS layer's bounds are exactly
/// `pthread_getattr_np`'s; aborts otherwise (it runs on C-created threads too).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn bounds_agree_with_getattr() {
    let ours = crate::os::Imp::thread_stack();
    let theirs = crate::os::bounds_from_getattr();
    if ours != theirs || ours.is_none() {
        eprintln!("thread_stack {ours:x?} != pthread_getattr_np {theirs:x?}");
        std::process::abort();
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn descriptor_read_bounds_equal_pthread_getattr_np_for_every_kind_of_thread() {
    // Threads of several sizes and guards, and threads on stacks the program
    // supplies: the first few teach the layout, the rest read it, and every one
    // must get exactly what pthread_getattr_np reports.
    for round in 0..3 {
        for (size, guard) in [
            (0, None),
            (64 << 10, None),
            (1 << 20, Some(12345)),
            (200_000, Some(0)),
        ] {
            // SAFETY: an attribute object initialised, set, used and destroyed here.
            unsafe {
                let mut attr = core::mem::zeroed();
                libc::pthread_attr_init(&mut attr);
                if size != 0 {
                    libc::pthread_attr_setstacksize(&mut attr, size);
                }
                if let Some(g) = guard {
                    libc::pthread_attr_setguardsize(&mut attr, g);
                }
                on_pthread(&mut attr, bounds_agree_with_getattr);
                libc::pthread_attr_destroy(&mut attr);
            }
        }
        let mut own = vec![0u8; (256 << 10) + round * 4096];
        // SAFETY: the supplied stack outlives the thread (joined in on_pthread).
        unsafe {
            let mut attr = core::mem::zeroed();
            libc::pthread_attr_init(&mut attr);
            libc::pthread_attr_setstack(&mut attr, own.as_mut_ptr().cast(), own.len());
            on_pthread(&mut attr, bounds_agree_with_getattr);
            libc::pthread_attr_destroy(&mut attr);
        }
        std::thread::spawn(bounds_agree_with_getattr)
            .join()
            .unwrap();
    }
    let (offset, confirmed) = crate::os::descriptor_layout()
        .expect("the descriptor's layout was learned (and nothing disagreed)");
    assert!(
        confirmed >= crate::os::DESCRIPTOR_CONFIRMATIONS,
        "{confirmed}"
    );
    assert!(offset % 8 == 0 && offset < 4096, "{offset}");
}

/// `remaining_stack` walks the registry only for a stack it cannot place otherwise,
/// once per stack: never on the system stack, however many stacks are registered.
#[test]
fn remaining_stack_walks_the_registry_once_per_stack_and_never_on_the_system_stack() {
    use crate::overflow::WALKS;
    std::thread::spawn(|| {
        let mut stacks: Vec<crate::Stack> = (0..64)
            .map(|_| crate::Stack::new(64 * 1024).unwrap())
            .collect();
        let walks = || WALKS.with(|w| w.get());
        for _ in 0..100 {
            assert!(crate::remaining_stack().is_some());
        }
        assert_eq!(
            walks(),
            0,
            "a query on the system stack walked the registry"
        );
        let last = stacks.last_mut().unwrap();
        let rooms = crate::on_stack(last, || {
            (0..100)
                .map(|_| crate::remaining_stack().unwrap())
                .collect::<Vec<_>>()
        });
        assert!(
            rooms.iter().all(|&r| r > 60 * 1024 && r <= 64 * 1024),
            "{rooms:?}"
        );
        assert_eq!(walks(), 1, "100 queries on one stack walked more than once");
    })
    .join()
    .unwrap();
}
