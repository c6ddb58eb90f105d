//! Signal masking around attach and detach.
//!
//! A signal handler that calls an exported function while this thread is half-way
//! through attaching or detaching would see a context that is not fully set up; Go blocks
//! signals in `needm`/`dropm` for the same reason. Only the cold attach/detach paths use
//! this: the bound steady state makes no system call.

/// A saved signal mask.
pub(crate) struct Mask(libc::sigset_t);

/// Blocks every signal on this thread, returning the previous mask.
pub(crate) fn block_signals() -> Mask {
    // SAFETY: `sigset_t` is plain data; an all-zero value is a valid (empty) set on every
    // supported libc, and it is overwritten by `pthread_sigmask` below.
    let mut old: libc::sigset_t = unsafe { core::mem::zeroed() };
    // SAFETY: as above.
    let mut all: libc::sigset_t = unsafe { core::mem::zeroed() };
    // SAFETY: `all` and `old` are valid sigset_t objects owned by this frame.
    unsafe {
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
    }
    Mask(old)
}

/// Restores a mask saved by [`block_signals`].
pub(crate) fn restore_signals(m: Mask) {
    // SAFETY: `m.0` is a mask filled in by `pthread_sigmask`.
    unsafe {
        libc::pthread_sigmask(libc::SIG_SETMASK, &m.0, core::ptr::null_mut());
    }
}
