//! Operating-system services behind one private trait, implemented once per OS.

use crate::primitive::{AtomicUsize, Ordering};

/// What the rest of the crate needs from the OS.
pub(crate) trait OsImp {
    /// Extra `mmap` flags for stack memory.
    const STACK_MAP_FLAGS: libc::c_int;
    /// The page size.
    fn page_size() -> usize;
    /// The calling thread's stack as `(lo, hi, guard_size)`, or `None` when the
    /// OS cannot tell. Can be slow (glibc's `pthread_getattr_np` reads
    /// `/proc/self/maps` for the main thread and makes a system call for any
    /// thread): callers cache it.
    fn thread_stack() -> Option<(usize, usize, usize)>;
    /// A small number naming the calling thread in messages.
    fn thread_id() -> u64;
    /// Whether a signal's `si_code` says a process sent it (`kill`, `tgkill`,
    /// `sigqueue`, ...) rather than the hardware raising it for a fault: only a
    /// fault has a meaningful `si_addr`, and only a fault runs again when the
    /// handler returns.
    fn sent_by_process(si_code: libc::c_int) -> bool;
}

/// The page size, asked of the OS once per process (`sysconf` costs ~160
/// instructions; a registration and an alternate-stack release each need it).
fn cached_page_size(ask: impl FnOnce() -> usize) -> usize {
    static PAGE: AtomicUsize = AtomicUsize::new(0);
    // Relaxed: the value is the same whichever thread stores it, and nothing
    // else is published with it.
    let p = PAGE.load(Ordering::Relaxed);
    if p != 0 {
        return p;
    }
    let p = ask();
    PAGE.store(p, Ordering::Relaxed);
    p
}

cfg_if::cfg_if! {
    if #[cfg(target_os = "linux")] {
        mod linux;
        pub(crate) use self::linux::Imp;
        #[cfg(test)]
        pub(crate) use self::linux::bounds_from_getattr;
        #[cfg(all(test, target_env = "gnu"))]
        pub(crate) use self::linux::{DESCRIPTOR_CONFIRMATIONS, descriptor_layout};
    } else if #[cfg(target_vendor = "apple")] {
        mod macos;
        pub(crate) use self::macos::Imp;
    } else {
        compile_error!("stackswitch does not support this OS yet: supported are Linux and macOS");
    }
}
