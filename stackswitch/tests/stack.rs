//! `Stack` and `StackPool`: sizes, guard pages, errors as values, reuse.

use stackswitch::{Stack, StackError, StackPool};

fn page() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

#[test]
fn sizes_round_up_to_pages_and_bounds_are_consistent() {
    let p = page();
    for req in [0, 1, p - 1, p, p + 1, 100_000] {
        let s = Stack::new(req).unwrap();
        assert!(
            s.size() >= req.max(1) && s.size() % p == 0 && s.size() - req.max(1) < p,
            "{req}: {s:?}"
        );
        assert_eq!(s.top() - s.bottom(), s.size());
        assert_eq!(s.top() % 16, 0);
        assert_eq!(s.guard(), s.bottom() - p..s.bottom());
        assert_eq!(s.bounds().lo, s.bottom());
        assert_eq!(s.bounds().hi, s.top());
    }
}

#[test]
fn usable_memory_is_writable_and_the_guard_is_not() {
    let s = Stack::new(3 * page()).unwrap();
    // SAFETY: [bottom, top) is our writable mapping; nothing runs on it.
    unsafe { std::ptr::write_bytes(s.bottom() as *mut u8, 0xA5, s.size()) };
    // Probe without a signal: write(2) from an inaccessible buffer fails with
    // EFAULT, from an accessible one it succeeds.
    let pipe = {
        let mut fds = [0; 2];
        // SAFETY: fds is a valid out array of two ints.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        fds
    };
    // SAFETY: the pipe's write end is valid; the guard page is not readable.
    let r3 = unsafe { libc::write(pipe[1], s.guard().start as *const libc::c_void, 1) };
    assert_eq!(r3, -1);
    assert_eq!(
        std::io::Error::last_os_error().raw_os_error(),
        Some(libc::EFAULT)
    );
    // SAFETY: the usable range is readable.
    let r4 = unsafe { libc::write(pipe[1], s.bottom() as *const libc::c_void, 1) };
    assert_eq!(r4, 1);
    // SAFETY: closing the descriptors we created.
    unsafe {
        libc::close(pipe[0]);
        libc::close(pipe[1]);
    }
}

#[test]
fn impossible_sizes_are_errors_not_panics() {
    match Stack::new(usize::MAX - 10) {
        Err(e @ StackError::TooLarge { .. }) => {
            assert!(
                e.to_string().contains("does not fit in the address space"),
                "{e}"
            );
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    match Stack::new(1 << 62) {
        Err(e @ StackError::Map { .. }) => {
            let text = e.to_string();
            assert!(
                text.starts_with("stackswitch: mapping ") && text.contains("failed"),
                "{text}"
            );
            assert!(std::error::Error::source(&e).is_some());
        }
        other => panic!("expected Map, got {other:?}"),
    }
}

#[test]
fn pool_reuses_stacks_of_its_size_up_to_its_limit() {
    let pool = StackPool::new(20_000, 2);
    assert_eq!(pool.stack_size() % page(), 0);
    let a = pool.take().unwrap();
    let b = pool.take().unwrap();
    let c = pool.take().unwrap();
    let ids = [a.id(), b.id(), c.id()];
    pool.give(a);
    pool.give(b);
    pool.give(c); // over the limit: unmapped
    assert_eq!(pool.cached(), 2);
    pool.give(Stack::new(pool.stack_size() * 2).unwrap()); // other size: unmapped
    assert_eq!(pool.cached(), 2);
    let again = pool.take().unwrap();
    assert!(ids.contains(&again.id()));
    assert_eq!(pool.cached(), 1);
}

#[test]
fn stacks_are_shared_across_threads() {
    let s = Stack::new(64 * 1024).unwrap();
    let id = s.id();
    let back = std::thread::spawn(move || {
        let mut s = s;
        let sp = stackswitch::on_stack(&mut s, stackswitch::current_sp);
        assert!(s.bounds().contains_sp(sp));
        s
    })
    .join()
    .unwrap();
    assert_eq!(back.id(), id);
}
