//! macOS: `pthread_get_stackaddr_np` (the *high* end) and `pthread_get_stacksize_np`.

use super::OsImp;

pub(crate) struct Imp;

impl OsImp for Imp {
    const STACK_MAP_FLAGS: libc::c_int = 0;

    fn page_size() -> usize {
        super::cached_page_size(|| {
            // SAFETY: sysconf has no preconditions.
            let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            if n > 0 { n as usize } else { 16384 }
        })
    }

    fn thread_stack() -> Option<(usize, usize, usize)> {
        // SAFETY: both functions only read the calling thread's descriptor.
        let (hi, size) = unsafe {
            let me = libc::pthread_self();
            (
                libc::pthread_get_stackaddr_np(me) as usize,
                libc::pthread_get_stacksize_np(me),
            )
        };
        if hi == 0 || size == 0 || size > hi {
            return None;
        }
        Some((hi - size, hi, Self::page_size()))
    }

    fn thread_id() -> u64 {
        let mut id = 0u64;
        // SAFETY: a null thread means the calling thread; id is a valid out pointer.
        unsafe { libc::pthread_threadid_np(0, &mut id) };
        id
    }

    fn sent_by_process(si_code: libc::c_int) -> bool {
        // <sys/signal.h>: SI_USER 0x10001 up to SI_MESGQ 0x10005. Not 0: on
        // x86_64 a general-protection fault (a non-canonical address) arrives
        // as SIGSEGV with code 0, and taking a fault for a sent signal could
        // ignore it and run the faulting instruction forever.
        (0x10001..=0x10005).contains(&si_code)
    }
}
