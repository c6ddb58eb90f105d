//! Linux (glibc): `pthread_getattr_np` bounds, `gettid` thread ids.

use super::OsImp;

pub(crate) struct Imp;

impl OsImp for Imp {
    const STACK_MAP_FLAGS: libc::c_int = libc::MAP_STACK | libc::MAP_NORESERVE;

    fn page_size() -> usize {
        super::cached_page_size(|| {
            // SAFETY: sysconf has no preconditions.
            let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            if n > 0 { n as usize } else { 4096 }
        })
    }

    fn thread_stack() -> Option<(usize, usize, usize)> {
        let mut attr = core::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
        // SAFETY: attr is writable storage for a pthread_attr_t. It is
        // initialised first because glibc < 2.32's pthread_getattr_np did not
        // (Go issue 65625), filled by pthread_getattr_np for the calling
        // thread, read with pthread_attr_getstack/getguardsize into locals, and
        // destroyed exactly once on every path after a successful init.
        unsafe {
            if libc::pthread_attr_init(attr.as_mut_ptr()) != 0 {
                return None;
            }
            let mut result = None;
            if libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()) == 0 {
                let mut addr: *mut libc::c_void = core::ptr::null_mut();
                let mut size: libc::size_t = 0;
                let mut guard: libc::size_t = 0;
                if libc::pthread_attr_getstack(attr.as_ptr(), &mut addr, &mut size) == 0
                    && !addr.is_null()
                    && size != 0
                {
                    if libc::pthread_attr_getguardsize(attr.as_ptr(), &mut guard) != 0 {
                        guard = 0;
                    }
                    result = Some((addr as usize, addr as usize + size, guard));
                }
            }
            libc::pthread_attr_destroy(attr.as_mut_ptr());
            result
        }
    }

    fn thread_id() -> u64 {
        // SAFETY: gettid has no preconditions and cannot fail.
        unsafe { libc::gettid() as u64 }
    }
}
