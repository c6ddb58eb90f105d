//! Linux (glibc): thread stack bounds (`pthread_getattr_np`, or the same fields
//! read from the thread descriptor once their place is learned: see [`descriptor`]),
//! `gettid` thread ids.

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
        #[cfg(target_env = "gnu")]
        if let Some(b) = descriptor::bounds() {
            return Some(b);
        }
        let b = getattr_bounds();
        #[cfg(target_env = "gnu")]
        if let Some(b) = b {
            descriptor::learn(b);
        }
        b
    }

    fn thread_id() -> u64 {
        // SAFETY: gettid has no preconditions and cannot fail.
        unsafe { libc::gettid() as u64 }
    }

    fn sent_by_process(si_code: libc::c_int) -> bool {
        // SI_USER is 0; SI_QUEUE, SI_TIMER, SI_MESGQ, SI_ASYNCIO, SI_SIGIO and
        // SI_TKILL are negative. Faults use positive codes (SEGV_MAPERR,
        // BUS_ADRERR, ..., SI_KERNEL).
        si_code <= 0
    }
}

/// The calling thread's stack as `(lo, hi, guard)` from `pthread_getattr_np`.
pub(crate) fn getattr_bounds() -> Option<(usize, usize, usize)> {
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

/// Thread stack bounds without `pthread_getattr_np`'s cost on the first callback of
/// a new C thread.
///
/// `pthread_getattr_np` reads the stack of a thread created by `pthread_create` from
/// four consecutive words of glibc's thread descriptor (the stack block, its size,
/// the guard size inside it, the guard size to report), and then asks the kernel for
/// the thread's CPU affinity into a `malloc`ed buffer. That second half, which the
/// bounds do not need, is most of its cost: on the 2-core development VM a fresh
/// thread's `pthread_getattr_np` took 1.2–2.5 µs (mean), of which the
/// `sched_getaffinity` system call alone was 0.8 µs, and its `malloc` is often the
/// thread's first, so the thread also sets up and tears down its allocator cache.
///
/// The descriptor's layout is private to glibc, so it is never assumed: it is
/// *learned*. The first threads that ask still call `pthread_getattr_np`; the first
/// one whose descriptor lies inside its own stack block (every thread glibc's
/// `pthread_create` made, with a stack of its own or one the program supplied)
/// searches its descriptor for the one place where four consecutive words give back
/// exactly what `pthread_getattr_np` reported (`block + size = hi`,
/// `block + guard = lo`, the reported guard); the next [`CONFIRMATIONS`] threads
/// check that place against their own `pthread_getattr_np`. Only then are the
/// words read directly, and only for a thread whose descriptor again lies inside
/// the block they name (the main thread's does not: its bounds come from
/// `pthread_getattr_np`, which reads `/proc/self/maps` for it). Any disagreement,
/// or an ambiguous search, turns the direct read off for the process. Within one
/// process every descriptor has the same layout (one glibc), so a place confirmed
/// on several threads with different stacks is the field `pthread_getattr_np`
/// itself reads.
#[cfg(target_env = "gnu")]
mod descriptor {
    use crate::primitive::{AtomicUsize, Ordering};

    /// Threads after the discovering one that must confirm the place before it is
    /// used.
    pub(crate) const CONFIRMATIONS: usize = 2;
    /// How far into the descriptor the search looks (glibc 2.36 keeps the words at
    /// 1168–1680 bytes on the three supported architectures).
    const SEARCH: usize = 4096;

    /// What is known: [`UNKNOWN`], [`OFF`], or a found offset and its
    /// confirmations ([`known`]).
    static LAYOUT: AtomicUsize = AtomicUsize::new(UNKNOWN);
    const UNKNOWN: usize = 0;
    const OFF: usize = usize::MAX;

    /// The state word for a found `offset` (below [`SEARCH`]) confirmed `n`
    /// (at most [`CONFIRMATIONS`]) times: `(offset + 1) << 8 | n`, which is never
    /// [`UNKNOWN`] or [`OFF`].
    fn known(offset: usize, n: usize) -> usize {
        (offset + 1) << 8 | n
    }

    /// The offset and confirmations of a [`known`] state word.
    fn unpack(s: usize) -> (usize, usize) {
        ((s >> 8) - 1, s & 0xff)
    }

    /// The calling thread's descriptor (`pthread_self()` is its address in glibc).
    fn descriptor() -> usize {
        // SAFETY: pthread_self has no preconditions.
        unsafe { libc::pthread_self() as usize }
    }

    /// `(lo, hi, guard)` from the four words at `at`, if they describe a stack
    /// block that contains the descriptor itself.
    ///
    /// # Safety
    /// - `at..at + 32` is readable memory, 8-aligned.
    unsafe fn decode(at: usize, me: usize) -> Option<(usize, usize, usize)> {
        let w = at as *const usize;
        // SAFETY: four aligned, readable words (the contract); plain reads: glibc
        // writes these fields when it creates the thread, before the thread runs.
        let (block, size, guard, reported) = unsafe { (*w, *w.add(1), *w.add(2), *w.add(3)) };
        let hi = block.checked_add(size)?;
        (block != 0 && guard < size && (block..hi).contains(&me))
            .then(|| (block + guard, hi, reported))
    }

    /// The bounds read from the descriptor, once its layout is confirmed; `None`
    /// otherwise (ask `pthread_getattr_np`).
    pub(super) fn bounds() -> Option<(usize, usize, usize)> {
        // Relaxed: the state is one self-contained word (the offset travels in
        // it), and reading an older state only means one more pthread_getattr_np.
        let s = LAYOUT.load(Ordering::Relaxed);
        if s == UNKNOWN || s == OFF {
            return None;
        }
        let (offset, confirmed) = unpack(s);
        if confirmed < CONFIRMATIONS {
            return None;
        }
        let me = descriptor();
        // SAFETY: every glibc thread's descriptor is a `struct pthread`, one layout
        // per process. The offset was the only place within 4 KiB of a descriptor
        // where four words reproduced `pthread_getattr_np`'s answer, and on
        // CONFIRMATIONS more threads the same place did again, so it holds the
        // fields `pthread_getattr_np` reads (glibc keeps no other copy of them):
        // inside every descriptor, so readable, and 8-aligned as descriptors are.
        unsafe { decode(me + offset, me) }
    }

    /// Learns from bounds `b = (lo, hi, guard)` that `pthread_getattr_np` just
    /// gave for the calling thread: search, confirm, or turn the direct read off.
    pub(super) fn learn(b: (usize, usize, usize)) {
        let me = descriptor();
        let s = LAYOUT.load(Ordering::Relaxed);
        if s == OFF || (s != UNKNOWN && unpack(s).1 >= CONFIRMATIONS) {
            return;
        }
        // Only a descriptor inside its own stack block is searched or checked (not
        // the main thread's, whose stack glibc does not allocate).
        let (lo, hi, _) = b;
        if !(lo..hi).contains(&me) || me % 8 != 0 {
            return;
        }
        let next = if s == UNKNOWN {
            let end = hi.min(me + SEARCH);
            let mut found = None;
            let mut at = me;
            while at + 32 <= end {
                // SAFETY: [me, end) lies inside the calling thread's usable stack
                // [lo, hi) (checked above: lo <= me; end <= hi), which is readable
                // memory; `at` is 8-aligned as me is.
                if unsafe { decode(at, me) } == Some(b) {
                    if found.is_some() {
                        // Two places match: do not guess.
                        found = None;
                        break;
                    }
                    found = Some(at - me);
                }
                at += 8;
            }
            match found {
                Some(off) => known(off, 0),
                None => OFF,
            }
        } else {
            let (offset, confirmed) = unpack(s);
            if me + offset + 32 > hi {
                // Not inside this thread's usable stack: the place found cannot
                // be a field of every descriptor.
                OFF
            // SAFETY: [me + offset, + 32) lies inside the calling thread's usable
            // stack [lo, hi) (lo <= me, checked above, and the end just now),
            // which is readable; 8-aligned as me and the offset are.
            } else if unsafe { decode(me + offset, me) } == Some(b) {
                known(offset, confirmed + 1)
            } else {
                OFF
            }
        };
        // Relaxed compare-exchange: if another thread moved the state meanwhile,
        // its step stands and this one is dropped (a confirmation lost costs one
        // more pthread_getattr_np later); a disagreement always wins.
        let _ = LAYOUT.compare_exchange(s, next, Ordering::Relaxed, Ordering::Relaxed);
        if next == OFF && s != OFF {
            LAYOUT.store(OFF, Ordering::Relaxed);
        }
    }

    /// Where the learning stands, for the tests: `None` while unknown or off,
    /// `Some((offset, confirmations))` otherwise.
    #[cfg(test)]
    pub(crate) fn state() -> Option<(usize, usize)> {
        let s = LAYOUT.load(Ordering::Relaxed);
        (s != UNKNOWN && s != OFF).then(|| unpack(s))
    }
}

#[cfg(all(test, target_env = "gnu"))]
pub(crate) use descriptor::{
    CONFIRMATIONS as DESCRIPTOR_CONFIRMATIONS, state as descriptor_layout,
};
#[cfg(test)]
pub(crate) use getattr_bounds as bounds_from_getattr;
